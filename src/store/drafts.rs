//! Drafts: one folder per draft, never a lost word.
//!
//! ```text
//! data/drafts/<id>/draft.json          the current version
//!                 /versions/000007.json every save, the last 50 kept
//!                 /files/<name>         copies of attached files (moving the original loses nothing)
//!                 /lock                 held while saving
//! ```
//! Inside the JSON, copied files are named relative to the draft's folder, so the folder
//! can move (into the outbox and back) without breaking them.
//!
//! A save writes `versions/N.json` first and `draft.json` second, both atomically, so a
//! crash at any moment leaves every acknowledged version readable; [`DraftStore::load`]
//! notices a newer version than `draft.json` (a crash between the two writes) and uses it.
//! A damaged draft is moved to `data/quarantine/drafts/` and reported; the rest works on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{StoreError, ids, lock, quarantine, read_json, write_atomic, write_json};
use crate::message::{Attachment, AttachmentSource, Draft, DraftError};

#[path = "drafts_trash.rs"]
mod trash;

/// How many versions of a draft are kept.
pub const KEPT_VERSIONS: usize = 50;

/// A draft as stored: the message plus what the store knows about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub id: String,
    pub version: u32,
    /// The profile it will be sent with; `None`: the default profile.
    pub profile: Option<String>,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub draft: Draft,
}

/// What a list of drafts shows, read without the body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DraftSummary {
    pub id: String,
    pub version: u32,
    pub profile: Option<String>,
    pub modified: Timestamp,
    pub subject: String,
    pub recipients: String,
    pub attachments: usize,
}

/// What [`DraftStore::list`] could not read, already moved aside.
#[derive(Debug)]
pub struct Listing {
    pub drafts: Vec<DraftSummary>,
    pub quarantined: Vec<StoreError>,
}

pub struct DraftStore {
    root: PathBuf,
    data_dir: PathBuf,
}

