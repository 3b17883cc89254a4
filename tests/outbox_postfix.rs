//! Send later against the real Postfix: a separately started `outbox run --watch`
//! delivers on time, once; two runners at once never send a message twice.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::process::{Child, Stdio};
use std::time::Duration;

use support::postfix::postfix;
use support::{Home, parse, wait_for};

/// A running `outbox run --watch`, stopped when dropped (a failed test leaves none behind).
struct Watcher(Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn watch(home: &Home) -> Watcher {
    Watcher(
        home.command(&["outbox", "run", "--watch"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn send_later_goes_out_with_no_window_open_exactly_once() {
    let home = Home::new();
    home.postfix_profile("later", &[]);
    let run = home
        .run(&[
            "send",
            "--to",
            "later-once@example.org",
            "--bcc",
            "later-bcc@example.org",
            "--subject",
            "Three seconds later",
            "--body",
            "Hello",
            "--in",
            "3s",
        ])
        .ok();
    assert!(run.stdout.starts_with("Scheduled"), "{}", run.stdout);
    assert!(
        postfix().delivered_to("later-once@example.org").is_empty(),
        "not before its time"
    );

    let runner = watch(&home);
    let server = postfix();
    let msg = parse(&server.wait_for("later-once@example.org"));
    assert_eq!(msg.subject(), Some("Three seconds later"));
    assert!(msg.header_raw("Bcc").is_none());
    server.wait_for("later-bcc@example.org");
    wait_for("the outbox to empty", Duration::from_secs(60), || {
        home.outbox().is_empty()
    });
    std::thread::sleep(Duration::from_secs(3)); // a few more passes of the runner
    drop(runner);

    assert_eq!(
        server.delivered_to("later-once@example.org").len(),
        1,
        "delivered once"
    );
    let sent = support::python_maildir(&home.sent_dir());
    assert_eq!(
        sent,
        vec![("Three seconds later".to_string(), "S".to_string())]
    );
    let copy = std::fs::read_to_string(support::files_in(&home.sent_dir().join("cur"))[0].clone())
        .unwrap();
    assert!(
        copy.contains("Bcc: later-bcc@example.org"),
        "the sent copy keeps Bcc"
    );
}

#[test]
fn two_runners_at_once_send_each_of_100_messages_exactly_once() {
    let home = Home::new();
    home.postfix_profile("pair", &[]);
    let recipients: Vec<String> = (0..100)
        .map(|n| format!("pair-{n:03}@example.org"))
        .collect();
    for to in &recipients {
        home.run(&[
            "send",
            "--to",
            to,
            "--subject",
            to,
            "--body",
            "x",
            "--at",
            "now",
        ])
        .ok();
    }
    assert_eq!(home.outbox().len(), 100);

    let (a, b) = (watch(&home), watch(&home));
    wait_for("the outbox to empty", Duration::from_secs(60), || {
        home.outbox().is_empty()
    });
    drop((a, b));

    let server = postfix();
    let mut counts = Vec::new();
    for to in &recipients {
        server.wait_for(to);
        counts.push(server.delivered_to(to).len());
    }
    let once = counts.iter().filter(|c| **c == 1).count();
    let twice = counts.iter().filter(|c| **c > 1).count();
    println!(
        "two runners, 100 messages: delivered once {once}, more than once {twice}, sent/ holds {}",
        support::python_maildir(&home.sent_dir()).len()
    );
    assert_eq!((once, twice), (100, 0));
    assert_eq!(support::python_maildir(&home.sent_dir()).len(), 100);
}
