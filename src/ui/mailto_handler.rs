//! Opening `mailto:` links with Mailroom: asked once, in a line under the tabs, when
//! Mailroom's menu entry is installed but another program (or none) opens the links;
//! switched either way afterwards under Profiles. Nothing changes without a click.

use eframe::egui::Ui;

use crate::desktop::MailtoHandler;
use crate::worker::Command;

/// The one-time question; `None` when there is nothing to ask.
pub fn offer_ui(ui: &mut Ui, handler: Option<MailtoHandler>) -> Option<Command> {
    let handler = handler?;
    if handler.ours || handler.asked {
        return None;
    }
    let mut command = None;
    ui.horizontal_wrapped(|ui| {
        ui.label("Open mailto: links (the mail links on web pages) with Mailroom?");
        if ui.button("Open them with Mailroom").clicked() {
            command = Some(Command::SetMailtoHandler(true));
        }
        if ui.button("Not now").clicked() {
            command = Some(Command::DeclineMailtoHandler);
        }
    });
    command
}

/// The switch under Profiles; nothing when Mailroom cannot be the handler.
pub fn setting_ui(ui: &mut Ui, handler: Option<MailtoHandler>) -> Option<Command> {
    let handler = handler?;
    let mut ours = handler.ours;
    ui.separator();
    let response = ui.checkbox(&mut ours, "Open mailto: links with Mailroom");
    response
        .changed()
        .then_some(Command::SetMailtoHandler(ours))
}

#[cfg(test)]
mod tests {
    use egui_kittest::Harness;
    use egui_kittest::kittest::Queryable;

    use super::*;

    #[test]
    fn the_question_is_asked_once_and_only_when_another_program_has_the_links() {
        let asked = |handler: Option<MailtoHandler>| {
            let harness = Harness::new_ui(move |ui| {
                let _ = offer_ui(ui, handler);
            });
            harness.query_by_label("Open them with Mailroom").is_some()
        };
        let handler = |ours, asked| Some(MailtoHandler { ours, asked });
        assert!(!asked(None), "no menu entry: Mailroom cannot open links");
        assert!(!asked(handler(true, false)), "they open Mailroom already");
        assert!(!asked(handler(false, true)), "asked once already");
        assert!(asked(handler(false, false)));
    }
}
