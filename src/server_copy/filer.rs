//! Filing pending copies: one connection per profile, a search by Message-ID before each
//! APPEND, the record removed once the copy is there, or settled with the server's words
//! (see the module doc of [`super`]).

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::connect::{self, OpenError, SentFolder, transient_imap};
use super::{PendingCopy, ServerCopies};
use crate::clock::Clock;
use crate::imap::{ImapError, Session};
use crate::outbox::{AfterSent, CopiesReport, Entry};
use crate::paths::Dirs;
use crate::profile::secret::Password;
use crate::profile::{Profile, Profiles};
use crate::store::StoreError;
use crate::store::drafts::DraftStore;
use crate::store::sent::SentStore;

/// The longest wait between two tries.
const MAX_BACKOFF: SignedDuration = SignedDuration::from_secs(3600);

/// Everything filing needs, over one home.
pub struct Filing<'a> {
    pub dirs: &'a Dirs,
    pub profiles: &'a Profiles,
    pub copies: &'a ServerCopies,
    pub sent: &'a SentStore,
    /// The drafts, for profiles that keep them on the server ([`super::drafts`]).
    pub drafts: &'a DraftStore,
    /// A password typed this session for a profile, the keyring's fallback (the window
    /// keeps them; elsewhere [`no_typed_password`]).
    pub typed: &'a (dyn Fn(&str) -> Option<Password> + Sync),
    pub clock: &'a dyn Clock,
}

/// For filers with nobody to type a password: the keyring or `password_command` only.
pub fn no_typed_password(_profile: &str) -> Option<Password> {
    None
}

/// Why one copy was not filed.
pub(super) struct NotFiled {
    pub(super) message: String,
    pub(super) transient: bool,
}

impl NotFiled {
    /// Mailroom's own files got in the way: this one waits, the rest goes on.
    pub(super) fn local(e: StoreError) -> Self {
        Self {
            message: e.to_string(),
            transient: false,
        }
    }
}

impl From<ImapError> for NotFiled {
    fn from(e: ImapError) -> Self {
        Self {
            transient: transient_imap(&e),
            message: e.to_string(),
        }
    }
}

impl From<OpenError> for NotFiled {
    fn from(e: OpenError) -> Self {
        Self {
            transient: e.is_transient(),
            message: e.to_string(),
        }
    }
}

