//! The library's top-level error, and the command line's exit code for each kind.

use crate::message::DraftError;
use crate::message::logic_apps::PayloadError;
use crate::paths::NoHomeDir;
use crate::profile::ProfileError;
use crate::profile::secret::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;
use crate::transport::SendError;
use crate::when::WhenError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Draft(#[from] DraftError),
    #[error("{path}: {source}")]
    Payload {
        path: String,
        #[source]
        source: PayloadError,
    },
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(
        "profile \"{profile}\" has no stored password: run `mailroom profile set-password {profile}`, \
         or add the profile again with --password-command \"…\" (a command that prints it)"
    )]
    NoPassword { profile: String },
    #[error("profile \"{profile}\" uses a password but names no username")]
    NoUsername { profile: String },
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Detect(#[from] crate::detect::DetectError),
    #[error(transparent)]
    OAuth(#[from] crate::oauth::OAuthError),
    /// Reading what the person gave (a file, standard input) failed: the I/O error says why.
    #[error("{what}: {source}")]
    Input {
        what: String,
        #[source]
        source: std::io::Error,
    },
    /// A value the person gave that is refused: a command-line value or field, a file
    /// named that is not what it should be (a folder, too large, not a local file).
    #[error("{what}: {why}")]
    Argument { what: String, why: String },
    /// A saved message (`.eml`) that could be read but is not an email message.
    #[error("{path}: {source}")]
    Eml {
        path: String,
        #[source]
        source: crate::message::eml::NotAMessage,
    },
    #[error("{what}: {source}")]
    Output {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Home(#[from] NoHomeDir),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    When(#[from] WhenError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The OS scheduler could not be set up (no user session, `crontab` failing, …).
    #[error("{0}")]
    Scheduler(String),
    /// A path a crontab line would hold has a line break (the program's folder or
    /// `MAILROOM_HOME`, which the person chose): a crontab entry is one line.
    #[error(
        "{what} ({path:?}) holds a line break, which a crontab line cannot: use a folder without one"
    )]
    LineBreakInPath {
        what: &'static str,
        path: std::path::PathBuf,
    },
    /// The desktop's program for a file could not be started.
    #[error("could not open {} with {program}: {source}", .path.display())]
    OpenFile {
        path: std::path::PathBuf,
        program: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// The running window refused what a second start handed it (a broken link).
    #[error("{0}")]
    Refused(String),
    /// The window that runs for this home could not be reached.
    #[error(transparent)]
    Instance(#[from] crate::instance::InstanceError),
    /// Installing the desktop entry, icons or the `mailto:` handler failed.
    #[error("{0}")]
    Desktop(String),
    /// The window could not start (no graphics driver, the display refused it).
    #[error("opening the window: {0}")]
    Window(String),
    #[error("no display to open the window on ({0}): use `mailroom --help` for the command line")]
    NoDisplay(String),
    /// An id given to an outbox command that names something else.
    #[error("\"{id}\" is not in the outbox: {why}")]
    NotInOutbox { id: String, why: String },
    /// An outbox pass ended with messages that did not go out (`outbox run`, `retry`).
    #[error("{}", unsent_summary(*.failed, *.uncertain, *.retrying, *.waiting))]
    Unsent {
        failed: usize,
        uncertain: usize,
        retrying: usize,
        /// Waiting for their profile's OAuth2 sign-in to be redone.
        waiting: usize,
    },
}

fn unsent_summary(failed: usize, uncertain: usize, retrying: usize, waiting: usize) -> String {
    let count = |n: usize, what: &str| match n {
        0 => None,
        1 => Some(format!("1 message {what}")),
        n => Some(format!("{n} messages {what}")),
    };
    let parts: Vec<String> = [
        count(failed, "failed"),
        count(uncertain, "may have been sent"),
        count(retrying, "will be retried"),
        match waiting {
            0 => None,
            1 => Some("1 message waits for you to sign in again".to_string()),
            n => Some(format!("{n} messages wait for you to sign in again")),
        },
    ]
    .into_iter()
    .flatten()
    .collect();
    format!("{}: see `mailroom outbox list`", parts.join(", "))
}

/// What kind of failure an error is. Everything else follows from it, in one place:
/// whether the outbox tries again ([`Error::is_transient`]), the process exit code
/// ([`Error::exit_kind`], the README's table) and what the window advises
/// ([`Class::advice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Something the person gave is wrong (message, file, profile, password): fix it.
    BadInput,
    /// The machine got in the way (no keyring answered, Mailroom's own files): it may
    /// recover by itself (a keyring not unlocked yet at boot), so the outbox tries again.
    Environment,
    /// Try again later: a 4xx, the network, a timeout, an entry busy in another runner.
    Temporary,
    /// The server said no for good: a 5xx, the login, TLS, the size.
    Permanent,
    /// The person must sign in again (a revoked or expired OAuth2 sign-in): the outbox
    /// holds the profile's messages, spending no retries, until they have.
    SignIn,
}

impl Class {
    /// What to do about it, as the window puts it.
    pub fn advice(self) -> &'static str {
        match self {
            Class::BadInput => "Fix what is named and try again.",
            Class::Environment => {
                "Something on this computer got in the way (its files or keyring), not the server."
            }
            Class::Temporary => "It may work if you try again in a while.",
            Class::Permanent => "The server refused it; trying again will not help.",
            Class::SignIn => "Sign in again (Profiles); what needs it waits until you have.",
        }
    }
}

/// What the process exit code says; documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: the machine got in the way (keyring, files Mailroom keeps).
    Environment = 1,
    /// 2: something the person gave is wrong (message, file, profile, password).
    BadInput = 2,
    /// 3: try again later (4xx, network, timeout).
    Temporary = 3,
    /// 4: the server said no for good (5xx, login, TLS, size).
    Permanent = 4,
}

