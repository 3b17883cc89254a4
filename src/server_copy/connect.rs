//! From a profile to a logged-in IMAP session and its Sent folder: the same secret as
//! the profile's SMTP login ([`crate::transport::login::Login`]: `password_command`,
//! keyring, or OAuth2 access token), the IMAP username when the profile has one, the
//! SMTP server's extra CA file and timeout. An access token the IMAP server turns down is
//! refreshed once and tried again, as for SMTP.

use std::time::Duration;

use secrecy::SecretString;

use crate::error::Error;
use crate::imap::{Auth, FoundBy, ImapError, ImapServer, Session};
use crate::oauth::{OAuthError, tokens};
use crate::paths::Dirs;
use crate::profile::secret::Password;
use crate::profile::{Auth as ProfileAuth, ImapSettings, Profile, Server, SmtpServer};
use crate::transport::login::{Login, LoginKind};

/// The folder copies go to, and how it was chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentFolder {
    pub name: String,
    /// "found by SPECIAL-USE", "found by its name", "set in the profile".
    pub how: &'static str,
}

/// Why a profile's IMAP server could not be used.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("profile \"{0}\" has no IMAP server")]
    NoImap(String),
    #[error(
        "found no Sent folder on the IMAP server {server} (no folder is marked \\Sent): name one with `mailroom profile edit {profile} --sent-folder NAME`"
    )]
    NoSentFolder { server: String, profile: String },
    #[error(
        "profile \"{0}\" logs in to SMTP without a password, and an IMAP server needs one: give it a username and password"
    )]
    NoLogin(String),
    #[error("found no Drafts folder on the IMAP server {server} (no folder is marked \\Drafts)")]
    NoDraftsFolder { server: String },
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Login(#[from] Box<Error>),
}

impl OpenError {
    /// Whether trying again later may help without the person doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            OpenError::Imap(e) => transient_imap(e),
            // No password yet, a sign-in to redo: the person may fix it meanwhile.
            OpenError::Login(_) => true,
            OpenError::NoImap(_)
            | OpenError::NoLogin(_)
            | OpenError::NoSentFolder { .. }
            | OpenError::NoDraftsFolder { .. } => false,
        }
    }
}

/// Network trouble and a server that is busy or away are worth trying again; a refused
/// login too (the password may be changed in the keyring meanwhile) — backoff keeps it
/// quiet.
pub(super) fn transient_imap(e: &ImapError) -> bool {
    match e {
        ImapError::Connect { .. }
        | ImapError::Network { .. }
        | ImapError::Bye { .. }
        // out of step with the server: a fresh connection next time
        | ImapError::Protocol { .. }
        | ImapError::LoginRefused { .. }
        | ImapError::Tls { .. } => true,
        ImapError::Refused { words, .. } => {
            let upper = words.to_ascii_uppercase();
            [
                "[UNAVAILABLE]",
                "[INUSE]",
                "[OVERQUOTA]",
                "[LIMIT]",
                "[SERVERBUG]",
            ]
            .iter()
            .any(|code| upper.contains(code))
        }
        _ => false,
    }
}

/// Whether the profile's IMAP server is trusted by a pinned certificate.
pub fn connect_pinned(profile: &Profile) -> bool {
    imap_of(profile).is_some_and(|(_, imap)| imap.pin_sha256.is_some())
}

/// The profile's SMTP and IMAP settings, when it has an IMAP server.
pub(crate) fn imap_of(profile: &Profile) -> Option<(&SmtpServer, &ImapSettings)> {
    match &profile.server {
        Server::Smtp(smtp) => smtp.imap.as_deref().map(|imap| (smtp, imap)),
        Server::Folder { .. } => None,
    }
}

/// Connects, secures, logs in and finds the Sent folder. `typed`: a password typed
/// this session, the keyring's fallback (as for SMTP).
pub fn open(
    dirs: &Dirs,
    profile: &Profile,
    typed: Option<&Password>,
) -> Result<(Session, SentFolder), OpenError> {
    let mut session = login(dirs, profile, typed)?;
    let (_, imap) = imap_of(profile).ok_or_else(|| OpenError::NoImap(profile.id.clone()))?;
    let folder = sent_folder(&mut session, imap, &profile.id)?;
    Ok((session, folder))
}

/// The folder the server marks `\Drafts`.
pub(super) fn drafts_folder(session: &mut Session) -> Result<String, OpenError> {
    let folders = session.special_folders()?;
    folders
        .drafts
        .map(|f| f.name)
        .ok_or_else(|| OpenError::NoDraftsFolder {
            server: session.server().to_string(),
        })
}

/// Connects, secures and logs in.
pub(super) fn login(
    dirs: &Dirs,
    profile: &Profile,
    typed: Option<&Password>,
) -> Result<Session, OpenError> {
    let (smtp, imap) = imap_of(profile).ok_or_else(|| OpenError::NoImap(profile.id.clone()))?;
    let server = ImapServer {
        host: imap.host.clone(),
        port: imap.port,
        security: imap.security,
        ca_file: smtp.ca_file.clone(),
        pin_sha256: imap.pin_sha256.clone(),
        timeout: Duration::from_secs(smtp.timeout_secs.max(1)),
    };
    let mut session = Session::connect(&server)?;
    let login = Login::of(dirs, &profile.id, smtp, typed)
        .map_err(Box::new)?
        .ok_or_else(|| OpenError::NoLogin(profile.id.clone()))?;
    let user = imap
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| login.user.clone());
    match session.login(&auth(&user, &login)) {
        Err(ImapError::LoginRefused { .. }) if smtp.auth == ProfileAuth::OAuth2 => {
            let settings = smtp.oauth2.as_deref().ok_or_else(|| {
                Box::new(Error::from(OAuthError::NeedsSignIn {
                    profile: profile.id.clone(),
                    why: Some("the profile says oauth2 but names no provider".into()),
                }))
            })?;
            let token = tokens::access_token(dirs, &profile.id, settings, Some(&login.password))
                .map_err(Box::new)?;
            // A fresh connection: a server may close one after a refused login.
            session = Session::connect(&server)?;
            let retry = Login {
                password: token,
                ..login
            };
            session.login(&auth(&user, &retry))?;
        }
        other => other?,
    }
    Ok(session)
}

fn auth(user: &str, login: &Login) -> Auth {
    let secret = SecretString::from(login.password.expose().to_string());
    match login.kind {
        LoginKind::Password => Auth::Password {
            user: user.to_string(),
            password: secret,
        },
        LoginKind::Bearer => Auth::OAuth2 {
            user: user.to_string(),
            token: secret,
            mechanism: None,
        },
    }
}

fn sent_folder(
    session: &mut Session,
    imap: &ImapSettings,
    profile: &str,
) -> Result<SentFolder, OpenError> {
    if let Some(name) = imap.sent_folder.clone().filter(|n| !n.is_empty()) {
        return Ok(SentFolder {
            name,
            how: "set in the profile",
        });
    }
    let folders = session.special_folders()?;
    let sent = folders.sent.ok_or_else(|| OpenError::NoSentFolder {
        server: session.server().to_string(),
        profile: profile.to_string(),
    })?;
    Ok(SentFolder {
        name: sent.name,
        how: match sent.found_by {
            FoundBy::SpecialUse => "found by SPECIAL-USE",
            FoundBy::Name => "found by its name",
        },
    })
}
