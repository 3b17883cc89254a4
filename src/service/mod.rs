//! [`Mailroom`]: the operations the CLI and the GUI's worker share — build, send now,
//! schedule, run the outbox — over the stores in one home; [`accounts`]: saving and
//! testing profiles.

mod accounts;
mod copies;

pub use accounts::{ConnectionTest, SavedProfile, WithoutKeyring};
pub use copies::ServerCopy;

use std::time::Duration;

use jiff::Timestamp;

use crate::clock::Clock;
use crate::error::Error;
use crate::message::{BuiltMessage, Draft};
use crate::outbox::runner::{Connector, RunReport, Runner};
use crate::outbox::{Entry, Outbox, Schedule};
use crate::paths::Dirs;
use crate::profile::{Profile, Profiles};
use crate::server_copy::ServerCopies;
use crate::settings::Settings;
use crate::store::StoreError;
use crate::store::drafts::{DraftRecord, DraftStore};
use crate::store::sent::SentStore;
use crate::transport::Accepted;

pub struct Mailroom {
    pub dirs: Dirs,
    /// What every operation takes as now ([`crate::clock::SystemClock`] but in tests).
    pub clock: std::sync::Arc<dyn Clock>,
    pub drafts: DraftStore,
    pub outbox: Outbox,
    pub sent: SentStore,
    /// Copies of sent messages still to be filed on IMAP servers.
    pub server_copies: ServerCopies,
}

/// A message that went out now.
#[derive(Debug)]
pub struct SentNow {
    pub accepted: Accepted,
    pub recipients: Vec<String>,
    /// The person's copy in `sent/`: its id, or why it could not be kept (the message
    /// went out all the same, so this is no reason to send it again).
    pub sent_copy: Result<String, String>,
    /// The copy in the IMAP server's Sent folder.
    pub server_copy: ServerCopy,
}

/// The largest saved message Mailroom opens as a draft (a message with big attachments
/// fits; `/dev/zero` does not).
pub const MAX_EML: u64 = 256 * 1024 * 1024;

/// A saved message that can be opened: a regular file (not a FIFO or a device, which
/// could block the reader for ever) of at most [`MAX_EML`] bytes.
pub fn check_eml_file(file: &std::path::Path) -> Result<(), Error> {
    let refuse = |why: String| Error::Argument {
        what: format!("opening {}", file.display()),
        why,
    };
    let meta = std::fs::metadata(file).map_err(|source| Error::Input {
        what: format!("opening {}", file.display()),
        source,
    })?;
    if !meta.is_file() {
        return Err(refuse("not a file".into()));
    }
    if meta.len() > MAX_EML {
        return Err(refuse(format!(
            "{} MB; a saved message may be at most {} MB",
            meta.len() / 1_000_000,
            MAX_EML / 1_000_000
        )));
    }
    Ok(())
}

impl Mailroom {
    pub fn new(dirs: Dirs) -> Self {
        Self::with_clock(dirs, std::sync::Arc::new(crate::clock::SystemClock))
    }

    /// Over the home in `dirs`, with `clock` as the time.
    pub fn with_clock(dirs: Dirs, clock: std::sync::Arc<dyn Clock>) -> Self {
        Self {
            clock,
            drafts: DraftStore::new(dirs.data()),
            outbox: Outbox::new(dirs.data()),
            sent: SentStore::new(dirs.data()),
            server_copies: ServerCopies::new(dirs.data()),
            dirs,
        }
    }

    /// Makes a home an older version left readable to others private, once
    /// ([`crate::store::private`]). The program's entry calls it before anything else,
    /// so the window's thread never walks a big home.
    pub fn make_private(&self) {
        crate::store::private::tighten_once(self.dirs.data());
        crate::store::private::tighten_once(self.dirs.config());
    }

