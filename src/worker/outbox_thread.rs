//! The worker's outbox thread: runs the outbox (the same runner the CLI and the OS
//! scheduler use) whenever something is due or a Send pokes it, and tells the window
//! what changed.

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use jiff::Timestamp;

use super::{Emitter, Event, SessionPasswords, Topic};
use crate::error::Error;
use crate::outbox::runner::{Connector, Upload};
use crate::profile::Profile;
use crate::service::Mailroom;
use crate::transport::Transport;

/// A message this big (bytes) shows its upload's progress; smaller ones go out at once.
const BIG_MESSAGE: usize = 256 * 1024;

pub(super) struct OutboxThread {
    pub(super) mailroom: Mailroom,
    pub(super) emit: Emitter,
    pub(super) passwords: SessionPasswords,
}

impl OutboxThread {
    /// Runs the outbox when something is due, or when poked after a Send.
    pub(super) fn run(self, pokes: Receiver<()>) {
        // The last pass's problems with single entries, each shown once, not every pass.
        let mut shown_problems = Vec::new();
        loop {
            let wait = match self.pass(&mut shown_problems) {
                Ok(next_due) => next_due
                    .map(|due| {
                        Duration::try_from(due.duration_since(self.mailroom.now()))
                            .unwrap_or(Duration::ZERO)
                    })
                    .unwrap_or(Duration::from_secs(30))
                    .clamp(Duration::from_millis(200), Duration::from_secs(30)),
                Err(e) => {
                    self.emit
                        .problem(Topic::Window, "Sending from the outbox", &e);
                    Duration::from_secs(30)
                }
            };
            match pokes.recv_timeout(wait) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn pass(&self, shown_problems: &mut Vec<String>) -> Result<Option<Timestamp>, Error> {
        let m = &self.mailroom;
        let profiles = m.profiles()?;
        let settings = m.settings()?;
        let connector = SessionConnector {
            dirs: m.dirs.clone(),
            passwords: self.passwords.clone(),
        };
        let uploading = std::cell::Cell::new(false);
        let show_upload = |upload: Upload<'_>| {
            if upload.total >= BIG_MESSAGE {
                uploading.set(true);
                self.emit.emit(Event::Uploading {
                    entry_id: upload.entry_id.to_string(),
                    sent: upload.sent,
                    total: upload.total,
                });
            }
        };
        let typed = |profile: &str| self.passwords.get(profile);
        let mut runner = m.runner(
            &profiles,
            settings.give_up_after(),
            m.clock.as_ref(),
            &connector,
        );
        runner.on_upload = &show_upload;
        runner.after_sent = Box::new(crate::server_copy::Filing {
            typed: &typed,
            ..m.filing(&profiles, m.clock.as_ref())
        });
        let ran = runner.run_due();
        if uploading.get() {
            self.emit.emit(Event::UploadsEnded);
        }
        let report = ran?;
        if report.problems != *shown_problems {
            for problem in report
                .problems
                .iter()
                .filter(|p| !shown_problems.contains(p))
            {
                self.emit.emit(Event::Problem {
                    topic: Topic::Window,
                    what: "Sending from the outbox".into(),
                    message: problem.clone(),
                    // Damaged entries, files that could not be finished: Mailroom's own.
                    class: crate::error::Class::Environment,
                });
            }
            shown_problems.clone_from(&report.problems);
        }
        let changed = !(report.sent.is_empty()
            && report.failed.is_empty()
            && report.retrying.is_empty()
            && report.uncertain.is_empty()
            && report.copies == crate::outbox::CopiesReport::default());
        let next_due = report.next_due;
        if changed {
            m.record_run(&report);
            let listing = m.outbox.list(&m.drafts)?;
            self.emit.emit(Event::Outbox(listing.entries));
            self.emit.emit(Event::Sent(m.sent.list()?));
            self.emit.emit(Event::ServerCopies(m.server_copies.list()?));
            self.emit.emit(Event::OutboxRan(report));
        }
        Ok(next_due)
    }
}

/// The real connector, with this session's typed passwords as the keyring's fallback.
struct SessionConnector {
    dirs: crate::paths::Dirs,
    passwords: SessionPasswords,
}

impl Connector for SessionConnector {
    fn open(&self, profile: &Profile) -> Result<Box<dyn Transport>, Error> {
        let session = self.passwords.get(&profile.id);
        crate::transport::login::open(&self.dirs, profile, session.as_ref())
    }
}
