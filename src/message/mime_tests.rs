//! Unit tests of the MIME structure, read back with a real MIME parser.

use mail_parser::{MessageParser, MimeHeaders, PartType};

use super::*;
use crate::message::{AttachmentSource, Importance};

fn parse(built: &BuiltMessage) -> mail_parser::Message<'static> {
    MessageParser::default()
        .parse(&built.transmitted().to_vec())
        .unwrap()
        .into_owned()
}

fn draft() -> Draft {
    Draft {
        to: "Ana Lima <ana@example.org>".into(),
        subject: "Rapport été".into(),
        body: "Bonjour".into(),
        ..Draft::default()
    }
}

#[test]
fn the_message_id_names_the_senders_domain_not_this_machine() {
    let first = parse(&build(&draft(), "Me <me@example.org>").unwrap())
        .message_id()
        .map(str::to_string)
        .unwrap();
    let second = parse(&build(&draft(), "Me <me@example.org>").unwrap())
        .message_id()
        .map(str::to_string)
        .unwrap();
    assert!(first.ends_with("@example.org"), "{first}");
    assert_ne!(first, second, "each message its own id");
}

#[test]
fn plain_text_is_a_single_utf8_part_with_date_and_message_id() {
    let built = build(&draft(), "Me <me@example.org>").unwrap();
    let msg = parse(&built);
    assert_eq!(msg.subject(), Some("Rapport été"));
    assert!(msg.date().is_some());
    assert!(msg.message_id().is_some_and(|id| id.contains('@')));
    let ct = msg.content_type().unwrap();
    assert_eq!((ct.ctype(), ct.subtype()), ("text", Some("plain")));
    assert_eq!(ct.attribute("charset"), Some("utf-8"));
    assert_eq!(msg.body_text(0).unwrap().trim_end(), "Bonjour");
    assert_eq!(
        msg.from().unwrap().first().unwrap().address(),
        Some("me@example.org")
    );
}

#[test]
fn bcc_is_in_the_envelope_but_not_the_headers() {
    let d = Draft {
        bcc: "hidden@example.org".into(),
        ..draft()
    };
    let built = build(&d, "me@example.org").unwrap();
    let recipients: Vec<String> = built.recipients().iter().map(ToString::to_string).collect();
    assert!(recipients.contains(&"hidden@example.org".to_string()));
    let text = String::from_utf8(built.transmitted().to_vec()).unwrap();
    assert!(!text.to_ascii_lowercase().contains("bcc:"), "{text}");
    assert!(!text.contains("hidden@example.org"));
    let record = String::from_utf8(built.record().to_vec()).unwrap();
    assert!(
        record.contains("Bcc: hidden@example.org\r\n"),
        "the record keeps Bcc: {record}"
    );
}

#[test]
fn stripping_bcc_removes_folded_lines_and_nothing_else() {
    let message =
        b"From: a@x.org\r\nBcc: one@x.org,\r\n two@x.org\r\nSubject: s\r\n\r\nBcc: in the body\r\n";
    assert_eq!(
        transmitted(message).as_ref(),
        b"From: a@x.org\r\nSubject: s\r\n\r\nBcc: in the body\r\n"
    );
}

#[test]
fn a_leading_bcc_or_none_is_stripped_without_a_copy() {
    let leading = b"Bcc: one@x.org,\r\n two@x.org\r\nFrom: a@x.org\r\n\r\nbody\r\n";
    let stripped = transmitted(leading);
    assert!(matches!(stripped, std::borrow::Cow::Borrowed(_)));
    assert_eq!(stripped.as_ref(), b"From: a@x.org\r\n\r\nbody\r\n");

    let none = b"From: a@x.org\r\n\r\nBcc: in the body\r\n";
    assert!(matches!(transmitted(none), std::borrow::Cow::Borrowed(b) if b == none));
}

#[test]
fn a_built_message_puts_bcc_first_so_sending_it_copies_nothing() {
    let d = Draft {
        bcc: "hidden@example.org, other@example.org".into(),
        ..draft()
    };
    let built = build(&d, "me@example.org").unwrap();
    assert!(built.record().starts_with(b"Bcc: "));
    assert!(matches!(built.transmitted(), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn html_gets_a_derived_plain_alternative() {
    let d = Draft {
        body: "<h1>Title</h1><p>Hello <b>world</b></p>".into(),
        body_format: BodyFormat::Html,
        ..draft()
    };
    let msg = parse(&build(&d, "me@example.org").unwrap());
    let ct = msg.content_type().unwrap();
    assert_eq!(ct.subtype(), Some("alternative"));
    let text = msg.body_text(0).unwrap();
    assert!(text.contains("Hello") && !text.contains("<b>"), "{text}");
    assert!(msg.body_html(0).unwrap().contains("<b>world</b>"));
}

#[test]
fn inline_images_are_related_to_the_html_and_attachments_are_mixed_around_it() {
    let d = Draft {
        body: r#"<p>Logo: <img src="cid:logo.png"></p>"#.into(),
        body_format: BodyFormat::Html,
        attachments: vec![
            Attachment {
                file_name: "logo.png".into(),
                content_type: None,
                content_id: Some("logo.png".into()),
                source: AttachmentSource::Bytes(vec![0x89, b'P', b'N', b'G']),
            },
            Attachment {
                file_name: "Résumé 東京.pdf".into(),
                content_type: None,
                content_id: None,
                source: AttachmentSource::Bytes(b"%PDF-1.4".to_vec()),
            },
        ],
        ..draft()
    };
    let msg = parse(&build(&d, "me@example.org").unwrap());
    let types: Vec<String> = msg
        .parts
        .iter()
        .map(|p| {
            let ct = p.content_type().unwrap();
            format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or_default())
        })
        .collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "application/pdf"
        ]
    );
    let image = &msg.parts[5];
    assert_eq!(image.content_id(), Some("logo.png"));
    let pdf = &msg.parts[6];
    assert_eq!(pdf.attachment_name(), Some("Résumé 東京.pdf"));
    assert_eq!(
        pdf.content_type().unwrap().attribute("name"),
        Some("Résumé 東京.pdf")
    );
    assert!(matches!(&pdf.body, PartType::Binary(b) if b.as_ref() == b"%PDF-1.4"));
}

