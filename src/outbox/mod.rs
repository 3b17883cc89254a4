//! The outbox: messages frozen for sending later, and the state machine that sends
//! each of them at most once, whoever runs it (the GUI, `outbox run --watch`, the OS
//! scheduler) and however many of them run at once.
//!
//! ```text
//! data/outbox/<id>/entry.slots   the sidecar: profile, send-at, attempts, last error,
//!                                state — JSON, rewritten in place ([`crate::store::slots`])
//!                 /message.eml   the exact RFC 5322 bytes, frozen when scheduled (Bcc kept);
//!                                hard-linked into `sent/` once the server accepts it
//!                 /draft/        the draft it came from, so `cancel` gives it back intact
//!                 /lock          held by whoever is sending or changing the entry
//! data/outbox/.removing-<id>/    an entry taken out, waiting to be deleted
//! ```
//! Sending an entry creates no file and copies nothing: its state changes are rewrites
//! in place with one `fdatasync` each, the lock was made with the entry, and the message
//! itself is hard-linked into `sent/`. (On a file system without a journal each new file
//! costs a scan past the recently deleted ones.)
//! Scheduling builds the entry in `outbox/.staging-<id>/` and renames it into place, so
//! an entry is either complete or absent; a staging folder left by a crash gives its
//! draft back to the drafts. Claiming is a non-blocking file lock plus a re-read of the
//! state: a runner that finds an entry `sending` with its lock free knows the sender
//! died — if the server's 250 was recorded it finishes the move to `sent/`, otherwise the
//! entry becomes `uncertain` ("may have been sent"), never resent silently.
//! [`runner`] does the sending.

mod after_sent;
mod entry;
pub mod failure;
mod finish;
pub mod runner;

use std::path::{Path, PathBuf};

use jiff::Timestamp;

pub use after_sent::{AfterSent, CopiesReport, NothingAfterSent};
pub use entry::{Acceptance, Entry, LastError, State, StoredEnvelope};

/// The sidecar's file ([`slots`]).
const ENTRY: &str = "entry.slots";
/// Where entries scheduled by Mailroom 0.1 before `entry.slots` kept their sidecar (and
/// its spare); read until the entry's next change.
const LEGACY_ENTRY: &str = "entry.json";
const LEGACY_SPARE: &str = ".entry.spare";

use crate::message::BuiltMessage;
use crate::store::drafts::DraftStore;
use crate::store::lock::{self, Lock};
use crate::store::{
    StoreError, ids, json_bytes, parse_json, quarantine, read_json, slots, write_atomic,
};

pub struct Outbox {
    root: PathBuf,
    data_dir: PathBuf,
}

/// Entries that could be read, and what was quarantined.
#[derive(Debug)]
pub struct OutboxListing {
    pub entries: Vec<Entry>,
    pub quarantined: Vec<StoreError>,
}

/// What to schedule.
pub struct Schedule<'a> {
    pub profile: &'a str,
    pub message: &'a BuiltMessage,
    /// The draft the message came from; it moves into the entry.
    pub draft_id: &'a str,
    pub send_at: Timestamp,
    pub time_zone: String,
    pub subject: String,
}

