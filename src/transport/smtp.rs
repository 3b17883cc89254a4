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
use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Ehlo, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, Extension, MailBodyParameter, MailParameter};
use sha2::{Digest, Sha256};

use super::login::Login;
use super::upload::{BDAT_CHUNK, Bdat, upload};
use super::{Accepted, Reply, SendError, Stage, Transport};
use crate::error::display_chain as error_chain;
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
        if let Some(login) = login {
            session.login(&login.user, &login.password)?;
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

/// Connects and secures the connection as the profile says (implicit TLS, or a required
/// STARTTLS), without logging in.
fn secured(
    profile: &SmtpServer,
    tls: Option<&TlsParameters>,
    server: &str,
    hello: &ClientId,
    timeout: Option<Duration>,
) -> Result<SmtpConnection, SendError> {
    let wrapper = tls.filter(|_| profile.security == Security::Tls);
    let mut conn = SmtpConnection::connect(
        (profile.host.as_str(), profile.port),
        timeout,
        hello,
        wrapper,
        None,
    )
    .map_err(|e| connect_error(server, e))?;
    if let (Security::Starttls, Some(tls)) = (profile.security, tls) {
        if !conn.can_starttls() {
            conn.abort();
            return Err(SendError::NoStartTls {
                server: server.to_string(),
            });
        }
        conn.starttls(tls, hello)
            .map_err(|e| step_error(server, Stage::Tls, e))?;
    }
    Ok(conn)
}

/// Whether rustls refused the certificate's chain (as opposed to the handshake itself).
fn is_untrusted_certificate(detail: &str) -> bool {
    [
        "UnknownIssuer",
        "BadSignature",
        "NotValidForName",
        "Expired",
        "invalid peer certificate",
    ]
    .iter()
    .any(|sign| detail.contains(sign))
}

/// The SHA-256 of the certificate a server presents, read with a second handshake that
/// does not check its chain — so the person can compare it and pin it. Nothing is sent
/// over that connection: it is dropped right after the handshake.
fn probe_fingerprint(
    profile: &SmtpServer,
    server: &str,
    hello: &ClientId,
    timeout: Option<Duration>,
) -> Option<String> {
    let mut probe = profile.clone();
    probe.pin_sha256 = Some(String::new()); // accept any chain, as pinning does
    let tls = tls_parameters(&probe, server).ok()?;
    let mut conn = secured(&probe, Some(&tls), server, hello, timeout).ok()?;
    let der = conn.peer_certificate().ok();
    conn.abort();
    der.map(|der| fingerprint(&der))
}

fn tls_parameters(profile: &SmtpServer, server: &str) -> Result<TlsParameters, SendError> {
    let tls_error = |detail: String| SendError::Tls {
        server: server.to_string(),
        detail,
    };
    let mut builder = TlsParameters::builder(profile.host.clone());
    if let Some(path) = &profile.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            tls_error(format!(
                "could not read the CA file (--ca-file) {}: {e}",
                path.display()
            ))
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            tls_error(format!(
                "the CA file (--ca-file) {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        builder = builder.add_root_certificate(cert);
    }
    if profile.pin_sha256.is_some() {
        // The chain is not checked; `check_pin` compares the fingerprint right after the
        // handshake (whose signature rustls still verifies), before anything is sent.
        builder = builder.dangerous_accept_invalid_certs(true);
    }
    builder
        .build_rustls()
        .map_err(|e| tls_error(error_chain(&e)))
}

fn check_pin(conn: &SmtpConnection, server: &str, expected: &str) -> Result<(), SendError> {
    let der = conn.peer_certificate().map_err(|e| SendError::Tls {
        server: server.to_string(),
        detail: format!("could not read the server certificate: {}", error_chain(&e)),
    })?;
    let actual = fingerprint(&der);
    if normalize_fingerprint(expected) == actual {
        Ok(())
    } else {
        Err(SendError::PinMismatch {
            server: server.to_string(),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// SHA-256 of a DER certificate as lowercase hex, the form `pin_sha256` takes.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Accepts `AB:CD:…` (as `openssl x509 -fingerprint -sha256` prints) as well as `abcd…`.
pub fn normalize_fingerprint(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
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

fn response_text(response: &lettre::transport::smtp::response::Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
}

/// The server's numbered reply inside a lettre error, if the error is one.
fn reply_of(e: &LettreError) -> Option<Reply> {
    let code = e.status()?.to_string().parse().ok()?;
    let text = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_default();
    Some(Reply { code, text })
}

/// A socket read or write timeout: `TimedOut` on Windows, `WouldBlock` (EAGAIN) on Unix,
/// which lettre's own `is_timeout` does not count.
fn is_timeout(e: &LettreError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        {
            return true;
        }
        current = err.source();
    }
    false
}

/// lettre reports a failed handshake as a network error wrapping rustls' error.
fn is_tls_failure(e: &LettreError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let wraps_rustls = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.is::<rustls::Error>());
        if err.is::<rustls::Error>() || wraps_rustls {
            return true;
        }
        current = err.source();
    }
    e.is_tls()
}

fn connect_error(server: &str, e: LettreError) -> SendError {
    if is_tls_failure(&e) {
        return SendError::Tls {
            server: server.to_string(),
            detail: error_chain(&e),
        };
    }
    match reply_of(&e) {
        Some(reply) => SendError::Refused {
            server: server.to_string(),
            stage: Stage::Greeting,
            reply,
        },
        None => SendError::Connect {
            server: server.to_string(),
            detail: error_chain(&e),
        },
    }
}

fn step_error(server: &str, stage: Stage, e: LettreError) -> SendError {
    let server = server.to_string();
    if stage == Stage::Tls || is_tls_failure(&e) {
        return SendError::Tls {
            server,
            detail: error_chain(&e),
        };
    }
    match reply_of(&e) {
        Some(reply) => SendError::Refused {
            server,
            stage,
            reply,
        },
        None if is_timeout(&e) => SendError::Network {
            server,
            stage,
            timed_out: true,
            detail: "the server stopped answering (timed out)".into(),
        },
        None => SendError::Network {
            server,
            stage,
            timed_out: false,
            detail: error_chain(&e),
        },
    }
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

    #[test]
    fn fingerprints_compare_in_either_spelling() {
        let fp = fingerprint(b"cert");
        let colons: Vec<String> = fp
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).to_uppercase())
            .collect();
        assert_eq!(normalize_fingerprint(&colons.join(":")), fp);
        assert_eq!(fp.len(), 64);
    }
}
