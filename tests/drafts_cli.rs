//! Drafts and the outbox from the command line, with the `local` folder profile: write,
//! edit, version, schedule, cancel, export and import — nothing lost on the way.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use support::{Home, files_in};

fn new_draft(home: &Home, args: &[&str]) -> String {
    let mut all = vec!["drafts", "new"];
    all.extend_from_slice(args);
    home.run(&all).ok().stdout.trim().to_string()
}

#[test]
fn a_draft_is_kept_edited_versioned_and_listed() {
    let home = Home::new();
    let plan = home.file("plan.md", b"First plan");
    let extra = home.file("extra.pdf", b"%PDF extra");
    let id = new_draft(
        &home,
        &[
            "--to",
            "a@example.org",
            "--subject",
            "Plan",
            "--body-file",
            plan.to_str().unwrap(),
        ],
    );

    let run = home
        .run(&[
            "drafts",
            "edit",
            &id,
            "--subject",
            "Plan v2",
            "--attach",
            extra.to_str().unwrap(),
        ])
        .ok();
    assert!(run.stdout.contains("as version 2"), "{}", run.stdout);
    std::fs::remove_file(&extra).unwrap(); // the draft keeps its own copy

    let show = home.run(&["drafts", "show", &id]).ok().stdout;
    assert!(
        show.contains("Subject: Plan v2") && show.contains("To: a@example.org"),
        "{show}"
    );
    assert!(
        show.contains("Attachment: extra.pdf (10 bytes)") && show.contains("First plan"),
        "{show}"
    );
    let v1 = home
        .run(&["drafts", "show", &id, "--version", "1"])
        .ok()
        .stdout;
    assert!(
        v1.contains("Subject: Plan\n") && !v1.contains("extra.pdf"),
        "{v1}"
    );

    let list = home.drafts();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["subject"], "Plan v2");
    assert_eq!(list[0]["attachments"], 1);
    assert_eq!(
        home.run(&["drafts", "list", "--search", "nothing-like-it"])
            .ok()
            .stdout
            .trim(),
        "No drafts."
    );
    assert!(
        home.run(&["drafts", "list", "--search", "plan V2"])
            .ok()
            .stdout
            .contains(&id)
    );
}

#[test]
fn send_later_then_cancel_gives_the_same_draft_back() {
    let home = Home::new();
    let id = new_draft(
        &home,
        &[
            "--to",
            "Ana <ana@example.org>",
            "--cc",
            "c@example.org",
            "--subject",
            "Later",
            "--body",
            "Text",
            "--importance",
            "high",
        ],
    );
    let run = home.run(&["drafts", "send", &id, "--in", "2h"]).ok();
    assert!(run.stdout.contains("Scheduled"), "{}", run.stdout);
    assert!(home.drafts().is_empty(), "the draft moved into the outbox");

    let outbox = home.outbox();
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        (outbox[0]["state"].as_str(), outbox[0]["subject"].as_str()),
        (Some("scheduled"), Some("Later"))
    );
    let entry = outbox[0]["id"].as_str().unwrap().to_string();

    let run = home.run(&["outbox", "cancel", &entry]).ok();
    assert!(
        run.stdout.contains(&id),
        "the same draft comes back: {}",
        run.stdout
    );
    assert!(home.outbox().is_empty());
    let show = home.run(&["drafts", "show", &id]).ok().stdout;
    assert!(
        show.contains("To: Ana <ana@example.org>")
            && show.contains("Cc: c@example.org")
            && show.contains("Subject: Later"),
        "{show}"
    );
}

