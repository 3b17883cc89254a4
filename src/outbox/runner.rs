//! Sending what is due: claim, send, record — at most once per message.
//!
//! For each due entry: take its lock (skip it if another runner holds it), re-read it,
//! mark it `sending`, transmit, and on the server's 250 record the acceptance durably
//! before the next message goes out; then link its frozen message into `sent/` and
//! remove the entry from the outbox. The recording, the link and the removal run on two
//! more threads ([`super::finish`]) while the next message is marked `sending`. Due
//! messages of one profile share one connection. A temporary failure (4xx, network,
//! timeout, a locked keyring) puts the entry back as `scheduled` with exponential
//! backoff (1 min, 2, 4, … at most 1 h) until `give_up_after`; a permanent one marks it
//! `failed` with the server's words; silence after the whole message was sent marks it
//! `uncertain`. A message's `Date` is set as it goes out ([`crate::message::date`]).

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::failure::{Failure, FailureKind};
use super::finish::{Accepted, finish_accepted};
use super::{Acceptance, AfterSent, CopiesReport, Entry, LastError, Outbox, State};
use crate::clock::Clock;
use crate::error::Error;
use crate::message::mime::transmitted;
use crate::profile::{Profile, Profiles};
use crate::store::StoreError;
use crate::store::drafts::DraftStore;
use crate::store::sent::SentStore;
use crate::transport::Transport;
use lettre::address::Envelope;

/// Opens a profile's transport; the real one is [`crate::transport::login::open`], tests
/// script one.
pub trait Connector {
    fn open(&self, profile: &Profile) -> Result<Box<dyn Transport>, Error>;
}

/// The real network (or folder) behind each profile, for the home in `.0` (where an
/// OAuth2 refresh takes its lock).
pub struct RealConnector(pub crate::paths::Dirs);

impl Connector for RealConnector {
    fn open(&self, profile: &Profile) -> Result<Box<dyn Transport>, Error> {
        crate::transport::login::open(&self.0, profile, None)
    }
}

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RunReport {
    pub sent: Vec<String>,
    pub retrying: Vec<(String, Timestamp)>,
    pub failed: Vec<String>,
    pub uncertain: Vec<String>,
    /// Entries waiting for their profile's OAuth2 sign-in to be redone.
    pub waiting: Vec<String>,
    /// What went wrong with single entries, the rest of the pass going on: damaged
    /// entries moved aside, an accepted one that could not be finished (tried again on
    /// the next pass).
    pub problems: Vec<String>,
    /// The earliest scheduled entry still waiting.
    pub next_due: Option<Timestamp>,
    /// The copies filed on IMAP servers this pass, and those still waiting.
    pub copies: CopiesReport,
    /// The largest message each profile's server takes (SMTP `SIZE`), from the
    /// connections of this pass: the window warns of a bigger one before it is sent.
    pub size_limits: BTreeMap<String, u64>,
}

pub struct Runner<'a> {
    pub outbox: &'a Outbox,
    pub drafts: &'a DraftStore,
    pub sent: &'a SentStore,
    pub profiles: &'a Profiles,
    pub give_up_after: Duration,
    pub clock: &'a dyn Clock,
    pub connector: &'a dyn Connector,
    /// Hears how far each upload has got ([`no_progress`] by default).
    pub on_upload: &'a dyn Fn(Upload<'_>),
    /// What follows each sent entry and each pass: the copy on the IMAP server.
    pub after_sent: Box<dyn AfterSent + 'a>,
}

/// How far the upload of an outbox entry has got: the window's progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upload<'a> {
    pub entry_id: &'a str,
    /// Bytes the server has taken so far.
    pub sent: usize,
    pub total: usize,
}

/// An [`Runner::on_upload`] for runners nobody watches (the CLI, the OS scheduler).
pub fn no_progress(_: Upload<'_>) {}

/// Where a failed attempt left its entry.
enum Settled {
    Retry(Timestamp),
    Failed,
    Uncertain,
    WaitingForSignIn,
}

/// A profile's connection for one pass ([`Runner::open`]).
struct Connection<'p> {
    profile: Result<&'p Profile, String>,
    transport: Option<Box<dyn Transport>>,
    /// Why it could not be opened: the rest of the group waits for the next pass.
    open_failed: Option<Failure>,
    /// What the server said is the largest message it takes.
    size_limit: Option<u64>,
}

impl Connection<'_> {
    /// Closes a connection a failure may have left unusable (or the group's, at its end).
    fn drop_transport(&mut self) {
        if let Some(mut transport) = self.transport.take() {
            transport.close();
        }
    }
}

