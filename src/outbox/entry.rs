//! An outbox entry's sidecar (`entry.slots`): when, with which profile, where it stands.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where a message stands. `scheduled -> sending -> (sent: moved to sent/)`, or
/// `-> failed`, or back to `scheduled` later after a temporary failure, or `uncertain`
/// when it may have reached the server without Mailroom hearing so, or `waiting` when its
/// profile's OAuth2 sign-in must be redone: it spends no retries, never gives up, and is
/// tried on every pass until the person has signed in again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Scheduled,
    Sending,
    Failed,
    /// "May have been sent": the person chooses to send again or dismiss.
    Uncertain,
    /// Waiting for the person to sign in again to its profile (OAuth2).
    #[serde(rename = "waiting-for-sign-in")]
    WaitingForSignIn,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Scheduled => "scheduled",
            State::Sending => "sending",
            State::Failed => "failed",
            State::Uncertain => "uncertain",
            State::WaitingForSignIn => "waiting for sign-in",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub profile: String,
    pub state: State,
    /// When the next attempt is due (UTC).
    pub send_at: Timestamp,
    /// When the person asked for it; temporary failures give up a while after this.
    pub first_send_at: Timestamp,
    /// The person's time zone when scheduling (IANA name), for display.
    pub time_zone: String,
    pub created: Timestamp,
    pub attempts: u32,
    pub last_error: Option<LastError>,
    /// The server's 250 to the message, recorded before anything else happens.
    pub accepted: Option<Acceptance>,
    pub envelope: StoredEnvelope,
    pub subject: String,
    pub recipients: String,
    pub size: u64,
}

impl Entry {
    /// When it went out, which dates its sent copy: the server's acceptance, else (an
    /// uncertain message the person says went out) its last attempt, else when it was
    /// scheduled. Fixed once the entry stops changing, so finishing it again after a
    /// crash names the copy the same.
    pub fn sent_at(&self) -> Timestamp {
        self.accepted
            .as_ref()
            .map(|a| a.at)
            .or(self.last_error.as_ref().map(|e| e.at))
            .unwrap_or(self.created)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastError {
    pub at: Timestamp,
    /// The error, with the server's own words.
    pub message: String,
    pub transient: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    pub at: Timestamp,
    pub reply: String,
}

/// The SMTP envelope, kept apart from the message (whose `Bcc` header is the person's
/// record, not a delivery instruction).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEnvelope {
    pub from: Option<String>,
    pub to: Vec<String>,
}

impl StoredEnvelope {
    pub fn from_lettre(envelope: &lettre::address::Envelope) -> Self {
        Self {
            from: envelope.from().map(ToString::to_string),
            to: envelope.to().iter().map(ToString::to_string).collect(),
        }
    }

    pub fn to_lettre(&self) -> Result<lettre::address::Envelope, String> {
        let parse = |a: &String| {
            a.parse::<lettre::Address>()
                .map_err(|e| format!("{a}: {e}"))
        };
        let from = self.from.as_ref().map(parse).transpose()?;
        let to = self.to.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
        lettre::address::Envelope::new(from, to).map_err(|e| e.to_string())
    }
}
