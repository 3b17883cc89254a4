//! Deleted drafts wait in `data/trash/drafts/<seconds>.<id>/` until the undo window has
//! closed, so Undo brings back the very folder — versions and copied files included —
//! rather than re-creating a draft from what the window held in memory (whose attached
//! files pointed into the folder just deleted).
//!
//! A deletion is one `rename` (atomic: the draft is in `drafts/` or in the trash, never
//! half in each). The seconds in the name say when it was deleted;
//! [`DraftStore::empty_trash`] removes what is older than the undo window, so a crash or
//! a closed window leaves nothing behind for longer than the next start.

use std::path::PathBuf;

use jiff::Timestamp;

use super::{DraftRecord, DraftStore};
use crate::store::{StoreError, ids};

impl DraftStore {
    fn trash_root(&self) -> PathBuf {
        self.data_dir.join("trash").join("drafts")
    }

    /// Moves draft `id` into the trash and returns it as it was (for the Undo toast).
    pub fn trash(&self, id: &str, now: Timestamp) -> Result<DraftRecord, StoreError> {
        let record = self.load(id)?;
        let root = self.trash_root();
        crate::store::private::create_dir_all(&root)
            .map_err(StoreError::io("creating", root.clone()))?;
        let folder = self.folder(id);
        let target = root.join(format!("{}.{id}", now.as_second()));
        std::fs::rename(&folder, &target).map_err(StoreError::io("moving", folder))?;
        Ok(record)
    }

    /// Brings draft `id` back from the trash, as it was when it was deleted.
    pub fn restore(&self, id: &str) -> Result<DraftRecord, StoreError> {
        let trashed = self
            .trashed(id)
            .ok_or_else(|| StoreError::UnknownDraft(id.to_string()))?;
        self.adopt(id, &trashed)?;
        self.load(id)
    }

    /// Removes what was deleted before `before` for good; best effort.
    pub fn empty_trash(&self, before: Timestamp) {
        let Ok(entries) = std::fs::read_dir(self.trash_root()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let deleted_at = name
                .to_str()
                .and_then(|n| n.split_once('.'))
                .and_then(|(seconds, _)| seconds.parse::<i64>().ok());
            if deleted_at.is_none_or(|s| s < before.as_second()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// The newest trashed folder of draft `id`.
    fn trashed(&self, id: &str) -> Option<PathBuf> {
        if !ids::is_valid(id) {
            return None;
        }
        let suffix = format!(".{id}");
        let mut found: Vec<(i64, PathBuf)> = std::fs::read_dir(self.trash_root())
            .ok()?
            .flatten()
            .filter_map(|entry| {
                let name = entry.file_name().into_string().ok()?;
                let seconds = name.strip_suffix(&suffix)?.parse().ok()?;
                Some((seconds, entry.path()))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, path)| path)
    }
}
