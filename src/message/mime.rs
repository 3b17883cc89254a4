//! From [`Draft`] to a `lettre::Message`: the rules a draft must meet to be sent, and
//! the MIME structure a recipient's client expects.
//!
//! Structure, outermost first, each layer only when needed:
//! - `multipart/mixed`: the body, then the attachments;
//! - `multipart/alternative`: `text/plain` (given, or derived from the HTML), then the HTML;
//! - `multipart/related`: the HTML, then the inline images it shows as `cid:`.
//!
//! A plain-text body cannot show inline images, so there they travel as attachments.
//! `Date`, `Message-ID` and `MIME-Version` are always set. The person's own record of
//! the message (the outbox's frozen `.eml`, the copy in `sent/`) keeps its `Bcc` header;
//! what is transmitted never has it ([`transmitted`]): Bcc recipients are in the
//! envelope only.
//!
//! Memory: a message is formatted once, into its record, with each attachment encoded
//! straight from its file into it ([`super::attachment_stream`]); `Bcc` is the record's
//! first header, so what is transmitted is a slice of the record, not a copy. Sending a
//! 25 MiB attachment holds one encoded copy of it.

use std::borrow::Cow;
use std::ops::Range;

use lettre::message::header::{ContentDisposition, ContentId, ContentType};
use lettre::message::{Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::{Address, Message};

use super::address::{parse_list, parse_single, reject_control_characters};
use super::attachment_stream::Attachments;
use super::draft::{Attachment, BodyFormat, Draft};
use super::error::{DraftError, Field};
use super::headers::{
    DispositionNotificationTo, EncodedSubject, NamedContentType, ReturnReceiptTo,
    importance_headers,
};

/// A validated message, ready to transmit or write as `.eml`.
#[derive(Debug, Clone)]
pub struct BuiltMessage {
    /// The person's record: RFC 5322 bytes (CRLF), `Bcc` kept as the first header.
    record: Vec<u8>,
    envelope: lettre::address::Envelope,
}

impl BuiltMessage {
    /// The person's record of the message: RFC 5322 bytes (CRLF) with `Bcc` kept.
    pub fn record(&self) -> &[u8] {
        &self.record
    }

    /// The exact bytes to transmit: the record without its `Bcc` header.
    pub fn transmitted(&self) -> Cow<'_, [u8]> {
        transmitted(&self.record)
    }

    /// Where the message goes: From and every To, Cc and Bcc address.
    pub fn envelope(&self) -> &lettre::address::Envelope {
        &self.envelope
    }

    pub fn recipients(&self) -> &[Address] {
        self.envelope().to()
    }
}

