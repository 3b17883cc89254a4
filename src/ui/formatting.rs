//! The formatting toolbar's edits on Markdown text: wrap the selection (`**bold**`,
//! `*italic*`, `[link](url)`) or prefix its lines (`# `, `- `, `1. `, `> `). Pure string
//! work on character ranges, so it is unit-tested without a window.

/// A formatting action from the toolbar or a shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Bold,
    Italic,
    Link,
    Heading,
    Bullets,
    Numbers,
    Quote,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Bold,
        Format::Italic,
        Format::Link,
        Format::Heading,
        Format::Bullets,
        Format::Numbers,
        Format::Quote,
    ];

    /// The button's text, its accessible name, and its hover text.
    pub fn label(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Format::Bold => ("B", "Bold", "Bold (Ctrl+B)"),
            Format::Italic => ("I", "Italic", "Italic (Ctrl+I)"),
            Format::Link => ("Link", "Link", "Link"),
            Format::Heading => ("H", "Heading", "Heading"),
            Format::Bullets => ("• List", "Bulleted list", "Bulleted list"),
            Format::Numbers => ("1.", "Numbered list", "Numbered list"),
            Format::Quote => ("Quote", "Quote", "Quote"),
        }
    }
}

/// What a link with nothing selected says until the person types over it.
const LINK_TEXT: &str = "link text";

/// Applies `format` to the characters `start..end` of `text`; returns the new selection.
pub fn apply(text: &mut String, start: usize, end: usize, format: Format) -> (usize, usize) {
    let (start, end) = (start.min(end), start.max(end));
    match format {
        Format::Bold => wrap(text, start, end, "**", "**"),
        Format::Italic => wrap(text, start, end, "*", "*"),
        Format::Link if start == end => {
            // Nothing selected: a link text to type over, selected ("[link text](…)").
            let (s, _) = wrap(text, start, end, "[link text", "](https://)");
            (s - LINK_TEXT.chars().count(), s)
        }
        Format::Link => {
            let (_, e) = wrap(text, start, end, "[", "](https://)");
            (e + 2, e + 10) // select the URL placeholder
        }
        Format::Heading => prefix_lines(text, start, end, |_| "# ".to_string()),
        Format::Bullets => prefix_lines(text, start, end, |_| "- ".to_string()),
        Format::Numbers => prefix_lines(text, start, end, |n| format!("{}. ", n + 1)),
        Format::Quote => prefix_lines(text, start, end, |_| "> ".to_string()),
    }
}

fn byte_index(text: &str, chars: usize) -> usize {
    text.char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i)
}

fn wrap(text: &mut String, start: usize, end: usize, before: &str, after: &str) -> (usize, usize) {
    let (b, e) = (byte_index(text, start), byte_index(text, end));
    text.insert_str(e, after);
    text.insert_str(b, before);
    let shift = before.chars().count();
    (start + shift, end + shift)
}

fn prefix_lines(
    text: &mut String,
    start: usize,
    end: usize,
    prefix: impl Fn(usize) -> String,
) -> (usize, usize) {
    let (b, e) = (byte_index(text, start), byte_index(text, end));
    let line_start = text[..b].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[e..].find('\n').map_or(text.len(), |i| e + i);
    let block: Vec<String> = text[line_start..line_end]
        .split('\n')
        .enumerate()
        .map(|(n, line)| format!("{}{line}", prefix(n)))
        .collect();
    let replaced = block.join("\n");
    let added = replaced.chars().count() - text[line_start..line_end].chars().count();
    text.replace_range(line_start..line_end, &replaced);
    (start + prefix(0).chars().count(), end + added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_the_selection_and_keeps_it_selected() {
        let mut text = "make this bold".to_string();
        let selection = apply(&mut text, 10, 14, Format::Bold);
        assert_eq!(text, "make this **bold**");
        assert_eq!(selection, (12, 16));
    }

    #[test]
    fn prefixes_every_selected_line() {
        let mut text = "intro\nfirst\nsecond\nend".to_string();
        apply(&mut text, 7, 14, Format::Numbers);
        assert_eq!(text, "intro\n1. first\n2. second\nend");
        let mut text = "été à Paris".to_string();
        apply(&mut text, 0, 0, Format::Quote);
        assert_eq!(text, "> été à Paris");
    }

    #[test]
    fn a_link_with_nothing_selected_selects_a_link_text_to_type_over() {
        let mut text = "see ".to_string();
        let (s, e) = apply(&mut text, 4, 4, Format::Link);
        assert_eq!(text, "see [link text](https://)");
        assert_eq!(
            text.chars().skip(s).take(e - s).collect::<String>(),
            "link text"
        );
    }

    #[test]
    fn a_link_selects_its_url_placeholder() {
        let mut text = "see docs".to_string();
        let (s, e) = apply(&mut text, 4, 8, Format::Link);
        assert_eq!(text, "see [docs](https://)");
        assert_eq!(
            text.chars().skip(s).take(e - s).collect::<String>(),
            "https://"
        );
    }
}
