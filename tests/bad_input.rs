//! Bad input: each error names the culprit (field, address, file, JSON field), the exit
//! code is 2, and nothing is sent — the folder profile's folder stays empty.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use support::{Home, files_in};

/// Runs `mailroom send ARGS` with a folder profile and checks that it failed with exit
/// code 2 and wrote nothing; returns what it printed on stderr.
#[track_caller]
fn refused(home: &Home, args: &[&str]) -> String {
    let folder = home.folder_profile("out");
    let mut all = vec!["send", "--profile", "out"];
    all.extend_from_slice(args);
    let run = home.run(&all).expect_code(2);
    assert!(
        files_in(&folder).is_empty(),
        "nothing may be sent: {:?}",
        files_in(&folder)
    );
    run.stderr
}

#[test]
fn a_malformed_address_is_named_with_its_field() {
    let home = Home::new();
    let err = refused(
        &home,
        &[
            "--to",
            "ok@example.org",
            "--cc",
            "ana.example.org",
            "--body",
            "x",
        ],
    );
    assert_eq!(
        err.trim(),
        "mailroom: Cc: \"ana.example.org\" is not a valid address (no @ in it)"
    );
}

#[test]
fn no_recipients_is_refused() {
    let home = Home::new();
    let err = refused(&home, &["--subject", "Hi", "--body", "x"]);
    assert!(err.contains("no recipients"), "{err}");
}

#[test]
fn a_line_break_in_the_subject_is_refused() {
    let home = Home::new();
    let err = refused(
        &home,
        &[
            "--to",
            "a@example.org",
            "--subject",
            "Hi\r\nBcc: evil@example.org",
            "--body",
            "x",
        ],
    );
    assert!(err.contains("Subject contains a line break"), "{err}");
}

#[test]
fn a_line_break_in_a_display_name_is_refused() {
    let home = Home::new();
    let err = refused(
        &home,
        &[
            "--to",
            "\"Ana\r\nBcc: evil@example.org\" <a@example.org>",
            "--body",
            "x",
        ],
    );
    assert!(err.contains("To contains a line break"), "{err}");
}

