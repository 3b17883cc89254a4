//! The profiles view: the accounts (with whether an OAuth2 one is signed in), Add account
//! ([`super::account_setup`]: from an email address), the expert form to add (Manual
//! setup) or edit one ([`super::profile_form`]), and Remove with a confirmation.

use eframe::egui::{self, RichText, Ui};

use super::account_setup::{AccountSetup, SetupAction, account_setup_ui};
use super::focus::focus_field;
use super::profile_form::{FormAction, ProfileForm, form_ui};
use super::widgets::{banner, error_color, section};
use crate::profile::{Profiles, Server};
use crate::service::ConnectionTest;
use crate::worker::{Command, Event};

impl ProfilesState {
    /// Opens Add account (closing the expert form), the focus in its first field.
    pub fn open_setup(&mut self, ctx: &egui::Context) {
        self.setup = Some(AccountSetup::default());
        self.form = None;
        self.test = None;
        focus_field(ctx, "Your name");
    }

    /// Applies what the worker says of the profiles; any other event is not this
    /// view's. `shown`: the view is on screen (a save answered while another view is
    /// shown moves no focus later).
    pub fn apply(&mut self, event: Event, shown: bool) {
        match event {
            Event::Profiles(profiles) => self.profiles = Some(profiles),
            Event::MailtoHandler(handler) => self.mailto_handler = handler,
            Event::SignIns(states) => self.sign_ins.states = states,
            Event::SignInFinished { result, .. } => {
                self.sign_ins.running = None;
                if let Err(why) = result {
                    self.sign_ins.problem = Some(why);
                }
            }
            Event::AccountDetected { request, result } => {
                if let Some(setup) = &mut self.setup {
                    setup.detected(request, result);
                }
            }
            Event::ProfileSaved { id, note, profiles } => {
                self.profiles = Some(profiles);
                self.form = None;
                self.setup = None;
                self.note = Some(format!("Saved \"{id}\". {}", note.unwrap_or_default()));
                // Its Edit button takes the focus the form had.
                if shown {
                    self.focus_saved = Some(id);
                }
            }
            Event::KeyringUnavailable { reason, .. } => self.keyring_problem = Some(reason),
            _ => {}
        }
    }

    /// Shows how Test connection went.
    pub fn tested(&mut self, result: Result<ConnectionTest, String>) {
        self.test = Some(Some(result.map(|t| t.summary())));
    }

    /// Shows a problem saving a profile in the form (or in Add account) it came from;
    /// gives it back when neither is open.
    pub fn show_problem(&mut self, text: String) -> Option<String> {
        if let Some(form) = &mut self.form {
            form.save_problem = Some(text);
        } else if self.setup.is_some() {
            self.test = Some(Some(Err(text)));
        } else {
            return Some(text);
        }
        None
    }

    /// Opens the expert form (closing Add account), the focus in its first field.
    fn open_form(&mut self, ctx: &egui::Context, form: ProfileForm) {
        self.form = Some(form);
        self.setup = None;
        self.test = None;
        focus_field(ctx, "Name");
    }
}

#[derive(Debug, Default)]
pub struct ProfilesState {
    pub profiles: Option<Profiles>,
    pub form: Option<ProfileForm>,
    /// Add account, while it is open.
    pub setup: Option<AccountSetup>,
    /// Which OAuth2 profiles are signed in, and a sign-in under way.
    pub sign_ins: super::sign_in::SignIns,
    /// The result of the last Test connection: `None` while it runs.
    pub test: Option<Option<Result<String, String>>>,
    pub keyring_problem: Option<String>,
    pub note: Option<String>,
    /// The profile whose Remove was clicked, waiting for the person to confirm.
    pub confirm_remove: Option<String>,
    /// A profile just saved: its Edit button takes the focus (the form it was typed in
    /// is gone), while "Saved …" is announced.
    pub focus_saved: Option<String>,
    /// Whether Mailroom opens `mailto:` links; `None` when it cannot.
    pub mailto_handler: Option<crate::desktop::MailtoHandler>,
}

