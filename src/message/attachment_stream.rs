//! Attachments go into the formatted message straight from their files.
//!
//! lettre keeps each part's body encoded in memory and formatting copies it again, so a
//! 25 MiB file would be held three times over (the file, its base64 in the
//! `lettre::Message`, the formatted message). Instead each attachment's part is built
//! around a short placeholder, the small message is formatted, and then the placeholders
//! are replaced by the base64 of each file, read and encoded a slice at a time into an
//! output sized exactly once: the message is held once, plus a small read buffer.
//!
//! The base64 is laid out as lettre lays it out: lines of 76 characters joined by CRLF.
//! Every attachment is base64, whatever its content (a text file too): always valid.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lettre::message::Body;
use lettre::message::header::ContentTransferEncoding;

use super::draft::AttachmentSource;
use super::error::DraftError;

/// Bytes of input a 76-character base64 line holds.
const LINE_INPUT: usize = 57;
/// Lines read from a file at a time.
const LINES_PER_READ: usize = 1024;

/// The attachments of one message, each standing in its part as a placeholder until
/// [`Attachments::fill`].
pub struct Attachments {
    nonce: u64,
    parts: Vec<(String, AttachmentSource)>,
}

impl Attachments {
    pub fn new() -> Self {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        Self {
            nonce: hasher.finish(),
            parts: Vec::new(),
        }
    }

    /// The body of an attachment's part: a placeholder for `source`'s base64, which must
    /// be a readable file (checked now, so the error names it before anything is built).
    pub fn body(&mut self, source: &AttachmentSource) -> Result<Body, DraftError> {
        if let AttachmentSource::File(path) = source {
            check_file(path)?;
            std::fs::File::open(path).map_err(|source| DraftError::UnreadableAttachment {
                path: path.clone(),
                source,
            })?;
        }
        // Closed by "-end", so that no token is the start of another ("-1" and "-10").
        let token = format!(
            "mailroom-attachment-{:016x}-{}-end",
            self.nonce,
            self.parts.len()
        );
        self.parts.push((token.clone(), source.clone()));
        Ok(Body::dangerous_pre_encoded(
            token.into_bytes(),
            ContentTransferEncoding::Base64,
        ))
    }

    /// The formatted `message` with every placeholder replaced by its attachment.
    pub fn fill(self, message: Vec<u8>) -> Result<Vec<u8>, DraftError> {
        if self.parts.is_empty() {
            return Ok(message);
        }
        let mut places = Vec::with_capacity(self.parts.len());
        for (token, source) in &self.parts {
            let at = find(&message, token.as_bytes()).ok_or(DraftError::Assembly(
                "an attachment's place in the message was lost",
            ))?;
            places.push((at, token.len(), source));
        }
        places.sort_by_key(|(at, _, _)| *at);

        let encoded: usize = places.iter().map(|(_, _, s)| encoded_len(size_of(s))).sum();
        let tokens: usize = places.iter().map(|(_, len, _)| len).sum();
        let mut out = Vec::with_capacity(message.len() - tokens + encoded);
        let mut copied = 0;
        for (at, len, source) in places {
            out.extend_from_slice(&message[copied..at]);
            encode_into(source, &mut out)?;
            copied = at + len;
        }
        out.extend_from_slice(&message[copied..]);
        Ok(out)
    }
}

