//! Accounts: where a message goes and as whom.
//!
//! A [`Profile`] is either an SMTP account or a folder that receives `.eml` files (the
//! `local` profile Mailroom creates on first run, so a newcomer can compose and "send"
//! before any account exists). Profiles live in `profiles.toml` ([`store`]); passwords
//! never do — they live in the OS keyring ([`secret`]) or come from a `password_command`.

pub mod imap;
pub mod secret;
pub mod store;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use imap::{ImapSettings, SentCopy};
pub use store::{ProfileError, Profiles};

/// The name of the profile created on first run.
pub const LOCAL_PROFILE: &str = "local";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    pub id: String,
    /// The identity messages are sent as, e.g. `Me <me@example.org>`.
    pub from: String,
    #[serde(flatten)]
    pub server: Server,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Server {
    Smtp(SmtpServer),
    /// Writes each message as a `.eml` file into `path`; delivers nowhere.
    Folder {
        path: PathBuf,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmtpServer {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub auth: Auth,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A command whose standard output is the password (as msmtp's `passwordeval`),
    /// e.g. `pass show mail/work`; used instead of the keyring when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_command: Option<String>,
    /// An extra CA certificate (PEM) to trust besides the system's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Trust exactly this server certificate (SHA-256 of its DER, hex), for self-signed
    /// servers; the chain is then not checked, the fingerprint is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_sha256: Option<String>,
    /// With `auth = "oauth2"`: whom to sign in with ([`crate::oauth`]); the tokens live
    /// in the keyring.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth2: Option<Box<OAuth2>>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Where sent messages are filed on the server ([`imap`]); none: only in `sent/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<Box<ImapSettings>>,
}

fn default_timeout() -> u64 {
    60
}

impl SmtpServer {
    /// A server with the usual port for `security` and the default timeout.
    pub fn new(host: impl Into<String>, security: Security, auth: Auth) -> Self {
        Self {
            host: host.into(),
            port: security.default_port(),
            security,
            auth,
            username: None,
            password_command: None,
            ca_file: None,
            pin_sha256: None,
            oauth2: None,
            timeout_secs: default_timeout(),
            imap: None,
        }
    }

    /// `host:port` as people write it.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS from the first byte (port 465).
    Tls,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    Starttls,
    /// No encryption at all: only when the profile says so.
    Plain,
}

impl Security {
    pub fn default_port(self) -> u16 {
        match self {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::Plain => 25,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Security::Tls => "TLS",
            Security::Starttls => "STARTTLS",
            Security::Plain => "UNENCRYPTED",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    None,
    Password,
    /// Signed in through the browser; XOAUTH2 or OAUTHBEARER with an access token.
    #[serde(rename = "oauth2")]
    OAuth2,
}

/// Whom a profile signs in with: a provider Mailroom knows (`microsoft`, `google`:
/// `assets/oauth2-providers.toml`) or any OpenID Connect `issuer` (its endpoints found
/// by discovery). Nothing secret is here: tokens live in the keyring.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuth2 {
    /// `microsoft`, `google`, or `oidc` (with `issuer`).
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// This installation's client id; default: the one built in for the provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The client secret that comes with a desktop client id where the provider issues
    /// one (Google's "Desktop app" clients need it at the token endpoint). It is not the
    /// person's secret: Google documents it as not confidential for installed apps, where
    /// it ships inside every copy. Default: the one built in with the client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Scopes asked for instead of the provider's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

/// Written out by hand: the client secret is shown as present or not, never as text.
impl std::fmt::Debug for OAuth2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuth2")
            .field("provider", &self.provider)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl std::str::FromStr for Security {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "tls" | "ssl" => Ok(Self::Tls),
            "starttls" => Ok(Self::Starttls),
            "plain" | "none" => Ok(Self::Plain),
            _ => Err(format!("\"{text}\" is not one of tls, starttls, plain")),
        }
    }
}

impl std::str::FromStr for Auth {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "none" => Ok(Self::None),
            "password" => Ok(Self::Password),
            "oauth2" => Ok(Self::OAuth2),
            _ => Err(format!("\"{text}\" is not one of none, password, oauth2")),
        }
    }
}

impl Profile {
    /// The out-of-the-box profile: writes `.eml` files into `folder`.
    pub fn local(folder: PathBuf) -> Self {
        Self {
            id: LOCAL_PROFILE.to_string(),
            from: "Me <me@localhost>".to_string(),
            server: Server::Folder { path: folder },
        }
    }

    /// One line for listings: where messages go and how.
    pub fn summary(&self) -> String {
        match &self.server {
            Server::Smtp(s) => {
                let auth = match (s.auth, &s.username) {
                    (Auth::Password, Some(user)) => format!(", as {user}"),
                    (Auth::Password, None) => ", with password".to_string(),
                    (Auth::OAuth2, Some(user)) => format!(", as {user}, OAuth2 sign-in"),
                    (Auth::OAuth2, None) => ", OAuth2 sign-in".to_string(),
                    (Auth::None, _) => String::new(),
                };
                let imap = match &s.imap {
                    Some(imap) => format!(
                        "; imap {} ({}, {}{})",
                        imap.address(),
                        imap.security.describe(),
                        imap.sent_copy.describe(),
                        if imap.server_drafts {
                            ", drafts kept there too"
                        } else {
                            ""
                        }
                    ),
                    None => String::new(),
                };
                format!(
                    "smtp {} ({}{auth}){imap}",
                    s.address(),
                    s.security.describe()
                )
            }
            Server::Folder { path } => {
                format!(
                    "folder {} (delivers nowhere: writes .eml files)",
                    path.display()
                )
            }
        }
    }
}
