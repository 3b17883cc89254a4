//! Accounts, as the command line and the window's Profiles view both use them: saving a
//! profile (its password to the keyring, a rename keeping it) and testing its connection.

use super::Mailroom;
use crate::error::Error;
use crate::profile::secret::{self, Password, SecretError};
use crate::profile::{Auth, Profile, Profiles, Server};
use crate::transport::Transport;

/// What a connection test found: the CLI's `profile test` and the window's Test
/// connection print the same words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionTest {
    /// `host:port`, or for a folder profile its summary.
    pub server: String,
    pub folder: bool,
    pub encrypted: bool,
    pub capabilities: Vec<String>,
    /// The user logged in as, with the server's reply; `None`: no login.
    pub login: Option<(String, String)>,
    /// The server's SIZE limit, when it has one.
    pub size_limit: Option<u64>,
    /// The IMAP server's check (TLS, login, the Sent folder), when the profile has one:
    /// what was found, or what went wrong.
    pub imap: Option<Result<String, String>>,
}

impl ConnectionTest {
    /// How the connection was secured, in the words both front ends use.
    pub fn security(&self) -> &'static str {
        if self.encrypted {
            "encrypted, certificate verified"
        } else {
            "UNENCRYPTED"
        }
    }

    /// `Connected to smtp.example.org:587`, or what a folder profile is.
    pub fn connected(&self) -> String {
        if self.folder {
            format!("A folder profile: {}", self.server)
        } else {
            format!("Connected to {} ({})", self.server, self.security())
        }
    }

    /// The window's one line: `Connected to smtp.example.org:587 (encrypted, certificate
    /// verified); logged in: 235 2.7.0 Authentication successful`.
    pub fn summary(&self) -> String {
        if self.folder {
            return self.connected();
        }
        let login = self
            .login
            .as_ref()
            .map_or("no login".to_string(), |(_, reply)| {
                format!("logged in: {reply}")
            });
        let imap = match &self.imap {
            Some(Ok(found)) => format!("; {found}"),
            Some(Err(problem)) => format!("; IMAP: {problem}"),
            None => String::new(),
        };
        format!("{}; {login}{imap}", self.connected())
    }
}

/// What saving a profile did.
#[derive(Debug)]
pub struct SavedProfile {
    pub profiles: Profiles,
    /// A new account took over as the default from `local` (which any account added
    /// while `local` is the default does).
    pub became_default: bool,
    /// No keyring answered: the password was not stored (the caller keeps it for the
    /// session, if it can).
    pub not_stored: Option<(Password, SecretError)>,
}

/// What [`Mailroom::save_profile`] does when no keyring answers.
#[derive(Clone, Copy)]
pub enum WithoutKeyring<'a> {
    /// Saves nothing and fails: the command line has no session to keep a password in.
    Refuse,
    /// Saves the profile and hands the password back ([`SavedProfile::not_stored`]) for
    /// the window to keep for the session; finds a renamed profile's password there.
    KeepInSession(&'a dyn Fn(&str) -> Option<Password>),
}

/// What removing a profile took with it.
#[derive(Debug)]
pub struct RemovedProfile {
    /// The profiles left.
    pub profiles: Profiles,
    /// Its password was in the keyring, and is gone.
    pub password: bool,
    /// Its OAuth2 sign-in (tokens) was in the keyring, and is gone.
    pub sign_in: bool,
}

impl Mailroom {
    /// Connects, secures, logs in (with `typed` when the keyring has nothing) and reports.
    pub fn test_connection(
        &self,
        profile: &Profile,
        typed: Option<&Password>,
    ) -> Result<ConnectionTest, Error> {
        let Server::Smtp(server) = &profile.server else {
            return Ok(ConnectionTest {
                server: profile.summary(),
                folder: true,
                encrypted: false,
                capabilities: Vec::new(),
                login: None,
                size_limit: None,
                imap: None,
            });
        };
        let mut smtp = crate::transport::login::session_for(&self.dirs, profile, server, typed)?;
        let greeting = smtp.greeting().clone();
        smtp.close();
        Ok(ConnectionTest {
            server: server.address(),
            folder: false,
            encrypted: greeting.encrypted,
            capabilities: greeting.capabilities,
            login: server.username.clone().zip(greeting.login_reply),
            size_limit: greeting.size_limit.map(|s| s as u64),
            imap: server.imap.as_ref().map(|_| self.test_imap(profile, typed)),
        })
    }

