//! The Profiles view of the desktop app, driven through egui_kittest by accessible names
//! with its real worker: the profile form, Test connection against the real Postfix and a
//! server that never answers, editing, renaming and removing, and a save that fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use eframe::egui;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use support::Home;
use support::gui::{Gui, click, from_shows, gui, has_label, replace_text, type_into, wait_until};
use support::keyring;
use support::postfix::postfix;

fn fill_profile_form(gui: &mut Gui, port: u16, password: &str) {
    click(gui, "Profiles");
    click(gui, "Manual setup");
    type_into(gui, "Name", "gui-work");
    type_into(gui, "From", "Me <me@example.org>");
    type_into(gui, "Server", "localhost");
    replace_text(gui, "Port", &port.to_string());
    type_into(gui, "Username", support::postfix::USER);
    type_into(gui, "Password", password);
}

/// The profile form filled in for the test Postfix (STARTTLS, its CA), with `password`.
fn fill_postfix_form(gui: &mut Gui, password: &str) {
    let server = postfix();
    fill_profile_form(gui, server.submission, password);
    type_into(gui, "Extra CA file", server.ca_file().to_str().unwrap());
}

#[test]
fn test_connection_shows_the_servers_answer_and_a_wrong_password() {
    let home = Home::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— local"));
    fill_postfix_form(&mut gui, "wrong-password");
    click(&mut gui, "Test connection");
    wait_until(&mut gui, "the server's answer", |g| {
        has_label(g, "535 5.7.8")
    });

    replace_text(&mut gui, "Password", support::postfix::PASSWORD);
    click(&mut gui, "Test connection");
    wait_until(&mut gui, "the login", |g| has_label(g, "logged in: 235"));
    assert!(has_label(&gui, "encrypted, certificate verified"));
    assert!(
        gui.query_all_by_role(Role::PasswordInput).count() == 1,
        "the password field is masked"
    );
}

#[test]
fn frames_keep_coming_while_a_dead_server_is_tested() {
    let silent = support::faulty::Faulty::start(&["--mode", "hang-greeting", "--hang-for", "30"]);
    let home = Home::new();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— local"));
    fill_profile_form(&mut gui, silent.port, "x");
    click(&mut gui, "Test connection");
    // The server never answers; the UI keeps drawing frames and showing the spinner.
    for frame in 0..50 {
        gui.step();
        assert!(
            has_label(&gui, "Testing…"),
            "frame {frame} still shows the test running"
        );
        type_into(&mut gui, "Name", "x"); // and still takes input
    }
    drop(silent); // the server goes away: the worker's answer arrives
    wait_until(&mut gui, "the failure", |g| !has_label(g, "Testing…"));
    assert!(
        has_label(&gui, "localhost:"),
        "the failure names the server"
    );
}

#[test]
fn editing_a_profile_keeps_what_the_form_does_not_change_and_removing_asks_first() {
    const PIN: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    let home = Home::new();
    home.example_profile(
        "work",
        &[
            "--pin-sha256",
            PIN,
            "--password-command",
            "pass show mail/work",
            "--timeout-secs",
            "15",
            "--imap-host",
            "imap.example.org",
            "--imap-user",
            "mailbox-7@example.org",
        ],
    );
    let mut gui = gui(&home);
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— work"));
    click(&mut gui, "Profiles");
    click(&mut gui, "Add account");
    click(&mut gui, "Edit work");
    // The form opens with the focus in its first field, not back at the window, and
    // takes the place of Add account: one form at a time.
    assert!(gui.get_by_label("Name").is_focused());
    assert!(
        gui.query_by_label("Your name").is_none(),
        "Add account is closed by Edit"
    );
    assert_eq!(
        gui.get_by_label("Pinned certificate").value().as_deref(),
        Some(PIN)
    );
    assert_eq!(
        gui.get_by_label("IMAP username").value().as_deref(),
        Some("mailbox-7@example.org"),
        "an IMAP login unlike the server's is shown, so it can be changed"
    );
    replace_text(&mut gui, "Name", "office");
    click(&mut gui, "Save profile");
    wait_until(&mut gui, "the renamed profile", |g| {
        has_label(g, "Edit office")
    });
    // The form is gone: the focus is on the saved profile, "Saved" is announced.
    assert!(gui.get_by_label("Edit office").is_focused());
    let saved = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    assert!(!saved.contains("\"work\""), "renamed, not copied: {saved}");
    for kept in [
        PIN,
        "pass show mail/work",
        "timeout_secs = 15",
        "smtp.example.org",
        "mailbox-7@example.org",
    ] {
        assert!(saved.contains(kept), "{kept} is kept: {saved}");
    }

    click(&mut gui, "Remove office");
    assert!(has_label(&gui, "Edit office"), "nothing is removed yet");
    // The focused button became a question: the focus is on its safe answer.
    assert!(gui.get_by_label("Keep it").is_focused());
    click(&mut gui, "Keep it");
    click(&mut gui, "Remove office");
    click(&mut gui, "Yes, remove office");
    wait_until(&mut gui, "the removal", |g| !has_label(g, "Edit office"));
    let saved = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    assert!(!saved.contains("office"), "{saved}");
}

