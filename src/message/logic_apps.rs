//! The Azure Logic Apps SMTP connector's `Email` object, accepted as is, so payloads
//! written for that connector send unchanged with `mailroom send --json FILE`.
//!
//! ```json
//! { "From": "me@example.org", "To": "a@example.org;b@example.org", "CC": "", "Bcc": "",
//!   "Subject": "Hi", "Body": "<p>Hi</p>", "IsHtml": true, "Importance": "High",
//!   "ReadReceipt": "", "DeliveryReceipt": "",
//!   "Attachments": [{ "FileName": "a.pdf", "ContentData": "JVBERi0=",
//!                     "ContentType": "application/pdf", "ContentId": "",
//!                     "ContentTransferEncoding": "base64" }] }
//! ```
//! `To` and `Subject` are required; `From` falls back to the profile's identity. An
//! unknown field is an error that names it (a typo must not silently drop a Bcc).
//! `ContentData` is base64 unless `ContentTransferEncoding` names another encoding:
//! `quoted-printable` is decoded (strictly: a broken `=` escape is an error naming the
//! attachment), `7bit`, `8bit` and `binary` are the content as text.
//!
//! A payload is at most [`MAX_PAYLOAD`] (64 MiB): a larger one is refused before it is
//! read whole (a 62 MB payload held 190 MB: the text, the parsed strings, the decoded
//! attachments). The cap is well above what the connector itself sends.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;

use super::draft::{Attachment, AttachmentSource, BodyFormat, Draft, Importance};

/// Reads and parses the payload in the file at `path`, refusing one over
/// [`MAX_PAYLOAD`] before reading it whole (by its size, or, for a pipe, once more than
/// that has come).
pub fn read(path: &std::path::Path) -> Result<Draft, PayloadError> {
    use std::io::Read as _;
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() > MAX_PAYLOAD as u64 {
        return Err(PayloadError::TooLarge);
    }
    let mut json = String::new();
    file.take(MAX_PAYLOAD as u64 + 1)
        .read_to_string(&mut json)?;
    parse(&json)
}

/// The largest payload read (bytes).
pub const MAX_PAYLOAD: usize = 64 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("the payload is larger than {} MiB, the most Mailroom reads", MAX_PAYLOAD / (1024 * 1024))]
    TooLarge,
    #[error("{0}")]
    Read(#[from] std::io::Error),
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    #[error("Importance: \"{0}\" is not one of Low, Normal, High")]
    Importance(String),
    #[error("Attachments[{index}] (\"{file_name}\").ContentData is not valid base64: {source}")]
    Base64 {
        index: usize,
        file_name: String,
        #[source]
        source: base64::DecodeError,
    },
    #[error(
        "Attachments[{index}] (\"{file_name}\").ContentData is not valid quoted-printable: {source}"
    )]
    QuotedPrintable {
        index: usize,
        file_name: String,
        #[source]
        source: quoted_printable::QuotedPrintableError,
    },
    #[error(
        "Attachments[{index}] (\"{file_name}\").ContentTransferEncoding: \"{value}\" is not base64, 7bit, 8bit, binary or quoted-printable"
    )]
    Encoding {
        index: usize,
        file_name: String,
        value: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct Email {
    #[serde(default)]
    from: String,
    to: String,
    #[serde(default, rename = "CC", alias = "Cc")]
    cc: String,
    #[serde(default)]
    bcc: String,
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default, rename = "IsHtml", alias = "IsHTML")]
    is_html: bool,
    #[serde(default)]
    importance: String,
    #[serde(default)]
    read_receipt: String,
    #[serde(default)]
    delivery_receipt: String,
    #[serde(default)]
    attachments: Vec<EmailAttachment>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct EmailAttachment {
    file_name: String,
    content_data: String,
    #[serde(default)]
    content_type: Option<String>,
    #[serde(default)]
    content_id: Option<String>,
    #[serde(default)]
    content_transfer_encoding: Option<String>,
}

/// Reads a connector payload into a draft. Errors name the field (serde's messages
/// carry the line and column).
pub fn parse(json: &str) -> Result<Draft, PayloadError> {
    if json.len() > MAX_PAYLOAD {
        return Err(PayloadError::TooLarge);
    }
    let email: Email = serde_json::from_str(json)?;
    let importance = Importance::parse(&email.importance)
        .ok_or_else(|| PayloadError::Importance(email.importance.clone()))?;
    let attachments = email
        .attachments
        .into_iter()
        .enumerate()
        .map(|(index, a)| attachment(index, a))
        .collect::<Result<_, _>>()?;
    Ok(Draft {
        from: email.from,
        to: email.to,
        cc: email.cc,
        bcc: email.bcc,
        subject: email.subject,
        body: email.body,
        body_format: if email.is_html {
            BodyFormat::Html
        } else {
            BodyFormat::Plain
        },
        importance,
        read_receipt_to: email.read_receipt,
        delivery_receipt_to: email.delivery_receipt,
        attachments,
        ..Draft::default()
    })
}

