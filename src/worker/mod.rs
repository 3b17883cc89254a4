//! The desktop app's background: two threads that own every file, keyring, dialog and
//! network call, so the UI thread never waits on one.
//!
//! - The **command thread** takes [`Command`]s in order (save a draft, schedule, test a
//!   profile, …) and answers with [`Event`]s.
//! - The **outbox thread** runs the outbox (the same [`Runner`](crate::outbox::runner::Runner) the CLI and the OS
//!   scheduler use) whenever something is due, so Send — which goes through the outbox
//!   with the undo grace period — goes out while the window is open. A long upload
//!   never delays a draft save.
//!
//! After sending each event a thread calls the injected waker (the GUI passes a closure
//! calling `ctx.request_repaint()`), so the core knows nothing of egui. Passwords typed
//! while no keyring answers are kept here, in memory, for the session only.

mod outbox_thread;
mod watch;

use outbox_thread::OutboxThread;
use watch::{Fingerprint, WATCH_EVERY};

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::error::{Error, display_chain};
use crate::message::Draft;
use crate::outbox::Entry;
use crate::outbox::runner::RunReport;
use crate::paths::Dirs;
use crate::profile::secret::{self, Password};
use crate::profile::{Profile, Profiles, Server};
use crate::service::Mailroom;
use crate::store::drafts::{DraftRecord, DraftSummary};
use crate::store::sent::SentSummary;
use crate::transport::Transport;
use crate::transport::smtp::SmtpSession;

/// How long a deleted draft waits in the trash: longer than its Undo toast shows
/// ([`UNDO_DELETE`]), so Undo always finds it.
const TRASH_KEPT: Duration = Duration::from_secs(60);

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
    SaveProfile {
        profile: Profile,
        password: Option<Password>,
        replaces: Option<String>,
    },
    RemoveProfile(String),
    TestProfile {
        profile: Profile,
        password: Option<Password>,
    },
    InstallScheduler,
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
        result: Result<String, String>,
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
    SchedulerStatus(String),
    FilesPicked(Vec<PathBuf>),
    /// No native file dialog could be shown (no portal, no zenity), or it was cancelled.
    NoFilesPicked,
    FilesInspected(Vec<(PathBuf, Result<u64, String>)>),
    /// Something failed; `what` names the action.
    Problem {
        what: String,
        message: String,
    },
}

/// The UI's handle: send commands, drain events.
pub struct WorkerHandle {
    commands: Sender<Command>,
    events: Receiver<Event>,
}

impl WorkerHandle {
    pub fn send(&self, command: Command) {
        let _ = self.commands.send(command);
    }

    /// Every event that has arrived, without waiting.
    pub fn drain(&self) -> Vec<Event> {
        self.events.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event (tests use this; the UI never waits).
    pub fn wait(&self, timeout: Duration) -> Option<Event> {
        self.events.recv_timeout(timeout).ok()
    }
}

type SessionPasswords = Arc<Mutex<HashMap<String, Password>>>;

/// Starts both threads for the home in `dirs`.
pub fn start(dirs: Dirs, waker: Waker) -> WorkerHandle {
    let (commands, command_rx) = mpsc::channel();
    let (event_tx, events) = mpsc::channel();
    let (poke_tx, poke_rx) = mpsc::channel();
    let passwords: SessionPasswords = Arc::default();
    let emit = Emitter {
        tx: event_tx,
        waker,
    };

    let outbox = OutboxThread {
        mailroom: Mailroom::new(dirs.clone()),
        emit: emit.clone(),
        passwords: passwords.clone(),
    };
    std::thread::Builder::new()
        .name("mailroom-outbox".into())
        .spawn(move || outbox.run(poke_rx))
        .ok();
    let worker = CommandThread {
        mailroom: Mailroom::new(dirs),
        emit,
        passwords,
        poke: poke_tx,
    };
    std::thread::Builder::new()
        .name("mailroom-worker".into())
        .spawn(move || worker.run(command_rx))
        .ok();
    WorkerHandle { commands, events }
}

#[derive(Clone)]
struct Emitter {
    tx: Sender<Event>,
    waker: Waker,
}

impl Emitter {
    fn emit(&self, event: Event) {
        let _ = self.tx.send(event);
        (self.waker)();
    }

