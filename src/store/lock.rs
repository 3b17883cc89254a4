//! Cross-process locks on lock files (`flock` on Unix, `LockFileEx` on Windows, through
//! `std::fs::File::lock`). The OS releases a lock when its holder dies, even by SIGKILL,
//! which is what lets a crashed sender be told apart from a busy one.

use std::fs::File;
use std::io;
use std::path::Path;

/// A held lock; released on drop.
#[derive(Debug)]
pub struct Lock {
    _file: File,
}

fn open(path: &Path) -> io::Result<File> {
    super::private::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

/// Waits for the lock at `path`.
pub fn lock(path: &Path) -> io::Result<Lock> {
    let file = open(path)?;
    file.lock()?;
    Ok(Lock { _file: file })
}

/// Takes the lock at `path` if nobody holds it; `None` when somebody does.
pub fn try_lock(path: &Path) -> io::Result<Option<Lock>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Lock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_is_refused_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lock");
        let held = try_lock(&path).unwrap().expect("free at first");
        assert!(try_lock(&path).unwrap().is_none());
        drop(held);
        assert!(try_lock(&path).unwrap().is_some());
    }
}
