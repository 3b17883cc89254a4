//! A profile's IMAP server: where the copy of each sent message is filed
//! ([`crate::server_copy`]). It logs in as the SMTP server does — the same password
//! (keyring or `password_command`) or the same OAuth2 sign-in — under its own username
//! when it has one, else the SMTP username.

use serde::{Deserialize, Serialize};

use super::Security;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    /// `tls` (993) or `starttls` (143): Mailroom never logs in to IMAP unencrypted.
    pub security: Security,
    /// Default: the SMTP username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Trust exactly this certificate (SHA-256 of its DER, hex), for a self-signed IMAP
    /// server, as `pin_sha256` does for SMTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_sha256: Option<String>,
    /// The folder to file sent messages in, instead of the one the server marks `\Sent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_folder: Option<String>,
    /// Who puts a copy of each sent message in the Sent folder.
    #[serde(default)]
    pub sent_copy: SentCopy,
    /// Keep a copy of each draft in the server's `\Drafts` folder
    /// ([`crate::server_copy::drafts`]).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub server_drafts: bool,
}

/// Who files the copy of a sent message on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SentCopy {
    /// Mailroom APPENDs it to the Sent folder after the server's 250.
    #[default]
    Upload,
    /// The provider files what it accepts by itself (Gmail, Microsoft 365): Mailroom
    /// adds none, or there would be two.
    Provider,
    /// No copy on the server (the local one in `sent/` stays).
    Off,
}

impl SentCopy {
    pub fn describe(self) -> &'static str {
        match self {
            SentCopy::Upload => "Mailroom files a copy in Sent",
            SentCopy::Provider => "the provider files sent mail itself",
            SentCopy::Off => "no copy on the server",
        }
    }
}

impl std::str::FromStr for SentCopy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "upload" => Ok(Self::Upload),
            "provider" => Ok(Self::Provider),
            "off" => Ok(Self::Off),
            _ => Err(format!("\"{text}\" is not one of upload, provider, off")),
        }
    }
}

impl ImapSettings {
    /// A server with the usual port for `security` (993 or 143).
    pub fn new(host: impl Into<String>, security: Security) -> Self {
        Self {
            host: host.into(),
            port: default_port(security),
            security,
            username: None,
            pin_sha256: None,
            sent_folder: None,
            sent_copy: SentCopy::default(),
            server_drafts: false,
        }
    }

    /// `host:port` as people write it.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// Whether Mailroom itself files the copy of each sent message here.
    pub fn uploads_sent_copies(&self) -> bool {
        self.sent_copy == SentCopy::Upload
    }
}

/// 993 for implicit TLS, 143 otherwise.
pub fn default_port(security: Security) -> u16 {
    match security {
        Security::Tls => 993,
        Security::Starttls | Security::Plain => 143,
    }
}