#[test]
fn a_due_message_goes_out_on_the_next_run_and_lands_in_a_maildir() {
    let home = Home::new();
    home.run(&[
        "send",
        "--to",
        "a@example.org",
        "--subject",
        "Queued",
        "--body",
        "x",
        "--at",
        "now",
    ])
    .ok();
    assert_eq!(home.outbox().len(), 1);
    let run = home.run(&["outbox", "run"]).ok();
    assert!(run.stdout.starts_with("sent "), "{}", run.stdout);
    assert!(home.outbox().is_empty());
    assert_eq!(
        files_in(&home.path().join("data/local-mail")).len(),
        1,
        "delivered by the local profile"
    );
    let sent = support::python_maildir(&home.sent_dir());
    assert_eq!(sent, vec![("Queued".to_string(), "S".to_string())]);
    let status = home.run(&["outbox", "status"]).ok().stdout;
    assert!(
        status.contains("Last run: 20") && status.contains("sent 1"),
        "{status}"
    );
}

#[test]
fn export_and_import_round_trip_a_draft() {
    let home = Home::new();
    let logo = home.file("logo.png", b"\x89PNG fake");
    let id = new_draft(
        &home,
        &[
            "--to",
            "a@example.org",
            "--subject",
            "Été",
            "--body",
            "<p><img src=\"cid:logo.png\"></p>",
            "--html",
            "--inline",
            logo.to_str().unwrap(),
        ],
    );
    let eml = home.path().join("plan.eml");
    home.run(&["drafts", "export", &id, "--eml", eml.to_str().unwrap()])
        .ok();
    let imported = home
        .run(&["drafts", "import", eml.to_str().unwrap()])
        .ok()
        .stdout
        .trim()
        .to_string();
    let show = home.run(&["drafts", "show", &imported]).ok().stdout;
    assert!(
        show.contains("Subject: Été") && show.contains("Inline: logo.png (9 bytes)"),
        "{show}"
    );
    assert!(show.contains("cid:logo.png"), "{show}");
}

#[test]
fn bad_times_unknown_ids_and_damaged_files_are_named() {
    let home = Home::new();
    let id = new_draft(
        &home,
        &["--to", "a@example.org", "--subject", "x", "--body", "x"],
    );
    let err = home
        .run(&["drafts", "send", &id, "--at", "someday"])
        .expect_code(2)
        .stderr;
    assert!(err.contains("\"someday\" is not a time"), "{err}");
    let err = home
        .run(&["drafts", "send", &id, "--at", "2020-01-01 08:00"])
        .expect_code(2)
        .stderr;
    assert!(err.contains("is in the past"), "{err}");
    let err = home
        .run(&["drafts", "send", &id, "--in", "2x"])
        .expect_code(2)
        .stderr;
    assert!(err.contains("\"2x\" is not a duration"), "{err}");
    assert_eq!(home.drafts().len(), 1, "nothing moved");

    let err = home.run(&["drafts", "show", "nope"]).expect_code(2).stderr;
    assert!(err.contains("no draft with id \"nope\""), "{err}");
    let err = home
        .run(&["outbox", "cancel", "nope"])
        .expect_code(2)
        .stderr;
    assert!(err.contains("no outbox entry with id \"nope\""), "{err}");
    let err = home
        .run(&[
            "send",
            "--profile",
            "ghost",
            "--to",
            "a@example.org",
            "--body",
            "x",
            "--at",
            "now",
        ])
        .expect_code(2)
        .stderr;
    assert!(err.contains("no profile named \"ghost\""), "{err}");

    // A damaged sidecar is quarantined; the other entries still work.
    home.run(&[
        "send",
        "--to",
        "a@example.org",
        "--subject",
        "one",
        "--body",
        "x",
        "--in",
        "1h",
    ])
    .ok();
    home.run(&[
        "send",
        "--to",
        "b@example.org",
        "--subject",
        "two",
        "--body",
        "x",
        "--in",
        "1h",
    ])
    .ok();
    let entries = home.outbox();
    let damaged = entries[0]["id"].as_str().unwrap();
    std::fs::write(
        home.path()
            .join("data/outbox")
            .join(damaged)
            .join("entry.slots"),
        b"{ broken",
    )
    .unwrap();
    let run = home.run(&["outbox", "list"]).ok();
    assert!(
        run.stderr.contains("entry.slots was damaged") && run.stderr.contains("quarantine"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("two") && !run.stdout.contains("one "),
        "{}",
        run.stdout
    );
    assert!(
        home.path()
            .join("data/quarantine/outbox")
            .join(format!("{damaged}."))
            .parent()
            .unwrap()
            .is_dir()
    );
}

#[cfg(unix)]
#[test]
fn a_write_failing_mid_save_keeps_the_previous_version() {
    let home = Home::new();
    let id = new_draft(
        &home,
        &[
            "--to",
            "a@example.org",
            "--subject",
            "Safe",
            "--body",
            "short",
        ],
    );
    let big = "x".repeat(64 * 1024);
    // A 16 KiB file-size limit makes the 64 KiB save fail with EFBIG part-way through.
    let exe = env!("CARGO_BIN_EXE_mailroom");
    let output = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "trap '' XFSZ; ulimit -f 16; exec '{exe}' drafts edit {id} --subject Lost --body {big}"
        ))
        .env("MAILROOM_HOME", home.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("could not write") && stderr.contains("too large"),
        "{stderr}"
    );
    let show = home.run(&["drafts", "show", &id]).ok().stdout;
    assert!(
        show.contains("Subject: Safe") && show.contains("short"),
        "{show}"
    );
    assert!(home.drafts().len() == 1);
}

