//! `mailroom send` through a real Postfix with TLS and AUTH, the password in a real
//! keyring; every delivered message is read back from the Maildir and parsed.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use mail_parser::{MimeHeaders, PartType};
use support::postfix::{self, postfix};
use support::{Home, parse};

/// A home with profile `id` on Postfix's STARTTLS port, its password in the keyring.
/// (The keyring is shared by the tests of this file, so each test uses its own id.)
fn home_with_profile(id: &str) -> Home {
    let home = Home::with_keyring();
    let server = postfix();
    let ca = server.ca_file();
    home.smtp_profile_with_stdin(
        id,
        "localhost",
        server.submission,
        &[
            "--security",
            "starttls",
            "--user",
            postfix::USER,
            "--from",
            "Zoë Ünal <zoe@example.org>",
            "--ca-file",
            ca.to_str().unwrap(),
            "--password-stdin",
        ],
        &format!("{}\n", postfix::PASSWORD),
    );
    home
}

#[test]
fn a_rich_message_arrives_with_its_structure_intact() {
    let home = home_with_profile("rich");
    let pdf: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let attachment = home.file("Résumé 東京.pdf", &pdf);
    let logo = home.file("logo.png", b"\x89PNG\r\n\x1a\nnot really a png");
    let body = home.file(
        "notes.html",
        "<h1>Été</h1><p>See <img src=\"cid:logo.png\"> and <b>the report</b>.</p>".as_bytes(),
    );

    let run = home
        .run(&[
            "send",
            "--profile",
            "rich",
            "--to",
            "Ana Lima <ana-rich@example.org>",
            "--cc",
            "cc-rich@example.org",
            "--bcc",
            "bcc-rich@example.org",
            "--subject",
            "Rapport été",
            "--body-file",
            body.to_str().unwrap(),
            "--html",
            "--attach",
            attachment.to_str().unwrap(),
            "--inline",
            logo.to_str().unwrap(),
            "--importance",
            "high",
        ])
        .ok();
    assert!(
        run.stdout
            .contains("Sent to ana-rich@example.org, cc-rich@example.org, bcc-rich@example.org"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("250"), "{}", run.stdout);

    let server = postfix();
    let msg = parse(&server.wait_for("ana-rich@example.org"));
    assert_eq!(msg.subject(), Some("Rapport été"));
    let from = msg.from().unwrap().first().unwrap();
    assert_eq!(
        (from.name(), from.address()),
        (Some("Zoë Ünal"), Some("zoe@example.org"))
    );
    assert!(msg.message_id().is_some() && msg.date().is_some());
    assert_eq!(msg.header_raw("Importance").map(str::trim), Some("high"));
    assert_eq!(
        msg.header_raw("X-Priority").map(str::trim),
        Some("1 (Highest)")
    );
    assert!(
        msg.header_raw("Bcc").is_none(),
        "Bcc must not be transmitted"
    );

    let kinds: Vec<String> = msg
        .parts
        .iter()
        .map(|p| {
            let ct = p.content_type().unwrap();
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "application/pdf"
        ]
    );
    let html = msg.body_html(0).unwrap();
    assert!(html.contains("cid:logo.png"));
    assert_eq!(msg.parts[5].content_id(), Some("logo.png"));
    assert!(msg.body_text(0).unwrap().contains("the report"));
    let pdf_part = &msg.parts[6];
    assert_eq!(pdf_part.attachment_name(), Some("Résumé 東京.pdf"));
    assert_eq!(
        pdf_part.content_type().unwrap().attribute("name"),
        Some("Résumé 東京.pdf")
    );
    match &pdf_part.body {
        PartType::Binary(bytes) => {
            assert!(bytes.as_ref() == pdf.as_slice(), "attachment bytes differ")
        }
        other => panic!("the PDF arrived as {other:?}"),
    }

    // Every envelope recipient got a copy; the Bcc copy has no Bcc header either.
    let bcc_copy = parse(&server.wait_for("bcc-rich@example.org"));
    assert!(bcc_copy.header_raw("Bcc").is_none());
    server.wait_for("cc-rich@example.org");
}

#[test]
fn implicit_tls_works_and_the_body_can_come_from_stdin() {
    let home = home_with_profile("implicit-tls");
    let server = postfix();
    let toml = home.path().join("config/profiles.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text = text
        .replace(
            &format!("port = {}", server.submission),
            &format!("port = {}", server.smtps),
        )
        .replace("security = \"starttls\"", "security = \"tls\"");
    std::fs::write(&toml, text).unwrap();

    home.run_with_stdin(
        &["send", "--to", "stdin-tls@example.org", "--subject", "Hi"],
        "Hello from stdin\n",
    )
    .ok();
    let msg = parse(&server.wait_for("stdin-tls@example.org"));
    assert_eq!(msg.body_text(0).unwrap().trim_end(), "Hello from stdin");
    let ct = msg.content_type().unwrap();
    assert_eq!(
        (ct.ctype(), ct.subtype(), ct.attribute("charset")),
        ("text", Some("plain"), Some("utf-8"))
    );
}

#[test]
fn lines_that_start_with_a_dot_arrive_unchanged() {
    // Postfix offers CHUNKING, so this goes by BDAT, which must not dot-stuff.
    let home = home_with_profile("dots");
    let body = ".\n..two dots\n. spaced\nÉté, a plain line\n.";
    home.run(&[
        "send",
        "--to",
        "dots@example.org",
        "--subject",
        "Dots",
        "--body",
        body,
    ])
    .ok();
    let msg = parse(&postfix().wait_for("dots@example.org"));
    assert_eq!(msg.body_text(0).unwrap().trim_end(), body);
}

#[test]
fn a_logic_apps_payload_sends_unchanged() {
    let home = home_with_profile("logic-apps");
    let payload = home.file(
        "payload.json",
        br#"{
          "From": "Reports <reports@example.org>",
          "To": "json-one@example.org;json-two@example.org",
          "CC": "", "Bcc": "",
          "Subject": "Nightly report",
          "Body": "<p>All <b>green</b></p>",
          "IsHtml": true,
          "Importance": "Low",
          "Attachments": [{"FileName": "report.csv", "ContentData": "YSxiCjEsMgo=", "ContentType": "text/csv"}]
        }"#,
    );
    home.run(&[
        "send",
        "--profile",
        "logic-apps",
        "--json",
        payload.to_str().unwrap(),
    ])
    .ok();
    let server = postfix();
    let msg = parse(&server.wait_for("json-two@example.org"));
    assert_eq!(msg.subject(), Some("Nightly report"));
    assert_eq!(
        msg.from().unwrap().first().unwrap().address(),
        Some("reports@example.org")
    );
    assert_eq!(msg.header_raw("Importance").map(str::trim), Some("low"));
    let csv = msg.attachment(0).unwrap();
    assert_eq!(csv.attachment_name(), Some("report.csv"));
    assert_eq!(csv.contents(), b"a,b\n1,2\n");
    server.wait_for("json-one@example.org");
}

#[test]
fn profile_test_reports_what_the_server_said() {
    let home = home_with_profile("probe");
    let run = home.run(&["profile", "test", "probe"]).ok();
    assert!(
        run.stdout.contains("encrypted, certificate verified"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("SIZE"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&format!("Logged in as {}: 235", postfix::USER)),
        "{}",
        run.stdout
    );
}

#[test]
fn a_wrong_password_shows_the_servers_535() {
    let home = home_with_profile("wrong-password");
    home.run_with_stdin(
        &[
            "profile",
            "set-password",
            "wrong-password",
            "--password-stdin",
        ],
        "wrong\n",
    )
    .ok();
    let run = home
        .run(&[
            "send",
            "--to",
            "wrong-pw@example.org",
            "--subject",
            "x",
            "--body",
            "x",
        ])
        .expect_code(4);
    assert!(
        run.stderr
            .contains("refused the login as testuser: 535 5.7.8"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("`mailroom profile set-password PROFILE`"),
        "the fix is named: {}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("wrong"),
        "the password must not be printed: {}",
        run.stderr
    );
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused() {
    let home = home_with_profile("untrusted");
    let toml = home.path().join("config/profiles.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&toml, text).unwrap();
    let run = home
        .run(&[
            "send",
            "--to",
            "untrusted@example.org",
            "--subject",
            "x",
            "--body",
            "x",
        ])
        .expect_code(4);
    assert!(run.stderr.contains("UnknownIssuer"), "{}", run.stderr);
    assert!(run.stderr.contains("--ca-file"), "{}", run.stderr);
    let fingerprint = run
        .stderr
        .split("--pin-sha256 ")
        .nth(1)
        .map(|rest| rest.trim().to_string())
        .unwrap_or_default();
    assert!(
        fingerprint.len() == 64 && fingerprint.chars().all(|c| c.is_ascii_hexdigit()),
        "the server's fingerprint, ready to pin: {}",
        run.stderr
    );
}

#[test]
fn implicit_tls_on_a_starttls_port_says_which_security_the_port_speaks() {
    let home = Home::new();
    let server = postfix();
    let ca = server.ca_file();
    home.smtp_profile(
        "wrong-security",
        "localhost",
        server.submission,
        &["--security", "tls", "--ca-file", ca.to_str().unwrap()],
    );
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
        .expect_code(4);
    assert!(
        run.stderr
            .contains("this port seems to speak STARTTLS: use --security starttls"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_message_over_the_servers_size_fails_before_upload_naming_both_sizes() {
    let home = home_with_profile("too-big");
    let big = home.file("big.bin", &vec![7u8; postfix::SIZE_LIMIT]);
    let run = home
        .run(&[
            "send",
            "--to",
            "too-big@example.org",
            "--subject",
            "x",
            "--body",
            "x",
            "--attach",
            big.to_str().unwrap(),
        ])
        .expect_code(4);
    assert!(
        run.stderr
            .contains(&format!("accepts at most {} bytes", postfix::SIZE_LIMIT)),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("the message is "), "{}", run.stderr);
}

#[test]
fn the_plain_port_offers_no_login_and_says_so() {
    let home = Home::with_keyring();
    let server = postfix();
    home.smtp_profile_with_stdin(
        "plain",
        "127.0.0.1",
        server.plain,
        &[
            "--security",
            "plain",
            "--user",
            postfix::USER,
            "--from",
            "me@example.org",
            "--password-stdin",
        ],
        "testpass\n",
    );
    let run = home
        .run(&[
            "send",
            "--to",
            "plain@example.org",
            "--subject",
            "x",
            "--body",
            "x",
        ])
        .expect_code(4);
    assert!(
        run.stderr
            .contains("offers no AUTH PLAIN or LOGIN on an unencrypted connection"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_password_command_replaces_the_keyring() {
    let home = Home::new(); // no keyring reachable at all
    let server = postfix();
    home.smtp_profile(
        "cmd",
        "127.0.0.1",
        server.submission,
        &[
            "--user",
            postfix::USER,
            "--from",
            "me@example.org",
            "--ca-file",
            server.ca_file().to_str().unwrap(),
            "--password-command",
            "printf testpass",
        ],
    );
    home.run(&[
        "send",
        "--to",
        "cmd@example.org",
        "--subject",
        "via command",
        "--body",
        "x",
    ])
    .ok();
    assert_eq!(
        parse(&server.wait_for("cmd@example.org")).subject(),
        Some("via command")
    );
}