impl Error {
    /// The one classification of this error.
    pub fn class(&self) -> Class {
        match self {
            Error::Draft(_)
            | Error::Payload { .. }
            | Error::NoPassword { .. }
            | Error::NoUsername { .. }
            | Error::Input { .. }
            | Error::Argument { .. }
            | Error::Eml { .. }
            | Error::LineBreakInPath { .. }
            | Error::Secret(SecretError::Command { .. })
            | Error::When(_)
            | Error::NotInOutbox { .. }
            | Error::Detect(_)
            | Error::Refused(_)
            | Error::Settings(_) => Class::BadInput,
            Error::Profile(
                ProfileError::Unknown { .. }
                | ProfileError::Exists(_)
                | ProfileError::BadId(_)
                | ProfileError::BadFrom { .. },
            ) => Class::BadInput,
            Error::Store(
                StoreError::UnknownDraft(_)
                | StoreError::UnknownEntry(_)
                | StoreError::UnknownSent(_)
                | StoreError::UnknownVersion { .. }
                | StoreError::WrongState { .. }
                | StoreError::Attachment(_),
            ) => Class::BadInput,
            Error::Store(StoreError::Busy(_) | StoreError::BusyWith(_)) => Class::Temporary,
            Error::Unsent {
                failed, uncertain, ..
            } if failed + uncertain > 0 => Class::Permanent,
            Error::Unsent { waiting, .. } if *waiting > 0 => Class::SignIn,
            Error::Unsent { .. } => Class::Temporary,
            Error::OAuth(e) => oauth_class(e),
            Error::Send(e) if e.is_transient() => Class::Temporary,
            Error::Send(_) => Class::Permanent,
            Error::Profile(_)
            | Error::Secret(_)
            | Error::Output { .. }
            | Error::Home(_)
            | Error::Store(_)
            | Error::Scheduler(_)
            | Error::OpenFile { .. }
            | Error::Desktop(_)
            | Error::Instance(_)
            | Error::Window(_)
            | Error::NoDisplay(_) => Class::Environment,
        }
    }

    /// `true` when trying again later may help: a temporary server or network failure,
    /// or the machine in the way (a keyring that is not up or unlocked yet: the OS
    /// scheduler may run before login).
    pub fn is_transient(&self) -> bool {
        matches!(self.class(), Class::Temporary | Class::Environment)
    }

    pub fn exit_kind(&self) -> ExitKind {
        match self.class() {
            Class::Environment => ExitKind::Environment,
            Class::BadInput => ExitKind::BadInput,
            Class::Temporary => ExitKind::Temporary,
            Class::Permanent | Class::SignIn => ExitKind::Permanent,
        }
    }
}

