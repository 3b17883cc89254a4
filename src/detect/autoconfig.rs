//! Thunderbird's autoconfig XML (config-v1.1.xml): the vocabulary every step of
//! detection speaks, the built-in files in `assets/autoconfig/` included.
//!
//! `<clientConfig><emailProvider><domain>…</domain><incomingServer type="imap">…
//! <outgoingServer type="smtp">…`: each server has `hostname`, `port`, `socketType`
//! (`SSL` → tls, `STARTTLS` → starttls, `plain`), `username` and one or more
//! `authentication` values. Several `outgoingServer` elements are alternatives in order
//! of preference. `%EMAILADDRESS%`, `%EMAILLOCALPART%` and `%EMAILDOMAIN%` are filled
//! from the address. A server this version cannot use (POP3, an unknown socket type, an
//! authentication it does not speak) is left out rather than guessed at.

use super::{Candidate, Email, Method, Source};
use crate::profile::Security;

/// What an autoconfig file says, for one address.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Config {
    /// The provider's own name for itself (`emailProvider id`), e.g. `googlemail.com`.
    pub provider: Option<String>,
    /// The domains the file says it serves (`<domain>`), lower-case.
    pub domains: Vec<String>,
    pub smtp: Vec<Candidate>,
    pub imap: Vec<Candidate>,
}

/// Why a file could not be read as autoconfig XML.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("not XML: {0}")]
    NotXml(String),
    #[error("XML, but not an autoconfig file (its root is <{0}>, not <clientConfig>)")]
    NotAutoconfig(String),
}

/// Parses `xml` for `email`, marking each server with `source`.
pub fn parse(xml: &str, email: &Email, source: Source) -> Result<Config, ConfigError> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| ConfigError::NotXml(e.to_string()))?;
    let root = doc.root_element();
    if root.tag_name().name() != "clientConfig" {
        return Err(ConfigError::NotAutoconfig(
            root.tag_name().name().to_string(),
        ));
    }
    let mut config = Config::default();
    for provider in children(root, "emailProvider") {
        config.provider = config
            .provider
            .or_else(|| provider.attribute("id").map(str::to_string));
        config.domains.extend(
            children(provider, "domain")
                .filter_map(|d| d.text())
                .map(|d| d.trim().to_ascii_lowercase()),
        );
        for server in children(provider, "outgoingServer") {
            if server.attribute("type") == Some("smtp") {
                config.smtp.extend(server_of(server, email, source));
            }
        }
        for server in children(provider, "incomingServer") {
            if server.attribute("type") == Some("imap") {
                config.imap.extend(server_of(server, email, source));
            }
        }
    }
    Ok(config)
}

fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn text_of(node: roxmltree::Node<'_, '_>, name: &'static str) -> Option<String> {
    children(node, name)
        .next()
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// One `incomingServer` / `outgoingServer` element, or `None` when it cannot be used.
fn server_of(node: roxmltree::Node<'_, '_>, email: &Email, source: Source) -> Option<Candidate> {
    let host = fill(&text_of(node, "hostname")?, email).to_ascii_lowercase();
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '/') {
        return None;
    }
    let port: u16 = text_of(node, "port")?.parse().ok().filter(|p| *p != 0)?;
    let security = match text_of(node, "socketType")?.to_ascii_lowercase().as_str() {
        "ssl" | "tls" => Security::Tls,
        "starttls" => Security::Starttls,
        "plain" => Security::Plain,
        _ => return None,
    };
    // The first authentication this version speaks, in the file's order of preference.
    let methods: Vec<String> = children(node, "authentication")
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect();
    let method = if methods.is_empty() {
        Method::Password
    } else {
        methods.iter().find_map(|m| method_of(m))?
    };
    let username = text_of(node, "username").map(|u| fill(&u, email));
    Some(Candidate {
        host,
        port,
        security,
        username,
        method,
        source,
    })
}

fn method_of(value: &str) -> Option<Method> {
    match value {
        "password-cleartext" | "password-encrypted" | "plain" | "secure" => Some(Method::Password),
        "OAuth2" => Some(Method::OAuth2),
        "none" => Some(Method::None),
        _ => None,
    }
}

/// Fills the placeholders Thunderbird defines.
fn fill(text: &str, email: &Email) -> String {
    text.replace("%EMAILADDRESS%", &email.address)
        .replace("%EMAILLOCALPART%", &email.local)
        .replace("%EMAILDOMAIN%", &email.domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ana() -> Email {
        Email::parse("Ana@Example.org").unwrap()
    }

    const FILE: &str = r#"<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.org">
    <domain>example.org</domain>
    <domain>Example.net</domain>
    <incomingServer type="pop3">
      <hostname>pop.example.org</hostname><port>995</port><socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.%EMAILDOMAIN%</hostname><port>993</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>465</port><socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>GSSAPI</authentication>
      <authentication>OAuth2</authentication>
      <authentication>password-cleartext</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-encrypted</authentication>
    </outgoingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.org</hostname><port>25</port><socketType>NTLM-ish</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>"#;

    #[test]
    fn servers_come_in_the_files_order_with_placeholders_filled() {
        let config = parse(FILE, &ana(), Source::Domain).unwrap();
        assert_eq!(config.provider.as_deref(), Some("example.org"));
        assert_eq!(config.domains, ["example.org", "example.net"]);
        let smtp: Vec<_> = config
            .smtp
            .iter()
            .map(|c| (c.port, c.security, c.method, c.username.as_deref()))
            .collect();
        assert_eq!(
            smtp,
            [
                (465, Security::Tls, Method::OAuth2, Some("Ana@example.org")),
                (
                    587,
                    Security::Starttls,
                    Method::Password,
                    Some("Ana@example.org")
                ),
            ],
            "the unknown socket type is left out, the first method spoken is taken"
        );
        assert_eq!(config.imap.len(), 1, "POP3 is left out");
        assert_eq!(config.imap[0].host, "imap.example.org");
        assert_eq!(config.imap[0].username.as_deref(), Some("Ana"));
        assert_eq!(config.imap[0].source, Source::Domain);
    }

    #[test]
    fn what_is_not_an_autoconfig_file_is_named() {
        assert!(matches!(
            parse("<html><body>Not found</body></html>", &ana(), Source::Ispdb),
            Err(ConfigError::NotAutoconfig(root)) if root == "html"
        ));
        assert!(matches!(
            parse("{\"json\": true}", &ana(), Source::Ispdb),
            Err(ConfigError::NotXml(_))
        ));
    }

    #[test]
    fn a_server_without_a_port_or_with_a_bad_host_is_left_out() {
        let xml = r#"<clientConfig><emailProvider id="x">
            <outgoingServer type="smtp"><hostname>smtp.x.org</hostname><socketType>SSL</socketType></outgoingServer>
            <outgoingServer type="smtp"><hostname>evil host/x</hostname><port>465</port><socketType>SSL</socketType></outgoingServer>
            <outgoingServer type="smtp"><hostname>ok.x.org</hostname><port>99999</port><socketType>SSL</socketType></outgoingServer>
        </emailProvider></clientConfig>"#;
        assert!(parse(xml, &ana(), Source::Domain).unwrap().smtp.is_empty());
    }
}
