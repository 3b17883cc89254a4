//! The server copies of sent messages, as the CLI and the window reach them: the filing
//! context the outbox runner is given, and the copy `mailroom send` files within the
//! command ([`crate::server_copy`]).

use jiff::Timestamp;

use super::Mailroom;
use crate::clock::Clock;
use crate::outbox::CopiesReport;
use crate::profile::Profiles;
use crate::server_copy::Filing;

/// What became of a message's copy on the server, for `send` to say.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerCopy {
    /// The profile has no IMAP server, or its provider files copies itself.
    NotWanted,
    Filed,
    /// Not filed yet: why; the outbox runner tries again.
    Pending(String),
    /// Refused for good, with the server's words.
    Failed(String),
    /// Mailroom could not even queue it (its own files): no copy will be filed.
    NotQueued(String),
}

impl Mailroom {
    /// Filing over this home, with `profiles` and `clock`.
    pub fn filing<'a>(&'a self, profiles: &'a Profiles, clock: &'a dyn Clock) -> Filing<'a> {
        Filing {
            dirs: &self.dirs,
            profiles,
            copies: &self.server_copies,
            sent: &self.sent,
            drafts: &self.drafts,
            typed: &crate::server_copy::no_typed_password,
            clock,
        }
    }

    /// Files the copy of sent message `id` (sent now with `profile`) on the profile's IMAP
    /// server, when it wants one. A copy that cannot be filed now stays queued.
    pub(super) fn file_copy_now(
        &self,
        profiles: &Profiles,
        profile: &str,
        id: &str,
        sent_at: Timestamp,
    ) -> ServerCopy {
        let filing = self.filing(profiles, self.clock.as_ref());
        match filing.enqueue(id, profile, sent_at) {
            Ok(false) => return ServerCopy::NotWanted,
            Ok(true) => {}
            Err(e) => return ServerCopy::NotQueued(e.to_string()),
        }
        outcome(id, &filing.file_due(Some(id)))
    }

    /// The person says uncertain message `id` did go out: it moves to `sent/`, and its
    /// copy is queued for the server's Sent folder (the outbox runner files it) as any
    /// sent message's is. Returns its id in `sent/`.
    pub fn dismiss_uncertain(&self, id: &str) -> Result<String, crate::error::Error> {
        let profiles = self.profiles()?;
        let filing = self.filing(&profiles, self.clock.as_ref());
        Ok(self.outbox.dismiss(&self.sent, &filing, id)?)
    }

    /// Files every copy still to be filed now, those refused for good included.
    pub fn retry_copies(&self) -> Result<(usize, CopiesReport), crate::error::Error> {
        let again = self.server_copies.retry_now(self.now())?;
        let profiles = self.profiles()?;
        Ok((
            again,
            self.filing(&profiles, self.clock.as_ref()).file_due(None),
        ))
    }
}

fn outcome(id: &str, report: &CopiesReport) -> ServerCopy {
    let find = |list: &[(String, String)]| {
        list.iter()
            .find(|(copy, _)| copy == id)
            .map(|(_, why)| why.clone())
    };
    if report.filed.iter().any(|copy| copy == id) {
        ServerCopy::Filed
    } else if let Some(why) = find(&report.failed) {
        ServerCopy::Failed(why)
    } else if let Some(why) = find(&report.pending) {
        ServerCopy::Pending(why)
    } else {
        // Another filer holds the queue: it files this one too.
        ServerCopy::Pending(
            report
                .problems
                .first()
                .cloned()
                .unwrap_or_else(|| "another Mailroom is filing copies right now".into()),
        )
    }
}
