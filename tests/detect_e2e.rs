//! From an address and a password to a delivered message: `profile add --email` finds the
//! test Postfix in the ISP database (the detection bed), tests the connection, saves, and
//! `send` delivers through it; a flag given wins over what was found.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use serde_json::Value;
use support::Home;
use support::detect_bed::bed;
use support::parse;
use support::postfix::{self, postfix};

// --- From an address to a delivered message (Postfix, the keyring).

/// A home with the test keyring, the bed, Postfix's CA trusted, and an ISPDB entry for
/// `domain` naming Postfix's submission port ([`Bed::postfix_env`]).
fn e2e_home(domain: &str) -> Home {
    Home::with_env(bed().postfix_env(domain))
}

fn profile_json(home: &Home, id: &str) -> Value {
    let run = home.run(&["profile", "list", "--json"]).ok();
    let list: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    list.into_iter()
        .find(|p| p["id"] == id)
        .unwrap_or_else(|| panic!("no profile {id}: {}", run.stdout))
}

#[test]
fn an_address_and_a_password_are_enough_to_send_a_message_that_arrives() {
    let home = e2e_home("e2e.test");
    let run = home
        .run_with_stdin(
            &[
                "profile",
                "add",
                "work",
                "--email",
                "ana@e2e.test",
                "--name",
                "Ana Example",
                "--password-stdin",
            ],
            &format!("{}\n", postfix::PASSWORD),
        )
        .ok();
    let said = format!("{}{}", run.stdout, run.stderr).to_lowercase();
    assert!(
        said.contains("isp") || said.contains("ispdb"),
        "where the settings came from is not said: {said}"
    );
    let profile = profile_json(&home, "work");
    assert_eq!(profile["host"], "localhost", "{profile}");
    assert_eq!(profile["port"], postfix().submission, "{profile}");
    assert_eq!(profile["security"], "starttls", "{profile}");
    assert_eq!(profile["username"], postfix::USER, "{profile}");
    assert!(
        profile["from"]
            .as_str()
            .unwrap_or_default()
            .contains("ana@e2e.test"),
        "{profile}"
    );

    home.run(&[
        "send",
        "--profile",
        "work",
        "--to",
        "e2e-detect@example.org",
        "--subject",
        "Found by detection",
        "--body",
        "Hello from an address and a password.",
    ])
    .ok();
    let msg = parse(&postfix().wait_for("e2e-detect@example.org"));
    assert_eq!(msg.subject(), Some("Found by detection"));
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Ana Example"), Some("ana@e2e.test"))
    );
}

#[test]
fn a_flag_given_to_profile_add_wins_over_what_detection_found() {
    // Detection says submission + STARTTLS; --port/--security say SMTPS, and are kept.
    let home = e2e_home("e2e-flags.test");
    let smtps = postfix().smtps.to_string();
    home.run_with_stdin(
        &[
            "profile",
            "add",
            "flags",
            "--email",
            "bo@e2e-flags.test",
            "--port",
            &smtps,
            "--security",
            "tls",
            "--password-stdin",
        ],
        &format!("{}\n", postfix::PASSWORD),
    )
    .ok();
    let profile = profile_json(&home, "flags");
    assert_eq!(profile["host"], "localhost", "{profile}");
    assert_eq!(profile["port"], postfix().smtps, "{profile}");
    assert_eq!(profile["security"], "tls", "{profile}");
    assert_eq!(profile["username"], postfix::USER, "{profile}");
}
