//! The plain-text rendering of an HTML body, bounded.
//!
//! html2text takes time quadratic in the depth of the HTML's nesting (5k / 10k / 20k
//! nested `<div>`s took 0.76 / 2.9 / 12.7 s; 1 MB did not finish in 120 s). Two caps
//! keep it linear:
//! - **depth**: tags nested deeper than [`DEPTH_CAP`] are removed before html2text sees
//!   the HTML; their text stays, in order (layout past that depth is flattened, which no
//!   real message has);
//! - **size**: HTML over [`SIZE_CAP`] is not laid out at all: its text is its tags
//!   removed (entities left as written), which is what the plain-text alternative of
//!   such a message then carries.

/// Open elements deeper than this are dropped (their text is kept).
pub const DEPTH_CAP: usize = 64;

/// HTML larger than this (bytes) gets the tag-stripped text rather than a layout.
pub const SIZE_CAP: usize = 4 * 1024 * 1024;

/// How far down the open-element stack an end tag looks for its start tag; one that
/// is not found there is left as written (html5ever then ignores it).
const END_TAG_SEARCH: usize = 256;

/// Elements that have no end tag: they never nest.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr", "frame",
];

/// Elements whose start tag the parser closes by itself when the same kind opens again
/// (`<p>`, `<li>` …), so a run of them does not nest: they are not counted, so that HTML
/// which never closes its paragraphs keeps them all.
const SELF_CLOSING_SIBLINGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot", "rb",
    "rt", "rp", "rtc", "colgroup", "caption",
];

/// Elements whose content is raw text, not tags.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];

/// Line width of the text.
const TEXT_WIDTH: usize = 78;

/// The plain-text rendering of `html` with html2text, nesting past [`DEPTH_CAP`]
/// flattened; past [`SIZE_CAP`], its tags stripped. The HTML itself if html2text fails.
pub fn html_to_text(html: &str) -> String {
    if html.len() > SIZE_CAP {
        return strip_tags(html);
    }
    let bounded = cap_depth(html, DEPTH_CAP);
    html2text::from_read(bounded.as_bytes(), TEXT_WIDTH).unwrap_or_else(|_| html.to_string())
}

/// `html` with every tag removed; comments and raw-text content (scripts, styles)
/// removed too.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    for token in Tokens::new(html) {
        if let Token::Text(text) = token {
            out.push_str(text);
        }
    }
    out
}

/// `html` with the tags of elements nested deeper than `cap` removed.
pub fn cap_depth(html: &str, cap: usize) -> String {
    let mut out = String::with_capacity(html.len());
    // The open counted elements: name and whether their tags were kept.
    let mut open: Vec<(&str, bool)> = Vec::new();
    for token in Tokens::new(html) {
        match token {
            // A lone `<` (text to the parser) is written `&lt;`: once a dropped tag no
            // longer follows it, it could start a tag with the text after it (found by
            // tests/properties.rs: `<<a''<div>a` lost its `<a`).
            Token::Text(text) => match text.strip_prefix('<') {
                Some(rest) => {
                    out.push_str("&lt;");
                    out.push_str(rest);
                }
                None => out.push_str(text),
            },
            Token::Other(text) | Token::Raw(text) => out.push_str(text),
            Token::Start { name, whole } => {
                // A raw-text element's end tag comes with its content (Token::Raw).
                if is_one_of(name, VOID)
                    || is_one_of(name, SELF_CLOSING_SIBLINGS)
                    || is_one_of(name, RAW_TEXT)
                {
                    out.push_str(whole);
                } else {
                    let keep = open.len() < cap;
                    open.push((name, keep));
                    if keep {
                        out.push_str(whole);
                    }
                }
            }
            Token::End { name, whole } => {
                let bottom = open.len().saturating_sub(END_TAG_SEARCH);
                let found = open[bottom..]
                    .iter()
                    .rposition(|(open_name, _)| open_name.eq_ignore_ascii_case(name));
                match found {
                    Some(at) => {
                        let (_, kept) = open[bottom + at];
                        open.truncate(bottom + at);
                        if kept {
                            out.push_str(whole);
                        }
                    }
                    None => out.push_str(whole),
                }
            }
        }
    }
    out
}

fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