impl DraftStore {
    /// The drafts under `data_dir/drafts`.
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("drafts"),
            data_dir: data_dir.to_path_buf(),
        }
    }

    pub fn folder(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// Stores a new draft as version 1.
    pub fn create(
        &self,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, StoreError> {
        let id = ids::new_id(now);
        super::private::create_dir_all(&self.folder(&id))
            .map_err(StoreError::io("creating", self.folder(&id)))?;
        self.save_first(&id, profile, draft, now)
    }

    /// Saves draft `id`, creating it under that id if it does not exist yet (the desktop
    /// app names a new draft before its first autosave, so saves can never race into
    /// two drafts).
    pub fn put(
        &self,
        id: &str,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, StoreError> {
        if !ids::is_valid(id) {
            return Err(StoreError::UnknownDraft(id.to_string()));
        }
        let folder = self.folder(id);
        if folder.join("draft.json").exists() || !versions_in(&folder).is_empty() {
            return self.save(id, profile, draft, now);
        }
        super::private::create_dir_all(&folder)
            .map_err(StoreError::io("creating", folder.clone()))?;
        let _lock = lock::lock(&folder.join("lock"))
            .map_err(StoreError::io("locking", folder.join("lock")))?;
        self.save_first(id, profile, draft, now)
    }

    /// Saves version 1 into the new folder of draft `id`; when that fails (an attached
    /// file that cannot be read, a full disk) the folder goes again, so a draft that was
    /// never saved never shows up half made (and quarantined) in the next list.
    fn save_first(
        &self,
        id: &str,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, StoreError> {
        let saved = self.save_as(id, 1, now, profile, draft, now);
        if saved.is_err() {
            let _ = std::fs::remove_dir_all(self.folder(id));
        }
        saved
    }

    /// Saves a new version of draft `id` and returns it (its `version` is the new number).
    pub fn save(
        &self,
        id: &str,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, StoreError> {
        let folder = self.existing(id)?;
        let _lock = lock::lock(&folder.join("lock"))
            .map_err(StoreError::io("locking", folder.join("lock")))?;
        let current = self.load(id)?;
        self.save_as(
            id,
            current.version + 1,
            current.created,
            profile,
            draft,
            now,
        )
    }

    fn save_as(
        &self,
        id: &str,
        version: u32,
        created: Timestamp,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, StoreError> {
        let folder = self.folder(id);
        let draft = keep_copies(&folder.join("files"), draft)?;
        let record = DraftRecord {
            id: id.to_string(),
            version,
            profile,
            created,
            modified: now,
            draft,
        };
        write_record(&folder, &version_path(&folder, version), &record)?;
        write_record(&folder, &folder.join("draft.json"), &record)?;
        prune(&folder)?;
        Ok(record)
    }

    /// The current version of draft `id`.
    pub fn load(&self, id: &str) -> Result<DraftRecord, StoreError> {
        let folder = self.existing(id)?;
        let versions = versions_in(&folder);
        let newest = versions.last().copied();
        match read_record(&folder, &folder.join("draft.json")) {
            Ok(record) if newest.is_none_or(|n| n <= record.version) => Ok(record),
            current => match newest.map(|n| read_record(&folder, &version_path(&folder, n))) {
                Some(Ok(record)) => Ok(record),
                _ => Err(self.quarantine_draft(&folder, current.err())),
            },
        }
    }

    /// A kept earlier version of draft `id`.
    pub fn load_version(&self, id: &str, version: u32) -> Result<DraftRecord, StoreError> {
        let folder = self.existing(id)?;
        let path = version_path(&folder, version);
        if !path.exists() {
            let kept: Vec<String> = versions_in(&folder).iter().map(u32::to_string).collect();
            return Err(StoreError::UnknownVersion {
                id: id.into(),
                version,
                kept: kept.join(", "),
            });
        }
        read_record(&folder, &path)
    }

    /// The version numbers kept for draft `id`, oldest first.
    pub fn versions(&self, id: &str) -> Result<Vec<u32>, StoreError> {
        Ok(versions_in(&self.existing(id)?))
    }

    /// Every draft, newest first, optionally only those whose subject, recipients or body
    /// contain `search` (case-insensitive). Damaged drafts are quarantined and reported.
    pub fn list(&self, search: Option<&str>) -> Result<Listing, StoreError> {
        let needle = search.map(str::to_lowercase).filter(|s| !s.is_empty());
        let mut listing = Listing {
            drafts: Vec::new(),
            quarantined: Vec::new(),
        };
        let entries = match std::fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(listing),
            Err(e) => {
                return Err(StoreError::Read {
                    path: self.root.clone(),
                    source: e,
                });
            }
        };
        for entry in entries.flatten() {
            let id = entry.file_name().to_string_lossy().into_owned();
            if !ids::is_valid(&id) {
                continue;
            }
            match self.summary(&id, needle.as_deref()) {
                Ok(Some(summary)) => listing.drafts.push(summary),
                Ok(None) => {}
                Err(e) => listing.quarantined.push(e),
            }
        }
        listing
            .drafts
            .sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| b.id.cmp(&a.id)));
        Ok(listing)
    }

    fn summary(&self, id: &str, needle: Option<&str>) -> Result<Option<DraftSummary>, StoreError> {
        let folder = self.folder(id);
        let view = match read_json::<ListView>(&folder.join("draft.json")) {
            Ok(view) => view,
            // A crash before the first draft.json: the full load repairs or quarantines.
            Err(_) => ListView::from(self.load(id)?),
        };
        if let Some(needle) = needle {
            let haystack = format!(
                "{}\n{}\n{}\n{}\n{}",
                view.draft.subject, view.draft.to, view.draft.cc, view.draft.bcc, view.draft.body
            );
            if !haystack.to_lowercase().contains(needle) {
                return Ok(None);
            }
        }
        Ok(Some(view.into_summary()))
    }

    /// Deletes draft `id` with all its versions and files.
    pub fn delete(&self, id: &str) -> Result<(), StoreError> {
        let folder = self.existing(id)?;
        std::fs::remove_dir_all(&folder).map_err(StoreError::io("deleting", folder))
    }

    /// Moves draft `id`'s folder to `target` (the outbox takes it when a draft is
    /// scheduled; cancelling brings it back with [`DraftStore::adopt`]).
    pub fn move_out(&self, id: &str, target: &Path) -> Result<(), StoreError> {
        let folder = self.existing(id)?;
        std::fs::rename(&folder, target).map_err(StoreError::io("moving", folder))
    }

    /// Takes back a draft folder moved out with [`DraftStore::move_out`].
    pub fn adopt(&self, id: &str, source: &Path) -> Result<(), StoreError> {
        super::private::create_dir_all(&self.root)
            .map_err(StoreError::io("creating", self.root.clone()))?;
        std::fs::rename(source, self.folder(id))
            .map_err(StoreError::io("moving", source.to_path_buf()))
    }

    fn existing(&self, id: &str) -> Result<PathBuf, StoreError> {
        let folder = self.folder(id);
        if ids::is_valid(id) && folder.is_dir() {
            Ok(folder)
        } else {
            Err(StoreError::UnknownDraft(id.to_string()))
        }
    }

    fn quarantine_draft(&self, folder: &Path, error: Option<StoreError>) -> StoreError {
        let reason = error.map_or_else(|| "no readable version".to_string(), |e| e.to_string());
        let moved_to = quarantine(&self.data_dir, folder);
        StoreError::Quarantined {
            path: folder.to_path_buf(),
            reason,
            moved_to,
        }
    }
}

/// The fields a list needs; serde skips the rest of `draft.json` without keeping it.
#[derive(Deserialize)]
struct ListView {
    id: String,
    version: u32,
    profile: Option<String>,
    modified: Timestamp,
    draft: ListDraft,
}

#[derive(Deserialize)]
struct ListDraft {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cc: String,
    #[serde(default)]
    bcc: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    attachments: Vec<serde::de::IgnoredAny>,
}

impl From<DraftRecord> for ListView {
    fn from(r: DraftRecord) -> Self {
        let attachments = r
            .draft
            .attachments
            .iter()
            .map(|_| serde::de::IgnoredAny)
            .collect();
        Self {
            id: r.id,
            version: r.version,
            profile: r.profile,
            modified: r.modified,
            draft: ListDraft {
                subject: r.draft.subject,
                to: r.draft.to,
                cc: r.draft.cc,
                bcc: r.draft.bcc,
                body: r.draft.body,
                attachments,
            },
        }
    }
}

impl ListView {
    fn into_summary(self) -> DraftSummary {
        let recipients: Vec<&str> = [&self.draft.to, &self.draft.cc, &self.draft.bcc]
            .into_iter()
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
            .collect();
        DraftSummary {
            recipients: recipients.join(", "),
            id: self.id,
            version: self.version,
            profile: self.profile,
            modified: self.modified,
            subject: self.draft.subject,
            attachments: self.draft.attachments.len(),
        }
    }
}

/// Reads a record, turning its folder-relative file names into full paths. A relative
/// name that leaves the folder (`files/../../.ssh/id_rsa`) makes the record damaged:
/// Mailroom writes only names inside it, and a hand-edited or synced `draft.json` must
/// not attach any file of the person's to a message.
pub fn read_record(folder: &Path, path: &Path) -> Result<DraftRecord, StoreError> {
    let mut record: DraftRecord = read_json(path)?;
    for a in &mut record.draft.attachments {
        if let AttachmentSource::File(file) = &mut a.source
            && file.is_relative()
        {
            let inside = file
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                return Err(StoreError::Damaged {
                    path: path.to_path_buf(),
                    reason: format!(
                        "attachment \"{}\" is named {}, outside the draft's folder",
                        a.file_name,
                        file.display()
                    ),
                });
            }
            *file = folder.join(&*file);
        }
    }
    Ok(record)
}

/// Writes a record with the files inside `folder` named relative to it.
fn write_record(folder: &Path, path: &Path, record: &DraftRecord) -> Result<(), StoreError> {
    let mut stored = record.clone();
    for a in &mut stored.draft.attachments {
        if let AttachmentSource::File(file) = &mut a.source
            && let Ok(relative) = file.strip_prefix(folder)
        {
            *file = relative.to_path_buf();
        }
    }
    write_json(path, &stored)
}

fn version_path(folder: &Path, version: u32) -> PathBuf {
    folder.join("versions").join(format!("{version:06}.json"))
}

fn versions_in(folder: &Path) -> Vec<u32> {
    let mut versions: Vec<u32> = std::fs::read_dir(folder.join("versions"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str()?.strip_suffix(".json")?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_unstable();
    versions
}

/// Copies every attachment that is not already in `files` into it (bytes held in memory
/// too), and points the draft at the copies.
fn keep_copies(files: &Path, mut draft: Draft) -> Result<Draft, StoreError> {
    let mut taken: HashSet<String> = std::fs::read_dir(files)
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    for attachment in &mut draft.attachments {
        if let AttachmentSource::File(path) = &attachment.source
            && path.parent() == Some(files)
        {
            continue;
        }
        let bytes = match &attachment.source {
            AttachmentSource::Bytes(bytes) => bytes.clone(),
            AttachmentSource::File(path) => {
                crate::message::check_attachment_file(path)?;
                std::fs::read(path).map_err(|source| DraftError::UnreadableAttachment {
                    path: path.clone(),
                    source,
                })?
            }
        };
        let name = unique_name(&mut taken, attachment);
        let copy = files.join(&name);
        write_atomic(&copy, &bytes)?;
        attachment.source = AttachmentSource::File(copy);
    }
    Ok(draft)
}

/// The longest name (bytes) a copy gets on disk: file systems stop at 255, and an atomic
/// write's temporary name is longer than its target's. The attachment keeps its own
/// name (the one sent); only the copy's is cut.
const MAX_FILE_NAME: usize = 200;

/// `name` cut to at most `max` bytes at a character boundary, its extension kept.
fn shortened(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_string();
    }
    let extension = name
        .rfind('.')
        .map(|dot| &name[dot..])
        .filter(|ext| ext.len() <= 16)
        .unwrap_or("");
    let mut end = max - extension.len();
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{extension}", &name[..end])
}

fn unique_name(taken: &mut HashSet<String>, attachment: &Attachment) -> String {
    let safe: String = attachment
        .file_name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    let safe = if safe.trim_matches('.').is_empty() {
        "attachment".to_string()
    } else {
        shortened(&safe, MAX_FILE_NAME)
    };
    let mut name = safe.clone();
    let mut n = 1;
    while !taken.insert(name.clone()) || name == "lock" {
        n += 1;
        name = format!("{n}-{safe}");
    }
    name
}

/// Keeps the newest [`KEPT_VERSIONS`] versions and the files they use.
fn prune(folder: &Path) -> Result<(), StoreError> {
    let versions = versions_in(folder);
    if versions.len() <= KEPT_VERSIONS {
        return Ok(());
    }
    let (old, kept) = versions.split_at(versions.len() - KEPT_VERSIONS);
    for version in old {
        let path = version_path(folder, *version);
        std::fs::remove_file(&path).map_err(StoreError::io("deleting", path))?;
    }
    let files = folder.join("files");
    let has_files = std::fs::read_dir(&files).is_ok_and(|mut dir| dir.next().is_some());
    if !has_files {
        return Ok(());
    }
    let mut used = HashSet::new();
    for version in kept {
        let record = read_record(folder, &version_path(folder, *version))?;
        for a in record.draft.attachments {
            if let AttachmentSource::File(path) = a.source {
                used.insert(path);
            }
        }
    }
    for file in std::fs::read_dir(folder.join("files"))
        .into_iter()
        .flatten()
        .flatten()
    {
        if !used.contains(&file.path()) {
            let _ = std::fs::remove_file(file.path());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "drafts_tests.rs"]
mod tests;