#[test]
fn the_scheduler_installs_a_crontab_line_and_removes_it() {
    let home = Home::new();
    let cron = |args: &[&str]| {
        let mut cmd = home.command(args);
        cmd.env("MAILROOM_SCHEDULER", "cron");
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let crontab = || {
        String::from_utf8_lossy(
            &std::process::Command::new("crontab")
                .arg("-l")
                .output()
                .unwrap()
                .stdout,
        )
        .into_owned()
    };
    let mark = format!("# mailroom-outbox {}", home.path().display());

    assert!(cron(&["outbox", "status"]).contains("Not installed"));
    assert!(cron(&["outbox", "install"]).contains("Installed a crontab line"));
    let line = crontab()
        .lines()
        .find(|l| l.ends_with(&mark))
        .map(str::to_string)
        .expect("our line");
    assert!(
        line.starts_with("* * * * * MAILROOM_HOME=") && line.contains("' outbox run"),
        "{line}"
    );
    cron(&["outbox", "install"]);
    assert_eq!(
        crontab().matches(&mark).count(),
        1,
        "installing twice leaves one line"
    );
    assert!(cron(&["outbox", "status"]).contains("Installed: crontab line"));
    let warned = cron(&["outbox", "status"]).contains("no cron daemon is running");
    assert_eq!(
        warned,
        !cron_daemon_runs(),
        "a crontab line nothing runs is named as such"
    );
    cron(&["outbox", "uninstall"]);
    assert!(!crontab().contains(&mark));
}

#[test]
fn an_outbox_command_takes_the_draft_id_too_and_names_what_else_an_id_is() {
    let home = Home::new();
    home.folder_profile("out");
    let id = new_draft(&home, &["--to", "a@example.org", "--subject", "Ids"]);
    let run = home.run(&["outbox", "cancel", &id]).expect_code(2);
    assert!(
        run.stderr.contains("that is a draft, not scheduled"),
        "{}",
        run.stderr
    );

    let scheduled = home.run(&["drafts", "send", &id, "--in", "2h"]).ok();
    assert!(
        scheduled
            .stdout
            .contains("Nothing sends it while no Mailroom window is open")
            && scheduled.stdout.contains("mailroom outbox install"),
        "scheduling from the command line says who will send it: {}",
        scheduled.stdout
    );
    let run = home.run(&["outbox", "send-now", &id]).ok();
    assert!(run.stdout.starts_with("sent "), "{}", run.stdout);
    let entry = run.stdout.trim().trim_start_matches("sent ").to_string();
    let run = home.run(&["outbox", "cancel", &entry]).expect_code(2);
    assert!(
        run.stderr.contains("it was sent") && run.stderr.contains("mailroom sent list"),
        "{}",
        run.stderr
    );
}

/// Whether a cron daemon runs on this machine, read from `/proc` as `ps` does.
fn cron_daemon_runs() -> bool {
    std::fs::read_dir("/proc").unwrap().flatten().any(|p| {
        std::fs::read_to_string(p.path().join("comm"))
            .is_ok_and(|name| ["cron", "crond", "cronie"].contains(&name.trim()))
    })
}

/// Every folder and file under `root` that is not `0700` / `0600`, with its mode.
#[cfg(unix)]
fn not_private(root: &std::path::Path, found: &mut Vec<String>) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(root).unwrap().flatten() {
        let meta = std::fs::symlink_metadata(entry.path()).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        let wanted = if meta.is_dir() { 0o700 } else { 0o600 };
        if mode != wanted {
            found.push(format!("{:o} {}", mode, entry.path().display()));
        }
        if meta.is_dir() {
            not_private(&entry.path(), found);
        }
    }
}

