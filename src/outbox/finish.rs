//! What follows the server's 250, off the sending thread, in two stages:
//!
//! 1. the **recorder** writes the acceptance into the entry (one `fdatasync`) and says
//!    so, since the next message may go out only once it is on disk;
//! 2. the **linker** links each recorded entry's frozen message into `sent/` (a hard
//!    link: nothing copied), lets [`AfterSent`] record what follows (the copy for the
//!    IMAP server) and takes the entry out of the outbox, in batches: whatever
//!    has been recorded since its last batch shares one sync of `sent/`, so a slow
//!    directory sync never holds up the next recording.
//!
//! Every acceptance is recorded, whatever failed before. An entry whose link failed
//! stays `sending` with its acceptance, for [`super::runner`]'s recovery to finish;
//! the first failure is returned. The linker deletes each entry as it goes, while the
//! sending thread waits on the network (deleting them all after the group made the
//! last message's run 0.3 s longer for 500 messages).

use std::sync::mpsc;

use super::{AfterSent, Entry, Outbox};
use crate::store::StoreError;
use crate::store::lock::Lock;
use crate::store::sent::SentStore;

/// An accepted entry on its way to be recorded and finished. The lock is held until the
/// entry has left the outbox.
pub(super) struct Accepted {
    pub lock: Lock,
    pub entry: Entry,
    /// Told whether the acceptance is on disk.
    pub recorded: mpsc::Sender<bool>,
}

/// Runs the two stages over `accepted` until its sender is dropped, on the calling
/// thread and one more.
pub(super) fn finish_accepted(
    outbox: &Outbox,
    sent: &SentStore,
    after_sent: &dyn AfterSent,
    accepted: mpsc::Receiver<Accepted>,
) -> Result<(), StoreError> {
    std::thread::scope(|scope| {
        let (to_link, linking) = mpsc::channel::<(Lock, Entry)>();
        let linker = scope.spawn(move || link_recorded(outbox, sent, after_sent, linking));
        let mut first_failure = Ok(());
        for Accepted {
            lock,
            entry,
            recorded,
        } in accepted
        {
            let saved = outbox.save(&entry);
            let _ = recorded.send(saved.is_ok());
            match saved {
                Ok(()) => {
                    let _ = to_link.send((lock, entry));
                }
                Err(e) => first_failure = first_failure.and(Err(e)),
            }
        }
        drop(to_link);
        let linked = linker
            .join()
            .unwrap_or(Err(StoreError::Internal("the linking thread panicked")));
        first_failure.and(linked)
    })
}

fn link_recorded(
    outbox: &Outbox,
    sent: &SentStore,
    after_sent: &dyn AfterSent,
    recorded: mpsc::Receiver<(Lock, Entry)>,
) -> Result<(), StoreError> {
    let mut first_failure = Ok(());
    while let Ok(first) = recorded.recv() {
        let batch: Vec<(Lock, Entry)> = std::iter::once(first).chain(recorded.try_iter()).collect();
        let mut linked = Vec::new();
        for (lock, entry) in batch {
            let path = outbox.message_path(&entry.id);
            match sent.link_in(&entry.id, &path, entry.sent_at()) {
                Ok(()) => linked.push((lock, entry)),
                Err(e) => first_failure = first_failure.and(Err(e)),
            }
        }
        if let Err(e) = sent.sync() {
            first_failure = first_failure.and(Err(e));
            continue; // left in the outbox: recovery finishes them
        }
        for (_lock, entry) in linked {
            // What follows (the server copy's record) is durable before the entry goes.
            let removed = after_sent
                .sent(&entry)
                .and_then(|()| outbox.remove(&entry.id));
            first_failure = first_failure.and(removed);
        }
    }
    first_failure
}
