//! The `Date` header is set when a message goes out, not when it was written or
//! scheduled: a message scheduled on Monday for Thursday says Thursday, and sorts there in
//! every inbox. Everything else in a frozen message stays as the person saw it.
//!
//! Mailroom writes `Date` in one fixed width (`Thu, 24 Dec 2026 08:00:00 +0000`, as
//! lettre does), so the new value overwrites the old one in place: the outbox rewrites 31
//! bytes of `message.eml` rather than the whole file.

use std::ops::Range;

use jiff::Timestamp;

/// `at` as a `Date` header value, in the one fixed width (UTC, as lettre writes it).
pub fn header_value(at: Timestamp) -> String {
    at.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Where the value of the `Date` header sits in `message`'s header section.
pub fn value_range(message: &[u8]) -> Option<Range<usize>> {
    let mut start = 0;
    while start < message.len() {
        let end = message[start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(message.len(), |n| start + n);
        let line = &message[start..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return None; // the end of the header section
        }
        if line.len() > 5 && line[..5].eq_ignore_ascii_case(b"date:") {
            let leading = line[5..].iter().take_while(|b| **b == b' ').count();
            return Some(start + 5 + leading..start + line.len());
        }
        start = end + 1;
    }
    None
}

/// Sets `message`'s `Date` to `at` when the new value fits in place (the same width);
/// returns the range that changed, or `None` when nothing did.
pub fn restamp(message: &mut [u8], at: Timestamp) -> Option<Range<usize>> {
    let range = value_range(message)?;
    let value = header_value(at);
    let old = message.get_mut(range.clone())?;
    if old.len() != value.len() || old == value.as_bytes() {
        return None;
    }
    old.copy_from_slice(value.as_bytes());
    Some(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &[u8] =
        b"From: me@example.org\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\nSubject: Hi\r\n\r\nDate: in the body\r\n";

    #[test]
    fn the_date_is_rewritten_in_place_and_nothing_else_moves() {
        let mut message = MESSAGE.to_vec();
        let at: Timestamp = "2026-12-05T08:00:00Z".parse().unwrap();
        let changed = restamp(&mut message, at).unwrap();
        assert_eq!(&message[changed], b"Sat, 05 Dec 2026 08:00:00 +0000");
        let text = String::from_utf8(message).unwrap();
        assert!(text.starts_with("From: me@example.org\r\nDate: Sat, 05 Dec 2026 08:00:00 +0000\r\nSubject: Hi\r\n\r\nDate: in the body"));
    }

    #[test]
    fn lettre_and_mailroom_write_dates_of_the_same_width() {
        let built = lettre::Message::builder()
            .from("me@example.org".parse().unwrap())
            .to("a@example.org".parse().unwrap())
            .body(String::from("x"))
            .unwrap()
            .formatted();
        let range = value_range(&built).unwrap();
        assert_eq!(range.len(), header_value(Timestamp::now()).len());
    }

    #[test]
    fn a_date_in_the_body_only_is_left_alone() {
        let mut message = b"Subject: x\r\n\r\nDate: Wed, 02 Dec 2026 10:00:00 +0000\r\n".to_vec();
        assert_eq!(restamp(&mut message, Timestamp::now()), None);
    }
}
