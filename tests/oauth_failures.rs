//! OAuth2 sign-in when the provider or the server answers badly (issue 14): a refused
//! consent, a token endpoint error, an answer that is not JSON, a forged `state`, a
//! browser that never comes back — each a clear error that changes nothing — and servers
//! that offer only XOAUTH2 or only OAUTHBEARER, with their error challenge answered as the
//! RFCs say. The world these tests share is `support/oauth_world.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::faulty::Faulty;
use support::oauth_bed::{Config, OAUTH_USER};
use support::oauth_world::*;
use support::parse;

/// Each bad answer: a clear error, and the profile and the keyring exactly as before (an
/// earlier sign-in survives a failed one).
#[test]
fn bad_answers_from_the_provider_are_clear_errors_that_change_nothing() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    let signed_in = w.sign_in();
    let toml = w.profiles_toml();
    let unchanged = |what: &str| {
        assert_eq!(
            w.tokens().as_ref(),
            Some(&signed_in),
            "{what}: keyring changed"
        );
        assert_eq!(w.profiles_toml(), toml, "{what}: profile changed");
    };

    // The person (or the provider) refuses consent.
    w.bed.config(&Config {
        deny_next_authorize: Some(true),
        ..Config::default()
    });
    let run = w.login(Browser::Follow);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr
            .contains("the sign-in was refused: access_denied (The user denied the request)"),
        "{run:?}"
    );
    assert!(
        w.browser_pages(2)
            .get(1)
            .is_some_and(|p| p.contains("the sign-in was refused: access_denied")),
        "the browser tab says so too: {:?}",
        w.browser_pages(2)
    );
    unchanged("access_denied");

    // The token endpoint refuses the code.
    w.bed.config(&Config {
        next_token_error: Some(Some("invalid_client".into())),
        ..Config::default()
    });
    let run = w.login(Browser::Follow);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr
            .contains("the sign-in was refused: invalid_client (forced by /testbed/config)"),
        "{run:?}"
    );
    assert!(
        w.browser_pages(3)
            .get(2)
            .is_some_and(|p| !p.contains("signed in")
                && p.contains("the sign-in was refused: invalid_client")),
        "the browser tab does not claim a sign-in that failed: {:?}",
        w.browser_pages(3)
    );
    unchanged("invalid_client");

    // The token endpoint is down for a while: exit 3, try again later.
    w.bed.config(&Config {
        next_token_error: Some(Some("temporarily_unavailable".into())),
        ..Config::default()
    });
    let run = w.login(Browser::Follow);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("(token endpoint): temporarily_unavailable"),
        "{run:?}"
    );
    unchanged("temporarily_unavailable");

    // An answer that comes back with another state than the one sent: a forged redirect.
    let exchanges = w.bed.state()["stats"]["token"].as_u64().unwrap();
    let run = w.login(Browser::TamperState);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr
            .contains("the sign-in answer did not match the request it was for (state)"),
        "{run:?}"
    );
    assert_eq!(
        w.bed.state()["stats"]["token"].as_u64().unwrap(),
        exchanges,
        "a code with the wrong state is never exchanged"
    );
    assert!(
        w.browser_pages(5).get(4).is_some_and(
            |p| !p.contains("signed in") && p.contains("did not match the request it was for")
        ),
        "the browser tab does not claim a sign-in that failed: {:?}",
        w.browser_pages(5)
    );
    unchanged("wrong state");

    // Nobody comes back: the deadline (here 2 s instead of 5 minutes).
    let started = Instant::now();
    let run = w.run_with(
        &["profile", "login", ID],
        Browser::Nothing,
        &[("MAILROOM_OAUTH2_DEADLINE_SECS", "2")],
    );
    let took = started.elapsed();
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr
            .contains("no answer from the browser within 2 s: sign-in abandoned"),
        "{run:?}"
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    unchanged("no redirect");

    // Still signed in as before, and it still sends.
    w.send("Still signed in after the bad answers").ok();
    w.delivered("Still signed in after the bad answers");
    w.assert_no_token_leaked(&[&signed_in]);
}

