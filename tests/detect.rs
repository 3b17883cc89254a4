//! Account detection (`mailroom profile detect`), one step of the order at a time, against
//! real servers on loopback: dnsmasq for MX/SRV/A records, HTTPS file servers for the
//! domain's own configuration and the ISP database, TLS SMTP servers on standard ports for
//! the guess step. The bed is described in `tests/support/detect_bed.rs`, its files in
//! `tests/support/detect-www/`; bad input and hostile answers are `detect_hostile.rs`, from
//! an address to a delivered message `detect_e2e.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::time::Duration;

use support::detect_bed::{BIG_SRV_BEST, bed, probe};
use support::detect_cli::*;

// --- The bed on its own (no Mailroom): if these fail, the contract tests say nothing.

#[test]
fn the_bed_dns_server_answers_a_mx_and_srv_and_nothing_else() {
    let bed = bed();
    let dns = format!("127.0.0.1:{}", bed.dns_port);
    for (kind, name, want) in [
        ("A", "autoconfig.selfhosted.test", "rcode=0 answers=1"),
        ("A", "smtp.guess.test", "rcode=0 answers=1"),
        ("MX", "mxcustomer.test", "rcode=0 answers=1"),
        ("SRV", "_submissions._tcp.srv.test", "rcode=0 answers=1"),
        ("SRV", "_submissions._tcp.srvdot.test", "rcode=0 answers=1"),
        ("A", "nowhere.test", "rcode=3 answers=0"),
        ("A", "example.com", "rcode=3 answers=0"),
    ] {
        let (ok, out) = probe(&["dns", &dns, kind, name]);
        assert!(ok && out.contains(want), "{kind} {name}: {out}");
    }
    // Too big for UDP (even with EDNS's 1232 bytes): truncated, so a client must use TCP.
    let (ok, out) = probe(&["dns", &dns, "SRV", "_submission._tcp.bigsrv.test"]);
    assert!(ok && out.contains("tc=1"), "{out}");
    assert!(
        bed.dns_queries()
            .contains(&("SRV".into(), "_submissions._tcp.srv.test".into())),
        "the query log: {:?}",
        bed.dns_queries()
    );
}

#[test]
fn the_bed_web_server_serves_each_host_its_own_files_over_https_with_the_test_ca() {
    let bed = bed();
    let ca = bed.ca_bundle();
    let ca = ca.to_str().unwrap();
    let (ok, out) = probe(&[
        "https",
        &bed.addr(2),
        "autoconfig.selfhosted.test",
        "/mail/config-v1.1.xml?emailaddress=probe%40selfhosted.test",
        ca,
    ]);
    assert!(ok && out.starts_with("status=200"), "{out}");
    assert!(out.contains("%EMAILLOCALPART%"), "{out}");
    let (ok, out) = probe(&[
        "https",
        &bed.addr(2),
        "autoconfig.redirect.test",
        "/mail/config-v1.1.xml",
        ca,
    ]);
    assert!(ok && out.starts_with("status=302"), "{out}");
    let (ok, out) = probe(&[
        "https",
        &bed.addr(2),
        "autoconfig.huge.test",
        "/mail/config-v1.1.xml",
        ca,
    ]);
    assert!(ok && out.len() > 2 * 1024 * 1024, "{}", out.len());
    // The ISP database: on localhost, by domain.
    let ispdb = format!("127.0.0.1:{}", bed.ispdb_port);
    let (ok, out) = probe(&["https", &ispdb, "localhost", "/v1.1/ispdb-only.test", ca]);
    assert!(ok && out.contains("smtp.ispdb-only.test"), "{out}");
    let (ok, out) = probe(&["https", &ispdb, "localhost", "/v1.1/unknown.test", ca]);
    assert!(ok && out.starts_with("status=404"), "{out}");
    let logged = bed
        .web_requests()
        .iter()
        .any(|r| r.host == "autoconfig.selfhosted.test" && r.query.contains("probe%40"));
    assert!(logged, "{:?}", bed.web_requests());
    // Not trusted without the test CA.
    let (ok, out) = probe(&[
        "https",
        &bed.addr(2),
        "wellknown.test",
        "/.well-known/autoconfig/mail/config-v1.1.xml",
        "/etc/ssl/certs/ca-certificates.crt",
    ]);
    assert!(!ok, "{out}");
}

