//! `profiles.toml`: the list of profiles and which one is the default. No secrets.
//!
//! When the file does not exist yet, it is created with the `local` folder profile as
//! the default. Adding the first real account makes it the default.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{LOCAL_PROFILE, Profile};
use crate::paths::Dirs;
use crate::store::{AtomicWriteError, write_atomic};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("no profile named \"{id}\" (profiles: {known})")]
    Unknown { id: String, known: String },
    #[error("a profile named \"{0}\" exists already")]
    Exists(String),
    #[error("profile name \"{0}\" is not allowed: use letters, digits, '-', '_' or '.'")]
    BadId(String),
    /// The identity to send as is not one address (checked when the profile is added,
    /// not first at send time).
    #[error(
        "From: \"{from}\" is not an address to send as ({reason}): write it as \"Name <address@example.org>\""
    )]
    BadFrom { from: String, reason: String },
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid profiles file: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    #[error("could not encode the profiles: {0}")]
    Encode(#[from] toml::ser::Error),
}

/// The contents of `profiles.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profiles {
    /// The profile used when none is named.
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default, rename = "profile")]
    pub list: Vec<Profile>,
}

impl Profiles {
    /// Reads `profiles.toml`, creating it with the `local` profile on first run.
    pub fn load_or_init(dirs: &Dirs) -> Result<Self, ProfileError> {
        let path = dirs.profiles_file();
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|source| ProfileError::Parse { path, source })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let profiles = Self {
                    default: Some(LOCAL_PROFILE.to_string()),
                    list: vec![Profile::local(dirs.local_mail())],
                };
                profiles.save(&path)?;
                Ok(profiles)
            }
            Err(source) => Err(ProfileError::Read { path, source }),
        }
    }

    pub fn save(&self, path: &Path) -> Result<(), ProfileError> {
        let text = toml::to_string_pretty(self)?;
        write_atomic(path, text.as_bytes())?;
        Ok(())
    }

    pub fn get(&self, id: &str) -> Result<&Profile, ProfileError> {
        self.list
            .iter()
            .find(|p| p.id == id)
            .ok_or_else(|| self.unknown(id))
    }

    /// The named profile, or the default one when `id` is `None`.
    pub fn resolve(&self, id: Option<&str>) -> Result<&Profile, ProfileError> {
        match id.or(self.default.as_deref()) {
            Some(id) => self.get(id),
            None => self.list.first().ok_or_else(|| self.unknown("(default)")),
        }
    }

    /// Adds a profile; the first real account replaces `local` as the default.
    pub fn add(&mut self, profile: Profile) -> Result<(), ProfileError> {
        self.check_new(&profile)?;
        if matches!(self.default.as_deref(), None | Some(LOCAL_PROFILE)) {
            self.default = Some(profile.id.clone());
        }
        self.list.push(profile);
        Ok(())
    }

    /// Whether `profile` could be added: a valid id no profile has, a valid From.
    pub fn check_new(&self, profile: &Profile) -> Result<(), ProfileError> {
        validate_id(&profile.id)?;
        validate_from(&profile.from)?;
        if self.list.iter().any(|p| p.id == profile.id) {
            return Err(ProfileError::Exists(profile.id.clone()));
        }
        Ok(())
    }

    /// Puts `profile` in the place of `old` (edited, perhaps renamed): it keeps its place
    /// in the list, and stays the default if `old` was.
    pub fn replace(&mut self, old: &str, profile: Profile) -> Result<(), ProfileError> {
        validate_id(&profile.id)?;
        validate_from(&profile.from)?;
        if profile.id != old && self.list.iter().any(|p| p.id == profile.id) {
            return Err(ProfileError::Exists(profile.id));
        }
        let index = self
            .list
            .iter()
            .position(|p| p.id == old)
            .ok_or_else(|| self.unknown(old))?;
        if self.default.as_deref() == Some(old) {
            self.default = Some(profile.id.clone());
        }
        self.list[index] = profile;
        Ok(())
    }

    /// Removes a profile; if it was the default, the first remaining one becomes it.
    pub fn remove(&mut self, id: &str) -> Result<Profile, ProfileError> {
        let index = self
            .list
            .iter()
            .position(|p| p.id == id)
            .ok_or_else(|| self.unknown(id))?;
        let removed = self.list.remove(index);
        if self.default.as_deref() == Some(id) {
            self.default = self.list.first().map(|p| p.id.clone());
        }
        Ok(removed)
    }

    pub fn set_default(&mut self, id: &str) -> Result<(), ProfileError> {
        self.get(id)?;
        self.default = Some(id.to_string());
        Ok(())
    }

    fn unknown(&self, id: &str) -> ProfileError {
        let known: Vec<&str> = self.list.iter().map(|p| p.id.as_str()).collect();
        ProfileError::Unknown {
            id: id.to_string(),
            known: if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            },
        }
    }
}

