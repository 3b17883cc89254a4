//! Where Mailroom keeps its files.
//!
//! Config and data folders come from `directories::ProjectDirs` (XDG on Linux,
//! `~/Library/Application Support` on macOS, `%APPDATA%` on Windows). Setting
//! `MAILROOM_HOME=DIR` puts both under `DIR/config` and `DIR/data` instead, which is
//! what tests and portable installs use.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the platform folders.
pub const HOME_ENV: &str = "MAILROOM_HOME";

/// The two folders Mailroom writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    config: PathBuf,
    data: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("could not find a home folder for Mailroom's files; set {HOME_ENV}=DIR to choose one")]
pub struct NoHomeDir;

impl Dirs {
    /// The folders for this process: `MAILROOM_HOME` if set, else the platform's.
    pub fn from_env() -> Result<Self, NoHomeDir> {
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::under(Path::new(&home)));
        }
        let project =
            directories::ProjectDirs::from("org", "Mailroom", "mailroom").ok_or(NoHomeDir)?;
        Ok(Self {
            config: project.config_dir().to_path_buf(),
            data: project.data_dir().to_path_buf(),
        })
    }

    /// Both folders below one root, as `MAILROOM_HOME` does.
    pub fn under(root: &Path) -> Self {
        Self {
            config: root.join("config"),
            data: root.join("data"),
        }
    }

    pub fn config(&self) -> &Path {
        &self.config
    }

    pub fn data(&self) -> &Path {
        &self.data
    }

    /// `profiles.toml`: accounts, no secrets.
    pub fn profiles_file(&self) -> PathBuf {
        self.config.join("profiles.toml")
    }

    /// Where the out-of-the-box `local` profile writes its `.eml` files.
    pub fn local_mail(&self) -> PathBuf {
        self.data.join("local-mail")
    }
}
