//! What the command thread asks of the desktop: the native file picker, checking a file
//! to attach (a device or a folder is named, never read), opening a file with its
//! program, and the scheduler's status.

use super::{Emitter, Event};
use crate::error::Error;

/// The scheduler's status for the window, with the typed answer to "will it send with
/// the window closed?" (a crontab line no cron daemon runs says "Installed" too).
pub(super) fn scheduler_status(text: String) -> Event {
    Event::SchedulerStatus {
        text,
        runs_unattended: crate::scheduler::will_run_unattended(),
    }
}

/// The size of a file picked or dropped to attach, or why it cannot be: a folder, a
/// device, pipe or socket (`/dev/zero` would be read for ever) or an unreadable path.
pub(super) fn inspect_file(path: &std::path::Path) -> Result<u64, String> {
    use crate::message::DraftError;
    crate::message::check_attachment_file(path).map_err(|e| match e {
        DraftError::AttachmentIsFolder { .. } => {
            format!("{} is a folder, not a file", path.display())
        }
        DraftError::AttachmentNotAFile { .. } => format!(
            "{} is not a regular file (a device, pipe or socket): only files can be attached",
            path.display()
        ),
        DraftError::UnreadableAttachment { source, .. } => {
            format!("{}: {source}", path.display())
        }
        other => other.to_string(),
    })
}

/// The native picker blocks until the person chooses; rfd returns `None` at once when
/// no portal or zenity can show one, which the UI answers with drag and drop.
pub(super) fn pick_files(emit: &Emitter) {
    #[cfg(feature = "gui")]
    match rfd::FileDialog::new()
        .set_title("Attach files")
        .pick_files()
    {
        Some(paths) if !paths.is_empty() => emit.emit(Event::FilesPicked(paths)),
        _ => emit.emit(Event::NoFilesPicked),
    }
    #[cfg(not(feature = "gui"))]
    emit.emit(Event::NoFilesPicked);
}

pub(super) fn open_with_desktop(path: &std::path::Path) -> Result<(), Error> {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program)
        .arg(path)
        .spawn()
        .map(|_| ())
        .map_err(|source| Error::OpenFile {
            path: path.to_path_buf(),
            program,
            source,
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::inspect_file;

    #[cfg(unix)]
    #[test]
    fn the_window_refuses_a_device_to_attach_and_names_it() {
        let err = inspect_file(std::path::Path::new("/dev/zero")).unwrap_err();
        assert_eq!(
            err,
            "/dev/zero is not a regular file (a device, pipe or socket): only files can be attached"
        );
        let dir = tempfile::tempdir().unwrap();
        assert!(
            inspect_file(dir.path())
                .unwrap_err()
                .contains("is a folder")
        );
        let file = dir.path().join("a.txt");
        std::fs::write(&file, b"abc").unwrap();
        assert_eq!(inspect_file(&file), Ok(3));
    }
}
