//! Account detection: an email address in, candidate SMTP (and IMAP) settings out, each
//! with where it came from. Nothing here saves anything; the caller shows the result and
//! the person decides.
//!
//! The order is Thunderbird's, plus the two steps it lacks (SRV, and a guess that needs a
//! valid certificate):
//! 1. **builtin** — Thunderbird-format files shipped in `assets/autoconfig/` for the
//!    biggest providers ([`builtin`]); no network.
//! 2. **domain** — `https://autoconfig.<domain>/mail/config-v1.1.xml?emailaddress=…`, then
//!    `https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml`. HTTPS only.
//! 3. **ispdb** — `<ISPDB>/<domain>` (Thunderbird's database unless
//!    `MAILROOM_AUTOCONFIG_ISPDB` names another); it is sent the domain, not the address.
//! 4. **mx** — the domain's MX host's base domain, through steps 2 and 3 (how a domain
//!    hosted at `….mail.protection.outlook.com` is known as Microsoft 365).
//! 5. **srv** — RFC 6186 / 8314: `_submissions._tcp` (TLS), then `_submission._tcp`
//!    (STARTTLS); a target of `.` means "not offered".
//! 6. **guess** — `smtp.`, `mail.` and the bare domain on 465 (TLS) then 587 (STARTTLS),
//!    probed in parallel ([`probe`]); only a server that completes TLS with a valid
//!    certificate for its name and answers EHLO counts. Never plain text.
//!
//! Steps 2–6 start at once on threads of their own; the answer is the first step in that
//! order that found something, once every step before it has answered (or failed), or
//! the best answer there is when the deadline (`MAILROOM_AUTOCONFIG_DEADLINE_MS`, 8 s)
//! passes. A step still running then is left to finish on its own thread; its answer is
//! dropped. DNS questions go to the system's resolver, or to `MAILROOM_AUTOCONFIG_DNS`
//! (`HOST:PORT`) when set ([`dns`]); HTTPS trusts the system's roots (`SSL_CERT_FILE`
//! replaces them, as everywhere in Mailroom) ([`fetch`]).

pub mod autoconfig;
pub mod builtin;
mod dns;
mod fetch;
mod probe;
mod steps;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Serialize;

pub use autoconfig::Config;
pub use dns::Dns;

use crate::profile::{Auth, ImapSettings, Security, SentCopy, SmtpServer};

/// Thunderbird's ISP database.
pub const THUNDERBIRD_ISPDB: &str = "https://live.thunderbird.net/autoconfig/v1.1/";
/// How long detection may take as a whole, unless `MAILROOM_AUTOCONFIG_DEADLINE_MS` says.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(8);

/// Where a setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Builtin,
    Domain,
    Ispdb,
    Mx,
    Srv,
    Guess,
}

impl Source {
    /// For people: "from example.org's own configuration", and so on.
    pub fn describe(self, candidate: &Candidate, domain: &str) -> String {
        match self {
            Source::Builtin => "from Mailroom's built-in provider list".to_string(),
            Source::Domain => format!("from {domain}'s own configuration"),
            Source::Ispdb => "from the Thunderbird ISP database".to_string(),
            Source::Mx => format!("from the configuration of {domain}'s mail host (MX)"),
            Source::Srv => "from DNS (SRV)".to_string(),
            Source::Guess => format!("guessed: {} answered on {}", candidate.host, candidate.port),
        }
    }
}

/// How a server wants to be signed in to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Password,
    #[serde(rename = "oauth2")]
    OAuth2,
    None,
}

/// One server a step found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    #[serde(rename = "auth")]
    pub method: Method,
    pub source: Source,
}

impl Candidate {
    /// A profile's server for this candidate (the usual timeout; no CA file, no pin).
    pub fn server(&self) -> SmtpServer {
        let auth = match self.method {
            Method::None => Auth::None,
            Method::Password => Auth::Password,
            Method::OAuth2 => Auth::OAuth2,
        };
        let mut server = SmtpServer::new(self.host.clone(), self.security, auth);
        server.port = self.port;
        server.username = self.username.clone();
        server
    }
}

/// The identity to send as: `Ana Lima <ana@example.org>` (the name quoted when it needs
/// to be), or the bare address without a name.
pub fn identity(name: Option<&str>, address: &str) -> String {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    match (name, address.parse::<lettre::Address>()) {
        (Some(name), Ok(address)) => {
            lettre::message::Mailbox::new(Some(name.to_string()), address).to_string()
        }
        _ => address.to_string(),
    }
}

/// An address split into what the autoconfig placeholders need.
#[derive(Debug, Clone, PartialEq)]
pub struct Email {
    /// As typed, with the domain lower-cased.
    pub address: String,
    pub local: String,
    pub domain: String,
}

