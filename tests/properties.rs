//! Property tests of every parser of outside input (issue 16, "Fuzzing"): none may
//! panic, whatever it is given, and where text goes out and comes back (addresses, the
//! header writer through mail-parser) it must come back unchanged or be refused.
//!
//! 256 cases per target in `cargo test`; a longer run:
//! `PROPTEST_CASES=100000 cargo test --release --test properties` (README, Reliability).
//! The OAuth2 callback's request-line parser is private to its module: its property is
//! in `src/oauth/callback.rs` (`cargo test --lib properties`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use jiff::{Timestamp, Zoned, tz::TimeZone};
use mailroom::detect::{Email, Source, autoconfig};
use mailroom::message::address::{parse_list, split_list};
use mailroom::message::{Draft, Field, build, eml, logic_apps, mailto};
use mailroom::progress;
use mailroom::store::slots;
use mailroom::when::{parse_at, parse_in};
use proptest::prelude::*;

/// 256 cases, or `PROPTEST_CASES`; no regression files (found cases are tests below).
fn config() -> ProptestConfig {
    let mut config = ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 256;
    }
    config
}

/// Text with what parsers trip on: separators, quotes, brackets, escapes, percent
/// signs, CR/LF and other controls, non-ASCII, and plain letters and digits.
fn tricky_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        4 => "[a-zA-Z0-9]{1,8}",
        2 => prop::sample::select(vec![
            "@", ",", ";", ":", "<", ">", "\"", "\\", "(", ")", "[", "]", "%", "%2", "%4G",
            "%0D%0A", "%C3%A9", "%FF", "?", "&", "=", "#", "+", ".", " ", "\t", "\r\n", "\n",
            "\r", "\0", "\u{1b}", "\u{0b}", "=?utf-8?b?w6k=?=", "é", "東京", "\u{202e}", "mailto:",
        ])
        .prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(pieces, 0..24).prop_map(|v| v.concat())
}

/// Any string: fully arbitrary, or made of tricky pieces.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), tricky_text()]
}

