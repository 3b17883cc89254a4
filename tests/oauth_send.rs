//! Signing in with OAuth2 and sending with the token (issue 14): the real `mailroom`
//! binary against the OAuth2 test bed (`support::oauth_bed`: a local authorization server;
//! Postfix submission taking XOAUTH2 and OAUTHBEARER, the token checked by Dovecot through
//! introspection), each test with a keyring of its own and a `BROWSER` script that plays
//! the person's browser. `faulty-smtp.py --bearer` is a server that offers only XOAUTH2
//! (or only OAUTHBEARER), checks the token by introspection too, and records how the
//! client answered its error challenge.
//!
//! The bed's settings (`config`) are server-wide, so every test holds `serial()`. Bad
//! answers from the provider and servers offering a single mechanism: `oauth_failures.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::oauth_bed::{CLIENT_ID, Config, OAUTH_USER};
use support::oauth_world::*;
use support::{parse, wait_for};

#[test]
fn a_profile_signed_in_through_the_browser_sends_with_oauthbearer_and_the_message_arrives_intact() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    assert!(
        w.status().contains("is not signed in"),
        "a new profile has no sign-in yet"
    );
    let tokens = w.sign_in();
    assert!(tokens.expires_at.is_some(), "{tokens:?}");
    assert!(
        w.status().contains(&format!(
            "Signed in as {OAUTH_USER}, access token valid until"
        )),
        "{}",
        w.status()
    );
    let introspected = w.bed.introspect(&tokens.access);
    assert_eq!(introspected["active"], true, "{introspected}");
    assert_eq!(introspected["email"], OAUTH_USER);
    assert_eq!(introspected["client_id"], CLIENT_ID);

    let subject = "Quarterly figures – signed in with OAuth2";
    let run = w.send(subject).ok();
    assert!(
        run.stdout.contains("Sent to ana-oauth@example.org"),
        "{run:?}"
    );

    let bytes = w.delivered(subject);
    let message = parse(&bytes);
    let from = message.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.address(), Some(OAUTH_USER));
    let to = message.to().and_then(|a| a.first()).unwrap();
    assert_eq!(
        (to.name(), to.address()),
        (Some("Ana Lima"), Some("ana-oauth@example.org"))
    );
    assert_eq!(
        message.body_text(0).as_deref().map(str::trim_end),
        Some("Sent with a token, not a password.")
    );
    assert!(message.message_id().is_some() && message.date().is_some());
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains(&format!("(Authenticated sender: {OAUTH_USER})")),
        "Postfix marks the sender as authenticated:\n{text}"
    );
    assert!(
        text.contains("with ESMTPSA"),
        "submitted over TLS with AUTH:\n{text}"
    );

    let sasl = w.sasl_line_of(&bytes);
    assert!(
        sasl.contains("sasl_method=OAUTHBEARER")
            && sasl.contains(&format!("sasl_username={OAUTH_USER}")),
        "offered XOAUTH2 and OAUTHBEARER, Mailroom takes OAUTHBEARER: {sasl}"
    );
    // Dovecot checked the very token that is in the keyring.
    let state = w.bed.state();
    let last = state["introspections"]
        .as_array()
        .and_then(|a| a.last().cloned())
        .unwrap_or_default();
    assert_eq!(last["active"], true, "{state}");
    assert!(
        tokens
            .access
            .ends_with(last["token_tail"].as_str().unwrap()),
        "{state}"
    );

    w.assert_no_token_leaked(&[&tokens]);
}

