//! The state machine, driven by a scripted transport and a clock the test moves.

use std::cell::RefCell;
use std::sync::Mutex;

use super::*;
use crate::outbox::tests::{Fixture, now};
use crate::profile::{Auth, Security, Server, SmtpServer};
use crate::transport::{Accepted, Reply, SendError, Stage};

struct TestClock(Mutex<Timestamp>);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap()
    }
}

impl TestClock {
    fn advance(&self, by: SignedDuration) {
        let mut t = self.0.lock().unwrap();
        *t += by;
    }
}

/// Answers each send with the next scripted result; counts connections.
#[derive(Default)]
struct Script {
    results: RefCell<Vec<Result<Accepted, SendError>>>,
    opened: RefCell<usize>,
    sent_bytes: RefCell<Vec<Vec<u8>>>,
    /// Opening fails as a revoked OAuth2 sign-in does.
    sign_in_needed: RefCell<bool>,
    /// The server's SIZE.
    size_limit: Option<u64>,
}

struct ScriptedTransport<'a>(&'a Script);

impl Transport for ScriptedTransport<'_> {
    fn send(
        &mut self,
        _envelope: &lettre::address::Envelope,
        message: &[u8],
    ) -> Result<Accepted, SendError> {
        self.0.sent_bytes.borrow_mut().push(message.to_vec());
        let mut results = self.0.results.borrow_mut();
        if results.is_empty() {
            Ok(Accepted {
                reply: "250 ok".into(),
            })
        } else {
            results.remove(0)
        }
    }

    fn size_limit(&self) -> Option<u64> {
        self.0.size_limit
    }
}

struct ScriptConnector(&'static Script);

impl Connector for ScriptConnector {
    fn open(&self, profile: &Profile) -> Result<Box<dyn Transport>, Error> {
        if *self.0.sign_in_needed.borrow() {
            return Err(crate::oauth::OAuthError::NeedsSignIn {
                profile: profile.id.clone(),
                why: Some("revoked".into()),
            }
            .into());
        }
        *self.0.opened.borrow_mut() += 1;
        Ok(Box::new(ScriptedTransport(self.0)))
    }
}

fn profiles() -> Profiles {
    let mut profiles = Profiles::default();
    profiles
        .add(Profile {
            id: "work".into(),
            from: "me@example.org".into(),
            server: Server::Smtp(SmtpServer::new("x", Security::Tls, Auth::None)),
        })
        .unwrap();
    profiles
}

fn refused(code: u16) -> SendError {
    SendError::Refused {
        server: "s:25".into(),
        stage: Stage::Sender,
        reply: Reply {
            code,
            text: format!("{code} words"),
        },
    }
}

fn run(f: &Fixture, script: &'static Script, clock: &TestClock) -> RunReport {
    run_watched(f, script, clock, &no_progress)
}

fn run_watched(
    f: &Fixture,
    script: &'static Script,
    clock: &TestClock,
    on_upload: &dyn Fn(Upload<'_>),
) -> RunReport {
    let sent = SentStore::new(f.home.path());
    let profiles = profiles();
    let runner = Runner {
        outbox: &f.outbox,
        drafts: &f.drafts,
        sent: &sent,
        profiles: &profiles,
        give_up_after: Duration::from_secs(48 * 3600),
        clock,
        connector: &ScriptConnector(script),
        on_upload,
        after_sent: Box::new(crate::outbox::NothingAfterSent),
    };
    runner.run_due().unwrap()
}

fn leak(script: Script) -> &'static Script {
    Box::leak(Box::new(script))
}

#[test]
fn due_messages_share_one_connection_go_to_sent_and_leave_the_outbox() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let a = f.schedule("a@example.org", "work", now());
    let b = f.schedule("b@example.org", "work", now());
    let later = f.schedule(
        "c@example.org",
        "work",
        now() + SignedDuration::from_hours(1),
    );
    let script = leak(Script::default());

    let report = run(&f, script, &clock);
    assert_eq!(report.sent.len(), 2);
    assert!(report.sent.contains(&a.id) && report.sent.contains(&b.id));
    assert_eq!(*script.opened.borrow(), 1, "one connection for both");
    assert_eq!(report.next_due, Some(later.send_at));
    let sent = SentStore::new(f.home.path()).list().unwrap();
    assert_eq!(sent.len(), 2);
    let transmitted = String::from_utf8(script.sent_bytes.borrow()[0].clone()).unwrap();
    assert!(!transmitted.contains("Bcc:"), "Bcc is not transmitted");
    assert!(
        std::fs::read_to_string(&sent[0].path)
            .unwrap()
            .contains("Bcc: secret@example.org"),
        "but kept in sent/"
    );
    assert_eq!(f.outbox.list(&f.drafts).unwrap().entries, vec![later]);
}

