//! Turning a profile into an open, logged-in transport: the one place that knows where a
//! profile's password comes from (its `password_command`, else the keyring, else one
//! typed this session) — used by sending now, the outbox runner and the connection test.

use crate::error::Error;
use crate::profile::secret::{self, Password};
use crate::profile::{Auth, Profile, Server, SmtpServer};

use super::Transport;
pub use super::credentials::Login;
use super::folder::FolderTransport;
use super::smtp::SmtpSession;

impl Login {
    /// How profile `profile_id` logs in to `server`, if it does: `password_command` when
    /// set, else the keyring; when the keyring cannot answer (or has nothing) and the
    /// person typed the password this session (`session`), that one.
    pub fn of(
        profile_id: &str,
        server: &SmtpServer,
        session: Option<&Password>,
    ) -> Result<Option<Self>, Error> {
        if server.auth == Auth::None {
            return Ok(None);
        }
        let user = server
            .username
            .clone()
            .filter(|u| !u.is_empty())
            .ok_or_else(|| Error::NoUsername {
                profile: profile_id.to_string(),
            })?;
        let password = match (&server.password_command, session) {
            (Some(command), _) => secret::from_command(command)?,
            (None, Some(session)) => match secret::load(profile_id) {
                Ok(Some(stored)) => stored,
                Ok(None) | Err(_) => session.clone(),
            },
            (None, None) => secret::load(profile_id)?.ok_or_else(|| Error::NoPassword {
                profile: profile_id.to_string(),
            })?,
        };
        Ok(Some(Self { user, password }))
    }
}

/// Opens the profile's transport: an authenticated SMTP session, or its folder.
/// `session`: a password typed this session, the keyring's fallback.
pub fn open(profile: &Profile, session: Option<&Password>) -> Result<Box<dyn Transport>, Error> {
    match &profile.server {
        Server::Folder { path } => Ok(Box::new(FolderTransport::new(path.clone()))),
        Server::Smtp(server) => {
            let login = Login::of(&profile.id, server, session)?;
            Ok(Box::new(SmtpSession::open(server, login.as_ref())?))
        }
    }
}
