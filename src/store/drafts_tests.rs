//! Unit tests of the draft store on a temp folder.

use super::*;

use crate::clock::fixed_now as now;

fn draft(subject: &str) -> Draft {
    Draft {
        to: "a@example.org".into(),
        subject: subject.into(),
        body: "body text".into(),
        ..Draft::default()
    }
}

#[test]
fn versions_accumulate_and_the_oldest_are_pruned() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let first = store.create(None, draft("v1"), now()).unwrap();
    for n in 2..=(KEPT_VERSIONS as u32 + 3) {
        let saved = store
            .save(&first.id, None, draft(&format!("v{n}")), now())
            .unwrap();
        assert_eq!(saved.version, n);
    }
    let versions = store.versions(&first.id).unwrap();
    assert_eq!(versions.len(), KEPT_VERSIONS);
    assert_eq!(versions[0], 4);
    assert_eq!(store.load(&first.id).unwrap().draft.subject, "v53");
    assert_eq!(
        store.load_version(&first.id, 10).unwrap().draft.subject,
        "v10"
    );
    let err = store.load_version(&first.id, 1).unwrap_err().to_string();
    assert!(err.contains("has no version 1 (kept: 4, 5"), "{err}");
}

#[test]
fn attachments_are_copied_so_moving_the_original_loses_nothing() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let original = home.path().join("plan.pdf");
    std::fs::write(&original, b"%PDF").unwrap();
    let mut d = draft("with file");
    d.attachments.push(Attachment::from_path(&original));
    let record = store.create(None, d, now()).unwrap();
    std::fs::remove_file(&original).unwrap();

    let loaded = store.load(&record.id).unwrap();
    let AttachmentSource::File(copy) = &loaded.draft.attachments[0].source else {
        panic!("a file")
    };
    assert_eq!(std::fs::read(copy).unwrap(), b"%PDF");
    let json = std::fs::read_to_string(store.folder(&record.id).join("draft.json")).unwrap();
    assert!(
        json.contains("\"files/plan.pdf\""),
        "stored relative to the draft: {json}"
    );

    // Saving again keeps the same copy rather than copying it twice.
    store.save(&record.id, None, loaded.draft, now()).unwrap();
    assert_eq!(
        std::fs::read_dir(store.folder(&record.id).join("files"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn a_crash_between_the_two_writes_is_repaired_on_load() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let record = store.create(None, draft("v1"), now()).unwrap();
    store.save(&record.id, None, draft("v2"), now()).unwrap();
    // As if the process died after writing versions/3 but before draft.json.
    let folder = store.folder(&record.id);
    let mut v3 = store.load(&record.id).unwrap();
    v3.version = 3;
    v3.draft.subject = "v3".into();
    write_record(&folder, &version_path(&folder, 3), &v3).unwrap();
    assert_eq!(store.load(&record.id).unwrap().draft.subject, "v3");
}

#[test]
fn list_reads_summaries_searches_and_quarantines_damage() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    store.create(None, draft("Quarterly plan"), now()).unwrap();
    let other = store
        .create(Some("work".into()), draft("Lunch"), now())
        .unwrap();
    let broken = store.create(None, draft("broken"), now()).unwrap();
    let folder = store.folder(&broken.id);
    std::fs::write(folder.join("draft.json"), b"{ not json").unwrap();
    std::fs::remove_dir_all(folder.join("versions")).unwrap();

    let listing = store.list(None).unwrap();
    assert_eq!(listing.drafts.len(), 2);
    assert_eq!(listing.quarantined.len(), 1);
    assert!(
        listing.quarantined[0].to_string().contains("was moved to"),
        "{}",
        listing.quarantined[0]
    );
    assert!(!folder.exists(), "the damaged draft is out of the way");

    let found = store.list(Some("LUNCH")).unwrap().drafts;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, other.id);
    assert_eq!(found[0].recipients, "a@example.org");
    assert_eq!(found[0].profile.as_deref(), Some("work"));
}

#[test]
fn unknown_ids_are_named_and_paths_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    assert_eq!(
        store.load("nope").unwrap_err().to_string(),
        "no draft with id \"nope\" (see `mailroom drafts list`)"
    );
    assert!(matches!(
        store.load("../../etc"),
        Err(StoreError::UnknownDraft(_))
    ));
}

fn with_attachment(home: &Path, subject: &str) -> Draft {
    let file = home.join("extra.pdf");
    std::fs::write(&file, b"%PDF-1.4 attached").unwrap();
    Draft {
        attachments: vec![Attachment::from_path(&file)],
        ..draft(subject)
    }
}

