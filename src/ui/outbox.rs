//! The outbox view: scheduled messages with a live countdown, the one being sent, failed
//! ones with the server's words (Retry / Edit / Cancel), uncertain ones ("may have been
//! sent": Send again / Dismiss), and the recent sent copies, each with its copy in the
//! server's Sent folder when that is still to be filed ("Copy to Sent pending", or the
//! server's words when it refused it; **File copies now**).

use std::collections::HashMap;
use std::time::Duration;

use eframe::egui::{self, RichText, Ui};

use super::widgets::{countdown, error_color, human_size, local_time, named_button};
use crate::outbox::{Entry, State};
use crate::server_copy::PendingCopy;
use crate::store::sent::SentSummary;
use crate::worker::{AfterCancel, Command, Event};

#[derive(Debug, Default)]
pub struct OutboxState {
    pub entries: Vec<Entry>,
    pub sent: Vec<SentSummary>,
    /// Sent messages whose copy is not in the server's Sent folder yet.
    pub copies: Vec<PendingCopy>,
    pub scheduler: Option<String>,
    /// The big message going out now: its entry id, bytes sent, bytes in all.
    pub uploading: Option<(String, usize, usize)>,
    /// Each entry's profile, kept after it left the outbox (for "sent" notices).
    profiles_of_entries: HashMap<String, String>,
}

impl OutboxState {
    /// Applies what the worker says of the outbox; any other event is not this view's.
    pub fn apply(&mut self, event: Event) {
        match event {
            Event::Outbox(entries) => {
                for entry in &entries {
                    self.profiles_of_entries
                        .insert(entry.id.clone(), entry.profile.clone());
                }
                self.entries = entries;
            }
            Event::Uploading {
                entry_id,
                sent,
                total,
            } => self.uploading = Some((entry_id, sent, total)),
            Event::UploadsEnded => self.uploading = None,
            Event::Sent(list) => self.sent = list,
            Event::ServerCopies(copies) => self.copies = copies,
            _ => {}
        }
    }

    /// The profile an entry was sent with, once it was listed.
    pub fn profile_of(&self, entry_id: &str) -> Option<&str> {
        self.profiles_of_entries.get(entry_id).map(String::as_str)
    }
}

/// The sent copies listed (the newest); the rest are in `sent/` for any mail program.
const SENT_SHOWN: usize = 200;

pub fn outbox_ui(ui: &mut Ui, state: &OutboxState) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(status) = &state.scheduler {
        ui.horizontal_wrapped(|ui| {
            if status.starts_with("Not installed") {
                ui.label(
                    RichText::new("Scheduled messages go out only while Mailroom is open.").weak(),
                );
                if ui
                    .button("Install the scheduler")
                    .on_hover_text("Have the OS send them every minute, window or not")
                    .clicked()
                {
                    commands.push(Command::InstallScheduler);
                }
            } else {
                ui.label(RichText::new(status.lines().next().unwrap_or_default()).weak());
            }
        });
    }
    egui::ScrollArea::vertical()
        .id_salt("outbox-and-sent")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            super::widgets::heading(ui, "Outbox");
            if state.entries.is_empty() {
                ui.label(RichText::new("Nothing waiting to go out.").weak());
            }
            for entry in &state.entries {
                let upload = state
                    .uploading
                    .as_ref()
                    .filter(|(id, ..)| *id == entry.id)
                    .map(|(_, sent, total)| (*sent, *total));
                entry_ui(ui, entry, upload, &mut commands);
            }
            ui.add_space(12.0);
            super::widgets::heading(ui, "Sent");
            if state.sent.is_empty() {
                ui.label(RichText::new("Nothing sent yet.").weak());
            }
            if !state.copies.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    ui.label(format!(
                        "{} copies are not in the server's Sent folder yet.",
                        state.copies.len()
                    ));
                    if ui.button("File copies now").clicked() {
                        commands.push(Command::RetryCopies);
                    }
                });
            }
            for sent in state.sent.iter().take(SENT_SHOWN) {
                ui.horizontal(|ui| {
                    let date = sent.date.as_deref().and_then(|d| d.parse().ok());
                    ui.label(date.map(local_time).unwrap_or_default());
                    ui.label(RichText::new(&sent.subject).strong());
                    ui.label(&sent.to);
                    if ui.small_button("Open .eml").clicked() {
                        commands.push(Command::OpenFile(sent.path.clone()));
                    }
                    if let Some(copy) = state.copies.iter().find(|c| c.id == sent.id) {
                        copy_state_ui(ui, copy);
                    }
                });
            }
        });
    if state
        .entries
        .iter()
        .any(|e| e.state == State::Scheduled || e.state == State::Sending)
    {
        ui.ctx().request_repaint_after(Duration::from_millis(500)); // the countdowns
    }
    commands
}

