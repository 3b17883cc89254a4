//! The profiles view: the accounts, and a form to add or edit one. The security choice
//! sets the usual port; the password field is masked and goes to the keyring on Save;
//! Test connection runs in the worker with a spinner meanwhile and shows the server's
//! answer or the exact failure.

use eframe::egui::{self, RichText, Ui};

use super::widgets::{banner, error_color, labelled_field};
use crate::profile::secret::Password;
use crate::profile::{Auth, Profile, Profiles, Security, Server, SmtpServer};
use crate::worker::Command;

#[derive(Debug, Default)]
pub struct ProfilesState {
    pub profiles: Option<Profiles>,
    pub form: Option<ProfileForm>,
    /// The result of the last Test connection: `None` while it runs.
    pub test: Option<Option<Result<String, String>>>,
    pub keyring_problem: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ProfileForm {
    /// The id being edited, when editing.
    pub editing: Option<String>,
    pub id: String,
    pub from: String,
    pub host: String,
    pub port: String,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub ca_file: String,
    pub problem: Option<String>,
}

impl Default for ProfileForm {
    fn default() -> Self {
        Self {
            editing: None,
            id: String::new(),
            from: String::new(),
            host: String::new(),
            port: Security::Starttls.default_port().to_string(),
            security: Security::Starttls,
            username: String::new(),
            password: String::new(),
            ca_file: String::new(),
            problem: None,
        }
    }
}

impl ProfileForm {
    fn edit(profile: &Profile) -> Self {
        let mut form = Self {
            editing: Some(profile.id.clone()),
            id: profile.id.clone(),
            from: profile.from.clone(),
            ..Self::default()
        };
        if let Server::Smtp(s) = &profile.server {
            form.host.clone_from(&s.host);
            form.port = s.port.to_string();
            form.security = s.security;
            form.username = s.username.clone().unwrap_or_default();
            form.ca_file = s
                .ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
        }
        form
    }

    /// The profile the form describes, and the typed password (if any).
    pub fn to_profile(&self) -> Result<(Profile, Option<Password>), String> {
        if self.id.trim().is_empty() {
            return Err("Name: give the profile a name".into());
        }
        if self.host.trim().is_empty() {
            return Err("Server: give the server's host name".into());
        }
        let port: u16 = self
            .port
            .trim()
            .parse()
            .map_err(|_| format!("Port: \"{}\" is not a port number", self.port))?;
        let user = self.username.trim();
        let auth = if user.is_empty() {
            Auth::None
        } else {
            Auth::Password
        };
        let mut smtp = SmtpServer::new(self.host.trim(), self.security, auth);
        smtp.port = port;
        smtp.username = (!user.is_empty()).then(|| user.to_string());
        smtp.ca_file = (!self.ca_file.trim().is_empty()).then(|| self.ca_file.trim().into());
        let profile = Profile {
            id: self.id.trim().to_string(),
            from: self.from.trim().to_string(),
            server: Server::Smtp(smtp),
        };
        let password = (!self.password.is_empty()).then(|| Password::new(self.password.clone()));
        Ok((profile, password))
    }
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
        ui.heading("Profiles");
        if ui.button("Add profile").clicked() {
            state.form = Some(ProfileForm::default());
            state.test = None;
        }
    });
    if let Some(profiles) = &state.profiles {
        for profile in &profiles.list {
            ui.horizontal(|ui| {
                let default = profiles.default.as_deref() == Some(profile.id.as_str());
                ui.label(RichText::new(&profile.id).strong());
                if default {
                    ui.label(RichText::new("default").weak());
                }
                ui.label(&profile.from);
                ui.label(RichText::new(profile.summary()).weak());
                if matches!(profile.server, Server::Smtp(_))
                    && ui.button(format!("Edit {}", profile.id)).clicked()
                {
                    state.form = Some(ProfileForm::edit(profile));
                    state.test = None;
                }
                if ui.button(format!("Remove {}", profile.id)).clicked() {
                    commands.push(Command::RemoveProfile(profile.id.clone()));
                }
            });
        }
    } else {
        ui.spinner();
    }
    if let Some(note) = &state.note {
        ui.label(RichText::new(note).weak());
    }
    if let Some(form) = &mut state.form {
        ui.separator();
        if let Some(command) = form_ui(ui, form, &mut state.test) {
            commands.push(command);
        }
    }
    commands
}

fn form_ui(
    ui: &mut Ui,
    form: &mut ProfileForm,
    test: &mut Option<Option<Result<String, String>>>,
) -> Option<Command> {
    let mut command = None;
    egui::Grid::new("profile-form")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| {
            labelled_field(ui, "Name", &mut form.id, "work");
            ui.end_row();
            labelled_field(ui, "From", &mut form.from, "Me <me@example.org>");
            ui.end_row();
            labelled_field(ui, "Server", &mut form.host, "smtp.example.org");
            ui.end_row();
            let label = ui.label("Security");
            egui::ComboBox::from_id_salt("security")
                .selected_text(form.security.describe())
                .show_ui(ui, |ui| {
                    for security in [Security::Starttls, Security::Tls, Security::Plain] {
                        let name = match security {
                            Security::Starttls => "STARTTLS (587)",
                            Security::Tls => "TLS (465)",
                            Security::Plain => "None — unencrypted (25)",
                        };
                        if ui
                            .selectable_value(&mut form.security, security, name)
                            .changed()
                        {
                            form.port = security.default_port().to_string();
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            ui.end_row();
            labelled_field(ui, "Port", &mut form.port, "587");
            ui.end_row();
            labelled_field(
                ui,
                "Username",
                &mut form.username,
                "me@example.org (empty: no login)",
            );
            ui.end_row();
            let label = ui.label("Password");
            ui.add(
                egui::TextEdit::singleline(&mut form.password)
                    .password(true)
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
            ui.end_row();
            labelled_field(
                ui,
                "Extra CA file",
                &mut form.ca_file,
                "optional: a PEM file for a private CA",
            );
            ui.end_row();
        });
    if form.security == Security::Plain {
        ui.label(
            RichText::new("Unencrypted: the password and messages cross the network in clear.")
                .color(error_color(ui)),
        );
    }
    ui.horizontal(|ui| {
        match form.to_profile() {
            Ok((profile, password)) => {
                form.problem = None;
                if ui.button("Test connection").clicked() {
                    *test = Some(None);
                    command = Some(Command::TestProfile {
                        profile: profile.clone(),
                        password: password.clone(),
                    });
                }
                if ui.button("Save profile").clicked() {
                    command = Some(Command::SaveProfile {
                        profile,
                        password,
                        replaces: form.editing.clone(),
                    });
                }
            }
            Err(problem) => form.problem = Some(problem),
        }
        match test {
            Some(None) => {
                ui.spinner();
                ui.label("Testing…");
            }
            Some(Some(Ok(answer))) => {
                ui.label(
                    RichText::new(answer.as_str()).color(egui::Color32::from_rgb(40, 150, 60)),
                );
            }
            Some(Some(Err(problem))) => {
                ui.label(RichText::new(problem.as_str()).color(error_color(ui)));
            }
            None => {}
        }
    });
    if let Some(problem) = &form.problem {
        ui.label(RichText::new(problem).weak());
    }
    command
}
