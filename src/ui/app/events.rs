//! The worker's events, applied: each goes to the view it concerns, which applies it to
//! its own state (`apply` in each view's file). The window keeps what is its own — the
//! toasts, which view is shown, the banner — and what involves more than one view.

use super::{MailroomApp, View};
use crate::error::Class;
use crate::ui::toast::{Toast, ToastAction};
use crate::ui::widgets::local_time;
use crate::worker::{self, Command, Event, Topic};

impl MailroomApp {
    pub(super) fn apply(&mut self, event: Event) {
        for toast in self.notices(&event) {
            self.toasts.push(toast);
        }
        let shown = self.view;
        // An edited profile may name another server: its SIZE is learned again.
        if let Event::ProfileSaved { id, .. } = &event {
            self.size_limits.remove(id);
        }
        match event {
            event @ Event::Drafts(_) => self.drafts.apply(event),
            event @ (Event::Outbox(_)
            | Event::Uploading { .. }
            | Event::UploadsEnded
            | Event::Sent(_)
            | Event::ServerCopies(_)) => self.outbox.apply(event),
            event @ (Event::Profiles(_)
            | Event::MailtoHandler(_)
            | Event::SignIns(_)
            | Event::SignInFinished { .. }
            | Event::AccountDetected { .. }
            | Event::ProfileSaved { .. }
            | Event::KeyringUnavailable { .. }) => {
                self.profiles.apply(event, shown == View::Profiles)
            }
            event @ (Event::DraftSaved { .. }
            | Event::Scheduled { .. }
            | Event::NoFilesPicked
            | Event::FilesInspected(_)) => self.compose.apply(event),
            Event::DraftOpened(record) => self.open_in_compose(record, None),
            Event::Reopen {
                record,
                scheduled_for,
            } => self.open_in_compose(record, scheduled_for),
            Event::FilesPicked(paths) => self.worker.send(Command::InspectFiles(paths)),
            Event::TestResult { profile_id, result } => {
                // Compose warns of a message over what the server takes from then on.
                if let Some(limit) = result.as_ref().ok().and_then(|t| t.size_limit) {
                    self.size_limits.insert(profile_id, limit);
                }
                self.profiles.tested(result);
            }
            Event::SchedulerStatus {
                text,
                runs_unattended,
            } => {
                self.compose.send_later.scheduler_installed = Some(runs_unattended);
                self.outbox.scheduler = Some(text);
            }
            Event::Problem {
                topic,
                what,
                message,
                class,
            } => self.show_problem(topic, problem_text(&what, &message, class)),
            // Compose warns of a message over what the server takes from then on.
            Event::OutboxRan(report) => self.size_limits.extend(report.size_limits),
            Event::DraftDeleted { .. } => {} // a toast only
        }
    }

    /// Shown where the person is looking: in the compose view, in the profile form (or
    /// Add account), or — a draft sent from the Drafts view, say — in the window's
    /// banner.
    fn show_problem(&mut self, topic: Topic, text: String) {
        let unshown = match topic {
            Topic::Compose => self.compose.show_problem(text, self.view == View::Compose),
            Topic::ProfileForm => self.profiles.show_problem(text),
            Topic::Window => Some(text),
        };
        if let Some(text) = unshown {
            self.problem = Some(text);
        }
    }

    /// The toasts an event brings.
    fn notices(&self, event: &Event) -> Vec<Toast> {
        let info = |text: String| vec![Toast::info(text)];
        match event {
            Event::DraftSaved { explicit: true, .. } => info("Draft saved".into()),
            Event::DraftDeleted {
                record,
                reopen_on_undo,
            } => vec![Toast {
                text: format!("Deleted \"{}\"", record.draft.subject),
                until: crate::clock::now() + worker::UNDO_DELETE,
                action: Some((
                    "Undo".into(),
                    ToastAction::UndoDelete {
                        draft_id: record.id.clone(),
                        reopen: *reopen_on_undo,
                    },
                )),
                countdown: false,
            }],
            Event::Scheduled {
                entry,
                undo_until: Some(until),
                ..
            } => vec![Toast {
                text: "Sending in".into(),
                until: *until,
                action: Some((
                    "Undo".into(),
                    ToastAction::UndoSend {
                        entry_id: entry.id.clone(),
                    },
                )),
                countdown: true,
            }],
            Event::Scheduled {
                entry,
                undo_until: None,
                ..
            } => info(format!("Scheduled for {}", local_time(entry.send_at))),
            Event::OutboxRan(report) => {
                let mut toasts = Vec::new();
                if !report.sent.is_empty() {
                    toasts.push(Toast::info(self.sent_notice(&report.sent)));
                }
                if !report.failed.is_empty() || !report.uncertain.is_empty() {
                    toasts.push(Toast::info(
                        "A message needs your attention: see the Outbox",
                    ));
                }
                toasts
            }
            Event::SignInFinished {
                profile,
                result: Ok(()),
            } => info(format!("Signed in to \"{profile}\"")),
            _ => Vec::new(),
        }
    }

