//! `settings.toml` in the config folder: the few knobs Mailroom has, all optional.
//!
//! ```toml
//! undo_send_seconds = 10     # the GUI's Send waits this long in the outbox (0-120)
//! give_up_after_hours = 48   # a message still failing temporarily after this is marked failed
//! ```

use std::time::Duration;

use serde::Deserialize;

use crate::paths::Dirs;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub undo_send_seconds: u64,
    pub give_up_after_hours: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            undo_send_seconds: 10,
            give_up_after_hours: 48,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },
}

/// The longest a temporarily failing message is retried: a year.
const MAX_GIVE_UP_HOURS: u64 = 24 * 366;

impl Settings {
    /// Reads `settings.toml`; defaults when there is none.
    pub fn load(dirs: &Dirs) -> Result<Self, SettingsError> {
        let path = dirs.config().join("settings.toml");
        let invalid = |reason: String| SettingsError::Invalid {
            path: path.display().to_string(),
            reason,
        };
        let settings: Settings = match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| invalid(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
            Err(e) => return Err(invalid(e.to_string())),
        };
        if settings.give_up_after_hours > MAX_GIVE_UP_HOURS {
            return Err(invalid(format!(
                "give_up_after_hours is {}; it must be at most {MAX_GIVE_UP_HOURS} (a year)",
                settings.give_up_after_hours
            )));
        }
        if settings.undo_send_seconds > 120 {
            return Err(invalid(format!(
                "undo_send_seconds is {}; it must be 0 to 120",
                settings.undo_send_seconds
            )));
        }
        Ok(settings)
    }

    pub fn undo_send(&self) -> Duration {
        Duration::from_secs(self.undo_send_seconds)
    }

    pub fn give_up_after(&self) -> Duration {
        Duration::from_secs(self.give_up_after_hours.saturating_mul(3600))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_a_file_and_range_checks_with_one() {
        let home = tempfile::tempdir().unwrap();
        let dirs = Dirs::under(home.path());
        assert_eq!(Settings::load(&dirs).unwrap(), Settings::default());
        std::fs::create_dir_all(dirs.config()).unwrap();
        std::fs::write(
            dirs.config().join("settings.toml"),
            "undo_send_seconds = 500",
        )
        .unwrap();
        let err = Settings::load(&dirs).unwrap_err().to_string();
        assert!(
            err.contains("settings.toml: undo_send_seconds is 500; it must be 0 to 120"),
            "{err}"
        );
    }

    #[test]
    fn a_huge_give_up_after_is_refused_not_overflowed() {
        let home = tempfile::tempdir().unwrap();
        let dirs = Dirs::under(home.path());
        std::fs::create_dir_all(dirs.config()).unwrap();
        std::fs::write(
            dirs.config().join("settings.toml"),
            "give_up_after_hours = 18446744073709551615",
        )
        .unwrap();
        let err = Settings::load(&dirs).unwrap_err().to_string();
        assert!(
            err.contains("give_up_after_hours is 18446744073709551615"),
            "{err}"
        );
    }
}
