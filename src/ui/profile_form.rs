//! The expert form to add (Manual setup) or edit a profile: every setting, the security
//! choice setting the usual port, the password masked (it goes to the keyring on Save),
//! and Test connection, which runs in the worker with a spinner meanwhile and shows the
//! server's answer or the exact failure. Add account ([`super::account_setup`]) opens it
//! filled with what it found.

use eframe::egui::{self, RichText, Ui};

use super::widgets::{
    error_color, expose_choice, field_label, labelled_field, list_option, name_list,
};
use crate::profile::secret::Password;
use crate::profile::{Auth, ImapSettings, Profile, Security, SentCopy, Server, SmtpServer, imap};
use crate::worker::Command;

/// The add / edit form. Editing keeps what the form does not show (the timeout) from the
/// profile being edited. Its `Debug` leaves the typed password out.
#[derive(Clone)]
pub struct ProfileForm {
    /// The profile being edited, when editing.
    pub editing: Option<Profile>,
    pub id: String,
    pub from: String,
    pub host: String,
    pub port: String,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub password_command: String,
    pub ca_file: String,
    pub pin_sha256: String,
    /// Where sent messages are filed; empty: no IMAP server.
    pub imap_host: String,
    pub imap_port: String,
    pub imap_security: Security,
    /// Empty: the server's username.
    pub imap_username: String,
    pub sent_copy: SentCopy,
    pub server_drafts: bool,
    /// Why the last Save failed (the worker's words).
    pub save_problem: Option<String>,
}

impl std::fmt::Debug for ProfileForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileForm")
            .field("editing", &self.editing)
            .field("id", &self.id)
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .finish_non_exhaustive()
    }
}

impl ProfileForm {
    /// What the connection test depends on: a change to any of it makes the last
    /// result stale (the Security switched from STARTTLS to TLS, a new password).
    fn connection(&self) -> [&str; 11] {
        [
            &self.imap_host,
            &self.imap_port,
            self.imap_security.describe(),
            &self.imap_username,
            &self.host,
            &self.port,
            self.security.describe(),
            &self.username,
            &self.password,
            &self.ca_file,
            &self.pin_sha256,
        ]
    }
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
            password_command: String::new(),
            ca_file: String::new(),
            pin_sha256: String::new(),
            imap_host: String::new(),
            imap_port: imap::default_port(Security::Tls).to_string(),
            imap_security: Security::Tls,
            imap_username: String::new(),
            sent_copy: SentCopy::Upload,
            server_drafts: false,
            save_problem: None,
        }
    }
}

impl ProfileForm {
    pub fn edit(profile: &Profile) -> Self {
        let mut form = Self {
            editing: Some(profile.clone()),
            id: profile.id.clone(),
            from: profile.from.clone(),
            ..Self::default()
        };
        if let Server::Smtp(s) = &profile.server {
            let text = |value: &Option<String>| value.clone().unwrap_or_default();
            form.host.clone_from(&s.host);
            form.port = s.port.to_string();
            form.security = s.security;
            form.username = text(&s.username);
            form.password_command = text(&s.password_command);
            form.pin_sha256 = text(&s.pin_sha256);
            form.ca_file = s
                .ca_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if let Some(imap) = &s.imap {
                form.set_imap(imap);
            }
        }
        form
    }

    /// Fills the IMAP fields (from a profile, or what detection found).
    pub fn set_imap(&mut self, imap: &ImapSettings) {
        self.imap_host.clone_from(&imap.host);
        self.imap_port = imap.port.to_string();
        self.imap_security = imap.security;
        self.imap_username = imap.username.clone().unwrap_or_default();
        self.sent_copy = imap.sent_copy;
        self.server_drafts = imap.server_drafts;
    }

    /// The IMAP settings the form describes (the Sent folder and pinned certificate an
    /// edited profile had are kept: `mailroom profile edit` changes those).
    fn to_imap(&self, old: Option<&ImapSettings>) -> Result<Option<ImapSettings>, String> {
        let host = self.imap_host.trim();
        if host.is_empty() {
            return Ok(None);
        }
        let port: u16 = self
            .imap_port
            .trim()
            .parse()
            .map_err(|_| format!("IMAP port: \"{}\" is not a port number", self.imap_port))?;
        // Another server: what was set for the old one (login, pin, folder) goes.
        let mut imap = old
            .filter(|old| old.host == host)
            .cloned()
            .unwrap_or_else(|| ImapSettings::new(host, self.imap_security));
        imap.host = host.to_string();
        imap.port = port;
        imap.security = self.imap_security;
        imap.username = Some(self.imap_username.trim().to_string()).filter(|u| !u.is_empty());
        imap.sent_copy = self.sent_copy;
        imap.server_drafts = self.server_drafts;
        Ok(Some(imap))
    }