impl Email {
    /// `ana@example.org`; refuses what no provider could serve, naming the problem.
    pub fn parse(text: &str) -> Result<Self, DetectError> {
        let text = text.trim();
        let bad = |why: &str| DetectError::Address {
            address: text.to_string(),
            why: why.to_string(),
        };
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("an address has no spaces"));
        }
        let Some((local, domain)) = text.rsplit_once('@') else {
            return Err(bad("it has no @domain"));
        };
        if local.is_empty() || local.contains(['@', '<', '>', '"', '(', ')', ',', ';']) {
            return Err(bad("the part before @ is empty or not a plain name"));
        }
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok || domain.len() > 253 {
            return Err(bad(
                "the part after @ is not a domain like example.org (internationalised domains: type their xn-- form)",
            ));
        }
        Ok(Self {
            address: format!("{local}@{domain}"),
            local: local.to_string(),
            domain,
        })
    }
}

/// What detection found for an address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detection {
    pub email: String,
    /// Where the first (preferred) SMTP server came from.
    pub source: Source,
    pub smtp: Vec<Candidate>,
    pub imap: Vec<Candidate>,
    /// Things to tell the person before they save: a server in another domain, no
    /// encryption, a sign-in this version cannot do.
    pub notes: Vec<String>,
    /// Each step asked, and what it answered.
    pub tried: Vec<String>,
}

impl Detection {
    /// The preferred SMTP server.
    pub fn best(&self) -> Option<&Candidate> {
        self.smtp.first()
    }

    /// The IMAP server to file sent messages on: the first encrypted one found. Copies
    /// are left to the provider when its SMTP server `smtp_host` files them itself
    /// (`files_sent_copies` in `assets/oauth2-providers.toml`).
    pub fn imap_settings(&self, smtp_host: &str) -> Option<ImapSettings> {
        let found = self.imap.iter().find(|c| c.security != Security::Plain)?;
        let mut imap = ImapSettings::new(found.host.clone(), found.security);
        imap.port = found.port;
        imap.username = found.username.clone();
        if crate::oauth::provider::files_sent_copies(smtp_host) {
            imap.sent_copy = SentCopy::Provider;
        }
        Some(imap)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("\"{address}\" is not an email address: {why}")]
    Address { address: String, why: String },
    #[error("{name}=\"{value}\": {why}")]
    Setting {
        name: &'static str,
        value: String,
        why: String,
    },
    #[error(
        "the server found for {email}, {server}, is UNENCRYPTED: add --security plain to use it anyway, \
         or give another with --host"
    )]
    Unencrypted { email: String, server: String },
    #[error(
        "found no mail server for {domain}. Tried: {}. Give the server yourself with --host (and --security, --port)",
        .tried.join("; ")
    )]
    NotFound { domain: String, tried: Vec<String> },
}

/// Where detection looks, read from the environment by [`Options::from_env`].
#[derive(Debug, Clone)]
pub struct Options {
    pub ispdb: String,
    /// A DNS server to ask instead of the system's.
    pub dns: Option<SocketAddr>,
    pub deadline: Duration,
}

impl Options {
    pub fn from_env() -> Result<Self, DetectError> {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let mut ispdb = var("MAILROOM_AUTOCONFIG_ISPDB").unwrap_or(THUNDERBIRD_ISPDB.into());
        if !ispdb.ends_with('/') {
            ispdb.push('/');
        }
        let dns = match var("MAILROOM_AUTOCONFIG_DNS") {
            None => None,
            Some(value) => {
                Some(
                    dns::server_address(&value).map_err(|why| DetectError::Setting {
                        name: "MAILROOM_AUTOCONFIG_DNS",
                        value,
                        why,
                    })?,
                )
            }
        };
        let deadline = match var("MAILROOM_AUTOCONFIG_DEADLINE_MS") {
            None => DEFAULT_DEADLINE,
            Some(value) => match value.parse::<u64>() {
                Ok(ms) if (1..=120_000).contains(&ms) => Duration::from_millis(ms),
                _ => {
                    return Err(DetectError::Setting {
                        name: "MAILROOM_AUTOCONFIG_DEADLINE_MS",
                        value,
                        why: "not a number of milliseconds from 1 to 120000".into(),
                    });
                }
            },
        };
        Ok(Self {
            ispdb,
            dns,
            deadline,
        })
    }
}

/// What one step found, or why it found nothing.
type StepResult = Result<Config, String>;

/// Finds the settings for `address`, as the module doc describes.
pub fn detect(address: &str, options: &Options) -> Result<Detection, DetectError> {
    let email = Email::parse(address)?;
    if let Some(config) = builtin::find(&email) {
        let tried = vec!["built-in provider list: found".to_string()];
        return finish(&email, Source::Builtin, config, tried);
    }
    let deadline = Instant::now() + options.deadline;
    let context = steps::Context::new(&email, options, deadline);
    let (tx, rx) = mpsc::channel::<(usize, StepResult)>();
    for (index, step) in steps::NETWORK.iter().enumerate() {
        let (tx, context, step) = (tx.clone(), context.clone(), *step);
        std::thread::Builder::new()
            .name(format!("detect-{}", step.name))
            .spawn(move || {
                let _ = tx.send((index, (step.run)(&context)));
            })
            .map_err(|e| DetectError::NotFound {
                domain: email.domain.clone(),
                tried: vec![format!("could not start a thread: {e}")],
            })?;
    }
    drop(tx);

    let mut results: Vec<Option<StepResult>> = vec![None; steps::NETWORK.len()];
    let chosen = loop {
        if let Some(index) = decided(&results) {
            break index;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((index, result)) => results[index] = Some(result),
            // The deadline, or every step has answered: the best finished one.
            Err(_) => break best_finished(&results),
        }
    };
    let tried = steps::NETWORK
        .iter()
        .zip(&results)
        .map(|(step, result)| match result {
            Some(Ok(config)) if config.smtp.is_empty() => {
                format!("{}: no SMTP server in the answer", step.name)
            }
            Some(Ok(_)) => format!("{}: found", step.name),
            Some(Err(why)) => format!("{}: {why}", step.name),
            None => format!("{}: no answer within {:?}", step.name, options.deadline),
        })
        .collect();
    match chosen.and_then(|i| results[i].take().map(|r| (i, r))) {
        Some((index, Ok(config))) => finish(&email, steps::NETWORK[index].source, config, tried),
        _ => Err(DetectError::NotFound {
            domain: email.domain,
            tried,
        }),
    }
}