#[cfg(unix)]
#[test]
fn every_folder_and_file_mailroom_keeps_is_private_to_its_owner() {
    let home = Home::new();
    let pdf = home.file("extra.pdf", b"%PDF-1.4 private");
    let id = new_draft(
        &home,
        &[
            "--to",
            "a@example.org",
            "--subject",
            "Private",
            "--attach",
            pdf.to_str().unwrap(),
        ],
    );
    home.run(&["drafts", "edit", &id, "--subject", "Private v2"])
        .ok();
    home.run(&[
        "send",
        "--to",
        "b@example.org",
        "--subject",
        "Now",
        "--body",
        "x",
    ])
    .ok();
    home.run(&[
        "send",
        "--to",
        "c@example.org",
        "--subject",
        "Later",
        "--body",
        "x",
        "--in",
        "2h",
    ])
    .ok();
    home.run(&["drafts", "send", &id]).ok();
    let mut found = Vec::new();
    not_private(&home.path().join("config"), &mut found);
    not_private(&home.path().join("data"), &mut found);
    assert!(found.is_empty(), "readable by others: {found:#?}");
}

#[cfg(unix)]
#[test]
fn a_home_an_older_version_left_readable_is_made_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    let id = new_draft(&home, &["--to", "a@example.org", "--subject", "Old"]);
    let folder = home.path().join("data/drafts").join(&id);
    std::fs::remove_file(home.path().join("data/.private-v1")).ok();
    for (path, mode) in [(&folder, 0o755), (&folder.join("draft.json"), 0o644)] {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    home.run(&["drafts", "list"]).ok();
    let mut found = Vec::new();
    not_private(&home.path().join("data"), &mut found);
    assert!(found.is_empty(), "still readable by others: {found:#?}");
}

#[test]
fn a_file_of_your_message_keeps_bcc_and_a_file_of_what_recipients_get_says_it_left_it_out() {
    // One rule: `drafts export` writes your copy (Bcc kept, so importing it loses no
    // recipient); `send --eml` writes what recipients get (no Bcc) and says so.
    let home = Home::new();
    let args = [
        "--to",
        "a@example.org",
        "--bcc",
        "boss@example.org",
        "--subject",
        "Plan",
        "--body",
        "x",
    ];
    let id = new_draft(&home, &args);
    let yours = home.path().join("yours.eml");
    let said = home
        .run(&["drafts", "export", &id, "--eml", yours.to_str().unwrap()])
        .ok()
        .stdout;
    assert!(said.contains("with its Bcc header"), "{said}");
    let exported = std::fs::read_to_string(&yours).unwrap();
    assert!(exported.contains("Bcc: boss@example.org"), "{exported}");

    let theirs = home.path().join("theirs.eml");
    let mut send = vec!["send"];
    send.extend_from_slice(&args);
    send.extend_from_slice(&["--eml", theirs.to_str().unwrap()]);
    let said = home.run(&send).ok().stdout;
    assert!(
        said.contains("without the Bcc header (boss@example.org)"),
        "{said}"
    );
    let written = std::fs::read_to_string(&theirs).unwrap();
    assert!(!written.contains("boss@example.org"), "{written}");
}
