//! The desktop app's bugs found by using it (issue 11), each as the person met it:
//! driven through egui_kittest by accessible name, over real stores and worker threads.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use mailroom::message::Draft;
use mailroom::paths::Dirs;
use mailroom::ui::Start;
use mailroom::ui::app::View;
use support::Home;
use support::gui::{
    Gui, click, drop_file, from_shows, gui, gui_with, has_label, type_into, wait_until,
};

fn subject_is(gui: &Gui, subject: &str) -> bool {
    gui.query_by_label("Subject")
        .and_then(|n| n.value())
        .as_deref()
        == Some(subject)
}

/// The window over `home`, once its profiles have loaded (only `local`, out of the box).
fn on_the_local_profile(home: &Home) -> Gui {
    let mut gui = gui(home);
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— local"));
    gui
}

/// What `drafts list` says on stderr: a damaged draft is named there.
fn drafts_list_problems(home: &Home) -> String {
    home.run(&["drafts", "list"]).ok().stderr
}

/// Types `text` into whatever has the keyboard focus, as a keyboard does.
fn type_keys(gui: &mut Gui, text: &str) {
    gui.input_mut().events.push(egui::Event::Text(text.into()));
    gui.step();
    gui.step();
}

#[test]
fn undo_brings_back_a_discarded_or_deleted_draft_with_its_attachment() {
    let home = Home::new();
    let pdf = home.file("extra.pdf", b"%PDF-1.4 the extra pages");
    let mut gui = on_the_local_profile(&home);
    type_into(&mut gui, "To", "ana@example.org");
    type_into(&mut gui, "Subject", "With a file");
    drop_file(&mut gui, pdf);
    wait_until(&mut gui, "the attachment", |g| has_label(g, "extra.pdf ("));
    click(&mut gui, "Save draft");
    wait_until(&mut gui, "the save", |g| has_label(g, "Saved "));

    click(&mut gui, "Discard");
    wait_until(&mut gui, "the undo toast", |g| {
        has_label(g, "Deleted \"With a file\"")
    });
    click(&mut gui, "Undo");
    wait_until(&mut gui, "the discarded draft back in compose", |g| {
        subject_is(g, "With a file") && has_label(g, "extra.pdf (24 bytes)")
    });
    wait_until(&mut gui, "the draft listed", |g| has_label(g, "Drafts (1)"));
    assert_eq!(drafts_list_problems(&home), "");

    click(&mut gui, "Drafts (1)");
    click(&mut gui, "With a file");
    click(&mut gui, "Delete");
    wait_until(&mut gui, "the undo toast", |g| {
        has_label(g, "Deleted \"With a file\"") && has_label(g, "Drafts (0)")
    });
    click(&mut gui, "Undo");
    wait_until(&mut gui, "the deleted draft back", |g| {
        has_label(g, "Drafts (1)")
    });
    assert_eq!(drafts_list_problems(&home), "", "nothing was quarantined");
    let id = home.drafts()[0]["id"].as_str().unwrap().to_string();
    let shown = home.run(&["drafts", "show", &id]).ok().stdout;
    assert!(
        shown.contains("Attachment: extra.pdf (24 bytes)"),
        "{shown}"
    );
}

#[test]
fn edit_takes_a_scheduled_message_out_and_schedule_puts_it_back_for_the_same_time() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    type_into(&mut gui, "To", "later@example.org");
    type_into(&mut gui, "Subject", "Later");
    click(&mut gui, "Send later…");
    click(&mut gui, "Tomorrow 08:00");
    wait_until(&mut gui, "the outbox", |g| has_label(g, "Outbox (1)"));
    let send_at = gui.state().as_ref().unwrap().outbox.entries[0].send_at;

    click(&mut gui, "Outbox (1)");
    click(&mut gui, "Edit “Later”");
    wait_until(&mut gui, "compose with the message", |g| {
        subject_is(g, "Later") && has_label(g, "Drafts (1)") && has_label(g, "Outbox (0)")
    });
    assert!(
        has_label(&gui, "out of the outbox while you edit"),
        "it says plainly that the message was taken out"
    );
    type_into(&mut gui, "Subject", " (edited)");
    gui.query_all_by_label_contains("Schedule for ")
        .next()
        .expect("a button that schedules it again")
        .click_accesskit();
    gui.step();
    gui.step();
    wait_until(&mut gui, "back in the outbox", |g| {
        has_label(g, "Outbox (1)") && has_label(g, "Drafts (0)")
    });
    let entry = &gui.state().as_ref().unwrap().outbox.entries[0];
    assert_eq!(
        (entry.subject.as_str(), entry.send_at),
        ("Later (edited)", send_at)
    );
}

