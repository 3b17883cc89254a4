//! A folder of small JSON records, one per id (`<id>.json`), each written atomically; a
//! damaged one is moved aside to `data/quarantine/`; one lock file for whoever works
//! through them. The queues of what Mailroom keeps on IMAP servers use it.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::lock::{self, Lock};
use super::{StoreError, quarantine, read_json, write_json};

pub struct RecordFolder {
    root: PathBuf,
    data_dir: PathBuf,
}

impl RecordFolder {
    /// The folder `data_dir/name`.
    pub fn new(data_dir: &Path, name: &str) -> Self {
        Self {
            root: data_dir.join(name),
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// Whether a record was ever written here.
    pub fn exists(&self) -> bool {
        self.root.exists()
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.root.join(format!("{id}.json"))
    }

    pub fn save<T: Serialize>(&self, id: &str, record: &T) -> Result<(), StoreError> {
        write_json(&self.path(id), record)
    }

    /// Writes `record` unless one for `id` exists (it may be further along).
    pub fn save_once<T: Serialize>(&self, id: &str, record: &T) -> Result<(), StoreError> {
        if self.path(id).exists() {
            return Ok(());
        }
        self.save(id, record)
    }

    pub fn remove(&self, id: &str) -> Result<(), StoreError> {
        let path = self.path(id);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(StoreError::Io {
                action: "removing",
                path,
                source,
            }),
        }
    }

    /// Every record, by id; a damaged one is quarantined and left out.
    pub fn list<T: DeserializeOwned>(&self) -> Result<Vec<(String, T)>, StoreError> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(StoreError::Read {
                    path: self.root.clone(),
                    source,
                });
            }
        };
        let mut records = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(id) = record_id(&path) else {
                continue;
            };
            match read_json::<T>(&path) {
                Ok(record) => records.push((id, record)),
                Err(StoreError::Read { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound => {}
                Err(_) => {
                    quarantine(&self.data_dir, &path);
                }
            }
        }
        Ok(records)
    }

    /// Takes the folder's lock if nobody holds it.
    pub fn try_lock(&self) -> Result<Option<Lock>, StoreError> {
        super::private::create_dir_all(&self.root)
            .map_err(StoreError::io("creating", self.root.clone()))?;
        let path = self.root.join("lock");
        lock::try_lock(&path).map_err(StoreError::io("locking", path))
    }
}

/// `abc` for `…/abc.json`; nothing for the lock, temp files and anything else.
fn record_id(path: &Path) -> Option<String> {
    if path.extension()? != "json" {
        return None;
    }
    let id = path.file_stem()?.to_str()?;
    (!id.starts_with('.')).then(|| id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_are_saved_once_listed_and_a_damaged_one_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RecordFolder::new(dir.path(), "things");
        assert!(!folder.exists());
        folder.save_once("a", &1u32).unwrap();
        folder.save_once("a", &2u32).unwrap();
        folder.save("b", &3u32).unwrap();
        std::fs::write(folder.path("bad"), b"{").unwrap();
        let mut listed = folder.list::<u32>().unwrap();
        listed.sort();
        assert_eq!(listed, [("a".to_string(), 1), ("b".to_string(), 3)]);
        assert!(!folder.path("bad").exists(), "quarantined");
        folder.remove("a").unwrap();
        folder.remove("a").unwrap();
        assert_eq!(folder.list::<u32>().unwrap().len(), 1);
    }
}
