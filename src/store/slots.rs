//! A small record that is rewritten often, in place, with one `fdatasync` a change: the
//! outbox entries' state (twice for every message sent).
//!
//! The file holds two slots of the same size (a multiple of 4 KiB, so a write to one
//! never touches the other's sectors). Each slot is text: a header line, the record, a
//! newline, and spaces up to the slot's end, so `cat` shows the current record and the
//! previous one:
//!
//! ```text
//! mailroom-slot 1 seq=7 len=512 sha256=3f9a…
//! {"id": …}
//! ```
//!
//! A rewrite writes the slot that does not hold the newest record and syncs its data; the
//! file's size never changes and no name in the folder does, so nothing else needs
//! syncing. A crash mid-write leaves a slot whose checksum does not match, and the other
//! slot — the record as it was before — is read. A record that outgrows its slot moves
//! the whole file to larger slots with an atomic replace ([`super::write_atomic`]).
//!
//! Readers take no lock. A reader can catch a slot half-rewritten (then it reads the
//! other one, the state before); only a reader slow enough to span two rewrites finds
//! neither intact, which is why [`crate::outbox::Outbox::load`] reads such a file again
//! holding its lock before it calls it damaged.
//!
//! One writer at a time: the caller holds the record's lock.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::{AtomicWriteError, write_atomic};

const MAGIC: &str = "mailroom-slot 1";
const BLOCK: usize = 4096;

/// The newest intact record in `path`. `Ok(None)`: the file exists but neither slot is
/// intact (damaged). Errors are the file system's.
pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let bytes = std::fs::read(path)?;
    Ok(newest(&bytes).map(|(_, record)| record.to_vec()))
}

/// Creates (or replaces) `path` with `record` in its first slot, atomically.
pub fn create(path: &Path, record: &[u8]) -> Result<(), AtomicWriteError> {
    write_atomic(path, &image(record, 1))
}

/// Replaces the record in `path` (which [`create`] made) with `record`.
pub fn rewrite(path: &Path, record: &[u8]) -> Result<(), AtomicWriteError> {
    let failed = |source| AtomicWriteError {
        path: path.to_path_buf(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map_err(failed)?;
    let current = read_all(&mut file).map_err(failed)?;
    let slot_size = current.len() / 2;
    let Some((newest_slot, _)) = newest(&current) else {
        // Damaged since the caller read it: refuse rather than paper over it.
        return Err(failed(io::Error::new(
            io::ErrorKind::InvalidData,
            "neither of its two copies is intact",
        )));
    };
    let (index, seq) = (1 - newest_slot.index, newest_slot.seq + 1);
    let slot = encode(record, seq);
    if current.len() % (2 * BLOCK) != 0 || slot.len() > slot_size {
        // Outgrown (or not a slot file): a new file with slots that fit.
        return write_atomic(path, &image(record, seq));
    }
    write_slot(&file, index * slot_size, &slot, slot_size).map_err(failed)?;
    file.sync_data().map_err(failed)
}

struct Slot {
    index: usize,
    seq: u64,
}

/// The slot holding the newest intact record, and the record.
fn newest(file: &[u8]) -> Option<(Slot, &[u8])> {
    let slot_size = file.len() / 2;
    if slot_size == 0 {
        return None;
    }
    (0..2)
        .filter_map(|index| {
            let bytes = &file[index * slot_size..(index + 1) * slot_size];
            decode(bytes).map(|(seq, record)| (Slot { index, seq }, record))
        })
        .max_by_key(|(slot, _)| slot.seq)
}

fn header(record: &[u8], seq: u64) -> String {
    format!(
        "{MAGIC} seq={seq} len={} sha256={}\n",
        record.len(),
        hex(&Sha256::digest(record))
    )
}

/// One slot's content, unpadded: the header, the record, a newline.
fn encode(record: &[u8], seq: u64) -> Vec<u8> {
    let mut slot = header(record, seq).into_bytes();
    slot.extend_from_slice(record);
    slot.push(b'\n');
    slot
}

fn decode(slot: &[u8]) -> Option<(u64, &[u8])> {
    let line_end = slot.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&slot[..line_end]).ok()?;
    let mut fields = line.strip_prefix(MAGIC)?.split_whitespace();
    let seq: u64 = fields.next()?.strip_prefix("seq=")?.parse().ok()?;
    let len: usize = fields.next()?.strip_prefix("len=")?.parse().ok()?;
    let sum = fields.next()?.strip_prefix("sha256=")?;
    let start = line_end + 1;
    let record = slot.get(start..start.checked_add(len)?)?;
    (hex(&Sha256::digest(record)) == sum).then_some((seq, record))
}

/// A whole file: `record` in the first slot, the second slot blank, each slot the
/// smallest multiple of 4 KiB that holds twice the record (room to grow in place).
fn image(record: &[u8], seq: u64) -> Vec<u8> {
    let slot = encode(record, seq);
    let slot_size = (2 * slot.len()).div_ceil(BLOCK).max(1) * BLOCK;
    let mut file = padded(&slot, slot_size);
    file.extend(padded(b"\n", slot_size));
    file
}

fn padded(content: &[u8], size: usize) -> Vec<u8> {
    let mut bytes = content.to_vec();
    bytes.resize(size - 1, b' ');
    bytes.push(b'\n');
    bytes
}

fn write_slot(file: &File, offset: usize, slot: &[u8], slot_size: usize) -> io::Result<()> {
    let bytes = padded(slot, slot_size);
    write_all_at(file, &bytes, offset as u64)
}

#[cfg(unix)]
fn write_all_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, bytes, offset)
}

