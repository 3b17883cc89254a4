//! What can go wrong with the files Mailroom keeps.

use std::path::PathBuf;

use super::AtomicWriteError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no draft with id \"{0}\" (see `mailroom drafts list`)")]
    UnknownDraft(String),
    #[error("draft {id} has no version {version} (kept: {kept})")]
    UnknownVersion {
        id: String,
        version: u32,
        kept: String,
    },
    #[error("no outbox entry with id \"{0}\" (see `mailroom outbox list`)")]
    UnknownEntry(String),
    #[error("no sent message with id \"{0}\" (see `mailroom sent list`)")]
    UnknownSent(String),
    #[error("outbox entry {0} is being sent right now; try again in a moment")]
    Busy(String),
    #[error("{0} right now; try again in a moment")]
    BusyWith(&'static str),
    #[error("outbox entry {id} is {state}, so it cannot be {action}")]
    WrongState {
        id: String,
        state: String,
        action: &'static str,
    },
    /// A file the person attached cannot be attached (gone, unreadable, not a file):
    /// their input, not the store's fault.
    #[error(transparent)]
    Attachment(#[from] crate::message::DraftError),
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is damaged: {reason}")]
    Damaged { path: PathBuf, reason: String },
    #[error("{path} was damaged ({reason}); it was moved to {moved_to}")]
    Quarantined {
        path: PathBuf,
        reason: String,
        moved_to: PathBuf,
    },
    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Write(#[from] AtomicWriteError),
    /// A fault of Mailroom's own (a thread that died), not of the files.
    #[error("{0}")]
    Internal(&'static str),
}

impl StoreError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }
}
