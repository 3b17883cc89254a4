//! Toasts: short notices at the bottom of the window, one of them with an action
//! ("Sending in 10 s — Undo").

use std::time::Duration;

use eframe::egui::{self, Ui};
use jiff::Timestamp;

/// What a toast's button does, answered by the app.
#[derive(Debug, Clone, PartialEq)]
pub enum ToastAction {
    /// Take outbox entry back into compose.
    UndoSend { entry_id: String },
    /// Bring back a deleted draft from the trash (and reopen it: a discarded one).
    UndoDelete { draft_id: String, reopen: bool },
}

#[derive(Debug, Clone)]
pub struct Toast {
    pub text: String,
    pub until: Timestamp,
    pub action: Option<(String, ToastAction)>,
    /// The text counts down to `until` ("Sending in 8 s").
    pub countdown: bool,
}

#[derive(Debug, Default)]
pub struct Toasts {
    /// Each toast with what a screen reader announces of it (fixed when it appears: a
    /// countdown read out every second would drown everything else).
    list: Vec<(Toast, String)>,
}

impl Toast {
    /// A notice that goes by itself after a few seconds.
    pub fn info(text: impl Into<String>) -> Self {
        Toast {
            text: text.into(),
            until: crate::clock::now() + Duration::from_secs(6),
            action: None,
            countdown: false,
        }
    }
}

impl Toasts {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Toast::info(text));
    }

    pub fn push(&mut self, toast: Toast) {
        let mut announced = toast.text.clone();
        if toast.countdown {
            let left = super::widgets::seconds_left(toast.until, crate::clock::now()).max(0);
            announced = format!("{announced} {left} seconds");
        }
        if let Some((button, _)) = &toast.action {
            announced = format!("{announced}; {button} is next");
        }
        self.list.push((toast, announced));
    }

    /// Shows the toasts; returns the action of a clicked button.
    pub fn ui(&mut self, ui: &mut Ui) -> Option<ToastAction> {
        let now = crate::clock::now();
        self.list.retain(|(t, _)| t.until > now);
        let mut clicked = None;
        for (toast, announced) in &self.list {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    let text = if toast.countdown {
                        let left = super::widgets::seconds_left(toast.until, now).max(0);
                        format!("{} {left} s", toast.text)
                    } else {
                        toast.text.clone()
                    };
                    let label = ui.label(text);
                    // A live region: screen readers say it when it appears.
                    label.widget_info(|| {
                        egui::WidgetInfo::labeled(egui::Role::Label, true, announced)
                    });
                    ui.ctx().accesskit_node_builder(label.id, |node| {
                        node.set_live(egui::accesskit::Live::Polite);
                    });
                    if let Some((label, action)) = &toast.action
                        && ui.button(label).clicked()
                    {
                        clicked = Some(action.clone());
                    }
                });
            });
        }
        if !self.list.is_empty() {
            ui.ctx().request_repaint_after(Duration::from_millis(250));
        }
        if let Some(action) = &clicked {
            self.list
                .retain(|(t, _)| t.action.as_ref().map(|(_, a)| a) != Some(action));
        }
        clicked
    }
}