#[test]
fn in_plain_text_an_inline_image_travels_as_an_attachment() {
    let d = Draft {
        attachments: vec![Attachment {
            file_name: "logo.png".into(),
            content_type: None,
            content_id: Some("logo.png".into()),
            source: AttachmentSource::Bytes(vec![1, 2, 3]),
        }],
        ..draft()
    };
    let msg = parse(&build(&d, "me@example.org").unwrap());
    assert_eq!(msg.content_type().unwrap().subtype(), Some("mixed"));
    assert_eq!(msg.attachment_count(), 1);
}

#[test]
fn importance_sets_both_headers() {
    let d = Draft {
        importance: Importance::High,
        ..draft()
    };
    let text =
        String::from_utf8(build(&d, "me@example.org").unwrap().transmitted().to_vec()).unwrap();
    assert!(text.contains("Importance: high\r\n"), "{text}");
    assert!(text.contains("X-Priority: 1 (Highest)\r\n"), "{text}");
}

#[test]
fn a_subject_with_a_line_break_is_refused() {
    let d = Draft {
        subject: "Hi\r\nBcc: evil@example.org".into(),
        ..draft()
    };
    let err = build(&d, "me@example.org").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Subject contains a line break or another control character (NUL, ESC, …), which would break the header"
    );
}

#[test]
fn a_display_name_with_a_line_break_is_refused() {
    let d = Draft {
        to: "\"Ana\nBcc: x@y.org\" <ana@example.org>".into(),
        ..draft()
    };
    assert!(matches!(
        build(&d, "me@example.org").unwrap_err(),
        DraftError::ControlCharacter { field: Field::To }
    ));
}

#[test]
fn no_recipients_and_no_sender_are_named() {
    let d = Draft {
        to: String::new(),
        ..draft()
    };
    assert!(matches!(
        build(&d, "me@example.org"),
        Err(DraftError::NoRecipients)
    ));
    assert!(matches!(build(&draft(), ""), Err(DraftError::NoSender)));
}

#[test]
fn a_missing_attachment_names_the_path() {
    let d = Draft {
        attachments: vec![Attachment::from_path("/nonexistent/plan.pdf")],
        ..draft()
    };
    let err = build(&d, "me@example.org").unwrap_err().to_string();
    assert!(
        err.starts_with("attachment /nonexistent/plan.pdf:"),
        "{err}"
    );
}

#[test]
fn a_folder_is_not_an_attachment() {
    let dir = tempfile::tempdir().unwrap();
    let d = Draft {
        attachments: vec![Attachment::from_path(dir.path())],
        ..draft()
    };
    assert!(matches!(
        build(&d, "me@example.org"),
        Err(DraftError::AttachmentIsFolder { .. })
    ));
}

#[test]
fn markdown_is_sent_as_html_with_the_markdown_as_plain_text() {
    let d = Draft {
        body: "# Plan\n\nThis is **important**.\n\n- one\n- two\n\nSee you,\nZoë".into(),
        body_format: BodyFormat::Markdown,
        ..draft()
    };
    let msg = parse(&build(&d, "me@example.org").unwrap());
    assert_eq!(msg.content_type().unwrap().subtype(), Some("alternative"));
    let html = msg.body_html(0).unwrap();
    assert!(
        html.contains("<h1>Plan</h1>")
            && html.contains("<strong>important</strong>")
            && html.contains("<li>two</li>")
            && html.contains("See you,<br />"),
        "{html}"
    );
    assert!(msg.body_text(0).unwrap().contains("This is **important**."));
}

#[test]
fn a_picture_reference_that_no_inline_picture_answers_is_named_before_sending() {
    let logo = Attachment {
        file_name: "logo.png".into(),
        content_type: None,
        content_id: Some("logo.png".into()),
        source: AttachmentSource::Bytes(vec![0x89, b'P', b'N', b'G']),
    };
    let with_body = |body: &str, format| Draft {
        body: body.into(),
        body_format: format,
        attachments: vec![logo.clone()],
        ..draft()
    };
    // `cid:logo` where the picture's id is `logo.png`: a broken picture at the recipient.
    let err = build(
        &with_body(r#"<p><img src="cid:logo"></p>"#, BodyFormat::Html),
        "me@example.org",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("cid:logo") && err.contains("logo.png"),
        "names the reference and what there is: {err}"
    );
    let err = build(
        &with_body("![chart](cid:chart.png)", BodyFormat::Markdown),
        "me@example.org",
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("cid:chart.png"), "{err}");
    // The right reference (also URL-encoded, as RFC 2392 writes it) builds; plain text
    // has no pictures to break.
    for body in [
        r#"<img src="cid:logo.png">"#,
        r#"<img src='cid:logo%2Epng'>"#,
    ] {
        build(&with_body(body, BodyFormat::Html), "me@example.org").unwrap();
    }
    build(
        &with_body("see cid:logo", BodyFormat::Plain),
        "me@example.org",
    )
    .unwrap();
}
