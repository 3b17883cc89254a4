//! What else a message will say about who sent it and how to answer, shown whenever a
//! draft carries it (issue 16, finding 3: an imported `.eml` with `From: Boss` and
//! `Reply-To: someone else` must not go out as someone the window does not show):
//!
//! - **Sends as** when the draft's own From differs from the profile's, with **Use the
//!   profile's** to drop it;
//! - **Reply-To** whenever it is set, editable;
//! - **Read receipt** / **Delivery receipt** requests, each with **Don't ask**.
//!
//! Rows of the headers grid ([`super::compose_headers`]); nothing shows for a draft made
//! in the window, which sets none of them.

use eframe::egui::{self, RichText, Ui};

use super::widgets::field_label;
use crate::message::Draft;

/// The rows, in the caller's two-column grid; true when the draft changed.
pub fn sender_rows(ui: &mut Ui, draft: &mut Draft, profile_from: Option<&str>) -> bool {
    let mut changed = false;
    let own_from = draft.from.trim();
    if !own_from.is_empty() && Some(own_from) != profile_from.map(str::trim) {
        let label = field_label(ui, "Sends as");
        ui.horizontal_wrapped(|ui| {
            changed |= ui
                .add(egui::TextEdit::singleline(&mut draft.from).desired_width(280.0))
                .labelled_by(label.id)
                .changed();
            ui.label(RichText::new("not this profile's From").weak());
            if ui.button("Use the profile's").clicked() {
                draft.from.clear();
                changed = true;
            }
        });
        ui.end_row();
    }
    if !draft.reply_to.is_empty() {
        let label = field_label(ui, "Reply-To");
        changed |= ui
            .add(egui::TextEdit::singleline(&mut draft.reply_to).desired_width(f32::INFINITY))
            .labelled_by(label.id)
            .changed();
        ui.end_row();
    }
    for (name, to) in [
        ("Read receipt", &mut draft.read_receipt_to),
        ("Delivery receipt", &mut draft.delivery_receipt_to),
    ] {
        if to.is_empty() {
            continue;
        }
        ui.label(name);
        ui.horizontal_wrapped(|ui| {
            ui.label(format!("asked of {to}"));
            if ui
                .button("Don't ask")
                .on_hover_text(format!("Send without asking for a {}", name.to_lowercase()))
                .clicked()
            {
                to.clear();
                changed = true;
            }
        });
        ui.end_row();
    }
    changed
}