    /// "Message sent", or, for a profile that only writes files, where they went.
    fn sent_notice(&self, sent: &[String]) -> String {
        let folders: Vec<String> = sent
            .iter()
            .filter_map(|id| {
                let profile = self.outbox.profile_of(id)?;
                let profiles = self.profiles.profiles.as_ref()?;
                match &profiles.get(profile).ok()?.server {
                    crate::profile::Server::Folder { path } => Some(path.display().to_string()),
                    crate::profile::Server::Smtp(_) => None,
                }
            })
            .collect();
        match (sent.len(), folders.first()) {
            (1, Some(folder)) => format!(
                "Written to {folder} as an .eml file (not sent: the profile delivers nowhere)"
            ),
            (1, None) => "Message sent".to_string(),
            (n, _) => format!("{n} messages sent"),
        }
    }
}

/// "Saving: the disk is full. Something on this computer …": what failed, the error, and
/// what to do about it, which follows from the error's class.
fn problem_text(what: &str, message: &str, class: Class) -> String {
    format!(
        "{what}: {}. {}",
        message.trim_end_matches('.'),
        class.advice()
    )
}

#[cfg(test)]
mod tests {
    use crate::error::Class;
    use crate::ui::compose::ComposeState;
    use crate::ui::profile_form::ProfileForm;
    use crate::ui::profiles::ProfilesState;

    #[test]
    fn a_problem_says_what_failed_why_and_what_to_do_about_it() {
        let text = super::problem_text("Saving", "disk full.", Class::Environment);
        assert_eq!(
            text,
            format!("Saving: disk full. {}", Class::Environment.advice())
        );
        let text = super::problem_text("Sending", "550 no such user", Class::Permanent);
        assert!(text.ends_with(Class::Permanent.advice()), "{text}");
    }

    #[test]
    fn a_compose_problem_shows_in_compose_only_while_it_is_on_screen() {
        let mut compose = ComposeState::default();
        compose.save_pending = true;
        assert_eq!(compose.show_problem("Saving: full".into(), true), None);
        assert_eq!(compose.problem.as_deref(), Some("Saving: full"));
        assert!(!compose.save_pending, "the save is over either way");

        let mut compose = ComposeState::default();
        let banner = compose.show_problem("Sending: refused".into(), false);
        assert_eq!(banner.as_deref(), Some("Sending: refused"));
        assert_eq!(compose.problem, None);
    }

    #[test]
    fn a_profile_problem_shows_in_the_open_form_or_add_account_else_in_the_banner() {
        let mut profiles = ProfilesState {
            form: Some(ProfileForm::default()),
            ..Default::default()
        };
        assert_eq!(profiles.show_problem("Saving: taken".into()), None);
        let form = profiles.form.as_ref().map(|f| f.save_problem.clone());
        assert_eq!(form, Some(Some("Saving: taken".into())));

        let mut profiles = ProfilesState {
            setup: Some(Default::default()),
            ..Default::default()
        };
        assert_eq!(profiles.show_problem("Saving: locked".into()), None);
        assert_eq!(profiles.test, Some(Some(Err("Saving: locked".into()))));

        let mut profiles = ProfilesState::default();
        let banner = profiles.show_problem("Saving: gone".into());
        assert_eq!(banner.as_deref(), Some("Saving: gone"));
    }
}
