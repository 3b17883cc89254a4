//! Servers that misbehave: no STARTTLS, a self-signed certificate, temporary and
//! permanent refusals. Each failure names the server's words, gets the right exit
//! code, and the server's spool shows that no message was handed over.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use support::Home;
use support::faulty::Faulty;
use support::postfix::postfix;

fn add(home: &Home, id: &str, port: u16, extra: &[&str]) {
    home.smtp_profile(id, "localhost", port, extra);
}

fn send(home: &Home, to: &str) -> support::Run {
    home.run(&["send", "--to", to, "--subject", "x", "--body", "x"])
}

#[test]
fn a_server_without_starttls_is_refused_not_downgraded() {
    let server = Faulty::start(&["--mode", "ok"]);
    let home = Home::new();
    add(
        &home,
        "nostarttls",
        server.port,
        &["--security", "starttls"],
    );
    let run = send(&home, "a@example.org").expect_code(4);
    assert!(
        run.stderr.contains("does not offer STARTTLS"),
        "{}",
        run.stderr
    );
    assert!(server.messages().is_empty());
}

#[test]
fn a_pinned_self_signed_certificate_is_trusted_and_a_different_one_is_not() {
    let certs = postfix().dir.join("certs");
    let (cert, key) = (certs.join("selfsigned.crt"), certs.join("selfsigned.key"));
    let server = Faulty::start(&[
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    let der = pem_to_der(&std::fs::read_to_string(&cert).unwrap());
    let pin = mailroom::transport::smtp::fingerprint(&der);

    let home = Home::new();
    add(&home, "unpinned", server.port, &[]);
    let run = send(&home, "a@example.org").expect_code(4);
    assert!(
        run.stderr
            .contains("certificate is not signed by an authority this machine trusts"),
        "self-signed is refused without a pin: {}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--ca-file") && run.stderr.contains(&format!("--pin-sha256 {pin}")),
        "the error gives both fixes, with the certificate's own fingerprint: {}",
        run.stderr
    );

    let home = Home::new();
    add(&home, "pinned", server.port, &["--pin-sha256", &pin]);
    send(&home, "pinned@example.org").ok();
    assert_eq!(server.messages().len(), 1);

    let home = Home::new();
    let wrong = "00".repeat(32);
    add(&home, "wrongpin", server.port, &["--pin-sha256", &wrong]);
    let run = send(&home, "a@example.org").expect_code(4);
    assert!(
        run.stderr.contains(&format!("not the pinned {wrong}")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(&pin),
        "the actual fingerprint is shown: {}",
        run.stderr
    );
    assert_eq!(server.messages().len(), 1, "nothing more was sent");
}

/// The two ways a message goes: envelope first, then DATA; and, when the server offers
/// CHUNKING, envelope and message in one write (MAIL, RCPT, `BDAT LAST`). A refusal
/// reads the same either way.
const UPLOADS: [&[&str]; 2] = [&[], &["--chunking"]];

fn faulty(args: &[&str], upload: &[&str]) -> Faulty {
    Faulty::start(&[args, upload].concat())
}

#[test]
fn a_temporary_refusal_exits_3_with_the_servers_words() {
    for upload in UPLOADS {
        let server = faulty(&["--mode", "temp", "--at", "mail"], upload);
        let home = Home::new();
        add(&home, "temp", server.port, &["--security", "plain"]);
        let run = send(&home, "a@example.org").expect_code(3);
        assert!(
            run.stderr
                .contains("refused MAIL FROM: 451 4.3.0 MAIL rejected (faulty-smtp)"),
            "{upload:?}: {}",
            run.stderr
        );
        assert!(server.messages().is_empty(), "{upload:?}");
    }
}

#[test]
fn a_refused_recipient_fails_the_whole_send_and_is_named() {
    for upload in UPLOADS {
        let server = faulty(&["--mode", "perm", "--at", "rcpt"], upload);
        let home = Home::new();
        add(&home, "rcpt", server.port, &["--security", "plain"]);
        let run = send(&home, "nobody@example.org").expect_code(4);
        assert!(
            run.stderr
                .contains("refused recipient <nobody@example.org>: 550 5.1.1"),
            "{upload:?}: {}",
            run.stderr
        );
        assert!(
            server.messages().is_empty(),
            "no message taken after a refused recipient ({upload:?})"
        );
    }
}

#[test]
fn a_refused_message_exits_4() {
    for upload in UPLOADS {
        let server = faulty(&["--mode", "perm", "--at", "dot", "--code", "554"], upload);
        let home = Home::new();
        add(&home, "dot", server.port, &["--security", "plain"]);
        let run = send(&home, "a@example.org").expect_code(4);
        assert!(
            run.stderr.contains("refused the message upload: 554 5.7.1"),
            "{upload:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_dead_server_is_a_temporary_failure() {
    let home = Home::new();
    add(
        &home,
        "dead",
        support::free_port(),
        &["--security", "plain"],
    );
    let run = send(&home, "a@example.org").expect_code(3);
    assert!(
        run.stderr.contains("could not connect to localhost:"),
        "{}",
        run.stderr
    );
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// The window's progress bar for a big message: the SMTP upload says how far it got
/// after each BDAT chunk (4 MiB), from 0 to the whole message.
#[test]
fn a_big_upload_reports_its_progress_chunk_by_chunk() {
    use mailroom::message::{Attachment, AttachmentSource, Draft};
    use mailroom::profile::{Auth, Profile, Security, Server, SmtpServer};

    let server = Faulty::start(&["--mode", "ok", "--chunking"]);
    let mut smtp = SmtpServer::new("localhost", Security::Plain, Auth::None);
    smtp.port = server.port;
    let profile = Profile {
        id: "progress".into(),
        from: "Me <me@example.org>".into(),
        server: Server::Smtp(smtp),
    };
    let draft = Draft {
        to: "progress@example.org".into(),
        subject: "Nine megabytes".into(),
        body: "Attached.".into(),
        attachments: vec![Attachment {
            file_name: "big.bin".into(),
            content_type: None,
            content_id: None,
            source: AttachmentSource::Bytes(vec![7; 9 * 1024 * 1024]),
        }],
        ..Draft::default()
    };
    let message = mailroom::message::build(&draft, &profile.from).unwrap();
    let bytes = message.transmitted();
    let home = Home::new();
    let dirs = mailroom::paths::Dirs::under(home.path());
    let mut transport = mailroom::transport::login::open(&dirs, &profile, None).unwrap();
    let mut heard = Vec::new();
    transport
        .send_reporting(message.envelope(), &bytes, &mut |sent| heard.push(sent))
        .unwrap();
    transport.close();

    let chunk = 4 * 1024 * 1024;
    let whole = bytes.len();
    assert_eq!(
        heard,
        vec![0, chunk, 2 * chunk, 3 * chunk, whole],
        "{whole} bytes"
    );
    assert_eq!(server.messages().len(), 1);
}

/// A STARTTLS response injection ("Why TLS is better without STARTTLS", USENIX
/// Security 2021): replies appended to the plain-text `220` to STARTTLS, in the same
/// write, must not be read as if they came through TLS. Here the real server refuses
/// MAIL FROM with 550, while the injected lines say yes to EHLO, MAIL, RCPT and DATA:
/// believing them would report the message sent and file it in `sent/`. The connection
/// is refused right after the `220`, before the handshake, and nothing more is sent.
#[test]
fn replies_injected_before_the_tls_handshake_are_refused_and_nothing_is_sent() {
    let certs = postfix().dir.join("certs");
    let ca = postfix().ca_file();
    let server = Faulty::start(&[
        "--tls-cert",
        certs.join("server.crt").to_str().unwrap(),
        "--tls-key",
        certs.join("server.key").to_str().unwrap(),
        "--mode",
        "perm",
        "--at",
        "mail",
        "--inject-after-starttls",
        r"250 injected\r\n250 2.1.0 injected\r\n250 2.1.5 injected\r\n354 go\r\n",
    ]);
    let home = Home::new();
    add(
        &home,
        "injected",
        server.port,
        &["--security", "starttls", "--ca-file", ca.to_str().unwrap()],
    );
    let draft = home
        .run(&[
            "drafts",
            "new",
            "--to",
            "a@example.org",
            "--subject",
            "Kept",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();

    let address = format!("localhost:{}", server.port);
    for run in [
        send(&home, "a@example.org"),
        home.run(&["drafts", "send", &draft]),
    ] {
        let run = run.expect_code(4);
        assert!(
            run.stderr.contains(&address)
                && run
                    .stderr
                    .contains("sent data after its STARTTLS reply, before TLS")
                && run.stderr.contains("possible STARTTLS injection"),
            "names the server and the injection: {}",
            run.stderr
        );
        assert!(
            !run.stderr.contains("may have been"),
            "nothing went out: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("Sent"), "{}", run.stdout);
        println!("{}", run.stderr.trim_end());
    }

    let filed: Vec<_> = walk(&home.sent_dir())
        .into_iter()
        .filter(|p| p.is_file())
        .collect();
    assert!(filed.is_empty(), "nothing is filed in sent/: {filed:?}");
    assert!(home.outbox().is_empty(), "{:?}", home.outbox());
    let drafts = home.drafts();
    assert!(
        drafts.len() == 1 && drafts[0]["id"] == draft.as_str(),
        "the draft is kept: {drafts:?}"
    );
    assert!(server.messages().is_empty());
    // Each session: EHLO, STARTTLS, the 220 with the injected lines, and then nothing
    // from the client: no EHLO, no MAIL FROM, not even QUIT.
    // (A session is recorded when the server has seen the connection end.)
    let records = || -> Vec<std::path::PathBuf> {
        support::files_in(server.spool.path())
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while records().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let sessions: Vec<serde_json::Value> = records()
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert_eq!(sessions.len(), 2, "{sessions:#?}");
    for session in &sessions {
        let transcript: Vec<&str> = session["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect();
        assert!(session["injected"].is_string(), "{session:#}");
        assert_eq!(
            transcript.last(),
            Some(&"S: 220 2.0.0 Ready to start TLS"),
            "nothing is said after the injected reply: {session:#}"
        );
        assert!(
            !transcript.iter().any(|line| line.starts_with("C: MAIL")),
            "no MAIL FROM reached the server: {session:#}"
        );
    }
}

/// Every path under `dir` (none when it does not exist).
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    for path in support::files_in(dir) {
        if path.is_dir() {
            all.extend(walk(&path));
        }
        all.push(path);
    }
    all
}

/// A server whose EHLO reply starts with a 200 MB line (no line break): lettre read the
/// line whole before checking its length (227 MB RSS). Now the send fails with a clear
/// error once 1,000 bytes of the line have come, and the server could not hand over
/// the line: the client went away before it was written. Nothing is timed.
#[test]
fn a_reply_line_of_200_mb_is_refused_without_being_read_whole() {
    const HUGE: u64 = 200_000_000;
    let server = Faulty::start(&["--huge-ehlo-line", &HUGE.to_string()]);
    let home = Home::new();
    add(&home, "huge", server.port, &["--security", "plain"]);
    let run = send(&home, "a@example.org");
    assert_ne!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("response line too long"),
        "says what was wrong: {}",
        run.stderr
    );
    assert!(server.messages().is_empty());
    // Each session's record is rewritten a MiB at a time and finally when the server saw
    // the client go (its outcome); a watchdog only so that a bug fails instead of hanging.
    let sessions = || -> Vec<serde_json::Value> {
        support::files_in(server.spool.path())
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok())
            .collect()
    };
    let watchdog = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while sessions().is_empty() || sessions().iter().any(|s| s["outcome"].is_null()) {
        assert!(std::time::Instant::now() < watchdog, "{:#?}", sessions());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    for session in sessions() {
        let sent = session["huge_sent"].as_u64().unwrap();
        assert!(
            sent < HUGE,
            "the client took the whole {HUGE}-byte line: {session:#}"
        );
    }
}
