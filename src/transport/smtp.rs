//! SMTP over rustls, one conversation step at a time (lettre's `SmtpConnection`), so
//! that every step's failure is reported with the server's words and nothing is sent
//! that the profile did not ask for.
//!
//! - `tls`: implicit TLS from the first byte; `starttls`: STARTTLS is required, and a
//!   server that does not offer it is refused (no downgrade); `plain`: only when the
//!   profile says so.
//! - Certificates are checked against the system's roots plus the profile's `ca_file`.
//!   A self-signed server is trusted only by pinning its certificate's SHA-256, checked
//!   before anything else (AUTH, the message) is sent.
//! - The server's `SIZE` is honoured: a message over it fails before upload. The upload
//!   itself is BDAT when the server offers CHUNKING, else DATA ([`super::upload`]). A
//!   message to one recipient that fits one chunk goes with its envelope in one write
//!   when the server also offers PIPELINING: one round trip a message.
//! - A recipient the server refuses fails the whole send (after `RSET`), naming every
//!   refused address, so nobody gets the message twice once the address is fixed.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::commands::{Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};

use super::credentials::{Login, LoginKind};
use super::error::TokenRefusal;
use super::smtp_reply::{reply_of, response_text, step_error};
use super::smtp_sasl;
use super::smtp_tls::{
    check_pin, is_untrusted_certificate, probe_fingerprint, secured, tls_parameters,
};
use super::upload::{BDAT_CHUNK, Bdat, upload};
use super::{Accepted, Reply, SendError, Stage, Transport};

pub use super::smtp_tls::{fingerprint, normalize_fingerprint};
use crate::profile::secret::Password;
use crate::profile::{Security, SmtpServer};

/// What the server said while the session was set up, for `profile test`.
#[derive(Debug, Clone, Default)]
pub struct Greeting {
    /// The EHLO reply's lines after TLS (the capabilities).
    pub capabilities: Vec<String>,
    pub encrypted: bool,
    /// `Some` when AUTH ran: the server's reply to it.
    pub login_reply: Option<String>,
    pub size_limit: Option<usize>,
}

/// An open, authenticated SMTP session.
pub struct SmtpSession {
    conn: SmtpConnection,
    server: String,
    greeting: Greeting,
}

impl SmtpSession {
    /// Connects, secures the connection as the profile says, reads the capabilities and
    /// logs in when a password is given.
    pub fn open(profile: &SmtpServer, login: Option<&Login>) -> Result<Self, SendError> {
        let server = profile.address();
        // An address literal, as Thunderbird sends: not the machine's host name.
        let hello = ClientId::Ipv4(std::net::Ipv4Addr::LOCALHOST);
        let timeout = Some(Duration::from_secs(profile.timeout_secs.max(1)));
        let tls = match profile.security {
            Security::Plain => None,
            Security::Tls | Security::Starttls => Some(tls_parameters(profile, &server)?),
        };
        let mut conn = match secured(profile, tls.as_ref(), &server, &hello, timeout) {
            Err(SendError::Tls { detail, .. })
                if profile.pin_sha256.is_none() && is_untrusted_certificate(&detail) =>
            {
                return Err(SendError::UntrustedCertificate {
                    fingerprint: probe_fingerprint(profile, &server, &hello, timeout),
                    server,
                    detail,
                });
            }
            other => other?,
        };
        if let Some(expected) = &profile.pin_sha256 {
            check_pin(&conn, &server, expected)?;
        }
        let capabilities = capabilities(&mut conn, &server, &hello)?;
        let mut session = Self {
            greeting: Greeting {
                size_limit: size_limit(&capabilities),
                capabilities,
                encrypted: conn.is_encrypted(),
                login_reply: None,
            },
            conn,
            server,
        };
        match login {
            Some(login) if login.kind == LoginKind::Bearer => {
                session.bearer_login(&login.user, &login.password, profile)?
            }
            Some(login) => session.login(&login.user, &login.password)?,
            None => {}
        }
        Ok(session)
    }

    pub fn greeting(&self) -> &Greeting {
        &self.greeting
    }

    fn login(&mut self, user: &str, password: &Password) -> Result<(), SendError> {
        let credentials = Credentials::new(user.to_string(), password.expose().to_string());
        let refused = |reason: String, reply: Option<Reply>| SendError::Login {
            server: self.server.clone(),
            user: user.to_string(),
            reason,
            reply,
        };
        if !self
            .conn
            .server_info()
            .supports_feature(Extension::Authentication(Mechanism::Plain))
            && !self
                .conn
                .server_info()
                .supports_feature(Extension::Authentication(Mechanism::Login))
        {
            let hint = if self.greeting.encrypted {
                ""
            } else {
                " on an unencrypted connection"
            };
            return Err(refused(
                format!("it offers no AUTH PLAIN or LOGIN{hint}"),
                None,
            ));
        }
        match self
            .conn
            .auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
        {
            Ok(response) => {
                self.greeting.login_reply = Some(response_text(&response));
                Ok(())
            }
            Err(e) => match reply_of(&e) {
                Some(reply) => Err(refused(reply.to_string(), Some(reply))),
                None => Err(step_error(&self.server, Stage::Login, e)),
            },
        }
    }

