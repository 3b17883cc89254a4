//! IMAP upload (issue 15): file a copy of a sent message in the server's `\Sent` folder
//! and keep drafts in `\Drafts`. Mailroom stays a composer: it connects, logs in, finds
//! the special folders, APPENDs, searches by Message-ID and removes its own drafts by
//! UID; it never downloads a mailbox.
//!
//! # What it does
//! - **TLS** as for SMTP: implicit TLS (993) or a required STARTTLS (143), never
//!   downgraded (no STARTTLS offered or refused = an error; plain IMAP is refused); trust
//!   is the system's roots (or `SSL_CERT_FILE`'s, as `rustls-native-certs` reads them)
//!   plus the profile's `ca_file`, with ring, or exactly a pinned certificate ([`tls`]).
//! - **STARTTLS injection** (issue 16, `vendor/lettre/MAILROOM-PATCH.md`): any byte the
//!   server sent after its `OK` to STARTTLS, before the handshake, refuses the
//!   connection ([`ImapError::StartTlsInjection`]); nothing more is sent on it. Every
//!   capability learnt before TLS is forgotten and asked again after it.
//! - **Login** with a password (AUTHENTICATE PLAIN, else LOGIN) or an OAuth2 access token
//!   (OAUTHBEARER, else XOAUTH2, or the one asked for), with SASL-IR when offered; a
//!   refused token's error challenge is answered (`AQ==` / an empty line) as
//!   `transport::smtp_sasl` does, and its JSON `status` reported with the server's words.
//! - **Folders**: `LIST "" "*" RETURN (SPECIAL-USE)` (RFC 6154) when the server has
//!   SPECIAL-USE, else a plain LIST whose `\Sent` / `\Drafts` attributes count too; a
//!   folder *named* like Sent ("Sent", "Sent Items", "Sent Messages", "Gesendet") only
//!   when the server has no SPECIAL-USE ([`Folders`]).
//! - **APPEND** with flags (`\Seen`) and an internal date; the `APPENDUID` when the
//!   server has UIDPLUS ([`Appended`]). **Find** by Message-ID (`UID SEARCH HEADER
//!   Message-ID`) so a retry never files twice. **Delete** own drafts by UID (`UID STORE
//!   +FLAGS.SILENT (\Deleted)` then `UID EXPUNGE`, which needs UIDPLUS).
//! - **Limits**: a line is read up to [`wire::MAX_LINE`] bytes and a literal up to
//!   [`wire::MAX_LITERAL`]; every read and write times out ([`ImapServer::timeout`]).
//!   Errors name the server (`host:port`) and quote its words ([`ImapError`]).
//!
//! # Why `imap-codec`
//! Checked with `cargo info` on Rust 1.95 (Dec 2026): `imap-codec` 2.0.0-alpha.10 (MSRV
//! 1.85; parses APPENDUID/UIDPLUS, SASL-IR, LITERAL+, any LIST attribute such as `\Sent`;
//! deps nom, chrono, base64 — no async runtime), `imap-next` 0.3.4 (the same authors'
//! state machine on top of it; its default `stream` feature brings tokio + tokio-rustls,
//! and it keeps its own read buffer, so the STARTTLS check would need its internals),
//! `imap` 3.0.0-alpha.15 (sync, but native-tls by default, `rustls-connector` with its
//! own rustls and roots, the older `imap-proto` parser, and a buffered stream across
//! STARTTLS that Mailroom cannot inspect). A sans-I/O codec fits best: Mailroom owns the
//! socket and its one read buffer ([`wire`]), so "nothing buffered after STARTTLS's OK"
//! is `buf.is_empty()`, the caps are Mailroom's, and it stays blocking like SMTP. The
//! codec decodes every server message (a line with its literals, cut out by [`wire`]);
//! the few commands Mailroom sends are written here with [`quoted`] strings and
//! literals. The version is pinned (`=`): it is an alpha.

mod folders;
mod login;
pub mod tls;
pub mod wire;

pub use folders::pick_folders;

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::profile::Security;
use wire::{Done, Message, Wire};