/// The size of the file at `path` if it can be attached: it must be a regular file (a
/// symlink to one is followed), not a folder, nor a device, pipe or socket, which could
/// be read for ever (`/dev/zero`) or never answer. Each error names the path.
pub fn check_file(path: &Path) -> Result<u64, DraftError> {
    let meta = std::fs::metadata(path).map_err(|source| DraftError::UnreadableAttachment {
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(DraftError::AttachmentIsFolder {
            path: path.to_path_buf(),
        });
    }
    if !meta.is_file() {
        return Err(DraftError::AttachmentNotAFile {
            path: path.to_path_buf(),
        });
    }
    Ok(meta.len())
}

fn size_of(source: &AttachmentSource) -> usize {
    match source {
        AttachmentSource::Bytes(bytes) => bytes.len(),
        AttachmentSource::File(path) => std::fs::metadata(path).map_or(0, |m| m.len() as usize),
    }
}

/// The length of `len` bytes as base64 lines of 76 characters joined by CRLF.
fn encoded_len(len: usize) -> usize {
    let lines = len.div_ceil(LINE_INPUT);
    len.div_ceil(3) * 4 + lines.saturating_sub(1) * 2
}

fn encode_into(source: &AttachmentSource, out: &mut Vec<u8>) -> Result<(), DraftError> {
    match source {
        AttachmentSource::Bytes(bytes) => encode_lines(&mut bytes.as_slice(), out)
            .map_err(|_| DraftError::Assembly("an attachment could not be encoded")),
        AttachmentSource::File(path) => std::fs::File::open(path)
            .and_then(|mut file| encode_lines(&mut file, out))
            .map_err(|source| DraftError::UnreadableAttachment {
                path: path.clone(),
                source,
            }),
    }
}

/// Reads `input` to its end, a slice at a time, appending its base64 lines to `out`.
fn encode_lines<R: Read>(input: &mut R, out: &mut Vec<u8>) -> Result<(), std::io::Error> {
    let mut buffer = vec![0u8; LINE_INPUT * LINES_PER_READ];
    let mut first_line = true;
    loop {
        let filled = fill_buffer(input, &mut buffer)?;
        for line in buffer[..filled].chunks(LINE_INPUT) {
            if !first_line {
                out.extend_from_slice(b"\r\n");
            }
            first_line = false;
            let start = out.len();
            out.resize(start + line.len().div_ceil(3) * 4, 0);
            STANDARD
                .encode_slice(line, &mut out[start..])
                .map_err(std::io::Error::other)?;
        }
        if filled < buffer.len() {
            return Ok(());
        }
    }
}

/// Reads until `buffer` is full or the input ends; how much was read.
fn fill_buffer<R: Read>(input: &mut R, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match input.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What lettre writes for a body of `bytes` in base64: lines of 76 characters
    /// joined by CRLF, no CRLF after the last.
    fn lettre_base64(bytes: &[u8]) -> Vec<u8> {
        let text = STANDARD.encode(bytes);
        let lines: Vec<&[u8]> = text.as_bytes().chunks(76).collect();
        lines.join(&b"\r\n"[..])
    }

    #[test]
    fn lines_are_laid_out_as_lettre_lays_them_out() {
        for len in [0, 1, 56, 57, 58, 114, 1000, LINE_INPUT * LINES_PER_READ + 5] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let mut out = Vec::new();
            encode_lines(&mut bytes.as_slice(), &mut out).unwrap();
            assert_eq!(out, lettre_base64(&bytes), "{len} bytes");
            assert_eq!(encoded_len(len), out.len(), "{len} bytes");
        }
    }

    #[test]
    fn placeholders_are_replaced_in_place_by_each_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.bin");
        std::fs::write(&path, b"file bytes").unwrap();
        let mut attachments = Attachments::new();
        let from_file = attachments.body(&AttachmentSource::File(path)).unwrap();
        let from_memory = attachments
            .body(&AttachmentSource::Bytes(b"memory".to_vec()))
            .unwrap();
        let mut message = b"head\r\n".to_vec();
        message.extend_from_slice(from_file.as_ref());
        message.extend_from_slice(b"\r\nmiddle\r\n");
        message.extend_from_slice(from_memory.as_ref());
        message.extend_from_slice(b"\r\ntail");
        assert_eq!(
            attachments.fill(message).unwrap(),
            b"head\r\nZmlsZSBieXRlcw==\r\nmiddle\r\nbWVtb3J5\r\ntail".to_vec()
        );
    }

    #[test]
    fn a_dozen_attachments_each_land_in_their_own_place() {
        let mut attachments = Attachments::new();
        let bodies: Vec<Body> = (0..12u8)
            .map(|n| {
                attachments
                    .body(&AttachmentSource::Bytes(vec![n; 3]))
                    .unwrap()
            })
            .collect();
        // Last first: the 11th attachment's place comes before the 2nd's.
        let mut message = Vec::new();
        for body in bodies.iter().rev() {
            message.extend_from_slice(body.as_ref());
            message.extend_from_slice(b"\r\n");
        }
        let filled = String::from_utf8(attachments.fill(message).unwrap()).unwrap();
        let expected: Vec<String> = (0..12u8).rev().map(|n| STANDARD.encode([n; 3])).collect();
        assert_eq!(filled.lines().collect::<Vec<_>>(), expected);
    }

    #[test]
    fn a_missing_file_or_a_folder_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut attachments = Attachments::new();
        let missing = dir.path().join("gone.pdf");
        assert!(matches!(
            attachments.body(&AttachmentSource::File(missing.clone())),
            Err(DraftError::UnreadableAttachment { path, .. }) if path == missing
        ));
        assert!(matches!(
            attachments.body(&AttachmentSource::File(dir.path().to_path_buf())),
            Err(DraftError::AttachmentIsFolder { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_refused_by_name_before_it_is_read() {
        let zero = std::path::PathBuf::from("/dev/zero");
        let err = Attachments::new()
            .body(&AttachmentSource::File(zero.clone()))
            .unwrap_err();
        assert!(
            matches!(&err, DraftError::AttachmentNotAFile { path } if *path == zero),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "attachment /dev/zero is not a regular file (a device, pipe or socket): only files can be attached"
        );
        assert!(check_file(Path::new("/dev/null")).is_err());
    }
}
