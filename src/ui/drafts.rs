//! The drafts view: search, and a table that stays smooth at 10,000 drafts (only the
//! visible rows are laid out). Open with a double click or Enter; delete with undo; send.

use eframe::egui::{self, Key, RichText, Ui, accesskit::Role};
use egui_extras::{Column, TableBuilder};

use super::widgets::{expose_selectable, field_label, local_time};
use crate::store::drafts::DraftSummary;
use crate::worker::{Command, Event};

#[derive(Debug, Default)]
pub struct DraftsState {
    pub list: Vec<DraftSummary>,
    pub search: String,
    pub selected: Option<String>,
    /// A row had the keyboard focus last frame (the arrows and Enter are the list's then,
    /// not a focused button's).
    row_focused: bool,
}

impl DraftsState {
    /// Applies what the worker says of the drafts; any other event is not this view's.
    pub fn apply(&mut self, event: Event) {
        if let Event::Drafts(list) = event {
            self.list = list;
        }
    }
}

/// What the drafts view asks for.
#[derive(Debug)]
pub enum DraftsAction {
    Open(String),
    Command(Box<Command>),
}

pub fn drafts_ui(ui: &mut Ui, state: &mut DraftsState) -> Vec<DraftsAction> {
    let mut actions = Vec::new();
    ui.horizontal(|ui| {
        let label = field_label(ui, "Search drafts");
        let search = ui
            .add(
                egui::TextEdit::singleline(&mut state.search)
                    .hint_text("subject, recipient or text"),
            )
            .labelled_by(label.id);
        if search.changed() {
            actions.push(DraftsAction::Command(Box::new(Command::ListDrafts {
                search: state.search.clone(),
            })));
        }
        if let Some(id) = state.selected.clone() {
            if ui.button("Open").clicked() {
                actions.push(DraftsAction::Open(id.clone()));
            }
            if ui.button("Send").clicked() {
                actions.push(DraftsAction::Command(Box::new(Command::SendDraft(
                    id.clone(),
                ))));
            }
            if ui.button("Delete").clicked() {
                actions.push(DraftsAction::Command(Box::new(Command::DeleteDraft {
                    id,
                    reopen_on_undo: false,
                })));
                state.selected = None;
            }
        }
    });
    if state.list.is_empty() {
        ui.add_space(40.0);
        ui.vertical_centered(|ui| {
            let text = if state.search.is_empty() {
                "No drafts yet"
            } else {
                "No draft matches"
            };
            ui.label(RichText::new(text).heading().weak());
            ui.label(
                RichText::new("Every message you write is kept here until it is sent.").weak(),
            );
        });
        return actions;
    }
    let list_has_keys = state.row_focused || ui.ctx().memory(|m| m.focused().is_none());
    let moved = list_has_keys && keyboard(ui, state, &mut actions);
    state.row_focused = false;
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    // A table to screen readers, its header cells column headers and each subject a
    // row: named by the subject, described by the rest of the row. Its own id: the
    // buttons that come and go above it do not renumber its rows.
    let table = egui::UiBuilder::new()
        .scope_id(egui::Id::unique("drafts-table"))
        .accessibility_role(Role::Table)
        .accessibility_label("Drafts");
    ui.scope_builder(table, |ui| {
        table_ui(ui, state, moved, row_height, &mut actions)
    });
    actions
}