    /// Now, by this home's clock.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn profiles(&self) -> Result<Profiles, Error> {
        Ok(Profiles::load_or_init(&self.dirs)?)
    }

    pub fn settings(&self) -> Result<Settings, Error> {
        Ok(Settings::load(&self.dirs)?)
    }

    /// Validates `draft` for `profile` (the default when `None`) and builds its message.
    pub fn build(
        &self,
        profile: Option<&str>,
        draft: &Draft,
    ) -> Result<(Profile, BuiltMessage), Error> {
        build_with(&self.profiles()?, profile, draft)
    }

    /// Sends now over a connection of its own and keeps the person's copy in `sent/`.
    pub fn send_now(
        &self,
        profile: Option<&str>,
        draft: &Draft,
        now: Timestamp,
    ) -> Result<SentNow, Error> {
        let profiles = self.profiles()?;
        let (profile, message) = build_with(&profiles, profile, draft)?;
        // The copy for `sent/` is written while the message uploads.
        let (accepted, staged) = std::thread::scope(|scope| {
            let staging = scope.spawn(|| self.sent.stage(message.record(), now));
            let accepted = send_over_own_connection(&self.dirs, &profile, &message);
            let staged = staging.join().unwrap_or(Err(StoreError::Internal(
                "the thread writing the sent copy panicked",
            )));
            (accepted, staged)
        });
        let accepted = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                if let Ok(staged) = staged {
                    self.sent.discard(staged);
                }
                return Err(e);
            }
        };
        let sent_copy = staged
            .and_then(|staged| self.sent.commit(staged))
            .map_err(|e| e.to_string());
        let server_copy = match &sent_copy {
            Ok(id) => self.file_copy_now(&profiles, &profile.id, id, now),
            // Filed from the local copy: without one, none.
            Err(_) => ServerCopy::NotQueued("no local copy to file from".into()),
        };
        Ok(SentNow {
            accepted,
            recipients: message
                .recipients()
                .iter()
                .map(ToString::to_string)
                .collect(),
            sent_copy,
            server_copy,
        })
    }

    /// Sends draft `id` now; the draft is removed once the server has accepted it.
    pub fn send_draft_now(&self, id: &str, now: Timestamp) -> Result<SentNow, Error> {
        let record = self.drafts.load(id)?;
        let sent = self.send_now(record.profile.as_deref(), &record.draft, now)?;
        self.drafts.delete(id)?;
        Ok(sent)
    }

    /// Freezes draft `id` into the outbox to go out at `send_at`. A draft that would not
    /// build (a bad address, a missing file) stays where it is.
    pub fn schedule_draft(
        &self,
        id: &str,
        send_at: Timestamp,
        now: Timestamp,
    ) -> Result<Entry, Error> {
        self.schedule_record(&self.drafts.load(id)?, send_at, now)
    }

    /// As [`Self::schedule_draft`], for the record a save just returned: the message is
    /// built once, from what was saved, with no second read.
    pub fn schedule_record(
        &self,
        record: &DraftRecord,
        send_at: Timestamp,
        now: Timestamp,
    ) -> Result<Entry, Error> {
        let built = self.build(record.profile.as_deref(), &record.draft)?;
        self.schedule_built(record, built, send_at, now)
    }

    /// Puts `record`'s message, built, in the outbox.
    fn schedule_built(
        &self,
        record: &DraftRecord,
        (profile, message): (Profile, BuiltMessage),
        send_at: Timestamp,
        now: Timestamp,
    ) -> Result<Entry, Error> {
        let schedule = Schedule {
            profile: &profile.id,
            message: &message,
            draft_id: &record.id,
            send_at,
            time_zone: local_time_zone_name(),
            subject: record.draft.subject.clone(),
        };
        Ok(self.outbox.schedule(&self.drafts, schedule, now)?)
    }

    /// Keeps `draft` as a new draft and schedules it (`send --at`).
    pub fn schedule_new(
        &self,
        profile: Option<&str>,
        draft: Draft,
        send_at: Timestamp,
        now: Timestamp,
    ) -> Result<Entry, Error> {
        // Built before the draft is made, from the files given (the draft keeps copies of
        // the same bytes): a message that cannot be built makes no draft.
        let built = self.build(profile, &draft)?;
        let record = self
            .drafts
            .create(profile.map(str::to_string), draft, now)?;
        self.schedule_built(&record, built, send_at, now)
    }

    /// The outbox entry `id` names: an entry's own id, or the id of the draft it was
    /// scheduled from (the window and `drafts send` show that one). Anything else is
    /// named for what it is: a draft that is not scheduled, a message that was sent.
    pub fn outbox_id(&self, id: &str) -> Result<String, Error> {
        if crate::store::ids::is_valid(id) && self.outbox.folder(id).is_dir() {
            return Ok(id.to_string());
        }
        if let Some(entry) = self.outbox.entry_of_draft(id) {
            return Ok(entry);
        }
        let why = if self.drafts.load(id).is_ok() {
            format!(
                "that is a draft, not scheduled: `mailroom drafts send {id} --at …` schedules it"
            )
        } else if let Some(sent) = self.sent.list()?.into_iter().find(|s| s.id == id) {
            format!(
                "it was sent{}: see `mailroom sent list`",
                sent.date.and_then(|d| d.parse::<Timestamp>().ok()).map_or(
                    String::new(),
                    |at| format!(" on {}", crate::when::local(at))
                )
            )
        } else {
            return Err(StoreError::UnknownEntry(id.to_string()).into());
        };
        Err(Error::NotInOutbox {
            id: id.to_string(),
            why,
        })
    }

    pub fn create_draft(
        &self,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, Error> {
        Ok(self.drafts.create(profile, draft, now)?)
    }

    /// Reads the saved message `file` (`.eml`) into a new draft.
    pub fn import_eml(&self, file: &std::path::Path, now: Timestamp) -> Result<DraftRecord, Error> {
        check_eml_file(file)?;
        let mut bytes = Vec::new();
        std::fs::File::open(file)
            .and_then(|f| {
                std::io::Read::read_to_end(&mut std::io::Read::take(f, MAX_EML), &mut bytes)
            })
            .map_err(|source| Error::Input {
                what: format!("reading {}", file.display()),
                source,
            })?;
        let draft = crate::message::eml::import(&bytes).map_err(|source| Error::Eml {
            path: file.display().to_string(),
            source,
        })?;
        self.create_draft(None, draft, now)
    }

    /// A runner over this home's outbox.
    pub fn runner<'a>(
        &'a self,
        profiles: &'a Profiles,
        give_up_after: Duration,
        clock: &'a dyn Clock,
        connector: &'a dyn Connector,
    ) -> Runner<'a> {
        Runner {
            outbox: &self.outbox,
            drafts: &self.drafts,
            sent: &self.sent,
            profiles,
            give_up_after,
            clock,
            connector,
            on_upload: &crate::outbox::runner::no_progress,
            after_sent: Box::new(self.filing(profiles, clock)),
        }
    }

    /// One outbox pass with the real network and clock; records how it went, an error
    /// included, for `outbox status` (the OS scheduler throws its output away).
    pub fn run_outbox_once(&self) -> Result<RunReport, Error> {
        let ran = self.profiles().and_then(|profiles| {
            let settings = self.settings()?;
            Ok(self
                .runner(
                    &profiles,
                    settings.give_up_after(),
                    self.clock.as_ref(),
                    &crate::outbox::runner::RealConnector(self.dirs.clone()),
                )
                .run_due()?)
        });
        match &ran {
            Ok(report) => self.record_run(report),
            Err(e) => self.record_failed_run(e),
        }
        ran
    }

    /// Writes `data/outbox-last-run.json` for `outbox status`; best effort.
    pub fn record_run(&self, report: &RunReport) {
        let summary = serde_json::json!({
            "at": self.now().to_string(),
            "sent": report.sent.len(),
            "retrying": report.retrying.len(),
            "failed": report.failed.len(),
            "uncertain": report.uncertain.len(),
            "problems": report.problems,
        });
        self.write_last_run(&summary);
    }

    /// Records a pass that could not run at all (no profiles file, a damaged outbox).
    pub fn record_failed_run(&self, error: &Error) {
        let summary = serde_json::json!({
            "at": self.now().to_string(),
            "error": crate::error::display_chain(error),
        });
        self.write_last_run(&summary);
    }

    fn write_last_run(&self, summary: &serde_json::Value) {
        let _ = crate::store::write_atomic(
            &self.dirs.data().join("outbox-last-run.json"),
            summary.to_string().as_bytes(),
        );
    }
}

/// Validates `draft` for `profile` of `profiles` (the default when `None`) and builds its
/// message.
fn build_with(
    profiles: &Profiles,
    profile: Option<&str>,
    draft: &Draft,
) -> Result<(Profile, BuiltMessage), Error> {
    let profile = profiles.resolve(profile)?.clone();
    let message = crate::message::build(draft, &profile.from)?;
    Ok((profile, message))
}

/// Sends one built message through the profile, over a connection of its own.
fn send_over_own_connection(
    dirs: &Dirs,
    profile: &Profile,
    message: &BuiltMessage,
) -> Result<crate::transport::Accepted, Error> {
    let mut transport = crate::transport::login::open(dirs, profile, None)?;
    let result = transport.send(message.envelope(), &message.transmitted());
    transport.close();
    Ok(result?)
}

/// The person's time zone name (IANA), for showing scheduled times; `UTC` if unknown.
pub fn local_time_zone_name() -> String {
    jiff::tz::TimeZone::system()
        .iana_name()
        .unwrap_or("UTC")
        .to_string()
}
