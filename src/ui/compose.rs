//! The compose view: the headers ([`super::compose_headers`]: From, To, Cc, Bcc,
//! Subject), the body ([`super::compose_body`]: plain, or formatted with a toolbar and a
//! preview), attachments ([`super::compose_attachments`]), importance, and Send / Send
//! later / Save / Discard. Each part is a widget with its own state that reports a
//! change; this view autosaves two seconds after each one.
//!
//! Formatted mode is written as CommonMark (sent as HTML, the Markdown itself as the
//! plain alternative); a body that arrives as raw HTML is edited as HTML source with a
//! text preview.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText, Ui};

use super::compose_attachments::{AttachmentsState, attachments_ui, dropped_files};
use super::compose_body::{BodyState, MIN_BODY_HEIGHT, body_ui, insert_into_body, toolbar};
use super::compose_headers::{HeadersState, headers_ui};
use super::send_later::SendLater;
use super::widgets::{field_error, field_label, list_option, local_time, section};
use crate::message::{BodyFormat, Draft, Importance};
use crate::profile::Profiles;
use crate::store::drafts::DraftRecord;
use crate::store::ids;
use crate::worker::{Command, Event};

/// How long after the last change the draft is saved by itself.
pub const AUTOSAVE_AFTER: Duration = Duration::from_secs(2);

pub const SEND: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
pub const SAVE: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);

pub struct ComposeState {
    /// Named before the first save, so saves and sends can never make two drafts.
    pub draft_id: String,
    pub profile: Option<String>,
    pub draft: Draft,
    /// The headers widget's own state: Cc/Bcc shown, address problems
    /// ([`super::compose_headers`]).
    headers: HeadersState,
    changed_at: Option<Instant>,
    pub saved_at: Option<String>,
    pub save_pending: bool,
    /// The attachments' own state: sizes, problems ([`super::compose_attachments`]).
    pub attachments: AttachmentsState,
    pub send_later: SendLater,
    /// Taken out of the outbox to edit (Edit): the time it was to go out, which
    /// "Schedule for …" keeps.
    pub scheduled_for: Option<jiff::Timestamp>,
    pub problem: Option<String>,
    /// The body widget's own state: editor, preview ([`super::compose_body`]).
    body: BodyState,
}

impl Default for ComposeState {
    fn default() -> Self {
        Self::new(Draft::default(), None)
    }
}

impl ComposeState {
    pub fn new(draft: Draft, profile: Option<String>) -> Self {
        Self {
            draft_id: ids::new_id(crate::clock::now()),
            profile,
            headers: HeadersState::for_draft(&draft),
            draft,
            changed_at: None,
            saved_at: None,
            save_pending: false,
            attachments: AttachmentsState::default(),
            send_later: SendLater::default(),
            scheduled_for: None,
            problem: None,
            body: BodyState::default(),
        }
    }

    /// An empty message after one went (Send, Discard), with the keyboard focus in To
    /// — not fallen to the window, where a screen reader says nothing.
    pub fn next_message(profile: Option<String>) -> Self {
        let mut state = Self::new(Default::default(), profile);
        state.headers.focus_to = true;
        state
    }

    /// Reopens a stored draft.
    pub fn from_record(record: DraftRecord) -> Self {
        let mut state = Self::new(record.draft, record.profile);
        state.draft_id = record.id;
        state.saved_at = Some(local_time(record.modified));
        state
    }

    /// The files whose size the worker should measure.
    pub fn unmeasured_files(&self) -> Vec<PathBuf> {
        self.attachments.unmeasured(&self.draft.attachments)
    }

    pub fn is_empty(&self) -> bool {
        self.draft == Draft::default()
    }

    pub fn mark_changed(&mut self) {
        self.changed_at = Some(Instant::now());
        self.body.touched();
    }

    /// The autosave command, once the person has paused for [`AUTOSAVE_AFTER`].
    pub fn autosave(&mut self) -> Option<Command> {
        let due = self
            .changed_at
            .is_some_and(|t| t.elapsed() >= AUTOSAVE_AFTER);
        (due && !self.save_pending).then(|| self.save_command(false))
    }

    pub fn save_command(&mut self, explicit: bool) -> Command {
        self.changed_at = None;
        self.save_pending = true;
        Command::SaveDraft {
            id: self.draft_id.clone(),
            profile: self.profile.clone(),
            draft: self.draft.clone(),
            explicit,
        }
    }

    /// Whether there are unsaved changes (for the window closing).
    pub fn has_unsaved_changes(&self) -> bool {
        self.changed_at.is_some()
    }

    pub fn has_address_errors(&self) -> bool {
        self.headers.has_address_errors()
    }

    /// Adds files the worker has checked; a bad one is reported, the rest attached.
    pub fn add_files(&mut self, files: Vec<(PathBuf, Result<u64, String>)>) {
        if self
            .attachments
            .add_files(&mut self.draft.attachments, files)
        {
            self.mark_changed();
        }
    }
}

