//! Why an attempt to send did not end in the server's acceptance, and what follows from
//! it for the entry: try again later, stop and keep the server's words, or ask the
//! person (it may have been delivered).

use crate::error::{Error, display_chain};
use crate::transport::SendError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong, with the server's own words.
    pub message: String,
    pub kind: FailureKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// A 4xx, the network, a timeout before the message was sent, a locked keyring:
    /// retried with backoff.
    Transient,
    /// A 5xx, a refused login, a bad certificate, a message Mailroom cannot read: the
    /// entry is marked failed.
    Permanent,
    /// The whole message went and the server never answered: `uncertain`, never resent
    /// without the person saying so.
    MayHaveBeenDelivered,
    /// The profile's OAuth2 sign-in must be redone: the entry waits for the person,
    /// spending no retry.
    NeedsSignIn,
}

impl Failure {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind: FailureKind::Transient,
        }
    }

    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            kind: FailureKind::Permanent,
        }
    }

    /// A failure to open the connection (log in included): nothing was sent.
    pub fn of(error: &Error) -> Self {
        if error.class() == crate::error::Class::SignIn {
            return Self {
                message: display_chain(error),
                kind: FailureKind::NeedsSignIn,
            };
        }
        Self::classified(error, false, error.is_transient())
    }

    /// A failure while the message was being sent.
    pub fn of_send(error: &SendError) -> Self {
        Self::classified(error, error.may_have_been_accepted(), error.is_transient())
    }

    fn classified(error: &dyn std::error::Error, maybe_delivered: bool, transient: bool) -> Self {
        let kind = match (maybe_delivered, transient) {
            (true, _) => FailureKind::MayHaveBeenDelivered,
            (false, true) => FailureKind::Transient,
            (false, false) => FailureKind::Permanent,
        };
        Self {
            message: display_chain(error),
            kind,
        }
    }

    pub fn is_transient(&self) -> bool {
        self.kind == FailureKind::Transient
    }
}
