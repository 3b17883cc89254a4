//! Reading an RFC 5322 message (`.eml`) back into a [`Draft`]: headers, the text and
//! HTML bodies, attachments and inline images (those with a Content-ID referenced by the
//! HTML). The opposite direction is [`super::mime::build`].

use lettre::message::Mailbox;
use mail_parser::{Address, MessageParser, MimeHeaders};

use super::draft::{Attachment, AttachmentSource, BodyFormat, Draft, Importance};

#[derive(Debug, thiserror::Error)]
#[error(
    "not an email message (.eml): it does not start with mail headers such as From:, To: or Subject:"
)]
pub struct NotAMessage;

/// Whether the first line (after an mbox `From ` line) is an RFC 5322 header field:
/// printable ASCII without spaces, then a colon.
fn starts_with_a_header(bytes: &[u8]) -> bool {
    let mut lines = bytes.split(|&b| b == b'\n');
    let mut first = lines.next().unwrap_or_default();
    if first.starts_with(b"From ") {
        first = lines.next().unwrap_or_default();
    }
    let Some(colon) = first.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0 && first[..colon].iter().all(|&b| (33..=126).contains(&b))
}

/// Parses `bytes` into a draft. An HTML body is kept as HTML; its plain alternative is
/// derived again when the draft is sent.
pub fn import(bytes: &[u8]) -> Result<Draft, NotAMessage> {
    if !starts_with_a_header(bytes) {
        return Err(NotAMessage); // a PDF, a picture, a text that is not mail
    }
    let message = MessageParser::default().parse(bytes).ok_or(NotAMessage)?;
    let known = [
        "From",
        "To",
        "Cc",
        "Subject",
        "Date",
        "Message-ID",
        "MIME-Version",
    ];
    if !known.iter().any(|name| message.header_raw(*name).is_some()) {
        return Err(NotAMessage);
    }
    let html = message
        .body_html(0)
        .filter(|_| message.html_body_count() > 0 && is_real_html(&message));
    let (body, body_format) = match html {
        Some(html) => (html.into_owned(), BodyFormat::Html),
        None => (
            message
                .body_text(0)
                .map(|t| t.into_owned())
                .unwrap_or_default(),
            BodyFormat::Plain,
        ),
    };
    let attachments = message
        .attachments()
        .map(|part| Attachment {
            file_name: part.attachment_name().unwrap_or("attachment").to_string(),
            content_type: part.content_type().map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{sub}", ct.ctype()),
                None => ct.ctype().to_string(),
            }),
            content_id: part.content_id().map(str::to_string),
            source: AttachmentSource::Bytes(part.contents().to_vec()),
        })
        .collect();
    let importance = message
        .header_raw("Importance")
        .and_then(Importance::parse)
        .or_else(|| message.header_raw("X-Priority").map(priority_to_importance))
        .unwrap_or_default();
    Ok(Draft {
        from: addresses(message.from()),
        to: addresses(message.to()),
        cc: addresses(message.cc()),
        bcc: addresses(message.bcc()),
        reply_to: addresses(message.reply_to()),
        subject: message.subject().unwrap_or_default().to_string(),
        body: trim_final_newline(body),
        body_format,
        text_alternative: None,
        attachments,
        importance,
        // Kept, so the message asks what it asked; the window shows them
        // (`ui::compose_sender`) with a way to drop each.
        read_receipt_to: raw_header(&message, "Disposition-Notification-To"),
        delivery_receipt_to: raw_header(&message, "Return-Receipt-To"),
    })
}

/// A header's value as written, unfolded and trimmed; empty when absent.
fn raw_header(message: &mail_parser::Message<'_>, name: &str) -> String {
    message
        .header_raw(name)
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// mail-parser offers an HTML rendering of plain-text messages too; only a real
/// `text/html` part makes an HTML draft.
fn is_real_html(message: &mail_parser::Message<'_>) -> bool {
    message
        .html_part(0)
        .and_then(|p| p.content_type())
        .is_some_and(|ct| ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html")))
}

fn addresses(address: Option<&Address<'_>>) -> String {
    let Some(address) = address else {
        return String::new();
    };
    address
        .iter()
        .filter_map(|a| {
            let email = a.address()?.parse().ok()?;
            // A name with a control character (a CR in a comment: `A@A(a\r0`) made
            // lettre's Display fail and `to_string` panic (found by
            // tests/properties.rs): control characters are dropped from the name, and
            // a mailbox that still cannot be written is left out, not a panic.
            let name = a
                .name()
                .map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>());
            let mut text = String::new();
            std::fmt::Write::write_fmt(&mut text, format_args!("{}", Mailbox::new(name, email)))
                .ok()?;
            Some(text)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn priority_to_importance(value: &str) -> Importance {
    match value.trim().chars().next() {
        Some('1' | '2') => Importance::High,
        Some('4' | '5') => Importance::Low,
        _ => Importance::Normal,
    }
}

/// Line endings as an editor has them (LF), without the final one MIME adds.
fn trim_final_newline(body: String) -> String {
    let mut body = body.replace("\r\n", "\n");
    if body.ends_with('\n') {
        body.pop();
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::build;

    #[test]
    fn a_built_message_reads_back_into_the_same_draft() {
        let original = Draft {
            from: "Zoë <zoe@example.org>".into(),
            to: "Ana Lima <ana@example.org>, b@example.org".into(),
            cc: "c@example.org".into(),
            bcc: "d@example.org".into(),
            subject: "Plan été".into(),
            body: "<p>See <img src=\"cid:logo.png\"></p>".into(),
            body_format: BodyFormat::Html,
            importance: Importance::High,
            attachments: vec![
                Attachment {
                    file_name: "logo.png".into(),
                    content_type: None,
                    content_id: Some("logo.png".into()),
                    source: AttachmentSource::Bytes(vec![1, 2, 3]),
                },
                Attachment {
                    file_name: "Résumé.pdf".into(),
                    content_type: None,
                    content_id: None,
                    source: AttachmentSource::Bytes(b"%PDF".to_vec()),
                },
            ],
            ..Draft::default()
        };
        let record = build(&original, "").unwrap().record().to_vec();
        let back = import(&record).unwrap();
        assert_eq!(back.from, "Zoë <zoe@example.org>");
        assert_eq!(back.to, "Ana Lima <ana@example.org>, b@example.org");
        assert_eq!(
            (back.cc.as_str(), back.bcc.as_str()),
            ("c@example.org", "d@example.org")
        );
        assert_eq!(back.subject, "Plan été");
        assert_eq!(back.body_format, BodyFormat::Html);
        assert_eq!(back.body, original.body);
        assert_eq!(back.importance, Importance::High);
        assert_eq!(back.attachments.len(), 2);
        assert_eq!(back.attachments[0].content_id.as_deref(), Some("logo.png"));
        assert_eq!(back.attachments[1].file_name, "Résumé.pdf");
        assert_eq!(
            back.attachments[1].source,
            AttachmentSource::Bytes(b"%PDF".to_vec())
        );
    }

    #[test]
    fn plain_text_stays_plain() {
        let d = Draft {
            to: "a@example.org".into(),
            body: "Hello\nthere".into(),
            ..Draft::default()
        };
        let back = import(build(&d, "me@example.org").unwrap().record()).unwrap();
        assert_eq!(
            (back.body_format, back.body.as_str()),
            (BodyFormat::Plain, "Hello\nthere")
        );
    }

    #[test]
    fn garbage_is_refused() {
        assert!(import(b"").is_err());
    }
}
