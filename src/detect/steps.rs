//! The network steps of detection (2 to 6 of the order in [`super`]), each a function
//! from the address to an autoconfig [`Config`] or the reason it found nothing. They run
//! at once on threads of their own; [`super::detect`] picks among their answers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::autoconfig::{self, Config};
use super::dns::Dns;
use super::{Candidate, Email, Method, Options, Source, builtin, fetch, probe};
use crate::profile::Security;

/// What every step needs; cheap to clone into a thread.
#[derive(Clone)]
pub struct Context {
    email: Arc<Email>,
    ispdb: Arc<str>,
    dns: Dns,
    deadline: Instant,
}

impl Context {
    pub fn new(email: &Email, options: &Options, deadline: Instant) -> Self {
        Self {
            email: Arc::new(email.clone()),
            ispdb: options.ispdb.as_str().into(),
            // One DNS question never takes the whole deadline.
            dns: Dns::new(options.dns, options.deadline.min(Duration::from_secs(4))),
            deadline,
        }
    }
}

/// One step: its name in `tried`, the source its servers get, and what it does.
#[derive(Clone, Copy)]
pub struct Step {
    pub name: &'static str,
    pub source: Source,
    pub run: fn(&Context) -> Result<Config, String>,
}

/// The network steps, in the order of preference.
pub const NETWORK: [Step; 5] = [
    Step {
        name: "domain",
        source: Source::Domain,
        run: |c| domain(c, &c.email.domain, Source::Domain),
    },
    Step {
        name: "ispdb",
        source: Source::Ispdb,
        run: |c| ispdb(c, &c.email.domain, Source::Ispdb),
    },
    Step {
        name: "mx",
        source: Source::Mx,
        run: mx,
    },
    Step {
        name: "srv",
        source: Source::Srv,
        run: srv,
    },
    Step {
        name: "guess",
        source: Source::Guess,
        run: |c| {
            probe::guess(&c.email, &c.dns, c.deadline).map(|smtp| Config {
                smtp,
                ..Config::default()
            })
        },
    },
];

/// The domain's own configuration: `autoconfig.<domain>`, then its `.well-known` URL.
fn domain(c: &Context, domain: &str, source: Source) -> Result<Config, String> {
    let address = form_encode(&c.email.address);
    let urls = [
        format!("https://autoconfig.{domain}/mail/config-v1.1.xml?emailaddress={address}"),
        format!("https://{domain}/.well-known/autoconfig/mail/config-v1.1.xml"),
    ];
    let mut why = Vec::new();
    for url in &urls {
        match fetch_config(c, url, source) {
            Ok(config) => return Ok(config),
            Err(e) => why.push(e),
        }
    }
    Err(why.join("; "))
}

/// The ISP database's entry for `domain` (the domain alone is sent, not the address).
fn ispdb(c: &Context, domain: &str, source: Source) -> Result<Config, String> {
    fetch_config(c, &format!("{}{domain}", c.ispdb), source)
}

fn fetch_config(c: &Context, url: &str, source: Source) -> Result<Config, String> {
    let body = fetch::get(url, &c.dns, c.deadline).map_err(|e| format!("{url}: {e}"))?;
    let config = autoconfig::parse(&body, &c.email, source).map_err(|e| format!("{url}: {e}"))?;
    if config.smtp.is_empty() {
        return Err(format!("{url}: names no SMTP server this version can use"));
    }
    Ok(config)
}

/// The MX host's base domain, looked up as the domain would be: built-in, its own
/// configuration, the ISP database.
fn mx(c: &Context) -> Result<Config, String> {
    let hosts = c.dns.mx(&c.email.domain)?;
    let host = hosts.first().ok_or("the domain has no MX record")?;
    let base = base_domain(host);
    if base == c.email.domain {
        return Err(format!("the mail host {host} is in the domain itself"));
    }
    // Built-in files may name a mail host's own suffix (`mail.protection.outlook.com`
    // is Microsoft 365), longest first, before its base domain.
    let mut suffixes = host
        .match_indices('.')
        .map(|(i, _)| &host[i + 1..])
        .take_while(|suffix| suffix.len() >= base.len());
    if let Some(mut config) = suffixes.find_map(|s| builtin::find_domain(s, &c.email)) {
        for server in config.smtp.iter_mut().chain(config.imap.iter_mut()) {
            server.source = Source::Mx;
        }
        return Ok(config);
    }
    domain(c, &base, Source::Mx)
        .or_else(|first| ispdb(c, &base, Source::Mx).map_err(|e| format!("{first}; {e}")))
        .map_err(|e| format!("MX {host}: {e}"))
}

/// RFC 6186 / RFC 8314 submission records: implicit TLS first, then STARTTLS.
fn srv(c: &Context) -> Result<Config, String> {
    let domain = &c.email.domain;
    let mut smtp = Vec::new();
    let mut failures = Vec::new();
    for (service, security) in [
        ("_submissions._tcp", Security::Tls),
        ("_submission._tcp", Security::Starttls),
    ] {
        // One record's lookup failing does not hide the other's answer.
        let targets = match c.dns.srv(&format!("{service}.{domain}")) {
            Ok(targets) => targets,
            Err(why) => {
                failures.push(why);
                continue;
            }
        };
        for target in targets {
            smtp.push(Candidate {
                host: target.host,
                port: target.port,
                security,
                username: Some(c.email.address.clone()),
                method: Method::Password,
                source: Source::Srv,
            });
        }
    }
    if smtp.is_empty() {
        if !failures.is_empty() {
            return Err(failures.join("; "));
        }
        return Err("no _submissions or _submission record (or only \".\": not offered)".into());
    }
    Ok(Config {
        smtp,
        ..Config::default()
    })
}

/// The registrable part of a host name, without a public-suffix list: the last two
/// labels, or three when the second-to-last is a short second-level label (`co.uk`,
/// `com.au`). `contoso-com.mail.protection.outlook.com` → `outlook.com`.
pub fn base_domain(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let keep = match labels.as_slice() {
        [.., second, top] if top.len() == 2 && (2..=3).contains(&second.len()) => 3,
        _ => 2,
    };
    labels[labels.len().saturating_sub(keep)..].join(".")
}

/// `application/x-www-form-urlencoded` for a query value.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_domain_of_a_mail_host_is_its_registrable_part() {
        assert_eq!(
            base_domain("contoso-com.mail.protection.outlook.com"),
            "outlook.com"
        );
        assert_eq!(base_domain("aspmx.l.google.com."), "google.com");
        assert_eq!(base_domain("mx1.mail.example.co.uk"), "example.co.uk");
        assert_eq!(base_domain("example.org"), "example.org");
    }

    #[test]
    fn the_address_is_form_encoded_in_the_query() {
        assert_eq!(
            form_encode("ana+news@example.org"),
            "ana%2Bnews%40example.org"
        );
    }
}