fn now() -> Zoned {
    Zoned::new(
        Timestamp::from_second(1_800_000_000).unwrap(),
        TimeZone::UTC,
    )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn mailto_never_panics(rest in input()) {
        progress!("mailto_never_panics");
        let _ = mailto::parse(&rest);
        let _ = mailto::parse(&format!("mailto:{rest}"));
    }

    #[test]
    fn eml_import_never_panics(
        headers in prop::collection::vec(
            (prop::sample::select(vec![
                "From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Content-Type",
                "Content-Transfer-Encoding", "MIME-Version", "X-Priority", "Importance",
                "Disposition-Notification-To", "Content-Disposition", "X-Other",
            ]), tricky_text()),
            0..8,
        ),
        body in input(),
        raw in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        progress!("eml_import_never_panics");
        let mut message = String::new();
        for (name, value) in &headers {
            message.push_str(&format!("{name}: {value}\r\n"));
        }
        message.push_str("\r\n");
        message.push_str(&body);
        let _ = eml::import(message.as_bytes());
        let _ = eml::import(&raw);
    }

    #[test]
    fn the_logic_apps_payload_parser_never_panics(
        text in input(),
        fields in prop::collection::vec(
            (prop::sample::select(vec![
                "From", "To", "CC", "Bcc", "Subject", "Body", "IsHtml", "Importance",
                "ReadReceipt", "DeliveryReceipt", "Attachments", "Other",
            ]), tricky_text()),
            0..8,
        ),
        attachments in prop::collection::vec(
            (tricky_text(), tricky_text(), prop::option::of(tricky_text()),
             prop::option::of(prop::sample::select(vec![
                 "base64", "7bit", "8bit", "binary", "quoted-printable", "x-unknown", "",
             ]))),
            0..3,
        ),
    ) {
        progress!("the_logic_apps_payload_parser_never_panics");
        let _ = logic_apps::parse(&text);
        let mut object = serde_json::Map::new();
        for (name, value) in fields {
            object.insert(name.to_string(), serde_json::Value::String(value));
        }
        object.insert("To".into(), "a@example.org".into());
        object.insert("Subject".into(), "x".into());
        let list: Vec<serde_json::Value> = attachments
            .into_iter()
            .map(|(name, data, id, encoding)| {
                let mut a = serde_json::json!({ "FileName": name, "ContentData": data });
                if let Some(id) = id {
                    a["ContentId"] = id.into();
                }
                if let Some(encoding) = encoding {
                    a["ContentTransferEncoding"] = encoding.into();
                }
                a
            })
            .collect();
        object.insert("Attachments".into(), list.into());
        let _ = logic_apps::parse(&serde_json::Value::Object(object).to_string());
    }

    #[test]
    fn when_never_panics(
        text in input(),
        number in any::<u64>(),
        unit in prop::sample::select(vec!["s", "m", "h", "d", "w", "y", "mo", "", "ms"]),
        words in prop::collection::vec(prop::sample::select(vec![
            "tomorrow", "today", "monday", "at", "8am", "12pm", "0:00", "23:59", "24:00",
            "25:61", "2026-12-24", "24.12.2026", "31.02.2026", "9999-12-31", "-0001-01-01",
            "now", "next", "in", "1h30m", "99999999999d",
        ]), 0..4),
        second in Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
    ) {
        progress!("when_never_panics");
        let now = now();
        let _ = parse_at(&text, &now);
        let _ = parse_in(&text, now.timestamp());
        let span = format!("{number}{unit}");
        let _ = parse_in(&span, now.timestamp());
        let _ = parse_at(&words.join(" "), &now);
        // Any instant jiff can hold as "now".
        let at = Timestamp::from_second(second).unwrap();
        let _ = parse_in(&span, at);
        let _ = parse_at(&words.join(" "), &Zoned::new(at, TimeZone::UTC));
    }

    #[test]
    fn address_lists_never_panic_and_read_back_the_same(text in input()) {
        progress!("address_lists_never_panic_and_read_back_the_same");
        let pieces = split_list(&text);
        prop_assert!(pieces.iter().all(|p| !p.is_empty() && p.trim() == *p));
        if let Ok(mailboxes) = parse_list(Field::To, &text) {
            prop_assert_eq!(mailboxes.len(), pieces.len());
            // What Mailroom writes of them reads back as the same mailboxes.
            let written = mailboxes
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            let again = parse_list(Field::To, &written);
            prop_assert_eq!(again.as_ref().ok(), Some(&mailboxes), "written: {}", written);
        }
    }

    #[test]
    fn the_header_writer_round_trips_through_mail_parser(
        subject in input(),
        name in input(),
    ) {
        progress!("the_header_writer_round_trips_through_mail_parser");
        let draft = Draft {
            from: "Me <me@example.org>".into(),
            to: format!("{} <a@example.org>", quoted(&name)),
            subject: subject.clone(),
            body: "x".into(),
            ..Draft::default()
        };
        // The name as Mailroom reads it from the To field is what must arrive.
        let sent_name = parse_list(Field::To, &draft.to)
            .ok()
            .and_then(|m| m.first().and_then(|m| m.name.clone()))
            .unwrap_or_default();
        if let Ok(message) = build(&draft, "") {
            let parsed = mail_parser::MessageParser::default()
                .parse(message.record())
                .expect("mail-parser reads what Mailroom wrote");
            // Whitespace around a header's value is not part of it (mail-parser, like
            // every reader, drops it when it is not encoded): the subject comes back as
            // typed, or as typed without it; everything inside must come back.
            let got = parsed.subject().unwrap_or("");
            prop_assert!(
                got == subject || got == subject.trim(),
                "{:?} came back as {:?}: {:?}",
                subject,
                got,
                String::from_utf8_lossy(message.record()).lines().find(|l| l.starts_with("Subject"))
            );
            let to = parsed.to().and_then(|to| to.first()).expect("a To address");
            prop_assert_eq!(to.address(), Some("a@example.org"));
            prop_assert_eq!(to.name().unwrap_or(""), sent_name.as_str(), "{:?}", String::from_utf8_lossy(message.record()).lines().find(|l| l.starts_with("To")));
        }
    }

    #[test]
    fn html_to_text_never_panics_and_keeps_the_words(
        parts in prop::collection::vec(prop_oneof![
            prop::sample::select(vec![
                "<div>", "</div>", "<p>", "</p>", "<b>", "</b>", "<br>", "<img src='a>b'>",
                "<!-- x -->", "<!--", "<script>", "</script>", "<style>", "</style>", "<", ">",
                "</", "<a href=\"x\">", "</a>", "<table><tr><td>", "</td></tr></table>",
                "&amp;", "&", "é", "東京", " ", "\n", "\"", "'",
            ]).prop_map(str::to_string),
            "[a-z]{1,6}",
            any::<String>(),
        ], 0..60),
    ) {
        progress!("html_to_text_never_panics_and_keeps_the_words");
        let html = parts.concat();
        let _ = mailroom::message::mime::html_to_text(&html);
        let _ = mailroom::message::html_text::strip_tags(&html);
        // Flattening keeps every character outside the tags it removes (a lone `<`
        // it writes as `&lt;`, which the parser reads as the same `<`).
        let capped = mailroom::message::html_text::cap_depth(&html, 2);
        let text = |html: &str| mailroom::message::html_text::strip_tags(html).replace("&lt;", "<");
        prop_assert_eq!(text(&capped), text(&html));
    }

    #[test]
    fn the_outbox_slot_decoder_reads_what_was_written_or_nothing(
        first in prop::collection::vec(any::<u8>(), 0..600),
        second in prop::collection::vec(any::<u8>(), 0..9000),
        damage in prop::collection::vec((any::<prop::sample::Index>(), prop::collection::vec(any::<u8>(), 1..64)), 0..4),
        cut in prop::option::of(any::<prop::sample::Index>()),
        noise in prop::collection::vec(any::<u8>(), 0..10_000),
    ) {
        progress!("the_outbox_slot_decoder_reads_what_was_written_or_nothing");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        // Any bytes at all: read, never a panic.
        std::fs::write(&path, &noise).unwrap();
        let _ = slots::read(&path).unwrap();
        // Two records written (the second may outgrow the slot), then bytes overwritten
        // and the file cut short, as a torn write or a bad disk would: what is read is
        // one of the records written, or nothing (damaged) — never anything else.
        std::fs::remove_file(&path).unwrap();
        slots::create(&path, &first).unwrap();
        slots::rewrite(&path, &second).unwrap();
        let mut file = std::fs::read(&path).unwrap();
        for (at, bytes) in &damage {
            let start = at.index(file.len());
            let end = (start + bytes.len()).min(file.len());
            file[start..end].copy_from_slice(&bytes[..end - start]);
        }
        if let Some(cut) = cut {
            file.truncate(cut.index(file.len() + 1));
        }
        std::fs::write(&path, &file).unwrap();
        if let Some(record) = slots::read(&path).unwrap() {
            prop_assert!(record == first || record == second, "read {} bytes that were never written", record.len());
        }
    }

    #[test]
    fn autoconfig_never_panics(
        text in input(),
        parts in prop::collection::vec(prop::sample::select(vec![
            "<clientConfig>", "</clientConfig>", "<emailProvider id=\"x\">", "</emailProvider>",
            "<domain>", "</domain>", "<outgoingServer type=\"smtp\">", "</outgoingServer>",
            "<incomingServer type=\"imap\">", "</incomingServer>", "<hostname>", "</hostname>",
            "<port>", "</port>", "<socketType>", "</socketType>", "<username>", "</username>",
            "<authentication>", "</authentication>", "SSL", "STARTTLS", "plain",
            "password-cleartext", "OAuth2", "%EMAILADDRESS%", "%EMAILLOCALPART%",
            "%EMAILDOMAIN%", "smtp.%EMAILDOMAIN%", "587", "99999", "-1", "&amp;", "&bogus;",
            "<![CDATA[x]]>", "<!-- c -->", "é", "",
        ]), 0..40),
    ) {
        progress!("autoconfig_never_panics");
        let email = Email::parse("ana@example.org").unwrap();
        let _ = autoconfig::parse(&text, &email, Source::Domain);
        let _ = autoconfig::parse(&parts.concat(), &email, Source::Domain);
    }
}