#[test]
fn the_browser_named_by_browser_gets_the_authorization_url_alone_and_no_token_is_left_anywhere() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    let first = w.sign_in();
    w.send("Leak check one").ok();
    // a refused access token, a refresh, and a second sign-in: every token stays private
    w.bed.config(&Config {
        rotate_refresh: Some(true),
        ..Config::default()
    });
    assert_eq!(w.bed.expire(&first.access), 1);
    w.send("Leak check two").ok();
    let second = w.tokens().unwrap();
    assert_ne!(second, first);
    let third = w.sign_in();
    w.send("Leak check three").ok();
    w.run(&["profile", "status", ID]).ok();
    w.run(&["profile", "list", "--json"]).ok();

    let starts = w.browser_starts();
    assert_eq!(starts.len(), 2, "one browser per sign-in: {starts:?}");
    for argv in &starts {
        let url = url::Url::parse(&argv[0]).unwrap();
        let query: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        assert_eq!(query.get("response_type").map(String::as_str), Some("code"));
        assert_eq!(query.get("client_id").map(String::as_str), Some(CLIENT_ID));
        assert_eq!(
            query.get("code_challenge_method").map(String::as_str),
            Some("S256")
        );
        assert_eq!(
            query.get("login_hint").map(String::as_str),
            Some(OAUTH_USER)
        );
        assert_eq!(query.get("scope").map(String::as_str), Some("mail"));
        assert!(
            query
                .get("redirect_uri")
                .is_some_and(|r| r.starts_with("http://127.0.0.1:")),
            "{query:?}"
        );
        assert!(
            query.get("state").is_some_and(|s| s.len() >= 16),
            "{query:?}"
        );
    }
    assert_ne!(starts[0], starts[1], "a new state and challenge each time");
    assert!(
        w.browser_pages(2).len() == 2
            && w.browser_pages(2)
                .iter()
                .all(|p| p.contains("You can close this tab")),
        "{:?}",
        w.browser_pages(2)
    );
    w.assert_no_token_leaked(&[&first, &second, &third]);
}

#[test]
fn an_access_token_the_server_has_expired_is_refreshed_and_a_rotated_refresh_token_replaces_the_old_one()
 {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    w.bed.config(&Config {
        rotate_refresh: Some(true),
        ..Config::default()
    });
    let before = w.sign_in();
    let tokens_issued = w.bed.state()["stats"]["token"].as_u64().unwrap();

    // Mailroom's own clock says the token is good; the server says it is not.
    assert_eq!(w.bed.expire(&before.access), 1);
    let run = w.send("After the server expired the token").ok();
    assert!(run.stdout.contains("Sent to"), "{run:?}");
    w.delivered("After the server expired the token");

    assert_eq!(
        w.bed.state()["stats"]["token"].as_u64().unwrap(),
        tokens_issued + 1,
        "exactly one refresh"
    );
    let after = w.tokens().expect("still signed in");
    assert_ne!(after.access, before.access, "a new access token is stored");
    assert_ne!(
        after.refresh, before.refresh,
        "the rotated refresh token is stored"
    );
    assert_eq!(w.bed.introspect(&after.access)["active"], true);
    let old = w.bed.token_request(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &before.refresh),
        ("client_id", CLIENT_ID),
    ]);
    assert_eq!(
        old.error().as_deref(),
        Some("invalid_grant"),
        "the old refresh token is dead: {old:?}"
    );
    // The new refresh token works: expire again, send again.
    assert_eq!(w.bed.expire(&after.access), 1);
    w.send("After the second refresh").ok();
    w.delivered("After the second refresh");
    let third = w.tokens().unwrap();
    assert_ne!(third.refresh, after.refresh);
    // The refused token was answered and retried, not a sign-in to redo.
    let dovecot = std::fs::read_to_string(w.bed.dovecot_log()).unwrap_or_default();
    assert!(!dovecot.is_empty());
    w.assert_no_token_leaked(&[&before, &after, &third]);
}

#[test]
fn an_access_token_about_to_expire_is_refreshed_before_it_is_used() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    // 30 s: inside the minute before expiry from the start.
    w.bed.config(&Config {
        access_ttl: Some(Some(30)),
        ..Config::default()
    });
    let before = w.sign_in();
    w.bed.config(&Config {
        access_ttl: Some(None),
        ..Config::default()
    });
    let introspections = w.bed.state()["stats"]["introspect"].as_u64().unwrap();
    let issued = w.bed.state()["stats"]["token"].as_u64().unwrap();
    w.send("Refreshed ahead of time").ok();
    w.delivered("Refreshed ahead of time");
    let state = w.bed.state();
    assert_eq!(
        state["stats"]["token"].as_u64().unwrap(),
        issued + 1,
        "{state}"
    );
    assert_eq!(
        state["stats"]["introspect"].as_u64().unwrap(),
        introspections + 1,
        "the old token never reached the server, only the new one: {state}"
    );
    let after = w.tokens().unwrap();
    assert_ne!(after.access, before.access);
    assert_eq!(
        after.refresh, before.refresh,
        "no rotation: the same refresh token"
    );
    // The new one is good for an hour: the next send refreshes nothing.
    w.send("No refresh needed").ok();
    assert_eq!(
        w.bed.state()["stats"]["token"].as_u64().unwrap(),
        issued + 1
    );
    w.assert_no_token_leaked(&[&before, &after]);
}

