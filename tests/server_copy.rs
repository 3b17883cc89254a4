//! The copy of each sent message in the server's Sent folder (issue 15), with the real
//! `mailroom` binary against the OAuth2 + IMAP bed (`support::oauth_bed`): Postfix
//! submission takes the message (PLAIN for the password user, XOAUTH2/OAUTHBEARER for the
//! OAuth2 one), Dovecot keeps the mailbox whose `\Sent` folder is "Sent Items" (a decoy
//! "Sent" has no SPECIAL-USE flag). Each test reads the folder on disk: one copy, its
//! bytes as sent (Bcc included), flagged seen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use support::oauth_bed::{
    DECOY_SENT_MAILBOX, OAUTH_USER, OAuthBed, PW_PASS, PW_USER, as_stored, message_files, oauth_bed,
};
use support::oauth_world::World;
use support::{Home, Run, free_port, parse};

/// A home with the shared test keyring and a profile `work` for the password user:
/// SMTP submission (STARTTLS) and IMAP on `imap_port` (implicit TLS), both trusting the
/// bed's CA.
fn password_home(bed: &OAuthBed, imap_port: u16, extra: &[&str]) -> Home {
    let home = Home::with_keyring();
    let ca = bed.ca_file();
    let imap = imap_port.to_string();
    let mut args = vec![
        "--from",
        PW_USER,
        "--security",
        "starttls",
        "--user",
        PW_USER,
        "--ca-file",
        ca.to_str().unwrap(),
        "--password-stdin",
        "--imap-host",
        "localhost",
        "--imap-port",
        &imap,
        "--imap-security",
        "tls",
    ];
    args.extend_from_slice(extra);
    home.smtp_profile_with_stdin("work", "localhost", bed.submission, &args, PW_PASS);
    home
}

fn send(home: &Home, subject: &str) -> Run {
    home.run(&[
        "send",
        "--to",
        "Ana <ana-copy@example.org>",
        "--bcc",
        "hidden-copy@example.org",
        "--subject",
        subject,
        "--body",
        "Filed where the phone shows it.\n",
    ])
}

/// The files of a Maildir folder (`new/` and `cur/`) whose message has `subject`.
fn copies_of(folder: &Path, subject: &str) -> Vec<PathBuf> {
    message_files(folder)
        .into_iter()
        .filter(|p| {
            std::fs::read(p)
                .map(|bytes| parse(&bytes).subject() == Some(subject))
                .unwrap_or(false)
        })
        .collect()
}

/// The copies of `subject` in `user`'s `\Sent` folder.
fn sent_copies(bed: &OAuthBed, user: &str, subject: &str) -> Vec<PathBuf> {
    copies_of(&bed.sent_folder(user), subject)
}

/// Whether a Maildir file name carries `flag` (`…:2,S` seen, `D` draft).
fn has_flag(path: &Path, flag: char) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.rsplit_once(":2,"))
        .is_some_and(|(_, flags)| flags.contains(flag))
}