/// `name` as an RFC 5322 quoted string.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Found by `the_header_writer_round_trips_through_mail_parser`: a Subject of VT (and
/// any control character but TAB) went raw into the header. Now refused, naming it.
#[test]
fn a_control_character_in_a_header_is_refused() {
    for bad in ["\u{b}", "a\u{1b}[31mred", "\u{c}", "\u{7f}", "\u{85}"] {
        let draft = Draft {
            from: "Me <me@example.org>".into(),
            to: "a@example.org".into(),
            subject: bad.into(),
            body: "x".into(),
            ..Draft::default()
        };
        let err = build(&draft, "").unwrap_err().to_string();
        assert!(
            err.starts_with("Subject contains a line break or another control character"),
            "{bad:?}: {err}"
        );
    }
    let draft = Draft {
        from: "Me <me@example.org>".into(),
        to: "\"Ana\u{1b}\" <a@example.org>".into(),
        subject: "tab\tis fine".into(),
        body: "x".into(),
        ..Draft::default()
    };
    let err = build(&draft, "").unwrap_err().to_string();
    assert!(
        err.starts_with("To contains a line break or another control character"),
        "{err}"
    );
}

/// Found by `the_header_writer_round_trips_through_mail_parser`: a Subject that reads as
/// an encoded word (`=?utf-8?b?w6k=?=`) went out as it is and came back as `é`. Now
/// such a subject is itself encoded, and comes back as typed.
#[test]
fn a_subject_that_looks_encoded_comes_back_as_typed() {
    for subject in [
        "=?utf-8?b?w6k=?=",
        "Re: =?iso-8859-1?q?caf=E9?= and more",
        "a =? b",
    ] {
        let draft = Draft {
            from: "Me <me@example.org>".into(),
            to: "a@example.org".into(),
            subject: subject.into(),
            body: "x".into(),
            ..Draft::default()
        };
        let message = build(&draft, "").unwrap();
        let parsed = mail_parser::MessageParser::default()
            .parse(message.record())
            .unwrap();
        assert_eq!(parsed.subject(), Some(subject));
    }
}

