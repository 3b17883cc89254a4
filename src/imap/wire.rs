//! The IMAP connection's bytes: the stream (plain until STARTTLS, or TLS), one read
//! buffer Mailroom owns, and whole server messages (a line with its literals) cut out of
//! it under a size cap, then decoded by `imap-codec` into what the client needs.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use imap_codec::ResponseCodec;
use imap_codec::decode::Decoder;
use imap_codec::imap_types::response::{Code, Data, Response, Status, StatusKind};
use rustls::{ClientConnection, StreamOwned};

use super::ImapError;

/// The longest line (without its literals) read from a server.
pub const MAX_LINE: usize = 64 * 1024;
/// The largest literal read from a server (Mailroom never downloads a message).
pub const MAX_LITERAL: usize = 1024 * 1024;

pub(super) enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

/// What a server message was, as far as the client cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Message {
    /// `+ …`: a command continuation request, with its text.
    Continue(String),
    /// `TAG OK|NO|BAD …`.
    Tagged(Done),
    /// `* BYE …`: the server closes the connection.
    Bye(String),
    Capability(Vec<String>),
    List {
        attributes: Vec<String>,
        name: String,
    },
    Search(Vec<u32>),
    /// Any other untagged response (EXISTS, FLAGS, OK [UIDVALIDITY] …).
    Other,
}

/// A tagged completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Done {
    pub tag: String,
    pub ok: bool,
    /// `[APPENDUID validity uid]`.
    pub append_uid: Option<(u32, u32)>,
    /// The server's words after the tag: `NO [AUTHENTICATIONFAILED] Authentication failed.`
    pub words: String,
}

pub(super) struct Wire {
    pub stream: Stream,
    /// Bytes read from the stream and not yet returned as a message.
    pub buf: Vec<u8>,
    pub server: String,
}

impl Wire {
    pub fn new(tcp: TcpStream, server: String) -> Self {
        Self {
            stream: Stream::Plain(tcp),
            buf: Vec::new(),
            server,
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    fn io_error(&self, doing: &str, e: std::io::Error) -> ImapError {
        let detail = match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                let secs = self
                    .stream
                    .tcp()
                    .read_timeout()
                    .ok()
                    .flatten()
                    .map(|d| d.as_secs())
                    .unwrap_or_default();
                format!("timed out after {secs} s while {doing}")
            }
            _ => format!("{doing}: {e}"),
        };
        ImapError::Network {
            server: self.server.clone(),
            detail,
        }
    }

    pub fn write_all(&mut self, bytes: &[u8]) -> Result<(), ImapError> {
        let result = match &mut self.stream {
            Stream::Plain(s) => s.write_all(bytes).and_then(|()| s.flush()),
            Stream::Tls(s) => s.write_all(bytes).and_then(|()| s.flush()),
        };
        result.map_err(|e| self.io_error("sending", e))
    }

    /// Reads more bytes into the buffer; an end of stream is an error.
    fn fill(&mut self) -> Result<(), ImapError> {
        let mut chunk = [0u8; 16 * 1024];
        let n = match &mut self.stream {
            Stream::Plain(s) => s.read(&mut chunk),
            Stream::Tls(s) => s.read(&mut chunk),
        }
        .map_err(|e| self.io_error("waiting for the server", e))?;
        if n == 0 {
            return Err(ImapError::Network {
                server: self.server.clone(),
                detail: "the server closed the connection".to_string(),
            });
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// One whole server message: a line and, for each `{N}` it ends with, N bytes and the
    /// line that follows. Bytes after it stay in the buffer.
    pub fn read_raw(&mut self) -> Result<Vec<u8>, ImapError> {
        let mut end = 0; // how much of buf belongs to this message so far
        loop {
            let line_end = loop {
                if let Some(i) = self.buf[end..].windows(2).position(|w| w == b"\r\n") {
                    break end + i + 2;
                }
                if self.buf.len() - end > MAX_LINE {
                    return Err(self.too_long("a line"));
                }
                self.fill()?;
            };
            if line_end - end > MAX_LINE {
                return Err(self.too_long("a line"));
            }
            match literal_length(&self.buf[end..line_end - 2]) {
                None => {
                    let message = self.buf.drain(..line_end).collect();
                    return Ok(message);
                }
                Some(n) if n > MAX_LITERAL => return Err(self.too_long("a literal")),
                Some(n) => {
                    while self.buf.len() < line_end + n {
                        self.fill()?;
                    }
                    end = line_end + n;
                }
            }
        }
    }

    fn too_long(&self, what: &str) -> ImapError {
        ImapError::Protocol {
            server: self.server.clone(),
            detail: format!(
                "the server sent {what} longer than Mailroom reads ({MAX_LINE} bytes a line, {MAX_LITERAL} a literal)"
            ),
        }
    }

    /// The next server message, decoded.
    pub fn read(&mut self) -> Result<Message, ImapError> {
        let raw = self.read_raw()?;
        Ok(decode(&raw))
    }

    /// Closes the connection without sending anything more.
    pub fn shutdown(&self) {
        let _ = self.stream.tcp().shutdown(Shutdown::Both);
    }

    /// Upgrades a plain connection to TLS and completes the handshake. The caller has
    /// checked that nothing is buffered.
    pub fn upgrade(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        name: rustls::pki_types::ServerName<'static>,
    ) -> Result<(), ImapError> {
        let tcp = match &self.stream {
            Stream::Plain(s) => s.try_clone(),
            Stream::Tls(_) => return Ok(()),
        }
        .map_err(|e| self.io_error("starting TLS", e))?;
        let conn = ClientConnection::new(config, name).map_err(|e| ImapError::Tls {
            server: self.server.clone(),
            detail: e.to_string(),
        })?;
        let mut tls = StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|e| ImapError::Tls {
                    server: self.server.clone(),
                    detail: crate::error::display_chain(&e),
                })?;
        }
        self.stream = Stream::Tls(Box::new(tls));
        Ok(())
    }
}