impl Outbox {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("outbox"),
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn folder(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    fn entry_path(&self, id: &str) -> PathBuf {
        self.folder(id).join(ENTRY)
    }

    pub fn message_path(&self, id: &str) -> PathBuf {
        self.folder(id).join("message.eml")
    }

    /// Freezes a message into the outbox, taking its draft along. Returns the entry.
    pub fn schedule(
        &self,
        drafts: &DraftStore,
        s: Schedule<'_>,
        now: Timestamp,
    ) -> Result<Entry, StoreError> {
        let id = ids::new_id(now);
        let staging = self.root.join(format!(".staging-{id}"));
        crate::store::private::create_dir_all(&staging)
            .map_err(StoreError::io("creating", staging.clone()))?;
        let lock_path = staging_lock(&staging);
        let _building =
            lock::lock(&lock_path).map_err(StoreError::io("locking", lock_path.clone()))?;
        let record = s.message.record();
        let recipients = s
            .message
            .recipients()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>();
        let entry = Entry {
            id: id.clone(),
            profile: s.profile.to_string(),
            state: State::Scheduled,
            send_at: s.send_at,
            first_send_at: s.send_at,
            time_zone: s.time_zone,
            created: now,
            attempts: 0,
            last_error: None,
            accepted: None,
            envelope: StoredEnvelope::from_lettre(s.message.envelope()),
            subject: s.subject,
            recipients: recipients.join(", "),
            size: record.len() as u64,
        };
        write_atomic(&staging.join("message.eml"), record)?;
        let path = staging.join(ENTRY);
        slots::create(&path, &json_bytes(&path, &entry)?)?;
        // Made now, so that sending it creates no file.
        crate::store::private::options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(staging.join("lock"))
            .map(drop)
            .map_err(StoreError::io("creating", staging.join("lock")))?;
        drafts.move_out(s.draft_id, &staging.join("draft"))?;
        std::fs::rename(&staging, self.folder(&id)).map_err(StoreError::io("moving", staging))?;
        let _ = std::fs::remove_file(lock_path);
        Ok(entry)
    }

    /// Every entry, soonest first. Damaged entries are quarantined; staging folders left
    /// by a crash give their drafts back.
    pub fn list(&self, drafts: &DraftStore) -> Result<OutboxListing, StoreError> {
        let mut listing = OutboxListing {
            entries: Vec::new(),
            quarantined: Vec::new(),
        };
        let dir = match std::fs::read_dir(&self.root) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(listing),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.root.clone(),
                    source,
                });
            }
        };
        for item in dir.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with(".staging-") && item.path().is_dir() {
                recover_staging(drafts, &item.path());
            } else if name.starts_with(".removing-") {
                let _ = std::fs::remove_dir_all(item.path()); // a crash while deleting
            } else if ids::is_valid(&name) {
                match self.load(&name) {
                    Ok(entry) => listing.entries.push(entry),
                    // Sent and removed meanwhile, or being rewritten: the next list has it.
                    Err(StoreError::UnknownEntry(_) | StoreError::Busy(_)) => {}
                    Err(e) => listing.quarantined.push(e),
                }
            }
        }
        listing
            .entries
            .sort_by(|a, b| a.send_at.cmp(&b.send_at).then_with(|| a.id.cmp(&b.id)));
        Ok(listing)
    }

    /// Reads entry `id`; a damaged one is quarantined (message and draft with it).
    ///
    /// Readers take no lock, and a rewrite happens in place, so a reader slow enough to
    /// span two rewrites (one in each slot) could find neither copy intact: such an entry
    /// is read again holding its lock, and only then called damaged. While another
    /// process holds the lock the answer is [`StoreError::Busy`].
    pub fn load(&self, id: &str) -> Result<Entry, StoreError> {
        match self.read_entry(id) {
            Err(StoreError::Damaged { .. }) => {}
            read => return read,
        }
        let Some(_lock) = self.try_claim(id)? else {
            return Err(StoreError::Busy(id.to_string()));
        };
        match self.read_entry(id) {
            Err(StoreError::Damaged { path, reason }) => {
                let moved_to = quarantine(&self.data_dir, &self.folder(id));
                Err(StoreError::Quarantined {
                    path,
                    reason,
                    moved_to,
                })
            }
            read => read,
        }
    }

    fn read_entry(&self, id: &str) -> Result<Entry, StoreError> {
        if !ids::is_valid(id) {
            return Err(StoreError::UnknownEntry(id.to_string()));
        }
        let path = self.entry_path(id);
        match slots::read(&path) {
            Ok(Some(bytes)) => parse_json::<Entry>(&path, &bytes),
            Ok(None) => Err(StoreError::Damaged {
                path,
                reason: "neither of its two copies is intact".into(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let legacy = self.folder(id).join(LEGACY_ENTRY);
                if !legacy.exists() {
                    return Err(StoreError::UnknownEntry(id.to_string()));
                }
                read_json::<Entry>(&legacy)
            }
            Err(source) => Err(StoreError::Read { path, source }),
        }
    }

    /// Rewrites entry `id`'s sidecar in place; the caller holds its claim.
    pub(crate) fn save(&self, entry: &Entry) -> Result<(), StoreError> {
        let path = self.entry_path(&entry.id);
        let json = json_bytes(&path, entry)?;
        if path.exists() {
            return Ok(slots::rewrite(&path, &json)?);
        }
        slots::create(&path, &json)?;
        for legacy in [LEGACY_ENTRY, LEGACY_SPARE] {
            let _ = std::fs::remove_file(self.folder(&entry.id).join(legacy));
        }
        Ok(())
    }

    /// Takes entry `id`'s lock if nobody holds it.
    pub(crate) fn try_claim(&self, id: &str) -> Result<Option<Lock>, StoreError> {
        let path = self.folder(id).join("lock");
        match lock::try_lock(&path) {
            Ok(lock) => Ok(lock),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None), // gone: sent meanwhile
            Err(source) => Err(StoreError::Io {
                action: "locking",
                path,
                source,
            }),
        }
    }

    /// Locks entry `id` for a change by the person; refuses while it is being sent.
    fn claim_for(
        &self,
        id: &str,
        action: &'static str,
        allowed: &[State],
    ) -> Result<(Lock, Entry), StoreError> {
        let entry = self.load(id)?;
        let lock = self
            .try_claim(id)?
            .ok_or_else(|| StoreError::Busy(id.to_string()))?;
        let entry = self.load(id).unwrap_or(entry);
        if !allowed.contains(&entry.state) {
            return Err(StoreError::WrongState {
                id: id.into(),
                state: entry.state.as_str().into(),
                action,
            });
        }
        Ok((lock, entry))
    }

    /// Takes entry `id` out of the outbox and gives its draft back. Returns the draft id.
    pub fn cancel(&self, drafts: &DraftStore, id: &str) -> Result<String, StoreError> {
        let (_lock, entry) = self.claim_for(
            id,
            "cancelled",
            &[
                State::Scheduled,
                State::Failed,
                State::Uncertain,
                State::WaitingForSignIn,
            ],
        )?;
        let draft_id = drafts_id_of(&self.folder(id))?;
        drafts.adopt(&draft_id, &self.folder(id).join("draft"))?;
        self.remove(&entry.id)?;
        Ok(draft_id)
    }

    /// The entry holding draft `draft_id` (a draft scheduled keeps its id inside).
    pub fn entry_of_draft(&self, draft_id: &str) -> Option<String> {
        std::fs::read_dir(&self.root)
            .ok()?
            .flatten()
            .find(|e| drafts_id_of(&e.path()).is_ok_and(|id| id == draft_id))
            .map(|e| e.file_name().to_string_lossy().into_owned())
    }

    /// Moves entry `id` to a new time, as a fresh attempt (failed and uncertain ones too).
    pub fn reschedule(&self, id: &str, send_at: Timestamp) -> Result<Entry, StoreError> {
        let (_lock, mut entry) = self.claim_for(
            id,
            "rescheduled",
            &[
                State::Scheduled,
                State::Failed,
                State::Uncertain,
                State::WaitingForSignIn,
            ],
        )?;
        entry.state = State::Scheduled;
        entry.send_at = send_at;
        entry.first_send_at = send_at;
        self.save(&entry)?;
        Ok(entry)
    }

    /// The person says an uncertain message did go out: it is finished as a sent one
    /// is — kept in `sent/`, and `after_sent` told (its copy queued for the server's
    /// Sent folder) — before it leaves the outbox.
    pub fn dismiss(
        &self,
        sent: &crate::store::sent::SentStore,
        after_sent: &dyn AfterSent,
        id: &str,
    ) -> Result<String, StoreError> {
        let (_lock, entry) = self.claim_for(id, "dismissed", &[State::Uncertain])?;
        sent.keep_once(&entry.id, &self.message_path(id), entry.sent_at())?;
        after_sent.sent(&entry)?;
        self.remove(&entry.id)?;
        Ok(entry.id)
    }

    /// Removes entry `id`, whose claim the caller holds. The folder is first renamed out
    /// of the way (to `.removing-<id>`, which [`Outbox::list`] deletes if a crash left
    /// it), so that no other runner can claim it (or create its lock file anew) while it
    /// is being deleted.
    pub(crate) fn remove(&self, id: &str) -> Result<(), StoreError> {
        let folder = self.folder(id);
        let retired = self.root.join(format!(".removing-{id}"));
        std::fs::rename(&folder, &retired).map_err(StoreError::io("removing", folder))?;
        std::fs::remove_dir_all(&retired).map_err(StoreError::io("removing", retired))
    }
}

/// A crash between moving the draft into staging and the final rename: give the draft
/// back and drop the half-made entry. A staging folder whose lock is held is still being
/// built by a live process and is left alone.
fn recover_staging(drafts: &DraftStore, staging: &Path) {
    let lock_path = staging_lock(staging);
    let Ok(Some(_lock)) = lock::try_lock(&lock_path) else {
        return;
    };
    let draft = staging.join("draft");
    if draft.is_dir()
        && let Ok(draft_id) = drafts_id_of(staging)
    {
        let _ = drafts.adopt(&draft_id, &draft);
    }
    if !draft.exists() {
        let _ = std::fs::remove_dir_all(staging);
        let _ = std::fs::remove_file(&lock_path);
    }
}

fn staging_lock(staging: &Path) -> PathBuf {
    let mut name = staging.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// The id of the draft kept inside an outbox entry folder.
fn drafts_id_of(entry_folder: &Path) -> Result<String, StoreError> {
    let path = entry_folder.join("draft").join("draft.json");
    #[derive(serde::Deserialize)]
    struct Id {
        id: String,
    }
    Ok(read_json::<Id>(&path)?.id)
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
