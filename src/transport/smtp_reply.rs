//! lettre's answers and failures in Mailroom's terms: a server's numbered [`Reply`], and
//! each failure as the [`SendError`] that names the step, the server and its words, told
//! apart as TLS, timeout, refusal or a dropped connection.

use lettre::transport::smtp::Error as LettreError;

use super::{Reply, SendError, Stage};
use crate::error::display_chain as error_chain;

pub(super) fn response_text(response: &lettre::transport::smtp::response::Response) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(" "))
}

/// The server's numbered reply inside a lettre error, if the error is one.
pub(super) fn reply_of(e: &LettreError) -> Option<Reply> {
    let code = e.status()?.to_string().parse().ok()?;
    let text = std::error::Error::source(e)
        .map(ToString::to_string)
        .unwrap_or_default();
    Some(Reply { code, text })
}

/// A socket read or write timeout: `TimedOut` on Windows, `WouldBlock` (EAGAIN) on Unix,
/// which lettre's own `is_timeout` does not count.
pub(super) fn is_timeout(e: &LettreError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        {
            return true;
        }
        current = err.source();
    }
    false
}

/// lettre reports a failed handshake as a network error wrapping rustls' error.
pub(super) fn is_tls_failure(e: &LettreError) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = current {
        let wraps_rustls = err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .is_some_and(|inner| inner.is::<rustls::Error>());
        if err.is::<rustls::Error>() || wraps_rustls {
            return true;
        }
        current = err.source();
    }
    e.is_tls()
}

pub(super) fn connect_error(server: &str, e: LettreError) -> SendError {
    if is_tls_failure(&e) {
        return SendError::Tls {
            server: server.to_string(),
            detail: error_chain(&e),
        };
    }
    match reply_of(&e) {
        Some(reply) => SendError::Refused {
            server: server.to_string(),
            stage: Stage::Greeting,
            reply,
        },
        None => SendError::Connect {
            server: server.to_string(),
            detail: error_chain(&e),
        },
    }
}

pub(super) fn step_error(server: &str, stage: Stage, e: LettreError) -> SendError {
    let server = server.to_string();
    if stage == Stage::Tls && e.is_client() {
        // lettre refused to go on (e.g. data before TLS, a STARTTLS injection): its
        // reason, without the "internal client error" that would blame Mailroom.
        let detail = std::error::Error::source(&e).map_or_else(|| error_chain(&e), error_chain);
        return SendError::Tls { server, detail };
    }
    if stage == Stage::Tls || is_tls_failure(&e) {
        return SendError::Tls {
            server,
            detail: error_chain(&e),
        };
    }
    match reply_of(&e) {
        Some(reply) => SendError::Refused {
            server,
            stage,
            reply,
        },
        None if is_timeout(&e) => SendError::Network {
            server,
            stage,
            timed_out: true,
            detail: "the server stopped answering (timed out)".into(),
        },
        None => SendError::Network {
            server,
            stage,
            timed_out: false,
            detail: error_chain(&e),
        },
    }
}
