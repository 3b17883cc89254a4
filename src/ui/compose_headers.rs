//! The compose view's headers as a widget: From (a profile), what else the draft says
//! about its sender ([`super::compose_sender`]), To, Cc, Bcc (Cc/Bcc on demand; a filled
//! one always shows) and Subject. Bad addresses are marked under their field with the
//! reason.
//!
//! The shape of egui's `toggle_switch.rs`: [`headers_ui`] edits the draft's header
//! fields and the chosen profile in place and returns a `Response` that is `changed()`
//! when any of them changed; the caller decides what a change means (autosave). While
//! only the `local` profile exists, From offers **Add your email account**
//! ([`Headers::add_account`]: the caller opens Add account).
//! [`HeadersState`] is the widget's own memory: whether Cc/Bcc show, and each address
//! field's problems.

use std::collections::HashMap;

use eframe::egui::{self, Response, RichText, Ui};

use super::widgets::{
    expose_choice, field_error, field_label, labelled_field, list_option, mark_invalid, name_list,
};
use crate::message::address::invalid_addresses;
use crate::message::{Draft, Field};
use crate::profile::{Profiles, Server};

const ADDRESS_FIELDS: [(&str, Field); 3] =
    [("To", Field::To), ("Cc", Field::Cc), ("Bcc", Field::Bcc)];

/// What the headers widget remembers between frames.
#[derive(Debug, Default)]
pub struct HeadersState {
    show_cc_bcc: bool,
    /// Each address field's problems, recomputed when the field changes.
    address_errors: HashMap<&'static str, Vec<String>>,
    /// The keyboard focus goes to To on the next frame (a form just cleared by Send or
    /// Discard: the focus would otherwise fall to the window, where a screen reader
    /// says nothing).
    pub focus_to: bool,
}

impl HeadersState {
    /// The state for `draft`: Cc/Bcc shown when either is filled, every address checked.
    pub fn for_draft(draft: &Draft) -> Self {
        let mut state = Self {
            show_cc_bcc: !draft.cc.is_empty() || !draft.bcc.is_empty(),
            address_errors: HashMap::new(),
            focus_to: false,
        };
        for (name, _) in ADDRESS_FIELDS {
            state.check_addresses(draft, name);
        }
        state
    }

    pub fn has_address_errors(&self) -> bool {
        self.address_errors.values().any(|p| !p.is_empty())
    }

    fn check_addresses(&mut self, draft: &Draft, name: &'static str) {
        let Some((_, field)) = ADDRESS_FIELDS.iter().find(|(n, _)| *n == name) else {
            return;
        };
        let problems = invalid_addresses(*field, address_text(draft, *field))
            .iter()
            .map(ToString::to_string)
            .collect();
        self.address_errors.insert(name, problems);
    }
}

fn address_text(draft: &Draft, field: Field) -> &str {
    match field {
        Field::To => &draft.to,
        Field::Cc => &draft.cc,
        _ => &draft.bcc,
    }
}

fn address_text_mut(draft: &mut Draft, field: Field) -> &mut String {
    match field {
        Field::To => &mut draft.to,
        Field::Cc => &mut draft.cc,
        _ => &mut draft.bcc,
    }
}

/// What the headers widget reports.
pub struct Headers {
    /// `changed()` when a header or the profile changed.
    pub response: Response,
    /// Add your email account was clicked.
    pub add_account: bool,
}

