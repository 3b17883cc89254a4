//! The IMAP upload core (`mailroom::imap`, issue 15) against the real Dovecot of the
//! OAuth2 + IMAP bed (tests/support/README-oauth.md): password and OAuth2 logins over
//! IMAPS and STARTTLS, a refused token named with the server's words, the `\Sent` folder
//! found by SPECIAL-USE ("Sent Items", not the decoy "Sent"), APPEND with `\Seen` and an
//! internal date landing once on disk with its bytes and Bcc, search by Message-ID, a
//! draft removed by UID; and, against `faulty-imap.py`, a STARTTLS injection refused
//! before TLS.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use mailroom::imap::{Auth, Bearer, FoundBy, ImapError, ImapServer, Session};
use mailroom::profile::Security;
use secrecy::SecretString;
use support::oauth_bed::{
    DECOY_SENT_MAILBOX, DRAFTS_MAILBOX, OAUTH_USER, OAuthBed, PW_PASS, PW_USER, SENT_MAILBOX,
    TLS_NAME, as_stored, message_files, oauth_bed,
};

fn server(bed: &OAuthBed, security: Security) -> ImapServer {
    ImapServer {
        host: TLS_NAME.to_string(),
        port: if security == Security::Tls {
            bed.imaps
        } else {
            bed.imap
        },
        security,
        ca_file: Some(bed.ca_file()),
        pin_sha256: None,
        timeout: Duration::from_secs(15),
    }
}

fn password() -> Auth {
    Auth::Password {
        user: PW_USER.to_string(),
        password: SecretString::from(PW_PASS),
    }
}

fn bearer(token: &str, mechanism: Option<Bearer>) -> Auth {
    Auth::OAuth2 {
        user: OAUTH_USER.to_string(),
        token: SecretString::from(token),
        mechanism,
    }
}

fn logged_in(bed: &OAuthBed, security: Security, auth: &Auth) -> Session {
    let mut session = Session::connect(&server(bed, security)).unwrap();
    session.login(auth).unwrap();
    session
}

/// A message with a Bcc header and a Message-ID of its own.
fn message(tag: &str) -> (String, Vec<u8>) {
    let id = format!("<{tag}.{}@mailroom.test>", std::process::id());
    let text = format!(
        "From: {PW_USER}\r\nTo: someone@example.org\r\nBcc: hidden@example.org\r\n\
         Subject: {tag}\r\nMessage-ID: {id}\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Body of {tag}.\r\nSecond line with a trailing space \r\n.\r\n"
    );
    (id, text.into_bytes())
}

/// The files in a Maildir folder (`new/` and `cur/`) whose bytes hold `needle`.
fn files_with(folder: &Path, needle: &str) -> Vec<PathBuf> {
    message_files(folder)
        .into_iter()
        .filter(|p| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b).contains(needle))
                .unwrap_or(false)
        })
        .collect()
}

#[test]
fn a_password_logs_in_over_imaps_and_over_starttls() {
    let bed = oauth_bed();
    for security in [Security::Tls, Security::Starttls] {
        let session = logged_in(bed, security, &password());
        assert!(session.is_tls());
        assert!(session.has("UIDPLUS"), "{:?}", session.capabilities());
        session.logout();
    }
}