/// Validates `draft` and builds the message. `identity` is the profile's From, used when
/// the draft's own From is empty.
pub fn build(draft: &Draft, identity: &str) -> Result<BuiltMessage, DraftError> {
    let from = match parse_single(Field::From, &draft.from)? {
        Some(from) => from,
        None => parse_single(Field::From, identity)?.ok_or(DraftError::NoSender)?,
    };
    let to = parse_list(Field::To, &draft.to)?;
    let cc = parse_list(Field::Cc, &draft.cc)?;
    let bcc = parse_list(Field::Bcc, &draft.bcc)?;
    if to.is_empty() && cc.is_empty() && bcc.is_empty() {
        return Err(DraftError::NoRecipients);
    }
    reject_control_characters(Field::Subject, &draft.subject)?;
    if draft.body_format.is_html() {
        let ids: Vec<&str> = draft
            .attachments
            .iter()
            .filter_map(|a| a.content_id.as_deref())
            .collect();
        if let Some(reference) = super::picture_refs::unanswered(&draft.body, &ids) {
            return Err(DraftError::MissingPicture {
                reference,
                inline: if ids.is_empty() {
                    "none".to_string()
                } else {
                    ids.join(", ")
                },
            });
        }
    }

    // Bcc first: the transmitted message is then the record minus its first lines.
    let mut builder = bcc
        .into_iter()
        .fold(Message::builder().keep_bcc(), MessageBuilder::bcc)
        .message_id(Some(message_id(&from)))
        .from(from);
    builder = if EncodedSubject::needed(&draft.subject) {
        builder.header(EncodedSubject::new(&draft.subject))
    } else {
        builder.subject(draft.subject.clone())
    };
    builder = to.into_iter().fold(builder, MessageBuilder::to);
    builder = cc.into_iter().fold(builder, MessageBuilder::cc);
    if let Some(reply_to) = parse_single(Field::ReplyTo, &draft.reply_to)? {
        builder = builder.reply_to(reply_to);
    }
    if let Some((importance, priority)) = importance_headers(draft.importance) {
        builder = builder.header(importance).header(priority);
    }
    if let Some(to) = parse_single(Field::ReadReceipt, &draft.read_receipt_to)? {
        builder = builder.header(DispositionNotificationTo(mailbox_text(&to)));
    }
    if let Some(to) = parse_single(Field::DeliveryReceipt, &draft.delivery_receipt_to)? {
        builder = builder.header(ReturnReceiptTo(mailbox_text(&to)));
    }

    let mut files = Attachments::new();
    let message = match body_with_attachments(draft, &mut files)? {
        Part::Single(part) => builder.singlepart(part)?,
        Part::Multi(part) => builder.multipart(part)?,
    };
    let envelope = message.envelope().clone();
    let record = files.fill(message.formatted())?;
    Ok(BuiltMessage { record, envelope })
}

/// `<random@sender's domain>`, as Thunderbird makes it: not the machine's host name,
/// which a Message-ID would otherwise tell every recipient.
fn message_id(from: &Mailbox) -> String {
    use std::hash::{BuildHasher, Hasher};
    let state = std::collections::hash_map::RandomState::new();
    let part = || {
        let mut hasher = state.build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish()
    };
    format!("<{:016x}{:016x}@{}>", part(), part(), from.email.domain())
}

fn mailbox_text(mailbox: &Mailbox) -> String {
    mailbox.to_string()
}

enum Part {
    Single(SinglePart),
    Multi(MultiPart),
}

fn body_with_attachments(draft: &Draft, files: &mut Attachments) -> Result<Part, DraftError> {
    let html = draft.body_format.is_html();
    let (inline, attached): (Vec<&Attachment>, Vec<&Attachment>) = draft
        .attachments
        .iter()
        .partition(|a| html && a.is_inline());
    let body = match draft.body_format {
        BodyFormat::Plain => Part::Single(SinglePart::plain(draft.body.clone())),
        BodyFormat::Html | BodyFormat::Markdown => Part::Multi(html_body(draft, &inline, files)?),
    };
    if attached.is_empty() {
        return Ok(body);
    }
    let mixed = match body {
        Part::Single(part) => MultiPart::mixed().singlepart(part),
        Part::Multi(part) => MultiPart::mixed().multipart(part),
    };
    let mixed = attached.into_iter().try_fold(mixed, |mixed, a| {
        Ok::<_, DraftError>(mixed.singlepart(file_part(a, files)?))
    })?;
    Ok(Part::Multi(mixed))
}

fn html_body(
    draft: &Draft,
    inline: &[&Attachment],
    files: &mut Attachments,
) -> Result<MultiPart, DraftError> {
    let (html, derived_text) = match draft.body_format {
        BodyFormat::Markdown => (markdown_to_html(&draft.body), draft.body.clone()),
        _ => (draft.body.clone(), html_to_text(&draft.body)),
    };
    let text = draft.text_alternative.clone().unwrap_or(derived_text);
    let html_part = SinglePart::html(html);
    let alternative = MultiPart::alternative().singlepart(SinglePart::plain(text));
    if inline.is_empty() {
        return Ok(alternative.singlepart(html_part));
    }
    let related = inline
        .iter()
        .try_fold(MultiPart::related().singlepart(html_part), |related, a| {
            Ok::<_, DraftError>(related.singlepart(file_part(a, files)?))
        })?;
    Ok(alternative.multipart(related))
}

