//! Headers lettre does not have: importance, receipts, and a Content-Type that carries
//! the attachment's name (`name=`) as old clients still read it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lettre::message::header::{Header, HeaderName, HeaderValue};

use super::draft::Importance;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Declares a header whose value is a plain string lettre encodes itself.
macro_rules! text_header {
    ($(#[$doc:meta])* $type:ident, $name:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $type(pub String);

        impl Header for $type {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($name)
            }
            fn parse(s: &str) -> Result<Self, BoxError> {
                Ok(Self(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(
    /// `Importance: high` — read by Outlook and Thunderbird.
    ImportanceHeader,
    "Importance"
);
text_header!(
    /// `X-Priority: 1 (Highest)` — the older spelling many clients still show.
    XPriority,
    "X-Priority"
);
text_header!(
    /// Asks the recipient's client for a read receipt (RFC 8098).
    DispositionNotificationTo,
    "Disposition-Notification-To"
);
text_header!(
    /// Asks for a delivery receipt (non-standard, sent by the Logic Apps connector).
    ReturnReceiptTo,
    "Return-Receipt-To"
);

/// The two headers for an importance other than normal.
pub fn importance_headers(importance: Importance) -> Option<(ImportanceHeader, XPriority)> {
    match importance {
        Importance::Normal => None,
        Importance::High => Some((
            ImportanceHeader("high".into()),
            XPriority("1 (Highest)".into()),
        )),
        Importance::Low => Some((
            ImportanceHeader("low".into()),
            XPriority("5 (Lowest)".into()),
        )),
    }
}

/// `Content-Type: application/pdf; name="…"` with a non-ASCII name as RFC 2047
/// encoded words, which Outlook and older Thunderbird read when the RFC 2231
/// `filename*=` on Content-Disposition is not understood.
#[derive(Debug, Clone)]
pub struct NamedContentType {
    raw: String,
    encoded: String,
}

impl NamedContentType {
    /// `mime` must already be validated (e.g. by `ContentType::parse`).
    pub fn new(mime: &str, file_name: &str) -> Self {
        let name = if file_name.is_ascii() {
            format!(
                "\"{}\"",
                file_name.replace('\\', "\\\\").replace('"', "\\\"")
            )
        } else {
            format!("\"{}\"", encoded_words(file_name).join("\r\n "))
        };
        Self {
            raw: format!("{mime}; name=\"{file_name}\""),
            encoded: format!("{mime};\r\n name={name}"),
        }
    }
}

impl Header for NamedContentType {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Type")
    }
    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(Self {
            raw: s.to_string(),
            encoded: s.to_string(),
        })
    }
    fn display(&self) -> HeaderValue {
        // Safe: `encoded` is ASCII (base64 words), folded, and has no bare CR or LF.
        HeaderValue::dangerous_new_pre_encoded(Self::name(), self.raw.clone(), self.encoded.clone())
    }
}

/// A Subject written as RFC 2047 encoded words, for a subject that holds text a reader
/// would take for encoded words of its own (`=?utf-8?b?w6k=?=` read back as `é`, found
/// by `tests/properties.rs`): lettre writes an ASCII subject as it is.
#[derive(Debug, Clone)]
pub struct EncodedSubject {
    raw: String,
    encoded: String,
}

impl EncodedSubject {
    pub fn new(subject: &str) -> Self {
        Self {
            raw: subject.to_string(),
            encoded: encoded_words(subject).join("\r\n "),
        }
    }

    /// Whether lettre's own Subject would be misread: it holds the start of an
    /// encoded word, or it is not ASCII. lettre encodes a non-ASCII subject word by
    /// word, and the spaces it leaves between its words and the plain ones are not kept
    /// by every reader (`a  é` came back from mail-parser as `a é`, found by
    /// `tests/properties.rs`); inside one run of encoded words every space is kept.
    /// A run of spaces or a tab is encoded too: where lettre folds a long subject
    /// (correctly) mail-parser reads the fold and the spaces after it as one space.
    pub fn needed(subject: &str) -> bool {
        !subject.is_ascii()
            || subject.contains("=?")
            || subject.contains('\t')
            || subject.contains("  ")
    }
}

impl Header for EncodedSubject {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Subject")
    }
    fn parse(s: &str) -> Result<Self, BoxError> {
        Ok(Self::new(s))
    }
    fn display(&self) -> HeaderValue {
        // Safe: `encoded` is ASCII (base64 words), folded, and has no bare CR or LF.
        HeaderValue::dangerous_new_pre_encoded(Self::name(), self.raw.clone(), self.encoded.clone())
    }
}

/// `=?utf-8?b?…?=` words of at most 75 characters, never splitting a character.
fn encoded_words(text: &str) -> Vec<String> {
    const MAX_BYTES: usize = 45; // 45 bytes -> 60 base64 characters + 12 of framing
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (i, c) in text.char_indices() {
        if i + c.len_utf8() - start > MAX_BYTES {
            words.push(encode_word(&text[start..end]));
            start = end;
        }
        end = i + c.len_utf8();
    }
    if start < text.len() {
        words.push(encode_word(&text[start..]));
    }
    words
}

fn encode_word(piece: &str) -> String {
    format!("=?utf-8?b?{}?=", STANDARD.encode(piece))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_split_into_short_words_on_character_boundaries() {
        let name = "東京".repeat(20) + ".pdf";
        let words = encoded_words(&name);
        assert!(words.len() > 1);
        let mut decoded = String::new();
        for word in &words {
            assert!(word.len() <= 75, "{word}");
            let b64 = word.trim_start_matches("=?utf-8?b?").trim_end_matches("?=");
            decoded.push_str(std::str::from_utf8(&STANDARD.decode(b64).unwrap()).unwrap());
        }
        assert_eq!(decoded, name);
    }

    #[test]
    fn ascii_names_are_quoted_and_escaped() {
        let ct = NamedContentType::new("text/plain", r#"a "b".txt"#);
        assert!(
            ct.encoded.ends_with(r#"name="a \"b\".txt""#),
            "{}",
            ct.encoded
        );
    }
}
