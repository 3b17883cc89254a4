//! The IMAP flags of `profile add` and `profile edit`: where the copy of each sent
//! message is filed, and whether drafts are kept there too.

use clap::Args;

use crate::error::Error;
use crate::profile::{ImapSettings, SentCopy, SmtpServer};
use crate::profile::{Security, imap};

#[derive(Debug, Clone, Default, Args)]
pub struct ImapArgs {
    /// The IMAP server that keeps the Sent folder, e.g. imap.example.org (with --email:
    /// what detection found).
    #[arg(long)]
    imap_host: Option<String>,
    /// tls (implicit, 993) or starttls (143). Default: tls.
    #[arg(long)]
    imap_security: Option<Security>,
    /// Default: the usual port for --imap-security.
    #[arg(long)]
    imap_port: Option<u16>,
    /// The IMAP login name (default: the SMTP username).
    #[arg(long)]
    imap_user: Option<String>,
    /// Trust exactly the IMAP server certificate with this SHA-256 fingerprint
    /// (self-signed servers; "" removes the pin).
    #[arg(long)]
    imap_pin_sha256: Option<String>,
    /// The folder sent messages are filed in (default: the one the server marks \Sent;
    /// "" goes back to that).
    #[arg(long)]
    sent_folder: Option<String>,
    /// Who files a copy of each sent message in Sent: upload (Mailroom), provider (the
    /// provider does it itself, as Gmail and Microsoft 365 do), off.
    #[arg(long)]
    sent_copy: Option<SentCopy>,
    /// Keep each draft in the server's Drafts folder too, so the phone shows it.
    #[arg(long, conflicts_with = "no_server_drafts")]
    server_drafts: bool,
    /// Drafts stay on this computer only (the default).
    #[arg(long)]
    no_server_drafts: bool,
    /// No IMAP server: sent messages are kept in sent/ only.
    #[arg(long, conflicts_with_all = ["imap_host", "imap_security", "imap_port", "imap_user", "imap_pin_sha256", "sent_folder", "sent_copy", "server_drafts"])]
    no_imap: bool,
}

impl ImapArgs {
    pub fn is_empty(&self) -> bool {
        self.imap_host.is_none()
            && self.imap_security.is_none()
            && self.imap_port.is_none()
            && self.imap_user.is_none()
            && self.imap_pin_sha256.is_none()
            && self.sent_folder.is_none()
            && self.sent_copy.is_none()
            && !self.server_drafts
            && !self.no_server_drafts
            && !self.no_imap
    }

    /// Applies the flags to `smtp`'s IMAP settings (made by `--imap-host` when there are
    /// none yet).
    pub fn apply(&self, profile_id: &str, smtp: &mut SmtpServer) -> Result<(), Error> {
        if self.no_imap {
            smtp.imap = None;
            return Ok(());
        }
        if self.imap_security == Some(Security::Plain) {
            return Err(bad(
                "--imap-security",
                "Mailroom never logs in to IMAP unencrypted: give tls or starttls",
            ));
        }
        let settings = match (smtp.imap.take(), &self.imap_host) {
            (Some(mut existing), Some(host)) => {
                existing.host = host.clone();
                existing
            }
            (Some(existing), None) => existing,
            (None, Some(host)) => Box::new(ImapSettings::new(
                host,
                self.imap_security.unwrap_or(Security::Tls),
            )),
            (None, None) if self.is_empty() => return Ok(()),
            (None, None) => {
                return Err(bad(
                    "--imap-host",
                    &format!("profile \"{profile_id}\" has no IMAP server yet: give --imap-host"),
                ));
            }
        };
        let mut settings = settings;
        if let Some(security) = self.imap_security {
            if security != settings.security && self.imap_port.is_none() {
                settings.port = imap::default_port(security);
            }
            settings.security = security;
        }
        if let Some(port) = self.imap_port {
            settings.port = port;
        }
        if let Some(user) = &self.imap_user {
            settings.username = Some(user.clone()).filter(|u| !u.is_empty());
        }
        if let Some(pin) = &self.imap_pin_sha256 {
            let pin = crate::transport::smtp::normalize_fingerprint(pin);
            if !pin.is_empty() && pin.len() != 64 {
                return Err(bad(
                    "--imap-pin-sha256",
                    "a SHA-256 fingerprint is 64 hex digits (as `openssl x509 -fingerprint -sha256` prints it)",
                ));
            }
            settings.pin_sha256 = Some(pin).filter(|p| !p.is_empty());
        }
        if let Some(folder) = &self.sent_folder {
            settings.sent_folder = Some(folder.clone()).filter(|f| !f.is_empty());
        }
        if let Some(copy) = self.sent_copy {
            settings.sent_copy = copy;
        }
        if self.server_drafts || self.no_server_drafts {
            settings.server_drafts = self.server_drafts;
        }
        smtp.imap = Some(settings);
        Ok(())
    }
}

pub(super) fn bad(flag: &str, why: &str) -> Error {
    Error::Argument {
        what: flag.to_string(),
        why: why.to_string(),
    }
}
