//! Noticing what changed on disk behind the window's back: a draft made with `drafts
//! new`, an entry scheduled with `send --in 1h`, a message the OS scheduler sent, a
//! profile added on the command line.
//!
//! The command thread compares a [`Fingerprint`] of the home every
//! [`WATCH_EVERY`] and refreshes the views when it moved. It is the modification times
//! of the folders a new or removed item changes (`drafts/`, `outbox/`, `sent/cur/`), of
//! each outbox entry's state (rewritten in place by a runner) and of the files
//! `profiles.toml`, `settings.toml` and `outbox-last-run.json`: a few dozen `stat` calls,
//! without an inotify watch per draft folder (10,000 drafts would need 10,000 watches).
//! A draft *edited* from the command line (`drafts edit`) shows when it is next listed.

use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::paths::Dirs;

/// How often the home is looked at.
pub(super) const WATCH_EVERY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fingerprint(Vec<Option<SystemTime>>);

impl Fingerprint {
    pub(super) fn of(dirs: &Dirs) -> Self {
        let data = dirs.data();
        let mut times = vec![
            modified(&data.join("drafts")),
            modified(&data.join("outbox")),
            modified(&data.join("sent").join("cur")),
            modified(&data.join("outbox-last-run.json")),
            modified(&dirs.profiles_file()),
            modified(&dirs.config().join("settings.toml")),
        ];
        if let Ok(entries) = std::fs::read_dir(data.join("outbox")) {
            let mut states: Vec<(std::ffi::OsString, Option<SystemTime>)> = entries
                .flatten()
                .map(|e| (e.file_name(), modified(&e.path().join("entry.slots"))))
                .collect();
            states.sort();
            times.extend(states.into_iter().map(|(_, t)| t));
        }
        Self(times)
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_draft_folder_or_outbox_entry_changes_the_fingerprint() {
        let home = tempfile::tempdir().unwrap();
        let dirs = Dirs::under(home.path());
        std::fs::create_dir_all(dirs.data().join("drafts")).unwrap();
        std::fs::create_dir_all(dirs.data().join("outbox")).unwrap();
        let before = Fingerprint::of(&dirs);
        assert_eq!(before, Fingerprint::of(&dirs), "nothing changed");
        std::fs::create_dir(dirs.data().join("outbox").join("e1")).unwrap();
        assert_ne!(before, Fingerprint::of(&dirs));
        let with_entry = Fingerprint::of(&dirs);
        std::fs::write(dirs.data().join("outbox/e1/entry.slots"), b"x").unwrap();
        assert_ne!(
            with_entry,
            Fingerprint::of(&dirs),
            "a runner changed its state"
        );
    }
}