#[test]
fn a_revoked_sign_in_exits_4_asking_to_sign_in_again_and_signing_in_again_sends() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    let tokens = w.sign_in();
    w.bed.revoke(&tokens.refresh);
    assert_eq!(w.bed.introspect(&tokens.access)["active"], false);

    let run = w.send("Sent after the revocation").expect_code(4);
    assert!(
        run.stderr
            .contains("mailroom: work needs you to sign in again: mailroom profile login work"),
        "{run:?}"
    );
    assert_eq!(w.tokens(), None, "the dead tokens are forgotten");
    let status = w.status();
    assert!(
        status.contains("\"work\" is not signed in: mailroom profile login work"),
        "{status}"
    );
    // Nothing reached anyone.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        !w.bed
            .messages(&w.bed.other_maildir())
            .iter()
            .any(|m| parse(m).subject() == Some("Sent after the revocation"))
    );
    // Sending again without signing in: the same advice, at once.
    let run = w.send("Still not signed in").expect_code(4);
    assert!(
        run.stderr.contains("work needs you to sign in again"),
        "{run:?}"
    );

    let again = w.sign_in();
    assert_ne!(again.refresh, tokens.refresh);
    w.send("Sent after signing in again").ok();
    let bytes = w.delivered("Sent after signing in again");
    assert!(w.sasl_line_of(&bytes).contains("sasl_method=OAUTHBEARER"));
    w.assert_no_token_leaked(&[&tokens, &again]);
}

#[test]
fn due_messages_of_a_revoked_sign_in_wait_past_give_up_and_go_once_each_after_signing_in() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    let tokens = w.sign_in();
    std::fs::write(
        w.home.path().join("config/settings.toml"),
        "give_up_after_hours = 0\n",
    )
    .unwrap();
    let subjects = ["Waiting 1", "Waiting 2", "Waiting 3"];
    for subject in subjects {
        w.run(&[
            "send",
            "--profile",
            ID,
            "--to",
            "ana-oauth@example.org",
            "--subject",
            subject,
            "--body",
            "Queued, then the sign-in was revoked.",
            "--at",
            "now",
        ])
        .ok();
    }
    w.bed.revoke(&tokens.refresh);

    for pass in 1..=2 {
        let run = w.run(&["outbox", "run"]).expect_code(4);
        assert!(
            run.stderr
                .contains("3 messages wait for you to sign in again"),
            "pass {pass}: {run:?}"
        );
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&w.run(&["outbox", "list", "--json"]).ok().stdout).unwrap();
        assert_eq!(
            list.len(),
            3,
            "pass {pass}: nothing failed or went: {list:?}"
        );
        for entry in &list {
            assert_eq!(entry["state"], "waiting-for-sign-in", "{entry}");
            assert_eq!(entry["attempts"], 0, "no retry spent: {entry}");
        }
    }

    w.sign_in();
    w.run(&["outbox", "run"]).ok();
    for subject in subjects {
        w.delivered(subject);
    }
    std::thread::sleep(Duration::from_millis(500));
    w.run(&["outbox", "run"]).ok();
    let copies = |subject: &str| {
        w.bed
            .messages(&w.bed.other_maildir())
            .iter()
            .filter(|m| parse(m).subject() == Some(subject))
            .count()
    };
    for subject in subjects {
        assert_eq!(copies(subject), 1, "{subject} went exactly once");
    }
    let left: Vec<serde_json::Value> =
        serde_json::from_str(&w.run(&["outbox", "list", "--json"]).ok().stdout).unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn signing_out_forgets_the_tokens_and_send_then_asks_to_sign_in() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    w.sign_in();
    let run = w.run(&["profile", "logout", ID]).ok();
    assert!(run.stdout.contains("Signed out of \"work\""), "{run:?}");
    assert_eq!(w.tokens(), None);
    let run = w.run(&["profile", "logout", ID]).ok();
    assert!(run.stdout.contains("was not signed in"), "{run:?}");
    let run = w.send("After signing out").expect_code(4);
    assert!(
        run.stderr
            .contains("work needs you to sign in again: mailroom profile login work"),
        "{run:?}"
    );
}