/// Where an IMAP server is and how to reach it.
#[derive(Debug, Clone)]
pub struct ImapServer {
    pub host: String,
    pub port: u16,
    /// `Tls` (993) or `Starttls` (143); `Plain` is refused.
    pub security: Security,
    /// A CA certificate (PEM) trusted besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// Trust exactly this certificate (SHA-256 of its DER, hex), for self-signed servers.
    pub pin_sha256: Option<String>,
    /// Each connect, read and write.
    pub timeout: Duration,
}

impl ImapServer {
    /// `host:port`, as errors name it.
    pub fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// An OAuth2 SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bearer {
    /// RFC 7628.
    OAuthBearer,
    /// Google's and Microsoft's.
    XOAuth2,
}

impl Bearer {
    pub fn name(self) -> &'static str {
        match self {
            Bearer::OAuthBearer => "OAUTHBEARER",
            Bearer::XOAuth2 => "XOAUTH2",
        }
    }
}

/// How to log in. `Debug` shows no secret.
#[derive(Debug, Clone)]
pub enum Auth {
    Password {
        user: String,
        password: SecretString,
    },
    OAuth2 {
        user: String,
        token: SecretString,
        /// `None`: OAUTHBEARER when offered, else XOAUTH2.
        mechanism: Option<Bearer>,
    },
}

/// How a folder was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoundBy {
    /// Its SPECIAL-USE attribute (`\Sent`, `\Drafts`).
    SpecialUse,
    /// Its name, on a server without SPECIAL-USE.
    Name,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folder {
    /// The name as the server spells it (modified UTF-7 left as is).
    pub name: String,
    pub found_by: FoundBy,
}

/// The special folders of a mailbox.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folders {
    pub sent: Option<Folder>,
    pub drafts: Option<Folder>,
}

/// Names taken for Sent when the server has no SPECIAL-USE, in this order.
pub const SENT_NAMES: [&str; 4] = ["Sent", "Sent Items", "Sent Messages", "Gesendet"];

/// What APPEND returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// `(UIDVALIDITY, UID)` from `[APPENDUID …]` (UIDPLUS servers).
    pub uid: Option<(u32, u32)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("could not reach the IMAP server {server}: {detail}")]
    Connect { server: String, detail: String },
    #[error("IMAP server {server}: {detail}")]
    Network { server: String, detail: String },
    #[error("TLS with the IMAP server {server} failed: {detail}")]
    Tls { server: String, detail: String },
    #[error("the IMAP server {server} does not offer STARTTLS{}; Mailroom does not log in without TLS", words.as_ref().map(|w| format!(" (it said: {w})")).unwrap_or_default())]
    NoStartTls {
        server: String,
        words: Option<String>,
    },
    #[error(
        "the IMAP server {server} sent data after its STARTTLS reply, before TLS: refusing the connection (possible STARTTLS injection)"
    )]
    StartTlsInjection { server: String },
    #[error("the IMAP server {server} refused the login ({mechanism}): {words}{}", status.as_ref().map(|s| format!(" (token status {s})")).unwrap_or_default())]
    LoginRefused {
        server: String,
        mechanism: String,
        words: String,
        /// The `status` of an OAuth2 error challenge (`invalid_token`, `401`…).
        status: Option<String>,
    },
    #[error(
        "the IMAP server {server} offers no way to log in with {wanted} (it offers: {offered})"
    )]
    NoMechanism {
        server: String,
        wanted: String,
        offered: String,
    },
    #[error("the IMAP server {server} refused {command}: {words}")]
    Refused {
        server: String,
        command: &'static str,
        words: String,
    },
    #[error("the IMAP server {server} closed the connection: {words}")]
    Bye { server: String, words: String },
    #[error("the IMAP server {server} sent something Mailroom cannot read: {detail}")]
    Protocol { server: String, detail: String },
    #[error("Mailroom cannot send this to the IMAP server {server}: {detail}")]
    Unsendable { server: String, detail: String },
}

