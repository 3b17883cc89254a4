//! Step 1: provider files shipped with Mailroom, in Thunderbird's autoconfig format
//! (`assets/autoconfig/`), so the biggest providers are found with no network at all.
//! Nothing per provider is written in Rust: a file's `<domain>` elements say which
//! addresses it serves, and the same parser reads it as any fetched file.

use super::autoconfig::{self, Config};
use super::{Email, Source};

/// The shipped files, by name.
pub const FILES: [(&str, &str); 3] = [
    (
        "gmail.com.xml",
        include_str!("../../assets/autoconfig/gmail.com.xml"),
    ),
    (
        "outlook.com.xml",
        include_str!("../../assets/autoconfig/outlook.com.xml"),
    ),
    (
        "office365.com.xml",
        include_str!("../../assets/autoconfig/office365.com.xml"),
    ),
];

/// The built-in configuration for the address's domain.
pub fn find(email: &Email) -> Option<Config> {
    find_domain(&email.domain, email)
}

/// The built-in configuration of `domain` (the address's own, or its mail host's), filled
/// for `email`.
pub fn find_domain(domain: &str, email: &Email) -> Option<Config> {
    FILES
        .iter()
        .filter_map(|(_, xml)| autoconfig::parse(xml, email, Source::Builtin).ok())
        .find(|config| config.domains.iter().any(|d| d == domain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Method;
    use crate::profile::Security;

    #[test]
    fn the_big_providers_copies_in_sent_are_left_to_them_and_others_are_filed_by_mailroom() {
        let detected = |address: &str| {
            let email = Email::parse(address).unwrap();
            let config = find(&email).unwrap();
            crate::detect::Detection {
                email: email.address,
                source: Source::Builtin,
                smtp: config.smtp,
                imap: config.imap,
                notes: Vec::new(),
                tried: Vec::new(),
            }
        };
        for (address, imap_host) in [
            ("ana@gmail.com", "imap.gmail.com"),
            ("ana@outlook.com", "outlook.office365.com"),
        ] {
            let detection = detected(address);
            let smtp = detection.best().unwrap().host.clone();
            let imap = detection.imap_settings(&smtp).unwrap();
            assert_eq!((imap.host.as_str(), imap.port), (imap_host, 993));
            assert_eq!(imap.security, Security::Tls);
            assert_eq!(
                imap.sent_copy,
                crate::profile::SentCopy::Provider,
                "{address}"
            );
        }
        let own_server = detected("ana@gmail.com").imap_settings("smtp.example.org");
        assert_eq!(
            own_server.unwrap().sent_copy,
            crate::profile::SentCopy::Upload
        );
    }

    #[test]
    fn every_shipped_file_parses_and_names_an_smtp_server() {
        let email = Email::parse("ana@example.org").unwrap();
        for (name, xml) in FILES {
            let config = autoconfig::parse(xml, &email, Source::Builtin)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!config.smtp.is_empty(), "{name} names no SMTP server");
            assert!(!config.domains.is_empty(), "{name} serves no domain");
        }
    }

    #[test]
    fn gmail_and_hotmail_are_known_without_the_network() {
        let gmail = find(&Email::parse("ana@gmail.com").unwrap()).unwrap();
        let smtp = &gmail.smtp[0];
        assert_eq!((smtp.host.as_str(), smtp.port), ("smtp.gmail.com", 465));
        assert_eq!(
            (smtp.security, smtp.method),
            (Security::Tls, Method::OAuth2)
        );
        assert_eq!(smtp.username.as_deref(), Some("ana@gmail.com"));
        let hotmail = find(&Email::parse("bo@hotmail.com").unwrap()).unwrap();
        assert_eq!(hotmail.smtp[0].host, "smtp-mail.outlook.com");
        assert_eq!(hotmail.smtp[0].security, Security::Starttls);
        assert!(find(&Email::parse("ana@example.org").unwrap()).is_none());
    }
}