#[cfg(windows)]
fn write_all_at(file: &File, mut bytes: &[u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !bytes.is_empty() {
        let written = file.seek_write(bytes, offset)?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[written..];
        offset += written as u64;
    }
    Ok(())
}

fn read_all(file: &mut File) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rewrite_is_read_back_and_the_file_keeps_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.slots");
        create(&path, b"{\"state\": \"scheduled\"}").unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        assert_eq!(size, 2 * BLOCK as u64);
        for n in 0..5 {
            let record = format!("{{\"state\": \"sending\", \"attempt\": {n}}}");
            rewrite(&path, record.as_bytes()).unwrap();
            assert_eq!(read(&path).unwrap().unwrap(), record.as_bytes());
            assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"attempt\": 4") && text.contains("\"attempt\": 3"));
    }

    #[test]
    fn a_torn_write_leaves_the_record_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.slots");
        create(&path, b"first").unwrap();
        rewrite(&path, b"second").unwrap();
        // A crash half-way through the third write, into the slot holding "first".
        let mut bytes = std::fs::read(&path).unwrap();
        let torn = encode(b"third, never finished", 3);
        bytes[..torn.len() / 2].copy_from_slice(&torn[..torn.len() / 2]);
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), b"second");
        // The next rewrite goes into the torn slot, and wins.
        rewrite(&path, b"fourth").unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), b"fourth");
        assert!(std::fs::read_to_string(&path).unwrap().contains("second"));
    }

    #[test]
    fn a_record_that_outgrows_its_slot_moves_to_larger_ones() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.slots");
        create(&path, b"small").unwrap();
        let big = vec![b'x'; 3 * BLOCK];
        rewrite(&path, &big).unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), big);
        rewrite(&path, b"small again").unwrap();
        assert_eq!(read(&path).unwrap().unwrap(), b"small again");
    }

    #[test]
    fn a_file_with_no_intact_slot_reads_as_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("entry.slots");
        std::fs::write(&path, vec![b'?'; 2 * BLOCK]).unwrap();
        assert_eq!(read(&path).unwrap(), None);
        let refused = rewrite(&path, b"over damage").unwrap_err();
        assert!(refused.to_string().contains("intact"), "{refused}");
        std::fs::write(&path, b"").unwrap();
        assert_eq!(read(&path).unwrap(), None);
        let absurd = format!("{MAGIC} seq=1 len={} sha256=00\n", usize::MAX);
        std::fs::write(&path, padded(absurd.as_bytes(), 2 * BLOCK)).unwrap();
        assert_eq!(read(&path).unwrap(), None);
    }
}
