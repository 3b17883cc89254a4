//! `mailroom profile detect EMAIL` and the settings `profile add ID --email EMAIL` fills
//! from detection ([`crate::detect`]), each shown with where it came from. A flag given
//! wins over what was found; with `--host`, nothing is detected at all (the person has
//! said where the server is) and the address only fills the username and From.

use crate::detect::{self, Candidate, Detection, Method, Options};
use crate::error::Error;
use crate::profile::{Auth, Profile, Security, Server, SmtpServer};

/// What `profile add` was given that detection may fill.
pub struct Given<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub from: Option<&'a str>,
    pub host: Option<&'a str>,
    pub port: Option<u16>,
    pub security: Option<Security>,
    pub user: Option<&'a str>,
    pub auth: Option<Auth>,
}

/// One setting of the new profile and where it came from, for the lines `add` prints.
pub struct Origin {
    pub setting: &'static str,
    pub value: String,
    pub from: String,
}

/// `profile detect`: what would be used, and where it came from.
pub fn detect_command(email: &str, json: bool) -> Result<(), Error> {
    let detection = detect::detect(email, &Options::from_env()?)?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&detection).unwrap_or_default()
        );
        return Ok(());
    }
    let domain = domain_of(&detection);
    say!("Settings for {}:", detection.email);
    for (kind, list) in [("SMTP", &detection.smtp), ("IMAP", &detection.imap)] {
        for (n, candidate) in list.iter().enumerate() {
            let rank = if n == 0 { "" } else { " (alternative)" };
            say!(
                "  {kind}  {}{rank}  — {}",
                describe(candidate),
                candidate.source.describe(candidate, domain)
            );
        }
    }
    for note in &detection.notes {
        say!("Note: {note}");
    }
    Ok(())
}

/// `smtp.example.org:465 TLS, as ana@example.org, password`
fn describe(c: &Candidate) -> String {
    let user = c
        .username
        .as_deref()
        .map(|u| format!(", as {u}"))
        .unwrap_or_default();
    let method = match c.method {
        Method::Password => "password",
        Method::OAuth2 => "OAuth2 sign-in",
        Method::None => "no login",
    };
    format!(
        "{}:{} {}{user}, {method}",
        c.host,
        c.port,
        c.security.describe()
    )
}

fn domain_of(detection: &Detection) -> &str {
    detection
        .email
        .rsplit_once('@')
        .map_or("", |(_, domain)| domain)
}

/// The profile `profile add --email` saves, and where each of its settings came from.
pub fn profile_for(given: &Given<'_>) -> Result<(Profile, Vec<Origin>), Error> {
    let email = detect::Email::parse(given.email)?;
    let mut origins = Vec::new();
    let mut origin = |setting, value: String, from: String| {
        origins.push(Origin {
            setting,
            value,
            from,
        })
    };
    let mut server = match given.host {
        Some(host) => {
            let security = given.security.unwrap_or(Security::Starttls);
            let mut server = SmtpServer::new(host, security, Auth::Password);
            server.username = Some(email.address.clone());
            origin("server", host.to_string(), "from --host".into());
            server
        }
        None => {
            let detection = detect::detect(&email.address, &Options::from_env()?)?;
            let best = detection
                .best()
                .ok_or_else(|| detect::DetectError::NotFound {
                    domain: email.domain.clone(),
                    tried: detection.tried.clone(),
                })?;
            let found = best.source.describe(best, &email.domain);
            for note in &detection.notes {
                eprintln!("mailroom: note: {note}");
            }
            if best.security == Security::Plain && given.security != Some(Security::Plain) {
                return Err(detect::DetectError::Unencrypted {
                    email: email.address,
                    server: format!("{}:{}", best.host, best.port),
                }
                .into());
            }
            let imap = detection.imap_settings(&best.host);
            if let Some(imap) = &imap {
                let source = detection
                    .imap
                    .iter()
                    .find(|c| c.security != Security::Plain)
                    .map(|c| c.source.describe(c, &email.domain))
                    .unwrap_or_default();
                origin("imap", imap.address(), source);
                origin(
                    "sent copy",
                    imap.sent_copy.describe().into(),
                    "for this provider".into(),
                );
            }
            origin("server", best.host.clone(), found.clone());
            origin("port", best.port.to_string(), found.clone());
            origin("security", best.security.describe().into(), found.clone());
            if let Some(user) = &best.username {
                origin("username", user.clone(), found);
            }
            let mut server = best.server();
            server.imap = imap.map(Box::new);
            server
        }
    };
    if let Some(security) = given.security {
        if given.host.is_none() && security != server.security {
            server.port = security.default_port();
        }
        server.security = security;
        origin(
            "security",
            security.describe().into(),
            "from --security".into(),
        );
    }
    if let Some(port) = given.port {
        server.port = port;
        origin("port", port.to_string(), "from --port".into());
    }
    if let Some(user) = given.user {
        server.username = Some(user.to_string());
        origin("username", user.to_string(), "from --user".into());
    }
    if let Some(auth) = given.auth {
        server.auth = auth;
    }
    let from = match given.from {
        Some(from) => {
            origin("from", from.to_string(), "from --from".into());
            from.to_string()
        }
        None => {
            let from = detect::identity(given.name, &email.address);
            origin("from", from.clone(), "from --email and --name".into());
            from
        }
    };
    let profile = Profile {
        id: given.id.to_string(),
        from,
        server: Server::Smtp(server),
    };
    Ok((profile, origins))
}
