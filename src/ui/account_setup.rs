//! Add account: a name and an email address in, the server found ([`crate::detect`], on
//! the worker, with a spinner and Cancel), shown with where it came from, then — with the
//! password, when the found sign-in takes one — tested and saved in one step; a provider
//! that signs in with OAuth2 (Microsoft, Google) is saved and signed in to through the
//! browser instead. The expert
//! fields are one click away (Manual setup), filled with what was found.
//!
//! The profile is named after the address (`ana@example.org`; a character a profile name
//! cannot hold, such as `+`, becomes `-`); Manual setup renames it.
//! A server outside the address's domain, or an unencrypted one, is shown with a warning
//! before anything is saved; an unencrypted one needs a tick first.

use eframe::egui::{self, RichText, Ui};

use super::profile_form::ProfileForm;
use super::widgets::{error_color, field_label, labelled_field};
use crate::detect::{self, Candidate, Detection, Method};
use crate::profile::Security;
use crate::profile::secret::Password;
use crate::worker::Command;

/// Where the setup is.
#[derive(Debug, Default)]
pub enum Stage {
    #[default]
    Asking,
    /// Detection runs for request `.0`.
    Finding(u64),
    Found(Box<Detection>),
    NotFound(String),
}

/// What the setup remembers. Its `Debug` leaves the typed password out.
#[derive(Default)]
pub struct AccountSetup {
    pub name: String,
    pub email: String,
    password: String,
    /// The person accepted an unencrypted server.
    allow_plain: bool,
    pub stage: Stage,
    /// Test passed: save on the next frame (the test result lives in the profiles
    /// view's `test` slot, shared with the form).
    saving_after_test: bool,
    next_request: u64,
}

impl std::fmt::Debug for AccountSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccountSetup")
            .field("email", &self.email)
            .field("stage", &self.stage)
            .finish_non_exhaustive()
    }
}

impl AccountSetup {
    /// The new profile's name: the address, with what a name cannot hold made `-`.
    fn profile_id(&self) -> String {
        self.email
            .trim()
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                    c
                } else {
                    '-'
                }
            })
            .collect()
    }

    /// The worker's answer for request `request` (a cancelled or older one is dropped).
    pub fn detected(&mut self, request: u64, result: Result<Detection, String>) {
        if matches!(self.stage, Stage::Finding(r) if r == request) {
            self.stage = match result {
                Ok(detection) => Stage::Found(Box::new(detection)),
                Err(why) => Stage::NotFound(why),
            };
        }
    }

    fn found(&self) -> Option<&Candidate> {
        match &self.stage {
            Stage::Found(detection) => detection.best(),
            _ => None,
        }
    }

    /// The expert form, filled with what was found (or just the address).
    fn manual(&self) -> ProfileForm {
        let mut form = ProfileForm {
            id: self.profile_id(),
            from: detect::identity(Some(&self.name), self.email.trim()),
            username: self.email.trim().to_string(),
            password: self.password.clone(),
            ..ProfileForm::default()
        };
        if let Some(found) = self.found() {
            form.host.clone_from(&found.host);
            form.port = found.port.to_string();
            form.security = found.security;
            form.username = found.username.clone().unwrap_or_default();
            if let Stage::Found(detection) = &self.stage
                && let Some(imap) = detection.imap_settings(&found.host)
            {
                form.set_imap(&imap);
            }
        }
        form
    }

    fn profile(&self) -> Option<crate::profile::Profile> {
        let found = self.found()?;
        let mut server = found.server();
        if found.method == Method::None {
            server.username = None;
        }
        if let Stage::Found(detection) = &self.stage {
            server.imap = detection.imap_settings(&found.host).map(Box::new);
        }
        if found.method == Method::OAuth2 {
            server.oauth2 = Some(Box::new(crate::profile::OAuth2 {
                provider: crate::oauth::provider::for_host(&found.host)?,
                issuer: None,
                client_id: None,
                client_secret: None,
                scopes: Vec::new(),
            }));
        }
        Some(crate::profile::Profile {
            id: self.profile_id(),
            from: detect::identity(Some(&self.name), self.email.trim()),
            server: crate::profile::Server::Smtp(server),
        })
    }
}

/// What the setup asks of the profiles view.
pub enum SetupAction {
    Command(Box<Command>),
    /// Save this OAuth2 profile, then sign in to it through the browser.
    SaveAndSignIn(Box<crate::profile::Profile>),
    /// Manual setup: the expert form, filled in.
    Manual(Box<ProfileForm>),
    Close,
}

