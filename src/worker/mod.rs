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

mod desktop;
mod outbox_thread;
mod passwords;
mod protocol;
mod sign_in;
mod watch;

pub use passwords::SessionPasswords;
pub use protocol::{AfterCancel, Command, Event, SignInState, Topic, UNDO_DELETE, Waker};

use desktop::{inspect_file, open_with_desktop, pick_files, scheduler_status};
use outbox_thread::OutboxThread;
use watch::{Fingerprint, WATCH_EVERY};

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use crate::error::{Error, display_chain};
use crate::message::Draft;
use crate::paths::Dirs;
use crate::profile::Profile;
use crate::profile::secret::Password;
use crate::service::{Mailroom, WithoutKeyring};
use crate::store::drafts::DraftRecord;

/// How long a deleted draft waits in the trash: longer than its Undo toast shows
/// ([`UNDO_DELETE`]), so Undo always finds it.
const TRASH_KEPT: Duration = Duration::from_secs(60);

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

/// Starts both threads for the home in `dirs`. Add account looks where `detection`
/// says, or, when it is `None`, where the environment says ([`crate::detect::Options`]).
pub fn start(dirs: Dirs, detection: Option<crate::detect::Options>, waker: Waker) -> WorkerHandle {
    let (commands, command_rx) = mpsc::channel();
    let (event_tx, events) = mpsc::channel();
    let (poke_tx, poke_rx) = mpsc::channel();
    let passwords = SessionPasswords::default();
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
        search: std::cell::RefCell::default(),
        detection,
        sign_ins: std::cell::RefCell::default(),
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

    fn problem(&self, topic: Topic, what: &str, error: &Error) {
        self.emit(Event::Problem {
            topic,
            what: what.to_string(),
            message: display_chain(error),
            class: error.class(),
        });
    }
}

