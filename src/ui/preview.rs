//! What the compose view's preview shows of a formatted body, worked out once per
//! change rather than every frame.
//!
//! Markdown is shown by egui_commonmark, given the body with two changes that make it
//! look as the recipient will see it: a line break inside a paragraph is a line break
//! (as [`crate::message::mime::markdown_to_html`] sends it), and a picture
//! (`![logo](cid:logo.png)`: the window loads no images) reads `[picture: logo]`. A body
//! in HTML is previewed as its text rendering, made on the UI thread: so only the first
//! [`PREVIEW_HTML_CAP`] bytes of it are rendered (the conversion is bounded in depth, see
//! [`crate::message::html_text`], and so linear in this cap), and the preview says so.

use pulldown_cmark::{Event, Options, Parser, Tag};

use crate::message::BodyFormat;
use crate::message::mime::html_to_text;

/// How much of an HTML body the preview renders (bytes).
pub const PREVIEW_HTML_CAP: usize = 256 * 1024;

/// The preview's source, kept until the body changes.
#[derive(Debug, Default)]
pub struct Preview {
    /// The compose state's revision the source was made from.
    made_from: Option<u64>,
    source: String,
}

impl Preview {
    /// The source to show for `body` at `revision`, remade only when the revision moved.
    pub fn source(&mut self, revision: u64, body: &str, format: BodyFormat) -> &str {
        if self.made_from != Some(revision) {
            self.source = match format {
                BodyFormat::Markdown => markdown_preview(body),
                _ => html_preview(body),
            };
            self.made_from = Some(revision);
        }
        &self.source
    }
}

/// The text rendering of at most the first [`PREVIEW_HTML_CAP`] bytes of `html`, with a
/// note when there was more.
pub fn html_preview(html: &str) -> String {
    if html.len() <= PREVIEW_HTML_CAP {
        return html_to_text(html);
    }
    let mut end = PREVIEW_HTML_CAP;
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    let mut text = html_to_text(&html[..end]);
    text.push_str(&format!(
        "\n\n[The preview shows the first {} KiB of this {} KiB body; the message is sent whole.]",
        PREVIEW_HTML_CAP / 1024,
        html.len().div_ceil(1024)
    ));
    text
}

/// `markdown` with hard line breaks and inline pictures named, for egui_commonmark.
pub fn markdown_preview(markdown: &str) -> String {
    let mut edits: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    );
    let mut in_picture = None;
    for (event, range) in parser.into_offset_iter() {
        match event {
            Event::Start(Tag::Image { .. }) => {
                in_picture = Some((range, String::new()));
            }
            Event::Text(text) if in_picture.is_some() => {
                if let Some((_, alt)) = &mut in_picture {
                    alt.push_str(&text);
                }
            }
            Event::End(pulldown_cmark::TagEnd::Image) => {
                if let Some((range, alt)) = in_picture.take() {
                    edits.push((range, format!("\\[picture: {}\\]", alt.trim())));
                }
            }
            Event::SoftBreak if in_picture.is_none() => {
                edits.push((range.start..range.start, "\\".to_string()));
            }
            _ => {}
        }
    }
    let mut out = markdown.to_string();
    for (range, replacement) in edits.into_iter().rev() {
        out.replace_range(range, &replacement);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_stay_and_pictures_are_named() {
        let shown = markdown_preview("See you,\nZoë\n\n![our logo](cid:logo.png) **hi**");
        assert_eq!(shown, "See you,\\\nZoë\n\n\\[picture: our logo\\] **hi**");
        assert_eq!(
            markdown_preview("![web](https://example.org/a.png)"),
            "\\[picture: web\\]"
        );
    }

    #[test]
    fn a_big_html_body_is_previewed_in_part_and_says_so() {
        let body = format!("<p>Start é</p>{}", "<div>more</div>".repeat(100_000));
        let mut preview = Preview::default();
        let shown = preview.source(1, &body, BodyFormat::Html);
        assert!(shown.starts_with("Start é"), "{}", &shown[..20]);
        assert!(
            shown.ends_with("the message is sent whole.]"),
            "{}",
            &shown[shown.len() - 100..]
        );
        assert!(shown.len() < PREVIEW_HTML_CAP, "{}", shown.len());
        // A body under the cap is rendered whole, with no note.
        assert!(!html_preview("<p>hi</p>").contains("preview shows"));
    }

    #[test]
    fn the_source_is_remade_only_when_the_body_changed() {
        let mut preview = Preview::default();
        assert_eq!(preview.source(1, "a\nb", BodyFormat::Markdown), "a\\\nb");
        assert_eq!(
            preview.source(1, "ignored: same revision", BodyFormat::Markdown),
            "a\\\nb"
        );
        assert!(
            preview
                .source(2, "<p>Hello <b>you</b></p>", BodyFormat::Html)
                .contains("Hello")
        );
    }
}