#[test]
fn messages_of_a_profile_whose_sign_in_was_revoked_wait_without_spending_retries_then_go_once() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entries: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|n| f.schedule(&format!("{n}@example.org"), "work", now()))
        .collect();
    let script = leak(Script::default());
    *script.sign_in_needed.borrow_mut() = true;

    let report = run(&f, script, &clock);
    assert_eq!(report.waiting.len(), 3, "{report:?}");
    assert!(report.failed.is_empty() && report.retrying.is_empty());
    for entry in &entries {
        let after = f.outbox.load(&entry.id).unwrap();
        assert_eq!((after.state, after.attempts), (State::WaitingForSignIn, 0));
        assert!(
            after
                .last_error
                .unwrap()
                .message
                .contains("work needs you to sign in again")
        );
    }

    clock.advance(SignedDuration::from_hours(49));
    let report = run(&f, script, &clock);
    assert_eq!(
        (report.waiting.len(), report.failed.len()),
        (3, 0),
        "past give_up_after they still wait"
    );

    *script.sign_in_needed.borrow_mut() = false;
    let report = run(&f, script, &clock);
    assert_eq!(report.sent.len(), 3, "signed in again: all go out");
    assert_eq!(script.sent_bytes.borrow().len(), 3, "once each");
    assert!(f.outbox.list(&f.drafts).unwrap().entries.is_empty());
    assert!(run(&f, script, &clock).sent.is_empty(), "and never again");
}

#[test]
fn a_pass_reports_the_size_each_profiles_server_takes() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    f.schedule("a@example.org", "work", now());
    let script = leak(Script {
        size_limit: Some(2_097_152),
        ..Script::default()
    });
    let report = run(&f, script, &clock);
    assert_eq!(report.sent.len(), 1);
    assert_eq!(report.size_limits.get("work"), Some(&2_097_152));
    assert!(
        run(&f, script, &clock).size_limits.is_empty(),
        "nothing due: no connection, nothing learned"
    );
}

#[test]
fn a_temporary_failure_backs_off_then_gives_up() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let script = leak(Script {
        results: RefCell::new(vec![Err(refused(451)), Err(refused(451))]),
        ..Script::default()
    });

    let report = run(&f, script, &clock);
    assert_eq!(
        report.retrying,
        vec![(entry.id.clone(), now() + SignedDuration::from_mins(1))]
    );
    let after = f.outbox.load(&entry.id).unwrap();
    assert_eq!((after.state, after.attempts), (State::Scheduled, 1));
    assert!(after.last_error.unwrap().message.contains("451 words"));

    assert!(
        run(&f, script, &clock).retrying.is_empty(),
        "not due again yet"
    );
    clock.advance(SignedDuration::from_hours(49));
    let report = run(&f, script, &clock);
    assert_eq!(
        report.failed,
        vec![entry.id.clone()],
        "gave up after two days"
    );
    assert_eq!(f.outbox.load(&entry.id).unwrap().attempts, 2);
}

#[test]
fn a_permanent_failure_is_kept_with_the_servers_words() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let script = leak(Script {
        results: RefCell::new(vec![Err(refused(550))]),
        ..Script::default()
    });
    assert_eq!(run(&f, script, &clock).failed, vec![entry.id.clone()]);
    let failed = f.outbox.load(&entry.id).unwrap();
    assert_eq!(failed.state, State::Failed);
    assert_eq!(
        failed.last_error.unwrap().message,
        "s:25 refused MAIL FROM: 550 550 words"
    );
    // Nothing lost: it can go back to the drafts.
    let draft_id = f.outbox.cancel(&f.drafts, &entry.id).unwrap();
    assert_eq!(f.drafts.load(&draft_id).unwrap().draft.to, "a@example.org");
}

/// A server that takes the whole message and then says nothing.
fn silent_after_the_upload() -> &'static Script {
    let silent = SendError::Network {
        server: "s".into(),
        stage: Stage::Message,
        detail: "timed out".into(),
        timed_out: true,
    };
    leak(Script {
        results: RefCell::new(vec![Err(silent)]),
        ..Script::default()
    })
}

#[test]
fn silence_after_the_upload_is_uncertain_and_never_resent() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let script = silent_after_the_upload();
    assert_eq!(run(&f, script, &clock).uncertain, vec![entry.id.clone()]);
    clock.advance(SignedDuration::from_hours(1));
    assert_eq!(run(&f, script, &clock), RunReport::default());
    assert_eq!(script.sent_bytes.borrow().len(), 1);
}

/// Records the entries it is told were sent, as the server-copy filer queues them.
#[derive(Default)]
struct RecordingAfterSent(Mutex<Vec<String>>);

impl AfterSent for RecordingAfterSent {
    fn sent(&self, entry: &Entry) -> Result<(), StoreError> {
        self.0.lock().unwrap().push(entry.id.clone());
        Ok(())
    }
    fn pass(&self) -> CopiesReport {
        CopiesReport::default()
    }
}