impl Runner<'_> {
    /// One pass: recover crashed senders, then send everything due now.
    pub fn run_due(&self) -> Result<RunReport, StoreError> {
        let listing = self.outbox.list(self.drafts)?;
        let mut report = RunReport {
            problems: listing
                .quarantined
                .iter()
                .map(ToString::to_string)
                .collect(),
            ..RunReport::default()
        };
        let now = self.clock.now();
        let mut due: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        for entry in listing.entries {
            match entry.state {
                State::Sending => {
                    if let Err(e) = self.recover(&entry, &mut report) {
                        report
                            .problems
                            .push(format!("outbox entry {}: {e}", entry.id));
                    }
                }
                State::Scheduled if entry.send_at <= now => {
                    due.entry(entry.profile.clone()).or_default().push(entry)
                }
                // Tried each pass: without a sign-in it fails at once, before the network.
                State::WaitingForSignIn => {
                    due.entry(entry.profile.clone()).or_default().push(entry)
                }
                _ => {}
            }
        }
        for (profile_id, entries) in due {
            self.send_group(&profile_id, &entries, &mut report)?;
        }
        report.copies = self.after_sent.pass();
        report.next_due = self
            .outbox
            .list(self.drafts)?
            .entries
            .iter()
            .filter(|e| e.state == State::Scheduled)
            .map(|e| e.send_at)
            .min();
        Ok(report)
    }

    /// Runs passes until stopped, sleeping until the next due time (rescanning every
    /// two seconds for entries scheduled meanwhile by someone else).
    pub fn watch(&self, mut on_pass: impl FnMut(&RunReport)) -> Result<(), StoreError> {
        loop {
            let report = self.run_due()?;
            on_pass(&report);
            let now = self.clock.now();
            let until_due = report.next_due.map_or(Duration::MAX, |due| {
                Duration::try_from(due.duration_since(now)).unwrap_or(Duration::ZERO)
            });
            std::thread::sleep(
                until_due
                    .min(Duration::from_secs(2))
                    .max(Duration::from_millis(50)),
            );
        }
    }

    /// An entry left `sending` by a sender that died (its lock is free).
    fn recover(&self, entry: &Entry, report: &mut RunReport) -> Result<(), StoreError> {
        let Some(_lock) = self.outbox.try_claim(&entry.id)? else {
            return Ok(());
        };
        let Ok(mut entry) = self.outbox.load(&entry.id) else {
            return Ok(());
        };
        if entry.state != State::Sending {
            return Ok(());
        }
        if entry.accepted.is_some() {
            finish(self.outbox, self.sent, self.after_sent.as_ref(), &entry)?;
            report.sent.push(entry.id);
        } else {
            entry.state = State::Uncertain;
            entry.last_error = Some(LastError {
                at: self.clock.now(),
                message:
                    "Mailroom stopped while sending this message; the server may have received it"
                        .into(),
                transient: false,
            });
            self.outbox.save(&entry)?;
            report.uncertain.push(entry.id);
        }
        Ok(())
    }

    /// Sends a profile's due entries over one connection. What follows an acceptance
    /// (recording it, the link into `sent/`, the removal from the outbox:
    /// [`super::finish`]) runs on other threads holding the entry's lock, while the next
    /// entry is marked `sending`; that entry goes out only once the acceptance is on
    /// disk. A crash before then
    /// leaves the accepted entry `sending` (uncertain, never resent); after, the rest is
    /// left to [`Self::recover`].
    fn send_group(
        &self,
        profile_id: &str,
        entries: &[Entry],
        report: &mut RunReport,
    ) -> Result<(), StoreError> {
        let (outbox, sent, after_sent) = (self.outbox, self.sent, self.after_sent.as_ref());
        std::thread::scope(|scope| {
            let (accepted, to_finish) = mpsc::channel::<Accepted>();
            let finisher =
                scope.spawn(move || finish_accepted(outbox, sent, after_sent, to_finish));
            let sending = self.send_each(profile_id, entries, report, &accepted);
            drop(accepted);
            let finishing = finisher
                .join()
                .unwrap_or(Err(StoreError::Internal("the finishing thread panicked")));
            finishing.and(sending)
        })
    }

    /// Attempts each due entry of one profile in turn, then settles it.
    fn send_each(
        &self,
        profile_id: &str,
        entries: &[Entry],
        report: &mut RunReport,
        accepted: &mpsc::Sender<Accepted>,
    ) -> Result<(), StoreError> {
        let mut connection = Connection {
            profile: self.profiles.get(profile_id).map_err(|e| e.to_string()),
            transport: None,
            open_failed: None,
            size_limit: None,
        };
        // Whether the last acceptance is on disk; nothing more goes out before it is.
        let mut last_recorded: Option<mpsc::Receiver<bool>> = None;
        for candidate in entries {
            let Some(lock) = self.outbox.try_claim(&candidate.id)? else {
                continue;
            };
            let Ok(mut entry) = self.outbox.load(&candidate.id) else {
                continue;
            };
            let waiting = entry.state == State::WaitingForSignIn;
            if !waiting && (entry.state != State::Scheduled || entry.send_at > self.clock.now()) {
                continue;
            }
            let result = self.attempt(&mut entry, &mut connection, &mut last_recorded)?;
            match result {
                Ok(reply) => {
                    entry.accepted = Some(Acceptance {
                        at: self.clock.now(),
                        reply,
                    });
                    report.sent.push(entry.id.clone());
                    let (recorded, on_disk) = mpsc::channel();
                    last_recorded = Some(on_disk);
                    // Refused only if the finisher died; the entry then stays
                    // `sending` for recovery to judge.
                    let _ = accepted.send(Accepted {
                        lock,
                        entry,
                        recorded,
                    });
                }
                Err(failure) => {
                    // After a failure the conversation may be out of step (or closed):
                    // the next entry gets a fresh connection.
                    connection.drop_transport();
                    match self.record_failure(&mut entry, failure)? {
                        Settled::Retry(at) => report.retrying.push((entry.id, at)),
                        Settled::Failed => report.failed.push(entry.id),
                        Settled::Uncertain => report.uncertain.push(entry.id),
                        Settled::WaitingForSignIn => report.waiting.push(entry.id),
                    }
                }
            }
        }
        connection.drop_transport();
        if let (Ok(profile), Some(limit)) = (&connection.profile, connection.size_limit) {
            report.size_limits.insert(profile.id.clone(), limit);
        }
        Ok(())
    }

    /// One attempt at a claimed entry: open the connection (once for the group), mark
    /// the entry `sending`, wait until the acceptance before it is on disk, transmit.
    /// Returns the server's reply or why it did not come; `Err` only when the store
    /// itself failed.
    fn attempt(
        &self,
        entry: &mut Entry,
        connection: &mut Connection<'_>,
        last_recorded: &mut Option<mpsc::Receiver<bool>>,
    ) -> Result<Result<String, Failure>, StoreError> {
        let transport = match self.open(connection) {
            Ok(transport) => transport,
            Err(failure) => {
                entry.attempts += 1;
                return Ok(Err(failure));
            }
        };
        let outgoing = match self.mark_sending(entry) {
            Ok(outgoing) => outgoing,
            Err(failure) => return Ok(Err(failure)),
        };
        self.wait_recorded(last_recorded.take(), entry)?;
        let entry_id = entry.id.as_str();
        Ok(transmit(transport, &outgoing, &mut |sent, total| {
            (self.on_upload)(Upload {
                entry_id,
                sent,
                total,
            });
        }))
    }

    /// The group's connection, opened (login included) on first need. Nothing is marked
    /// `sending` before this succeeds, so a crash while connecting leaves the entry
    /// simply `scheduled`; when it cannot be opened, the rest of the group waits for the
    /// next pass with the same failure.
    fn open<'c>(
        &self,
        connection: &'c mut Connection<'_>,
    ) -> Result<&'c mut Box<dyn Transport>, Failure> {
        let profile = match &connection.profile {
            Ok(profile) => *profile,
            Err(reason) => return Err(Failure::permanent(format!("profile {reason}"))),
        };
        if let Some(failure) = &connection.open_failed {
            return Err(failure.clone());
        }
        if connection.transport.is_none() {
            match self.connector.open(profile) {
                Ok(opened) => {
                    connection.size_limit = opened.size_limit();
                    connection.transport = Some(opened);
                }
                Err(e) => {
                    let failure = Failure::of(&e);
                    connection.open_failed = Some(failure.clone());
                    return Err(failure);
                }
            }
        }
        connection
            .transport
            .as_mut()
            .ok_or_else(|| Failure::transient("no connection"))
    }

    /// Waits until the last acceptance is on disk. When it could not be recorded,
    /// `entry` (marked `sending` but never sent) goes back to waiting and the group
    /// stops; the finisher returns why.
    fn wait_recorded(
        &self,
        last: Option<mpsc::Receiver<bool>>,
        entry: &mut Entry,
    ) -> Result<(), StoreError> {
        if last.is_none_or(|recorded| recorded.recv().unwrap_or(false)) {
            return Ok(());
        }
        entry.state = State::Scheduled;
        entry.attempts -= 1;
        self.outbox.save(entry)?;
        Err(StoreError::Internal("an acceptance was not recorded"))
    }

    /// Marks the entry `sending`, durably, and returns what is to be transmitted. A
    /// message that cannot be read or marked is a permanent failure (nothing was sent).
    fn mark_sending(&self, entry: &mut Entry) -> Result<Outgoing, Failure> {
        let local = |message: String| Failure::permanent(message);
        let path = self.outbox.message_path(&entry.id);
        let mut record = std::fs::read(&path)
            .map_err(|e| local(format!("could not read {}: {e}", path.display())))?;
        // Dated when it goes out; the person's copy in `sent/` says the same.
        if let Some(changed) = crate::message::date::restamp(&mut record, self.clock.now()) {
            overwrite_at(&path, changed.start, &record[changed])
                .map_err(|e| local(format!("could not date {}: {e}", path.display())))?;
        }
        let envelope = entry
            .envelope
            .to_lettre()
            .map_err(|e| local(format!("bad envelope: {e}")))?;
        entry.state = State::Sending;
        entry.attempts += 1;
        self.outbox.save(entry).map_err(|e| local(e.to_string()))?;
        Ok(Outgoing { envelope, record })
    }

    /// Settles a failed attempt: back to `scheduled` with backoff (until
    /// `give_up_after`), `failed`, or `uncertain`; durably, with the failure's words.
    fn record_failure(&self, entry: &mut Entry, failure: Failure) -> Result<Settled, StoreError> {
        let now = self.clock.now();
        let age = now.duration_since(entry.first_send_at);
        let give_up = SignedDuration::try_from(self.give_up_after).unwrap_or(SignedDuration::MAX);
        let settled = match failure.kind {
            // No retry spent, no giving up: it waits for the person to sign in again.
            FailureKind::NeedsSignIn => {
                entry.state = State::WaitingForSignIn;
                entry.attempts = entry.attempts.saturating_sub(1);
                Settled::WaitingForSignIn
            }
            FailureKind::MayHaveBeenDelivered => {
                entry.state = State::Uncertain;
                Settled::Uncertain
            }
            FailureKind::Transient if age < give_up => {
                let at = now + backoff(entry.attempts);
                entry.state = State::Scheduled;
                entry.send_at = at;
                Settled::Retry(at)
            }
            FailureKind::Transient | FailureKind::Permanent => {
                entry.state = State::Failed;
                Settled::Failed
            }
        };
        entry.last_error = Some(LastError {
            at: now,
            transient: failure.is_transient(),
            message: failure.message,
        });
        self.outbox.save(entry)?;
        Ok(settled)
    }
}