/// The records of copies still to be filed (`data/server-copies/*.json`).
fn queued(home: &Home) -> Vec<PathBuf> {
    support::files_in(&home.path().join("data/server-copies"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect()
}

fn unique(subject: &str) -> String {
    format!("{subject} {}", std::process::id())
}

#[test]
fn a_message_sent_now_is_filed_once_in_the_sent_folder_with_its_bcc_and_seen() {
    let bed = oauth_bed();
    let home = password_home(bed, bed.imaps, &[]);
    let subject = unique("Filed in Sent Items");
    let run = send(&home, &subject).ok();
    assert!(
        run.stdout
            .contains("A copy is in the Sent folder on the server."),
        "{run:?}"
    );

    let copies = sent_copies(bed, PW_USER, &subject);
    assert_eq!(copies.len(), 1, "one copy in Sent Items: {copies:?}");
    assert!(has_flag(&copies[0], 'S'), "flagged seen: {:?}", copies[0]);
    let filed = std::fs::read(&copies[0]).unwrap();
    let message = parse(&filed);
    let bcc = message.bcc().and_then(|a| a.first()).unwrap();
    assert_eq!(bcc.address(), Some("hidden-copy@example.org"));
    assert!(
        copies_of(&bed.folder(PW_USER, DECOY_SENT_MAILBOX), &subject).is_empty(),
        "nothing in the folder merely named Sent"
    );

    // The bytes filed are the bytes kept in sent/, which are the bytes sent.
    let kept = support::files_in(&home.path().join("data/sent/cur"));
    assert_eq!(kept.len(), 1);
    assert_eq!(as_stored(&std::fs::read(&kept[0]).unwrap()), filed);
    let listed = home.run(&["outbox", "list"]).ok();
    assert!(!listed.stdout.contains("pending"), "{listed:?}");
}

#[test]
fn a_copy_waits_while_the_imap_server_is_away_and_is_filed_once_when_it_is_back() {
    let bed = oauth_bed();
    let away = free_port(); // nothing listens there
    let home = password_home(bed, away, &[]);
    let subject = unique("Filed once the server is back");

    let run = send(&home, &subject).ok();
    assert!(
        run.stdout.contains("Sent to"),
        "the message went out: {run:?}"
    );
    assert!(
        run.stderr
            .contains("the copy is not in the server's Sent folder yet")
            && run.stderr.contains(&format!("localhost:{away}")),
        "{run:?}"
    );
    let listed = home.run(&["outbox", "list"]).ok();
    assert!(listed.stdout.contains("copy to Sent pending"), "{listed:?}");
    assert!(sent_copies(bed, PW_USER, &subject).is_empty());
    let records = queued(&home);
    let record = records.first().expect("the pending copy's record");
    let pending = std::fs::read(record).unwrap();

    home.run(&[
        "profile",
        "edit",
        "work",
        "--imap-port",
        &bed.imaps.to_string(),
    ])
    .ok();
    let retried = home.run(&["outbox", "retry-copies"]).ok();
    assert!(retried.stdout.contains("filed the copy of"), "{retried:?}");
    assert_eq!(sent_copies(bed, PW_USER, &subject).len(), 1);

    // Asked again, nothing is filed twice.
    home.run(&["outbox", "retry-copies"]).ok();
    home.run(&["outbox", "run"]).ok();
    assert_eq!(sent_copies(bed, PW_USER, &subject).len(), 1);
    // A filer killed after its APPEND, before it removed the record, leaves the record
    // behind: the next try finds the Message-ID in Sent and files nothing.
    std::fs::write(record, &pending).unwrap();
    let again = home.run(&["outbox", "retry-copies"]).ok();
    assert!(again.stdout.contains("filed the copy of"), "{again:?}");
    assert_eq!(sent_copies(bed, PW_USER, &subject).len(), 1);
    assert!(!record.exists());
    let listed = home.run(&["outbox", "list"]).ok();
    assert!(!listed.stdout.contains("pending"), "{listed:?}");
}

#[test]
fn a_provider_that_files_its_own_copies_gets_none_from_mailroom() {
    let bed = oauth_bed();
    let home = password_home(bed, bed.imaps, &["--sent-copy", "provider"]);
    let subject = unique("The provider files this one");
    let run = send(&home, &subject).ok();
    assert!(
        !run.stdout.contains("A copy is in the Sent folder"),
        "{run:?}"
    );
    assert!(run.stderr.is_empty(), "{run:?}");
    assert!(sent_copies(bed, PW_USER, &subject).is_empty());
    assert!(queued(&home).is_empty(), "nothing queued");
}

#[test]
fn the_connection_test_finds_the_sent_folder_by_special_use() {
    let bed = oauth_bed();
    let home = password_home(bed, bed.imaps, &[]);
    let run = home.run(&["profile", "test", "work"]).ok();
    assert!(
        run.stdout.contains(&format!(
            "IMAP localhost:{} (encrypted, certificate verified), logged in, Sent folder \"Sent Items\" (found by SPECIAL-USE)",
            bed.imaps
        )),
        "{run:?}"
    );
    // A folder named in the profile must be there.
    home.run(&["profile", "edit", "work", "--sent-folder", "Archive/Sent"])
        .ok();
    // (The SMTP part passed: `profile test` reports the IMAP part's problem, as the
    // pinned-certificate test below shows too.)
    let run = home.run(&["profile", "test", "work"]).ok();
    assert!(
        run.stdout.contains(&format!(
            "IMAP: localhost:{} has no folder \"Archive/Sent\" (the Sent folder set in the profile); its folders:",
            bed.imaps
        )) && run.stdout.contains("Sent Items"),
        "{run:?}"
    );
    home.run(&["profile", "edit", "work", "--sent-folder", "Sent Items"])
        .ok();
    let run = home.run(&["profile", "test", "work"]).ok();
    assert!(
        run.stdout
            .contains("Sent folder \"Sent Items\" (set in the profile)"),
        "{run:?}"
    );
    let wrong = home.run(&["profile", "edit", "work", "--imap-security", "plain"]);
    assert_ne!(wrong.code, 0, "{wrong:?}");
    assert!(wrong.stderr.contains("--imap-security"), "{wrong:?}");
}

#[test]
fn a_refused_copy_is_named_with_the_servers_words_and_filed_when_asked_again() {
    let bed = oauth_bed();
    // A folder that does not exist: Dovecot refuses it.
    let home = password_home(bed, bed.imaps, &["--sent-folder", "No Such Folder"]);
    let subject = unique("Refused, then filed");
    let run = send(&home, &subject).ok();
    assert!(
        run.stderr
            .contains("the server would not take its copy in the Sent folder")
            && run
                .stderr
                .contains("NO Mailbox doesn't exist: No Such Folder"),
        "the server's own words: {run:?}"
    );
    let listed = home.run(&["outbox", "list"]).ok();
    assert!(
        listed.stdout.contains("refused by the server"),
        "{listed:?}"
    );
    // Not tried again by itself.
    home.run(&["outbox", "run"]).ok();
    assert!(sent_copies(bed, PW_USER, &subject).is_empty());

    home.run(&["profile", "edit", "work", "--sent-folder", ""])
        .ok();
    home.run(&["outbox", "retry-copies"]).ok();
    assert_eq!(sent_copies(bed, PW_USER, &subject).len(), 1);
}

#[test]
fn outbox_run_killed_at_any_moment_leaves_every_sent_message_with_exactly_one_copy() {
    let bed = oauth_bed();
    let home = password_home(bed, bed.imaps, &[]);
    let tag = unique("Crash");
    let rounds = 20;
    let per_round = 3;
    let mut killed = 0;
    let mut pending_after_kill = 0;
    for round in 0..rounds {
        for n in 0..per_round {
            home.run(&[
                "send",
                "--in",
                "0m",
                "--to",
                "ana-copy@example.org",
                "--subject",
                &format!("{tag} {round}.{n}"),
                "--body",
                "x\n",
            ])
            .ok();
        }
        let mut child = home
            .command(&["outbox", "run"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // From just after the start to well into the filing.
        std::thread::sleep(Duration::from_millis(30 + (37 * round as u64) % 300));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        pending_after_kill += queued(&home).len();
    }
    // What was left is finished: recovery, then the copies.
    home.run(&["outbox", "run"]);
    home.run(&["outbox", "retry-copies"]).ok();

    let listed = home.run(&["sent", "list", "--json"]).ok().stdout;
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let sent: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["subject"].as_str().unwrap().to_string())
        .collect();
    let mut checked = 0;
    for round in 0..rounds {
        for n in 0..per_round {
            let subject = format!("{tag} {round}.{n}");
            let copies = sent_copies(bed, PW_USER, &subject).len();
            let expected = usize::from(sent.contains(&subject));
            assert_eq!(
                copies, expected,
                "\"{subject}\": {copies} copies in Sent Items; in sent/: {expected}"
            );
            checked += expected;
        }
    }
    eprintln!(
        "crash test: {rounds} runs, {killed} killed, {pending_after_kill} copies found pending after a kill, \
         {checked} sent messages each with exactly one copy"
    );
    assert!(checked > 0, "some messages went out");
}

#[test]
fn an_oauth2_profile_files_its_copy_with_the_same_sign_in() {
    let w = World::new();
    w.add_profile(w.bed.submission, w.bed.issuer());
    w.run(&[
        "profile",
        "edit",
        "work",
        "--imap-host",
        "localhost",
        "--imap-port",
        &w.bed.imaps.to_string(),
    ])
    .ok();
    w.sign_in();
    let subject = unique("Filed with a token");
    let run = w.send(&subject).ok();
    assert!(
        run.stdout
            .contains("A copy is in the Sent folder on the server."),
        "{run:?}"
    );
    assert_eq!(sent_copies(w.bed, OAUTH_USER, &subject).len(), 1);
}

/// The messages in `user`'s `\Drafts` folder whose subject is `subject`, as bytes.
fn server_drafts(bed: &OAuthBed, user: &str, subject: &str) -> Vec<(PathBuf, Vec<u8>)> {
    copies_of(&bed.drafts_folder(user), subject)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

#[test]
fn a_draft_saved_three_times_has_one_copy_in_drafts_and_none_once_sent() {
    let bed = oauth_bed();
    let home = password_home(bed, bed.imaps, &["--server-drafts"]);
    let subject = unique("Draft on the phone");
    let id = home
        .run(&[
            "drafts",
            "new",
            "--to",
            "ana-copy@example.org",
            "--subject",
            &subject,
            "--body",
            "first\n",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    home.run(&["outbox", "run"]).ok();
    for body in ["second\n", "third\n"] {
        home.run(&["drafts", "edit", &id, "--body", body]).ok();
    }
    home.run(&["outbox", "run"]).ok();
    let on_server = server_drafts(bed, PW_USER, &subject);
    assert_eq!(on_server.len(), 1, "one copy in Drafts: {on_server:?}");
    let (path, bytes) = &on_server[0];
    assert!(
        String::from_utf8_lossy(bytes).contains("third"),
        "the latest version"
    );
    assert!(has_flag(path, 'D'), "flagged \\Draft: {path:?}");

    // Nothing changed: a pass uploads nothing (the copy keeps its file).
    home.run(&["outbox", "run"]).ok();
    let again = server_drafts(bed, PW_USER, &subject);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0.file_name(), path.file_name());

    home.run(&["drafts", "send", &id]).ok();
    home.run(&["outbox", "run"]).ok();
    assert!(
        server_drafts(bed, PW_USER, &subject).is_empty(),
        "the sent draft left Drafts"
    );
    assert_eq!(
        sent_copies(bed, PW_USER, &subject).len(),
        1,
        "and is in Sent"
    );
}

#[test]
fn a_draft_without_a_recipient_waits_and_a_deleted_one_leaves_the_server() {
    let bed = oauth_bed();
    let home = password_home(bed, bed.imaps, &["--server-drafts"]);
    let subject = unique("Draft for nobody yet");
    let id = home
        .run(&["drafts", "new", "--subject", &subject, "--body", "x\n"])
        .ok()
        .stdout
        .trim()
        .to_string();
    home.run(&["outbox", "run"]).ok();
    assert!(server_drafts(bed, PW_USER, &subject).is_empty());
    home.run(&["drafts", "edit", &id, "--to", "ana-copy@example.org"])
        .ok();
    home.run(&["outbox", "run"]).ok();
    assert_eq!(server_drafts(bed, PW_USER, &subject).len(), 1);
    home.run(&["drafts", "delete", &id]).ok();
    home.run(&["outbox", "run"]).ok();
    assert!(server_drafts(bed, PW_USER, &subject).is_empty());
}

#[test]
fn a_pinned_imap_certificate_is_trusted_alone_and_another_is_refused() {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let bed = oauth_bed();
    let cert = CertificateDer::from_pem_file(bed.dir.join("certs/server.crt")).unwrap();
    let pin = mailroom::transport::smtp::fingerprint(&cert);
    let home = password_home(bed, bed.imaps, &[]);

    // A pin replaces the CA: a certificate the CA file vouches for is refused when it
    // is not the pinned one…
    let wrong = "00".repeat(32);
    home.run(&["profile", "edit", "work", "--imap-pin-sha256", &wrong])
        .ok();
    let refused = home.run(&["profile", "test", "work"]).ok();
    assert!(
        refused.stdout.contains("IMAP: ") && refused.stdout.contains("not the pinned one"),
        "{refused:?}"
    );
    // …and the pinned one is trusted (given as `openssl x509 -fingerprint` prints it).
    let colons = pin
        .as_bytes()
        .chunks(2)
        .map(|pair| String::from_utf8_lossy(pair).to_uppercase())
        .collect::<Vec<_>>()
        .join(":");
    home.run(&["profile", "edit", "work", "--imap-pin-sha256", &colons])
        .ok();
    let trusted = home.run(&["profile", "test", "work"]).ok();
    assert!(
        trusted.stdout.contains("(encrypted, certificate pinned)")
            && trusted.stdout.contains("Sent folder \"Sent Items\""),
        "{trusted:?}"
    );
    let saved = std::fs::read_to_string(home.path().join("config/profiles.toml")).unwrap();
    assert!(saved.contains(&pin), "stored in one form: {saved}");
}

#[test]
fn a_pending_copy_is_dropped_with_a_word_when_its_profile_stops_filing_copies() {
    let bed = oauth_bed();
    let home = password_home(bed, free_port(), &[]);
    let subject = unique("Never filed");
    send(&home, &subject).ok();
    assert_eq!(queued(&home).len(), 1);
    home.run(&["profile", "edit", "work", "--sent-copy", "off"])
        .ok();
    let run = home.run(&["outbox", "run"]).ok();
    assert!(
        run.stderr.contains("will not be filed") && run.stderr.contains("no longer files copies"),
        "{run:?}"
    );
    assert!(
        !run.stdout.contains("filed the copy"),
        "not reported as filed: {run:?}"
    );
    assert!(queued(&home).is_empty());
}