#[test]
fn a_token_endpoint_answering_html_is_a_clear_error_and_stores_nothing() {
    let w = World::new();
    let log = w.scripts.path().join("html-issuer.log");
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(HTML_ISSUER_PY)
        .arg(w.bed.authorize_url())
        .arg(&log)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut port = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let _issuer = Killed(child);
    let issuer = format!("http://127.0.0.1:{}", port.trim());
    w.add_profile(w.bed.submission, &issuer);
    let toml = w.profiles_toml();

    // 200 with an HTML page where the JSON should be
    let run = w.login(Browser::Follow);
    assert_eq!(run.code, 4, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "{issuer} (token endpoint) answered something that is not a token"
        )),
        "{run:?}"
    );
    assert!(!run.stderr.contains("<html>"), "no page dumped: {run:?}");
    // 502 with an HTML page (a proxy's error page): down for a while, exit 3
    let run = w.login(Browser::Follow);
    assert_eq!(run.code, 3, "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "{issuer} (token endpoint): HTTP 502 (an error page, not an OAuth2 answer)"
        )),
        "{run:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().lines().count(),
        2,
        "the code went to the token endpoint both times"
    );
    assert_eq!(w.tokens(), None);
    assert_eq!(w.profiles_toml(), toml);
    let status = w.status();
    assert!(status.contains("is not signed in"), "{status}");
}

/// A server that offers only `mechanism` (faulty-smtp.py, STARTTLS with the bed's
/// certificate, tokens checked by the bed's introspection): the send signs in with it; a
/// token the server refuses gets the error challenge, which Mailroom answers with
/// `answer`, then it refreshes and signs in again.
fn only_one_mechanism_is_offered(mechanism: &str, answer: &str) {
    let w = World::new();
    let certs = w.bed.dir.join("certs");
    let server = Faulty::start(&[
        "--bearer",
        mechanism,
        "--introspect",
        w.bed.introspect_url(),
        "--tls-cert",
        certs.join("server.crt").to_str().unwrap(),
        "--tls-key",
        certs.join("server.key").to_str().unwrap(),
    ]);
    w.add_profile(server.port, w.bed.issuer());
    let before = w.sign_in();
    let run = w.send("One mechanism only").ok();
    assert!(run.stdout.contains("Sent to"), "{run:?}");
    let attempts = bearer_attempts(&server);
    assert_eq!(attempts.len(), 1, "{attempts:?}");
    assert_eq!(attempts[0]["mechanism"], mechanism);
    assert_eq!(attempts[0]["user"], OAUTH_USER);
    assert_eq!(attempts[0]["outcome"], "accepted");
    assert_eq!(attempts[0]["tls"], true, "AUTH only after STARTTLS");
    if mechanism == "OAUTHBEARER" {
        assert_eq!(attempts[0]["host"], "localhost");
        assert_eq!(attempts[0]["port"], server.port.to_string());
    }
    assert_eq!(server.messages().len(), 1);

    // The server refuses the token: challenge, answer, 535; refresh; signed in.
    assert_eq!(w.bed.expire(&before.access), 1);
    let run = w.send("After the challenge").ok();
    assert!(run.stdout.contains("Sent to"), "{run:?}");
    let attempts = bearer_attempts(&server);
    assert_eq!(attempts.len(), 3, "{attempts:?}");
    assert_eq!(attempts[1]["mechanism"], mechanism);
    assert_eq!(attempts[1]["outcome"], "refused");
    assert_eq!(
        attempts[1]["challenge_answer"], answer,
        "the error challenge is answered as {mechanism} asks"
    );
    assert_eq!(attempts[2]["outcome"], "accepted", "{attempts:?}");
    let after = w.tokens().unwrap();
    assert_ne!(after.access, before.access);
    let messages = server.messages();
    assert_eq!(messages.len(), 2);
    let last = std::fs::read(messages.iter().max().unwrap()).unwrap();
    assert_eq!(parse(&last).subject(), Some("After the challenge"));
    let transcripts = server.transcripts();
    assert!(!transcripts.contains(&before.access) && !transcripts.contains(&after.access));

    // Refused again after the refresh: revoked for good; a sign-in to redo.
    w.bed.revoke(&after.refresh);
    let run = w.send("Never sent").expect_code(4);
    assert!(
        run.stderr
            .contains("work needs you to sign in again: mailroom profile login work"),
        "{run:?}"
    );
    let attempts = bearer_attempts(&server);
    assert_eq!(attempts.last().unwrap()["outcome"], "refused");
    assert_eq!(attempts.last().unwrap()["challenge_answer"], answer);
    assert_eq!(server.messages().len(), 2);
    w.assert_no_token_leaked(&[&before, &after]);
}

#[test]
fn a_server_offering_only_xoauth2_gets_xoauth2_and_its_error_challenge_an_empty_answer() {
    only_one_mechanism_is_offered("XOAUTH2", "");
}

#[test]
fn a_server_offering_only_oauthbearer_gets_oauthbearer_and_its_error_challenge_a_ctrl_a() {
    only_one_mechanism_is_offered("OAUTHBEARER", "AQ==");
}
