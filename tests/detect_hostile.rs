//! Account detection given bad input and hostile answers: nothing found, addresses that are
//! not addresses, configurations that are not XML, huge, or redirect where they should
//! not, servers outside the address's domain or unencrypted, an ISP database slower than
//! the deadline. Each is a clear answer; none crashes, hangs or saves anything.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::time::Duration;

use support::detect_bed::bed;
use support::detect_cli::*;

// --- Nothing found, bad input.

#[test]
fn when_nothing_is_found_it_exits_2_names_every_step_tried_and_suggests_host() {
    let bed = bed();
    let (run, took) = detect_in(detect_env(&[]), &["ana@nothing.test"]);
    assert_nothing_found(&run);
    let said = run.stderr.to_lowercase();
    let ispdb_host = format!("localhost:{}", bed.ispdb_port);
    for (step, any_of) in [
        (
            "the domain's autoconfig host",
            vec!["autoconfig.nothing.test"],
        ),
        ("the well-known URL", vec![".well-known"]),
        (
            "the ISP database",
            vec!["ispdb", "isp database", ispdb_host.as_str()],
        ),
        ("MX", vec!["mx"]),
        ("SRV", vec!["srv", "_submissions._tcp.nothing.test"]),
        ("the guess", vec!["smtp.nothing.test"]),
    ] {
        assert!(
            any_of.iter().any(|s| said.contains(s)),
            "{step} is not named (any of {any_of:?}): {}",
            run.stderr
        );
    }
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn a_domain_that_does_not_resolve_is_nothing_found_not_a_crash_or_a_hang() {
    let (run, took) = detect_in(detect_env(&[]), &["ana@nowhere-at-all.test"]);
    assert_nothing_found(&run);
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn an_address_without_a_domain_is_refused_before_anything_is_asked() {
    for email in ["ana", "ana@", "@selfhosted.test"] {
        let (run, took) = detect_in(detect_env(&[]), &[email]);
        assert_refused_cleanly(&run, email);
        assert!(took < Duration::from_secs(3), "{email}: took {took:?}");
    }
}

#[test]
fn an_address_with_two_at_signs_is_refused() {
    // Beyond the contract's letter: an unquoted local part cannot hold "@" (RFC 5322).
    let (run, _) = detect_in(detect_env(&[]), &["ana@@selfhosted.test"]);
    assert_refused_cleanly(&run, "ana@@selfhosted.test");
}

#[test]
fn an_address_with_spaces_is_refused_before_anything_is_asked() {
    for email in ["ana maria@selfhosted.test", "ana@self hosted.test"] {
        let (run, _) = detect_in(detect_env(&[]), &[email]);
        assert_refused_cleanly(&run, email);
    }
    let asked: Vec<_> = bed()
        .web_requests()
        .into_iter()
        .filter(|r| percent_decoded(&r.query).contains("ana maria") || r.host.contains(' '))
        .collect();
    assert!(asked.is_empty(), "{asked:?}");
    let queried: Vec<_> = bed()
        .dns_queries()
        .into_iter()
        .filter(|(_, n)| n.contains("self hosted") || n.contains("self\\032hosted"))
        .collect();
    assert!(queried.is_empty(), "{queried:?}");
}

// --- Hostile answers.

#[test]
fn a_configuration_that_is_not_xml_is_passed_over_for_the_next_step() {
    let found = detect("ana@notxml.test");
    assert_eq!(found.source(), "ispdb", "{}", found.shown());
    assert_eq!(found.first().host, "smtp.ispdb.notxml.test");
    assert!(
        bed()
            .web_requests()
            .iter()
            .any(|r| r.host == "autoconfig.notxml.test"),
        "the domain step was not tried"
    );
}

#[test]
fn a_huge_configuration_is_refused_and_the_next_step_answers() {
    // 2 MiB (streamed, no Content-Length) around a valid configuration: over the 256 KiB cap.
    let (run, took) = detect_in(detect_env(&[]), &["ana@huge.test", "--json"]);
    let found = Found::of(run.ok());
    assert!(
        !found.run.stdout.contains("smtp.accepted-huge.test"),
        "the huge file was read: {}",
        found.shown()
    );
    assert_eq!(found.source(), "ispdb", "{}", found.shown());
    assert_eq!(found.first().host, "smtp.ispdb.huge.test");
    assert!(took < Duration::from_secs(8), "took {took:?}");
}

#[test]
fn a_redirect_to_another_domain_over_https_is_followed() {
    let found = detect("ana@redirect.test");
    assert_eq!(found.source(), "domain", "{}", found.shown());
    assert_eq!(
        found.first().at(),
        ("smtp.redirect.test", 465, "tls"),
        "{}",
        found.shown()
    );
    assert!(
        bed()
            .web_requests()
            .iter()
            .any(|r| r.host == "config.elsewhere.test" && r.path == "/redirected/config-v1.1.xml"),
        "{:?}",
        bed().web_requests()
    );
}

#[test]
fn a_redirect_to_plain_http_is_refused() {
    let found = detect("ana@httpredirect.test");
    assert!(
        bed().plain_http_requests().is_empty(),
        "plain HTTP was fetched: {:?}",
        bed().plain_http_requests()
    );
    assert!(
        !found.run.stdout.contains("smtp.followed-plain-http.test"),
        "{}",
        found.shown()
    );
    assert_eq!(found.source(), "ispdb", "{}", found.shown());
    assert_eq!(found.first().host, "smtp.ispdb.httpredirect.test");
}

#[test]
fn three_redirects_are_followed() {
    let found = detect("ana@threehops.test");
    assert_eq!(found.source(), "domain", "{}", found.shown());
    assert_eq!(
        found.first().host,
        "smtp.threehops.test",
        "{}",
        found.shown()
    );
}

#[test]
fn a_fourth_redirect_is_refused() {
    let found = detect("ana@fourhops.test");
    assert!(
        !found.run.stdout.contains("smtp.followed-four-hops.test"),
        "{}",
        found.shown()
    );
    assert!(
        !bed()
            .web_requests()
            .iter()
            .any(|r| r.path == "/four/final.xml"),
        "the fourth redirect was followed"
    );
    assert_eq!(found.source(), "ispdb", "{}", found.shown());
    assert_eq!(found.first().host, "smtp.ispdb.fourhops.test");
}

#[test]
fn a_server_outside_the_addresss_domain_is_shown_with_a_note_naming_it() {
    let found = detect("ana@otherdomain.test");
    assert_eq!(
        found.first().host,
        "smtp.provider-elsewhere.test",
        "{}",
        found.shown()
    );
    assert!(
        found
            .notes()
            .iter()
            .any(|n| n.contains("smtp.provider-elsewhere.test")
                && n.contains("otherdomain.test")
                && n.contains("not in")),
        "no note that the server is not in otherdomain.test's domain: {}",
        found.shown()
    );
    // A server in the address's own domain gets no such note.
    let own = detect("dee@wellknown.test");
    assert!(
        !own.notes().iter().any(|n| n.contains("not in")),
        "{}",
        own.shown()
    );
}

#[test]
fn a_plain_text_server_is_found_with_an_unencrypted_note() {
    let found = detect("ana@plaintext.test");
    assert_eq!(
        found.first().at(),
        ("smtp.plaintext.test", 25, "plain"),
        "{}",
        found.shown()
    );
    assert!(
        found.notes().iter().any(|n| n.contains("UNENCRYPTED")),
        "{}",
        found.shown()
    );
}

#[test]
fn profile_add_saves_nothing_for_an_unencrypted_server_or_when_nothing_is_found() {
    let home = support::Home::with_env(detect_env(&[]));
    let add = |email: &str, id: &str| {
        home.run_with_stdin(
            &["profile", "add", id, "--email", email, "--password-stdin"],
            "secret\n",
        )
        .expect_code(2)
    };
    let plain = add("ana@plaintext.test", "plain");
    assert!(
        plain
            .stderr
            .contains("smtp.plaintext.test:25, is UNENCRYPTED")
            && plain.stderr.contains("--security plain"),
        "{}",
        plain.stderr
    );
    let nothing = add("ana@nothing.test", "nothing");
    assert!(
        nothing
            .stderr
            .contains("found no mail server for nothing.test"),
        "{}",
        nothing.stderr
    );
    let list = home.run(&["profile", "list", "--json"]).ok().stdout;
    assert!(
        !list.contains("\"plain\"") && !list.contains("\"nothing\""),
        "a refused account was saved: {list}"
    );
}

#[test]
fn an_isp_database_that_is_down_does_not_hold_up_the_later_steps() {
    // Nothing listens on port 1: the connection is refused at once.
    let (run, took) = detect_in(
        detect_env(&[("MAILROOM_AUTOCONFIG_ISPDB", "https://127.0.0.1:1/v1.1/")]),
        &["ana@slow.test", "--json"],
    );
    assert!(
        took < Duration::from_secs(6),
        "took {took:?}: a refused connection is an answer"
    );
    found_by_srv_after_the_isp_database(Found::of(run.ok()));
}

/// slow.test's SRV answer won, though the ISP database was asked (or tried) first.
#[track_caller]
fn found_by_srv_after_the_isp_database(found: Found) {
    assert_eq!(found.source(), "srv", "{}", found.shown());
    assert_eq!(
        found.first().at(),
        ("smtp.slow.test", 465, "tls"),
        "{}",
        found.shown()
    );
}

#[test]
fn an_isp_database_slower_than_the_deadline_does_not_hold_up_the_later_steps() {
    // The ISPDB answers slow.test after 30 s; SRV has an answer at once.
    let (run, took) = detect_in(
        detect_env(&[("MAILROOM_AUTOCONFIG_DEADLINE_MS", "2000")]),
        &["ana@slow.test", "--json"],
    );
    assert!(
        took < Duration::from_secs(6),
        "took {took:?} (deadline 2 s)"
    );
    found_by_srv_after_the_isp_database(Found::of(run.ok()));
    assert!(
        bed()
            .ispdb_requests()
            .iter()
            .any(|r| r.path == "/v1.1/slow.test"),
        "the ISPDB was not asked"
    );
}