impl Filing<'_> {
    /// The profile, when Mailroom files its copies itself.
    fn uploading(&self, profile_id: &str) -> Option<&Profile> {
        let profile = self.profiles.get(profile_id).ok()?;
        let (_, imap) = connect::imap_of(profile)?;
        imap.uploads_sent_copies().then_some(profile)
    }

    /// Records that sent message `id` needs a copy on the server, when its profile
    /// files copies; durable when it returns.
    pub fn enqueue(&self, id: &str, profile: &str, sent_at: Timestamp) -> Result<bool, StoreError> {
        if self.uploading(profile).is_none() {
            return Ok(false);
        }
        self.copies
            .enqueue_once(&PendingCopy::new(id, profile, sent_at))?;
        Ok(true)
    }

    /// Files every copy that is due (or, with `only`, that one, due or not). Another
    /// filer at work: nothing is done.
    pub fn file_due(&self, only: Option<&str>) -> CopiesReport {
        let mut report = CopiesReport::default();
        if !self.copies.has_any() {
            return report; // the common case: no file touched
        }
        let _lock = match self.copies.try_lock() {
            Ok(Some(lock)) => lock,
            Ok(None) => return report,
            Err(e) => {
                report.problems.push(e.to_string());
                return report;
            }
        };
        let pending = match self.copies.list() {
            Ok(pending) => pending,
            Err(e) => {
                report.problems.push(e.to_string());
                return report;
            }
        };
        let now = self.clock.now();
        let mut by_profile: BTreeMap<String, (&Profile, Vec<PendingCopy>)> = BTreeMap::new();
        for copy in pending {
            let Some(profile) = self.uploading(&copy.profile) else {
                self.drop_copy(&copy, &mut report);
                continue;
            };
            let due = match only {
                Some(id) => copy.id == id,
                None => !copy.failed && copy.next_try <= now,
            };
            if due {
                by_profile
                    .entry(copy.profile.clone())
                    .or_insert_with(|| (profile, Vec::new()))
                    .1
                    .push(copy);
            }
        }
        for (profile, copies) in by_profile.into_values() {
            self.file_group(profile, copies, &mut report);
        }
        report
    }

    /// The profile is gone, or no longer files copies: this one never will be.
    fn drop_copy(&self, copy: &PendingCopy, report: &mut CopiesReport) {
        match self.copies.remove(&copy.id) {
            Ok(()) => report.problems.push(format!(
                "the copy of {} will not be filed: profile \"{}\" is gone or no longer files copies in Sent",
                copy.id, copy.profile
            )),
            Err(e) => report.problems.push(e.to_string()),
        }
    }

    fn file_group(&self, profile: &Profile, copies: Vec<PendingCopy>, report: &mut CopiesReport) {
        let typed = (self.typed)(&profile.id);
        let (mut session, folder) = match connect::open(self.dirs, profile, typed.as_ref()) {
            Ok(opened) => opened,
            Err(e) => {
                let why = NotFiled::from(e);
                for copy in copies {
                    self.settle(copy, &why, report);
                }
                return;
            }
        };
        let mut copies = copies.into_iter();
        while let Some(copy) = copies.next() {
            match self.file_one(&mut session, &folder, &copy) {
                Ok(()) => self.forget(&copy, report),
                Err(why) => {
                    let connection_lost = why.transient;
                    self.settle(copy, &why, report);
                    if connection_lost {
                        // The rest would meet the same: they wait for the next try.
                        for rest in copies.by_ref() {
                            self.settle(rest, &why, report);
                        }
                        return;
                    }
                }
            }
        }
        session.logout();
    }

    /// Files `copy` unless the Sent folder holds its Message-ID already.
    fn file_one(
        &self,
        session: &mut Session,
        folder: &SentFolder,
        copy: &PendingCopy,
    ) -> Result<(), NotFiled> {
        let gone = |detail: String| NotFiled {
            message: format!("the sent message {} cannot be read: {detail}", copy.id),
            transient: false,
        };
        let path = self.sent.path(&copy.id).map_err(|e| gone(e.to_string()))?;
        let bytes = std::fs::read(&path).map_err(|e| gone(format!("{}: {e}", path.display())))?;
        if let Some(message_id) = message_id_of(&bytes)
            && !session
                .find_message_id(&folder.name, &message_id)?
                .is_empty()
        {
            return Ok(());
        }
        let date = copy.sent_at.to_zoned(jiff::tz::TimeZone::system());
        session.append(&folder.name, &bytes, &["\\Seen"], Some(&date))?;
        Ok(())
    }

    fn forget(&self, copy: &PendingCopy, report: &mut CopiesReport) {
        match self.copies.remove(&copy.id) {
            Ok(()) => report.filed.push(copy.id.clone()),
            Err(e) => report.problems.push(e.to_string()),
        }
    }

    /// A try that did not file `copy`: again later with backoff, or failed for good.
    fn settle(&self, mut copy: PendingCopy, why: &NotFiled, report: &mut CopiesReport) {
        let now = self.clock.now();
        copy.attempts = copy.attempts.saturating_add(1);
        copy.last_error = Some(why.message.clone());
        copy.failed = !why.transient;
        copy.next_try = now.saturating_add(backoff(copy.attempts)).unwrap_or(now);
        let entry = (copy.id.clone(), why.message.clone());
        if copy.failed {
            report.failed.push(entry);
        } else {
            report.pending.push(entry);
        }
        if let Err(e) = self.copies.save(&copy) {
            report.problems.push(e.to_string());
        }
    }
}

/// 1 min, 2, 4, … at most 1 h, after `attempts` tries.
pub(super) fn backoff(attempts: u32) -> SignedDuration {
    let minutes = 1i64 << attempts.saturating_sub(1).min(10);
    SignedDuration::from_mins(minutes).min(MAX_BACKOFF)
}

/// The `Message-ID` of a message, with its angle brackets.
pub(super) fn message_id_of(bytes: &[u8]) -> Option<String> {
    let parsed = mail_parser::MessageParser::new().parse_headers(bytes)?;
    parsed.message_id().map(|id| format!("<{id}>"))
}

impl AfterSent for Filing<'_> {
    fn sent(&self, entry: &Entry) -> Result<(), StoreError> {
        self.enqueue(&entry.id, &entry.profile, entry.sent_at())
            .map(|_| ())
    }

    fn pass(&self) -> CopiesReport {
        let mut report = self.file_due(None);
        self.sync_drafts(&mut report);
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tries_are_spaced_out_doubling_up_to_an_hour() {
        let minutes: Vec<i64> = [1, 2, 3, 4, 7, 8, 40]
            .iter()
            .map(|a| backoff(*a).as_secs() / 60)
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 60, 60, 60]);
    }

    #[test]
    fn the_message_id_is_read_from_the_header_with_its_brackets() {
        let message =
            b"From: a@example.org\r\nMessage-ID: <x.1@example.org>\r\nSubject: s\r\n\r\nMessage-ID: <body@x>\r\n";
        assert_eq!(message_id_of(message).as_deref(), Some("<x.1@example.org>"));
        assert_eq!(message_id_of(b"Subject: none\r\n\r\nbody"), None);
    }
}
