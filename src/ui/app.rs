//! The window: a tab per view, the worker's events applied each frame (`events.rs`),
//! toasts, and the autosave tick. [`MailroomApp::show`] is the whole UI, so tests drive it with
//! egui_kittest exactly as eframe does.

mod events;
mod handover;

use std::collections::HashMap;
use std::time::Duration;

use eframe::egui::{self, RichText, Ui};
use serde::{Deserialize, Serialize};

use super::Start;
use super::compose::{ComposeAction, ComposeState, compose_ui};
use super::drafts::{DraftsAction, DraftsState, drafts_ui};
use super::focus::FocusKeeper;
use super::outbox::{OutboxState, outbox_ui};
use super::profiles::{ProfilesState, profiles_ui};
use super::toast::{ToastAction, Toasts};
use crate::paths::Dirs;
use crate::store::drafts::DraftRecord;
use crate::worker::{self, Command, Event, WorkerHandle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    Compose,
    Drafts,
    Outbox,
    Profiles,
}

pub struct MailroomApp {
    worker: WorkerHandle,
    pub view: View,
    pub compose: ComposeState,
    pub drafts: DraftsState,
    pub outbox: OutboxState,
    pub profiles: ProfilesState,
    toasts: Toasts,
    /// SIZE limits learned from servers this session (Test connection, a send), by
    /// profile.
    size_limits: HashMap<String, u64>,
    /// The last failure not shown in a view of its own.
    pub problem: Option<String>,
    /// Whether the first load (profiles, drafts, outbox, scheduler status) was asked for.
    refreshed: bool,
    /// Requests from a second start, once [`Self::listen`] was called.
    handovers: Option<handover::Handovers>,
    /// Gives the focus back when it falls to the window ([`super::focus`]).
    focus: FocusKeeper,
}

const VIEW_KEY: &str = "view";
const PROFILE_KEY: &str = "last-profile";

impl MailroomApp {
    /// The app inside eframe: restores the last view and profile, starts the worker.
    pub fn new(cc: &eframe::CreationContext<'_>, dirs: Dirs, start: Start) -> Self {
        let opened_for_a_message = !matches!(start, Start::Compose);
        let mut app = Self::start(&cc.egui_ctx, dirs, start);
        if let Some(storage) = cc.storage {
            app.restore(
                eframe::get_value(storage, VIEW_KEY),
                eframe::get_value(storage, PROFILE_KEY),
                opened_for_a_message,
            );
        }
        app
    }

    /// Restores the last view and profile; a window opened for a message (a mailto:
    /// link, `compose --draft`) stays on Compose, where that message is.
    pub fn restore(
        &mut self,
        view: Option<View>,
        profile: Option<String>,
        opened_for_a_message: bool,
    ) {
        if let Some(view) = view.filter(|_| !opened_for_a_message) {
            self.view = view;
        }
        if self.compose.profile.is_none() {
            self.compose.profile = profile;
        }
    }

    /// The app for `ctx` over the home in `dirs` (tests use this with egui_kittest).
    pub fn start(ctx: &egui::Context, dirs: Dirs, start: Start) -> Self {
        Self::start_with(ctx, dirs, None, start)
    }

    /// [`Self::start`], with Add account looking where `detection` says instead of where
    /// the environment does (tests point it at their own servers).
    pub fn start_with(
        ctx: &egui::Context,
        dirs: Dirs,
        detection: Option<crate::detect::Options>,
        start: Start,
    ) -> Self {
        let repaint = ctx.clone();
        let waker = std::sync::Arc::new(move || repaint.request_repaint());
        let worker = worker::start(dirs, detection, waker);
        let mut compose = ComposeState::default();
        let mut problem = None;
        match start {
            Start::Compose => {}
            Start::Refused(why) => problem = Some(format!("The link could not be opened: {why}")),
            Start::Mailto(draft) => compose = ComposeState::new(*draft, None),
            Start::Draft(id) => worker.send(Command::OpenDraft(id)),
            Start::Eml(file) => worker.send(Command::ImportEml(file)),
        }
        Self {
            worker,
            view: View::Compose,
            compose,
            drafts: DraftsState::default(),
            outbox: OutboxState::default(),
            profiles: ProfilesState::default(),
            toasts: Toasts::default(),
            size_limits: HashMap::new(),
            problem,
            refreshed: false,
            handovers: None,
            focus: FocusKeeper::default(),
        }
    }

