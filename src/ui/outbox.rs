//! The outbox view: scheduled messages with a live countdown, the one being sent, failed
//! ones with the server's words (Retry / Edit / Cancel), uncertain ones ("may have been
//! sent": Send again / Dismiss), and the recent sent copies.

use std::time::Duration;

use eframe::egui::{self, RichText, Ui};

use super::widgets::{countdown, error_color, local_time};
use crate::outbox::{Entry, State};
use crate::store::sent::SentSummary;
use crate::worker::Command;

#[derive(Debug, Default)]
pub struct OutboxState {
    pub entries: Vec<Entry>,
    pub sent: Vec<SentSummary>,
    pub scheduler: Option<String>,
}

pub fn outbox_ui(ui: &mut Ui, state: &OutboxState) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(status) = &state.scheduler {
        ui.label(RichText::new(status.lines().next().unwrap_or_default()).weak());
    }
    ui.heading("Outbox");
    if state.entries.is_empty() {
        ui.label(RichText::new("Nothing waiting to go out.").weak());
    }
    for entry in &state.entries {
        entry_ui(ui, entry, &mut commands);
    }
    if state
        .entries
        .iter()
        .any(|e| e.state == State::Scheduled || e.state == State::Sending)
    {
        ui.ctx().request_repaint_after(Duration::from_millis(500)); // the countdowns
    }
    ui.add_space(12.0);
    ui.heading("Sent");
    if state.sent.is_empty() {
        ui.label(RichText::new("Nothing sent yet.").weak());
    }
    egui::ScrollArea::vertical()
        .id_salt("sent-list")
        .show(ui, |ui| {
            for sent in state.sent.iter().take(200) {
                ui.horizontal(|ui| {
                    ui.label(sent.date.as_deref().unwrap_or(""));
                    ui.label(RichText::new(&sent.subject).strong());
                    ui.label(&sent.to);
                    if ui.small_button("Open .eml").clicked() {
                        commands.push(Command::OpenFile(sent.path.clone()));
                    }
                });
            }
        });
    commands
}

fn entry_ui(ui: &mut Ui, entry: &Entry, commands: &mut Vec<Command>) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            let subject = if entry.subject.is_empty() {
                "(no subject)"
            } else {
                &entry.subject
            };
            ui.label(RichText::new(subject).strong());
            ui.label(format!("to {}", entry.recipients));
        });
        ui.horizontal(|ui| {
            let id = entry.id.clone();
            match entry.state {
                State::Scheduled => {
                    ui.label(format!(
                        "Scheduled for {} — {}",
                        local_time(entry.send_at),
                        countdown(entry.send_at)
                    ));
                    if ui.button("Edit").clicked() {
                        commands.push(Command::CancelOutbox {
                            id: id.clone(),
                            reopen: true,
                        });
                    }
                    if ui
                        .button("Cancel")
                        .on_hover_text("Back to the drafts")
                        .clicked()
                    {
                        commands.push(Command::CancelOutbox { id, reopen: false });
                    }
                }
                State::Sending => {
                    ui.spinner();
                    ui.label(format!(
                        "Sending {} …",
                        super::widgets::human_size(entry.size)
                    ));
                }
                State::Failed => {
                    ui.label(RichText::new("Failed").color(error_color(ui)));
                    if ui.button("Retry").clicked() {
                        commands.push(Command::RetryOutbox(id.clone()));
                    }
                    if ui.button("Edit").clicked() {
                        commands.push(Command::CancelOutbox {
                            id: id.clone(),
                            reopen: true,
                        });
                    }
                    if ui
                        .button("Cancel")
                        .on_hover_text("Back to the drafts")
                        .clicked()
                    {
                        commands.push(Command::CancelOutbox { id, reopen: false });
                    }
                }
                State::Uncertain => {
                    ui.label(RichText::new("May have been sent").color(ui.visuals().warn_fg_color));
                    if ui.button("Send again").clicked() {
                        commands.push(Command::RetryOutbox(id.clone()));
                    }
                    if ui
                        .button("Dismiss")
                        .on_hover_text("It went out: move it to Sent")
                        .clicked()
                    {
                        commands.push(Command::DismissOutbox(id));
                    }
                }
            }
        });
        if let Some(error) = &entry.last_error {
            let prefix = if entry.state == State::Scheduled {
                format!("Attempt {} failed, retrying: ", entry.attempts)
            } else {
                String::new()
            };
            ui.label(
                RichText::new(format!("{prefix}{}", error.message))
                    .small()
                    .color(error_color(ui)),
            );
        }
    });
}