    /// Connects to the profile's IMAP server, logs in and finds the Sent folder; one named
    /// in the profile must exist there (a copy filed into a folder that is not there would
    /// be refused at every message).
    fn test_imap(&self, profile: &Profile, typed: Option<&Password>) -> Result<String, String> {
        let (mut session, folder) =
            crate::server_copy::open(&self.dirs, profile, typed).map_err(|e| e.to_string())?;
        let server = session.server().to_string();
        let named = matches!(&profile.server,
            Server::Smtp(s) if s.imap.as_ref().is_some_and(|i| i.sent_folder.is_some()));
        let listed = named.then(|| session.folder_names());
        session.logout();
        if let Some(names) = listed {
            let names = names.map_err(|e| e.to_string())?;
            if !names.contains(&folder.name) {
                return Err(format!(
                    "{server} has no folder \"{}\" (the Sent folder set in the profile); its folders: {}",
                    folder.name,
                    names.join(", ")
                ));
            }
        }
        let pinned = crate::server_copy::connect_pinned(profile);
        Ok(format!(
            "IMAP {server} (encrypted, certificate {}), logged in, Sent folder \"{}\" ({})",
            if pinned { "pinned" } else { "verified" },
            folder.name,
            folder.how
        ))
    }

    /// Saves `profile` — new, or in the place of `replaces` (edited, perhaps renamed) —
    /// with its password, if one is given, in the keyring. A renamed profile's password
    /// (from the keyring, or from the session: `without_keyring`) and OAuth2 sign-in move
    /// with it; an edited profile keeps its place in the list, and an edited default
    /// stays the default. When no keyring answers, `without_keyring` says what happens.
    /// When the profiles cannot be written, the keyring gets back what it held under the
    /// profile's name (an edit's old password, or nothing).
    pub fn save_profile(
        &self,
        profile: Profile,
        password: Option<Password>,
        replaces: Option<&str>,
        without_keyring: WithoutKeyring<'_>,
    ) -> Result<SavedProfile, Error> {
        let mut profiles = self.profiles()?;
        let default_before = profiles.default.clone();
        let id = profile.id.clone();
        match replaces {
            Some(old) => profiles.replace(old, profile)?,
            None => profiles.add(profile)?,
        }
        let became_default = replaces.is_none()
            && default_before.is_some()
            && profiles.default.as_deref() == Some(id.as_str());
        let renamed_from = replaces.filter(|old| *old != id);
        let password = password.or_else(|| {
            let old = renamed_from?;
            secret::load(old)
                .ok()
                .flatten()
                .or_else(|| match without_keyring {
                    WithoutKeyring::KeepInSession(kept) => kept(old),
                    WithoutKeyring::Refuse => None,
                })
        });
        let has_password = password.is_some();
        // What the keyring held under `id` before, put back if the profiles cannot be
        // written (an edit's old password; nothing, for a new or renamed profile).
        let held_before = match (has_password, replaces) {
            (true, Some(_)) => secret::load(&id).ok().flatten(),
            _ => None,
        };
        let mut not_stored = None;
        if let Some(password) = password
            && let Err(e) = secret::store(&id, &password)
        {
            match without_keyring {
                WithoutKeyring::Refuse => return Err(e.into()),
                WithoutKeyring::KeepInSession(_) => not_stored = Some((password, e)),
            }
        }
        if let Err(e) = profiles.save(&self.dirs.profiles_file()) {
            if has_password && not_stored.is_none() {
                match &held_before {
                    Some(password) => {
                        let _ = secret::store(&id, password);
                    }
                    None => {
                        let _ = secret::delete(&id);
                    }
                }
            }
            return Err(e.into());
        }
        // Forgotten under the old name only once it is stored under the new one (left
        // alone when it could not be read: better an orphan than a lost password).
        if let Some(old) = renamed_from.filter(|_| has_password && not_stored.is_none()) {
            let _ = secret::delete(old);
        }
        // An OAuth2 sign-in moves with a rename, the same way.
        if let Some(old) = renamed_from
            && let Ok(Some(tokens)) = crate::oauth::tokens::load(old)
            && crate::oauth::tokens::save(&id, &tokens).is_ok()
        {
            let _ = crate::oauth::tokens::forget(old);
        }
        Ok(SavedProfile {
            profiles,
            became_default,
            not_stored,
        })
    }