impl ComposeState {
    /// Applies what the worker says of the message being written; any other event is
    /// not this view's.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::DraftSaved { id, at, .. } if id == self.draft_id => {
                self.saved_at = Some(local_time(at));
                self.save_pending = false;
                self.problem = None;
            }
            // It went to the outbox: compose starts the next message.
            Event::Scheduled { draft_id, .. } if draft_id == self.draft_id => {
                *self = Self::next_message(self.profile.take());
            }
            Event::NoFilesPicked => self.attachments.no_file_dialog = true,
            Event::FilesInspected(files) => self.add_files(files),
            _ => {}
        }
    }

    /// A save or send of this message failed: shown here when `shown`, else given back
    /// (for the window's banner: a draft sent from the Drafts view).
    pub fn show_problem(&mut self, text: String, shown: bool) -> Option<String> {
        self.save_pending = false;
        if shown {
            self.problem = Some(text);
            return None;
        }
        Some(text)
    }
}

/// What the compose view asks the app to do.
#[derive(Debug)]
pub enum ComposeAction {
    Command(Box<Command>),
    Discard,
    /// Open Add account (the first-run prompt next to From).
    AddAccount,
}

/// The compose view. `size_limit` is the profile server's SIZE, when known.
pub fn compose_ui(
    ui: &mut Ui,
    state: &mut ComposeState,
    profiles: Option<&Profiles>,
    size_limit: Option<u64>,
) -> Vec<ComposeAction> {
    let mut actions = Vec::new();
    let dropped = dropped_files(ui);
    if !dropped.is_empty() {
        actions.push(ComposeAction::Command(Box::new(Command::InspectFiles(
            dropped,
        ))));
    }

    // Each part numbers its controls from its own name: Cc and Bcc appearing do not
    // renumber the buttons (ids screen readers cache).
    let headers = section(ui, "compose-headers", |ui| {
        headers_ui(
            ui,
            &mut state.draft,
            &mut state.profile,
            &mut state.headers,
            profiles,
        )
    });
    if headers.response.changed() {
        state.mark_changed();
    }
    if headers.add_account {
        actions.push(ComposeAction::AddAccount);
    }

    section(ui, "compose-format", |ui| {
        ui.horizontal_wrapped(|ui| format_row_ui(ui, state));
    });

    // The body, then attachments and buttons under it: the order a composer is read and
    // tabbed through (headers, body, actions). The body takes what the bottom part left
    // in the last frame; when that changes, the frame is drawn again before it is shown,
    // so the buttons keep their place at the bottom.
    let bottom_id = ui.scope_id().with("compose-bottom-height");
    let bottom_height = ui.data(|d| d.get_temp::<f32>(bottom_id)).unwrap_or(0.0);
    let body_size = egui::vec2(
        ui.available_width(),
        (ui.available_height() - bottom_height).max(MIN_BODY_HEIGHT),
    );
    let body = section(ui, "compose-body", |ui| {
        ui.allocate_ui(body_size, |ui| {
            body_ui(
                ui,
                &mut state.draft.body,
                &mut state.draft.body_format,
                &mut state.body,
            )
        })
        .inner
    });
    if body.changed() {
        state.mark_changed();
    }
    let height = section(ui, "compose-actions", |ui| {
        let formatted = state.draft.body_format.is_html();
        let attached = attachments_ui(
            ui,
            &mut state.draft.attachments,
            formatted,
            &state.attachments,
            size_limit,
        );
        if attached.pick {
            actions.push(ComposeAction::Command(Box::new(Command::PickAttachments)));
        }
        if let Some(index) = attached.show_inline {
            show_in_message(ui, state, index);
        }
        if attached.changed {
            state.mark_changed();
        }
        buttons_ui(ui, state, &mut actions);
        ui.min_rect().height() + ui.spacing().item_spacing.y
    });
    if (height - bottom_height).abs() > 0.5 {
        ui.data_mut(|d| d.insert_temp(bottom_id, height));
        // The pass is drawn again at once; the repaint covers a pass egui will not
        // discard (it caps discards per frame), so the body catches up on the next one.
        ui.ctx()
            .request_discard("the compose view's buttons changed height");
        ui.ctx().request_repaint();
    }
    if let Some(command) =
        state
            .send_later
            .ui(ui, &state.draft_id, state.profile.clone(), &state.draft)
    {
        actions.push(ComposeAction::Command(Box::new(command)));
    }
    actions
}

