//! What Mailroom keeps on the person's IMAP server, where their usual mail app (webmail,
//! phone, Thunderbird) shows it (issue 15): the copy of each sent message in the Sent
//! folder (here), and, for profiles that ask, each draft in Drafts ([`drafts`]).
//!
//! Filing a copy is part of the outbox's bookkeeping, after the server's 250:
//!
//! ```text
//! data/server-copies/<id>.json   a sent message (sent/<id>) whose copy is still to be
//!                                filed: profile, when it was sent, attempts, next try,
//!                                the last error; removed once the copy is on the server
//!                 /lock          held by whoever is filing (one filer at a time)
//! ```
//! - The record is written (fsynced) **before** the outbox entry is removed, by the same
//!   finishing step that links the message into `sent/` — also when a runner finishes an
//!   entry a crashed one left behind — so a message sent with a profile that files copies
//!   always has one, whenever Mailroom dies.
//! - Before every APPEND the filer looks for the message's `Message-ID` in the Sent folder
//!   (`UID SEARCH HEADER Message-ID`): a copy an earlier try filed before dying (or a
//!   provider filed itself) is never filed twice. That costs one round trip per message.
//! - The message counts as sent whatever happens here. An IMAP server that cannot be
//!   reached, a timeout, a refused login are tried again with backoff (1 min, 2, 4, … at
//!   most 1 h) and shown as "copy to Sent pending"; a copy the server refuses for good
//!   (APPEND's `NO`, no Sent folder, the message gone from `sent/`) is marked failed with
//!   the server's words and tried again only when the person asks
//!   (`mailroom outbox retry-copies`, which also tries the waiting ones at once).
//! - The bytes are the ones sent, `Bcc` included (the person's record, as in `sent/`),
//!   flagged `\Seen`, with the send time as the internal date.

mod connect;
pub mod drafts;
mod filer;

pub use connect::{SentFolder, connect_pinned, open};
pub use filer::{Filing, no_typed_password};

use std::path::Path;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::store::StoreError;
use crate::store::lock::Lock;
use crate::store::records::RecordFolder;

/// The queue of copies still to be filed.
pub struct ServerCopies {
    records: RecordFolder,
}

/// A sent message whose copy is not on the server yet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingCopy {
    /// Its id in `sent/`.
    pub id: String,
    pub profile: String,
    /// When it was sent: the copy's internal date.
    pub sent_at: Timestamp,
    #[serde(default)]
    pub attempts: u32,
    /// When to try next.
    pub next_try: Timestamp,
    /// Why the last try did not file it, with the server's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The server refused it for good: not tried again until the person asks.
    #[serde(default)]
    pub failed: bool,
}

impl PendingCopy {
    pub fn new(id: &str, profile: &str, sent_at: Timestamp) -> Self {
        Self {
            id: id.to_string(),
            profile: profile.to_string(),
            sent_at,
            attempts: 0,
            next_try: sent_at,
            last_error: None,
            failed: false,
        }
    }
}

impl ServerCopies {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            records: RecordFolder::new(data_dir, "server-copies"),
        }
    }

    /// Records `copy` as pending, durably, unless a record for its message exists (it
    /// may be further along: a finish done again after a crash changes nothing).
    pub fn enqueue_once(&self, copy: &PendingCopy) -> Result<(), StoreError> {
        self.records.save_once(&copy.id, copy)
    }

    pub fn save(&self, copy: &PendingCopy) -> Result<(), StoreError> {
        self.records.save(&copy.id, copy)
    }

    /// The copy is on the server (or never will be wanted): forget it.
    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.records.remove(id)
    }

    /// Every pending copy, oldest first; a damaged record is moved aside.
    pub fn list(&self) -> Result<Vec<PendingCopy>, StoreError> {
        let mut copies: Vec<PendingCopy> = self
            .records
            .list::<PendingCopy>()?
            .into_iter()
            .map(|(_, copy)| copy)
            .collect();
        copies.sort_by(|a, b| (a.sent_at, &a.id).cmp(&(b.sent_at, &b.id)));
        Ok(copies)
    }

    /// Whether a copy was ever queued here (the queue's folder exists).
    pub fn has_any(&self) -> bool {
        self.records.exists()
    }

    /// Takes the filer's lock if nobody holds it.
    pub fn try_lock(&self) -> Result<Option<Lock>, StoreError> {
        self.records.try_lock()
    }

    /// Makes every copy due now, those refused for good included; returns how many. A
    /// filer at work meanwhile: "busy", nothing changed.
    pub fn retry_now(&self, now: Timestamp) -> Result<usize, StoreError> {
        let _lock = self
            .try_lock()?
            .ok_or(StoreError::BusyWith("copies are being filed on the server"))?;
        let mut count = 0;
        for mut copy in self.list()? {
            copy.failed = false;
            copy.next_try = now;
            self.save(&copy)?;
            count += 1;
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_copy_is_enqueued_once_and_a_later_state_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let copies = ServerCopies::new(dir.path());
        let mut copy = PendingCopy::new("m1", "work", at(0));
        copies.enqueue_once(&copy).unwrap();
        copy.attempts = 3;
        copy.last_error = Some("the IMAP server said: NO over quota".into());
        copies.save(&copy).unwrap();
        copies
            .enqueue_once(&PendingCopy::new("m1", "work", at(0)))
            .unwrap();
        assert_eq!(copies.list().unwrap(), vec![copy]);
        copies.remove("m1").unwrap();
        copies.remove("m1").unwrap();
        assert!(copies.list().unwrap().is_empty());
    }

    #[test]
    fn every_copy_is_due_now_when_the_person_asks() {
        let dir = tempfile::tempdir().unwrap();
        let copies = ServerCopies::new(dir.path());
        let mut failed = PendingCopy::new("m2", "work", at(0));
        failed.failed = true;
        failed.next_try = at(9_999);
        copies.save(&failed).unwrap();
        copies
            .save(&PendingCopy::new("m1", "work", at(-5)))
            .unwrap();
        assert_eq!(copies.retry_now(at(10)).unwrap(), 2);
        let listed = copies.list().unwrap();
        assert_eq!(
            listed.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
            ["m1", "m2"],
            "oldest first"
        );
        assert!(!listed[1].failed);
        assert_eq!(listed[1].next_try, at(10));
    }

    #[test]
    fn a_damaged_record_is_moved_aside_and_the_rest_listed() {
        let dir = tempfile::tempdir().unwrap();
        let copies = ServerCopies::new(dir.path());
        copies.save(&PendingCopy::new("ok", "work", at(0))).unwrap();
        std::fs::write(copies.records.path("bad"), b"{ not json").unwrap();
        let listed = copies.list().unwrap();
        assert_eq!(listed.len(), 1);
        assert!(!copies.records.path("bad").exists(), "quarantined");
    }
}
