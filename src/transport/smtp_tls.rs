//! Securing an SMTP connection and deciding whether to trust it: implicit TLS or a
//! required STARTTLS, the system's roots plus the profile's CA file, or a pinned
//! certificate's SHA-256 (checked before anything else is sent); and, for an error that
//! names the fix, the fingerprint of a certificate this machine does not trust.

use std::time::Duration;

use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use sha2::{Digest, Sha256};

use super::SendError;
use super::Stage;
use super::smtp_reply::{connect_error, step_error};
use crate::error::display_chain as error_chain;
use crate::profile::{Security, SmtpServer};

/// Connects and secures the connection as the profile says (implicit TLS, or a required
/// STARTTLS), without logging in.
pub(super) fn secured(
    profile: &SmtpServer,
    tls: Option<&TlsParameters>,
    server: &str,
    hello: &ClientId,
    timeout: Option<Duration>,
) -> Result<SmtpConnection, SendError> {
    let wrapper = tls.filter(|_| profile.security == Security::Tls);
    let mut conn = SmtpConnection::connect(
        (profile.host.as_str(), profile.port),
        timeout,
        hello,
        wrapper,
        None,
    )
    .map_err(|e| connect_error(server, e))?;
    if let (Security::Starttls, Some(tls)) = (profile.security, tls) {
        if !conn.can_starttls() {
            conn.abort();
            return Err(SendError::NoStartTls {
                server: server.to_string(),
            });
        }
        conn.starttls(tls, hello)
            .map_err(|e| step_error(server, Stage::Tls, e))?;
    }
    Ok(conn)
}

/// Whether a server at `address` speaks SMTP under `host`'s name: connects, completes
/// TLS (implicit, or STARTTLS) with a certificate valid for `host` under the system's
/// roots, has its EHLO answered, and says QUIT. Account detection's guess step.
pub fn probe(
    host: &str,
    address: std::net::SocketAddr,
    security: Security,
    timeout: Duration,
) -> Result<(), SendError> {
    let server = format!("{host}:{}", address.port());
    let hello = ClientId::Ipv4(std::net::Ipv4Addr::LOCALHOST);
    let tls = TlsParameters::builder(host.to_string())
        .build_rustls()
        .map_err(|e| SendError::Tls {
            server: server.clone(),
            detail: error_chain(&e),
        })?;
    let wrapper = (security == Security::Tls).then_some(&tls);
    let mut conn = SmtpConnection::connect(address, Some(timeout), &hello, wrapper, None)
        .map_err(|e| connect_error(&server, e))?;
    if security == Security::Starttls {
        if !conn.can_starttls() {
            conn.abort();
            return Err(SendError::NoStartTls { server });
        }
        conn.starttls(&tls, &hello)
            .map_err(|e| step_error(&server, Stage::Tls, e))?;
    }
    let _ = conn.quit();
    Ok(())
}

/// Whether rustls refused the certificate's chain (as opposed to the handshake itself).
pub(super) fn is_untrusted_certificate(detail: &str) -> bool {
    [
        "UnknownIssuer",
        "BadSignature",
        "NotValidForName",
        "Expired",
        "invalid peer certificate",
    ]
    .iter()
    .any(|sign| detail.contains(sign))
}

/// The SHA-256 of the certificate a server presents, read with a second handshake that
/// does not check its chain — so the person can compare it and pin it. Nothing is sent
/// over that connection: it is dropped right after the handshake.
pub(super) fn probe_fingerprint(
    profile: &SmtpServer,
    server: &str,
    hello: &ClientId,
    timeout: Option<Duration>,
) -> Option<String> {
    let mut probe = profile.clone();
    probe.pin_sha256 = Some(String::new()); // accept any chain, as pinning does
    let tls = tls_parameters(&probe, server).ok()?;
    let mut conn = secured(&probe, Some(&tls), server, hello, timeout).ok()?;
    let der = conn.peer_certificate().ok();
    conn.abort();
    der.map(|der| fingerprint(&der))
}

pub(super) fn tls_parameters(
    profile: &SmtpServer,
    server: &str,
) -> Result<TlsParameters, SendError> {
    let tls_error = |detail: String| SendError::Tls {
        server: server.to_string(),
        detail,
    };
    let mut builder = TlsParameters::builder(profile.host.clone());
    if let Some(path) = &profile.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            tls_error(format!(
                "could not read the CA file (--ca-file) {}: {e}",
                path.display()
            ))
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            tls_error(format!(
                "the CA file (--ca-file) {} is not a PEM certificate: {e}",
                path.display()
            ))
        })?;
        builder = builder.add_root_certificate(cert);
    }
    if profile.pin_sha256.is_some() {
        // The chain is not checked; `check_pin` compares the fingerprint right after the
        // handshake (whose signature rustls still verifies), before anything is sent.
        builder = builder.dangerous_accept_invalid_certs(true);
    }
    builder
        .build_rustls()
        .map_err(|e| tls_error(error_chain(&e)))
}

pub(super) fn check_pin(
    conn: &SmtpConnection,
    server: &str,
    expected: &str,
) -> Result<(), SendError> {
    let der = conn.peer_certificate().map_err(|e| SendError::Tls {
        server: server.to_string(),
        detail: format!("could not read the server certificate: {}", error_chain(&e)),
    })?;
    let actual = fingerprint(&der);
    if normalize_fingerprint(expected) == actual {
        Ok(())
    } else {
        Err(SendError::PinMismatch {
            server: server.to_string(),
            expected: expected.to_string(),
            actual,
        })
    }
}

/// SHA-256 of a DER certificate as lowercase hex, the form `pin_sha256` takes.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Accepts `AB:CD:…` (as `openssl x509 -fingerprint -sha256` prints) as well as `abcd…`.
pub fn normalize_fingerprint(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_compare_in_either_spelling() {
        let fp = fingerprint(b"cert");
        let colons: Vec<String> = fp
            .as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).to_uppercase())
            .collect();
        assert_eq!(normalize_fingerprint(&colons.join(":")), fp);
        assert_eq!(fp.len(), 64);
    }
}