    /// The profile the form describes, or what to fix first (naming the field).
    pub fn to_profile(&self) -> Result<Profile, String> {
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
        let optional = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        let username = optional(&self.username);
        // An OAuth2 profile being edited keeps signing in the way it does.
        let signs_in = matches!(self.editing.as_ref().map(|p| &p.server),
            Some(Server::Smtp(old)) if old.auth == Auth::OAuth2);
        let auth = match (signs_in, username.is_some()) {
            (true, true) => Auth::OAuth2,
            (false, true) => Auth::Password,
            (_, false) => Auth::None,
        };
        let mut smtp = match self.editing.as_ref().map(|p| &p.server) {
            Some(Server::Smtp(old)) => old.clone(),
            _ => SmtpServer::new(self.host.trim(), self.security, auth),
        };
        smtp.host = self.host.trim().to_string();
        smtp.port = port;
        smtp.security = self.security;
        smtp.auth = auth;
        smtp.username = username;
        smtp.password_command = optional(&self.password_command);
        smtp.ca_file = optional(&self.ca_file).map(Into::into);
        smtp.pin_sha256 = optional(&self.pin_sha256);
        smtp.imap = self.to_imap(smtp.imap.as_deref())?.map(Box::new);
        let from = self.from.trim().to_string();
        crate::profile::store::validate_from(&from).map_err(|e| e.to_string())?;
        Ok(Profile {
            id: self.id.trim().to_string(),
            from,
            server: Server::Smtp(smtp),
        })
    }

    /// The password typed into the form, if any.
    fn typed_password(&self) -> Option<Password> {
        (!self.password.is_empty()).then(|| Password::new(self.password.clone()))
    }
}

pub enum FormAction {
    Command(Box<Command>),
    Close,
}

pub fn form_ui(
    ui: &mut Ui,
    form: &mut ProfileForm,
    test: &mut Option<Option<Result<String, String>>>,
) -> Option<FormAction> {
    let mut action = None;
    let before: Vec<String> = form.connection().iter().map(|s| s.to_string()).collect();
    egui::Grid::new("profile-form")
        .num_columns(2)
        .spacing([8.0, 6.0])
        .show(ui, |ui| fields_ui(ui, form));
    if form
        .connection()
        .iter()
        .zip(&before)
        .any(|(now, was)| now != was)
    {
        *test = None; // a result for settings no longer in the form
    }
    if form.security == Security::Plain {
        ui.label(
            RichText::new("Unencrypted: the password and messages cross the network in clear.")
                .color(error_color(ui)),
        );
    }
    let profile = form.to_profile();
    ui.horizontal(|ui| {
        let valid = profile.is_ok();
        let why = profile.as_ref().err().cloned().unwrap_or_default();
        let testing = matches!(test, Some(None));
        let test_button = ui
            .add_enabled(valid && !testing, egui::Button::new("Test connection"))
            .on_disabled_hover_text(&why);
        let save_button = ui
            .add_enabled(valid, egui::Button::new("Save profile"))
            .on_disabled_hover_text(&why);
        if let Ok(profile) = &profile {
            if test_button.clicked() {
                *test = Some(None);
                action = Some(FormAction::Command(Box::new(Command::TestProfile {
                    profile: profile.clone(),
                    password: form.typed_password(),
                })));
            }
            if save_button.clicked() {
                action = Some(FormAction::Command(Box::new(Command::SaveProfile {
                    profile: profile.clone(),
                    password: form.typed_password(),
                    replaces: form.editing.as_ref().map(|p| p.id.clone()),
                })));
            }
        }
        if ui.button("Cancel").clicked() {
            action = Some(FormAction::Close);
        }
        test_result_ui(ui, test);
    });
    if let Err(problem) = &profile {
        ui.label(RichText::new(problem).weak());
    }
    if let Some(problem) = &form.save_problem {
        ui.label(RichText::new(problem).color(error_color(ui)));
    }
    action
}

