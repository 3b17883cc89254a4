//! Address fields: a list typed or pasted by a person, split and parsed as RFC 5322
//! mailboxes (`Ana Lima <ana@example.org>`, `"Doe, Jo" <jo@example.org>`, `b@example.org`).
//!
//! Commas and semicolons both separate addresses (Outlook and the Logic Apps connector
//! use `;`), except inside quotes or angle brackets.

use lettre::message::Mailbox;

use super::error::{DraftError, Field};

/// Splits a field's text into the addresses in it, trimmed, empty pieces dropped.
pub fn split_list(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let (mut start, mut in_quotes, mut in_angle, mut escaped) = (0, false, false, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if !in_quotes => in_angle = true,
            '>' if !in_quotes => in_angle = false,
            ',' | ';' if !in_quotes && !in_angle => {
                pieces.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    pieces.push(&text[start..]);
    pieces
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// Parses every address in `text`; the first bad one is reported with its text.
pub fn parse_list(field: Field, text: &str) -> Result<Vec<Mailbox>, DraftError> {
    reject_control_characters(field, text)?;
    let pieces = split_list(text);
    (0..pieces.len())
        .map(|i| parse_piece(field, &pieces, i))
        .collect()
}

/// Every bad address in `text` with its reason, for marking them all at once in a form.
pub fn invalid_addresses(field: Field, text: &str) -> Vec<DraftError> {
    if let Err(e) = reject_control_characters(field, text) {
        return vec![e];
    }
    let pieces = split_list(text);
    (0..pieces.len())
        .filter_map(|i| parse_piece(field, &pieces, i).err())
        .collect()
}

/// Parses `pieces[i]`; a name cut off by a comma (`Müller, Ana <ana@…>`) is told how to
/// quote it, naming the whole address.
fn parse_piece(field: Field, pieces: &[&str], i: usize) -> Result<Mailbox, DraftError> {
    let piece = pieces[i];
    let next = pieces.get(i + 1).filter(|n| n.contains('<'));
    if let Some(next) = next.filter(|_| !piece.contains(['@', '<', '"']))
        && let Some((name, address)) = next.split_once('<')
    {
        return Err(DraftError::InvalidAddress {
            field,
            text: format!("{piece}, {next}"),
            reason: format!(
                "a name with a comma needs quotes: \"{piece}, {}\" <{address}",
                name.trim()
            ),
        });
    }
    parse_one(field, piece)
}

/// At most one address (From, Reply-To, receipts): `None` when the field is empty.
pub fn parse_single(field: Field, text: &str) -> Result<Option<Mailbox>, DraftError> {
    let mut list = parse_list(field, text)?;
    match list.len() {
        0 => Ok(None),
        1 => Ok(list.pop()),
        count => Err(DraftError::OneAddressOnly { field, count }),
    }
}

fn parse_one(field: Field, piece: &str) -> Result<Mailbox, DraftError> {
    piece
        .parse::<Mailbox>()
        .map_err(|e| DraftError::InvalidAddress {
            field,
            text: piece.to_string(),
            reason: reason_for(piece, &e.to_string()),
        })
}

fn reason_for(piece: &str, lettre_reason: &str) -> String {
    let address = piece
        .rsplit_once('<')
        .map_or(piece, |(_, rest)| rest.trim_end_matches('>'));
    if !piece.contains('<')
        && let Some((name, mail)) = address.trim().rsplit_once(char::is_whitespace)
        && mail.contains('@')
    {
        return if name.contains('@') {
            "two addresses? separate them with a comma".to_string()
        } else {
            format!("write it as \"{} <{mail}>\"", name.trim())
        };
    }
    match address.matches('@').count() {
        0 => "no @ in it".to_string(),
        1 if address.ends_with('@') => "nothing after the @".to_string(),
        1 if address.starts_with('@') => "nothing before the @".to_string(),
        1 => lettre_reason.to_string(),
        _ => "more than one @".to_string(),
    }
}

/// CR, LF or NUL in a header value would let the text start a new header; any other
/// control character but TAB (ESC, VT, FF, DEL, C1) would go raw into the header,
/// where readers drop or show it differently (found by `tests/properties.rs`: a
/// Subject of VT came back from mail-parser unlike what was written) and a terminal
/// that prints it obeys it.
pub fn reject_control_characters(field: Field, text: &str) -> Result<(), DraftError> {
    if text.chars().any(|c| c.is_control() && c != '\t') {
        Err(DraftError::ControlCharacter { field })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_without_angle_brackets_is_told_the_form() {
        let err = parse_list(Field::To, "Ana Müller ana@example.org").unwrap_err();
        assert!(
            err.to_string()
                .contains("write it as \"Ana Müller <ana@example.org>\""),
            "{err}"
        );
    }

    #[test]
    fn two_addresses_without_a_comma_are_not_merged_by_the_hint() {
        let err = parse_list(Field::To, "ana@x.org bo@y.org").unwrap_err();
        assert!(
            err.to_string().contains("separate them with a comma"),
            "{err}"
        );
    }

    #[test]
    fn a_name_cut_by_its_comma_is_told_to_quote_it() {
        let errors = invalid_addresses(Field::To, "Müller, Ana <ana@example.org>");
        assert_eq!(errors.len(), 1, "{errors:?}");
        let text = errors[0].to_string();
        assert!(
            text.contains("needs quotes: \"Müller, Ana\" <ana@example.org>"),
            "{text}"
        );
        assert!(parse_list(Field::To, "\"Müller, Ana\" <ana@example.org>").is_ok());
    }

    #[test]
    fn splits_on_commas_and_semicolons_but_not_inside_quotes_or_brackets() {
        let list = split_list(r#"a@x.org; "Doe, Jo" <jo@x.org>, Ana <ana@x.org> ;; "#);
        assert_eq!(
            list,
            vec!["a@x.org", r#""Doe, Jo" <jo@x.org>"#, "Ana <ana@x.org>"]
        );
    }

    #[test]
    fn parses_display_names_including_unicode() {
        let list = parse_list(Field::To, "Zoë Ünal <zoe@example.org>, b@example.org").unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].name.as_deref(), Some("Zoë Ünal"));
        assert_eq!(list[1].email.to_string(), "b@example.org");
    }

    #[test]
    fn names_the_field_and_the_bad_address() {
        let err = parse_list(Field::Cc, "ok@example.org, not-an-address").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("Cc:"), "{text}");
        assert!(text.contains("\"not-an-address\""), "{text}");
        assert!(text.contains("no @"), "{text}");
    }

    #[test]
    fn reports_every_bad_address_for_the_form() {
        let bad = invalid_addresses(Field::To, "a@, good@example.org, @b.org");
        assert_eq!(bad.len(), 2);
        assert!(bad[0].to_string().contains("nothing after the @"));
        assert!(bad[1].to_string().contains("nothing before the @"));
    }

    #[test]
    fn a_line_break_is_never_a_header() {
        let err = parse_list(Field::To, "a@example.org\r\nBcc: evil@example.org").unwrap_err();
        assert!(matches!(
            err,
            DraftError::ControlCharacter { field: Field::To }
        ));
    }

    #[test]
    fn single_address_fields_refuse_lists() {
        assert!(parse_single(Field::From, "").unwrap().is_none());
        let err = parse_single(Field::From, "a@x.org, b@x.org").unwrap_err();
        assert!(err.to_string().contains("not 2"), "{err}");
    }
}
