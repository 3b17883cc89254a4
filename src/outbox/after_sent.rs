//! What follows a sent entry beyond `sent/`: the copy on the person's IMAP server
//! ([`crate::server_copy`] implements [`AfterSent`]; the outbox only calls it).

use super::Entry;
use crate::store::StoreError;

/// Called by the runner around each sent entry and each pass.
pub trait AfterSent: Sync {
    /// The entry was accepted and its message is in `sent/`; it leaves the outbox once
    /// this returns `Ok`, so what this records must be durable by then. Called again
    /// for the same entry when a runner finishes what a crashed one left.
    fn sent(&self, entry: &Entry) -> Result<(), StoreError>;
    /// At the end of each pass: file what is due.
    fn pass(&self) -> CopiesReport;
}

/// Nothing follows (unit tests, homes without IMAP servers).
pub struct NothingAfterSent;

impl AfterSent for NothingAfterSent {
    fn sent(&self, _: &Entry) -> Result<(), StoreError> {
        Ok(())
    }
    fn pass(&self) -> CopiesReport {
        CopiesReport::default()
    }
}

/// How filing the server copies went in one pass.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct CopiesReport {
    /// Sent ids whose copy is now in the server's Sent folder (or was found there).
    pub filed: Vec<String>,
    /// Sent ids whose copy waits for another try, and why.
    pub pending: Vec<(String, String)>,
    /// Sent ids whose copy the server refused for good, with its words.
    pub failed: Vec<(String, String)>,
    /// What went wrong with the queue itself.
    pub problems: Vec<String>,
}
