//! Atomic file writes: a reader sees the old file or the new one, never half of either.
//!
//! The bytes go to a temporary file in the same folder, which is fsynced, renamed over
//! the target, and then the folder itself is fsynced so the rename survives a crash.
//! [`rewrite_atomic`] does the same for a file rewritten often, with a kept spare file
//! swapped in instead of a new temporary file each time.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
#[error("could not write {path}: {source}")]
pub struct AtomicWriteError {
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

/// Writes `bytes` to `path` atomically, creating the parent folder if needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    write_inner(path, bytes).map_err(|source| AtomicWriteError {
        path: path.to_path_buf(),
        source,
    })
}

fn write_inner(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = folder_of(path);
    fs::create_dir_all(dir)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path names no file"))?;
    // Unique per process and per write, so threads writing the same file never share one.
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let result = write_synced(&tmp, bytes).and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

/// Rewrites the existing file `path` atomically without creating a file: the bytes go
/// into `spare` (a sibling kept for the purpose), which is fsynced and then swapped with
/// `path` in one step, so the old content becomes the next spare. On a file system
/// without a journal every new inode costs a scan past the recently deleted ones, and the
/// outbox rewrites an entry twice for each message it sends.
///
/// One writer at a time: the caller holds the file's lock. Where the swap is not
/// available (not Linux, or a file system without it), or `path` does not exist yet, the
/// spare is renamed over `path` instead, which is still atomic.
pub fn rewrite_atomic(path: &Path, spare: &Path, bytes: &[u8]) -> Result<(), AtomicWriteError> {
    rewrite_inner(path, spare, bytes).map_err(|source| AtomicWriteError {
        path: path.to_path_buf(),
        source,
    })
}

fn rewrite_inner(path: &Path, spare: &Path, bytes: &[u8]) -> io::Result<()> {
    write_synced(spare, bytes)?;
    if !path.exists() || exchange(spare, path).is_err() {
        fs::rename(spare, path)?;
    }
    sync_dir(folder_of(path))
}

/// The folder `path` is in (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Swaps two files' names in one atomic step (`renameat2` with `RENAME_EXCHANGE`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Makes a rename in `dir` durable. Windows has no directory fsync; NTFS journals renames.
fn sync_dir(dir: &Path) -> io::Result<()> {
    if cfg!(unix) {
        File::open(dir)?.sync_all()
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("a.toml");
        write_atomic(&path, b"first version, longer").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.toml")]);
    }

    #[test]
    fn a_rewrite_swaps_in_the_new_bytes_and_keeps_the_same_two_files() {
        let dir = tempfile::tempdir().unwrap();
        let (path, spare) = (dir.path().join("entry.json"), dir.path().join(".spare"));
        rewrite_atomic(&path, &spare, b"first").unwrap(); // no file yet: a rename
        rewrite_atomic(&path, &spare, b"second, longer").unwrap();
        rewrite_atomic(&path, &spare, b"third").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"third");
        let mut names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        names.sort();
        assert_eq!(names, [".spare", "entry.json"]);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::fs::MetadataExt;
            // Swapped, not replaced: the same two inodes take turns.
            let inodes = |p: &Path| fs::metadata(p).unwrap().ino();
            let before = [inodes(&path), inodes(&spare)];
            rewrite_atomic(&path, &spare, b"fourth").unwrap();
            assert_eq!([inodes(&spare), inodes(&path)], before);
            assert_eq!(fs::read(&spare).unwrap(), b"third");
        }
    }

    #[test]
    fn names_the_path_when_it_fails() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"x").unwrap();
        let err = write_atomic(&blocker.join("child"), b"y").unwrap_err();
        assert!(err.to_string().contains("file/child"), "{err}");
    }
}