/// `{N}`, `{N+}` (LITERAL+) or `~{N}` (BINARY) at the end of a line.
fn literal_length(line: &[u8]) -> Option<usize> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) || digits.len() > 10 {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// The text of a line as the server wrote it, without CRLF.
pub(super) fn words(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.trim_end_matches(['\r', '\n']).to_string()
}

pub(super) fn decode(raw: &[u8]) -> Message {
    if raw.starts_with(b"+") {
        return Message::Continue(words(&raw[1..]).trim_start().to_string());
    }
    match ResponseCodec::default().decode(raw) {
        Ok((_, response)) => from_response(raw, response),
        // Not understood by the codec: a tagged completion is still read by hand (its tag
        // and OK/NO/BAD); an unknown untagged response is skipped.
        Err(_) if !raw.starts_with(b"*") => tagged_by_hand(raw),
        Err(_) => Message::Other,
    }
}

fn from_response(raw: &[u8], response: Response<'_>) -> Message {
    match response {
        Response::CommandContinuationRequest(_) => Message::Continue(String::new()),
        Response::Status(Status::Tagged(tagged)) => Message::Tagged(Done {
            tag: tagged.tag.as_ref().to_string(),
            ok: tagged.body.kind == StatusKind::Ok,
            append_uid: match tagged.body.code {
                Some(Code::AppendUid { uid_validity, uid }) => {
                    Some((uid_validity.get(), uid.get()))
                }
                _ => None,
            },
            words: after_tag(raw),
        }),
        Response::Status(Status::Bye(_)) => Message::Bye(words(raw)),
        Response::Status(Status::Untagged(body)) => match body.code {
            Some(Code::Capability(caps)) => {
                Message::Capability(caps.as_ref().iter().map(ToString::to_string).collect())
            }
            _ => Message::Other,
        },
        Response::Data(Data::Capability(caps)) => {
            Message::Capability(caps.as_ref().iter().map(ToString::to_string).collect())
        }
        Response::Data(Data::List { items, mailbox, .. }) => Message::List {
            attributes: items.iter().map(ToString::to_string).collect(),
            name: match mailbox {
                imap_codec::imap_types::mailbox::Mailbox::Inbox => "INBOX".to_string(),
                imap_codec::imap_types::mailbox::Mailbox::Other(other) => {
                    String::from_utf8_lossy(other.as_ref()).into_owned()
                }
            },
        },
        Response::Data(Data::Search(uids, ..)) => {
            Message::Search(uids.iter().map(|u| u.get()).collect())
        }
        Response::Data(_) => Message::Other,
    }
}

fn after_tag(raw: &[u8]) -> String {
    let text = words(raw);
    match text.split_once(' ') {
        Some((_, rest)) => rest.to_string(),
        None => text,
    }
}

fn tagged_by_hand(raw: &[u8]) -> Message {
    let text = words(raw);
    let mut parts = text.splitn(3, ' ');
    let tag = parts.next().unwrap_or_default().to_string();
    let kind = parts.next().unwrap_or_default();
    Message::Tagged(Done {
        tag,
        ok: kind.eq_ignore_ascii_case("OK"),
        append_uid: None,
        words: after_tag(raw),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_found_at_the_end_of_a_line() {
        assert_eq!(literal_length(b"* 1 FETCH (BODY[] {12}"), Some(12));
        assert_eq!(literal_length(b"A1 APPEND x {3+}"), Some(3));
        assert_eq!(literal_length(b"* OK {no}"), None);
        assert_eq!(literal_length(b"* OK done"), None);
    }

    #[test]
    fn responses_decode_to_what_the_client_needs() {
        assert_eq!(
            decode(b"* LIST (\\HasNoChildren \\Sent) \".\" \"Sent Items\"\r\n"),
            Message::List {
                attributes: vec!["\\HasNoChildren".into(), "\\Sent".into()],
                name: "Sent Items".into()
            }
        );
        assert_eq!(
            decode(b"A3 OK [APPENDUID 1700 7] Append completed.\r\n"),
            Message::Tagged(Done {
                tag: "A3".into(),
                ok: true,
                append_uid: Some((1700, 7)),
                words: "OK [APPENDUID 1700 7] Append completed.".into()
            })
        );
        assert_eq!(decode(b"* SEARCH 4 9\r\n"), Message::Search(vec![4, 9]));
        assert_eq!(decode(b"+ eyJ9\r\n"), Message::Continue("eyJ9".into()));
        match decode(b"A4 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n") {
            Message::Tagged(done) => {
                assert!(!done.ok);
                assert_eq!(
                    done.words,
                    "NO [AUTHENTICATIONFAILED] Authentication failed."
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
