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
    let mut transport = mailroom::transport::login::open(&profile, None).unwrap();
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
