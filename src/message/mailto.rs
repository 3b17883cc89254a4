//! `mailto:` URIs (RFC 6068) as drafts: `mailto:a@x.org,b@x.org?cc=c@x.org&subject=Hi&body=…`.
//! Percent-encoded UTF-8 is decoded; `to` in the query adds to the path's addresses;
//! unknown header fields are ignored, as mail clients do.

use super::draft::Draft;

#[derive(Debug, thiserror::Error)]
pub enum MailtoError {
    #[error("\"{0}\" is not a mailto: link")]
    NotMailto(String),
    #[error("the mailto: link has broken percent-encoding in \"{0}\"")]
    BadEncoding(String),
}

pub fn parse(uri: &str) -> Result<Draft, MailtoError> {
    let rest = uri
        .strip_prefix("mailto:")
        .or_else(|| uri.strip_prefix("MAILTO:"))
        .ok_or_else(|| MailtoError::NotMailto(uri.to_string()))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut draft = Draft {
        to: decode(path)?,
        ..Draft::default()
    };
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value)?;
        let append = |field: &mut String| {
            if field.is_empty() {
                *field = value.clone();
            } else {
                field.push_str(", ");
                field.push_str(&value);
            }
        };
        match name.to_ascii_lowercase().as_str() {
            "to" => append(&mut draft.to),
            "cc" => append(&mut draft.cc),
            "bcc" => append(&mut draft.bcc),
            "subject" => draft.subject = value.clone(),
            "body" => draft.body = value.replace("\r\n", "\n"),
            "in-reply-to" | "references" => {}
            _ => {}
        }
    }
    Ok(draft)
}

fn decode(text: &str) -> Result<String, MailtoError> {
    let bad = || MailtoError::BadEncoding(text.to_string());
    let mut bytes = Vec::with_capacity(text.len());
    let mut iter = text.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let hex = [iter.next().ok_or_else(bad)?, iter.next().ok_or_else(bad)?];
            let hex = std::str::from_utf8(&hex).map_err(|_| bad())?;
            bytes.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_field_and_decodes_utf8() {
        let d = parse("mailto:a@example.org,b@example.org?cc=c@example.org&bcc=d@example.org&subject=Caf%C3%A9%20tomorrow&body=Line%201%0D%0ALine%202&to=e@example.org").unwrap();
        assert_eq!(d.to, "a@example.org,b@example.org, e@example.org");
        assert_eq!(
            (d.cc.as_str(), d.bcc.as_str()),
            ("c@example.org", "d@example.org")
        );
        assert_eq!(d.subject, "Café tomorrow");
        assert_eq!(d.body, "Line 1\nLine 2");
    }

    #[test]
    fn refuses_what_is_not_a_mailto_link() {
        assert!(matches!(
            parse("https://example.org"),
            Err(MailtoError::NotMailto(_))
        ));
        assert!(matches!(
            parse("mailto:a@x.org?subject=%E2"),
            Err(MailtoError::BadEncoding(_))
        ));
    }
}
