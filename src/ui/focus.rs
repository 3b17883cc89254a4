//! Keeps the keyboard focus somewhere a person can hear and see.
//!
//! egui drops the focus when the focused control goes away (an open list closed with
//! Escape, a dialog closed, a form saved, a control no longer drawn) and when Escape is
//! pressed in a text field; the focus then falls to the window, where a screen reader
//! says nothing and Tab starts over from the top. Desktop toolkits give it back to where
//! the person was: the combo box the list belonged to, the button that opened the
//! dialog, the field itself.
//! [`FocusKeeper`] does the same, once per frame after every view is drawn: when the
//! focus has fallen to nothing without the pointer taking it (a click on empty space
//! leaves nothing focused, as it does elsewhere), it goes to the most recently focused
//! control that is still on screen, enabled and focusable (egui's ids are positional: a
//! label may now stand where a button stood). A scroll is moving on too: a focused row
//! scrolled out of sight is not chased. Tab past the last control is left to egui, which
//! hands the focus to the first one on the next frame (one frame with the focus on the
//! window: egui's wrap-around is not ours to change).

use std::collections::VecDeque;

use eframe::egui::{Context, Id, Key, Response};

/// How many recently focused controls are remembered.
const REMEMBERED: usize = 8;

#[derive(Debug, Default)]
pub struct FocusKeeper {
    /// Recently focused controls, the latest last.
    recent: VecDeque<Id>,
}

impl FocusKeeper {
    /// Called at the end of each frame, after every widget of the frame is drawn.
    pub fn keep(&mut self, ctx: &Context) {
        let focused = ctx.memory(|m| m.focused());
        let shown = |id: Id| {
            ctx.viewport(|v| {
                v.this_pass
                    .widgets
                    .get(id)
                    .is_some_and(|w| w.enabled && w.visible && w.sense.is_focusable())
            })
        };
        match focused {
            Some(id) if shown(id) => self.remember(id),
            // Asked for before its control is drawn (it will be next frame).
            Some(id) if !self.recent.contains(&id) => {}
            // Tab past the last control: egui hands the focus on next frame.
            _ if ctx.input(|i| i.key_pressed(Key::Tab)) => {}
            // A click on empty space, or a focused row scrolled out of sight: the
            // person moved on, so nothing is given back.
            _ if ctx.input(|i| {
                i.pointer.any_pressed() || i.pointer.any_released() || i.is_scrolling()
            }) =>
            {
                self.recent.clear();
            }
            _ => {
                if let Some(&back) = self.recent.iter().rev().find(|&&id| shown(id)) {
                    ctx.memory_mut(|m| m.request_focus(back));
                    self.remember(back);
                }
            }
        }
    }

    fn remember(&mut self, id: Id) {
        if self.recent.back() == Some(&id) {
            return;
        }
        self.recent.retain(|&seen| seen != id);
        if self.recent.len() == REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(id);
    }
}

/// Asks that the [`labelled_field`](super::widgets::labelled_field) named `label` take
/// the keyboard focus when it is next drawn: a form that opens puts the person in its
/// first field (a screen reader reads it), not back at the top of the window.
pub fn focus_field(ctx: &Context, label: &'static str) {
    ctx.data_mut(|d| d.insert_temp(focus_field_id(), label));
}

fn focus_field_id() -> Id {
    Id::unique("focus-field")
}

/// Gives `field` the focus when [`focus_field`] asked for it by its label `name`.
pub fn focus_if_asked(field: &Response, name: &str) {
    let asked = field
        .ctx
        .data(|d| d.get_temp::<&'static str>(focus_field_id()));
    if asked == Some(name) {
        field
            .ctx
            .data_mut(|d| d.remove_temp::<&'static str>(focus_field_id()));
        field.request_focus();
    }
}