#[test]
fn an_uncertain_message_the_person_says_went_out_is_finished_like_a_sent_one() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let script = silent_after_the_upload();
    assert_eq!(run(&f, script, &clock).uncertain, vec![entry.id.clone()]);
    let sent = SentStore::new(f.home.path());
    let after_sent = RecordingAfterSent::default();
    let sent_id = f.outbox.dismiss(&sent, &after_sent, &entry.id).unwrap();
    assert_eq!(
        *after_sent.0.lock().unwrap(),
        vec![entry.id.clone()],
        "its copy is queued for the server's Sent folder, as a sent message's is"
    );
    assert!(f.outbox.list(&f.drafts).unwrap().entries.is_empty());
    assert_eq!(sent_id, entry.id);
}

#[test]
fn a_sender_that_died_leaves_uncertain_or_finished_entries() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let died_before_250 = f.schedule("a@example.org", "work", now());
    let died_after_250 = f.schedule("b@example.org", "work", now());
    for (entry, accepted) in [(&died_before_250, false), (&died_after_250, true)] {
        let mut e = entry.clone();
        e.state = State::Sending;
        e.accepted = accepted.then(|| Acceptance {
            at: now(),
            reply: "250 queued".into(),
        });
        f.outbox.save(&e).unwrap();
    }
    let script = leak(Script::default());
    let report = run(&f, script, &clock);
    assert_eq!(report.uncertain, vec![died_before_250.id.clone()]);
    assert_eq!(report.sent, vec![died_after_250.id.clone()]);
    assert!(
        script.sent_bytes.borrow().is_empty(),
        "nothing was sent again"
    );
    assert_eq!(SentStore::new(f.home.path()).list().unwrap().len(), 1);
}

#[test]
fn a_sender_that_died_after_its_copy_into_sent_leaves_one_copy() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let mut accepted = entry.clone();
    accepted.state = State::Sending;
    accepted.accepted = Some(Acceptance {
        at: now(),
        reply: "250 queued".into(),
    });
    f.outbox.save(&accepted).unwrap();
    // What the finisher did before it was killed: the link into sent/, not the removal;
    // and then the person's mail program marked the copy replied, renaming it.
    let sent = SentStore::new(f.home.path());
    sent.link_in(
        &entry.id,
        &f.outbox.message_path(&entry.id),
        accepted.sent_at(),
    )
    .unwrap();
    sent.sync().unwrap();
    let copy = sent.path(&entry.id).unwrap();
    std::fs::rename(&copy, copy.to_string_lossy().replace(":2,S", ":2,RS")).unwrap();

    let script = leak(Script::default());
    assert_eq!(run(&f, script, &clock).sent, vec![entry.id.clone()]);
    assert!(
        script.sent_bytes.borrow().is_empty(),
        "nothing was sent again"
    );
    let copies = sent.list().unwrap();
    assert_eq!(copies.len(), 1, "one copy in sent/: {copies:?}");
    assert_eq!(copies[0].id, entry.id);
}

#[test]
fn an_entry_claimed_by_another_runner_is_left_alone() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let _other_runner = f.outbox.try_claim(&entry.id).unwrap().unwrap();
    let script = leak(Script::default());
    assert!(run(&f, script, &clock).sent.is_empty());
    assert!(script.sent_bytes.borrow().is_empty());
}

#[test]
fn backoff_doubles_up_to_an_hour() {
    let minutes: Vec<i64> = (1..=9).map(|n| backoff(n).as_mins()).collect();
    assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
}

#[test]
fn each_upload_is_reported_with_its_entry_and_the_bytes_transmitted() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let entry = f.schedule("a@example.org", "work", now());
    let heard = Mutex::new(Vec::new());
    let script = leak(Script::default());
    let on_upload = |u: Upload<'_>| {
        heard
            .lock()
            .unwrap()
            .push((u.entry_id.to_string(), u.sent, u.total))
    };
    run_watched(&f, script, &clock, &on_upload);
    let transmitted = script.sent_bytes.borrow()[0].len();
    assert_eq!(
        *heard.lock().unwrap(),
        vec![(entry.id.clone(), transmitted, transmitted)],
        "the Bcc header is not part of what goes out, so not of the total"
    );
}

#[test]
fn a_message_scheduled_days_ahead_is_dated_when_it_goes_out() {
    let f = Fixture::new();
    let clock = TestClock(Mutex::new(now()));
    let three_days = SignedDuration::from_hours(72);
    f.schedule("a@example.org", "work", now() + three_days);
    let script = leak(Script::default());
    clock.advance(three_days);

    let report = run(&f, script, &clock);
    assert_eq!(report.sent.len(), 1);
    let expected = format!(
        "Date: {}\r\n",
        crate::message::date::header_value(now() + three_days)
    );
    let transmitted = String::from_utf8(script.sent_bytes.borrow()[0].clone()).unwrap();
    assert!(transmitted.contains(&expected), "{transmitted}");
    let sent = SentStore::new(f.home.path()).list().unwrap();
    let kept = std::fs::read_to_string(&sent[0].path).unwrap();
    assert!(kept.contains(&expected), "the copy in sent/ says the same");
}
