//! The outbox against servers that misbehave at each step: every case ends in the
//! state the person expects, with the server's words, and the frozen message intact.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use serde_json::Value;
use support::Home;
use support::faulty::Faulty;

/// A home with one message queued for `server`, due now. Returns the home, the entry id
/// and the frozen message's bytes.
fn queued(server: &Faulty, extra: &[&str]) -> (Home, String, Vec<u8>) {
    let home = Home::new();
    let mut add = vec!["--security", "plain", "--from", "me@example.org"];
    add.extend_from_slice(extra);
    home.smtp_profile("faulty", "127.0.0.1", server.port, &add);
    let body =
        "A long line of text to make the message bigger than one network write.\n".repeat(300);
    home.run(&[
        "send",
        "--to",
        "a@example.org",
        "--subject",
        "Fault",
        "--body",
        &body,
        "--at",
        "now",
    ])
    .ok();
    let id = home.outbox()[0]["id"].as_str().unwrap().to_string();
    let frozen = std::fs::read(
        home.path()
            .join("data/outbox")
            .join(&id)
            .join("message.eml"),
    )
    .unwrap();
    (home, id, frozen)
}

/// The one message in `sent/`.
fn only_sent_copy(home: &Home) -> std::path::PathBuf {
    let copies = support::files_in(&home.sent_dir().join("cur"));
    assert_eq!(copies.len(), 1, "{copies:?}");
    copies[0].clone()
}

fn entry(home: &Home, id: &str) -> Value {
    home.outbox()
        .into_iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} left the outbox"))
}

/// The message without the value of its `Date` header, which is set as it goes out.
fn undated(message: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(message);
    let (headers, body) = text.split_once("\r\n\r\n").unwrap();
    let headers: Vec<&str> = headers
        .split("\r\n")
        .map(|line| {
            if line.starts_with("Date: ") {
                "Date: …"
            } else {
                line
            }
        })
        .collect();
    format!("{}\r\n\r\n{body}", headers.join("\r\n")).into_bytes()
}

/// Runs the outbox once and checks its exit code (README: 3 retry later, 4 failed or
/// may have been sent), the entry's state, its error text and the message.
fn run_expect(home: &Home, id: &str, frozen: &[u8], state: &str, words: &str) -> Value {
    let code = if state == "scheduled" { 3 } else { 4 };
    let run = home.run(&["outbox", "run"]).expect_code(code);
    assert!(
        run.stderr.contains("see `mailroom outbox list`"),
        "{}",
        run.stderr
    );
    let e = entry(home, id);
    assert_eq!(e["state"], state, "{e:#}");
    let error = e["last_error"]["message"].as_str().unwrap_or_default();
    assert!(error.contains(words), "expected {words:?} in {error:?}");
    let now = std::fs::read(home.path().join("data/outbox").join(id).join("message.eml")).unwrap();
    assert!(
        undated(&now) == undated(frozen),
        "the frozen message changed (beyond its Date)"
    );
    println!("{state:<10} after: {error}");
    e
}

#[test]
fn temporary_refusals_are_retried_with_backoff_then_sent() {
    for (at, code) in [
        ("mail", "451"),
        ("mail", "421"),
        ("rcpt", "452"),
        ("data", "451"),
    ] {
        let server = Faulty::start(&[
            "--mode",
            "temp",
            "--at",
            at,
            "--code",
            code,
            "--fail-count",
            "1",
        ]);
        let (home, id, frozen) = queued(&server, &[]);
        let e = run_expect(&home, &id, &frozen, "scheduled", code);
        assert_eq!(e["attempts"], 1);
        assert!(
            e["send_at"].as_str().unwrap() > e["first_send_at"].as_str().unwrap(),
            "backed off: {e:#}"
        );
        let run = home.run(&["outbox", "retry", &id]).ok();
        assert!(run.stdout.contains(&format!("sent {id}")), "{}", run.stdout);
        assert_eq!(
            server.messages().len(),
            1,
            "{at} {code}: delivered once after the retry"
        );
    }
}