    /// AUTH with an OAuth2 access token ([`super::smtp_sasl`]).
    fn bearer_login(
        &mut self,
        user: &str,
        token: &Password,
        profile: &SmtpServer,
    ) -> Result<(), SendError> {
        let Some(mechanism) = smtp_sasl::mechanism(&self.greeting.capabilities) else {
            return Err(SendError::Login {
                server: self.server.clone(),
                user: user.to_string(),
                reason: "it offers neither OAUTHBEARER nor XOAUTH2 sign-in".into(),
                reply: None,
            });
        };
        let (answer, status) = smtp_sasl::authenticate(
            &mut self.conn,
            mechanism,
            user,
            token.expose(),
            &profile.host,
            profile.port,
        );
        let refused = |reason: String, reply: Option<Reply>| {
            SendError::TokenRefused(Box::new(TokenRefusal {
                server: self.server.clone(),
                user: user.to_string(),
                status: status.clone(),
                reason,
                reply,
            }))
        };
        match answer {
            Ok(response) if response.has_code(235) => {
                self.greeting.login_reply = Some(response_text(&response));
                Ok(())
            }
            Ok(response) => Err(refused(response_text(&response), None)),
            Err(e) => match reply_of(&e) {
                Some(reply) => Err(refused(reply.to_string(), Some(reply))),
                None => Err(step_error(&self.server, Stage::Login, e)),
            },
        }
    }

    /// Whether the server's EHLO lists `keyword` (with or without parameters).
    fn offers(&self, keyword: &str) -> bool {
        self.greeting.capabilities.iter().any(|line| {
            line.split_whitespace()
                .next()
                .is_some_and(|word| word.eq_ignore_ascii_case(keyword))
        })
    }