/// "Formatted (HTML)", the formatting toolbar, and Importance.
fn format_row_ui(ui: &mut Ui, state: &mut ComposeState) {
    let mut formatted = state.draft.body_format.is_html();
    if ui.checkbox(&mut formatted, "Formatted (HTML)").changed() {
        if formatted {
            state.draft.body_format = BodyFormat::Markdown;
            state.mark_changed();
        } else if state.draft.body.trim().is_empty() {
            state.draft.body_format = BodyFormat::Plain;
        } else {
            state.body.ask_to_drop_formatting();
        }
    }
    if state.draft.body_format == BodyFormat::Markdown
        && toolbar(ui, &mut state.draft.body, &mut state.body)
    {
        state.mark_changed();
    }
    ui.separator();
    importance_ui(ui, state);
}

fn importance_ui(ui: &mut Ui, state: &mut ComposeState) {
    let label = field_label(ui, "Importance");
    let names = [
        (Importance::Low, "Low"),
        (Importance::Normal, "Normal"),
        (Importance::High, "High"),
    ];
    let shown = names
        .iter()
        .find(|(i, _)| *i == state.draft.importance)
        .map_or("Normal", |(_, n)| n);
    let combo = egui::ComboBox::from_id_salt("importance")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            super::widgets::name_list(ui, "Importance");
            for (importance, name) in names {
                if list_option(ui, &mut state.draft.importance, importance, name).changed() {
                    state.mark_changed();
                }
            }
        })
        .response
        .labelled_by(label.id);
    super::widgets::expose_choice(&combo, shown);
}

/// Makes attachment `index` (a picture) an inline image and puts a reference to it in
/// the body at the cursor, in the body's own language.
fn show_in_message(ui: &mut Ui, state: &mut ComposeState, index: usize) {
    let taken: Vec<String> = state
        .draft
        .attachments
        .iter()
        .filter_map(|a| a.content_id.clone())
        .collect();
    let Some(picture) = state.draft.attachments.get_mut(index) else {
        return;
    };
    let content_id = picture.make_inline(taken.iter().map(String::as_str));
    let name = picture.file_name.replace(['[', ']', '"', '<', '>'], "");
    let reference = match state.draft.body_format {
        BodyFormat::Html => format!("<img src=\"cid:{content_id}\" alt=\"{name}\">"),
        _ => format!("![{name}](cid:{content_id})"),
    };
    insert_into_body(ui, &mut state.draft.body, &mut state.body, &reference);
    state.mark_changed();
}

fn buttons_ui(ui: &mut Ui, state: &mut ComposeState, actions: &mut Vec<ComposeAction>) {
    ui.add_space(4.0);
    if let Some(at) = state.scheduled_for {
        ui.label(format!(
            "Scheduled for {} — out of the outbox while you edit; it is a draft until you schedule it again.",
            local_time(at)
        ));
    }
    ui.horizontal_wrapped(|ui| {
        if let Some(at) = state.scheduled_for {
            let again = ui.add_enabled(
                !state.has_address_errors(),
                egui::Button::new(
                    RichText::new(format!("Schedule for {}", local_time(at))).strong(),
                ),
            );
            if again.clicked() {
                // A time that has passed meanwhile goes as Send does, with its Undo.
                let at = Some(at).filter(|at| *at > crate::clock::now());
                actions.push(ComposeAction::Command(Box::new(send_command(state, at))));
            }
        }
        let send_text = if state.scheduled_for.is_some() {
            "Send now"
        } else {
            "Send"
        };
        let send = ui.add_enabled(
            !state.has_address_errors(),
            egui::Button::new(RichText::new(send_text).strong()),
        );
        let send = send
            .on_hover_text("Ctrl+Enter")
            .on_disabled_hover_text("Fix the marked addresses first");
        let shortcut = ui.input_mut(|i| i.consume_shortcut(&SEND));
        if (send.clicked() || shortcut) && !state.has_address_errors() {
            actions.push(ComposeAction::Command(Box::new(send_command(state, None))));
        }
        if ui
            .add_enabled(
                !state.has_address_errors(),
                egui::Button::new("Send later…"),
            )
            .clicked()
        {
            state.send_later.open();
        }
        let save = ui.button("Save draft").on_hover_text("Ctrl+S");
        if save.clicked() || ui.input_mut(|i| i.consume_shortcut(&SAVE)) {
            actions.push(ComposeAction::Command(Box::new(state.save_command(true))));
        }
        if ui.button("Discard").clicked() {
            actions.push(ComposeAction::Discard);
        }
        if let Some(at) = &state.saved_at {
            let text = if state.has_unsaved_changes() {
                "Editing…".to_string()
            } else {
                format!("Saved {at}")
            };
            ui.label(RichText::new(text).weak());
        }
    });
    if let Some(problem) = &state.problem {
        field_error(ui, problem);
    }
}

/// Send (through the undo grace period) or, with `at`, schedule what is in compose.
fn send_command(state: &mut ComposeState, at: Option<jiff::Timestamp>) -> Command {
    state.save_pending = true;
    state.changed_at = None;
    Command::Send {
        id: state.draft_id.clone(),
        profile: state.profile.clone(),
        draft: state.draft.clone(),
        at,
    }
}
