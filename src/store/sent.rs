//! Sent messages: a Maildir (`tmp/ new/ cur/`) that mutt, neomutt and mblaze open.
//!
//! A message sent from the outbox is its frozen `message.eml` itself, hard-linked into
//! `cur/` with the seen flag (`:2,S`) and named after the outbox entry, so nothing is
//! copied and the file is always linked somewhere: the entry's name goes only when the
//! entry is removed, after `cur/` was synced. A message sent at once is written to
//! `tmp/`, fsynced and linked into `cur/`, as the Maildir spec asks. Either way the copy
//! keeps its `Bcc` header: it is the person's own record.
//!
//! File names are `<seconds sent>.<id>.mailroom:2,S`; the id of a sent message is the
//! unique part's middle, and the list is newest first by the seconds.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{StoreError, ids};

pub struct SentStore {
    root: PathBuf,
}

/// What `sent list` shows.
#[derive(Debug, Clone, Serialize)]
pub struct SentSummary {
    pub id: String,
    pub date: Option<String>,
    pub subject: String,
    pub to: String,
    pub path: PathBuf,
}

/// A message written to `tmp/` while it is being sent ([`SentStore::stage`]).
#[derive(Debug)]
pub struct Staged {
    id: String,
    tmp: PathBuf,
    at: Timestamp,
}

/// A file in `new/` or `cur/`: its id, when it was sent (from its name), where it is.
struct SentFile {
    id: String,
    sent_at: i64,
    path: PathBuf,
}

impl SentStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("sent"),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `message` into `tmp/` (fsynced) as a new sent message, to be
    /// [committed](Self::commit) once the server has accepted it, or
    /// [discarded](Self::discard). Staging while the message uploads hides the disk's
    /// time behind the network's.
    pub fn stage(&self, message: &[u8], now: Timestamp) -> Result<Staged, StoreError> {
        self.make_folders()?;
        let id = ids::new_id(now);
        let tmp = self.root.join("tmp").join(unique_name(&id, now));
        if let Err(source) = write_synced(&tmp, message) {
            let _ = std::fs::remove_file(&tmp);
            return Err(StoreError::Io {
                action: "writing",
                path: tmp,
                source,
            });
        }
        Ok(Staged { id, tmp, at: now })
    }

    /// Moves a staged message into `cur/`, durably; returns its id.
    pub fn commit(&self, staged: Staged) -> Result<String, StoreError> {
        let kept = self
            .link_in(&staged.id, &staged.tmp, staged.at)
            .and_then(|()| self.sync());
        let _ = std::fs::remove_file(&staged.tmp);
        kept.map(|()| staged.id)
    }

    /// Drops a staged message (the server refused it).
    pub fn discard(&self, staged: Staged) {
        let _ = std::fs::remove_file(&staged.tmp);
    }

    /// Keeps the message file `message` (fsynced already, like an outbox entry's frozen
    /// message) as sent message `id`, durably, unless `id` is there already under any
    /// name (a mail program may have renamed it to change its flags): for finishing an
    /// entry again after a crash.
    pub fn keep_once(
        &self,
        id: &str,
        message: &Path,
        sent_at: Timestamp,
    ) -> Result<(), StoreError> {
        if !self.files()?.iter().any(|f| f.id == id) {
            self.link_in(id, message, sent_at)?;
        }
        self.sync()
    }

    /// Links `message` into `cur/` as sent message `id` — nothing is copied, and the
    /// caller removes the old name once [`Self::sync`] has returned. When `id` is there
    /// under the name this gives it, nothing changes. `sent_at` must be the same on every
    /// call for one `id`: it dates the file name.
    pub fn link_in(&self, id: &str, message: &Path, sent_at: Timestamp) -> Result<(), StoreError> {
        self.make_folders()?;
        let target = self
            .root
            .join("cur")
            .join(format!("{}:2,S", unique_name(id, sent_at)));
        match std::fs::hard_link(message, &target) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(source) if source.kind() == std::io::ErrorKind::NotFound => Err(StoreError::Io {
                action: "keeping a sent copy of",
                path: message.to_path_buf(),
                source,
            }),
            // No hard links here (`sent/` on another file system, FAT): copy via `tmp/`.
            Err(_) => self.copy_in(id, message, &target, sent_at),
        }
    }

    fn copy_in(
        &self,
        id: &str,
        message: &Path,
        target: &Path,
        sent_at: Timestamp,
    ) -> Result<(), StoreError> {
        // Its own name: `message` may itself be a staged file in `tmp/`.
        let tmp = self
            .root
            .join("tmp")
            .join(format!("{}.copy", unique_name(id, sent_at)));
        let copied = std::fs::copy(message, &tmp)
            .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
            .and_then(|()| std::fs::rename(&tmp, target));
        if copied.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        copied.map_err(StoreError::io("keeping a sent copy of", message))
    }

    /// Makes the messages linked in so far durable (one sync of `cur/`).
    pub fn sync(&self) -> Result<(), StoreError> {
        let cur = self.root.join("cur");
        if cfg!(unix) {
            std::fs::File::open(&cur)
                .and_then(|dir| dir.sync_all())
                .map_err(StoreError::io("syncing", cur))?;
        }
        Ok(())
    }

    /// `tmp/ new/ cur/`, made again if someone removed them meanwhile.
    fn make_folders(&self) -> Result<(), StoreError> {
        for sub in ["tmp", "new", "cur"] {
            let dir = self.root.join(sub);
            super::private::create_dir_all(&dir).map_err(StoreError::io("creating", dir))?;
        }
        Ok(())
    }

    /// Sent messages, newest first.
    pub fn list(&self) -> Result<Vec<SentSummary>, StoreError> {
        let mut files = self.files()?;
        files.sort_by(|a, b| (b.sent_at, &b.id).cmp(&(a.sent_at, &a.id)));
        Ok(files.into_iter().map(summarize).collect())
    }

    /// The file of sent message `id`.
    pub fn path(&self, id: &str) -> Result<PathBuf, StoreError> {
        self.files()?
            .into_iter()
            .find_map(|f| (f.id == id).then_some(f.path))
            .ok_or_else(|| StoreError::UnknownSent(id.to_string()))
    }

    fn files(&self) -> Result<Vec<SentFile>, StoreError> {
        let mut files = Vec::new();
        for sub in ["new", "cur"] {
            let dir = self.root.join(sub);
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(StoreError::Read { path: dir, source }),
            };
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let mut parts = name.split('.');
                let sent_at = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                if let Some(id) = parts.next().filter(|id| ids::is_valid(id)) {
                    files.push(SentFile {
                        id: id.to_string(),
                        sent_at,
                        path: entry.path(),
                    });
                }
            }
        }
        Ok(files)
    }
}