/// An accepted entry left by a runner that died: its message into `sent/` unless it got
/// there already, then out of the outbox.
fn finish(
    outbox: &Outbox,
    sent: &SentStore,
    after_sent: &dyn AfterSent,
    entry: &Entry,
) -> Result<(), StoreError> {
    sent.keep_once(&entry.id, &outbox.message_path(&entry.id), entry.sent_at())?;
    after_sent.sent(entry)?;
    outbox.remove(&entry.id)
}

/// Writes `bytes` over `path`'s bytes at `offset` (the same length: nothing moves). Not
/// synced: after a power cut the copy in `sent/` may keep the old date, never lose a byte.
fn overwrite_at(path: &std::path::Path, offset: usize, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = std::fs::OpenOptions::new().write(true).open(path)?;
    file.seek(SeekFrom::Start(offset as u64))?;
    file.write_all(bytes)
}

/// A message marked `sending`, about to go out.
struct Outgoing {
    envelope: Envelope,
    record: Vec<u8>,
}

/// Transmits a marked message, telling `uploaded` the bytes taken so far and the total.
fn transmit(
    transport: &mut Box<dyn Transport>,
    outgoing: &Outgoing,
    uploaded: &mut dyn FnMut(usize, usize),
) -> Result<String, Failure> {
    let message = transmitted(&outgoing.record);
    let total = message.len();
    transport
        .send_reporting(&outgoing.envelope, &message, &mut |sent| {
            uploaded(sent, total)
        })
        .map(|accepted| accepted.reply)
        .map_err(|e| Failure::of_send(&e))
}

/// 1 minute after the first failure, doubling, at most an hour.
pub fn backoff(attempts: u32) -> SignedDuration {
    let minutes = 1i64 << attempts.saturating_sub(1).min(6);
    SignedDuration::from_mins(minutes.min(60))
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