/// A connection to an IMAP server: secured on [`Session::connect`], logged in by
/// [`Session::login`].
pub struct Session {
    wire: Wire,
    server: String,
    capabilities: Vec<String>,
    next_tag: u32,
    selected: Option<String>,
}

impl Session {
    /// Connects and secures the connection (implicit TLS or STARTTLS), reads the
    /// greeting and the capabilities; does not log in.
    pub fn connect(server: &ImapServer) -> Result<Session, ImapError> {
        let name = server.name();
        if server.security == Security::Plain {
            return Err(ImapError::Tls {
                server: name,
                detail: "IMAP without TLS is not supported".to_string(),
            });
        }
        let config =
            tls::client_config_pinned(server.ca_file.as_deref(), server.pin_sha256.as_deref())
                .map_err(|detail| ImapError::Tls {
                    server: name.clone(),
                    detail,
                })?;
        let host_name = tls::server_name(&server.host).map_err(|detail| ImapError::Tls {
            server: name.clone(),
            detail,
        })?;
        let tcp = connect_tcp(server, &name)?;
        let mut session = Session {
            wire: Wire::new(tcp, name.clone()),
            server: name.clone(),
            capabilities: Vec::new(),
            next_tag: 0,
            selected: None,
        };
        if server.security == Security::Tls {
            session.wire.upgrade(config, host_name)?;
            session.greeting()?;
        } else {
            session.greeting()?;
            session.starttls(config, host_name)?;
        }
        session.capabilities = session.capability()?;
        Ok(session)
    }

    /// `host:port`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The capabilities the server announced over TLS (upper case).
    pub fn capabilities(&self) -> &[String] {
        &self.capabilities
    }