/// A Maildir file name's unique part: `<seconds>.<id>.mailroom`.
fn unique_name(id: &str, sent_at: Timestamp) -> String {
    format!("{}.{id}.mailroom", sent_at.as_second())
}

fn summarize(SentFile { id, path, .. }: SentFile) -> SentSummary {
    let bytes = std::fs::read(&path).unwrap_or_default();
    let parsed = mail_parser::MessageParser::default().parse_headers(&bytes);
    let to = parsed
        .as_ref()
        .and_then(|m| m.to())
        .map(|list| {
            list.iter()
                .filter_map(|a| a.address())
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    SentSummary {
        id,
        date: parsed
            .as_ref()
            .and_then(|m| m.date())
            .map(|d| d.to_rfc3339()),
        subject: parsed
            .as_ref()
            .and_then(|m| m.subject())
            .unwrap_or_default()
            .to_string(),
        to,
        path,
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = super::private::options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_land_in_cur_with_the_seen_flag_and_can_be_found() {
        let home = tempfile::tempdir().unwrap();
        let sent = SentStore::new(home.path());
        let staged = sent
            .stage(
                b"To: a@example.org\r\nSubject: Hi\r\n\r\nbody\r\n",
                Timestamp::now(),
            )
            .unwrap();
        let refused = sent
            .stage(b"Subject: refused\r\n\r\nx\r\n", Timestamp::now())
            .unwrap();
        sent.discard(refused);
        let id = sent.commit(staged).unwrap();
        let path = sent.path(&id).unwrap();
        assert!(path.parent().unwrap().ends_with("cur"));
        assert!(path.to_string_lossy().ends_with(":2,S"));
        let list = sent.list().unwrap();
        assert_eq!(list.len(), 1, "the refused one left nothing");
        assert_eq!(
            (list[0].subject.as_str(), list[0].to.as_str()),
            ("Hi", "a@example.org")
        );
        assert!(
            std::fs::read_dir(home.path().join("sent/tmp"))
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn a_message_is_kept_once_whatever_a_mail_program_renamed_it_to() {
        let home = tempfile::tempdir().unwrap();
        let sent = SentStore::new(home.path());
        let at = Timestamp::now();
        let frozen = home.path().join("message.eml");
        std::fs::write(
            &frozen,
            b"To: a@example.org\r\nSubject: Once\r\n\r\nbody\r\n",
        )
        .unwrap();
        let id = "20261201-080000-abcdef";
        sent.link_in(id, &frozen, at).unwrap();
        sent.link_in(id, &frozen, at).unwrap(); // finished again: no second copy
        assert!(
            frozen.exists(),
            "linked, not moved: the outbox removes its own name"
        );
        let list = sent.list().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(
            (list[0].id.as_str(), list[0].subject.as_str()),
            (id, "Once")
        );

        // mutt marks it replied: the name changes, it is still the same message.
        let replied = list[0].path.to_string_lossy().replace(":2,S", ":2,RS");
        std::fs::rename(&list[0].path, &replied).unwrap();
        sent.keep_once(id, &frozen, at).unwrap();
        assert_eq!(sent.list().unwrap().len(), 1);

        let missing = sent
            .link_in("20261201-080000-fedcba", &home.path().join("gone.eml"), at)
            .unwrap_err();
        assert!(missing.to_string().contains("gone.eml"), "{missing}");
    }

    #[test]
    fn the_newest_sent_comes_first_whenever_it_was_scheduled() {
        let home = tempfile::tempdir().unwrap();
        let sent = SentStore::new(home.path());
        let message = home.path().join("m.eml");
        std::fs::write(&message, b"Subject: x\r\n\r\nx\r\n").unwrap();
        let early = Timestamp::from_second(1_800_000_000).unwrap();
        let late = Timestamp::from_second(1_800_000_600).unwrap();
        // Scheduled first (the smaller id), sent last.
        sent.link_in("20261101-080000-aaaaaa", &message, late)
            .unwrap();
        sent.link_in("20261201-080000-bbbbbb", &message, early)
            .unwrap();
        let ids: Vec<String> = sent.list().unwrap().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["20261101-080000-aaaaaa", "20261201-080000-bbbbbb"]);
    }
}
