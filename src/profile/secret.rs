//! Passwords: the only code that touches the OS keyring.
//!
//! Entries live under service `mailroom`, user = the profile id, in the platform's
//! store (Secret Service on Linux and the BSDs, Keychain on macOS, Credential Manager
//! on Windows). When no keyring answers, the error says so and how to fix it; there is
//! never a fallback to a file. A profile may instead name a `password_command` whose
//! output is the password, as msmtp's `passwordeval` does.
//!
//! Every call blocks (D-Bus, IPC): keep them off the UI thread.

use std::fmt;
use std::process::{Command, Stdio};

use secrecy::{ExposeSecret, SecretString};

/// The keyring service name every Mailroom entry uses.
pub const SERVICE: &str = "mailroom";

/// A password that never prints: `Debug` and `Display` show `***`.
#[derive(Clone)]
pub struct Password(SecretString);

impl Password {
    pub fn new(text: String) -> Self {
        Self(SecretString::from(text))
    }

    /// The password itself, for the one place that needs it (SMTP AUTH).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no keyring answered ({detail}). Start and unlock a Secret Service such as GNOME Keyring, \
         KWallet or KeePassXC, or set password_command in the profile (e.g. `pass show mail/work`)"
    )]
    Unavailable { detail: String },
    #[error(
        "the keyring is locked or refused access ({detail}). Unlock it and try again, \
         or set password_command in the profile"
    )]
    Locked { detail: String },
    #[error("the keyring failed: {detail}")]
    Failed { detail: String },
    #[error("password_command `{command}` failed: {reason}")]
    Command { command: String, reason: String },
}

/// Stores `password` for profile `id`, replacing any earlier one.
pub fn store(id: &str, password: &Password) -> Result<(), SecretError> {
    entry(id)?.set_password(password.expose()).map_err(classify)
}

/// The stored password for profile `id`; `None` when nothing is stored.
pub fn load(id: &str) -> Result<Option<Password>, SecretError> {
    match entry(id)?.get_password() {
        Ok(text) => Ok(Some(Password::new(text))),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(classify(e)),
    }
}

/// Deletes the stored password for `id`; `false` when there was none.
pub fn delete(id: &str) -> Result<bool, SecretError> {
    match entry(id)?.delete_credential() {
        Ok(()) => Ok(true),
        Err(keyring::Error::NoEntry) => Ok(false),
        Err(e) => Err(classify(e)),
    }
}

/// Runs `command` through the shell and takes its first line of output as the password.
pub fn from_command(command: &str) -> Result<Password, SecretError> {
    let fail = |reason: String| SecretError::Command {
        command: command.to_string(),
        reason,
    };
    let (shell, flag) = if cfg!(windows) {
        ("cmd", "/C")
    } else {
        ("sh", "-c")
    };
    let output = Command::new(shell)
        .arg(flag)
        .arg(command)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .output()
        .map_err(|e| fail(format!("could not start it: {e}")))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(fail(format!("{} ({})", output.status, stderr.trim())));
    }
    let text =
        String::from_utf8(output.stdout).map_err(|_| fail("its output is not UTF-8".into()))?;
    let line = text.lines().next().unwrap_or_default();
    if line.is_empty() {
        return Err(fail("it printed nothing".into()));
    }
    Ok(Password::new(line.to_string()))
}

fn entry(id: &str) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(SERVICE, id).map_err(|e| match (e, keyring::Entry::store_status()) {
        (keyring::Error::NoDefaultStore, Err(status)) => classify_ref(status),
        (e, _) => classify(e),
    })
}

fn classify(e: keyring::Error) -> SecretError {
    classify_ref(&e)
}

/// Maps a keyring error to ours without ever including a secret (`BadEncoding` carries
/// the stored bytes, so its text is replaced).
fn classify_ref(e: &keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) => SecretError::Unavailable {
            detail: inner.to_string(),
        },
        keyring::Error::NoDefaultStore => SecretError::Unavailable {
            detail: "no credential store could be opened".into(),
        },
        keyring::Error::NoStorageAccess(inner) => SecretError::Locked {
            detail: inner.to_string(),
        },
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => SecretError::Failed {
            detail: "the stored password is not valid text".into(),
        },
        other => SecretError::Failed {
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_prints() {
        let p = Password::new("hunter2".into());
        assert_eq!(format!("{p:?} {p}"), "Password(***) ***");
        assert_eq!(p.expose(), "hunter2");
    }

    #[test]
    fn a_password_command_gives_its_first_line() {
        let p = from_command("printf 's3cret\\nignored'").unwrap();
        assert_eq!(p.expose(), "s3cret");
    }

    #[test]
    fn a_failing_password_command_says_why_without_its_output() {
        let err = from_command("echo leaked; echo oops >&2; exit 3")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("password_command `echo leaked; echo oops >&2; exit 3` failed:"),
            "{err}"
        );
        assert!(err.contains("oops") && err.contains("3"), "{err}");
        let err = from_command("true").unwrap_err().to_string();
        assert!(err.ends_with("it printed nothing"), "{err}");
    }
}
