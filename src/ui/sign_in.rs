//! OAuth2 sign-ins in the window: the banner over every view while a profile that signs
//! in with OAuth2 is not signed in (never was, signed out, or its sign-in was revoked —
//! its messages wait in the outbox meanwhile), with **Sign in again**; and, while the
//! browser is out, a spinner with **Cancel**.

use eframe::egui::{RichText, Ui};

use super::widgets::error_color;
use crate::outbox::{Entry, State};
use crate::profile::{Profile, Profiles, Server};
use crate::worker::{Command, SignInState};

/// What the window knows of its OAuth2 sign-ins.
#[derive(Debug, Default)]
pub struct SignIns {
    pub states: Vec<SignInState>,
    /// The profile whose sign-in is waiting on the browser.
    pub running: Option<String>,
    /// Why the last sign-in did not work.
    pub problem: Option<String>,
}

impl SignIns {
    /// "Signed in as ADDRESS", "Not signed in", or `None` for a profile that uses no
    /// OAuth2.
    pub fn describe(&self, profile: &Profile) -> Option<String> {
        let state = self.states.iter().find(|s| s.profile == profile.id)?;
        let account = match &profile.server {
            Server::Smtp(s) => s.username.as_deref(),
            Server::Folder { .. } => None,
        };
        Some(if state.signed_in {
            match account {
                Some(account) => format!("Signed in as {account}"),
                None => "Signed in (OAuth2)".to_string(),
            }
        } else {
            "Not signed in".to_string()
        })
    }
}

/// The banner; returns the command its button asks for.
pub fn sign_in_banner_ui(
    ui: &mut Ui,
    sign_ins: &mut SignIns,
    profiles: Option<&Profiles>,
    outbox: &[Entry],
) -> Option<Command> {
    let mut command = None;
    if let Some(running) = sign_ins.running.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.spinner();
            ui.label(format!(
                "Signing in to \"{running}\": finish in your browser…"
            ));
            if ui.button("Cancel sign-in").clicked() {
                sign_ins.running = None;
                command = Some(Command::CancelSignIn);
            }
        });
        return command;
    }
    for state in sign_ins.states.iter().filter(|s| !s.signed_in) {
        let Some(profile) = profiles.and_then(|p| p.get(&state.profile).ok()) else {
            continue;
        };
        let waiting = outbox
            .iter()
            .filter(|e| e.profile == state.profile && e.state == State::WaitingForSignIn)
            .count();
        let wait = match waiting {
            0 => "messages from it wait in the outbox until you sign in again".to_string(),
            1 => "1 message waits for you to sign in again".to_string(),
            n => format!("{n} messages wait for you to sign in again"),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!("\"{}\" is not signed in: {wait}.", state.profile))
                    .color(ui.visuals().warn_fg_color),
            );
            if ui.button("Sign in again").clicked() {
                sign_ins.running = Some(state.profile.clone());
                sign_ins.problem = None;
                command = Some(Command::SignIn(profile.clone()));
            }
        });
    }
    if let Some(problem) = &sign_ins.problem {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("Sign-in: {problem}")).color(error_color(ui)));
        });
    }
    command
}
