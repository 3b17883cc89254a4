//! What the window and its worker say to each other: [`Command`]s in, [`Event`]s out.
//! Every event is typed down to the view that shows it; nothing is routed by its text.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::error::Class;
use crate::message::Draft;
use crate::outbox::Entry;
use crate::outbox::runner::RunReport;
use crate::profile::Profile;
use crate::profile::Profiles;
use crate::profile::secret::Password;
use crate::server_copy::PendingCopy;
use crate::service::ConnectionTest;
use crate::store::drafts::{DraftRecord, DraftSummary};
use crate::store::sent::SentSummary;

/// How long the window offers Undo after a draft is deleted or discarded.
pub const UNDO_DELETE: Duration = Duration::from_secs(8);

/// Wakes the UI after an event (the GUI: `ctx.request_repaint()`).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// What the UI asks for.
#[derive(Debug)]
pub enum Command {
    /// Reload profiles, drafts, outbox, sent and the scheduler status.
    Refresh,
    ListDrafts {
        search: String,
    },
    OpenDraft(String),
    /// Read a saved message (`.eml`) into a new draft and open it.
    ImportEml(PathBuf),
    /// Save draft `id` (created on its first save); `explicit` is Save, not autosave.
    SaveDraft {
        id: String,
        profile: Option<String>,
        draft: Draft,
        explicit: bool,
    },
    /// Move draft `id` to the trash, where it waits for Undo until the toast has gone;
    /// `reopen_on_undo`: Undo opens it again in compose (Discard), else only lists it.
    DeleteDraft {
        id: String,
        reopen_on_undo: bool,
    },
    /// Undo a delete: the draft comes back from the trash as it was, files included.
    RestoreDraft {
        id: String,
        reopen: bool,
    },
    /// Save and move into the outbox, due at `at` (`None`: now plus the undo grace).
    Send {
        id: String,
        profile: Option<String>,
        draft: Draft,
        at: Option<Timestamp>,
    },
    /// Send a stored draft as it is (from the drafts list), through the undo grace period.
    SendDraft(String),
    /// Check files before they are attached: each path with its size or what is wrong.
    InspectFiles(Vec<PathBuf>),
    /// Take an outbox entry back into the drafts (Cancel), and reopen it in compose
    /// (Undo send), keeping the time it was scheduled for (Edit).
    CancelOutbox {
        id: String,
        then: AfterCancel,
    },
    RetryOutbox(String),
    DismissOutbox(String),
    /// File now every copy still waiting for its IMAP server's Sent folder.
    RetryCopies,
    SaveProfile {
        profile: Profile,
        password: Option<Password>,
        replaces: Option<String>,
    },
    RemoveProfile(String),
    /// Find the settings for an email address (Add account); answered by
    /// [`Event::AccountDetected`] with the same `request`.
    DetectAccount {
        request: u64,
        email: String,
    },
    /// Sign in to an OAuth2 profile through the system browser; answered by
    /// [`Event::SignInFinished`], then [`Event::SignIns`].
    SignIn(Profile),
    /// Stop waiting for the browser.
    CancelSignIn,
    TestProfile {
        profile: Profile,
        password: Option<Password>,
    },
    InstallScheduler,
    /// Find out whether Mailroom opens `mailto:` links (once, at start).
    QueryMailtoHandler,
    /// Make Mailroom open `mailto:` links (`true`) or stop it; the question is answered.
    SetMailtoHandler(bool),
    /// "Not now" to the window's question about `mailto:` links: it is not asked again.
    DeclineMailtoHandler,
    /// Open the native file picker (on a thread of its own).
    PickAttachments,
    /// Open a file with the desktop's default program (a sent `.eml`).
    OpenFile(PathBuf),
}

/// What becomes of a message taken back from the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCancel {
    /// It waits in the drafts (Cancel).
    List,
    /// It opens in compose (Undo send).
    Edit,
    /// It opens in compose, which offers to schedule it again for the same time (Edit).
    EditKeepingItsTime,
}