#[test]
fn a_renamed_profile_keeps_its_password() {
    // No keyring answers here: the typed password is kept for this session, and the
    // renamed profile must still log in with it.
    let home = Home::new();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— local"));
    fill_postfix_form(&mut gui, support::postfix::PASSWORD);
    click(&mut gui, "Save profile");
    wait_until(&mut gui, "the saved profile", |g| {
        has_label(g, "Edit gui-work")
    });
    assert!(has_label(&gui, "kept for this session only"));

    click(&mut gui, "Edit gui-work");
    replace_text(&mut gui, "Name", "renamed");
    click(&mut gui, "Save profile");
    wait_until(&mut gui, "the renamed profile", |g| {
        has_label(g, "Edit renamed")
    });
    click(&mut gui, "Edit renamed");
    click(&mut gui, "Test connection");
    wait_until(&mut gui, "the login", |g| {
        has_label(g, "logged in: 235") || has_label(g, "535")
    });
    assert!(has_label(&gui, "logged in: 235"), "the password came along");
}

#[test]
fn a_profile_save_that_fails_leaves_the_old_password_in_the_keyring() {
    // Only the window changes a stored password while editing a profile. Its process must
    // reach the test keyring, so the window part runs in a child process of this test
    // binary with that environment.
    let env = keyring::session().env();
    let home = Home::with_env(env.clone());
    let args = support::example_profile_args("gui-unwritable", &["--password-stdin"]);
    home.run_with_stdin(&support::as_strs(&args), "old-pw\n")
        .ok();
    let config = home.path().join("config");
    let profiles_before = std::fs::read_to_string(config.join("profiles.toml")).unwrap();
    {
        let _frozen = support::Immutable::folder(&config);
        support::gui::window_part("window_part_of_a_failed_save", env, &home);
    }
    assert_eq!(
        keyring::session().lookup("gui-unwritable").as_deref(),
        Some("old-pw"),
        "the password typed for a save that failed is not kept"
    );
    let profiles_after = std::fs::read_to_string(config.join("profiles.toml")).unwrap();
    assert_eq!(profiles_before, profiles_after);
}

/// The window part of the test above; it runs only in that test's child process.
#[test]
#[ignore = "run by a_profile_save_that_fails_leaves_the_old_password_in_the_keyring"]
fn window_part_of_a_failed_save() {
    let mut gui = support::gui::window_part_home();
    wait_until(&mut gui, "the profile", |g| {
        from_shows(g, "— gui-unwritable")
    });
    click(&mut gui, "Profiles");
    click(&mut gui, "Edit gui-unwritable");
    type_into(&mut gui, "Password", "new-pw");
    click(&mut gui, "Save profile");
    wait_until(&mut gui, "the failed save", |g| {
        has_label(g, "Operation not permitted")
    });
    assert!(
        has_label(&gui, "profiles.toml"),
        "the problem names the file"
    );
    assert!(
        has_label(&gui, "Save profile"),
        "the form stays open with what was typed"
    );
}
