//! The message upload, once the server has taken the envelope: BDAT chunks (RFC 3030
//! CHUNKING) when the server offers them, else DATA with dot-stuffing.
//!
//! Why BDAT first: lettre writes DATA's closing `.` in a write of its own, which then
//! waits for the server's delayed acknowledgement of the message's last segment (Nagle's
//! algorithm): about 40 ms on every message, nearly all the time a short message takes.
//! A BDAT chunk is one write, its command line and its bytes together, and needs no
//! dot-stuffing. lettre has neither BDAT nor a raw write, so a chunk goes out as a
//! command whose text is the chunk; that text must be UTF-8, so a message that is not
//! (an imported 8-bit one, say) goes by DATA.

use std::fmt;

use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::client::SmtpConnection;
use lettre::transport::smtp::commands::Data;
use lettre::transport::smtp::response::Response;

use super::Stage;

/// The most of a message one BDAT chunk carries: a few round trips for a large
/// message, one for almost every other, and never a whole large message copied.
pub(super) const BDAT_CHUNK: usize = 4 * 1024 * 1024;

/// How much of a message goes to the server at a time by DATA: big enough to fill TLS
/// records, small enough that lettre's dot-stuffed copy of it stays small.
const DATA_CHUNK: usize = 256 * 1024;

/// Uploads `message`; the server's answer to its end, or the failed step. `uploaded`
/// hears how many bytes the server has taken: after each BDAT chunk, or at the end of
/// DATA.
pub fn upload(
    conn: &mut SmtpConnection,
    message: &[u8],
    chunking: bool,
    uploaded: &mut dyn FnMut(usize),
) -> Result<Response, (Stage, LettreError)> {
    uploaded(0);
    let response = match std::str::from_utf8(message) {
        Ok(text) if chunking => bdat(conn, text, uploaded),
        _ => data(conn, message),
    }?;
    uploaded(message.len());
    Ok(response)
}

fn data(conn: &mut SmtpConnection, message: &[u8]) -> Result<Response, (Stage, LettreError)> {
    conn.command(Data).map_err(|e| (Stage::Data, e))?;
    conn.message_iter(message.chunks(DATA_CHUNK))
        .map_err(|e| (Stage::Message, e))
}

/// Only the last chunk's answer can mean the message was taken: a failure before it is
/// reported as the DATA step (the server cannot have the message).
fn bdat(
    conn: &mut SmtpConnection,
    text: &str,
    uploaded: &mut dyn FnMut(usize),
) -> Result<Response, (Stage, LettreError)> {
    let mut rest = text;
    loop {
        let (chunk, tail) = rest.split_at(chunk_end(rest, BDAT_CHUNK));
        let last = tail.is_empty();
        let response = conn.command(Bdat { chunk, last });
        if last {
            return response.map_err(|e| (Stage::Message, e));
        }
        response.map_err(|e| (Stage::Data, e))?;
        rest = tail;
        uploaded(text.len() - rest.len());
    }
}

/// Where a chunk of at most `max` bytes of `text` ends, on a character boundary.
fn chunk_end(text: &str, max: usize) -> usize {
    if text.len() <= max {
        return text.len();
    }
    (1..=max)
        .rev()
        .find(|&end| text.is_char_boundary(end))
        .unwrap_or(text.len())
}

/// `BDAT <size> [LAST]` and the chunk itself, written as one command.
pub(super) struct Bdat<'a> {
    pub chunk: &'a str,
    pub last: bool,
}

impl fmt::Display for Bdat<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let last = if self.last { " LAST" } else { "" };
        write!(f, "BDAT {}{last}\r\n{}", self.chunk.len(), self.chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bdat_command_carries_its_exact_size_and_bytes() {
        let chunk = "Subject: é\r\n\r\n.\r\n";
        assert_eq!(
            Bdat { chunk, last: true }.to_string(),
            format!("BDAT {} LAST\r\n{chunk}", chunk.len())
        );
        assert_eq!(
            Bdat { chunk, last: false }.to_string(),
            format!("BDAT {}\r\n{chunk}", chunk.len())
        );
    }

    #[test]
    fn chunks_end_on_character_boundaries() {
        let text = "aé東";
        assert_eq!(chunk_end(text, 10), text.len());
        assert_eq!(chunk_end(text, 2), 1); // not inside é
        assert_eq!(chunk_end(text, 4), 3); // not inside 東
    }
}