struct CommandThread {
    mailroom: Mailroom,
    emit: Emitter,
    passwords: SessionPasswords,
    poke: Sender<()>,
    /// The Drafts view's search (empty: all drafts).
    search: std::cell::RefCell<String>,
    detection: Option<crate::detect::Options>,
    sign_ins: std::cell::RefCell<sign_in::SignIns>,
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
                    // A change from outside that came before this command is not taken
                    // for the command's own: it still refreshes the views.
                    let outside = Fingerprint::of(&dirs) != seen;
                    self.handle_reporting(command);
                    // What this thread changed itself, its answer has already shown.
                    if !outside {
                        seen = Fingerprint::of(&dirs);
                    }
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
        let (topic, what) = command.describe();
        if let Err(e) = self.handle(command) {
            self.emit.problem(topic, what, &e);
        }
    }

    fn handle(&self, command: Command) -> Result<(), Error> {
        let m = &self.mailroom;
        let now = m.now();
        match command {
            Command::Refresh => {
                m.drafts.empty_trash(now - TRASH_KEPT);
                let profiles = m.profiles()?;
                self.emit.emit(Event::SignIns(sign_in::states(&profiles)));
                self.emit.emit(Event::Profiles(profiles));
                self.list_drafts()?;
                self.list_outbox()?;
                self.emit
                    .emit(scheduler_status(crate::scheduler::status(&m.dirs)));
            }
            Command::QueryMailtoHandler => {
                // `xdg-mime` is a shell script that may ask the desktop (KDE starts a
                // helper): it runs beside the worker, never before a save.
                let (emit, dirs) = (self.emit.clone(), m.dirs.clone());
                std::thread::spawn(move || {
                    emit.emit(Event::MailtoHandler(crate::desktop::mailto_handler(&dirs)));
                });
            }
            Command::ListDrafts { search } => {
                *self.search.borrow_mut() = search;
                self.list_drafts()?;
            }
            Command::OpenDraft(id) => self.emit.emit(Event::DraftOpened(m.drafts.load(&id)?)),
            Command::ImportEml(file) => {
                let record = m.import_eml(&file, now)?;
                self.emit.emit(Event::DraftOpened(record));
                self.list_drafts()?;
            }
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
                self.list_drafts()?;
            }
            Command::DeleteDraft { id, reopen_on_undo } => {
                m.drafts.empty_trash(now - TRASH_KEPT);
                let record = m.drafts.trash(&id, now)?;
                self.emit.emit(Event::DraftDeleted {
                    record,
                    reopen_on_undo,
                });
                self.list_drafts()?;
            }
            Command::RestoreDraft { id, reopen } => {
                let record = m.drafts.restore(&id)?;
                if reopen {
                    self.emit.emit(Event::Reopen {
                        record,
                        scheduled_for: None,
                    });
                }
                self.list_drafts()?;
            }
            Command::Send {
                id,
                profile,
                draft,
                at,
            } => {
                // Saved first: whatever fails next (a bad address, a broken settings
                // file), the message stays a draft as typed, and compose shows why.
                let record = self.save(id, profile, draft, now)?;
                let grace = m.settings()?.undo_send();
                let send_at = at.unwrap_or_else(|| now + grace);
                let entry = m.schedule_record(&record, send_at, now)?;
                let undo_until = at.is_none().then_some(send_at);
                self.emit.emit(Event::Scheduled {
                    entry,
                    draft_id: record.id,
                    undo_until,
                });
                self.list_drafts()?;
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
                self.list_drafts()?;
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
                self.list_drafts()?;
                self.list_outbox()?;
            }
            Command::RetryOutbox(id) => {
                m.outbox.reschedule(&id, now)?;
                self.list_outbox()?;
                let _ = self.poke.send(());
            }
            Command::DismissOutbox(id) => {
                m.dismiss_uncertain(&id)?;
                self.list_outbox()?;
                // The outbox thread files its copy: no network on this thread.
                let _ = self.poke.send(());
            }
            Command::RetryCopies => {
                // The outbox thread files them: no network on this thread.
                m.server_copies.retry_now(now)?;
                self.list_outbox()?;
                let _ = self.poke.send(());
            }
            Command::SaveProfile {
                profile,
                password,
                replaces,
            } => self.save_profile(profile, password, replaces)?,
            Command::RemoveProfile(id) => {
                let removed = m.remove_profile(&id)?;
                self.passwords.forget(&id);
                self.emit.emit(Event::Profiles(removed.profiles));
            }
            Command::TestProfile { profile, password } => {
                let typed = password.or_else(|| self.passwords.get(&profile.id));
                let result = m
                    .test_connection(&profile, typed.as_ref())
                    .map_err(|e| display_chain(&e));
                self.emit.emit(Event::TestResult {
                    profile_id: profile.id,
                    result,
                });
            }
            Command::SignIn(profile) => {
                let profiles = m.profiles()?;
                self.sign_ins.borrow_mut().start(
                    profile,
                    self.emit.clone(),
                    self.poke.clone(),
                    profiles,
                );
            }
            Command::CancelSignIn => self.sign_ins.borrow_mut().cancel(),
            Command::DetectAccount { request, email } => {
                // Detection waits on the network for up to its deadline: a thread of its
                // own, so the worker goes on with what the window asks meanwhile.
                let emit = self.emit.clone();
                let options = self.detection.clone();
                std::thread::spawn(move || {
                    let result = options
                        .map_or_else(crate::detect::Options::from_env, Ok)
                        .and_then(|options| crate::detect::detect(&email, &options))
                        .map_err(|e| e.to_string());
                    emit.emit(Event::AccountDetected { request, result });
                });
            }
            Command::InstallScheduler => {
                let done = crate::scheduler::install(&m.dirs)?;
                self.emit.emit(scheduler_status(format!(
                    "{done}\n{}",
                    crate::scheduler::status(&m.dirs)
                )));
            }
            Command::PickAttachments => {
                let emit = self.emit.clone();
                std::thread::spawn(move || pick_files(&emit));
            }
            Command::OpenFile(path) => open_with_desktop(&path)?,
            Command::SetMailtoHandler(ours) => {
                let (emit, dirs) = (self.emit.clone(), m.dirs.clone());
                std::thread::spawn(move || {
                    let result = crate::desktop::remember_asked(&dirs).and_then(|()| {
                        if ours {
                            crate::desktop::claim_mailto(&dirs)
                        } else {
                            crate::desktop::release_mailto(&dirs, &crate::desktop::config_home()?)
                        }
                    });
                    if let Err(e) = result {
                        emit.problem(Topic::Window, "Choosing the program for mailto: links", &e);
                    }
                    emit.emit(Event::MailtoHandler(crate::desktop::mailto_handler(&dirs)));
                });
            }
            Command::DeclineMailtoHandler => {
                crate::desktop::remember_asked(&m.dirs)?;
                let (emit, dirs) = (self.emit.clone(), m.dirs.clone());
                std::thread::spawn(move || {
                    emit.emit(Event::MailtoHandler(crate::desktop::mailto_handler(&dirs)));
                });
            }
            Command::InspectFiles(paths) => {
                let inspected = paths.into_iter().map(|path| {
                    let size = inspect_file(&path);
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

    /// Lists the drafts the Drafts view asks for: its last search stays in force when a
    /// save, a delete or a change from outside lists them again.
    fn list_drafts(&self) -> Result<(), Error> {
        let search = self.search.borrow().clone();
        let listing = self.mailroom.drafts.list(Some(&search))?;
        for problem in listing.quarantined {
            self.emit
                .problem(Topic::Window, "Reading drafts", &problem.into());
        }
        self.emit.emit(Event::Drafts(listing.drafts));
        Ok(())
    }

    fn list_outbox(&self) -> Result<(), Error> {
        let listing = self.mailroom.outbox.list(&self.mailroom.drafts)?;
        self.emit.emit(Event::Outbox(listing.entries));
        self.emit.emit(Event::Sent(self.mailroom.sent.list()?));
        self.emit
            .emit(Event::ServerCopies(self.mailroom.server_copies.list()?));
        Ok(())
    }

    fn save_profile(
        &self,
        profile: Profile,
        password: Option<Password>,
        replaces: Option<String>,
    ) -> Result<(), Error> {
        let id = profile.id.clone();
        let saved = self.mailroom.save_profile(
            profile,
            password,
            replaces.as_deref(),
            WithoutKeyring::KeepInSession(&|old| self.passwords.get(old)),
        )?;
        let mut notes = Vec::new();
        if saved.became_default {
            notes.push("It is now the default profile.");
        }
        if let Some((password, e)) = saved.not_stored {
            // No keyring: keep it for this session only, and say so.
            self.passwords.keep(&id, password);
            self.emit.emit(Event::KeyringUnavailable {
                profile_id: id.clone(),
                reason: e.to_string(),
            });
            notes.push("The password is kept for this session only.");
        }
        if let Some(old) = replaces.filter(|old| *old != id) {
            self.passwords.forget(&old);
        }
        let note = (!notes.is_empty()).then(|| notes.join(" "));
        self.emit
            .emit(Event::SignIns(sign_in::states(&saved.profiles)));
        self.emit.emit(Event::ProfileSaved {
            id,
            note,
            profiles: saved.profiles,
        });
        Ok(())
    }
}