    pub fn has(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(capability))
    }

    fn greeting(&mut self) -> Result<(), ImapError> {
        let raw = self.wire.read_raw()?;
        let text = wire::words(&raw);
        let upper = text.to_ascii_uppercase();
        if upper.starts_with("* OK") || upper.starts_with("* PREAUTH") {
            Ok(())
        } else if upper.starts_with("* BYE") {
            Err(ImapError::Bye {
                server: self.server.clone(),
                words: text,
            })
        } else {
            Err(ImapError::Protocol {
                server: self.server.clone(),
                detail: format!("not an IMAP greeting: {text:?}"),
            })
        }
    }

    fn starttls(
        &mut self,
        config: std::sync::Arc<rustls::ClientConfig>,
        name: rustls::pki_types::ServerName<'static>,
    ) -> Result<(), ImapError> {
        let plain_caps = self.capability()?;
        if !plain_caps
            .iter()
            .any(|c| c.eq_ignore_ascii_case("STARTTLS"))
        {
            self.wire.shutdown();
            return Err(ImapError::NoStartTls {
                server: self.server.clone(),
                words: None,
            });
        }
        let (_, done) = self.run("STARTTLS", b"STARTTLS")?;
        if !done.ok {
            self.wire.shutdown();
            return Err(ImapError::NoStartTls {
                server: self.server.clone(),
                words: Some(done.words),
            });
        }
        // What came after the OK came in plain text: read after the handshake it would
        // pass for the server's words through TLS. Refuse, and send nothing more.
        if !self.wire.buf.is_empty() {
            self.wire.shutdown();
            return Err(ImapError::StartTlsInjection {
                server: self.server.clone(),
            });
        }
        self.wire.upgrade(config, name)
    }

    fn capability(&mut self) -> Result<Vec<String>, ImapError> {
        let (untagged, done) = self.run("CAPABILITY", b"CAPABILITY")?;
        self.ok("CAPABILITY", done)?;
        Ok(untagged
            .into_iter()
            .filter_map(|m| match m {
                Message::Capability(c) => Some(c),
                _ => None,
            })
            .flatten()
            .map(|c| c.to_ascii_uppercase())
            .collect())
    }

    fn tag(&mut self) -> String {
        self.next_tag += 1;
        format!("M{}", self.next_tag)
    }

    /// Sends `TAG line CRLF` and reads up to the tagged completion.
    fn run(
        &mut self,
        command: &'static str,
        line: &[u8],
    ) -> Result<(Vec<Message>, Done), ImapError> {
        let tag = self.tag();
        let mut bytes = format!("{tag} ").into_bytes();
        bytes.extend_from_slice(line);
        bytes.extend_from_slice(b"\r\n");
        self.wire.write_all(&bytes)?;
        self.finish(command, &tag)
    }

    /// Reads untagged responses up to the completion of `tag`.
    fn finish(
        &mut self,
        command: &'static str,
        tag: &str,
    ) -> Result<(Vec<Message>, Done), ImapError> {
        let mut untagged = Vec::new();
        loop {
            match self.wire.read()? {
                Message::Tagged(done) if done.tag == tag => return Ok((untagged, done)),
                Message::Tagged(other) => {
                    return Err(ImapError::Protocol {
                        server: self.server.clone(),
                        detail: format!("a reply to another command during {command}: {other:?}"),
                    });
                }
                Message::Bye(words) => {
                    return Err(ImapError::Bye {
                        server: self.server.clone(),
                        words,
                    });
                }
                Message::Continue(text) => {
                    return Err(ImapError::Protocol {
                        server: self.server.clone(),
                        detail: format!("an unexpected continuation during {command}: + {text}"),
                    });
                }
                other => untagged.push(other),
            }
        }
    }

    fn ok(&self, command: &'static str, done: Done) -> Result<Done, ImapError> {
        if done.ok {
            Ok(done)
        } else {
            Err(ImapError::Refused {
                server: self.server.clone(),
                command,
                words: done.words,
            })
        }
    }

    /// A string argument (user name, password, folder, Message-ID) as a quoted string;
    /// one with control or non-ASCII characters is refused (it would need a literal,
    /// which Mailroom sends only for a message).
    fn astring(&self, text: &str) -> Result<Vec<u8>, ImapError> {
        quoted(text).ok_or_else(|| ImapError::Unsendable {
            server: self.server.clone(),
            detail: "a name or password with control or non-ASCII characters".to_string(),
        })
    }

    fn select(&mut self, mailbox: &str) -> Result<(), ImapError> {
        if self.selected.as_deref() == Some(mailbox) {
            return Ok(());
        }
        let mut line = b"SELECT ".to_vec();
        line.extend_from_slice(&self.astring(mailbox)?);
        let (_, done) = self.run("SELECT", &line)?;
        self.ok("SELECT", done)?;
        self.selected = Some(mailbox.to_string());
        Ok(())
    }

    /// APPENDs `message` (its exact bytes) to `mailbox` with `flags` (e.g. `\Seen`) and
    /// the internal date `date`.
    pub fn append(
        &mut self,
        mailbox: &str,
        message: &[u8],
        flags: &[&str],
        date: Option<&jiff::Zoned>,
    ) -> Result<Appended, ImapError> {
        if message.contains(&0) {
            return Err(ImapError::Unsendable {
                server: self.server.clone(),
                detail: "a message with a NUL byte".to_string(),
            });
        }
        let tag = self.tag();
        let mut line = format!("{tag} APPEND ").into_bytes();
        line.extend_from_slice(&self.astring(mailbox)?);
        if !flags.is_empty() {
            line.extend_from_slice(format!(" ({})", flags.join(" ")).as_bytes());
        }
        if let Some(date) = date {
            line.extend_from_slice(
                format!(" \"{}\"", date.strftime("%d-%b-%Y %H:%M:%S %z")).as_bytes(),
            );
        }
        let plus = self.has("LITERAL+");
        line.extend_from_slice(
            format!(" {{{}{}}}\r\n", message.len(), if plus { "+" } else { "" }).as_bytes(),
        );
        self.wire.write_all(&line)?;
        if !plus {
            match self.wire.read()? {
                Message::Continue(_) => {}
                Message::Tagged(done) if done.tag == tag => {
                    return Err(self.ok("APPEND", done).err().unwrap_or_else(|| {
                        ImapError::Protocol {
                            server: self.server.clone(),
                            detail: "APPEND completed before the message was sent".to_string(),
                        }
                    }));
                }
                other => {
                    return Err(ImapError::Protocol {
                        server: self.server.clone(),
                        detail: format!("expected a continuation for APPEND, got {other:?}"),
                    });
                }
            }
        }
        self.wire.write_all(message)?;
        self.wire.write_all(b"\r\n")?;
        let (_, done) = self.finish("APPEND", &tag)?;
        let done = self.ok("APPEND", done)?;
        Ok(Appended {
            uid: done.append_uid,
        })
    }

    /// The UIDs of the messages in `mailbox` whose Message-ID header contains
    /// `message_id` (give it with its angle brackets).
    pub fn find_message_id(
        &mut self,
        mailbox: &str,
        message_id: &str,
    ) -> Result<Vec<u32>, ImapError> {
        self.select(mailbox)?;
        let mut line = b"UID SEARCH HEADER Message-ID ".to_vec();
        line.extend_from_slice(&self.astring(message_id)?);
        let (untagged, done) = self.run("UID SEARCH", &line)?;
        self.ok("UID SEARCH", done)?;
        Ok(untagged
            .into_iter()
            .filter_map(|m| match m {
                Message::Search(uids) => Some(uids),
                _ => None,
            })
            .flatten()
            .collect())
    }

    /// Removes the messages `uids` from `mailbox`: flags them `\Deleted` and, on a server
    /// with UIDPLUS, expunges exactly those (`UID EXPUNGE`). Without UIDPLUS they stay
    /// flagged (a plain EXPUNGE would also remove what others flagged) and this says so.
    pub fn delete_uids(&mut self, mailbox: &str, uids: &[u32]) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        self.select(mailbox)?;
        let set: Vec<String> = uids.iter().map(u32::to_string).collect();
        let set = set.join(",");
        let (_, done) = self.run(
            "UID STORE",
            format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)").as_bytes(),
        )?;
        self.ok("UID STORE", done)?;
        if !self.has("UIDPLUS") {
            return Err(ImapError::Refused {
                server: self.server.clone(),
                command: "UID EXPUNGE",
                words:
                    "the server has no UIDPLUS: the messages are flagged \\Deleted, not expunged"
                        .to_string(),
            });
        }
        let (_, done) = self.run("UID EXPUNGE", format!("UID EXPUNGE {set}").as_bytes())?;
        self.ok("UID EXPUNGE", done)?;
        Ok(())
    }

    /// Says LOGOUT and closes.
    pub fn logout(mut self) {
        let _ = self.run("LOGOUT", b"LOGOUT");
        self.wire.shutdown();
    }

    /// Whether the connection is over TLS (always, once [`Session::connect`] returned).
    pub fn is_tls(&self) -> bool {
        self.wire.is_tls()
    }
}

