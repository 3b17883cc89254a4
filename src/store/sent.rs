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
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Stores `message` under a new id and returns the id.
    pub fn add(&self, message: &[u8], now: Timestamp) -> Result<String, StoreError> {
        let id = ids::new_id(now);
        self.keep(&id, message, now)?;
        Ok(id)
    }

    /// Stores `message` as sent message `id`, once: when a copy of `id` is there already
    /// (a runner killed between this copy and the removal of its outbox entry, finishing
    /// it again) nothing is added. `created` must be the same on every call for one `id`;
    /// it dates the file name.
    pub fn keep(&self, id: &str, message: &[u8], created: Timestamp) -> Result<(), StoreError> {
        for sub in ["tmp", "new", "cur"] {
            let dir = self.root.join(sub);
            std::fs::create_dir_all(&dir).map_err(StoreError::io("creating", dir))?;
        }
        let unique = format!("{}.{id}.mailroom", created.as_second());
        let target = self.root.join("cur").join(format!("{unique}:2,S"));
        if !target.exists() {
            let tmp = self.root.join("tmp").join(&unique);
            write_synced(&tmp, message).map_err(StoreError::io("writing", tmp.clone()))?;
            std::fs::rename(&tmp, &target).map_err(StoreError::io("moving", tmp))?;
        }
        // Also when the copy was there: the crash may have come before this fsync.
        if cfg!(unix)
            && let Ok(dir) = std::fs::File::open(self.root.join("cur"))
        {
            let _ = dir.sync_all();
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
        let message = b"To: a@example.org\r\nSubject: Once\r\n\r\nbody\r\n";
        sent.keep("20261201-080000-abcdef", message, created)
            .unwrap();
        sent.keep("20261201-080000-abcdef", message, created)
            .unwrap();
        let list = sent.list().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!(list[0].id, "20261201-080000-abcdef");
        sent.keep("20261201-080000-fedcba", message, created)
            .unwrap();
        assert_eq!(sent.list().unwrap().len(), 2);
    }
}