    fn problem(&self, what: &str, error: &dyn std::error::Error) {
        self.emit(Event::Problem {
            what: what.to_string(),
            message: display_chain(error),
        });
    }
}

struct CommandThread {
    mailroom: Mailroom,
    emit: Emitter,
    passwords: SessionPasswords,
    poke: Sender<()>,
}

impl CommandThread {
    /// Takes commands until the window is gone; between them, every [`WATCH_EVERY`],
    /// refreshes the views when the home changed from outside ([`watch`]).
    fn run(self, commands: Receiver<Command>) {
        let dirs = self.mailroom.dirs.clone();
        let mut seen = Fingerprint::of(&dirs);
        let mut looked = Instant::now();
        loop {
            match commands.recv_timeout(WATCH_EVERY) {
                Ok(command) => {
                    self.handle_reporting(command);
                    // What this thread changed itself, its answer has already shown.
                    seen = Fingerprint::of(&dirs);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if looked.elapsed() >= WATCH_EVERY {
                looked = Instant::now();
                let now = Fingerprint::of(&dirs);
                if now != seen {
                    seen = now;
                    self.handle_reporting(Command::Refresh);
                    let _ = self.poke.send(()); // something may be due sooner
                }
            }
        }
    }

    fn handle_reporting(&self, command: Command) {
        let what = describe(&command);
        if let Err(e) = self.handle(command) {
            self.emit.problem(&what, &e);
        }
    }

    fn handle(&self, command: Command) -> Result<(), Error> {
        let m = &self.mailroom;
        let now = Timestamp::now();
        match command {
            Command::Refresh => {
                m.drafts.empty_trash(now - TRASH_KEPT);
                self.emit.emit(Event::Profiles(m.profiles()?));
                self.list_drafts("")?;
                self.list_outbox()?;
                self.emit
                    .emit(Event::SchedulerStatus(crate::scheduler::status(&m.dirs)));
            }
            Command::ListDrafts { search } => self.list_drafts(&search)?,
            Command::OpenDraft(id) => self.emit.emit(Event::DraftOpened(m.drafts.load(&id)?)),
            Command::SaveDraft {
                id,
                profile,
                draft,
                explicit,
            } => {
                let record = self.save(id, profile, draft, now)?;
                self.emit.emit(Event::DraftSaved {
                    id: record.id,
                    version: record.version,
                    at: now,
                    explicit,
                });
                self.list_drafts("")?;
            }
            Command::DeleteDraft { id, reopen_on_undo } => {
                m.drafts.empty_trash(now - TRASH_KEPT);
                let record = m.drafts.trash(&id, now)?;
                self.emit.emit(Event::DraftDeleted {
                    record,
                    reopen_on_undo,
                });
                self.list_drafts("")?;
            }
            Command::RestoreDraft { id, reopen } => {
                let record = m.drafts.restore(&id)?;
                if reopen {
                    self.emit.emit(Event::Reopen {
                        record,
                        scheduled_for: None,
                    });
                }
                self.list_drafts("")?;
            }
            Command::Send {
                id,
                profile,
                draft,
                at,
            } => {
                let grace = m.settings()?.undo_send();
                // Refuse a message that would not build before anything moves.
                m.build(profile.as_deref(), &draft)?;
                let record = self.save(id, profile, draft, now)?;
                let send_at = at.unwrap_or_else(|| now + grace);
                let entry = m.schedule_draft(&record.id, send_at, now)?;
                let undo_until = at.is_none().then_some(send_at);
                self.emit.emit(Event::Scheduled {
                    entry,
                    draft_id: record.id,
                    undo_until,
                });
                self.list_drafts("")?;
                self.list_outbox()?;
                let _ = self.poke.send(());
            }
            Command::SendDraft(id) => {
                let send_at = now + m.settings()?.undo_send();
                let entry = m.schedule_draft(&id, send_at, now)?;
                self.emit.emit(Event::Scheduled {
                    entry,
                    draft_id: id,
                    undo_until: Some(send_at),
                });
                self.list_drafts("")?;
                self.list_outbox()?;
                let _ = self.poke.send(());
            }
            Command::CancelOutbox { id, then } => {
                let send_at = m.outbox.load(&id)?.send_at;
                let draft_id = m.outbox.cancel(&m.drafts, &id)?;
                if then != AfterCancel::List {
                    let scheduled_for =
                        (then == AfterCancel::EditKeepingItsTime).then_some(send_at);
                    self.emit.emit(Event::Reopen {
                        record: m.drafts.load(&draft_id)?,
                        scheduled_for,
                    });
                }
                self.list_drafts("")?;
                self.list_outbox()?;
            }
            Command::RetryOutbox(id) => {
                m.outbox.reschedule(&id, now)?;
                self.list_outbox()?;
                let _ = self.poke.send(());
            }
            Command::DismissOutbox(id) => {
                m.outbox.dismiss(&m.sent, &id)?;
                self.list_outbox()?;
            }
            Command::SaveProfile {
                profile,
                password,
                replaces,
            } => self.save_profile(profile, password, replaces)?,
            Command::RemoveProfile(id) => {
                let mut profiles = m.profiles()?;
                profiles.remove(&id)?;
                profiles.save(&m.dirs.profiles_file())?;
                self.forget_password(&id);
                self.emit.emit(Event::Profiles(profiles));
            }
            Command::TestProfile { profile, password } => {
                let result = self
                    .test(&profile, password.as_ref())
                    .map_err(|e| display_chain(&e));
                self.emit.emit(Event::TestResult {
                    profile_id: profile.id,
                    result,
                });
            }
            Command::InstallScheduler => {
                let done = crate::scheduler::install(&m.dirs)?;
                self.emit.emit(Event::SchedulerStatus(format!(
                    "{done}\n{}",
                    crate::scheduler::status(&m.dirs)
                )));
            }
            Command::PickAttachments => {
                let emit = self.emit.clone();
                std::thread::spawn(move || pick_files(&emit));
            }
            Command::OpenFile(path) => open_with_desktop(&path)?,
            Command::InspectFiles(paths) => {
                let inspected = paths.into_iter().map(|path| {
                    let size = match std::fs::metadata(&path) {
                        Ok(meta) if meta.is_dir() => {
                            Err(format!("{} is a folder, not a file", path.display()))
                        }
                        Ok(meta) => Ok(meta.len()),
                        Err(e) => Err(format!("{}: {e}", path.display())),
                    };
                    (path, size)
                });
                self.emit.emit(Event::FilesInspected(inspected.collect()));
            }
        }
        Ok(())
    }

    fn save(
        &self,
        id: String,
        profile: Option<String>,
        draft: Draft,
        now: Timestamp,
    ) -> Result<DraftRecord, Error> {
        Ok(self.mailroom.drafts.put(&id, profile, draft, now)?)
    }

    fn list_drafts(&self, search: &str) -> Result<(), Error> {
        let listing = self.mailroom.drafts.list(Some(search))?;
        for problem in &listing.quarantined {
            self.emit.problem("Reading drafts", problem);
        }
        self.emit.emit(Event::Drafts(listing.drafts));
        Ok(())
    }

    fn list_outbox(&self) -> Result<(), Error> {
        let listing = self.mailroom.outbox.list(&self.mailroom.drafts)?;
        self.emit.emit(Event::Outbox(listing.entries));
        self.emit.emit(Event::Sent(self.mailroom.sent.list()?));
        Ok(())
    }

    fn save_profile(
        &self,
        profile: Profile,
        password: Option<Password>,
        replaces: Option<String>,
    ) -> Result<(), Error> {
        let m = &self.mailroom;
        let mut profiles = m.profiles()?;
        let default_before = profiles.default.clone();
        if let Some(old) = &replaces {
            profiles.remove(old)?;
        }
        let id = profile.id.clone();
        profiles.add(profile)?;
        // Said when a new account takes over from `local` (a renamed default stays one).
        let became_default = profiles.default.as_deref() == Some(id.as_str())
            && default_before.is_some()
            && default_before != Some(id.clone())
            && default_before != replaces;
        let mut note = became_default.then(|| "It is now the default profile.".to_string());
        // A renamed profile keeps its password unless a new one was typed: it is stored
        // under the new name, the profiles saved, and only then the old name forgotten.
        let renamed_from = replaces.filter(|old| *old != id);
        let password = password.or_else(|| {
            let old = renamed_from.as_deref()?;
            let in_session = self.passwords.lock().ok()?.get(old).cloned();
            secret::load(old).ok().flatten().or(in_session)
        });
        let has_password = password.is_some();
        if let Some(password) = password {
            match secret::store(&id, &password) {
                Ok(()) => {}
                Err(e) => {
                    // No keyring: keep it for this session only, and say so.
                    self.passwords
                        .lock()
                        .map(|mut p| p.insert(id.clone(), password))
                        .ok();
                    self.emit.emit(Event::KeyringUnavailable {
                        profile_id: id.clone(),
                        reason: e.to_string(),
                    });
                    let kept = "The password is kept for this session only.";
                    note = Some(note.map_or(kept.to_string(), |n| format!("{n} {kept}")));
                }
            }
        }
        profiles.save(&m.dirs.profiles_file())?;
        // (Left alone when it could not be read: better an orphan than a lost password.)
        if let Some(old) = renamed_from.as_deref().filter(|_| has_password) {
            self.forget_password(old);
        }
        self.emit.emit(Event::ProfileSaved { id, note, profiles });
        Ok(())
    }

    /// Forgets profile `id`'s password, in the keyring and in this session's memory
    /// (a profile removed, or renamed once its password was stored under the new name).
    fn forget_password(&self, id: &str) {
        if let Ok(mut session) = self.passwords.lock() {
            session.remove(id);
        }
        let _ = secret::delete(id);
    }

    fn test(&self, profile: &Profile, typed: Option<&Password>) -> Result<String, Error> {
        let Server::Smtp(server) = &profile.server else {
            return Ok(format!("A folder profile: {}", profile.summary()));
        };
        let session = typed.cloned().or_else(|| {
            self.passwords
                .lock()
                .ok()
                .and_then(|p| p.get(&profile.id).cloned())
        });
        let login = crate::send::login_with_fallback(&profile.id, server, session.as_ref())?;
        let login_ref = login
            .as_ref()
            .map(|(user, password)| (user.as_str(), password));
        let mut smtp = SmtpSession::open(server, login_ref)?;
        let greeting = smtp.greeting().clone();
        smtp.close();
        let security = if greeting.encrypted {
            "encrypted, certificate verified"
        } else {
            "UNENCRYPTED"
        };
        let login = greeting
            .login_reply
            .map_or("no login".to_string(), |reply| {
                format!("logged in: {reply}")
            });
        Ok(format!(
            "Connected to {} ({security}); {login}",
            server.address()
        ))
    }
}

fn describe(command: &Command) -> String {
    match command {
        Command::Refresh | Command::ListDrafts { .. } => "Reading your messages",
        Command::OpenDraft(_) => "Opening the draft",
        Command::SaveDraft { .. } => "Saving the draft",
        Command::RestoreDraft { .. } => "Bringing the draft back",
        Command::DeleteDraft { .. } => "Deleting the draft",
        Command::Send { .. } | Command::SendDraft(_) => "Sending",
        Command::CancelOutbox { .. } => "Taking the message back",
        Command::RetryOutbox(_) => "Retrying",
        Command::DismissOutbox(_) => "Dismissing",
        Command::SaveProfile { .. } => "Saving the profile",
        Command::RemoveProfile(_) => "Removing the profile",
        Command::TestProfile { .. } => "Testing the connection",
        Command::InstallScheduler => "Installing the scheduler",
        Command::PickAttachments | Command::InspectFiles(_) => "Attaching files",
        Command::OpenFile(_) => "Opening the file",
    }
    .to_string()
}

/// The native picker blocks until the person chooses; rfd returns `None` at once when
/// no portal or zenity can show one, which the UI answers with drag and drop.
fn pick_files(emit: &Emitter) {
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

fn open_with_desktop(path: &std::path::Path) -> Result<(), Error> {
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
        .map_err(|e| {
            Error::Scheduler(format!(
                "could not open {} with {program}: {e}",
                path.display()
            ))
        })
}