fn attachment(index: usize, a: EmailAttachment) -> Result<Attachment, PayloadError> {
    let encoding = a
        .content_transfer_encoding
        .as_deref()
        .unwrap_or("base64")
        .trim()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "" | "base64" => {
            STANDARD
                .decode(a.content_data.trim())
                .map_err(|source| PayloadError::Base64 {
                    index,
                    file_name: a.file_name.clone(),
                    source,
                })?
        }
        "7bit" | "8bit" | "binary" => a.content_data.into_bytes(),
        // Decoded, so the recipient gets the file and not its transfer encoding; strictly,
        // so a broken escape is named rather than sent as "=C".
        "quoted-printable" => quoted_printable::decode(
            a.content_data.as_bytes(),
            quoted_printable::ParseMode::Strict,
        )
        .map_err(|source| PayloadError::QuotedPrintable {
            index,
            file_name: a.file_name.clone(),
            source,
        })?,
        _ => {
            return Err(PayloadError::Encoding {
                index,
                file_name: a.file_name,
                value: encoding,
            });
        }
    };
    Ok(Attachment {
        file_name: a.file_name,
        content_type: a.content_type.filter(|t| !t.trim().is_empty()),
        content_id: a.content_id.filter(|id| !id.trim().is_empty()),
        source: AttachmentSource::Bytes(bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_over_the_cap_is_refused_before_it_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big.json");
        // Sparse: takes no disk and is never read.
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_PAYLOAD as u64 + 1)
            .unwrap();
        assert!(matches!(read(&big), Err(PayloadError::TooLarge)));
        #[cfg(unix)]
        assert!(matches!(
            read(std::path::Path::new("/dev/zero")),
            Err(PayloadError::TooLarge)
        ));
        let small = dir.path().join("small.json");
        std::fs::write(&small, r#"{"To":"a@example.org","Subject":"x"}"#).unwrap();
        assert_eq!(read(&small).unwrap().to, "a@example.org");
    }

    #[test]
    fn reads_the_connector_shape() {
        let draft = parse(
            r#"{"From":"me@example.org","To":"a@example.org;b@example.org","CC":"c@example.org",
                "Subject":"Hi","Body":"<p>Hi</p>","IsHtml":true,"Importance":"High",
                "Attachments":[{"FileName":"logo.png","ContentData":"iVBORw==","ContentId":"logo"},
                               {"FileName":"a.txt","ContentData":"plain","ContentTransferEncoding":"7bit"}]}"#,
        )
        .unwrap();
        assert_eq!(draft.to, "a@example.org;b@example.org");
        assert_eq!(draft.cc, "c@example.org");
        assert_eq!(draft.body_format, BodyFormat::Html);
        assert_eq!(draft.importance, Importance::High);
        assert_eq!(draft.attachments[0].content_id.as_deref(), Some("logo"));
        assert_eq!(
            draft.attachments[0].source,
            AttachmentSource::Bytes(vec![0x89, b'P', b'N', b'G'])
        );
        assert_eq!(
            draft.attachments[1].source,
            AttachmentSource::Bytes(b"plain".to_vec())
        );
    }

    #[test]
    fn quoted_printable_content_is_decoded_and_a_broken_escape_is_named() {
        let draft = parse(
            r#"{"To":"a@example.org","Subject":"x",
                "Attachments":[{"FileName":"menu.txt","ContentData":"caf=C3=A9 au lait, 2=\r\n0 =E2=82=AC",
                                "ContentTransferEncoding":"quoted-printable"}]}"#,
        )
        .unwrap();
        assert_eq!(
            draft.attachments[0].source,
            AttachmentSource::Bytes("café au lait, 20 €".as_bytes().to_vec())
        );
        let err = parse(
            r#"{"To":"a@example.org","Subject":"x",
                "Attachments":[{"FileName":"menu.txt","ContentData":"caf=C","ContentTransferEncoding":"Quoted-Printable"}]}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("Attachments[0] (\"menu.txt\")") && err.contains("quoted-printable"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_field_is_named() {
        let err =
            parse(r#"{"To":"a@example.org","Subject":"x","Bc":"b@example.org"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown field `Bc`"), "{err}");
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let err = parse(r#"{"Subject":"x"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `To`"), "{err}");
    }

    #[test]
    fn bad_base64_names_the_attachment() {
        let err = parse(r#"{"To":"a@example.org","Subject":"x","Attachments":[{"FileName":"r.pdf","ContentData":"***"}]}"#)
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("Attachments[0] (\"r.pdf\").ContentData is not valid base64"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_importance_is_named() {
        let err =
            parse(r#"{"To":"a@example.org","Subject":"x","Importance":"Urgent"}"#).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Importance: \"Urgent\" is not one of Low, Normal, High"
        );
    }
}