/// What the UI hears back.
#[derive(Debug)]
pub enum Event {
    Profiles(Profiles),
    Drafts(Vec<DraftSummary>),
    DraftOpened(DraftRecord),
    DraftSaved {
        id: String,
        version: u32,
        at: Timestamp,
        explicit: bool,
    },
    DraftDeleted {
        record: DraftRecord,
        reopen_on_undo: bool,
    },
    Outbox(Vec<Entry>),
    Sent(Vec<SentSummary>),
    /// Copies of sent messages still to be filed in a server's Sent folder.
    ServerCopies(Vec<PendingCopy>),
    /// A message went into the outbox; `undo_until` when it was a plain Send.
    Scheduled {
        entry: Entry,
        draft_id: String,
        undo_until: Option<Timestamp>,
    },
    /// A message taken back from the outbox, to edit; `scheduled_for`: the time it
    /// was to go out (Edit), which compose offers to keep.
    Reopen {
        record: DraftRecord,
        scheduled_for: Option<Timestamp>,
    },
    /// A big message is going out: `sent` of its `total` bytes so far (after each
    /// BDAT chunk; by DATA, only at the start and the end).
    Uploading {
        entry_id: String,
        sent: usize,
        total: usize,
    },
    /// The outbox pass that reported uploads ended, however it ended.
    UploadsEnded,
    OutboxRan(RunReport),
    TestResult {
        profile_id: String,
        result: Result<ConnectionTest, String>,
    },
    /// A profile was saved: the form closes and the list changes in the same frame
    /// (as two events, a click on the new list could open a form the second closed).
    ProfileSaved {
        id: String,
        note: Option<String>,
        profiles: Profiles,
    },
    /// No keyring answered; the password is kept in memory for this session.
    KeyringUnavailable {
        profile_id: String,
        reason: String,
    },
    /// What `outbox status` says, and whether something sends with the window closed.
    SchedulerStatus {
        text: String,
        runs_unattended: bool,
    },
    /// Which OAuth2 profiles are signed in (and until when their token is good); a
    /// profile not in the list does not sign in with OAuth2.
    SignIns(Vec<SignInState>),
    /// A sign-in ended: `Ok` signed in, `Err` why not.
    SignInFinished {
        profile: String,
        result: Result<(), String>,
    },
    /// What detection found for `DetectAccount { request, .. }`, or why it found nothing.
    AccountDetected {
        request: u64,
        result: Result<crate::detect::Detection, String>,
    },
    /// Whether Mailroom opens `mailto:` links; `None`: it cannot (no menu entry installed).
    MailtoHandler(Option<crate::desktop::MailtoHandler>),
    FilesPicked(Vec<PathBuf>),
    /// No native file dialog could be shown (no portal, no zenity), or it was cancelled.
    NoFilesPicked,
    FilesInspected(Vec<(PathBuf, Result<u64, String>)>),
    /// Something failed: `what` names the action, `topic` the view it concerns, `class`
    /// what kind of failure it is (the window says what to do about it).
    Problem {
        topic: Topic,
        what: String,
        message: String,
        class: Class,
    },
}

/// Whether an OAuth2 profile is signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInState {
    pub profile: String,
    pub signed_in: bool,
    /// When its access token expires (it renews itself while the refresh token holds).
    pub until: Option<Timestamp>,
}

/// Which part of the window a problem concerns, so each view shows its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    /// The message being written: saving it, sending it.
    Compose,
    /// The profile form: saving a profile.
    ProfileForm,
    /// Anything else: the window's banner.
    Window,
}

impl Command {
    /// What the command does, as a problem with it is introduced ("Sending: …"), and
    /// the view that problem concerns.
    pub fn describe(&self) -> (Topic, &'static str) {
        let what = match self {
            Command::Refresh | Command::ListDrafts { .. } => "Reading your messages",
            Command::OpenDraft(_) => "Opening the draft",
            Command::ImportEml(_) => "Opening the message",
            Command::SaveDraft { .. } => "Saving the draft",
            Command::RestoreDraft { .. } => "Bringing the draft back",
            Command::DeleteDraft { .. } => "Deleting the draft",
            Command::Send { .. } | Command::SendDraft(_) => "Sending",
            Command::CancelOutbox { .. } => "Taking the message back",
            Command::RetryOutbox(_) => "Retrying",
            Command::DismissOutbox(_) => "Dismissing",
            Command::RetryCopies => "Filing the copies in Sent",
            Command::SaveProfile { .. } => "Saving the profile",
            Command::RemoveProfile(_) => "Removing the profile",
            Command::TestProfile { .. } => "Testing the connection",
            Command::DetectAccount { .. } => "Finding the account's settings",
            Command::SignIn(_) | Command::CancelSignIn => "Signing in",
            Command::InstallScheduler => "Installing the scheduler",
            Command::PickAttachments | Command::InspectFiles(_) => "Attaching files",
            Command::QueryMailtoHandler
            | Command::SetMailtoHandler(_)
            | Command::DeclineMailtoHandler => "Choosing the program for mailto: links",
            Command::OpenFile(_) => "Opening the file",
        };
        let topic = match self {
            Command::SaveDraft { .. } | Command::Send { .. } | Command::SendDraft(_) => {
                Topic::Compose
            }
            Command::SaveProfile { .. } => Topic::ProfileForm,
            _ => Topic::Window,
        };
        (topic, what)
    }
}
