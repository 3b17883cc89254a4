//! Add account in the desktop app (egui_kittest, by accessible name, real worker): the
//! first-run prompt next to From, finding a provider from the address alone, what is
//! shown before anything is saved, and Manual setup filled with what was found.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use egui_kittest::kittest::{NodeT, Queryable};
use support::Home;
use support::gui::{Gui, click, from_shows, gui, has_label, replace_text, type_into, wait_until};

fn value_of(gui: &Gui, field: &str) -> String {
    gui.get_by_label(field).value().unwrap_or_default()
}

#[test]
fn compose_offers_to_add_an_account_while_only_the_local_profile_exists() {
    let home = Home::new();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the local profile", |g| from_shows(g, "— local"));
    assert!(has_label(&gui, "delivers nowhere"));
    click(&mut gui, "Add your email account");
    assert!(
        has_label(&gui, "Add your email account") && has_label(&gui, "Email address"),
        "the prompt opens Add account"
    );

    let home = Home::new();
    home.postfix_profile("work", &[]);
    let mut gui = support::gui::gui(&home);
    wait_until(&mut gui, "the work profile", |g| from_shows(g, "— work"));
    assert!(
        gui.query_by_label("Add your email account").is_none(),
        "a real account exists: no prompt"
    );
}

#[test]
fn the_profile_form_says_where_sent_messages_and_drafts_are_kept() {
    let home = Home::new();
    home.example_profile(
        "work",
        &[
            "--password-command",
            "pass show mail/work",
            "--imap-host",
            "imap.example.org",
            "--sent-folder",
            "Archive/Sent",
        ],
    );
    let mut gui = gui(&home);
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— work"));
    click(&mut gui, "Profiles");
    click(&mut gui, "Edit work");
    assert_eq!(value_of(&gui, "IMAP server"), "imap.example.org");
    assert_eq!(value_of(&gui, "IMAP port"), "993");
    replace_text(&mut gui, "IMAP port", "1993");
    click(
        &mut gui,
        "Keep drafts on the server too (they show on the phone)",
    );
    click(&mut gui, "Save profile");
    wait_until(&mut gui, "the saved profile", |g| {
        has_label(g, "drafts kept there too")
    });
    let saved = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    for kept in ["port = 1993", "server_drafts = true", "Archive/Sent"] {
        assert!(saved.contains(kept), "{kept}: {saved}");
    }

    click(&mut gui, "Edit work");
    replace_text(&mut gui, "IMAP server", "");
    click(&mut gui, "Save profile");
    wait_until(&mut gui, "the profile without IMAP", |g| {
        !has_label(g, "imap.example.org")
    });
    let saved = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    assert!(!saved.contains("imap"), "{saved}");
}

#[test]
fn a_known_provider_is_found_from_the_address_and_shown_before_saving() {
    let home = Home::new();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the local profile", |g| from_shows(g, "— local"));
    click(&mut gui, "Profiles");
    click(&mut gui, "Add account");
    type_into(&mut gui, "Your name", "Ana Lima");
    type_into(&mut gui, "Email address", "ana.lima@gmail.com");
    click(&mut gui, "Find settings");
    wait_until(&mut gui, "the settings", |g| {
        has_label(
            g,
            "Sending through smtp.gmail.com:465 (TLS), as ana.lima@gmail.com",
        )
    });
    assert!(has_label(&gui, "from Mailroom's built-in provider list"));
    assert!(
        has_label(&gui, "signs in with OAuth2"),
        "the note says why no password is asked"
    );
    assert!(
        gui.query_by_label("Password").is_none(),
        "no password is asked for a sign-in that would refuse it"
    );
    assert!(
        gui.query_by_label("Sign in with Google…").is_some(),
        "Google signs in through the browser"
    );

    click(&mut gui, "Manual setup");
    assert_eq!(value_of(&gui, "Server"), "smtp.gmail.com");
    assert_eq!(value_of(&gui, "Port"), "465");
    assert_eq!(value_of(&gui, "Name"), "ana.lima@gmail.com");
    assert_eq!(value_of(&gui, "From"), "Ana Lima <ana.lima@gmail.com>");
    assert_eq!(value_of(&gui, "Username"), "ana.lima@gmail.com");
    let saved = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    assert!(
        !saved.contains("gmail"),
        "nothing was saved on its own: {saved}"
    );
}

#[test]
fn signing_in_without_a_client_id_says_how_to_get_one() {
    // No client id is built in or given: the sign-in stops before any browser opens and
    // names the fix; the profile is kept, shown as needing a sign-in.
    let home = Home::new();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the local profile", |g| from_shows(g, "— local"));
    click(&mut gui, "Profiles");
    click(&mut gui, "Add account");
    type_into(&mut gui, "Email address", "bo@hotmail.com");
    click(&mut gui, "Find settings");
    wait_until(&mut gui, "the settings", |g| {
        has_label(g, "Sign in with Microsoft…")
    });
    click(&mut gui, "Sign in with Microsoft…");
    wait_until(&mut gui, "the sign-in's end", |g| {
        has_label(g, "no OAuth2 client id for Microsoft")
    });
    assert!(has_label(&gui, "--oauth2-client-id"));
    assert!(has_label(&gui, "\"bo@hotmail.com\" is not signed in"));
    assert!(gui.query_by_label("Sign in again").is_some());
}