    /// Removes profile `id` with its stored password and its OAuth2 sign-in: the
    /// keyring is cleared first, so a keyring that cannot be reached leaves the profile
    /// (and nothing orphaned) for another try. The CLI and the window both remove
    /// through here.
    pub fn remove_profile(&self, id: &str) -> Result<RemovedProfile, Error> {
        let mut profiles = self.profiles()?;
        let (password, sign_in) = match &profiles.get(id)?.server {
            Server::Smtp(s) if s.auth == Auth::Password && s.password_command.is_none() => {
                (secret::delete(id)?, false)
            }
            Server::Smtp(s) if s.auth == Auth::OAuth2 => (false, crate::oauth::tokens::forget(id)?),
            _ => (false, false),
        };
        profiles.remove(id)?;
        profiles.save(&self.dirs.profiles_file())?;
        Ok(RemovedProfile {
            profiles,
            password,
            sign_in,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::paths::Dirs;
    use crate::profile::{Auth, Security, SmtpServer};

    fn smtp(id: &str) -> Profile {
        Profile {
            id: id.into(),
            from: format!("Me <{id}@example.org>"),
            server: Server::Smtp(SmtpServer::new(
                "smtp.example.org",
                Security::Tls,
                Auth::None,
            )),
        }
    }

    #[test]
    fn an_edited_or_renamed_default_stays_the_default() {
        let home = tempfile::tempdir().unwrap();
        let m = Mailroom::new(Dirs::under(home.path()));
        let none = WithoutKeyring::KeepInSession(&|_: &str| None);
        assert!(
            m.save_profile(smtp("work"), None, None, none)
                .unwrap()
                .became_default
        );
        assert!(
            !m.save_profile(smtp("home"), None, None, none)
                .unwrap()
                .became_default
        );
        let edited = m
            .save_profile(smtp("work"), None, Some("work"), none)
            .unwrap();
        assert_eq!(edited.profiles.default.as_deref(), Some("work"));
        let renamed = m
            .save_profile(smtp("job"), None, Some("work"), none)
            .unwrap();
        assert_eq!(renamed.profiles.default.as_deref(), Some("job"));
        assert!(
            !renamed.became_default,
            "it was the default already: nothing to say"
        );
    }

    #[test]
    fn an_edited_or_renamed_profile_keeps_its_place_in_the_list() {
        let home = tempfile::tempdir().unwrap();
        let m = Mailroom::new(Dirs::under(home.path()));
        let none = WithoutKeyring::KeepInSession(&|_: &str| None);
        m.save_profile(smtp("work"), None, None, none).unwrap();
        m.save_profile(smtp("home"), None, None, none).unwrap();
        let ids = |saved: SavedProfile| -> Vec<String> {
            saved.profiles.list.into_iter().map(|p| p.id).collect()
        };
        let edited = m
            .save_profile(smtp("work"), None, Some("work"), none)
            .unwrap();
        assert_eq!(ids(edited), ["local", "work", "home"]);
        let renamed = m
            .save_profile(smtp("job"), None, Some("work"), none)
            .unwrap();
        assert_eq!(ids(renamed), ["local", "job", "home"]);
    }

    #[test]
    fn editing_while_local_is_the_default_leaves_it_the_default() {
        let home = tempfile::tempdir().unwrap();
        let m = Mailroom::new(Dirs::under(home.path()));
        let none = WithoutKeyring::KeepInSession(&|_: &str| None);
        m.save_profile(smtp("work"), None, None, none).unwrap();
        let mut profiles = m.profiles().unwrap();
        profiles.set_default("local").unwrap();
        profiles.save(&m.dirs.profiles_file()).unwrap();
        let edited = m
            .save_profile(smtp("work"), None, Some("work"), none)
            .unwrap();
        assert_eq!(edited.profiles.default.as_deref(), Some("local"));
        assert!(!edited.became_default);
    }
}
