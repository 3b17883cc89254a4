//! Send failures: what went wrong, where, in the server's own words, and whether trying
//! again later can help.

use std::fmt;
use std::path::PathBuf;

/// A server's numbered reply, e.g. `535 5.7.8 Error: authentication failed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub fn is_transient(&self) -> bool {
        (400..500).contains(&self.code)
    }
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code, self.text)
    }
}

/// Where in the SMTP conversation a failure happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Connect,
    Greeting,
    Tls,
    Login,
    Sender,
    Recipient,
    Data,
    /// Uploading the message or waiting for the server's answer to it: the server may
    /// have accepted the message even though the answer never arrived.
    Message,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connecting",
            Stage::Greeting => "the greeting",
            Stage::Tls => "the TLS handshake",
            Stage::Login => "login",
            Stage::Sender => "MAIL FROM",
            Stage::Recipient => "RCPT TO",
            Stage::Data => "DATA",
            Stage::Message => "the message upload",
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("could not connect to {server}: {detail}")]
    Connect { server: String, detail: String },
    #[error("the connection to {server} failed during {stage}: {detail}")]
    Network {
        server: String,
        stage: Stage,
        detail: String,
        /// The server stopped answering (as opposed to closing the connection).
        timed_out: bool,
    },
    #[error("TLS with {server} failed: {detail}{}", tls_hint(.detail))]
    Tls { server: String, detail: String },
    #[error(
        "{server}'s certificate is not signed by an authority this machine trusts ({detail}): \
         trust the authority that signed it with --ca-file FILE, or, if you know it is the server's \
         own certificate, pin it with --pin-sha256 {}",
        .fingerprint.as_deref().unwrap_or("FINGERPRINT")
    )]
    UntrustedCertificate {
        server: String,
        detail: String,
        /// The SHA-256 of the certificate it presented, when a second look could read it.
        fingerprint: Option<String>,
    },
    #[error(
        "{server} does not offer STARTTLS, so the message would travel unencrypted; \
         Mailroom refuses (--security plain only for a server you trust on a trusted network)"
    )]
    NoStartTls { server: String },
    #[error("{server} presented a certificate with SHA-256 {actual}, not the pinned {expected}")]
    PinMismatch {
        server: String,
        expected: String,
        actual: String,
    },
    #[error("{server} refused the login as {user}: {reason}{}", login_hint(.reply.as_ref()))]
    Login {
        server: String,
        user: String,
        reason: String,
        reply: Option<Reply>,
    },
    /// The server turned the OAuth2 access token down.
    #[error(transparent)]
    TokenRefused(Box<TokenRefusal>),
    #[error(
        "the message is {size} bytes but {server} accepts at most {limit} bytes (its SIZE limit)"
    )]
    TooLarge {
        server: String,
        size: usize,
        limit: usize,
    },
    #[error("{server} refused {stage}: {reply}")]
    Refused {
        server: String,
        stage: Stage,
        reply: Reply,
    },
    #[error("{server} refused {}", list_recipients(.rejected))]
    RecipientsRefused {
        server: String,
        rejected: Vec<(String, Reply)>,
    },
    #[error("{server} does not support {feature}, which this message needs")]
    Unsupported { server: String, feature: String },
    #[error("could not write the message to {path}: {source}")]
    Folder {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What to do about a TLS failure whose cause has a known fix.
fn tls_hint(detail: &str) -> &'static str {
    if detail.contains("STARTTLS injection") {
        // Bytes after the plain-text 220 to STARTTLS: someone on the path, or a broken
        // server, speaking before encryption. Nothing was sent: no login, no message.
        "; nothing was sent. Something between this computer and the server may be tampering \
         with the connection: try another network, or implicit TLS (--security tls, usually port 465)"
    } else if detail.contains("InvalidContentType") || detail.contains("corrupt message") {
        // Implicit TLS spoken to a port that greets in plain text first.
        "; this port seems to speak STARTTLS: use --security starttls (usually port 587), \
         or --security tls with port 465"
    } else {
        ""
    }
}