#[test]
fn the_bed_smtp_servers_answer_with_tls_only_for_their_own_names() {
    let bed = bed();
    let ca = bed.ca_bundle();
    let ca = ca.to_str().unwrap();
    let (ok, out) = probe(&["smtp", &bed.addr(5), "465", "smtp.guess.test", ca, "tls"]);
    assert!(ok && out.starts_with("250"), "{out}");
    let (ok, out) = probe(&[
        "smtp",
        &bed.addr(6),
        "587",
        "mail.guess587.test",
        ca,
        "starttls",
    ]);
    assert!(ok && out.starts_with("250"), "{out}");
    let (ok, out) = probe(&["smtp", &bed.addr(7), "465", "smtp.badcert.test", ca, "tls"]);
    assert!(!ok && out.contains("CERTIFICATE_VERIFY_FAILED"), "{out}");
    let (ok, out) = probe(&[
        "smtp",
        &bed.addr(8),
        "587",
        "smtp.plainonly.test",
        ca,
        "starttls",
    ]);
    assert!(!ok && out.contains("no STARTTLS"), "{out}");
    assert!(
        bed.smtp_transcripts("smtp.guess.test")
            .to_ascii_uppercase()
            .contains("C: EHLO")
    );
}

// --- (1) Built-in provider files: no network at all.

