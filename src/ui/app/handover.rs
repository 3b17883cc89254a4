//! Requests from a second start ([`crate::instance`]): the window comes to the front and
//! opens the link, draft or file as a new message. What was being written is saved as a
//! draft first and a toast says so, so a click on a mail link never costs a message.

use std::sync::mpsc;

use eframe::egui;

use super::{MailroomApp, View};
use crate::instance::{Handover, Listener, Request};
use crate::ui::compose::ComposeState;
use crate::worker::Command;

/// The window's end of the hand-over: requests in, and the socket kept while it runs.
pub(super) struct Handovers {
    requests: mpsc::Receiver<Handover>,
    _serving: crate::instance::Serving,
}

impl MailroomApp {
    /// Answers second starts from now on (the window calls this once it is open).
    pub fn listen(&mut self, ctx: &egui::Context, listener: Listener) -> std::io::Result<()> {
        let (tx, requests) = mpsc::channel();
        let repaint = ctx.clone();
        let serving = listener.serve(tx, std::sync::Arc::new(move || repaint.request_repaint()))?;
        self.handovers = Some(Handovers {
            requests,
            _serving: serving,
        });
        Ok(())
    }

    /// Stops answering: the window is closing, and a request now would be lost.
    pub(super) fn stop_listening(&mut self) {
        self.handovers = None;
    }

    /// Opens what second starts handed over. Called from eframe's `logic`, which runs
    /// also while the window is minimised or hidden (then it is brought back).
    pub(super) fn take_handovers(&mut self, ctx: &egui::Context) {
        let Some(handovers) = &self.handovers else {
            return;
        };
        let waiting: Vec<Handover> = handovers.requests.try_iter().collect();
        for handover in waiting {
            if handover.is_abandoned() {
                continue; // the second start was told the window is busy
            }
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
            let (opened, said) = self.open_handed_over(&handover.request);
            handover.answer(opened, said);
        }
    }

    fn open_handed_over(&mut self, request: &Request) -> (bool, String) {
        const HERE: &str = "in the running Mailroom window";
        match request {
            Request::Show => {
                let draft = &self.compose.draft;
                let what = describe(&draft.to, &draft.subject);
                (
                    true,
                    format!(
                        "Mailroom is already open, with a message {what}; its window came to the front"
                    ),
                )
            }
            Request::Mailto(uri) => match crate::message::mailto::parse(uri) {
                Ok(draft) => {
                    let what = describe(&draft.to, &draft.subject);
                    self.keep_what_is_written();
                    let profile = self.compose.profile.clone();
                    self.compose = ComposeState::new(draft, profile);
                    self.view = View::Compose;
                    (true, format!("Opened a new message {what} {HERE}"))
                }
                Err(e) => {
                    let why = format!("The link could not be opened: {e}");
                    self.problem = Some(why.clone());
                    (false, why)
                }
            },
            Request::Draft(id) => {
                self.keep_what_is_written();
                self.worker.send(Command::OpenDraft(id.clone()));
                (true, format!("Opening draft {id} {HERE}"))
            }
            Request::Eml(file) => {
                self.keep_what_is_written();
                self.worker.send(Command::ImportEml(file.clone()));
                let file = file.display();
                (true, format!("Opening {file} as a new draft {HERE}"))
            }
        }
    }

    /// Saves the message on screen as a draft (when it is one) and says where it went.
    fn keep_what_is_written(&mut self) {
        let written = self.compose.saved_at.is_some()
            || self.compose.save_pending
            || self.compose.has_unsaved_changes();
        if !written {
            return;
        }
        self.flush_compose();
        let subject = self.compose.draft.subject.trim();
        let name = if subject.is_empty() {
            "(no subject)"
        } else {
            subject
        };
        self.toasts.info(format!("\"{name}\" is kept in Drafts"));
        self.compose = ComposeState::default();
    }
}

/// "to ana@example.org, “Hi”" for the second start's answer.
fn describe(to: &str, subject: &str) -> String {
    let to = if to.trim().is_empty() {
        "with no recipient".to_string()
    } else {
        format!("to {}", to.trim())
    };
    if subject.trim().is_empty() {
        to
    } else {
        format!("{to}, \"{}\"", subject.trim())
    }
}