#[test]
fn a_window_opened_for_a_message_opens_on_compose_and_keeps_its_state_in_the_home() {
    let home = Home::new();
    let mailto = Start::Mailto(Box::new(Draft {
        to: "ana@example.org".into(),
        subject: "From a link".into(),
        ..Draft::default()
    }));
    let mut gui = gui_with(&home, mailto, egui::vec2(1000.0, 760.0));
    gui.step();
    let app = gui.state_mut().as_mut().unwrap();
    app.restore(Some(View::Drafts), None, true);
    assert_eq!(
        app.view,
        View::Compose,
        "the message is where the window opens"
    );
    gui.step();
    assert!(subject_is(&gui, "From a link"));

    let mut plain = gui_with(&home, Start::Compose, egui::vec2(1000.0, 760.0));
    plain.step();
    let app = plain.state_mut().as_mut().unwrap();
    app.restore(Some(View::Drafts), None, false);
    assert_eq!(
        app.view,
        View::Drafts,
        "a plain start reopens the last view"
    );

    let options = mailroom::ui::native_options(&Dirs::under(home.path()));
    let stored = options.persistence_path.unwrap();
    assert!(stored.starts_with(home.path()), "{}", stored.display());
}

#[test]
fn drafts_and_messages_made_on_the_command_line_appear_in_the_open_window() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    assert!(has_label(&gui, "Drafts (0)") && has_label(&gui, "Outbox (0)"));
    home.run(&[
        "drafts",
        "new",
        "--to",
        "a@example.org",
        "--subject",
        "From the shell",
    ])
    .ok();
    home.run(&[
        "send",
        "--to",
        "a@example.org",
        "--subject",
        "Queued from the shell",
        "--body",
        "x",
        "--in",
        "1h",
    ])
    .ok();
    wait_until(&mut gui, "the window to notice", |g| {
        has_label(g, "Drafts (1)") && has_label(g, "Outbox (1)")
    });
}

#[test]
fn the_toolbar_gives_the_keyboard_back_to_the_message() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    click(&mut gui, "Formatted (HTML)");
    type_into(&mut gui, "Message", "see ");
    click(&mut gui, "Link");
    type_keys(&mut gui, "docs");
    assert_eq!(
        gui.get_by_label("Message").value().as_deref(),
        Some("see [docs](https://)"),
        "the link text is typed where it goes"
    );
    gui.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    gui.step();
    click(&mut gui, "Bold");
    type_keys(&mut gui, "X");
    assert_eq!(
        gui.get_by_label("Message").value().as_deref(),
        Some("**X**"),
        "typing after Bold replaces the selection it kept"
    );
}

#[test]
fn a_narrow_window_keeps_every_field_and_button_within_reach() {
    let home = Home::new();
    let (width, height) = (640.0, 480.0);
    let mut gui = gui_with(&home, Start::Compose, egui::vec2(width, height));
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— local"));
    let inside = |gui: &Gui, label: &str| {
        let rect = gui.get_by_label(label).rect();
        assert!(
            rect.max.x <= width && rect.max.y <= height && rect.min.x >= 0.0,
            "{label} is at {rect:?}, outside the {width}×{height} window"
        );
    };
    for label in [
        "Cc/Bcc",
        "To",
        "Subject",
        "Formatted (HTML)",
        "Send",
        "Discard",
    ] {
        inside(&gui, label);
    }
    click(&mut gui, "Cc/Bcc");
    click(&mut gui, "Formatted (HTML)");
    for label in ["Cc", "Bcc", "Quote", "Importance", "Send later…"] {
        inside(&gui, label);
    }
}

#[test]
fn a_short_window_with_many_files_keeps_the_buttons_on_screen() {
    let home = Home::new();
    let (width, height) = (640.0, 420.0);
    let mut gui = gui_with(&home, Start::Compose, egui::vec2(width, height));
    wait_until(&mut gui, "the profiles", |g| from_shows(g, "— local"));
    click(&mut gui, "Cc/Bcc");
    click(&mut gui, "Formatted (HTML)");
    for n in 0..8 {
        let name = format!("a-long-report-name-{n}.pdf");
        drop_file(&mut gui, home.file(&name, b"%PDF-1.4 pages"));
        wait_until(&mut gui, "the attachment", |g| {
            has_label(g, &format!("{name} ("))
        });
    }
    for label in ["Message", "Attach files…", "Save draft", "Send", "Discard"] {
        let rect = gui.get_by_label(label).rect();
        assert!(
            rect.max.y <= height && rect.min.y >= 0.0,
            "{label} is at {rect:?}, outside the {width}×{height} window"
        );
    }
}

#[test]
fn a_broken_mailto_link_opens_the_window_and_says_what_is_wrong_with_it() {
    let home = Home::new();
    let why = mailroom::message::mailto::parse("mailto:ana@example.org?subject=%zz")
        .unwrap_err()
        .to_string();
    let mut gui = gui_with(&home, Start::Refused(why), egui::vec2(1000.0, 760.0));
    gui.step();
    assert!(
        has_label(
            &gui,
            "The link could not be opened: the mailto: link has broken percent-encoding"
        ),
        "the window shows it, not only stderr"
    );
}

