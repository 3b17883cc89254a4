//! The send core: a profile and a draft in, a delivered message (or a classified error)
//! out. The CLI calls it today; the GUI's worker and the outbox call the same functions.

use crate::error::Error;
use crate::message::{self, BuiltMessage, Draft};
use crate::profile::secret::{self, Password};
use crate::profile::{Auth, Profile, Server, SmtpServer};
use crate::transport::folder::FolderTransport;
use crate::transport::smtp::SmtpSession;
use crate::transport::{Accepted, Transport};

/// Builds the message a draft describes, with the profile's identity as the default From.
pub fn build(profile: &Profile, draft: &Draft) -> Result<BuiltMessage, Error> {
    Ok(message::build(draft, &profile.from)?)
}

/// The user name and password a profile logs in with, if it logs in at all:
/// `password_command` when set, else the keyring.
pub fn login_of(
    profile_id: &str,
    server: &SmtpServer,
) -> Result<Option<(String, Password)>, Error> {
    login_with_fallback(profile_id, server, None)
}

/// As [`login_of`], but when the keyring cannot answer (or has nothing) and the person
/// typed the password this session, that one is used (kept in memory only).
pub fn login_with_fallback(
    profile_id: &str,
    server: &SmtpServer,
    session: Option<&Password>,
) -> Result<Option<(String, Password)>, Error> {
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
    Ok(Some((user, password)))
}

/// Opens the profile's transport: an authenticated SMTP session, or its folder.
pub fn open(profile: &Profile) -> Result<Box<dyn Transport>, Error> {
    open_with(profile, None)
}

/// As [`open`], with a password typed this session as the fallback for the keyring.
pub fn open_with(
    profile: &Profile,
    session: Option<&Password>,
) -> Result<Box<dyn Transport>, Error> {
    match &profile.server {
        Server::Folder { path } => Ok(Box::new(FolderTransport::new(path.clone()))),
        Server::Smtp(server) => {
            let login = login_with_fallback(&profile.id, server, session)?;
            let login = login
                .as_ref()
                .map(|(user, password)| (user.as_str(), password));
            Ok(Box::new(SmtpSession::open(server, login)?))
        }
    }
}

/// Sends one built message through the profile, over a connection of its own.
pub fn send_now(profile: &Profile, message: &BuiltMessage) -> Result<Accepted, Error> {
    let mut transport = open(profile)?;
    let result = transport.send(message.envelope(), &message.transmitted());
    transport.close();
    Ok(result?)
}
