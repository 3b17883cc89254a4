//! Unit tests of scheduling, cancelling and recovery on a temp folder.

use super::*;
use crate::message::{Draft, build};
use jiff::SignedDuration;

pub(super) use crate::clock::fixed_now as now;

pub(super) struct Fixture {
    pub home: tempfile::TempDir,
    pub outbox: Outbox,
    pub drafts: DraftStore,
}

impl Fixture {
    pub fn new() -> Self {
        let home = tempfile::tempdir().unwrap();
        Self {
            outbox: Outbox::new(home.path()),
            drafts: DraftStore::new(home.path()),
            home,
        }
    }

    /// Schedules a message to `to` at `send_at` through a new draft; returns the entry.
    pub fn schedule(&self, to: &str, profile: &str, send_at: Timestamp) -> Entry {
        let draft = Draft {
            to: to.into(),
            subject: format!("for {to}"),
            body: "hi".into(),
            bcc: "secret@example.org".into(),
            ..Draft::default()
        };
        let record = self
            .drafts
            .create(Some(profile.into()), draft.clone(), now())
            .unwrap();
        let message = build(&draft, "me@example.org").unwrap();
        let schedule = Schedule {
            profile,
            message: &message,
            draft_id: &record.id,
            send_at,
            time_zone: "Europe/Paris".into(),
            subject: draft.subject.clone(),
        };
        self.outbox.schedule(&self.drafts, schedule, now()).unwrap()
    }
}

#[test]
fn scheduling_freezes_the_message_and_takes_the_draft_along() {
    let f = Fixture::new();
    let entry = f.schedule("a@example.org", "work", now());
    assert_eq!(
        f.drafts.list(None).unwrap().drafts.len(),
        0,
        "the draft moved into the outbox"
    );
    let frozen = std::fs::read_to_string(f.outbox.message_path(&entry.id)).unwrap();
    assert!(
        frozen.contains("Bcc: secret@example.org"),
        "the record keeps Bcc"
    );
    assert_eq!(
        entry.envelope.to,
        vec!["a@example.org", "secret@example.org"]
    );
    assert_eq!(f.outbox.list(&f.drafts).unwrap().entries, vec![entry]);
}

#[test]
fn cancel_gives_the_draft_back_intact() {
    let f = Fixture::new();
    let entry = f.schedule("a@example.org", "work", now());
    let draft_id = f.outbox.cancel(&f.drafts, &entry.id).unwrap();
    let back = f.drafts.load(&draft_id).unwrap();
    assert_eq!(back.draft.to, "a@example.org");
    assert_eq!(back.profile.as_deref(), Some("work"));
    assert!(f.outbox.list(&f.drafts).unwrap().entries.is_empty());
    assert!(matches!(
        f.outbox.cancel(&f.drafts, &entry.id),
        Err(StoreError::UnknownEntry(_))
    ));
}

#[test]
fn an_entry_being_sent_cannot_be_cancelled() {
    let f = Fixture::new();
    let entry = f.schedule("a@example.org", "work", now());
    let _held = f.outbox.try_claim(&entry.id).unwrap().unwrap();
    let err = f.outbox.cancel(&f.drafts, &entry.id).unwrap_err();
    assert!(matches!(err, StoreError::Busy(_)), "{err}");
}

#[test]
fn a_crash_while_scheduling_gives_the_draft_back() {
    let f = Fixture::new();
    let record = f
        .drafts
        .create(
            None,
            Draft {
                subject: "half".into(),
                ..Draft::default()
            },
            now(),
        )
        .unwrap();
    let staging = f.home.path().join("outbox/.staging-x");
    std::fs::create_dir_all(&staging).unwrap();
    f.drafts
        .move_out(&record.id, &staging.join("draft"))
        .unwrap();
    assert!(f.drafts.list(None).unwrap().drafts.is_empty());

    f.outbox.list(&f.drafts).unwrap();
    assert_eq!(f.drafts.load(&record.id).unwrap().draft.subject, "half");
    assert!(!staging.exists());
}

#[test]
fn a_damaged_sidecar_is_quarantined_and_the_rest_still_lists() {
    let f = Fixture::new();
    let good = f.schedule("a@example.org", "work", now());
    let bad = f.schedule("b@example.org", "work", now());
    std::fs::write(f.outbox.folder(&bad.id).join("entry.slots"), b"{\"id\": 3").unwrap();
    let listing = f.outbox.list(&f.drafts).unwrap();
    assert_eq!(listing.entries, vec![good]);
    assert_eq!(listing.quarantined.len(), 1);
    let text = listing.quarantined[0].to_string();
    assert!(
        text.contains("entry.slots was damaged") && text.contains("quarantine"),
        "{text}"
    );
}

#[test]
fn an_entry_kept_as_entry_json_by_mailroom_0_1_still_lists_and_moves_on_when_changed() {
    let f = Fixture::new();
    let entry = f.schedule("a@example.org", "work", now());
    let folder = f.outbox.folder(&entry.id);
    std::fs::remove_file(folder.join(ENTRY)).unwrap();
    std::fs::write(
        folder.join(LEGACY_ENTRY),
        serde_json::to_vec(&entry).unwrap(),
    )
    .unwrap();
    assert_eq!(
        f.outbox.list(&f.drafts).unwrap().entries,
        vec![entry.clone()]
    );

    let later = f
        .outbox
        .reschedule(&entry.id, now() + SignedDuration::from_hours(1));
    assert_eq!(later.unwrap().state, State::Scheduled);
    assert!(folder.join(ENTRY).exists() && !folder.join(LEGACY_ENTRY).exists());
    let reloaded = f.outbox.load(&entry.id).unwrap();
    assert_eq!(reloaded.send_at, now() + SignedDuration::from_hours(1));
}