fn oauth_class(e: &crate::oauth::OAuthError) -> Class {
    use crate::oauth::OAuthError as O;
    match e {
        O::NeedsSignIn { .. } => Class::SignIn,
        O::Network { .. } | O::NoRedirect(_) => Class::Temporary,
        O::NoClientId { .. }
        | O::UnknownProvider(_)
        | O::BadEndpoint { .. }
        | O::NoDeviceCode(_)
        | O::Cancelled => Class::BadInput,
        O::Refused { .. } | O::WrongState | O::BadTokenResponse { .. } => Class::Permanent,
        O::NoBrowser(..) | O::Listen(_) => Class::Environment,
    }
}

/// An error and its sources on one line, without repeating a source whose text the
/// message above it already includes.
pub fn display_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text.push_str(": ");
            text.push_str(&inner_text);
        }
        source = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::eml::NotAMessage;

    #[test]
    fn a_file_that_cannot_be_attached_to_a_saved_draft_is_bad_input_not_the_machine() {
        let gone = Error::Store(StoreError::Attachment(
            crate::message::DraftError::AttachmentIsFolder {
                path: "/tmp".into(),
            },
        ));
        assert_eq!(gone.class(), Class::BadInput);
        assert!(!gone.is_transient(), "trying again attaches nothing");
        assert_eq!(gone.exit_kind() as u8, 2);
    }

    #[test]
    fn retrying_and_the_exit_code_follow_one_class() {
        let busy = Error::Store(StoreError::Busy("e1".into()));
        assert_eq!(busy.class(), Class::Temporary);
        assert!(busy.is_transient());
        assert_eq!(busy.exit_kind() as u8, 3);
        let locked = Error::Secret(SecretError::Locked {
            detail: "locked".into(),
        });
        assert_eq!(locked.class(), Class::Environment);
        assert!(locked.is_transient(), "a keyring unlocks at login");
        assert_eq!(locked.exit_kind() as u8, 1);
        let unknown = Error::NotInOutbox {
            id: "x".into(),
            why: "y".into(),
        };
        assert!(!unknown.is_transient());
        assert_eq!(unknown.exit_kind() as u8, 2);

        // What the person gave: a command-line value, a saved message that is not one, a
        // folder a crontab line cannot hold. Trying again changes none of them.
        let bad_input = [
            Error::Argument {
                what: "reschedule".into(),
                why: "give --at or --in".into(),
            },
            Error::Eml {
                path: "/tmp/Résumé.pdf".into(),
                source: NotAMessage,
            },
            Error::LineBreakInPath {
                what: "MAILROOM_HOME",
                path: "/data/two\nlines".into(),
            },
        ];
        for e in &bad_input {
            assert_eq!(e.class(), Class::BadInput, "{e}");
            assert!(!e.is_transient(), "{e}");
            assert_eq!(e.exit_kind() as u8, 2, "{e}");
        }
        // The machine: the window could not start, crontab could not be run.
        let machine = [
            Error::Window("no graphics adapter".into()),
            Error::Scheduler("could not run crontab: not found".into()),
        ];
        for e in &machine {
            assert_eq!(e.class(), Class::Environment, "{e}");
            assert_eq!(e.exit_kind() as u8, 1, "{e}");
        }
    }

    /// The typed variants say exactly what the `std::io::Error`s they replace said.
    #[test]
    fn typed_variants_read_as_the_forged_io_errors_they_replace() {
        use std::io::{Error as Io, ErrorKind};
        let pairs = [
            (
                Error::Argument {
                    what: "the password".into(),
                    why: "it is empty".into(),
                },
                Error::Input {
                    what: "the password".into(),
                    source: Io::new(ErrorKind::InvalidInput, "it is empty"),
                },
            ),
            (
                Error::Eml {
                    path: "/tmp/a.pdf".into(),
                    source: NotAMessage,
                },
                Error::Input {
                    what: "/tmp/a.pdf".into(),
                    source: Io::new(ErrorKind::InvalidData, NotAMessage.to_string()),
                },
            ),
            (
                Error::Window("no graphics adapter".into()),
                Error::Output {
                    what: "opening the window".into(),
                    source: Io::other("no graphics adapter"),
                },
            ),
        ];
        for (typed, forged) in &pairs {
            assert_eq!(display_chain(typed), display_chain(forged));
        }
        assert_eq!(
            display_chain(&pairs[0].0),
            "the password: it is empty",
            "one line, said once"
        );
        // The parse error stays typed, as the source.
        let source = std::error::Error::source(&pairs[1].0);
        assert!(source.is_some_and(|s| s.is::<NotAMessage>()));
    }
}