fn table_ui(
    ui: &mut Ui,
    state: &mut DraftsState,
    moved: bool,
    row_height: f32,
    actions: &mut Vec<DraftsAction>,
) {
    TableBuilder::new(ui)
        .striped(true)
        // Clicks anywhere on a row, but no cell takes the keyboard focus: a nameless
        // focusable cell per column was a trap for Tab. Each row's subject is the one
        // control Tab reaches, named by the subject and selected with the row.
        .sense(egui::Sense::CLICK)
        .column(Column::remainder().at_least(160.0).clip(true))
        .column(Column::initial(220.0).clip(true))
        .column(Column::initial(130.0))
        .column(Column::initial(40.0))
        .header(row_height, |mut header| {
            for title in ["Subject", "Recipients", "Modified", "Files"] {
                header.col(|ui| {
                    let header = ui.strong(title);
                    ui.ctx().accesskit_node_builder(header.id, |node| {
                        node.set_role(Role::ColumnHeader);
                        node.set_label(title);
                    });
                });
            }
        })
        .body(|body| {
            body.rows(row_height, state.list.len(), |mut row| {
                let draft = &state.list[row.index()];
                let selected = state.selected.as_deref() == Some(draft.id.as_str());
                row.set_selected(selected);
                let subject = if draft.subject.is_empty() {
                    "(no subject)"
                } else {
                    draft.subject.as_str()
                };
                let mut subject_response = None;
                row.col(|ui| {
                    // A selectable label: focusable and clickable by keyboard and screen readers.
                    let response = ui.selectable_label(selected, subject);
                    expose_selectable(&response, Role::Row, selected);
                    ui.ctx().accesskit_node_builder(response.id, |node| {
                        node.set_description(describe_row(draft));
                    });
                    if moved && selected {
                        response.request_focus(); // the screen reader follows the arrows
                        response.scroll_to_me(None);
                    }
                    state.row_focused |= response.has_focus();
                    subject_response = Some(response);
                });
                row.col(|ui| {
                    ui.label(&draft.recipients);
                });
                row.col(|ui| {
                    ui.label(local_time(draft.modified));
                });
                row.col(|ui| {
                    if draft.attachments > 0 {
                        ui.label(draft.attachments.to_string());
                    }
                });
                let row_response = row.response();
                let responses = [Some(row_response), subject_response];
                if responses.iter().flatten().any(|r| r.clicked()) {
                    state.selected = Some(draft.id.clone());
                }
                if responses.iter().flatten().any(|r| r.double_clicked()) {
                    actions.push(DraftsAction::Open(draft.id.clone()));
                }
            });
        });
}

/// The rest of a row, as a screen reader reads it after the subject.
fn describe_row(draft: &DraftSummary) -> String {
    let to = if draft.recipients.is_empty() {
        "no recipients".to_string()
    } else {
        format!("to {}", draft.recipients)
    };
    let files = match draft.attachments {
        0 => String::new(),
        1 => ", 1 file".to_string(),
        n => format!(", {n} files"),
    };
    format!("{to}, modified {}{files}", local_time(draft.modified))
}

/// Up and Down move the selection, Enter opens it, Delete deletes it (while a row or
/// nothing has the focus: not while typing in the search field, nor on a button); true
/// when the selection moved.
fn keyboard(ui: &mut Ui, state: &mut DraftsState, actions: &mut Vec<DraftsAction>) -> bool {
    let before = state.selected.clone();
    let index = state
        .selected
        .as_ref()
        .and_then(|id| state.list.iter().position(|d| &d.id == id));
    let (down, up, enter, delete) = ui.input(|i| {
        (
            i.key_pressed(Key::ArrowDown),
            i.key_pressed(Key::ArrowUp),
            i.key_pressed(Key::Enter),
            i.key_pressed(Key::Delete),
        )
    });
    let last = state.list.len().saturating_sub(1);
    let next = match (index, down, up) {
        (None, true, _) | (None, _, true) => Some(0),
        (Some(i), true, _) => Some((i + 1).min(last)),
        (Some(i), _, true) => Some(i.saturating_sub(1)),
        _ => index,
    };
    state.selected = next.and_then(|i| state.list.get(i)).map(|d| d.id.clone());
    if let Some(id) = state.selected.clone() {
        if enter {
            actions.push(DraftsAction::Open(id));
        } else if delete {
            actions.push(DraftsAction::Command(Box::new(Command::DeleteDraft {
                id,
                reopen_on_undo: false,
            })));
        }
    }
    state.selected != before
}