#[derive(Debug, PartialEq)]
enum Token<'a> {
    Text(&'a str),
    /// A comment, doctype or processing instruction, as written.
    Other(&'a str),
    /// The content of a raw-text element (`<script>` …) and its end tag.
    Raw(&'a str),
    Start {
        name: &'a str,
        whole: &'a str,
    },
    End {
        name: &'a str,
        whole: &'a str,
    },
}

/// A lexer good enough to find where tags are: quoted attribute values may hold `>`,
/// comments and raw-text elements hold no tags. Linear in the input.
struct Tokens<'a> {
    html: &'a str,
    at: usize,
    /// After a raw-text element's start tag: its name.
    raw: Option<&'a str>,
}

impl<'a> Tokens<'a> {
    fn new(html: &'a str) -> Self {
        Tokens {
            html,
            at: 0,
            raw: None,
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let rest = &self.html[self.at..];
        if rest.is_empty() {
            return None;
        }
        if let Some(name) = self.raw.take() {
            let end = find_end_tag(rest, name).unwrap_or(rest.len());
            let close = rest[end..].find('>').map_or(rest.len(), |i| end + i + 1);
            self.at += close;
            return Some(Token::Raw(&rest[..close]));
        }
        let bytes = rest.as_bytes();
        if bytes[0] != b'<' {
            // Not `rest[1..]`: the first character may be more than one byte.
            let len = rest.find('<').unwrap_or(rest.len());
            self.at += len;
            return Some(Token::Text(&rest[..len]));
        }
        if let Some(comment) = rest.strip_prefix("<!--") {
            let len = comment.find("-->").map_or(rest.len(), |i| i + 4 + 3);
            self.at += len;
            return Some(Token::Other(&rest[..len]));
        }
        if rest.starts_with("<!") || rest.starts_with("<?") {
            let len = rest.find('>').map_or(rest.len(), |i| i + 1);
            self.at += len;
            return Some(Token::Other(&rest[..len]));
        }
        let (is_end, name_start) = match bytes.get(1) {
            Some(b'/') => (true, 2),
            _ => (false, 1),
        };
        let name_len = bytes[name_start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b':')
            .count();
        if name_len == 0 || !bytes[name_start].is_ascii_alphabetic() {
            // A lone `<`: text.
            let len = rest[1..].find('<').map_or(rest.len(), |i| i + 1);
            self.at += len;
            return Some(Token::Text(&rest[..len]));
        }
        let name = &rest[name_start..name_start + name_len];
        let len = tag_end(bytes, name_start + name_len);
        self.at += len;
        let whole = &rest[..len];
        if is_end {
            Some(Token::End { name, whole })
        } else {
            if is_one_of(name, RAW_TEXT) {
                self.raw = Some(name);
            }
            Some(Token::Start { name, whole })
        }
    }
}

/// Where a tag that started at 0 ends (after its `>`), skipping quoted values.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote = None;
    for (i, b) in bytes.iter().enumerate().skip(from) {
        match (quote, b) {
            (None, b'>') => return i + 1,
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), b) if q == *b => quote = None,
            _ => {}
        }
    }
    bytes.len()
}

/// Where `</name` (any case) first starts in `text`.
fn find_end_tag(text: &str, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(i) = text[from..].find("</") {
        let start = from + i;
        let candidate = &bytes[start + 2..];
        if candidate.len() >= name.len()
            && candidate[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        {
            return Some(start);
        }
        from = start + 2;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// `html_to_text(html)`, failing (not hanging) if it has not finished after a
    /// watchdog's generous two minutes. Nothing is measured.
    fn convert_or_fail(html: String) -> String {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(html_to_text(&html));
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(text) => text,
            Err(_) => {
                unreachable!("html_to_text did not finish within the watchdog's 120 s")
            }
        }
    }

    fn nested(depth: usize, text: &str) -> String {
        format!("{}{text}{}", "<div>".repeat(depth), "</div>".repeat(depth))
    }

    #[test]
    fn a_deeply_nested_body_converts_and_keeps_its_text() {
        // 100k nested divs (1.1 MB): html2text alone did not finish in 120 s.
        let text = convert_or_fail(nested(100_000, "deep inside"));
        assert!(text.contains("deep inside"), "{text}");
    }

    #[test]
    fn nesting_past_the_cap_is_flattened_and_the_rest_kept() {
        let capped = cap_depth(&nested(DEPTH_CAP + 10, "x"), DEPTH_CAP);
        assert_eq!(capped, nested(DEPTH_CAP, "x"));
        // Text and sibling structure beyond the cap stay in order.
        let html = format!(
            "{}<b>a</b><i>b</i>c{}<p>after",
            "<div>".repeat(DEPTH_CAP),
            "</div>".repeat(DEPTH_CAP)
        );
        let capped = cap_depth(&html, DEPTH_CAP);
        assert!(capped.contains(">abc</div>"), "{capped}");
        assert!(capped.ends_with("<p>after"), "{capped}");
    }

    #[test]
    fn unclosed_paragraphs_voids_comments_and_scripts_are_not_nesting() {
        let html = "<p>one<p>two<br><img src='a>b'><!-- <div> --><script>if (a<b) '<div>'</script><div>x</div>";
        assert_eq!(cap_depth(html, 1), html);
        let text = html_to_text(html);
        assert!(text.contains("one") && text.contains("two") && text.contains('x'));
        assert!(!text.contains("if (a"), "{text}");
    }

    #[test]
    fn past_the_size_cap_the_text_is_the_tags_stripped() {
        let mut html = String::from("<style>p { color: red }</style><p>Hello <b>you</b>");
        html.push_str(&"<span>z</span>".repeat(SIZE_CAP / 14 + 1));
        let text = convert_or_fail(html);
        assert!(text.starts_with("Hello youzzz"), "{}", &text[..40]);
        assert!(!text.contains('<'));
    }

    #[test]
    fn text_that_starts_with_a_multibyte_character_is_not_cut_inside_it() {
        // Found by tests/send_postfix.rs: "é" after a tag panicked (a slice at byte 1).
        let html = "<p>Grüße</p><p>é<b>x</b>東京";
        assert_eq!(cap_depth(html, DEPTH_CAP), html);
        assert_eq!(strip_tags(html), "Grüßeéx東京");
        assert!(html_to_text(html).contains("東京"));
    }

    #[test]
    fn a_lone_angle_bracket_stays_text_when_the_tag_after_it_is_dropped() {
        // Found by tests/properties.rs (100,000 cases): the minimal failing input.
        let html = "<A<div><b><<a''<div>a";
        let capped = cap_depth(html, 2);
        assert_eq!(capped, "<A<div><b>&lt;a");
        assert_eq!(strip_tags(&capped).replace("&lt;", "<"), strip_tags(html));
    }

    #[test]
    fn a_normal_body_renders_as_before() {
        let html = "<h1>Plan</h1><p>Hello <b>you</b></p><ul><li>one</li><li>two</li></ul>";
        assert_eq!(
            html_to_text(html),
            html2text::from_read(html.as_bytes(), TEXT_WIDTH).unwrap_or_default()
        );
    }
}