/// A 535 is a wrong user name or password: say where the password is changed.
/// An OAuth2 access token the server turned down (`status` from its error challenge).
#[derive(Debug, thiserror::Error)]
#[error("{server} refused the sign-in token for {user}{}: {reason}", .status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default())]
pub struct TokenRefusal {
    pub server: String,
    pub user: String,
    pub status: Option<String>,
    pub reason: String,
    pub reply: Option<Reply>,
}

fn login_hint(reply: Option<&Reply>) -> &'static str {
    match reply {
        Some(r) if r.code == 535 => {
            " (store the right password with `mailroom profile set-password PROFILE`, or in the window's Profiles view)"
        }
        _ => "",
    }
}

fn list_recipients(rejected: &[(String, Reply)]) -> String {
    let items: Vec<String> = rejected
        .iter()
        .map(|(address, reply)| format!("recipient <{address}>: {reply}"))
        .collect();
    items.join("; ")
}

impl SendError {
    /// `true` when trying again later may succeed: 4xx replies, network trouble, timeouts.
    pub fn is_transient(&self) -> bool {
        match self {
            SendError::Connect { .. } | SendError::Network { .. } => true,
            SendError::Login { reply, .. } => reply.as_ref().is_some_and(Reply::is_transient),
            SendError::TokenRefused(refusal) => {
                refusal.reply.as_ref().is_some_and(Reply::is_transient)
            }
            SendError::Refused { reply, .. } => reply.is_transient(),
            SendError::RecipientsRefused { rejected, .. } => {
                rejected.iter().all(|(_, reply)| reply.is_transient())
            }
            SendError::Tls { .. }
            | SendError::UntrustedCertificate { .. }
            | SendError::NoStartTls { .. }
            | SendError::PinMismatch { .. }
            | SendError::TooLarge { .. }
            | SendError::Unsupported { .. }
            | SendError::Folder { .. } => false,
        }
    }

    /// `true` when the whole message was sent and the server then never answered: it may
    /// have been delivered, so it must not be resent silently. (A connection the server
    /// closes mid-upload is an ordinary temporary failure: it has not taken the message.)
    pub fn may_have_been_accepted(&self) -> bool {
        matches!(
            self,
            SendError::Network {
                stage: Stage::Message,
                timed_out: true,
                ..
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: u16) -> Reply {
        Reply {
            code,
            text: "x".into(),
        }
    }

    #[test]
    fn classification_follows_the_reply_code() {
        let refused = |code| SendError::Refused {
            server: "s".into(),
            stage: Stage::Sender,
            reply: reply(code),
        };
        assert!(refused(451).is_transient());
        assert!(!refused(550).is_transient());
        let rcpts = |codes: &[u16]| SendError::RecipientsRefused {
            server: "s".into(),
            rejected: codes
                .iter()
                .map(|c| ("a@b".to_string(), reply(*c)))
                .collect(),
        };
        assert!(rcpts(&[450, 451]).is_transient());
        assert!(!rcpts(&[450, 550]).is_transient());
    }

    #[test]
    fn a_starttls_injection_is_a_permanent_tls_failure_that_names_the_server() {
        let injected = SendError::Tls {
            server: "mail.example.org:587".into(),
            detail: "the server sent data after its STARTTLS reply, before TLS: refusing the \
                     connection (possible STARTTLS injection)"
                .into(),
        };
        assert!(!injected.is_transient());
        assert!(!injected.may_have_been_accepted());
        let text = injected.to_string();
        assert!(
            text.starts_with("TLS with mail.example.org:587 failed: the server sent data")
                && text.contains("nothing was sent"),
            "{text}"
        );
    }

    #[test]
    fn only_silence_after_the_upload_is_uncertain() {
        let net = |stage, timed_out| SendError::Network {
            server: "s".into(),
            stage,
            detail: "x".into(),
            timed_out,
        };
        assert!(net(Stage::Message, true).may_have_been_accepted());
        assert!(!net(Stage::Message, false).may_have_been_accepted());
        assert!(!net(Stage::Data, true).may_have_been_accepted());
        assert!(net(Stage::Message, false).is_transient());
    }
}