fn fields_ui(ui: &mut Ui, form: &mut ProfileForm) {
    labelled_field(ui, "Name", &mut form.id, "work");
    ui.end_row();
    labelled_field(ui, "From", &mut form.from, "Me <me@example.org>");
    ui.end_row();
    labelled_field(ui, "Server", &mut form.host, "smtp.example.org");
    ui.end_row();
    let label = field_label(ui, "Security");
    let combo = egui::ComboBox::from_id_salt("security")
        .selected_text(form.security.describe())
        .show_ui(ui, |ui| {
            name_list(ui, "Security");
            for security in [Security::Starttls, Security::Tls, Security::Plain] {
                let name = match security {
                    Security::Starttls => "STARTTLS (587)",
                    Security::Tls => "TLS (465)",
                    Security::Plain => "None — unencrypted (25)",
                };
                if list_option(ui, &mut form.security, security, name).changed() {
                    form.port = security.default_port().to_string();
                }
            }
        })
        .response
        .labelled_by(label.id);
    expose_choice(&combo, form.security.describe());
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
    let label = field_label(ui, "Password");
    let hint = if form.editing.is_some() {
        "leave empty to keep the stored one"
    } else {
        "stored in the system keyring"
    };
    ui.add(
        egui::TextEdit::singleline(&mut form.password)
            .password(true)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    ui.end_row();
    labelled_field(
        ui,
        "Password command",
        &mut form.password_command,
        "optional, instead of the keyring: e.g. pass show mail/work",
    );
    ui.end_row();
    labelled_field(
        ui,
        "Extra CA file",
        &mut form.ca_file,
        "optional: a PEM file for a private CA",
    );
    ui.end_row();
    labelled_field(
        ui,
        "Pinned certificate",
        &mut form.pin_sha256,
        "optional, for a self-signed server: its SHA-256 fingerprint",
    );
    ui.end_row();
    imap_fields_ui(ui, form);
}

/// Where sent messages are filed: the IMAP server, and who files the copy.
fn imap_fields_ui(ui: &mut Ui, form: &mut ProfileForm) {
    labelled_field(
        ui,
        "IMAP server",
        &mut form.imap_host,
        "imap.example.org (empty: sent messages stay on this computer)",
    );
    ui.end_row();
    let label = field_label(ui, "IMAP security");
    let combo = egui::ComboBox::from_id_salt("imap-security")
        .selected_text(form.imap_security.describe())
        .show_ui(ui, |ui| {
            name_list(ui, "IMAP security");
            for (security, name) in [
                (Security::Tls, "TLS (993)"),
                (Security::Starttls, "STARTTLS (143)"),
            ] {
                if list_option(ui, &mut form.imap_security, security, name).changed() {
                    form.imap_port = imap::default_port(security).to_string();
                }
            }
        })
        .response
        .labelled_by(label.id);
    expose_choice(&combo, form.imap_security.describe());
    ui.end_row();
    labelled_field(ui, "IMAP port", &mut form.imap_port, "993");
    ui.end_row();
    labelled_field(
        ui,
        "IMAP username",
        &mut form.imap_username,
        "optional: empty means the server's username",
    );
    ui.end_row();
    let label = field_label(ui, "Copy in Sent");
    let combo = egui::ComboBox::from_id_salt("sent-copy")
        .selected_text(form.sent_copy.describe())
        .show_ui(ui, |ui| {
            name_list(ui, "Copy in Sent");
            for copy in [SentCopy::Upload, SentCopy::Provider, SentCopy::Off] {
                list_option(ui, &mut form.sent_copy, copy, copy.describe());
            }
        })
        .response
        .labelled_by(label.id);
    expose_choice(&combo, form.sent_copy.describe());
    ui.end_row();
    ui.label("");
    ui.checkbox(
        &mut form.server_drafts,
        "Keep drafts on the server too (they show on the phone)",
    );
    ui.end_row();
}

fn test_result_ui(ui: &mut Ui, test: &Option<Option<Result<String, String>>>) {
    match test {
        Some(None) => {
            ui.spinner();
            ui.label("Testing…");
        }
        Some(Some(Ok(answer))) => {
            ui.label(RichText::new(answer.as_str()).color(ok_color(ui)));
        }
        Some(Some(Err(problem))) => {
            ui.label(RichText::new(problem.as_str()).color(error_color(ui)));
        }
        None => {}
    }
}

fn ok_color(ui: &Ui) -> egui::Color32 {
    if ui.visuals().dark_mode {
        egui::Color32::from_rgb(110, 200, 120)
    } else {
        egui::Color32::from_rgb(30, 120, 50)
    }
}