/// From, the address fields and Subject, in a two-column grid. `profiles` is `None`
/// while the worker has not loaded them yet (a spinner stands in for From).
pub fn headers_ui(
    ui: &mut Ui,
    draft: &mut Draft,
    profile: &mut Option<String>,
    state: &mut HeadersState,
    profiles: Option<&Profiles>,
) -> Headers {
    let mut add_account = false;
    let grid = egui::Grid::new("compose-headers")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .min_col_width(64.0)
        .show(ui, |ui| {
            let filled =
                [Field::Cc, Field::Bcc].map(|field| !address_text(draft, field).trim().is_empty());
            let can_hide = filled == [false, false];
            let (mut changed, add) =
                from_row(ui, profile, &mut state.show_cc_bcc, can_hide, profiles);
            add_account = add;
            ui.end_row();
            let profile_from = profiles
                .and_then(|p| p.resolve(profile.as_deref()).ok())
                .map(|p| p.from.as_str());
            changed |= super::compose_sender::sender_rows(ui, draft, profile_from);
            for (name, field) in ADDRESS_FIELDS {
                // A filled Cc or Bcc always shows: what is sent is never hidden.
                let must_show = match field {
                    Field::Cc => filled[0],
                    Field::Bcc => filled[1],
                    _ => true,
                };
                if !state.show_cc_bcc && !must_show {
                    continue;
                }
                changed |= address_row(ui, draft, state, name, field);
                ui.end_row();
            }
            changed |=
                labelled_field(ui, "Subject", &mut draft.subject, "What is it about?").changed();
            ui.end_row();
            changed
        });
    let mut response = grid.response;
    if grid.inner {
        response.mark_changed();
    }
    Headers {
        response,
        add_account,
    }
}

/// The From picker and the Cc/Bcc toggle (none while a filled Cc or Bcc cannot be
/// hidden): whether the profile changed, and whether Add your email account was clicked.
fn from_row(
    ui: &mut Ui,
    profile: &mut Option<String>,
    show_cc_bcc: &mut bool,
    can_hide: bool,
    profiles: Option<&Profiles>,
) -> (bool, bool) {
    let label = field_label(ui, "From");
    let Some(profiles) = profiles else {
        ui.spinner();
        return (false, false);
    };
    let (mut changed, mut add_account) = (false, false);
    let only_local = profiles
        .list
        .iter()
        .all(|p| matches!(p.server, Server::Folder { .. }));
    let current = profiles.resolve(profile.as_deref()).ok();
    let shown = current.map_or("(no profile)".to_string(), |p| {
        format!("{} — {}", p.from, p.id)
    });
    // Wrapped, so a narrow window keeps "Cc/Bcc" on screen.
    ui.horizontal_wrapped(|ui| {
        let combo = egui::ComboBox::from_id_salt("from-profile")
            .selected_text(shown.clone())
            .width(ui.available_width().clamp(120.0, 360.0))
            .show_ui(ui, |ui| {
                name_list(ui, "From");
                let mut chosen = current.map(|c| c.id.as_str());
                for p in &profiles.list {
                    let text = format!("{} — {}", p.from, p.id);
                    if list_option(ui, &mut chosen, Some(p.id.as_str()), text).clicked() {
                        *profile = Some(p.id.clone());
                        changed = true;
                    }
                }
            })
            .response
            .labelled_by(label.id);
        expose_choice(&combo, shown);
        if current.is_some_and(|p| matches!(p.server, Server::Folder { .. })) {
            ui.label(RichText::new("delivers nowhere: writes .eml files").weak());
            if only_local && ui.button("Add your email account").clicked() {
                add_account = true;
            }
        }
        if can_hide {
            let toggle = if *show_cc_bcc {
                "Hide Cc/Bcc"
            } else {
                "Cc/Bcc"
            };
            if ui.button(toggle).clicked() {
                *show_cc_bcc = !*show_cc_bcc;
            }
        }
    });
    (changed, add_account)
}

/// One address field with its problems under it; true when its text changed.
fn address_row(
    ui: &mut Ui,
    draft: &mut Draft,
    state: &mut HeadersState,
    name: &'static str,
    field: Field,
) -> bool {
    let hint = "Name <address@example.org>, …";
    let label = field_label(ui, name);
    ui.vertical(|ui| {
        let response = ui
            .add(
                egui::TextEdit::singleline(address_text_mut(draft, field))
                    .hint_text(hint)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        if response.changed() {
            state.check_addresses(draft, name);
        }
        if name == "To" && std::mem::take(&mut state.focus_to) {
            response.request_focus();
        }
        let errors: Vec<(egui::Response, &str)> = (state.address_errors.get(name))
            .into_iter()
            .flatten()
            .map(|problem| (field_error(ui, problem), problem.as_str()))
            .collect();
        mark_invalid(&response, &errors);
        response.changed()
    })
    .inner
}