fn connect_tcp(server: &ImapServer, name: &str) -> Result<TcpStream, ImapError> {
    let error = |detail: String| ImapError::Connect {
        server: name.to_string(),
        detail,
    };
    let addresses = (server.host.as_str(), server.port)
        .to_socket_addrs()
        .map_err(|e| error(e.to_string()))?;
    let mut last = "no address".to_string();
    for address in addresses {
        match TcpStream::connect_timeout(&address, server.timeout) {
            Ok(tcp) => {
                let set = tcp
                    .set_read_timeout(Some(server.timeout))
                    .and_then(|()| tcp.set_write_timeout(Some(server.timeout)));
                set.map_err(|e| error(e.to_string()))?;
                return Ok(tcp);
            }
            Err(e) => last = e.to_string(),
        }
    }
    Err(error(last))
}

/// `"text"` with `\` and `"` escaped, or `None` when it holds a control or non-ASCII
/// character (which needs a literal).
pub fn quoted(text: &str) -> Option<Vec<u8>> {
    if text.bytes().any(|b| !(0x20..0x7f).contains(&b)) {
        return None;
    }
    let mut out = vec![b'"'];
    for b in text.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_and_refuses_controls() {
        assert_eq!(quoted("a\"b\\c"), Some(b"\"a\\\"b\\\\c\"".to_vec()));
        assert_eq!(quoted("a\r\nb"), None);
    }
}