    fn mail_parameters(
        &self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Vec<MailParameter>, SendError> {
        let info = self.conn.server_info();
        let unsupported = |feature: &str| SendError::Unsupported {
            server: self.server.clone(),
            feature: feature.to_string(),
        };
        let mut parameters = Vec::new();
        if self.offers("SIZE") {
            parameters.push(MailParameter::Size(message.len()));
        }
        if !message.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(unsupported("8BITMIME"));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let non_ascii = |a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii();
        if envelope.from().is_some_and(non_ascii) || envelope.to().iter().any(non_ascii) {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(unsupported("SMTPUTF8 (international addresses)"));
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        Ok(parameters)
    }

    /// MAIL FROM and every RCPT TO in one write (RFC 2920 PIPELINING), then their
    /// replies in order: one round trip instead of one a command. Returns the refused
    /// recipients; every reply is read, even after a refused MAIL FROM, to stay in step.
    fn envelope_pipelined(
        &mut self,
        mail: Mail,
        envelope: &Envelope,
    ) -> Result<Vec<(String, Reply)>, SendError> {
        let mut commands = mail.to_string();
        for to in envelope.to() {
            commands.push_str(&Rcpt::new(to.clone(), vec![]).to_string());
        }
        let sender = match self.conn.command(&commands) {
            // No reply at all: the conversation is over, there are no more to read.
            Err(e) if reply_of(&e).is_none() => {
                return Err(step_error(&self.server, Stage::Sender, e));
            }
            replied => replied,
        };
        let mut refused = Vec::new();
        for to in envelope.to() {
            if let Err(e) = self.conn.read_response() {
                match reply_of(&e) {
                    Some(reply) => refused.push((to.to_string(), reply)),
                    // It hung up after refusing the sender (421): that refusal is the news.
                    None if sender.is_err() => break,
                    None => return Err(step_error(&self.server, Stage::Recipient, e)),
                }
            }
        }
        sender.map_err(|e| step_error(&self.server, Stage::Sender, e))?;
        Ok(refused)
    }

    /// MAIL FROM, the one RCPT TO and the whole message as `BDAT <size> LAST`, in one
    /// write (RFC 2920 PIPELINING with RFC 3030 CHUNKING), then the three replies: one
    /// round trip for the message instead of two. Only for one recipient, so that a
    /// refused recipient still means nobody has the message. Once it is written, the
    /// server has all of it: silence in place of any reply is silence after the message.
    fn send_in_one_round_trip(
        &mut self,
        mail: Mail,
        to: &lettre::Address,
        text: &str,
        uploaded: &mut dyn FnMut(usize),
    ) -> Result<Accepted, SendError> {
        let commands = format!(
            "{mail}{}{}",
            Rcpt::new(to.clone(), vec![]),
            Bdat {
                chunk: text,
                last: true
            }
        );
        uploaded(0);
        let silent = |server: &str, e| step_error(server, Stage::Message, e);
        let sender = self.conn.command(&commands);
        if let Err(e) = sender {
            if reply_of(&e).is_none() {
                return Err(silent(&self.server, e));
            }
            // Refused: the recipient's and the message's replies follow (both refusals).
            let _ = self.conn.read_response();
            let _ = self.conn.read_response();
            return Err(step_error(&self.server, Stage::Sender, e));
        }
        if let Err(e) = self.conn.read_response() {
            let Some(reply) = reply_of(&e) else {
                return Err(silent(&self.server, e));
            };
            let _ = self.conn.read_response();
            let _ = self.conn.command(Rset);
            return Err(SendError::RecipientsRefused {
                server: self.server.clone(),
                rejected: vec![(to.to_string(), reply)],
            });
        }
        let response = self
            .conn
            .read_response()
            .map_err(|e| silent(&self.server, e))?;
        uploaded(text.len());
        Ok(Accepted {
            reply: response_text(&response),
        })
    }

    fn refused_recipients(
        &mut self,
        envelope: &Envelope,
    ) -> Result<Vec<(String, Reply)>, SendError> {
        let mut refused = Vec::new();
        for to in envelope.to() {
            if let Err(e) = self.conn.command(Rcpt::new(to.clone(), vec![])) {
                match reply_of(&e) {
                    Some(reply) => refused.push((to.to_string(), reply)),
                    None => return Err(step_error(&self.server, Stage::Recipient, e)),
                }
            }
        }
        Ok(refused)
    }
}

impl Transport for SmtpSession {
    fn size_limit(&self) -> Option<u64> {
        self.greeting.size_limit.map(|limit| limit as u64)
    }

    fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<Accepted, SendError> {
        self.send_reporting(envelope, message, &mut |_| {})
    }

    fn send_reporting(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
        uploaded: &mut dyn FnMut(usize),
    ) -> Result<Accepted, SendError> {
        if let Some(limit) = self
            .greeting
            .size_limit
            .filter(|limit| message.len() > *limit)
        {
            return Err(SendError::TooLarge {
                server: self.server.clone(),
                size: message.len(),
                limit,
            });
        }
        let parameters = self.mail_parameters(envelope, message)?;
        let mail = Mail::new(envelope.from().cloned(), parameters);
        if let (true, [to], Ok(text)) = (
            self.offers("PIPELINING") && self.offers("CHUNKING") && message.len() <= BDAT_CHUNK,
            envelope.to(),
            std::str::from_utf8(message),
        ) {
            return self.send_in_one_round_trip(mail, to, text, uploaded);
        }
        let refused = if self.offers("PIPELINING") {
            self.envelope_pipelined(mail, envelope)?
        } else {
            self.conn
                .command(mail)
                .map_err(|e| step_error(&self.server, Stage::Sender, e))?;
            self.refused_recipients(envelope)?
        };
        if !refused.is_empty() {
            let _ = self.conn.command(Rset);
            return Err(SendError::RecipientsRefused {
                server: self.server.clone(),
                rejected: refused,
            });
        }
        let chunking = self.offers("CHUNKING");
        let response = upload(&mut self.conn, message, chunking, uploaded)
            .map_err(|(stage, e)| step_error(&self.server, stage, e))?;
        Ok(Accepted {
            reply: response_text(&response),
        })
    }

    fn close(&mut self) {
        let _ = self.conn.quit();
    }
}

/// Sends EHLO once more to read the whole capability list (lettre keeps only the
/// features it uses; SIZE is not among them).
fn capabilities(
    conn: &mut SmtpConnection,
    server: &str,
    hello: &ClientId,
) -> Result<Vec<String>, SendError> {
    let response = conn
        .command(Ehlo::new(hello.clone()))
        .map_err(|e| step_error(server, Stage::Greeting, e))?;
    Ok(response.message().skip(1).map(str::to_string).collect())
}

fn size_limit(capabilities: &[String]) -> Option<usize> {
    capabilities.iter().find_map(|line| {
        let mut words = line.split_whitespace();
        let keyword = words.next()?;
        if !keyword.eq_ignore_ascii_case("SIZE") {
            return None;
        }
        words
            .next()?
            .parse::<usize>()
            .ok()
            .filter(|limit| *limit > 0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_size_limit_from_the_capabilities() {
        let caps = vec!["PIPELINING".to_string(), "SIZE 41943040".to_string()];
        assert_eq!(size_limit(&caps), Some(41_943_040));
        assert_eq!(size_limit(&["SIZE".to_string()]), None);
    }
}