/// A profile's From is exactly one address, e.g. `Ana Lima <ana@example.org>`.
pub fn validate_from(from: &str) -> Result<(), ProfileError> {
    use crate::message::{DraftError, Field, address::parse_single};
    let reason = match parse_single(Field::From, from) {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => "it is empty".to_string(),
        Err(DraftError::InvalidAddress { reason, .. }) => reason,
        Err(e) => e.to_string(),
    };
    Err(ProfileError::BadFrom {
        from: from.to_string(),
        reason,
    })
}

/// Profile ids become keyring user names and file names: keep them simple.
fn validate_id(id: &str) -> Result<(), ProfileError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(ProfileError::BadId(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{Auth, Security, Server, SmtpServer};

    fn work() -> Profile {
        Profile {
            id: "work".into(),
            from: "Me <me@example.org>".into(),
            server: Server::Smtp(SmtpServer::new(
                "smtp.example.org",
                Security::Starttls,
                Auth::Password,
            )),
        }
    }

    #[test]
    fn first_run_creates_the_local_profile_and_round_trips() {
        let home = tempfile::tempdir().unwrap();
        let dirs = Dirs::under(home.path());
        let mut profiles = Profiles::load_or_init(&dirs).unwrap();
        assert_eq!(profiles.resolve(None).unwrap().id, "local");
        profiles.add(work()).unwrap();
        assert_eq!(profiles.default.as_deref(), Some("work"));
        profiles.save(&dirs.profiles_file()).unwrap();
        let again = Profiles::load_or_init(&dirs).unwrap();
        assert_eq!(again, profiles);
        let text = std::fs::read_to_string(dirs.profiles_file()).unwrap();
        assert!(
            text.contains("kind = \"smtp\"") && text.contains("port = 587"),
            "{text}"
        );
    }

    #[test]
    fn removing_the_default_picks_another() {
        let mut profiles = Profiles::default();
        profiles.add(work()).unwrap();
        profiles
            .add(Profile {
                id: "home".into(),
                ..work()
            })
            .unwrap();
        assert_eq!(profiles.default.as_deref(), Some("work"));
        profiles.remove("work").unwrap();
        assert_eq!(profiles.default.as_deref(), Some("home"));
    }

    #[test]
    fn a_from_that_is_not_one_address_is_refused_when_the_profile_is_added() {
        let mut profiles = Profiles::default();
        for bad in [
            "Ana Lima",
            "ana@example.org, bo@example.org",
            "",
            "Ana <ana@>",
        ] {
            let err = profiles
                .add(Profile {
                    from: bad.into(),
                    ..work()
                })
                .unwrap_err();
            assert!(matches!(err, ProfileError::BadFrom { .. }), "{bad}: {err}");
            assert!(
                err.to_string().contains("Name <address@example.org>"),
                "{err}"
            );
        }
        assert!(profiles.list.is_empty());
    }

    #[test]
    fn unknown_profiles_and_duplicates_are_named() {
        let mut profiles = Profiles::default();
        profiles.add(work()).unwrap();
        let err = profiles.get("wrok").unwrap_err().to_string();
        assert_eq!(err, "no profile named \"wrok\" (profiles: work)");
        assert!(matches!(profiles.add(work()), Err(ProfileError::Exists(_))));
        assert!(matches!(
            profiles.add(Profile {
                id: "a b".into(),
                ..work()
            }),
            Err(ProfileError::BadId(_))
        ));
    }

    #[test]
    fn a_broken_file_names_its_path() {
        let home = tempfile::tempdir().unwrap();
        let dirs = Dirs::under(home.path());
        std::fs::create_dir_all(dirs.config()).unwrap();
        std::fs::write(dirs.profiles_file(), "default = [").unwrap();
        let err = Profiles::load_or_init(&dirs).unwrap_err().to_string();
        assert!(
            err.contains("profiles.toml is not a valid profiles file"),
            "{err}"
        );
    }
}
