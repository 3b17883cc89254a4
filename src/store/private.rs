//! The person's mail stays private on disk: every folder Mailroom makes is `0700` and
//! every file `0600` (on Unix), whatever the umask — as Thunderbird keeps its profile
//! folder and mutt sets umask 077. What an older version left readable to others is
//! tightened once, on the first start of this one ([`tighten_once`]).

use std::fs::{DirBuilder, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `path` and the folders above it that are missing, each `0700`.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path)
}

/// Options that create a file `0600`.
pub fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Written once the home has been tightened; its presence makes [`tighten_once`] free.
const MARK: &str = ".private-v1";

/// Sets every folder under `root` to `0700` and every file to `0600`, once (a mark file
/// says it is done). Symbolic links are neither followed nor changed. Best effort: a
/// file that cannot be changed is left as it is.
pub fn tighten_once(root: &Path) {
    if !root.is_dir() || root.join(MARK).exists() {
        return;
    }
    tighten(root);
    let _ = options()
        .write(true)
        .create(true)
        .truncate(true)
        .open(root.join(MARK));
}

#[cfg(unix)]
fn tighten(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.file_type().is_symlink() {
        return;
    }
    let mode = if meta.is_dir() { 0o700 } else { 0o600 };
    if meta.permissions().mode() & 0o777 != mode {
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
    }
    if meta.is_dir()
        && let Ok(entries) = std::fs::read_dir(path)
    {
        for entry in entries.flatten() {
            tighten(&entry.path());
        }
    }
}

#[cfg(not(unix))]
fn tighten(_: &Path) {}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn folders_and_files_are_made_private_whatever_the_umask() {
        let home = tempfile::tempdir().unwrap();
        let deep = home.path().join("a/b");
        create_dir_all(&deep).unwrap();
        assert_eq!((mode(&home.path().join("a")), mode(&deep)), (0o700, 0o700));
        let file = deep.join("f");
        options()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&file)
            .unwrap();
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn what_an_older_version_left_readable_is_tightened_once() {
        let home = tempfile::tempdir().unwrap();
        let old = home.path().join("drafts");
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("draft.json"), b"{}").unwrap();
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(
            old.join("draft.json"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        tighten_once(home.path());
        assert_eq!((mode(&old), mode(&old.join("draft.json"))), (0o700, 0o600));
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).unwrap();
        tighten_once(home.path());
        assert_eq!(
            mode(&old),
            0o755,
            "done once: the person's own later choice stands"
        );
    }
}