pub fn profiles_ui(ui: &mut Ui, state: &mut ProfilesState) -> Vec<Command> {
    let mut commands = Vec::new();
    if let Some(problem) = &state.keyring_problem {
        banner(
            ui,
            &format!(
                "No keyring answered ({problem}). Passwords you type are kept for this session only."
            ),
        );
    }
    ui.horizontal(|ui| {
        super::widgets::heading(ui, "Profiles");
        if ui.button("Add account").clicked() {
            state.open_setup(ui.ctx());
        }
        // Add account has its own Manual setup, which keeps what was found.
        if state.setup.is_none() && ui.button("Manual setup").clicked() {
            state.open_form(ui.ctx(), ProfileForm::default());
        }
    });
    // Opened after the list is drawn: the list is borrowed from the state.
    let mut edit_form = None;
    if let Some(profiles) = &state.profiles {
        for profile in &profiles.list {
            // Each row numbers its own controls: a Remove question in one row does not
            // renumber the next rows' buttons.
            section(ui, &format!("profile-{}", profile.id), |ui| {
                ui.horizontal_wrapped(|ui| {
                    let default = profiles.default.as_deref() == Some(profile.id.as_str());
                    ui.label(RichText::new(&profile.id).strong());
                    if default {
                        ui.label(RichText::new("default").weak());
                    }
                    ui.label(&profile.from);
                    ui.label(RichText::new(profile.summary()).weak());
                    if let Some(state) = state.sign_ins.describe(profile) {
                        ui.label(state);
                    }
                    if matches!(profile.server, Server::Smtp(_)) {
                        let edit = ui.button(format!("Edit {}", profile.id));
                        if state.focus_saved.as_deref() == Some(profile.id.as_str()) {
                            edit.request_focus();
                        }
                        if edit.clicked() {
                            edit_form = Some(ProfileForm::edit(profile));
                        }
                    }
                    remove_ui(ui, &profile.id, &mut state.confirm_remove, &mut commands);
                });
            });
        }
    } else {
        ui.spinner();
    }
    // Asked once: a saved profile without an Edit button takes no focus later.
    if state.profiles.is_some() {
        state.focus_saved = None;
    }
    if let Some(form) = edit_form {
        state.open_form(ui.ctx(), form);
    }
    if let Some(note) = &state.note {
        super::widgets::status_line(ui, note);
    }
    commands.extend(super::mailto_handler::setting_ui(ui, state.mailto_handler));
    if let Some(setup) = &mut state.setup {
        ui.separator();
        match account_setup_ui(ui, setup, &mut state.test) {
            Some(SetupAction::Command(command)) => commands.push(*command),
            Some(SetupAction::SaveAndSignIn(profile)) => {
                state.sign_ins.running = Some(profile.id.clone());
                state.sign_ins.problem = None;
                commands.push(Command::SaveProfile {
                    profile: (*profile).clone(),
                    password: None,
                    replaces: None,
                });
                commands.push(Command::SignIn(*profile));
            }
            Some(SetupAction::Manual(form)) => state.open_form(ui.ctx(), *form),
            Some(SetupAction::Close) => state.setup = None,
            None => {}
        }
    }
    if let Some(form) = &mut state.form {
        ui.separator();
        match form_ui(ui, form, &mut state.test) {
            Some(FormAction::Command(command)) => commands.push(*command),
            Some(FormAction::Close) => state.form = None,
            None => {}
        }
    }
    commands
}

/// Remove, then a confirmation: removing a profile also deletes its stored password.
fn remove_ui(ui: &mut Ui, id: &str, confirm: &mut Option<String>, commands: &mut Vec<Command>) {
    // The question takes the place of the focused button: the focus goes to its safe
    // answer, where a screen reader reads the question with it (not to the window).
    let focus_answer = egui::Id::unique("remove-question-focus").with(id);
    if confirm.as_deref() != Some(id) {
        if ui.button(format!("Remove {id}")).clicked() {
            *confirm = Some(id.to_string());
            ui.ctx().data_mut(|d| d.insert_temp(focus_answer, true));
        }
        return;
    }
    let question = "Remove it and its stored password?";
    ui.label(RichText::new(question).color(error_color(ui)));
    if ui.button(format!("Yes, remove {id}")).clicked() {
        commands.push(Command::RemoveProfile(id.to_string()));
        *confirm = None;
    }
    let keep = ui.button("Keep it");
    keep.ctx.accesskit_node_builder(keep.id, |node| {
        node.set_description(question.to_string());
    });
    if ui
        .ctx()
        .data_mut(|d| d.remove_temp::<bool>(focus_answer))
        .unwrap_or(false)
    {
        keep.request_focus();
    }
    if keep.clicked() || ui.input(|i| i.key_pressed(egui::Key::Escape)) {
        *confirm = None;
    }
}