/// `message` without its `Bcc` header (and the header's folded continuation lines):
/// borrowed when there is none or it comes first (as [`build`] writes it), a copy
/// otherwise (a message frozen by an older Mailroom, or imported).
pub fn transmitted(message: &[u8]) -> Cow<'_, [u8]> {
    let header_end = find(message, b"\r\n\r\n").map_or(message.len(), |i| i + 2);
    let fields = header_fields(&message[..header_end]);
    let is_bcc = |field: &Range<usize>| {
        message[field.clone()].len() >= 4
            && message[field.start..field.start + 4].eq_ignore_ascii_case(b"bcc:")
    };
    let bcc: Vec<&Range<usize>> = fields.iter().filter(|f| is_bcc(f)).collect();
    match bcc.as_slice() {
        [] => Cow::Borrowed(message),
        [first] if first.start == 0 => Cow::Borrowed(&message[first.end..]),
        _ => {
            let mut out = Vec::with_capacity(message.len());
            for field in fields.iter().filter(|f| !is_bcc(f)) {
                out.extend_from_slice(&message[field.clone()]);
            }
            out.extend_from_slice(&message[header_end..]);
            Cow::Owned(out)
        }
    }
}

/// Where each header field lies in `header`, with its folded continuation lines.
fn header_fields(header: &[u8]) -> Vec<Range<usize>> {
    let mut fields: Vec<Range<usize>> = Vec::new();
    let mut start = 0;
    for line in header.split_inclusive(|&b| b == b'\n') {
        let end = start + line.len();
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        match fields.last_mut() {
            Some(field) if continuation => field.end = end,
            _ => fields.push(start..end),
        }
        start = end;
    }
    fields
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// CommonMark (with tables and strikethrough) as an HTML document body. A line break
/// inside a paragraph stays a line break (`<br />`), as in every mail composer, rather
/// than CommonMark's soft break, which joins the lines.
pub fn markdown_to_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let mut out = String::with_capacity(markdown.len() * 5 / 4);
    let events = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    )
    .map(|event| match event {
        Event::SoftBreak => Event::HardBreak,
        other => other,
    });
    html::push_html(&mut out, events);
    out
}

/// The plain-text rendering of an HTML body, bounded in depth and size (see
/// [`super::html_text`]); the HTML itself if it cannot be parsed.
pub fn html_to_text(html: &str) -> String {
    super::html_text::html_to_text(html)
}

fn file_part(attachment: &Attachment, files: &mut Attachments) -> Result<SinglePart, DraftError> {
    if attachment.file_name.trim().is_empty() {
        return Err(DraftError::EmptyFileName {
            file_name: attachment.file_name.clone(),
        });
    }
    reject_control_characters(Field::Attachment, &attachment.file_name)?;
    let content_type = content_type_of(attachment)?;
    let body = files.body(&attachment.source)?;
    let mut part =
        SinglePart::builder().header(NamedContentType::new(&content_type, &attachment.file_name));
    part = match &attachment.content_id {
        Some(id) => {
            reject_control_characters(Field::Attachment, id)?;
            part.header(ContentId::from(format!("<{id}>")))
                .header(ContentDisposition::inline_with_name(&attachment.file_name))
        }
        None => part.header(ContentDisposition::attachment(&attachment.file_name)),
    };
    Ok(part.body(body))
}

/// The attachment's MIME type, given or guessed from its name, checked to be valid.
fn content_type_of(attachment: &Attachment) -> Result<String, DraftError> {
    let text = match &attachment.content_type {
        Some(given) if !given.trim().is_empty() => given.trim().to_string(),
        _ => mime_guess::from_path(&attachment.file_name)
            .first_or_octet_stream()
            .to_string(),
    };
    match ContentType::parse(&text) {
        Ok(_) => Ok(text),
        Err(_) => Err(DraftError::InvalidContentType {
            file_name: attachment.file_name.clone(),
            content_type: text,
        }),
    }
}

#[cfg(test)]
#[path = "mime_tests.rs"]
mod tests;