/// Found by `eml_import_never_panics` (10,000 cases): a From whose comment holds a CR
/// (`From: A@A(a\r0`) gave mail-parser a name lettre cannot write, and `drafts import`
/// panicked in `to_string`. Now the control character is dropped from the name.
#[test]
fn an_address_whose_name_holds_a_carriage_return_imports() {
    let draft = eml::import(b"MIME-Version: \r\nFrom: A@A(a\r0\r\n\r\n").unwrap();
    assert!(!draft.from.contains('\r'), "{:?}", draft.from);
    assert!(draft.from.contains("A@A"), "{:?}", draft.from);
}

/// Found by `the_header_writer_round_trips_through_mail_parser` (100,000 cases): lettre
/// wrote `a  é` as `a  =?utf-8?b?w6k=?=`, which mail-parser reads as `a é`. A non-ASCII
/// subject is now encoded whole, and its spaces come back.
#[test]
fn the_spaces_of_a_non_ascii_subject_come_back() {
    for subject in ["a  é", "é  a", "Grüße  aus\tKöln", "東京  と 大阪"] {
        let draft = Draft {
            from: "Me <me@example.org>".into(),
            to: "a@example.org".into(),
            subject: subject.into(),
            body: "x".into(),
            ..Draft::default()
        };
        let message = build(&draft, "").unwrap();
        let parsed = mail_parser::MessageParser::default()
            .parse(message.record())
            .unwrap();
        assert_eq!(parsed.subject(), Some(subject));
    }
}

/// Found by `the_header_writer_round_trips_through_mail_parser` (100,000 cases): a long
/// ASCII subject with two spaces where lettre folds it (`…aA\r\n  0Aaa…`, correct by
/// RFC 5322) came back from mail-parser with one. A subject with a run of spaces or a
/// tab is now encoded, and its spaces come back.
#[test]
fn the_spaces_of_a_long_folded_subject_come_back() {
    let subject = "000aAAaaaaAA0a00AaA0aA0aAaA00aA  0AaaAA000A0aaAa0aaAAaA0A0aAAAa0AaA0";
    let draft = Draft {
        from: "Me <me@example.org>".into(),
        to: "a@example.org".into(),
        subject: subject.into(),
        body: "x".into(),
        ..Draft::default()
    };
    let message = build(&draft, "").unwrap();
    let parsed = mail_parser::MessageParser::default()
        .parse(message.record())
        .unwrap();
    assert_eq!(parsed.subject(), Some(subject));
}
