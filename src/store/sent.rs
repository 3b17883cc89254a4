//! Sent messages: a Maildir (`tmp/ new/ cur/`) that mutt, neomutt and mblaze open.
//!
//! Each accepted message is written to `tmp/`, fsynced, and renamed into `cur/` with the
//! seen flag (`:2,S`), as the Maildir spec asks. The copy keeps its `Bcc` header: it is
//! the person's own record. The id of a sent message is its file name's unique part.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::Serialize;

use super::{StoreError, ids};

pub struct SentStore {
    root: PathBuf,
    folders_made: std::sync::OnceLock<()>,
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

impl SentStore {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("sent"),
            folders_made: std::sync::OnceLock::new(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores `message` under a new id and returns the id.
    pub fn add(&self, message: &[u8], now: Timestamp) -> Result<String, StoreError> {
        self.make_folders()?;
        let id = ids::new_id(now);
        let tmp = self.root.join("tmp").join(unique_name(&id, now));
        write_synced(&tmp, message).map_err(StoreError::io("writing", tmp.clone()))?;
        self.keep(&id, &tmp, now)?;
        Ok(id)
    }

    /// Moves the message file `message` (fsynced already, like an outbox entry's frozen
    /// message) into `sent/` as sent message `id`, durably: [`Self::move_in`], then
    /// [`Self::sync`].
    pub fn keep(&self, id: &str, message: &Path, created: Timestamp) -> Result<(), StoreError> {
        self.move_in(id, message, created)?;
        self.sync()
    }

    /// Moves `message` into `sent/` as sent message `id` — a rename, so nothing is
    /// copied — durable once [`Self::sync`] returns. Once: when `id` is there already (a
    /// runner killed after this move and before it removed its outbox entry, finishing
    /// it again) nothing changes. `created` must be the same on every call for one `id`;
    /// it dates the file name.
    pub fn move_in(&self, id: &str, message: &Path, created: Timestamp) -> Result<(), StoreError> {
        self.make_folders()?;
        let target = self
            .root
            .join("cur")
            .join(format!("{}:2,S", unique_name(id, created)));
        if target.exists() {
            return Ok(());
        }
        match std::fs::rename(message, &target) {
            Ok(()) => Ok(()),
            // `sent/` was moved to another file system: copy through `tmp/`.
            Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
                let tmp = self.root.join("tmp").join(unique_name(id, created));
                std::fs::copy(message, &tmp)
                    .and_then(|_| std::fs::File::open(&tmp)?.sync_all())
                    .and_then(|()| std::fs::rename(&tmp, &target))
                    .map_err(StoreError::io("copying", message))
            }
            Err(source) => Err(StoreError::Io {
                action: "moving",
                path: message.to_path_buf(),
                source,
            }),
        }
    }

    /// Makes the messages moved in so far durable (one sync of `cur/`). Also after a
    /// move that found its message there: the crash may have come before this sync.
    pub fn sync(&self) -> Result<(), StoreError> {
        let cur = self.root.join("cur");
        if cfg!(unix) {
            std::fs::File::open(&cur)
                .and_then(|dir| dir.sync_all())
                .map_err(StoreError::io("syncing", cur))?;
        }
        Ok(())
    }

    fn make_folders(&self) -> Result<(), StoreError> {
        if self.folders_made.get().is_none() {
            for sub in ["tmp", "new", "cur"] {
                let dir = self.root.join(sub);
                std::fs::create_dir_all(&dir).map_err(StoreError::io("creating", dir))?;
            }
            let _ = self.folders_made.set(());
        }
        Ok(())
    }

    /// Sent messages, newest first.
    pub fn list(&self) -> Result<Vec<SentSummary>, StoreError> {
        let mut list: Vec<SentSummary> = self
            .files()?
            .into_iter()
            .map(|(id, path)| summarize(id, path))
            .collect();
        list.sort_by(|a, b| b.id.cmp(&a.id));
        Ok(list)
    }

    /// The file of sent message `id`.
    pub fn path(&self, id: &str) -> Result<PathBuf, StoreError> {
        self.files()?
            .into_iter()
            .find_map(|(found, path)| (found == id).then_some(path))
            .ok_or_else(|| StoreError::UnknownSent(id.to_string()))
    }

    fn files(&self) -> Result<Vec<(String, PathBuf)>, StoreError> {
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
                if let Some(id) = name.split('.').nth(1).filter(|id| ids::is_valid(id)) {
                    files.push((id.to_string(), entry.path()));
                }
            }
        }
        Ok(files)
    }
}

/// A Maildir file name's unique part: `<seconds>.<id>.mailroom`.
fn unique_name(id: &str, created: Timestamp) -> String {
    format!("{}.{id}.mailroom", created.as_second())
}

fn summarize(id: String, path: PathBuf) -> SentSummary {
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
    let mut file = std::fs::File::create(path)?;
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
        let id = sent
            .add(
                b"To: a@example.org\r\nSubject: Hi\r\n\r\nbody\r\n",
                Timestamp::now(),
            )
            .unwrap();
        let path = sent.path(&id).unwrap();
        assert!(path.parent().unwrap().ends_with("cur"));
        assert!(path.to_string_lossy().ends_with(":2,S"));
        let list = sent.list().unwrap();
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
    fn keeping_the_same_message_twice_stores_one_copy() {
        let home = tempfile::tempdir().unwrap();
        let sent = SentStore::new(home.path());
        let created = Timestamp::now();
        let frozen = home.path().join("message.eml");
        std::fs::write(
            &frozen,
            b"To: a@example.org\r\nSubject: Once\r\n\r\nbody\r\n",
        )
        .unwrap();
        sent.keep("20261201-080000-abcdef", &frozen, created)
            .unwrap();
        assert!(!frozen.exists(), "moved, not copied");
        sent.keep("20261201-080000-abcdef", &frozen, created)
            .unwrap();
        let list = sent.list().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(
            (list[0].id.as_str(), list[0].subject.as_str()),
            ("20261201-080000-abcdef", "Once")
        );
        let missing = sent
            .keep("20261201-080000-fedcba", &frozen, created)
            .unwrap_err();
        assert!(missing.to_string().contains("message.eml"), "{missing}");
    }
}
