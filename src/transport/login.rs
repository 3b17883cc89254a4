//! Turning a profile into an open, logged-in transport: the one place that knows where a
//! profile's secret comes from — its `password_command`, else the keyring, else one
//! typed this session; or, for an OAuth2 profile, an access token from
//! [`crate::oauth::tokens`] — used by sending now, the outbox runner and the connection
//! test alike.

use crate::error::Error;
use crate::oauth::{OAuthError, tokens};
use crate::paths::Dirs;
use crate::profile::secret::{self, Password};
use crate::profile::{Auth, Profile, Server, SmtpServer};

use super::SendError;
use super::Transport;
pub use super::credentials::{Login, LoginKind};
use super::folder::FolderTransport;
use super::smtp::SmtpSession;

impl Login {
    /// How profile `profile_id` logs in to `server`, if it does: `password_command` when
    /// set, else the keyring; when the keyring cannot answer (or has nothing) and the
    /// person typed the password this session (`session`), that one. An OAuth2 profile
    /// logs in with a fresh access token (refreshed under `dirs`' lock when needed).
    pub fn of(
        dirs: &Dirs,
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
        if server.auth == Auth::OAuth2 {
            let settings = oauth2_settings(profile_id, server)?;
            let token = tokens::access_token(dirs, profile_id, settings, None)?;
            return Ok(Some(Self {
                user,
                password: token,
                kind: LoginKind::Bearer,
            }));
        }
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
        Ok(Some(Self {
            user,
            password,
            kind: LoginKind::Password,
        }))
    }
}

fn oauth2_settings<'a>(
    profile_id: &str,
    server: &'a SmtpServer,
) -> Result<&'a crate::profile::OAuth2, Error> {
    server.oauth2.as_deref().ok_or_else(|| {
        OAuthError::NeedsSignIn {
            profile: profile_id.to_string(),
            why: Some("the profile says oauth2 but names no provider".into()),
        }
        .into()
    })
}

/// Opens the profile's transport: an authenticated SMTP session, or its folder.
/// `session`: a password typed this session, the keyring's fallback.
pub fn open(
    dirs: &Dirs,
    profile: &Profile,
    session: Option<&Password>,
) -> Result<Box<dyn Transport>, Error> {
    match &profile.server {
        Server::Folder { path } => Ok(Box::new(FolderTransport::new(path.clone()))),
        Server::Smtp(server) => Ok(Box::new(session_for(dirs, profile, server, session)?)),
    }
}

/// Logs in to `server`. An access token the server turns down is refreshed once and
/// tried again; turned down again, it is a sign-in the person must redo.
pub fn session_for(
    dirs: &Dirs,
    profile: &Profile,
    server: &SmtpServer,
    session: Option<&Password>,
) -> Result<SmtpSession, Error> {
    let login = Login::of(dirs, &profile.id, server, session)?;
    match SmtpSession::open(server, login.as_ref()) {
        Err(SendError::TokenRefused(_)) if server.auth == Auth::OAuth2 => {
            let refused = login.as_ref().map(|l| &l.password);
            let settings = oauth2_settings(&profile.id, server)?;
            let token = tokens::access_token(dirs, &profile.id, settings, refused)?;
            let retry = login.map(|l| Login {
                password: token,
                ..l
            });
            SmtpSession::open(server, retry.as_ref()).map_err(|e| match e {
                SendError::TokenRefused(_) => OAuthError::NeedsSignIn {
                    profile: profile.id.clone(),
                    why: Some(e.to_string()),
                }
                .into(),
                other => other.into(),
            })
        }
        other => Ok(other?),
    }
}
