//! The guess step: `smtp.<domain>`, `mail.<domain>` and `<domain>`, each on 465 (TLS)
//! and 587 (STARTTLS), all probed at once. A server counts only when TLS completes with
//! a certificate valid for the name tried and EHLO is answered
//! ([`crate::transport::probe`]); nothing is ever guessed in plain text, and nothing is
//! sent but EHLO, STARTTLS and QUIT.

use std::time::{Duration, Instant};

use super::dns::Dns;
use super::{Candidate, Email, Method, Source};
use crate::profile::Security;

/// How long one probe may take at most (the deadline may cut it shorter).
const PROBE_TIMEOUT: Duration = Duration::from_secs(4);

/// The servers that answered, in the order of preference: host by host, 465 before 587.
pub fn guess(email: &Email, dns: &Dns, deadline: Instant) -> Result<Vec<Candidate>, String> {
    let domain = &email.domain;
    let hosts = [
        format!("smtp.{domain}"),
        format!("mail.{domain}"),
        domain.clone(),
    ];
    let tries: Vec<(String, Security)> = hosts
        .iter()
        .flat_map(|h| [(h.clone(), Security::Tls), (h.clone(), Security::Starttls)])
        .collect();
    let answers: Vec<Result<(), String>> = std::thread::scope(|scope| {
        let running: Vec<_> = tries
            .iter()
            .map(|(host, security)| scope.spawn(move || probe_one(host, *security, dns, deadline)))
            .collect();
        running
            .into_iter()
            .map(|t| t.join().unwrap_or_else(|_| Err("the probe failed".into())))
            .collect()
    });
    let mut found = Vec::new();
    let mut why = Vec::new();
    for ((host, security), answer) in tries.into_iter().zip(answers) {
        match answer {
            Ok(()) => found.push(Candidate {
                port: security.default_port(),
                host,
                security,
                username: Some(email.address.clone()),
                method: Method::Password,
                source: Source::Guess,
            }),
            Err(e) => why.push(format!("{host}:{} {e}", security.default_port())),
        }
    }
    if found.is_empty() {
        Err(why
            .first()
            .cloned()
            .unwrap_or_else(|| "nothing answered".into()))
    } else {
        Ok(found)
    }
}

fn probe_one(host: &str, security: Security, dns: &Dns, deadline: Instant) -> Result<(), String> {
    let ip = *dns.addresses(host)?.first().ok_or("has no address")?;
    let timeout = deadline
        .saturating_duration_since(Instant::now())
        .min(PROBE_TIMEOUT);
    if timeout.is_zero() {
        return Err("no time left".into());
    }
    let address = std::net::SocketAddr::new(ip, security.default_port());
    crate::transport::probe(host, address, security, timeout).map_err(|e| e.to_string())
}
