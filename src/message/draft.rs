//! [`Draft`]: a message as the person typed it. Nothing here is validated; see
//! [`super::mime::build`] for the rules a draft must meet to be sent.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A message being written. Address fields hold the text as typed (a list separated by
/// commas or semicolons); an empty `from` means "the profile's identity".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Draft {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub reply_to: String,
    pub subject: String,
    pub body: String,
    pub body_format: BodyFormat,
    /// The `text/plain` alternative of an HTML body; derived from the HTML when `None`.
    pub text_alternative: Option<String>,
    pub attachments: Vec<Attachment>,
    pub importance: Importance,
    /// Address asking for a read receipt (`Disposition-Notification-To`).
    pub read_receipt_to: String,
    /// Address asking for a delivery receipt (`Return-Receipt-To`).
    pub delivery_receipt_to: String,
}

/// How the body is written. Markdown is what the desktop app's formatted mode writes:
/// it is sent as HTML, with the Markdown text itself as the plain alternative.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    #[default]
    Plain,
    /// HTML source (a Logic Apps payload, an imported message, `--html`).
    Html,
    /// CommonMark, sent as HTML.
    Markdown,
}

impl BodyFormat {
    /// Whether the message carries an HTML part.
    pub fn is_html(self) -> bool {
        !matches!(self, BodyFormat::Plain)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Importance {
    Low,
    #[default]
    Normal,
    High,
}

impl Importance {
    /// Parses `low`, `normal` or `high` in any case (the Logic Apps connector writes `High`).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Self::Low),
            "normal" | "" => Some(Self::Normal),
            "high" => Some(Self::High),
            _ => None,
        }
    }
}

impl std::str::FromStr for Importance {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        Self::parse(text).ok_or_else(|| format!("\"{text}\" is not one of low, normal, high"))
    }
}

/// A file carried by the message. With a `content_id` it is an inline image that the
/// HTML body shows with `<img src="cid:ID">`; without, an ordinary attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name the recipient sees.
    pub file_name: String,
    /// `None`: guessed from the file name's extension.
    pub content_type: Option<String>,
    pub content_id: Option<String>,
    pub source: AttachmentSource,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttachmentSource {
    /// Read when the message is built.
    File(PathBuf),
    /// Already in memory (a Logic Apps payload's `ContentData`).
    Bytes(#[serde(with = "base64_bytes")] Vec<u8>),
}

impl Attachment {
    /// An attachment read from `path`, named after the file.
    pub fn from_path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned());
        Self {
            file_name,
            content_type: None,
            content_id: None,
            source: AttachmentSource::File(path),
        }
    }

    /// An inline image read from `path`; its Content-ID is the file name, so the HTML
    /// body refers to `logo.png` as `<img src="cid:logo.png">`.
    pub fn inline_from_path(path: impl Into<PathBuf>) -> Self {
        let mut attachment = Self::from_path(path);
        attachment.content_id = Some(attachment.file_name.clone());
        attachment
    }

    pub fn is_inline(&self) -> bool {
        self.content_id.is_some()
    }

    /// Whether it is a picture (by its content type, or its file name's extension), so
    /// that a formatted message can show it inline.
    pub fn is_image(&self) -> bool {
        match &self.content_type {
            Some(given) => given.trim().to_ascii_lowercase().starts_with("image/"),
            None => mime_guess::from_path(&self.file_name)
                .first()
                .is_some_and(|m| m.type_() == mime_guess::mime::IMAGE),
        }
    }

    /// Makes it an inline image with a Content-ID derived from its file name (ASCII
    /// letters, digits, `.`, `-` and `_` only, so it can stand in a `cid:` URL unescaped) that is
    /// none of `taken`. Returns the Content-ID.
    pub fn make_inline<'a>(&mut self, taken: impl IntoIterator<Item = &'a str> + Clone) -> String {
        let mut safe = String::new();
        for c in self.file_name.chars() {
            let c = if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
                c
            } else {
                '-'
            };
            if !(c == '-' && (safe.is_empty() || safe.ends_with('-'))) {
                safe.push(c);
            }
        }
        let base = match safe.trim_end_matches('-') {
            "" => "image".to_string(),
            trimmed => trimmed.to_string(),
        };
        let is_taken = |candidate: &str| taken.clone().into_iter().any(|t| t == candidate);
        let mut id = base.clone();
        let mut n = 1;
        while is_taken(&id) {
            n += 1;
            id = format!("{n}-{base}");
        }
        self.content_id = Some(id.clone());
        id
    }
}

mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_images_are_referenced_by_their_file_name() {
        let a = Attachment::inline_from_path("/tmp/pics/logo.png");
        assert_eq!(a.file_name, "logo.png");
        assert_eq!(a.content_id.as_deref(), Some("logo.png"));
        assert!(a.is_inline());
        assert!(a.is_image());
    }

    #[test]
    fn a_picture_made_inline_gets_a_content_id_safe_in_a_url_and_unique() {
        let mut photo = Attachment::from_path("/tmp/Été à Paris.JPG");
        assert!(photo.is_image() && !photo.is_inline());
        assert_eq!(photo.make_inline(["logo.png"]), "t-Paris.JPG");
        let mut again = Attachment::from_path("/home/ana/Été à Paris.JPG");
        assert_eq!(again.make_inline(["t-Paris.JPG"]), "2-t-Paris.JPG");
        assert!(!Attachment::from_path("/tmp/report.pdf").is_image());
    }

    #[test]
    fn a_draft_survives_a_json_round_trip_with_bytes() {
        let draft = Draft {
            to: "a@example.org".into(),
            attachments: vec![Attachment {
                file_name: "x.bin".into(),
                content_type: None,
                content_id: None,
                source: AttachmentSource::Bytes(vec![0, 1, 2, 255]),
            }],
            ..Draft::default()
        };
        let json = serde_json::to_string(&draft).unwrap();
        assert_eq!(serde_json::from_str::<Draft>(&json).unwrap(), draft);
    }

    #[test]
    fn importance_reads_the_connector_spelling() {
        assert_eq!(Importance::parse("High"), Some(Importance::High));
        assert_eq!(Importance::parse("LOW"), Some(Importance::Low));
        assert_eq!(Importance::parse("urgent"), None);
    }
}