/// One entry; `upload` (bytes sent, in all) while it is going out.
fn entry_ui(
    ui: &mut Ui,
    entry: &Entry,
    upload: Option<(usize, usize)>,
    commands: &mut Vec<Command>,
) {
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.set_width(ui.available_width());
        let subject = if entry.subject.is_empty() {
            "(no subject)"
        } else {
            &entry.subject
        };
        ui.horizontal(|ui| {
            ui.label(RichText::new(subject).strong());
            ui.label(format!("to {}", entry.recipients));
        });
        if let Some((sent, total)) = upload {
            let done = sent as f32 / total.max(1) as f32;
            ui.add(egui::ProgressBar::new(done).text(format!(
                "Sending {} of {}",
                human_size(sent as u64),
                human_size(total as u64)
            )));
            return;
        }
        // Each button's accessible name says which message it acts on.
        let button =
            |ui: &mut Ui, text: &str| named_button(ui, text, &format!("{text} “{subject}”"));
        ui.horizontal(|ui| {
            let id = entry.id.clone();
            match entry.state {
                State::Scheduled => {
                    ui.label(format!(
                        "Scheduled for {} — {}",
                        local_time(entry.send_at),
                        countdown(entry.send_at)
                    ));
                    if button(ui, "Edit")
                        .on_hover_text("Out of the outbox while you edit; its time is kept")
                        .clicked()
                    {
                        commands.push(Command::CancelOutbox {
                            id: id.clone(),
                            then: AfterCancel::EditKeepingItsTime,
                        });
                    }
                    if button(ui, "Cancel")
                        .on_hover_text("Back to the drafts")
                        .clicked()
                    {
                        commands.push(back_to_drafts(id));
                    }
                }
                State::WaitingForSignIn => {
                    ui.label(
                        RichText::new(format!(
                            "Waiting for you to sign in again to \"{}\"",
                            entry.profile
                        ))
                        .color(ui.visuals().warn_fg_color),
                    );
                    if button(ui, "Cancel")
                        .on_hover_text("Back to the drafts")
                        .clicked()
                    {
                        commands.push(back_to_drafts(id));
                    }
                }
                State::Sending => {
                    ui.spinner();
                    ui.label(format!("Sending {} …", human_size(entry.size)));
                }
                State::Failed => {
                    ui.label(RichText::new("Failed").color(error_color(ui)));
                    if button(ui, "Retry").clicked() {
                        commands.push(Command::RetryOutbox(id.clone()));
                    }
                    if button(ui, "Edit").clicked() {
                        commands.push(Command::CancelOutbox {
                            id: id.clone(),
                            then: AfterCancel::Edit,
                        });
                    }
                    if button(ui, "Cancel")
                        .on_hover_text("Back to the drafts")
                        .clicked()
                    {
                        commands.push(back_to_drafts(id));
                    }
                }
                State::Uncertain => {
                    ui.label(RichText::new("May have been sent").color(ui.visuals().warn_fg_color));
                    if button(ui, "Send again").clicked() {
                        commands.push(Command::RetryOutbox(id.clone()));
                    }
                    if button(ui, "Dismiss")
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

/// Where a sent message's copy for the server stands, the last error on hover.
fn copy_state_ui(ui: &mut Ui, copy: &PendingCopy) {
    let why = copy.last_error.clone().unwrap_or_default();
    let label = if copy.failed {
        ui.label(RichText::new("Copy to Sent refused").color(error_color(ui)))
    } else {
        ui.label(RichText::new("Copy to Sent pending").weak())
    };
    if !why.is_empty() {
        label.on_hover_text(why);
    }
}

/// Cancel: the entry goes back to the drafts, and the view stays on the list.
fn back_to_drafts(id: String) -> Command {
    Command::CancelOutbox {
        id,
        then: AfterCancel::List,
    }
}