/// The step to take: the first in order that found something, once all before it are
/// done.
fn decided(results: &[Option<StepResult>]) -> Option<Option<usize>> {
    for (index, result) in results.iter().enumerate() {
        match result {
            None => return None,
            Some(Ok(config)) if !config.smtp.is_empty() => return Some(Some(index)),
            Some(_) => {}
        }
    }
    Some(None)
}

fn best_finished(results: &[Option<StepResult>]) -> Option<usize> {
    results
        .iter()
        .position(|r| matches!(r, Some(Ok(config)) if !config.smtp.is_empty()))
}

fn finish(
    email: &Email,
    source: Source,
    config: Config,
    tried: Vec<String>,
) -> Result<Detection, DetectError> {
    let mut notes = Vec::new();
    // Mailroom's own files are trusted to name their provider's servers.
    let first = config.smtp.first().filter(|_| source != Source::Builtin);
    if let Some(host) = first
        .map(|c| &c.host)
        .filter(|h| !in_domain(h, &email.domain))
    {
        notes.push(format!(
            "{host} is not in {}'s domain: check that it is your provider's server before you save",
            email.domain
        ));
    }
    if let Some(best) = config.smtp.first() {
        if best.security == Security::Plain {
            notes.push(format!(
                "{} is UNENCRYPTED: your password and messages would cross the network in the clear",
                best.host
            ));
        }
        if best.method == Method::OAuth2 {
            notes.push(
                "this provider signs in with OAuth2, through the browser; it refuses your account password"

                    .to_string(),
            );
        }
    }
    Ok(Detection {
        email: email.address.clone(),
        source,
        smtp: config.smtp,
        imap: config.imap,
        notes,
        tried,
    })
}

/// Whether `host` is `domain` or a name under it.
fn in_domain(host: &str, domain: &str) -> bool {
    host == domain || host.ends_with(&format!(".{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_needs_a_domain_and_no_spaces() {
        for bad in [
            "ana",
            "ana@",
            "@example.org",
            "ana @example.org",
            "ana@localhost",
            "ana@exa_mple.org",
            "ana@@example.org",
        ] {
            assert!(
                matches!(Email::parse(bad), Err(DetectError::Address { .. })),
                "{bad} was taken"
            );
        }
        let email = Email::parse(" Ana.Lima@Example.ORG ").unwrap();
        assert_eq!(email.address, "Ana.Lima@example.org");
        assert_eq!(
            (email.local.as_str(), email.domain.as_str()),
            ("Ana.Lima", "example.org")
        );
    }

    fn found(smtp: usize) -> Option<StepResult> {
        let candidate = Candidate {
            host: "smtp.example.org".into(),
            port: 465,
            security: Security::Tls,
            username: None,
            method: Method::Password,
            source: Source::Domain,
        };
        Some(Ok(Config {
            smtp: vec![candidate; smtp],
            ..Config::default()
        }))
    }

    #[test]
    fn a_later_step_wins_only_once_every_earlier_one_has_answered() {
        let failed = Some(Err("404".to_string()));
        assert_eq!(
            decided(&[None, found(1)]),
            None,
            "the first may still answer"
        );
        assert_eq!(decided(&[failed.clone(), found(1)]), Some(Some(1)));
        assert_eq!(
            decided(&[found(0), failed.clone()]),
            Some(None),
            "an empty answer is no answer"
        );
        assert_eq!(decided(&[found(1), None]), Some(Some(0)));
        assert_eq!(best_finished(&[None, failed, found(1)]), Some(2));
    }

    #[test]
    fn a_server_outside_the_address_domain_is_noted() {
        let email = Email::parse("ana@contoso.com").unwrap();
        let mut config = found(1).unwrap().unwrap();
        config.smtp[0].host = "smtp.office365.com".into();
        let detection = finish(&email, Source::Mx, config.clone(), vec![]).unwrap();
        assert!(detection.notes[0].contains("smtp.office365.com is not in contoso.com's domain"));
        config.smtp[0].host = "mail.contoso.com".into();
        assert!(
            finish(&email, Source::Mx, config, vec![])
                .unwrap()
                .notes
                .is_empty()
        );
    }
}
