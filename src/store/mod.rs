//! Files on disk: plain files, atomic writes, file locks.
//!
//! | module | what | where |
//! |---|---|---|
//! | [`atomic`] | writes: temp file, fsync, rename, fsync the folder | — |
//! | [`slots`] | a small record rewritten in place, one `fdatasync` a change | — |
//! | [`lock`] | cross-process locks, released by the OS when a holder dies | — |
//! | [`private`] | folders `0700`, files `0600`; an older home tightened once | — |
//! | [`drafts`] | drafts, their last 50 versions and copies of their files | `data/drafts/` |
//! | [`sent`] | sent messages as a Maildir (mutt, neomutt, mblaze open it) | `data/sent/` |
//! | [`records`] | a folder of small JSON records with one lock | `data/server-copies/`, `data/server-drafts/` |
//!
//! The outbox has its own module, [`crate::outbox`].

pub mod atomic;
pub mod drafts;
mod error;
pub mod ids;
pub mod lock;
pub mod private;
pub mod records;
pub mod sent;
pub mod slots;

pub use atomic::{AtomicWriteError, write_atomic};
pub use error::StoreError;

use std::path::{Path, PathBuf};

/// Moves a damaged file or folder out of the way, into `data/quarantine/`, and returns
/// where it went. The rest of the store goes on working.
pub(crate) fn quarantine(data_dir: &Path, damaged: &Path) -> PathBuf {
    let name = damaged
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "item".into());
    let kind = damaged
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let target = data_dir
        .join("quarantine")
        .join(kind)
        .join(format!("{name}.{}", crate::clock::now().as_second()));
    let moved = target
        .parent()
        .map(private::create_dir_all)
        .transpose()
        .and_then(|_| std::fs::rename(damaged, &target));
    match moved {
        Ok(()) => target,
        Err(_) => damaged.to_path_buf(),
    }
}

/// Reads a JSON file into `T`, naming the file in every error.
pub(crate) fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, StoreError> {
    let bytes = std::fs::read(path).map_err(|source| StoreError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_json(path, &bytes)
}

/// Parses the JSON `bytes` read from `path` into `T`, naming the file if they are damaged.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    bytes: &[u8],
) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Damaged {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Writes `value` as pretty JSON, atomically.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), StoreError> {
    Ok(write_atomic(path, &json_bytes(path, value)?)?)
}

/// `value` as pretty JSON, for the file `path`.
pub(crate) fn json_bytes<T: serde::Serialize>(
    path: &Path,
    value: &T,
) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec_pretty(value).map_err(|e| StoreError::Damaged {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
