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

    /// Stores `message` and returns its id.
    pub fn add(&self, message: &[u8], now: Timestamp) -> Result<String, StoreError> {
        for sub in ["tmp", "new", "cur"] {
            let dir = self.root.join(sub);
            std::fs::create_dir_all(&dir).map_err(StoreError::io("creating", dir))?;
        }
        let id = ids::new_id(now);
        let unique = format!("{}.{id}.mailroom", now.as_second());
        let tmp = self.root.join("tmp").join(&unique);
        write_synced(&tmp, message).map_err(StoreError::io("writing", tmp.clone()))?;
        let target = self.root.join("cur").join(format!("{unique}:2,S"));
        std::fs::rename(&tmp, &target).map_err(StoreError::io("moving", tmp))?;
        if cfg!(unix)
            && let Ok(dir) = std::fs::File::open(self.root.join("cur"))
        {
            let _ = dir.sync_all();
        }
        Ok(id)
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
}