#[test]
fn permanent_refusals_fail_with_the_servers_words_and_the_draft_comes_back() {
    for (at, code, words) in [
        ("rcpt", "550", "refused recipient <a@example.org>: 550"),
        ("data", "554", "refused DATA: 554"),
        ("dot", "554", "refused the message upload: 554"),
        ("mail", "550", "refused MAIL FROM: 550"),
    ] {
        let server = Faulty::start(&["--mode", "perm", "--at", at, "--code", code]);
        let (home, id, frozen) = queued(&server, &[]);
        run_expect(&home, &id, &frozen, "failed", words);
        home.run(&["outbox", "run"]).ok();
        assert_eq!(
            entry(&home, &id)["attempts"],
            1,
            "a failed message is not retried by itself"
        );
        home.run(&["outbox", "cancel", &id]).ok();
        let drafts = home.drafts();
        assert_eq!(
            (drafts.len(), drafts[0]["subject"].as_str()),
            (1, Some("Fault")),
            "{at} {code}"
        );
    }
}

/// The two ways a message is uploaded: DATA, and BDAT when the server offers CHUNKING.
const UPLOADS: [&[&str]; 2] = [&[], &["--chunking"]];

#[test]
fn a_connection_dropped_mid_upload_is_retried() {
    for upload in UPLOADS {
        let mut args = vec!["--mode", "drop-in-data", "--drop-after", "4096"];
        args.extend_from_slice(&["--fail-count", "1"]);
        args.extend_from_slice(upload);
        let server = Faulty::start(&args);
        let (home, id, frozen) = queued(&server, &[]);
        run_expect(&home, &id, &frozen, "scheduled", "the message upload");
        assert!(server.messages().is_empty(), "{upload:?}");
        home.run(&["outbox", "retry", &id]).ok();
        assert_eq!(server.messages().len(), 1, "{upload:?}");
        assert!(home.outbox().is_empty(), "{upload:?}");
    }
}

#[test]
fn silence_after_the_whole_message_is_uncertain_never_resent_silently() {
    for upload in UPLOADS {
        let mut args = vec!["--mode", "hang-after-data", "--hang-for", "30"];
        args.extend_from_slice(upload);
        let server = Faulty::start(&args);
        let (home, id, frozen) = queued(&server, &["--timeout-secs", "2"]);
        run_expect(&home, &id, &frozen, "uncertain", "the message upload");
        assert_eq!(server.messages().len(), 1, "the server has it ({upload:?})");
        home.run(&["outbox", "run"]).ok();
        assert_eq!(server.messages().len(), 1, "not sent again by itself");
        let listed = home.run(&["outbox", "list"]).ok().stdout;
        assert!(
            listed.contains("uncertain (may have been sent)"),
            "{listed}"
        );
        let run = home.run(&["outbox", "dismiss", &id]).ok();
        assert!(run.stdout.contains("Moved to sent"), "{}", run.stdout);
        assert!(home.outbox().is_empty());
        assert_eq!(support::python_maildir(&home.sent_dir()).len(), 1);
    }
}

#[test]
fn a_message_sent_by_bdat_arrives_byte_for_byte() {
    let server = Faulty::start(&["--chunking"]);
    let (home, id, frozen) = queued(&server, &[]);
    home.run(&["outbox", "run"]).ok();
    assert!(home.outbox().is_empty(), "{id} was sent");
    let received = server.messages();
    assert_eq!(received.len(), 1);
    let arrived = std::fs::read(&received[0]).unwrap();
    assert!(
        undated(&arrived) == undated(&frozen),
        "BDAT carries the frozen message unchanged (no dot-stuffing, nothing lost)"
    );
    let sent_copy = only_sent_copy(&home);
    assert!(
        arrived == std::fs::read(sent_copy).unwrap(),
        "the copy kept in sent/ is what arrived, its Date included"
    );
}

#[test]
fn a_message_bigger_than_one_bdat_chunk_arrives_byte_for_byte() {
    let server = Faulty::start(&["--chunking"]);
    let (home, _, _) = queued(&server, &[]);
    // 5 MiB of bytes are about 7 MiB of base64: two BDAT chunks of at most 4 MiB.
    let big = home.path().join("big.bin");
    let bytes: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    std::fs::write(&big, &bytes).unwrap();
    home.run(&[
        "send",
        "--to",
        "a@example.org",
        "--subject",
        "Big",
        "--body",
        "Attached.",
        "--attach",
        big.to_str().unwrap(),
    ])
    .ok();
    let received = server.messages();
    assert_eq!(received.len(), 1);
    let transcripts = server.transcripts();
    assert_eq!(
        (
            transcripts.matches("C: BDAT ").count(),
            transcripts.matches(" LAST").count()
        ),
        (2, 1),
        "two chunks, the second the last"
    );
    let sent_copy = only_sent_copy(&home);
    assert!(
        std::fs::read(&received[0]).unwrap() == std::fs::read(sent_copy).unwrap(),
        "what arrived in two chunks is the message, byte for byte"
    );
}
