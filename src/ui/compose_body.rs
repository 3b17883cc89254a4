//! The compose view's message body, as a widget of its own: the editor, the formatting
//! toolbar (with Ctrl+B and Ctrl+I), the preview of what the recipient sees, and the
//! question asked before the formatting is dropped. It knows the body text, its format
//! and its own [`BodyState`]; the compose view owns all three and reacts to
//! `response.changed()`, as egui's `toggle_switch.rs` does: the dependency runs one way.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText, Ui};
use egui_commonmark::{CommonMarkCache, CommonMarkViewer};

use super::body_editor::BodyEditor;
use super::formatting::{self, Format};
use super::preview::Preview;
use super::widgets::{field_label, named_button};
use crate::message::BodyFormat;
use crate::message::mime::html_to_text;

const BOLD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::B);
const ITALIC: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::I);

/// The body is never shorter than this (about three lines): in a short window the
/// message gives way so that the buttons under it stay on screen.
pub const MIN_BODY_HEIGHT: f32 = 48.0;

/// What the body keeps between frames.
#[derive(Default)]
pub struct BodyState {
    /// The editor's window on a long body ([`super::body_editor`]).
    editor: BodyEditor,
    /// What the preview shows, remade only after a change, and egui_commonmark's cache.
    preview: Preview,
    preview_cache: CommonMarkCache,
    /// Counts the body's changes, so that the preview is remade only after one.
    revision: u64,
    /// "Drop the formatting?" is being asked.
    ask_drop_formatting: bool,
}

impl BodyState {
    /// The body or its format changed from outside this widget (a format switch).
    pub fn touched(&mut self) {
        self.revision += 1;
    }

    /// Asks before turning a formatted body into plain text.
    pub fn ask_to_drop_formatting(&mut self) {
        self.ask_drop_formatting = true;
    }
}

/// The body editor's id, the same from wherever it is asked for (the toolbar, a
/// shortcut inside the editor, an attachment's "Show in the message"): there is one
/// compose view.
fn body_id() -> egui::Id {
    egui::Id::unique("mailroom-compose-body")
}

/// The toolbar's buttons; `true` when one changed the body.
pub fn toolbar(ui: &mut Ui, body: &mut String, state: &mut BodyState) -> bool {
    let mut changed = false;
    for format in Format::ALL {
        let (text, name, hint) = format.label();
        if named_button(ui, text, name).on_hover_text(hint).clicked() {
            format_selection(ui, body, state, format);
            changed = true;
        }
    }
    changed
}

/// Inserts `text` into the body at its cursor (at the end, on a line of its own, when
/// the body has never had one) and puts the cursor after it.
pub fn insert_into_body(ui: &mut Ui, body: &mut String, state: &mut BodyState, text: &str) {
    let cursor = state
        .editor
        .cursor(ui.ctx(), body_id())
        .map(|r| r.primary.index.0.max(r.secondary.index.0));
    let (at, insertion) = match cursor {
        Some(chars) => (chars.min(body.chars().count()), text.to_string()),
        None if body.is_empty() || body.ends_with('\n') => (body.chars().count(), text.to_string()),
        None => (body.chars().count(), format!("\n{text}")),
    };
    let byte = body.char_indices().nth(at).map_or(body.len(), |(b, _)| b);
    body.insert_str(byte, &insertion);
    let after = egui::text::CCursor::new(at + insertion.chars().count());
    state
        .editor
        .set_cursor(egui::text::CCursorRange::one(after));
    state.touched();
}

/// Applies a format to the body's selection and keeps the selection on the result.
fn format_selection(ui: &mut Ui, body: &mut String, state: &mut BodyState, format: Format) {
    let (start, end) = state
        .editor
        .cursor(ui.ctx(), body_id())
        .map_or((0, 0), |r| (r.primary.index.0, r.secondary.index.0));
    let (start, end) = (start.min(end), start.max(end));
    let (s, e) = formatting::apply(body, start, end, format);
    state.editor.set_cursor(egui::text::CCursorRange::two(
        egui::text::CCursor::new(s),
        egui::text::CCursor::new(e),
    ));
    state.editor.take_focus();
    state.touched();
}

/// The body: the editor, and beside it the preview when the body is formatted.
/// `response.changed()` says the body or its format changed.
pub fn body_ui(
    ui: &mut Ui,
    body: &mut String,
    format: &mut BodyFormat,
    state: &mut BodyState,
) -> egui::Response {
    let label = field_label(ui, "Message");
    let id = body_id();
    let height = ui.available_height().max(MIN_BODY_HEIGHT);
    let preview = format.is_html();
    let inner = ui.horizontal_top(|ui| {
        let width = if preview {
            ui.available_width() / 2.0 - 6.0
        } else {
            ui.available_width()
        };
        let mut response = state
            .editor
            .show(
                ui,
                id,
                body,
                "Write your message…",
                egui::vec2(width, height),
            )
            .labelled_by(label.id);
        if response.changed() {
            state.touched();
        }
        if response.has_focus() && *format == BodyFormat::Markdown {
            for (shortcut, style) in [(BOLD, Format::Bold), (ITALIC, Format::Italic)] {
                if ui.input_mut(|i| i.consume_shortcut(&shortcut)) {
                    format_selection(ui, body, state, style);
                    response.mark_changed();
                }
            }
        }
        if preview {
            ui.separator();
            preview_ui(ui, body, *format, state, height);
        }
        response
    });
    let mut response = inner.inner;
    if drop_formatting_modal(ui, body, format, state) {
        response.mark_changed();
    }
    response
}

/// What the recipient sees, read as a page: the strongest background and text colours.
fn preview_ui(ui: &mut Ui, body: &str, format: BodyFormat, state: &mut BodyState, height: f32) {
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
                // egui's default floor (64) would make a short window's body row taller
                // than the height it was given.
                .min_scrolled_height((height - 16.0).max(0.0))
                .show(ui, |ui| {
                    ui.vertical(|ui| {
                        ui.label(RichText::new("Preview: what the recipient sees").weak());
                        let source = state.preview.source(state.revision, body, format);
                        match format {
                            BodyFormat::Markdown => {
                                CommonMarkViewer::new().show(ui, &mut state.preview_cache, source);
                            }
                            _ => {
                                ui.label(source);
                            }
                        }
                    });
                });
        });
}

/// "Drop the formatting?": `true` when the body became plain text.
fn drop_formatting_modal(
    ui: &mut Ui,
    body: &mut String,
    format: &mut BodyFormat,
    state: &mut BodyState,
) -> bool {
    if !state.ask_drop_formatting {
        return false;
    }
    let mut dropped = false;
    egui::Modal::new(egui::Id::unique("drop-formatting")).show(ui.ctx(), |ui| {
        super::widgets::heading(ui, "Drop the formatting?");
        ui.label("The message becomes plain text: bold, links, headings and lists are lost.");
        ui.horizontal(|ui| {
            if ui.button("Make plain text").clicked() {
                let html = match format {
                    BodyFormat::Markdown => crate::message::mime::markdown_to_html(body),
                    _ => body.clone(),
                };
                *body = html_to_text(&html).trim_end().to_string();
                state.editor.body_replaced();
                *format = BodyFormat::Plain;
                state.ask_drop_formatting = false;
                state.touched();
                dropped = true;
            }
            if ui.button("Keep formatting").clicked() || ui.input(|i| i.key_pressed(Key::Escape)) {
                state.ask_drop_formatting = false;
            }
        });
    });
    dropped
}