#[test]
fn a_message_on_the_local_profile_says_where_its_file_went() {
    let home = Home::new();
    std::fs::create_dir_all(home.path().join("config")).unwrap();
    std::fs::write(
        home.path().join("config/settings.toml"),
        "undo_send_seconds = 0\n",
    )
    .unwrap();
    let mut gui = on_the_local_profile(&home);
    type_into(&mut gui, "To", "ana@example.org");
    type_into(&mut gui, "Subject", "Nowhere");
    click(&mut gui, "Send");
    let folder = home.path().join("data/local-mail");
    wait_until(&mut gui, "the notice", |g| {
        has_label(g, &format!("Written to {}", folder.display()))
    });
    assert!(!has_label(&gui, "Message sent"), "it was not sent anywhere");
}

#[test]
fn toasts_float_over_the_window_and_leave_the_buttons_where_they_were() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    type_into(&mut gui, "Subject", "Steady");
    let before = gui.get_by_label("Save draft").rect();
    click(&mut gui, "Save draft");
    wait_until(&mut gui, "the toast", |g| has_label(g, "Draft saved"));
    for _ in 0..3 {
        gui.step(); // a panel takes its new size a frame later
    }
    assert!(has_label(&gui, "Draft saved"));
    assert_eq!(gui.get_by_label("Save draft").rect(), before);
}

#[test]
fn send_later_picks_a_day_with_named_buttons_and_never_a_past_one() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    type_into(&mut gui, "To", "ana@example.org");
    click(&mut gui, "Send later…");
    let today = jiff::Zoned::now().date();
    let shown = |gui: &Gui, date: jiff::civil::Date| {
        has_label(gui, &date.strftime("%a %-d %b %Y").to_string())
    };
    assert!(shown(&gui, today.tomorrow().unwrap()), "tomorrow first");
    click(&mut gui, "Previous day");
    assert!(shown(&gui, today));
    click(&mut gui, "Previous day");
    assert!(shown(&gui, today), "no day before today");
    click(&mut gui, "A week later");
    assert!(shown(
        &gui,
        today.checked_add(jiff::Span::new().days(7)).unwrap()
    ));
    assert!(
        gui.query_by_label("Save").is_none(),
        "one way to confirm: Schedule"
    );
}

#[test]
fn the_outbox_offers_to_install_the_scheduler_when_nothing_sends_with_the_window_closed() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    click(&mut gui, "Outbox (0)");
    wait_until(&mut gui, "the scheduler status", |g| {
        has_label(g, "Install the scheduler")
    });
}

#[test]
fn a_draft_deleted_while_it_is_open_comes_back_whole_with_undo() {
    let home = Home::new();
    let mut gui = on_the_local_profile(&home);
    type_into(&mut gui, "Subject", "Open and deleted");
    click(&mut gui, "Save draft");
    wait_until(&mut gui, "the draft listed", |g| has_label(g, "Drafts (1)"));
    type_into(&mut gui, "Message", "typed after the save");
    click(&mut gui, "Drafts (1)");
    click(&mut gui, "Open and deleted");
    click(&mut gui, "Delete");
    wait_until(&mut gui, "the undo toast", |g| {
        has_label(g, "Deleted \"Open and deleted\"") && has_label(g, "Drafts (0)")
    });
    click(&mut gui, "Undo");
    wait_until(&mut gui, "the draft back in compose", |g| {
        subject_is(g, "Open and deleted") && has_label(g, "Drafts (1)")
    });
    assert_eq!(
        gui.get_by_label("Message").value().as_deref(),
        Some("typed after the save"),
        "what was typed after the last save came back too"
    );
    assert_eq!(drafts_list_problems(&home), "");
}

#[test]
fn a_search_in_the_drafts_view_survives_a_change_made_elsewhere() {
    let home = Home::new();
    home.run(&[
        "drafts",
        "new",
        "--to",
        "a@example.org",
        "--subject",
        "Plan A",
    ])
    .ok();
    home.run(&[
        "drafts",
        "new",
        "--to",
        "a@example.org",
        "--subject",
        "Budget",
    ])
    .ok();
    let mut gui = gui(&home);
    wait_until(&mut gui, "the drafts", |g| has_label(g, "Drafts (2)"));
    click(&mut gui, "Drafts (2)");
    type_into(&mut gui, "Search drafts", "plan");
    wait_until(&mut gui, "the search", |g| has_label(g, "Drafts (1)"));
    home.run(&[
        "drafts",
        "new",
        "--to",
        "a@example.org",
        "--subject",
        "Plan B",
    ])
    .ok();
    wait_until(&mut gui, "the new matching draft", |g| {
        has_label(g, "Plan B") && has_label(g, "Drafts (2)")
    });
    assert!(!has_label(&gui, "Budget"), "the search still applies");
}