#[test]
fn a_missing_attachment_is_named() {
    let home = Home::new();
    let missing = home.path().join("files/nope.pdf");
    let err = refused(
        &home,
        &[
            "--to",
            "a@example.org",
            "--body",
            "x",
            "--attach",
            missing.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains(&format!("attachment {}: No such file", missing.display())),
        "{err}"
    );
}

#[test]
fn a_folder_as_attachment_is_named() {
    let home = Home::new();
    let err = refused(
        &home,
        &[
            "--to",
            "a@example.org",
            "--body",
            "x",
            "--attach",
            home.path().to_str().unwrap(),
        ],
    );
    assert!(err.contains("is a folder, not a file"), "{err}");
}

#[cfg(unix)]
#[test]
fn an_unreadable_attachment_is_named() {
    // Root reads any file whatever its mode, so the unreadable file is a symlink loop.
    let home = Home::new();
    let looped = home.path().join("loop.pdf");
    std::os::unix::fs::symlink(&looped, &looped).unwrap();
    let err = refused(
        &home,
        &[
            "--to",
            "a@example.org",
            "--body",
            "x",
            "--attach",
            looped.to_str().unwrap(),
        ],
    );
    assert!(
        err.contains(&format!("attachment {}:", looped.display())),
        "{err}"
    );
    assert!(err.contains("symbolic links"), "{err}");
}

#[test]
fn an_unknown_json_field_is_named_with_the_file() {
    let home = Home::new();
    let payload = home.file(
        "p.json",
        br#"{"To":"a@example.org","Subject":"x","Bc":"b@example.org"}"#,
    );
    let err = refused(&home, &["--json", payload.to_str().unwrap()]);
    assert!(err.contains("p.json: unknown field `Bc`"), "{err}");
}

#[test]
fn bad_base64_in_content_data_is_named() {
    let home = Home::new();
    let payload = home.file(
        "p.json",
        br#"{"To":"a@example.org","Subject":"x","Attachments":[{"FileName":"r.pdf","ContentData":"not base64!"}]}"#,
    );
    let err = refused(&home, &["--json", payload.to_str().unwrap()]);
    assert!(
        err.contains("Attachments[0] (\"r.pdf\").ContentData is not valid base64"),
        "{err}"
    );
}

#[test]
fn an_unknown_profile_lists_the_known_ones() {
    let home = Home::new();
    let run = home
        .run(&[
            "send",
            "--profile",
            "wrok",
            "--to",
            "a@example.org",
            "--body",
            "x",
        ])
        .expect_code(2);
    assert!(
        run.stderr
            .contains("no profile named \"wrok\" (profiles: local)"),
        "{}",
        run.stderr
    );
}

#[test]
fn eml_writes_the_exact_message_and_sends_nothing() {
    let home = Home::new();
    let folder = home.folder_profile("out");
    let eml = home.path().join("out.eml");
    let run = home
        .run(&[
            "send",
            "--profile",
            "out",
            "--to",
            "a@example.org",
            "--bcc",
            "b@example.org",
            "--subject",
            "Plan",
            "--body",
            "Hi",
            "--eml",
            eml.to_str().unwrap(),
        ])
        .ok();
    assert!(run.stdout.contains("nothing was sent"), "{}", run.stdout);
    assert!(files_in(&folder).is_empty());
    let msg = support::parse(&std::fs::read(&eml).unwrap());
    assert_eq!(msg.subject(), Some("Plan"));
    assert_eq!(
        msg.to().unwrap().first().unwrap().address(),
        Some("a@example.org")
    );
    assert!(msg.header_raw("Bcc").is_none());
}

#[test]
fn the_local_profile_works_out_of_the_box() {
    let home = Home::new();
    let list = home.run(&["profile", "list"]).ok().stdout;
    assert!(
        list.contains("* local") && list.contains("delivers nowhere"),
        "{list}"
    );
    home.run(&[
        "send",
        "--to",
        "a@example.org",
        "--subject",
        "First",
        "--body",
        "Hello",
    ])
    .ok();
    let written = files_in(&home.path().join("data/local-mail"));
    assert_eq!(written.len(), 1);
    assert_eq!(
        support::parse(&std::fs::read(&written[0]).unwrap()).subject(),
        Some("First")
    );
}

#[test]
fn a_sent_copy_that_cannot_be_kept_is_named_but_the_send_still_succeeds() {
    let home = Home::new();
    std::fs::create_dir_all(home.path().join("data")).unwrap();
    std::fs::write(home.path().join("data/sent"), b"not a folder").unwrap();
    let run = home
        .run(&[
            "send",
            "--to",
            "a@example.org",
            "--subject",
            "Out",
            "--body",
            "x",
        ])
        .ok(); // exit 0: it went out, and sending it again would send it twice
    assert!(
        run.stdout.contains("Sent to a@example.org"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr.contains("no copy was kept in sent/") && run.stderr.contains("data/sent"),
        "{}",
        run.stderr
    );
    assert_eq!(files_in(&home.path().join("data/local-mail")).len(), 1);
}

#[test]
fn eml_refuses_a_missing_folder_and_keeps_an_existing_file_unless_forced() {
    let home = Home::new();
    let send_eml = |path: &std::path::Path, extra: &[&str]| {
        let mut args = vec!["send", "--to", "a@example.org", "--subject", "Plan"];
        args.extend_from_slice(&["--body", "Hi", "--eml", path.to_str().unwrap()]);
        args.extend_from_slice(extra);
        home.run(&args)
    };
    let nowhere = home.path().join("no/such/folder/out.eml");
    let run = send_eml(&nowhere, &[]).expect_code(2);
    assert!(run.stderr.contains("there is no folder"), "{}", run.stderr);
    assert!(!home.path().join("no").exists(), "no folder was made");

    let existing = home.file("keep.eml", b"precious");
    let run = send_eml(&existing, &[]).expect_code(2);
    assert!(run.stderr.contains("add --force"), "{}", run.stderr);
    assert_eq!(std::fs::read(&existing).unwrap(), b"precious");
    send_eml(&existing, &["--force"]).ok();
    let msg = support::parse(&std::fs::read(&existing).unwrap());
    assert_eq!(msg.subject(), Some("Plan"));
}

#[test]
fn a_file_that_is_not_a_message_is_not_imported() {
    let home = Home::new();
    let pdf = home.file(
        "Résumé.pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< >>\nendobj\n",
    );
    let run = home
        .run(&["drafts", "import", pdf.to_str().unwrap()])
        .expect_code(2);
    assert!(
        run.stderr.contains("Résumé.pdf") && run.stderr.contains("not an email message"),
        "{}",
        run.stderr
    );
    let notes = home.file("notes.txt", b"Remember: milk\nand bread\n");
    home.run(&["drafts", "import", notes.to_str().unwrap()])
        .expect_code(2);
    assert!(home.drafts().is_empty(), "no empty draft was made");
}

#[test]
fn a_profile_whose_from_is_not_an_address_is_refused_when_it_is_added() {
    let home = Home::new();
    let folder = home.path().join("out");
    let run = home
        .run(&[
            "profile",
            "add",
            "bad",
            "--from",
            "Ana Müller ana@example.org",
            "--folder",
            folder.to_str().unwrap(),
        ])
        .expect_code(2);
    assert!(
        run.stderr.contains("From: \"Ana Müller ana@example.org\"")
            && run.stderr.contains("Name <address@example.org>"),
        "{}",
        run.stderr
    );
    let listed = home.run(&["profile", "list"]).ok().stdout;
    assert!(!listed.contains("bad"), "{listed}");
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let home = Home::new();
    let body = home.file(
        "body.txt",
        "A line of the body that goes on for a while.\n"
            .repeat(5000)
            .as_bytes(),
    );
    let id = home
        .run(&[
            "drafts",
            "new",
            "--to",
            "a@example.org",
            "--body-file",
            body.to_str().unwrap(),
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let mut child = home
        .command(&["drafts", "show", &id])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // as `| head -1` does once it has its line
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn without_a_display_the_window_says_where_the_command_line_is() {
    let home = Home::new();
    let output = home
        .command(&["compose", "mailto:ana@example.org"])
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no display to open the window on") && stderr.contains("mailroom --help"),
        "{stderr}"
    );
    assert!(!stderr.contains("winit"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn a_device_as_attachment_is_refused_by_name_before_it_is_read() {
    // `--attach /dev/zero` used to read until the process aborted.
    for flag in ["--attach", "--inline"] {
        let home = Home::new();
        let err = refused(
            &home,
            &["--to", "a@example.org", "--body", "x", flag, "/dev/zero"],
        );
        assert_eq!(
            err.trim(),
            "mailroom: attachment /dev/zero is not a regular file (a device, pipe or socket): only files can be attached"
        );
    }
    let home = Home::new();
    let err = home
        .run(&[
            "drafts",
            "new",
            "--to",
            "a@example.org",
            "--attach",
            "/dev/zero",
        ])
        .expect_code(2)
        .stderr;
    assert!(err.contains("/dev/zero is not a regular file"), "{err}");
}

#[test]
fn a_payload_over_64_mib_is_refused_before_it_is_read() {
    let home = Home::new();
    let payload = home.path().join("huge.json");
    // Sparse: 64 MiB + 1 byte that take no disk.
    std::fs::File::create(&payload)
        .unwrap()
        .set_len(64 * 1024 * 1024 + 1)
        .unwrap();
    let err = refused(&home, &["--json", payload.to_str().unwrap()]);
    assert!(
        err.contains("huge.json: the payload is larger than 64 MiB, the most Mailroom reads"),
        "{err}"
    );
}

#[test]
fn a_draft_with_terminal_escapes_is_shown_and_listed_without_obeying_them() {
    let home = Home::new();
    let eml = home.file(
        "escapes.eml",
        b"From: a@example.org\r\nTo: b@example.org\r\n\
          Subject: =?utf-8?Q?Hi=1B]0;owned=07there?=\r\n\r\nBody\x1b[2J line\r\nnext\r\n",
    );
    let id = home
        .run(&["drafts", "import", eml.to_str().unwrap()])
        .ok()
        .stdout
        .split_whitespace()
        .last()
        .unwrap()
        .trim_end_matches('.')
        .to_string();
    for args in [vec!["drafts", "show", id.as_str()], vec!["drafts", "list"]] {
        let run = home.run(&args).ok();
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{args:?} printed a raw control character: {:?}",
            run.stdout
        );
        assert!(
            run.stdout.contains("Hi\\u{1b}]0;owned\\u{7}there"),
            "{:?}",
            run.stdout
        );
    }
    let shown = home.run(&["drafts", "show", &id]).ok().stdout;
    assert!(shown.contains("Body\\u{1b}[2J line\nnext"), "{shown:?}");
}