#[test]
fn a_wrong_password_is_refused_with_the_servers_words() {
    let bed = oauth_bed();
    let mut session = Session::connect(&server(bed, Security::Tls)).unwrap();
    let wrong = Auth::Password {
        user: PW_USER.to_string(),
        password: SecretString::from("not-the-password"),
    };
    let err = session.login(&wrong).unwrap_err();
    let text = err.to_string();
    println!("{text}");
    assert!(matches!(err, ImapError::LoginRefused { .. }), "{err:?}");
    assert!(text.contains(&format!("localhost:{}", bed.imaps)), "{text}");
    assert!(text.contains("NO"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
}

#[test]
fn a_minted_token_logs_in_with_xoauth2_and_with_oauthbearer() {
    let bed = oauth_bed();
    let token = bed.mint(3600).access_token;
    for (security, mechanism) in [
        (Security::Tls, Some(Bearer::XOAuth2)),
        (Security::Starttls, Some(Bearer::OAuthBearer)),
        (Security::Tls, None),
    ] {
        let mut session = logged_in(bed, security, &bearer(&token, mechanism));
        let folders = session.special_folders().unwrap();
        assert_eq!(folders.sent.unwrap().name, SENT_MAILBOX);
        session.logout();
    }
}

#[test]
fn a_refused_token_is_reported_with_the_servers_words() {
    let bed = oauth_bed();
    for mechanism in [Bearer::XOAuth2, Bearer::OAuthBearer] {
        let token = bed.mint(3600).access_token;
        assert_eq!(bed.expire(&token), 1);
        let mut session = Session::connect(&server(bed, Security::Tls)).unwrap();
        let err = session.login(&bearer(&token, Some(mechanism))).unwrap_err();
        let text = err.to_string();
        println!("{}: {text}", mechanism.name());
        match &err {
            ImapError::LoginRefused {
                mechanism: m,
                words,
                status,
                ..
            } => {
                assert_eq!(m, mechanism.name());
                assert!(words.starts_with("NO"), "{words}");
                assert!(status.is_some(), "the error challenge's status: {err:?}");
            }
            other => panic!("{other:?}"),
        }
        assert!(!text.contains(&token), "{text}");
        // the session is still usable: the exchange was ended cleanly
        session.login(&password()).unwrap();
        session.logout();
    }
}

#[test]
fn the_sent_folder_is_sent_items_by_special_use_not_the_decoy() {
    let bed = oauth_bed();
    let mut session = logged_in(bed, Security::Starttls, &password());
    assert!(session.has("SPECIAL-USE"));
    let folders = session.special_folders().unwrap();
    let sent = folders.sent.unwrap();
    assert_eq!(sent.name, SENT_MAILBOX);
    assert_ne!(sent.name, DECOY_SENT_MAILBOX);
    assert_eq!(sent.found_by, FoundBy::SpecialUse);
    let drafts = folders.drafts.unwrap();
    assert_eq!(drafts.name, DRAFTS_MAILBOX);
    session.logout();
}

fn append_once_and_find(bed: &OAuthBed, user: &str, auth: &Auth, tag: &str) {
    let mut session = logged_in(bed, Security::Tls, auth);
    let sent = session.special_folders().unwrap().sent.unwrap().name;
    let (id, bytes) = message(tag);
    // a retry looks first: not there yet
    assert_eq!(
        session.find_message_id(&sent, &id).unwrap(),
        Vec::<u32>::new()
    );
    let date = jiff::Timestamp::from_second(1_780_000_000)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(2)));
    let appended = session
        .append(&sent, &bytes, &["\\Seen"], Some(&date))
        .unwrap();
    let (_, uid) = appended.uid.expect("APPENDUID from a UIDPLUS server");
    // found by its Message-ID, as the UID the APPEND returned
    assert_eq!(session.find_message_id(&sent, &id).unwrap(), vec![uid]);
    // a retry that looks first does not file it again
    if session.find_message_id(&sent, &id).unwrap().is_empty() {
        session
            .append(&sent, &bytes, &["\\Seen"], Some(&date))
            .unwrap();
    }
    session.logout();

    let files = files_with(&bed.sent_folder(user), &id);
    assert_eq!(files.len(), 1, "exactly one copy in Sent: {files:?}");
    let file = &files[0];
    let stored = std::fs::read(file).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&stored),
        String::from_utf8_lossy(&as_stored(&bytes))
    );
    assert!(String::from_utf8_lossy(&stored).contains("Bcc: hidden@example.org"));
    let name = file.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        file.parent().unwrap().ends_with("cur") && name.ends_with(":2,S"),
        "\\Seen: {}",
        file.display()
    );
    // the internal date is the Maildir file's mtime
    let mtime = std::fs::metadata(file)
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert_eq!(mtime, 1_780_000_000);
    // nothing went to the decoy
    assert!(files_with(&bed.folder(user, DECOY_SENT_MAILBOX), &id).is_empty());
    println!("{user}: one copy, uid {uid}, {}", file.display());
}