#[test]
fn a_client_secret_given_with_the_client_id_reaches_the_token_endpoint() {
    // A provider whose desktop clients have a secret (Google): without it the code
    // exchange is refused; with it, signing in works.
    let w = World::new();
    w.bed.config(&Config {
        client_secret: Some(Some("desktop-secret".into())),
        ..Default::default()
    });
    w.add_profile(w.bed.submission, w.bed.issuer());
    let refused = w.login(Browser::Follow);
    assert_ne!(refused.code, 0, "{refused:?}");
    assert!(refused.stderr.contains("invalid_client"), "{refused:?}");
    assert_eq!(w.tokens(), None);

    w.run(&["profile", "remove", ID]).ok();
    w.add_profile_with(
        w.bed.submission,
        w.bed.issuer(),
        &["--oauth2-client-secret", "desktop-secret"],
    );
    w.sign_in();
    let shown = w.run(&["profile", "list"]).ok().stdout;
    assert!(!shown.contains("desktop-secret"), "{shown}");
}

#[test]
fn removing_a_signed_in_profile_forgets_its_tokens_so_a_new_one_of_that_name_starts_signed_out() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    w.sign_in();
    assert!(w.tokens().is_some());
    let run = w.run(&["profile", "remove", ID]).ok();
    assert!(
        run.stdout.contains("and its sign-in in the keyring"),
        "{run:?}"
    );
    assert_eq!(w.tokens(), None, "the tokens outlived their profile");
}

#[test]
fn a_device_code_sign_in_prints_the_code_and_address_and_waits_until_it_is_approved() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    let mut child = w
        .home
        .command(&["profile", "login", ID, "--device-code"])
        .env("BROWSER", w.browser(Browser::Follow))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut stderr = child.stderr.take().unwrap();
    let mut child = Killed(child);
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    // "To sign in, open URL and enter the code CODE (within N minutes)."
    let (url, rest) = first
        .strip_prefix("To sign in, open ")
        .and_then(|r| r.split_once(" and enter the code "))
        .unwrap_or_else(|| panic!("no code and address: {first:?}"));
    assert_eq!(url, w.bed.device_verification_url());
    let code = rest.split_whitespace().next().unwrap().to_string();
    assert!(rest.contains("(within 10 minutes)"), "{first}");

    // The command polls while nobody has approved yet.
    let polls = || w.bed.state()["stats"]["device_polls"].as_u64().unwrap();
    let start = polls();
    wait_for("the command to poll", Duration::from_secs(20), || {
        if polls() >= start + 2 {
            return true;
        }
        assert!(child.0.try_wait().unwrap().is_none(), "it gave up early");
        false
    });
    let approved = w.bed.device_approve(&code);
    assert_eq!(approved.status, 200, "{approved:?}");

    let mut exited = None;
    wait_for("the command to exit", Duration::from_secs(30), || {
        exited = child.0.try_wait().unwrap();
        exited.is_some()
    });
    let status = exited.expect("the command exited");
    let mut rest_out = String::new();
    stdout.read_to_string(&mut rest_out).unwrap();
    let mut err = String::new();
    stderr.read_to_string(&mut err).unwrap();
    assert!(status.success(), "{first}{rest_out}\n{err}");
    assert!(
        rest_out.contains(&format!("Signed in as {OAUTH_USER}")),
        "{rest_out}\n{err}"
    );
    assert!(
        w.browser_starts().is_empty(),
        "no browser for a device code sign-in"
    );
    let tokens = w.tokens().expect("tokens stored");
    for text in [&first, &rest_out, &err] {
        assert!(!text.contains(&tokens.access) && !text.contains(&tokens.refresh));
    }
    w.send("Signed in with a device code").ok();
    let bytes = w.delivered("Signed in with a device code");
    assert!(w.sasl_line_of(&bytes).contains("sasl_method=OAUTHBEARER"));
}

#[test]
fn a_device_code_nobody_approves_expires_with_a_clear_error_and_stores_nothing() {
    let w = World::new();
    w.bed.config(&Config {
        device_expires_in: Some(3),
        ..Default::default()
    });
    w.add_profile(w.bed.submission, w.bed.issuer());
    let started = Instant::now();
    let run = w.run(&["profile", "login", ID, "--device-code"]);
    assert_ne!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.to_lowercase().contains("expired"),
        "the error says the code expired: {run:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "it waited {:?} for a code that lasts 3 s",
        started.elapsed()
    );
    assert_eq!(w.tokens(), None);
}

#[test]
fn a_denied_device_code_is_a_clear_error_and_stores_nothing() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    let mut child = w
        .home
        .command(&["profile", "login", ID, "--device-code"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let code = first
        .split(" and enter the code ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("{first:?}"))
        .to_string();
    w.bed.device_deny(&code);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{err}");
    assert!(err.contains("access_denied"), "{err}");
    assert_eq!(w.tokens(), None);
}
