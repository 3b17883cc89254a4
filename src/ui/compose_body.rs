//! The compose view's message body: the editor, the formatting toolbar (with Ctrl+B and
//! Ctrl+I), the preview of what the recipient sees, and the question asked before the
//! formatting is dropped.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText, Ui};
use egui_commonmark::CommonMarkViewer;

use super::compose::ComposeState;
use super::formatting::{self, Format};
use super::widgets::named_button;
use crate::message::BodyFormat;
use crate::message::mime::html_to_text;

const BOLD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::B);
const ITALIC: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::I);

pub(super) fn toolbar(ui: &mut Ui, state: &mut ComposeState) {
    for format in Format::ALL {
        let (text, name, hint) = format.label();
        if named_button(ui, text, name).on_hover_text(hint).clicked() {
            format_selection(ui, state, format);
        }
    }
}

/// The body editor's id, the same from wherever it is asked for (the toolbar, a
/// shortcut inside the editor, an attachment's "Show in the message"): there is one
/// compose view.
fn body_id() -> egui::Id {
    egui::Id::unique("mailroom-compose-body")
}

/// Inserts `text` into the body at its cursor (at the end, on a line of its own, when
/// the body has never had one) and puts the cursor after it.
pub(super) fn insert_into_body(ui: &mut Ui, state: &mut ComposeState, text: &str) {
    let cursor = state
        .body_editor
        .cursor(ui.ctx(), body_id())
        .map(|r| r.primary.index.0.max(r.secondary.index.0));
    let body = &mut state.draft.body;
    let (at, insertion) = match cursor {
        Some(chars) => (chars.min(body.chars().count()), text.to_string()),
        None if body.is_empty() || body.ends_with('\n') => (body.chars().count(), text.to_string()),
        None => (body.chars().count(), format!("\n{text}")),
    };
    let byte = body.char_indices().nth(at).map_or(body.len(), |(b, _)| b);
    body.insert_str(byte, &insertion);
    let after = egui::text::CCursor::new(at + insertion.chars().count());
    state
        .body_editor
        .set_cursor(egui::text::CCursorRange::one(after));
    state.mark_changed();
}

/// Applies a format to the body's selection and keeps the selection on the result.
fn format_selection(ui: &mut Ui, state: &mut ComposeState, format: Format) {
    let id = body_id();
    let (start, end) = state
        .body_editor
        .cursor(ui.ctx(), id)
        .map_or((0, 0), |r| (r.primary.index.0, r.secondary.index.0));
    let (start, end) = (start.min(end), start.max(end));
    let (s, e) = formatting::apply(&mut state.draft.body, start, end, format);
    state.body_editor.set_cursor(egui::text::CCursorRange::two(
        egui::text::CCursor::new(s),
        egui::text::CCursor::new(e),
    ));
    state.body_editor.take_focus();
    state.mark_changed();
}

pub(super) fn body_ui(ui: &mut Ui, state: &mut ComposeState) {
    let label = ui.label("Message");
    let id = body_id();
    let height = ui.available_height().max(120.0);
    let preview = state.draft.body_format.is_html();
    ui.horizontal_top(|ui| {
        let width = if preview {
            ui.available_width() / 2.0 - 6.0
        } else {
            ui.available_width()
        };
        let body = &mut state.draft.body;
        let response = state
            .body_editor
            .show(
                ui,
                id,
                body,
                "Write your message…",
                egui::vec2(width, height),
            )
            .labelled_by(label.id);
        if response.changed() {
            state.mark_changed();
        }
        if response.has_focus() && state.draft.body_format == BodyFormat::Markdown {
            for (shortcut, format) in [(BOLD, Format::Bold), (ITALIC, Format::Italic)] {
                if ui.input_mut(|i| i.consume_shortcut(&shortcut)) {
                    format_selection(ui, state, format);
                }
            }
        }
        if preview {
            ui.separator();
            // The preview reads as a page: the strongest background and text colours.
            let visuals = ui.visuals().clone();
            ui.visuals_mut().override_text_color = Some(visuals.strong_text_color());
            egui::Frame::new()
                .fill(visuals.extreme_bg_color)
                .inner_margin(8.0)
                .corner_radius(4.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("preview-scroll")
                        .max_height(height - 16.0)
                        .show(ui, |ui| {
                            ui.vertical(|ui| {
                                ui.label(RichText::new("Preview: what the recipient sees").weak());
                                let format = state.draft.body_format;
                                let source =
                                    state
                                        .preview
                                        .source(state.revision, &state.draft.body, format);
                                match format {
                                    BodyFormat::Markdown => {
                                        CommonMarkViewer::new().show(
                                            ui,
                                            &mut state.preview_cache,
                                            source,
                                        );
                                    }
                                    _ => {
                                        ui.label(source);
                                    }
                                }
                            });
                        });
                });
        }
    });
}

pub(super) fn drop_formatting_modal(ui: &mut Ui, state: &mut ComposeState) {
    if !state.ask_drop_formatting {
        return;
    }
    egui::Modal::new(egui::Id::unique("drop-formatting")).show(ui.ctx(), |ui| {
        ui.heading("Drop the formatting?");
        ui.label("The message becomes plain text: bold, links, headings and lists are lost.");
        ui.horizontal(|ui| {
            if ui.button("Make plain text").clicked() {
                let html = match state.draft.body_format {
                    BodyFormat::Markdown => {
                        crate::message::mime::markdown_to_html(&state.draft.body)
                    }
                    _ => state.draft.body.clone(),
                };
                state.draft.body = html_to_text(&html).trim_end().to_string();
                state.body_editor.body_replaced();
                state.draft.body_format = BodyFormat::Plain;
                state.ask_drop_formatting = false;
                state.mark_changed();
            }
            if ui.button("Keep formatting").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                state.ask_drop_formatting = false;
            }
        });
    });
}