/// The setup. `test` is the profiles view's connection-test slot (`Some(None)` while a
/// test runs).
pub fn account_setup_ui(
    ui: &mut Ui,
    setup: &mut AccountSetup,
    test: &mut Option<Option<Result<String, String>>>,
) -> Option<SetupAction> {
    let mut action = None;
    super::widgets::heading(ui, "Add your email account");
    let finding = matches!(setup.stage, Stage::Finding(_));
    let before = setup.email.clone();
    egui::Grid::new("account-setup")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled_field(ui, "Your name", &mut setup.name, "Ana Lima");
            ui.end_row();
            labelled_field(ui, "Email address", &mut setup.email, "ana@example.org");
            ui.end_row();
            if setup.found().is_some_and(|f| f.method == Method::Password) {
                let label = field_label(ui, "Password");
                ui.add(
                    egui::TextEdit::singleline(&mut setup.password)
                        .password(true)
                        .hint_text("stored in the system keyring")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                ui.end_row();
            }
        });
    if setup.email != before && !finding {
        setup.stage = Stage::Asking; // what was found was for another address
        *test = None;
    }
    let address = detect::Email::parse(&setup.email);
    ui.horizontal(|ui| {
        if finding {
            ui.spinner();
            ui.label("Looking for your provider's settings…");
            if ui.button("Cancel").clicked() {
                setup.stage = Stage::Asking;
            }
            return;
        }
        let find = ui
            .add_enabled(address.is_ok(), egui::Button::new("Find settings"))
            .on_disabled_hover_text("Type your email address first");
        if find.clicked() {
            setup.next_request += 1;
            setup.stage = Stage::Finding(setup.next_request);
            *test = None;
            action = Some(SetupAction::Command(Box::new(Command::DetectAccount {
                request: setup.next_request,
                email: setup.email.trim().to_string(),
            })));
        }
        if ui.button("Manual setup").clicked() {
            action = Some(SetupAction::Manual(Box::new(setup.manual())));
        }
        if ui.button("Cancel").clicked() {
            action = Some(SetupAction::Close);
        }
    });
    if let (Err(why), false) = (&address, setup.email.trim().is_empty()) {
        ui.label(RichText::new(why.to_string()).weak());
    }
    match &setup.stage {
        Stage::Found(detection) => {
            let detection = detection.as_ref().clone();
            if let Some(next) = found_ui(ui, setup, &detection, test) {
                action = Some(next);
            }
        }
        Stage::NotFound(why) => {
            ui.label(RichText::new(why).color(error_color(ui)));
            ui.label("Use Manual setup to give the server yourself.");
        }
        Stage::Asking | Stage::Finding(_) => {}
    }
    action
}

/// What was found, its source and notes, and Sign in and save.
fn found_ui(
    ui: &mut Ui,
    setup: &mut AccountSetup,
    detection: &Detection,
    test: &mut Option<Option<Result<String, String>>>,
) -> Option<SetupAction> {
    let best = detection.best()?.clone();
    let domain = setup
        .email
        .rsplit_once('@')
        .map_or("", |(_, d)| d)
        .to_string();
    ui.label(format!(
        "Sending through {}:{} ({}){} — {}",
        best.host,
        best.port,
        best.security.describe(),
        best.username
            .as_deref()
            .map(|u| format!(", as {u}"))
            .unwrap_or_default(),
        best.source.describe(&best, &domain)
    ));
    if let Some(imap) = detection.imap_settings(&best.host) {
        ui.label(format!(
            "Sent messages filed on {} ({}): {}",
            imap.address(),
            imap.security.describe(),
            imap.sent_copy.describe()
        ));
    }
    for note in &detection.notes {
        ui.label(RichText::new(format!("Note: {note}")).color(error_color(ui)));
    }
    if best.security == Security::Plain {
        ui.checkbox(&mut setup.allow_plain, "Use this unencrypted server anyway");
    }
    if best.method == Method::OAuth2 {
        return oauth2_ui(ui, setup, &best);
    }
    let can_sign_in = match best.method {
        Method::OAuth2 => false,
        Method::Password => !setup.password.is_empty(),
        Method::None => true,
    } && (best.security != Security::Plain || setup.allow_plain);
    let testing = matches!(test, Some(None));
    let mut action = None;
    ui.horizontal(|ui| {
        let sign_in = ui
            .add_enabled(
                can_sign_in && !testing,
                egui::Button::new("Sign in and save"),
            )
            .on_disabled_hover_text("Type your password first");
        if let Some(profile) = setup.profile().filter(|_| sign_in.clicked()) {
            *test = Some(None);
            setup.saving_after_test = true;
            action = Some(SetupAction::Command(Box::new(Command::TestProfile {
                profile,
                password: typed(&setup.password),
            })));
        }
        match test {
            Some(None) => {
                ui.spinner();
                ui.label("Signing in…");
            }
            Some(Some(Err(problem))) => {
                setup.saving_after_test = false;
                ui.label(RichText::new(problem.as_str()).color(error_color(ui)));
            }
            Some(Some(Ok(answer))) => {
                ui.label(answer.as_str());
            }
            None => {}
        }
    });
    if setup.saving_after_test && matches!(test, Some(Some(Ok(_)))) {
        setup.saving_after_test = false;
        if let Some(profile) = setup.profile() {
            action = Some(SetupAction::Command(Box::new(Command::SaveProfile {
                profile,
                password: typed(&setup.password),
                replaces: None,
            })));
        }
    }
    action
}

/// A provider that signs in through the browser: save, then sign in.
fn oauth2_ui(ui: &mut Ui, setup: &AccountSetup, best: &Candidate) -> Option<SetupAction> {
    let Some(profile) = setup.profile() else {
        ui.label(
            RichText::new(format!(
                "{} signs in with OAuth2, and Mailroom does not know its sign-in page: add it with `mailroom profile add … --oauth2-issuer URL`.",
                best.host
            ))
            .color(error_color(ui)),
        );
        return None;
    };
    let provider = match profile.server {
        crate::profile::Server::Smtp(ref s) => s.oauth2.as_ref().map(|o| o.provider.clone()),
        crate::profile::Server::Folder { .. } => None,
    }
    .unwrap_or_default();
    let name = match provider.as_str() {
        "microsoft" => "Microsoft",
        "google" => "Google",
        other => other,
    };
    ui.button(format!("Sign in with {name}…"))
        .on_hover_text("Opens your browser; Mailroom keeps the sign-in in the system keyring")
        .clicked()
        .then(|| SetupAction::SaveAndSignIn(Box::new(profile)))
}

fn typed(password: &str) -> Option<Password> {
    (!password.is_empty()).then(|| Password::new(password.to_string()))
}