#[test]
fn gmail_is_known_from_the_built_in_files_without_any_network_setting() {
    // No bed, no MAILROOM_AUTOCONFIG_*: there is no network here, so only a built-in
    // file can answer (and it must answer at once, not after a deadline).
    let (run, took) = detect_in(
        vec![(
            "DBUS_SESSION_BUS_ADDRESS".into(),
            "unix:path=/nonexistent/mailroom-test-bus".into(),
        )],
        &["ana@gmail.com", "--json"],
    );
    let found = Found::of(run.ok());
    assert_eq!(found.source(), "builtin", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.gmail.com", 465, "tls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp.auth, "oauth2", "{}", found.shown());
    assert_eq!(smtp.source, "builtin", "{}", found.shown());
    assert_eq!(found.json["email"], "ana@gmail.com");
    assert!(
        found.notes().iter().any(|n| n.contains("OAuth2")),
        "no note that the provider needs OAuth2 sign-in: {}",
        found.shown()
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
}

#[test]
fn outlook_and_hotmail_are_known_from_the_built_in_files_and_nothing_is_asked_of_the_network() {
    for email in ["ana@outlook.com", "ana@hotmail.com"] {
        let found = detect(email);
        assert_eq!(found.source(), "builtin", "{}", found.shown());
        let smtp = found.first();
        assert_eq!(
            smtp.at(),
            ("smtp-mail.outlook.com", 587, "starttls"),
            "{}",
            found.shown()
        );
        assert_eq!(smtp.auth, "oauth2", "{}", found.shown());
    }
    assert_network_not_asked(&["outlook.com", "hotmail.com"]);
}

#[test]
fn microsoft_365_is_known_from_the_built_in_files_as_office365_com() {
    let found = detect("ana@office365.com");
    assert_eq!(found.source(), "builtin", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.office365.com", 587, "starttls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp.auth, "oauth2", "{}", found.shown());
    assert_network_not_asked(&["office365.com"]);
}

/// Neither the bed's DNS nor its web servers heard of these domains.
#[track_caller]
fn assert_network_not_asked(domains: &[&str]) {
    let bed = bed();
    for domain in domains {
        let asked: Vec<_> = bed
            .dns_queries()
            .into_iter()
            .filter(|(_, name)| name.ends_with(domain))
            .collect();
        assert!(asked.is_empty(), "DNS was asked: {asked:?}");
        let fetched: Vec<_> = bed
            .ispdb_requests()
            .into_iter()
            .chain(bed.web_requests())
            .filter(|r| r.path.contains(domain) || r.host.contains(domain))
            .collect();
        assert!(fetched.is_empty(), "fetched: {fetched:?}");
    }
}

// --- (2) The domain's own configuration.

#[test]
fn the_domains_autoconfig_server_is_asked_with_the_address_and_its_placeholders_are_filled() {
    let found = detect("ana@selfhosted.test");
    assert_eq!(found.source(), "domain", "{}", found.shown());
    assert_eq!(found.json["email"], "ana@selfhosted.test");
    let smtp = found.smtp();
    assert_eq!(smtp.len(), 2, "{}", found.shown());
    assert_eq!(
        smtp[0].at(),
        ("smtp.selfhosted.test", 465, "tls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp[0].username, "ana@selfhosted.test");
    assert_eq!(smtp[0].auth, "password");
    assert_eq!(smtp[0].source, "domain");
    // Several outgoingServer elements: alternatives, in the file's order.
    assert_eq!(
        smtp[1].at(),
        ("smtp.selfhosted.test", 587, "starttls"),
        "{}",
        found.shown()
    );
    let imap = found.imap();
    assert_eq!(
        imap.first().map(|s| (s.at(), s.username.as_str())),
        Some((("imap.selfhosted.test", 993, "tls"), "ana")),
        "{}",
        found.shown()
    );
    let asked = bed().web_requests().into_iter().any(|r| {
        r.host == "autoconfig.selfhosted.test"
            && r.path == "/mail/config-v1.1.xml"
            && percent_decoded(&r.query).contains("emailaddress=ana@selfhosted.test")
    });
    assert!(asked, "requests: {:?}", bed().web_requests());
}

#[test]
fn the_domains_well_known_configuration_is_used_when_there_is_no_autoconfig_host() {
    let found = detect("ana@wellknown.test");
    assert_eq!(found.source(), "domain", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.wellknown.test", 587, "starttls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp.username, "ana@wellknown.test");
    let asked = bed().web_requests().into_iter().any(|r| {
        r.host == "wellknown.test" && r.path == "/.well-known/autoconfig/mail/config-v1.1.xml"
    });
    assert!(asked, "requests: {:?}", bed().web_requests());
}

// --- (3) The ISP database.

#[test]
fn the_isp_database_is_asked_for_the_domain_and_never_sent_the_address() {
    let found = detect("bo.ispdb@ispdb-only.test");
    assert_eq!(found.source(), "ispdb", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.ispdb-only.test", 465, "tls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp.username, "bo.ispdb@ispdb-only.test");
    assert_eq!(smtp.source, "ispdb");
    assert_eq!(
        found.imap().first().map(|s| s.host.clone()).as_deref(),
        Some("imap.ispdb-only.test"),
        "{}",
        found.shown()
    );
    let requests = bed().ispdb_requests();
    assert!(
        requests.iter().any(|r| r.path == "/v1.1/ispdb-only.test"),
        "{requests:?}"
    );
    let leaked: Vec<_> = requests
        .iter()
        .filter(|r| percent_decoded(&format!("{} {}", r.path, r.query)).contains("bo.ispdb"))
        .collect();
    assert!(
        leaked.is_empty(),
        "the address reached the ISPDB: {leaked:?}"
    );
}

#[test]
fn an_isp_database_url_without_a_trailing_slash_gets_one() {
    let url = bed().ispdb_url();
    let found = detect_with(
        &[("MAILROOM_AUTOCONFIG_ISPDB", url.trim_end_matches('/'))],
        "cy@ispdb-only.test",
    );
    assert_eq!(found.source(), "ispdb", "{}", found.shown());
    assert_eq!(found.first().host, "smtp.ispdb-only.test");
}

// --- (4) MX: the MX host's base domain.

#[test]
fn a_domain_hosted_elsewhere_is_recognised_by_its_mx_hosts_base_domain() {
    // mxcustomer.test's MX is mx1.mail.protection.hostedmail.test: hostedmail.test is asked.
    let found = detect("ana@mxcustomer.test");
    assert_eq!(found.source(), "mx", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.hostedmail.test", 587, "starttls"),
        "{}",
        found.shown()
    );
    assert_eq!(
        smtp.username, "ana@mxcustomer.test",
        "placeholders are the address's"
    );
    assert_eq!(smtp.auth, "oauth2");
    let bed = bed();
    assert!(
        bed.dns_queries()
            .contains(&("MX".into(), "mxcustomer.test".into()))
    );
    assert!(
        bed.ispdb_requests()
            .iter()
            .any(|r| r.path == "/v1.1/hostedmail.test"),
        "{:?}",
        bed.ispdb_requests()
    );
}

#[test]
fn a_domain_whose_mx_is_microsoft_365s_gets_the_built_in_microsoft_365_settings() {
    // m365customer.test's MX is m365customer-test.mail.protection.outlook.com, a suffix
    // the built-in Microsoft 365 file lists: no web request is needed.
    let found = detect("ana@m365customer.test");
    assert_eq!(found.source(), "mx", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.office365.com", 587, "starttls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp.auth, "oauth2");
    assert_eq!(smtp.username, "ana@m365customer.test");
    assert!(
        !bed()
            .ispdb_requests()
            .iter()
            .any(|r| r.path.contains("outlook.com")),
        "the built-in file answered before the ISP database"
    );
}

#[test]
fn an_mx_host_under_a_two_level_suffix_like_co_uk_keeps_three_labels() {
    // ukcustomer.test's MX is mx.mail.example-isp.co.uk: example-isp.co.uk is asked.
    let found = detect("ana@ukcustomer.test");
    assert_eq!(found.source(), "mx", "{}", found.shown());
    assert_eq!(
        found.first().at(),
        ("smtp.example-isp.co.uk", 465, "tls"),
        "{}",
        found.shown()
    );
    assert!(
        bed()
            .ispdb_requests()
            .iter()
            .any(|r| r.path == "/v1.1/example-isp.co.uk"),
        "{:?}",
        bed().ispdb_requests()
    );
    assert!(
        !bed()
            .ispdb_requests()
            .iter()
            .any(|r| r.path == "/v1.1/co.uk"),
        "co.uk itself was asked"
    );
}

// --- (5) SRV records.

#[test]
fn srv_records_give_implicit_tls_before_starttls() {
    let found = detect("ana@srv.test");
    assert_eq!(found.source(), "srv", "{}", found.shown());
    let at: Vec<_> = found
        .smtp()
        .iter()
        .map(|s| (s.host.clone(), s.port, s.security.clone()))
        .collect();
    assert_eq!(
        at,
        [
            ("submit.srv.test".to_string(), 465, "tls".to_string()),
            ("submit.srv.test".to_string(), 587, "starttls".to_string())
        ],
        "{}",
        found.shown()
    );
    let queries = bed().dns_queries();
    for name in ["_submissions._tcp.srv.test", "_submission._tcp.srv.test"] {
        assert!(
            queries.contains(&("SRV".into(), name.into())),
            "{name}: {queries:?}"
        );
    }
}

#[test]
fn an_srv_record_pointing_at_dot_means_the_service_is_not_offered() {
    let found = detect("ana@srvdot.test");
    assert_eq!(found.source(), "srv", "{}", found.shown());
    let smtp = found.smtp();
    assert_eq!(
        smtp.iter().map(Server::at).collect::<Vec<_>>(),
        [("mail.srvdot.test", 587, "starttls")],
        "{}",
        found.shown()
    );
}

#[test]
fn srv_answers_too_big_for_udp_are_read_over_tcp() {
    // 30 records, the preferred one (priority 0) last: over UDP the answer is truncated.
    let found = detect("ana@bigsrv.test");
    assert_eq!(found.source(), "srv", "{}", found.shown());
    assert_eq!(
        found.first().at(),
        (BIG_SRV_BEST, 587, "starttls"),
        "{}",
        found.shown()
    );
}

// --- (6) Guess.

#[test]
fn a_server_answering_with_tls_on_465_at_smtp_dot_domain_is_guessed() {
    let found = detect("ana@guess.test");
    assert_eq!(found.source(), "guess", "{}", found.shown());
    let smtp = found.first();
    assert_eq!(
        smtp.at(),
        ("smtp.guess.test", 465, "tls"),
        "{}",
        found.shown()
    );
    assert_eq!(smtp.source, "guess");
    let heard = bed()
        .smtp_transcripts("smtp.guess.test")
        .to_ascii_uppercase();
    assert!(
        heard.contains("C: EHLO"),
        "the guess did not say EHLO: {heard}"
    );
}

#[test]
fn a_server_answering_starttls_on_587_at_mail_dot_domain_is_guessed() {
    let found = detect("ana@guess587.test");
    assert_eq!(found.source(), "guess", "{}", found.shown());
    assert_eq!(
        found.first().at(),
        ("mail.guess587.test", 587, "starttls"),
        "{}",
        found.shown()
    );
}

#[test]
fn a_guessed_server_whose_certificate_is_for_another_name_does_not_count() {
    let (run, _) = detect_in(detect_env(&[]), &["ana@badcert.test", "--json"]);
    assert_nothing_found(&run);
    assert!(
        !run.stdout.contains("\"smtp.badcert.test\""),
        "{}",
        run.stdout
    );
}

#[test]
fn a_server_without_tls_is_never_guessed() {
    let (run, _) = detect_in(detect_env(&[]), &["ana@plainonly.test", "--json"]);
    assert_nothing_found(&run);
    assert!(
        !run.stdout.contains("\"smtp.plainonly.test\""),
        "{}",
        run.stdout
    );
}