#[test]
fn an_address_without_a_domain_cannot_be_looked_up() {
    let home = Home::new();
    let mut gui = gui(&home);
    click(&mut gui, "Profiles");
    click(&mut gui, "Add account");
    type_into(&mut gui, "Email address", "ana");
    assert!(
        gui.get_by_label("Find settings")
            .accesskit_node()
            .is_disabled()
    );
    assert!(has_label(&gui, "it has no @domain"));
}

#[test]
fn an_account_found_from_the_address_is_signed_in_saved_and_sends_from_the_window() {
    // The window's process must trust the bed's CA and Postfix's (`SSL_CERT_FILE`, which
    // rustls-native-certs reads from the process's environment) and reach the test
    // keyring, so the window part runs in a child process of this test binary with that
    // environment; the parent then checks what it saved and sends with it.
    let env = support::detect_bed::bed().postfix_env("gui-e2e.test");
    let home = Home::with_env(env.clone());
    support::gui::window_part("window_part_of_adding_an_account", env, &home);

    let list = home.run(&["profile", "list", "--json"]).ok().stdout;
    let profiles: Vec<serde_json::Value> = serde_json::from_str(&list).unwrap();
    let saved = profiles
        .iter()
        .find(|p| p["id"] == "ana@gui-e2e.test")
        .unwrap_or_else(|| panic!("not saved: {list}"));
    assert_eq!(saved["from"], "Ana Lima <ana@gui-e2e.test>");
    assert_eq!(saved["port"], support::postfix::postfix().submission);
    home.run(&[
        "send",
        "--to",
        "gui-account@example.org",
        "--subject",
        "Set up in the window",
        "--body",
        "Found, signed in, saved.",
    ])
    .ok();
    let delivered =
        support::parse(&support::postfix::postfix().wait_for("gui-account@example.org"));
    assert_eq!(
        delivered.from().unwrap().first().unwrap().address(),
        Some("ana@gui-e2e.test"),
        "the new account became the default and sent as the address typed"
    );
}

/// The window part of the test above; it runs only in that test's child process.
#[test]
#[ignore = "run by an_account_found_from_the_address_is_signed_in_saved_and_sends_from_the_window"]
fn window_part_of_adding_an_account() {
    let mut gui = support::gui::window_part_home();
    wait_until(&mut gui, "the local profile", |g| from_shows(g, "— local"));
    click(&mut gui, "Add your email account");
    type_into(&mut gui, "Your name", "Ana Lima");
    type_into(&mut gui, "Email address", "ana@gui-e2e.test");
    click(&mut gui, "Find settings");
    wait_until(&mut gui, "the settings", |g| {
        has_label(g, "Sending through localhost:")
    });
    assert!(has_label(&gui, "from the Thunderbird ISP database"));
    assert!(
        has_label(&gui, "localhost is not in gui-e2e.test's domain"),
        "a server outside the address's domain is pointed out before saving"
    );
    type_into(&mut gui, "Password", support::postfix::PASSWORD);
    click(&mut gui, "Sign in and save");
    wait_until(&mut gui, "the saved account", |g| {
        has_label(g, "Saved \"ana@gui-e2e.test\"")
    });
    // Once an account exists, compose stops offering to add one.
    click(&mut gui, "Compose");
    wait_until(&mut gui, "the first-run prompt gone", |g| {
        g.query_by_label("Add your email account").is_none()
    });
}

#[test]
fn an_address_nothing_is_found_for_says_so_and_manual_setup_keeps_what_was_typed() {
    // The window's process must use the detection bed's DNS, ISP database and CA, so it
    // runs in a child process of this test binary with that environment.
    let env = support::detect_bed::bed().env();
    let home = Home::with_env(env.clone());
    support::gui::window_part("window_part_of_nothing_found", env, &home);
    let list = home.run(&["profile", "list", "--json"]).ok().stdout;
    assert!(!list.contains("nothing.test"), "nothing was saved: {list}");
}

/// The window part of the test above; it runs only in that test's child process.
#[test]
#[ignore = "run by an_address_nothing_is_found_for_says_so_and_manual_setup_keeps_what_was_typed"]
fn window_part_of_nothing_found() {
    let mut gui = support::gui::window_part_home();
    wait_until(&mut gui, "the local profile", |g| from_shows(g, "— local"));
    click(&mut gui, "Add your email account");
    type_into(&mut gui, "Your name", "Ana Lima");
    type_into(&mut gui, "Email address", "ana@nothing.test");
    click(&mut gui, "Find settings");
    wait_until(&mut gui, "the answer", |g| {
        has_label(g, "found no mail server for nothing.test")
    });
    assert!(has_label(
        &gui,
        "Use Manual setup to give the server yourself."
    ));
    assert!(
        gui.query_by_label("Sign in and save").is_none(),
        "nothing to save"
    );
    click(&mut gui, "Manual setup");
    assert_eq!(value_of(&gui, "Username"), "ana@nothing.test");
    assert_eq!(value_of(&gui, "Server"), "", "no server is made up");
}
