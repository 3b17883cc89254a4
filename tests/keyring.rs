//! Passwords in a real Secret Service (gnome-keyring on a private D-Bus), and the clear
//! error in each shape a desktop without a usable keyring can be in.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use support::Home;
use support::keyring::{self, Provider};

fn add_profile(home: &Home, id: &str, password: &str) -> support::Run {
    let args = support::example_profile_args(id, &["--password-stdin"]);
    home.run_with_stdin(&support::as_strs(&args), &format!("{password}\n"))
}

#[test]
fn add_stores_the_password_in_the_keyring_and_remove_deletes_it() {
    let home = Home::with_keyring();
    let session = keyring::session();
    let run = add_profile(&home, "kr-roundtrip", "s3cret-pw").ok();
    assert!(
        run.stdout
            .contains("service \"mailroom\", user \"kr-roundtrip\""),
        "{}",
        run.stdout
    );
    assert_eq!(session.lookup("kr-roundtrip").as_deref(), Some("s3cret-pw"));

    let toml = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    assert!(
        !toml.contains("s3cret-pw"),
        "no password in profiles.toml:\n{toml}"
    );

    home.run_with_stdin(
        &[
            "profile",
            "set-password",
            "kr-roundtrip",
            "--password-stdin",
        ],
        "changed\n",
    )
    .ok();
    assert_eq!(session.lookup("kr-roundtrip").as_deref(), Some("changed"));

    let run = home.run(&["profile", "remove", "kr-roundtrip"]).ok();
    assert!(
        run.stdout.contains("and its password in the keyring"),
        "{}",
        run.stdout
    );
    assert_eq!(session.lookup("kr-roundtrip"), None);
    assert!(
        !home
            .run(&["profile", "list"])
            .ok()
            .stdout
            .contains("kr-roundtrip")
    );
}

#[test]
fn a_profile_without_a_stored_password_says_how_to_fix_it() {
    let home = Home::with_keyring();
    add_profile(&home, "kr-missing", "pw").ok();
    let session = keyring::session();
    // Someone cleared the keyring behind Mailroom's back.
    let cleared = std::process::Command::new("secret-tool")
        .args(["clear", "service", "mailroom", "username", "kr-missing"])
        .envs(session.env())
        .status()
        .unwrap();
    assert!(cleared.success());
    let run = home
        .run(&[
            "send",
            "--to",
            "a@example.org",
            "--subject",
            "x",
            "--body",
            "x",
        ])
        .expect_code(2);
    assert!(
        run.stderr.contains("profile \"kr-missing\" has no stored password: run `mailroom profile set-password kr-missing`"),
        "{}",
        run.stderr
    );
}

#[test]
fn no_session_bus_is_reported_and_nothing_is_saved() {
    let home = Home::new(); // DBUS_SESSION_BUS_ADDRESS leads nowhere
    let run = add_profile(&home, "kr-nobus", "pw").expect_code(1);
    assert!(run.stderr.contains("no keyring answered"), "{}", run.stderr);
    assert!(
        run.stderr.contains("password_command"),
        "the fix is named: {}",
        run.stderr
    );
    assert!(
        !home
            .run(&["profile", "list"])
            .ok()
            .stdout
            .contains("kr-nobus")
    );
}

#[test]
fn a_bus_without_a_secrets_provider_is_reported() {
    let session = keyring::start(Provider::Nothing);
    let home = Home::with_env(session.env());
    let run = add_profile(&home, "kr-noprovider", "pw").expect_code(1);
    assert!(run.stderr.contains("no keyring answered"), "{}", run.stderr);
    assert!(
        run.stderr.contains("org.freedesktop.secrets"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_locked_keyring_is_reported() {
    let session = keyring::start(Provider::LockedKeyring);
    let home = Home::with_env(session.env());
    let run = add_profile(&home, "kr-locked", "pw").expect_code(1);
    assert!(
        run.stderr
            .contains("the keyring is locked or refused access"),
        "{}",
        run.stderr
    );
    assert!(
        !home
            .run(&["profile", "list"])
            .ok()
            .stdout
            .contains("kr-locked")
    );
}

#[test]
fn a_profile_that_cannot_be_saved_leaves_no_password_in_the_keyring() {
    let home = Home::with_keyring();
    let session = keyring::session();
    // The profiles file exists (a first run writes it with `local`); only the add fails.
    home.run(&["profile", "list"]).ok();
    let config = home.path().join("config");
    let before = std::fs::read_to_string(config.join("profiles.toml")).unwrap();
    let run = {
        let _frozen = support::Immutable::folder(&config);
        add_profile(&home, "kr-unwritable", "s3cret-pw")
    };
    let run = run.expect_code(1);
    assert!(
        run.stderr.contains("profiles.toml") && run.stderr.contains("Operation not permitted"),
        "{}",
        run.stderr
    );
    assert_eq!(
        session.lookup("kr-unwritable"),
        None,
        "stored, then taken back"
    );
    let after = std::fs::read_to_string(config.join("profiles.toml")).unwrap();
    assert_eq!(before, after);
}