    /// Asks the worker for the first load once the first frame is on screen: it reads
    /// every profile, draft and outbox entry and asks the OS scheduler (which spawns
    /// `systemctl` or `crontab`), and on two cores that took CPU from the first frame's
    /// drawing (P1, `benches/run.sh`). The views show their lists one frame later.
    fn refresh_after_first_frame(&mut self, ctx: &egui::Context) {
        if self.refreshed {
            return;
        }
        if ctx.cumulative_frame_nr() == 0 {
            ctx.request_repaint(); // so that there is a second frame
        } else {
            self.worker.send(Command::Refresh);
            self.worker.send(Command::QueryMailtoHandler);
            self.refreshed = true;
        }
    }

    /// One frame of the whole UI.
    pub fn show(&mut self, ui: &mut Ui) {
        // The window's own node: screen readers name the window by it (the title bar's
        // "Mailroom" is not part of the tree).
        ui.ctx()
            .accesskit_node_builder(egui::accesskit_root_id(), |window| {
                window.set_label("Mailroom");
            });
        self.refresh_after_first_frame(ui.ctx());
        for event in self.worker.drain() {
            self.apply(event);
        }
        self.take_handovers(ui.ctx());
        egui::Panel::top("tabs").show(ui, |ui| {
            self.tabs_ui(ui);
            let profiles = self.profiles.profiles.as_ref();
            if let Some(command) = super::sign_in::sign_in_banner_ui(
                ui,
                &mut self.profiles.sign_ins,
                profiles,
                &self.outbox.entries,
            ) {
                self.worker.send(command);
            }
            let handler = self.profiles.mailto_handler;
            if let Some(command) = super::mailto_handler::offer_ui(ui, handler) {
                self.worker.send(command);
            }
            if let Some(problem) = self.problem.clone() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(problem).color(super::widgets::error_color(ui)));
                    if ui.small_button("Dismiss").clicked() {
                        self.problem = None;
                    }
                });
            }
        });
        // Toasts float over the bottom of the window: the buttons under them stay put.
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -48.0))
            .order(egui::Order::Foreground)
            .show(ui.ctx(), |ui| {
                if let Some(action) = self.toasts.ui(ui) {
                    self.toast_action(action);
                }
            });
        egui::CentralPanel::default().show(ui, |ui| match self.view {
            View::Compose => self.compose_view(ui),
            View::Drafts => self.drafts_view(ui),
            View::Outbox => {
                for command in outbox_ui(ui, &self.outbox) {
                    self.worker.send(command);
                }
            }
            View::Profiles => {
                for command in profiles_ui(ui, &mut self.profiles) {
                    self.worker.send(command);
                }
            }
        });
        if let Some(command) = self.compose.autosave() {
            self.worker.send(command);
        }
        if self.compose.has_unsaved_changes() {
            ui.ctx().request_repaint_after(Duration::from_millis(500)); // the autosave tick
        }
        self.focus.keep(ui.ctx());
    }

    fn tabs_ui(&mut self, ui: &mut Ui) {
        use super::widgets::tab;
        ui.horizontal(|ui| {
            tab(ui, &mut self.view, View::Compose, "Compose");
            let drafts = format!("Drafts ({})", self.drafts.list.len());
            tab(ui, &mut self.view, View::Drafts, drafts);
            let outbox = format!("Outbox ({})", self.outbox.entries.len());
            tab(ui, &mut self.view, View::Outbox, outbox);
            tab(ui, &mut self.view, View::Profiles, "Profiles");
        });
    }

    fn compose_view(&mut self, ui: &mut Ui) {
        let profiles = self.profiles.profiles.as_ref();
        let limit = profiles
            .and_then(|p| p.resolve(self.compose.profile.as_deref()).ok())
            .and_then(|p| self.size_limits.get(&p.id).copied());
        for action in compose_ui(ui, &mut self.compose, profiles, limit) {
            match action {
                ComposeAction::Command(command) => self.worker.send(*command),
                ComposeAction::Discard => self.discard(),
                ComposeAction::AddAccount => {
                    self.profiles.open_setup(ui.ctx());
                    self.view = View::Profiles;
                }
            }
        }
    }

    fn drafts_view(&mut self, ui: &mut Ui) {
        for action in drafts_ui(ui, &mut self.drafts) {
            match action {
                DraftsAction::Open(id) => {
                    self.flush_compose();
                    self.worker.send(Command::OpenDraft(id));
                }
                // The draft open in compose, deleted from the list: compose lets it go
                // (saving what was typed), so its autosave cannot make it again and Undo
                // brings it back into compose.
                DraftsAction::Command(command) => match *command {
                    Command::DeleteDraft { id, .. } if id == self.compose.draft_id => {
                        self.discard()
                    }
                    command => self.worker.send(command),
                },
            }
        }
    }

    /// Saves what is being written before compose shows something else.
    fn flush_compose(&mut self) {
        if self.compose.has_unsaved_changes() {
            let command = self.compose.save_command(false);
            self.worker.send(command);
        }
    }

    /// Discard keeps what was on screen undoable: unsaved changes are saved first, then
    /// the draft goes to the trash, from where Undo reopens it.
    fn discard(&mut self) {
        let profile = self.compose.profile.clone();
        self.flush_compose();
        if self.compose.saved_at.is_some() || self.compose.save_pending {
            self.worker.send(Command::DeleteDraft {
                id: self.compose.draft_id.clone(),
                reopen_on_undo: true,
            });
        }
        self.compose = ComposeState::next_message(profile);
    }

    fn toast_action(&mut self, action: ToastAction) {
        match action {
            ToastAction::UndoSend { entry_id } => self.worker.send(Command::CancelOutbox {
                id: entry_id,
                then: worker::AfterCancel::Edit,
            }),
            ToastAction::UndoDelete { draft_id, reopen } => {
                self.worker.send(Command::RestoreDraft {
                    id: draft_id,
                    reopen,
                })
            }
        }
    }

    /// Shows `record` in compose; what was being written there is saved first.
    fn open_in_compose(&mut self, record: DraftRecord, scheduled_for: Option<jiff::Timestamp>) {
        if record.id != self.compose.draft_id {
            self.flush_compose();
        }
        self.compose = ComposeState::from_record(record);
        self.compose.scheduled_for = scheduled_for;
        self.view = View::Compose;
        let files = self.compose.unmeasured_files();
        if !files.is_empty() {
            self.worker.send(Command::InspectFiles(files));
        }
    }

    /// Before the window closes: nothing typed may be lost.
    fn save_before_exit(&mut self) {
        if !self.compose.has_unsaved_changes() && !self.compose.save_pending {
            return;
        }
        if self.compose.has_unsaved_changes() {
            let command = self.compose.save_command(false);
            self.worker.send(command);
        }
        while let Some(event) = self.worker.wait(Duration::from_secs(5)) {
            if matches!(&event, Event::DraftSaved { id, .. } if *id == self.compose.draft_id) {
                break;
            }
        }
    }
}

impl eframe::App for MailroomApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        if ui.ctx().cumulative_frame_nr() < 2 {
            super::trace_startup("frame begins");
        }
        super::system_fonts_after_first_frame(ui.ctx());
        self.show(ui);
        if ui.ctx().cumulative_frame_nr() < 2 {
            super::trace_startup("frame laid out");
        }
        super::exit_after_first_frame_if_asked(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, VIEW_KEY, &self.view);
        eframe::set_value(storage, PROFILE_KEY, &self.compose.profile);
    }

    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.take_handovers(ctx);
    }

    fn on_exit(&mut self) {
        self.stop_listening();
        self.save_before_exit();
    }
}