#[test]
fn append_with_a_password_lands_once_in_sent_items_with_its_bytes() {
    let bed = oauth_bed();
    append_once_and_find(bed, PW_USER, &password(), "pw-sent");
}

#[test]
fn append_with_a_minted_token_lands_once_in_sent_items_with_its_bytes() {
    let bed = oauth_bed();
    let token = bed.mint(3600).access_token;
    append_once_and_find(bed, OAUTH_USER, &bearer(&token, None), "oauth-sent");
}

#[test]
fn a_draft_appended_then_removed_by_uid_leaves_none() {
    let bed = oauth_bed();
    let mut session = logged_in(bed, Security::Starttls, &password());
    let drafts = session.special_folders().unwrap().drafts.unwrap().name;
    let (id, bytes) = message("draft");
    let first = session.append(&drafts, &bytes, &["\\Draft"], None).unwrap();
    let second = session.append(&drafts, &bytes, &["\\Draft"], None).unwrap();
    let uids = session.find_message_id(&drafts, &id).unwrap();
    assert_eq!(uids.len(), 2);
    assert_eq!(files_with(&bed.drafts_folder(PW_USER), &id).len(), 2);
    // replace: the old copy goes by its UID, the new one stays
    let (_, old) = first.uid.unwrap();
    session.delete_uids(&drafts, &[old]).unwrap();
    let (_, new) = second.uid.unwrap();
    assert_eq!(session.find_message_id(&drafts, &id).unwrap(), vec![new]);
    assert_eq!(files_with(&bed.drafts_folder(PW_USER), &id).len(), 1);
    // sent or deleted: none left
    session.delete_uids(&drafts, &[new]).unwrap();
    assert!(session.find_message_id(&drafts, &id).unwrap().is_empty());
    session.logout();
    assert!(files_with(&bed.drafts_folder(PW_USER), &id).is_empty());
}

/// `faulty-imap.py`, killed when dropped.
struct FaultyImap {
    child: Child,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl FaultyImap {
    fn start(inject: Option<&str>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let mut cmd = Command::new("python3");
        cmd.arg(support::support_dir().join("faulty-imap.py"))
            .arg("--log")
            .arg(&log);
        if let Some(text) = inject {
            cmd.args(["--inject", text]);
        }
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY port=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("faulty-imap.py did not start: {line:?}"));
        Self {
            child,
            port,
            log,
            _dir: dir,
        }
    }

    /// What it recorded after its STARTTLS reply (waits for the line).
    fn after_starttls(&self) -> String {
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&self.log)
                && text.ends_with('\n')
            {
                return text;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("faulty-imap.py recorded nothing");
    }
}

impl Drop for FaultyImap {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn bytes_injected_after_the_starttls_ok_refuse_the_connection_before_tls() {
    let bed = oauth_bed();
    let faulty = |port| ImapServer {
        host: "127.0.0.1".to_string(),
        port,
        security: Security::Starttls,
        ca_file: Some(bed.ca_file()),
        pin_sha256: None,
        timeout: Duration::from_secs(10),
    };
    let injected = FaultyImap::start(Some("* OK injected"));
    let err = Session::connect(&faulty(injected.port))
        .err()
        .expect("refused");
    println!("{err}");
    assert!(
        matches!(err, ImapError::StartTlsInjection { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(&format!("127.0.0.1:{}", injected.port))
    );
    // nothing at all was sent after the OK: no TLS handshake, no command in plain text
    assert_eq!(injected.after_starttls(), "after-starttls=0 first=\n");

    // the same server without the injection: the client starts TLS (a ClientHello, 0x16),
    // which this server cannot finish — so the refusal above came from the check
    let clean = FaultyImap::start(None);
    let err = Session::connect(&faulty(clean.port))
        .err()
        .expect("no TLS here");
    println!("{err}");
    assert!(
        matches!(err, ImapError::Tls { .. } | ImapError::Network { .. }),
        "{err:?}"
    );
    let record = clean.after_starttls();
    assert!(record.ends_with("first=16\n"), "{record}");
}