#[test]
fn a_deleted_draft_comes_back_from_the_trash_with_its_files() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let kept = store
        .create(None, with_attachment(home.path(), "with a file"), now())
        .unwrap();
    let deleted = store.trash(&kept.id, now()).unwrap();
    assert_eq!(deleted.draft.subject, "with a file");
    assert!(store.list(None).unwrap().drafts.is_empty());

    let back = store.restore(&kept.id).unwrap();
    let AttachmentSource::File(copy) = &back.draft.attachments[0].source else {
        panic!("the attachment is a file copy");
    };
    assert_eq!(std::fs::read(copy).unwrap(), b"%PDF-1.4 attached");
    let listing = store.list(None).unwrap();
    assert_eq!(listing.drafts.len(), 1);
    assert!(listing.quarantined.is_empty(), "{:?}", listing.quarantined);
}

#[test]
fn the_trash_is_emptied_once_the_undo_window_has_closed() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let kept = store.create(None, draft("gone"), now()).unwrap();
    store.trash(&kept.id, now()).unwrap();
    store.empty_trash(now());
    assert!(store.restore(&kept.id).is_ok(), "still within the window");
    store.trash(&kept.id, now()).unwrap();
    store.empty_trash(now() + jiff::SignedDuration::from_secs(1));
    assert!(matches!(
        store.restore(&kept.id),
        Err(StoreError::UnknownDraft(_))
    ));
}

#[test]
fn a_first_save_whose_files_are_gone_leaves_no_half_made_draft() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let lost = Draft {
        attachments: vec![Attachment::from_path(home.path().join("missing.pdf"))],
        ..draft("lost")
    };
    let err = store
        .put("20261202-101010-abcdef", None, lost, now())
        .unwrap_err();
    assert!(err.to_string().contains("missing.pdf"), "{err}");
    let listing = store.list(None).unwrap();
    assert!(listing.drafts.is_empty());
    assert!(listing.quarantined.is_empty(), "{:?}", listing.quarantined);
}

#[cfg(unix)]
#[test]
fn a_device_is_not_copied_into_a_draft() {
    // The window saves what it was given to attach: /dev/zero used to be read for ever.
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let mut d = draft("with a device");
    d.attachments.push(Attachment::from_path("/dev/zero"));
    let err = store.create(None, d, now()).unwrap_err().to_string();
    assert!(
        err.contains("/dev/zero") && err.contains("not a regular file"),
        "{err}"
    );
}

#[test]
fn an_attachment_with_a_very_long_name_is_kept_under_a_shorter_one_and_sent_under_its_own() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let long = format!("{}é.pdf", "a".repeat(300));
    let mut with_file = draft("long name");
    with_file.attachments.push(Attachment {
        file_name: long.clone(),
        content_type: Some("application/pdf".into()),
        content_id: None,
        source: AttachmentSource::Bytes(b"%PDF".to_vec()),
    });
    let saved = store.create(None, with_file, now()).unwrap();
    let loaded = store.load(&saved.id).unwrap();
    let attachment = &loaded.draft.attachments[0];
    assert_eq!(attachment.file_name, long, "sent under its own name");
    let AttachmentSource::File(copy) = &attachment.source else {
        panic!("copied into files/");
    };
    let on_disk = copy.file_name().unwrap().to_str().unwrap();
    assert!(
        on_disk.len() <= 200 && on_disk.ends_with(".pdf"),
        "{on_disk}"
    );
    assert_eq!(std::fs::read(copy).unwrap(), b"%PDF");
}

#[test]
fn a_name_is_shortened_at_a_character_boundary_keeping_its_extension() {
    assert_eq!(shortened("short.txt", 200), "short.txt");
    assert_eq!(shortened("ééééé.txt", 8), "éé.txt");
    assert_eq!(shortened("abcdefghij", 4), "abcd");
}

#[test]
fn a_stored_file_name_that_leaves_the_drafts_folder_is_refused_not_attached() {
    let home = tempfile::tempdir().unwrap();
    let store = DraftStore::new(home.path());
    let original = home.path().join("plan.pdf");
    std::fs::write(&original, b"%PDF").unwrap();
    std::fs::write(home.path().join("secret.txt"), b"not for mail").unwrap();
    let mut d = draft("with file");
    d.attachments.push(Attachment::from_path(&original));
    let record = store.create(None, d, now()).unwrap();
    // draft.json and every version edited by hand (or by a hostile sync) to reach out.
    let folder = store.folder(&record.id);
    let mut stored = vec![folder.join("draft.json")];
    stored.extend(
        std::fs::read_dir(folder.join("versions"))
            .unwrap()
            .map(|e| e.unwrap().path()),
    );
    for path in stored {
        let json = std::fs::read_to_string(&path).unwrap();
        let escaped = json.replace("\"files/plan.pdf\"", "\"files/../../../../secret.txt\"");
        assert_ne!(json, escaped);
        std::fs::write(&path, escaped).unwrap();
    }

    let err = store.load(&record.id).unwrap_err().to_string();
    assert!(
        err.contains("files/../../../../secret.txt") && err.contains("outside the draft's folder"),
        "{err}"
    );
}
