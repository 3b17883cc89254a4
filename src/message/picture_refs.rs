//! The pictures an HTML or Markdown body shows by `cid:` reference (RFC 2392), checked
//! against the inline attachments before the message is built: `cid:logo` when the
//! picture's id is `logo.png` reached the recipient as a broken picture, and nobody
//! was told.
//!
//! A reference runs from `cid:` to the first quote, bracket, parenthesis or white
//! space; it matches a picture whose id equals it as written or percent-decoded (RFC
//! 2392 URL-encodes the id). A `cid:` in a plain-text body is only text.

/// The first reference in `body` that no id in `ids` answers.
pub fn unanswered(body: &str, ids: &[&str]) -> Option<String> {
    body.match_indices("cid:").find_map(|(at, _)| {
        let rest = &body[at + "cid:".len()..];
        let end = rest
            .find(|c: char| c.is_whitespace() || "\"'<>()[]".contains(c))
            .unwrap_or(rest.len());
        let reference = &rest[..end];
        let answered = reference.is_empty()
            || ids
                .iter()
                .any(|id| *id == reference || *id == percent_decoded(reference));
        (!answered).then(|| reference.to_string())
    })
}

/// `%2E` → `.`; a broken escape stays as written.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_end_where_html_and_markdown_end_them() {
        let ids = ["logo.png", "a b"];
        assert_eq!(unanswered(r#"<img src="cid:logo.png">"#, &ids), None);
        assert_eq!(unanswered("![x](cid:logo.png) and cid:a%20b", &ids), None);
        assert_eq!(
            unanswered("<img src=cid:logo>", &ids).as_deref(),
            Some("logo")
        );
        assert_eq!(unanswered("cid:%zz", &ids).as_deref(), Some("%zz"));
        assert_eq!(unanswered("no pictures", &ids), None);
    }
}
