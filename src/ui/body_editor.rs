//! The message body's editor, made to stay quick with a long message.
//!
//! egui's `TextEdit` copies, lays out and — when a screen reader listens — describes row
//! by row all of its text, on every frame it changes: with a 1 MB body that is 6 ms a
//! keystroke without AccessKit and 68 ms with it. So this editor hands `TextEdit` only a
//! *window* of the body: the paragraphs within [`REACH`] bytes of the cursor and the
//! selection (the whole body, when it is at most [`WHOLE`] bytes). The text above and
//! below the window is drawn from layouts made when the window moved, in chunks of
//! paragraphs so that only those on screen are painted, in the editor's own font and
//! wrapping: the body reads as one text. The window follows the cursor once it comes
//! within [`EDGE`] bytes of the window's end; a click into the text outside it moves
//! the window there.
//!
//! Choices, for bodies longer than [`WHOLE`]:
//! - a selection may be as long as you like: the window grows to hold it. Ctrl+A
//!   selects the whole body, Ctrl+Home and Ctrl+End (with Shift: selecting) go to its
//!   ends, not the window's.
//! - undo reaches back to the window's last move.
//! - a drag selects within the window (it grows as the drag nears its edge); a click
//!   outside the window puts the cursor there.
//! - a screen reader finds the window as the editable text, and the text before and
//!   after it as text next to it.
//! - the window's edges are line breaks, so a body without any is edited whole.

use std::ops::Range;

use eframe::egui::text::{CCursor, CCursorRange, CharIndex, LayoutJob};
use eframe::egui::text_edit::TextEditState;
use eframe::egui::{
    self, Context, CursorIcon, FontId, Frame, Id, Key, Modifiers, Rect, Response, Role, Sense,
    TextBuffer, TextStyle, Ui, Vec2, WidgetInfo,
};

/// A body up to this long is edited whole.
const WHOLE: usize = 64 * 1024;
/// How much of the body the window holds on each side of the cursor and the selection.
const REACH: usize = 16 * 1024;
/// The window moves when the cursor comes this close to one of its inner edges.
const EDGE: usize = 4 * 1024;
/// The text outside the window is laid out and painted in pieces of about this size.
const CHUNK: usize = 8 * 1024;

/// The editor's state between frames; one per compose view.
#[derive(Default)]
pub struct BodyEditor {
    /// The window is `body[start..end]`: `start` begins a line, `end` ends one (it is the
    /// body's length or the index of a `\n`).
    start: usize,
    end: usize,
    /// The characters before `start`: a window cursor plus this is a body cursor.
    start_char: usize,
    /// The body's length after the editor's last frame. A different length means the
    /// body was changed from outside (a loaded draft, an inserted picture).
    seen_len: Option<usize>,
    /// A cursor (in the body's characters) to take on the next frame.
    pending: Option<CCursorRange>,
    scroll_to_cursor: bool,
    /// Take the keyboard focus once shown (after a toolbar button took it).
    focus_after_show: bool,
    /// Counts the window's moves: the layouts outside it belong to one window.
    generation: u64,
    above: Outside,
    below: Outside,
}

impl BodyEditor {
    /// The cursor and selection, in the characters of the whole body.
    pub fn cursor(&self, ctx: &Context, id: Id) -> Option<CCursorRange> {
        if self.pending.is_some() {
            return self.pending;
        }
        let range = TextEditState::load(ctx, id)?.cursor.char_range()?;
        Some(shift(range, self.start_char as isize))
    }

    /// Puts the cursor (in the body's characters) there from the next frame on, moving
    /// the window to it. For code that changed the body and knows where the cursor goes.
    pub fn set_cursor(&mut self, range: CCursorRange) {
        self.pending = Some(range);
        self.scroll_to_cursor = true;
    }

    /// Gives the editor the keyboard focus this frame, after it is shown: a button
    /// clicked in this frame (the toolbar) would otherwise keep it, and typing go nowhere.
    pub fn take_focus(&mut self) {
        self.focus_after_show = true;
    }

    /// Says the body was rewritten from outside (the formatting dropped, say): the
    /// window is placed afresh on the next frame, the cursor kept where it can be.
    pub fn body_replaced(&mut self) {
        self.seen_len = None;
    }

    /// The editor: a text field of `size` that scrolls.
    pub fn show(
        &mut self,
        ui: &mut Ui,
        id: Id,
        body: &mut String,
        hint: &str,
        size: Vec2,
    ) -> Response {
        let visuals = ui.visuals();
        let stroke = if ui.memory(|m| m.has_focus(id)) {
            visuals.selection.stroke
        } else {
            visuals.widgets.inactive.bg_stroke
        };
        let frame = Frame::new()
            .fill(visuals.text_edit_bg_color())
            .stroke(stroke)
            .corner_radius(visuals.widgets.inactive.corner_radius)
            .inner_margin(4.0);
        let inner = size - frame.total_margin().sum();
        frame
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("body-scroll")
                    .max_height(inner.y)
                    .max_width(inner.x)
                    // Not egui's default floor of 64: a short window's body is smaller.
                    .min_scrolled_height(inner.y)
                    .auto_shrink([false, false])
                    .show(ui, |ui| {
                        ui.vertical(|ui| self.show_parts(ui, id, body, hint, inner.y))
                            .inner
                    })
                    .inner
            })
            .inner
    }

    /// The text above the window, the window, the text below it: one under the other.
    fn show_parts(
        &mut self,
        ui: &mut Ui,
        id: Id,
        body: &mut String,
        hint: &str,
        min_height: f32,
    ) -> Response {
        if ui.memory(|m| m.has_focus(id)) && !self.is_whole(body) {
            self.whole_body_keys(ui, id, body);
        }
        self.follow_cursor(ui.ctx(), id, body);

        let width = ui.available_width();
        let look = Look {
            font: TextStyle::Body.resolve(ui.style()),
            color: ui.visuals().widgets.inactive.text_color(),
            width,
            generation: self.generation,
            pixels_per_point: ui.ctx().pixels_per_point(),
        };
        ui.spacing_mut().item_spacing.y = 0.0;
        let top = ui.cursor().top();
        // Taken up after the editor is shown: egui lets a click take focus away from
        // widgets shown after it in the same frame.
        let mut clicked_above = None;
        if self.start > 0 {
            clicked_above = self.above.show(ui, body, 0..self.start - 1, &look);
        }
        let has_below = self.end < body.len();
        let mut window = Window {
            body,
            start: self.start,
            end: &mut self.end,
        };
        let rest = (min_height - (ui.cursor().top() - top)).max(0.0);
        let editor = egui::TextEdit::multiline(&mut window)
            .id(id)
            .frame(Frame::NONE)
            .font(look.font.clone())
            .text_color(look.color)
            .desired_width(width)
            .desired_rows(1)
            .min_size(egui::vec2(width, if has_below { 0.0 } else { rest }))
            .hint_text(hint);
        let output = editor.show(ui);
        self.seen_len = Some(body.len());
        if std::mem::take(&mut self.focus_after_show) {
            ui.memory_mut(|m| m.request_focus(id));
            ui.ctx().request_repaint();
        }
        if let Some(at) = clicked_above {
            self.move_to(ui, id, at);
        }
        if std::mem::take(&mut self.scroll_to_cursor)
            && let Some(range) = output.cursor_range
        {
            let rect = output.galley.pos_from_cursor(range.primary);
            ui.scroll_to_rect(rect.translate(output.galley_pos.to_vec2()), None);
        }
        if has_below {
            let below = self.end + 1..body.len();
            if let Some(at) = self.below.show(ui, body, below.clone(), &look) {
                let before = self.start_char + body[self.start..below.start].chars().count();
                self.move_to(ui, id, before + at);
            }
        }
        output.response.response
    }

    fn is_whole(&self, body: &str) -> bool {
        self.start == 0 && self.end == body.len()
    }

    /// A click outside the window: the cursor goes there, and the editor takes focus.
    fn move_to(&mut self, ui: &Ui, id: Id, char_index: usize) {
        self.pending = Some(CCursorRange::one(CCursor::new(char_index)));
        ui.memory_mut(|m| m.request_focus(id));
        ui.ctx().request_repaint();
    }

    /// Select all and go to either end act on the whole body, not the window.
    fn whole_body_keys(&mut self, ui: &mut Ui, id: Id, body: &str) {
        let Some(current) = self.cursor(ui.ctx(), id) else {
            return;
        };
        let all = || body.chars().count();
        let select = Modifiers::COMMAND | Modifiers::SHIFT;
        let pressed = |ui: &mut Ui, modifiers, key| ui.input_mut(|i| i.consume_key(modifiers, key));
        let target = if pressed(ui, Modifiers::COMMAND, Key::A) {
            Some(CCursorRange::two(CCursor::new(0), CCursor::new(all())))
        } else if pressed(ui, select, Key::Home) {
            Some(CCursorRange::two(current.secondary, CCursor::new(0)))
        } else if pressed(ui, select, Key::End) {
            Some(CCursorRange::two(current.secondary, CCursor::new(all())))
        } else if pressed(ui, Modifiers::COMMAND, Key::Home) {
            Some(CCursorRange::one(CCursor::new(0)))
        } else if pressed(ui, Modifiers::COMMAND, Key::End) {
            Some(CCursorRange::one(CCursor::new(all())))
        } else {
            None
        };
        if let Some(target) = target {
            self.set_cursor(target);
        }
    }

    /// Moves the window when the cursor nears its edge, when it is far bigger than the
    /// cursor and selection need, when a cursor was set, or when the body changed from
    /// outside; and hands `TextEdit` the cursor in the new window's characters.
    fn follow_cursor(&mut self, ctx: &Context, id: Id, body: &str) {
        let mut text_state = TextEditState::load(ctx, id).unwrap_or_default();
        let in_step = self.seen_len == Some(body.len()) && self.fits(body);
        if in_step && self.pending.is_none() {
            let window = &body[self.start..self.end];
            let Some(range) = text_state.cursor.char_range() else {
                return;
            };
            let bytes = |c: CCursor| self.start + byte_of(window, c.index.0);
            let (lo, hi) = min_max(bytes(range.primary), bytes(range.secondary));
            if !self.needs_move(body, lo, hi) {
                return;
            }
        }
        let target = self.pending.take().or_else(|| {
            let range = text_state.cursor.char_range()?;
            let chars = body.chars().count();
            let clamp = |c: CCursor| CCursor::new((c.index.0 + self.start_char).min(chars));
            Some(CCursorRange::two(
                clamp(range.secondary),
                clamp(range.primary),
            ))
        });
        let (lo, hi) = target.map_or((0, 0), |range| {
            min_max(
                byte_of(body, range.primary.index.0),
                byte_of(body, range.secondary.index.0),
            )
        });
        let (start, end) = if body.len() <= WHOLE {
            (0, body.len())
        } else {
            window_around(body, lo, hi)
        };
        let was_whole = self.start == 0 && Some(self.end) == self.seen_len;
        let is_whole = (start, end) == (0, body.len());
        if (start, end) != (self.start, self.end) && !(was_whole && is_whole) {
            // Its snapshots are of the old window's text: undoing one would put that
            // text in place of the new window's.
            text_state.clear_undoer();
        }
        // The text outside may have changed too: it is laid out again.
        self.generation += 1;
        self.start = start;
        self.end = end;
        self.start_char = body[..start].chars().count();
        self.seen_len = Some(body.len());
        if let Some(range) = target {
            let window = shift(range, -(self.start_char as isize));
            text_state.cursor.set_char_range(Some(window));
        }
        text_state.store(ctx, id);
    }

    /// Whether the window's edges are still line edges of `body`.
    fn fits(&self, body: &str) -> bool {
        let bytes = body.as_bytes();
        self.start <= self.end
            && self.end <= bytes.len()
            && (self.start == 0 || bytes[self.start - 1] == b'\n')
            && (self.end == bytes.len() || bytes[self.end] == b'\n')
    }

    fn needs_move(&self, body: &str, lo: usize, hi: usize) -> bool {
        if body.len() <= WHOLE {
            return !self.is_whole(body);
        }
        let near_top = self.start > 0 && lo < self.start + EDGE;
        let near_bottom = self.end < body.len() && hi + EDGE > self.end;
        let (start, end) = window_around(body, lo, hi);
        let oversized = self.end - self.start > 2 * (end - start);
        near_top || near_bottom || oversized
    }
}

/// The window for a cursor and selection spanning bytes `lo..hi`: whole lines, at least
/// [`REACH`] bytes more on each side.
fn window_around(body: &str, lo: usize, hi: usize) -> (usize, usize) {
    let bytes = body.as_bytes();
    let from = lo.saturating_sub(REACH);
    let to = (hi + REACH).min(bytes.len());
    let start = bytes[..from]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let end = bytes[to..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| to + i);
    (start, end)
}

fn min_max(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

/// The byte where character `char_index` of `text` starts (its length past the end).
fn byte_of(text: &str, char_index: usize) -> usize {
    text.char_indices()
        .nth(char_index)
        .map_or(text.len(), |(byte, _)| byte)
}

fn shift(range: CCursorRange, by: isize) -> CCursorRange {
    let moved = |c: CCursor| CCursor {
        index: CharIndex(c.index.0.saturating_add_signed(by)),
        prefer_next_row: c.prefer_next_row,
    };
    CCursorRange {
        primary: moved(range.primary),
        secondary: moved(range.secondary),
        h_pos: range.h_pos,
    }
}

/// The window as `TextEdit`'s text: edits land in the body, and the window's end moves
/// with them.
struct Window<'a> {
    body: &'a mut String,
    start: usize,
    end: &'a mut usize,
}

impl TextBuffer for Window<'_> {
    fn is_mutable(&self) -> bool {
        true
    }

    fn as_str(&self) -> &str {
        &self.body[self.start..*self.end]
    }

    fn insert_text(&mut self, text: &str, char_index: CharIndex) -> usize {
        let at = self.start + byte_of(self.as_str(), char_index.0);
        self.body.insert_str(at, text);
        *self.end += text.len();
        text.chars().count()
    }

    fn delete_char_range(&mut self, char_range: Range<CharIndex>) {
        let window = self.as_str();
        let from = byte_of(window, char_range.start.0);
        let to = byte_of(window, char_range.end.0);
        self.body
            .replace_range(self.start + from..self.start + to, "");
        *self.end -= to - from;
    }

    fn type_id(&self) -> std::any::TypeId {
        std::any::TypeId::of::<Window<'static>>()
    }
}

/// How the body's text is drawn; the layouts outside the window are remade when any of
/// it changes.
struct Look {
    font: FontId,
    color: egui::Color32,
    width: f32,
    generation: u64,
    pixels_per_point: f32,
}

impl Look {
    fn key(&self) -> (u64, u32, u32, u32) {
        (
            self.generation,
            self.width.to_bits(),
            self.font.size.to_bits(),
            self.pixels_per_point.to_bits(),
        )
    }

    fn job(&self, text: &str) -> LayoutJob {
        LayoutJob::simple(text.to_owned(), self.font.clone(), self.color, self.width)
    }
}

/// The text above or below the window: laid out once a window, painted where visible.
#[derive(Default)]
struct Outside {
    key: Option<(u64, u32, u32, u32)>,
    chunks: Vec<Chunk>,
}

/// A run of whole lines of the text outside the window (the `\n` after it left out: the
/// next chunk, or the window, starts a line).
struct Chunk {
    /// Where it is in the outside text.
    bytes: Range<usize>,
    /// The characters of the outside text before it.
    chars_before: usize,
    height: f32,
}

impl Outside {
    /// Draws `body[part]`; the character (of `part`) a click landed on.
    fn show(&mut self, ui: &mut Ui, body: &str, part: Range<usize>, look: &Look) -> Option<usize> {
        let text = &body[part];
        if self.key != Some(look.key()) {
            self.lay_out(ui, text, look);
        }
        let height = self.chunks.iter().map(|c| c.height).sum();
        let (rect, response) =
            ui.allocate_exact_size(egui::vec2(look.width, height), Sense::click());
        let response = response.on_hover_cursor(CursorIcon::Text);
        response.widget_info(|| WidgetInfo::labeled(Role::Label, true, text));
        let clip = ui.clip_rect();
        let clicked = response
            .clicked()
            .then(|| response.interact_pointer_pos())
            .flatten();
        let mut top = rect.top();
        let mut landed = None;
        for chunk in &self.chunks {
            let area = Rect::from_min_size(
                egui::pos2(rect.left(), top),
                egui::vec2(look.width, chunk.height),
            );
            top += chunk.height;
            let hit = clicked.filter(|pos| area.y_range().contains(pos.y));
            if !area.intersects(clip) && hit.is_none() {
                continue;
            }
            // Cut from the text as it was laid out; one changed since (the same length,
            // from outside) is drawn from the next move on.
            let Some(piece) = text.get(chunk.bytes.clone()) else {
                continue;
            };
            let galley = ui.painter().layout_job(look.job(piece));
            if let Some(pos) = hit {
                landed = Some(chunk.chars_before + galley.cursor_from_pos(pos - area.min).index.0);
            }
            ui.painter().galley(area.min, galley, look.color);
        }
        landed
    }

    /// Cuts `text` into chunks of whole lines and measures each.
    fn lay_out(&mut self, ui: &Ui, text: &str, look: &Look) {
        self.key = Some(look.key());
        self.chunks.clear();
        let bytes = text.as_bytes();
        let mut chars_before = 0;
        let mut from = 0;
        loop {
            let reach = (from + CHUNK).min(bytes.len());
            let to = bytes[reach..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| reach + i);
            let chunk = &text[from..to];
            let galley = ui.painter().layout_job(look.job(chunk));
            self.chunks.push(Chunk {
                bytes: from..to,
                chars_before,
                height: galley.size().y,
            });
            if to >= bytes.len() {
                return;
            }
            chars_before += chunk.chars().count() + 1;
            from = to + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(count: usize) -> String {
        (0..count)
            .map(|n| format!("Line {n:05} of the body, long enough.\n"))
            .collect()
    }

    #[test]
    fn a_window_is_whole_lines_reaching_past_the_cursor_on_both_sides() {
        let body = lines(10_000);
        let middle = body.len() / 2;
        let (start, end) = window_around(&body, middle, middle);
        assert!(start > 0 && end < body.len());
        assert_eq!(body.as_bytes()[start - 1], b'\n');
        assert_eq!(body.as_bytes()[end], b'\n');
        assert!(middle - start >= REACH && end - middle >= REACH);
        assert!(end - start < 2 * REACH + 200, "not much more than it needs");
    }

    #[test]
    fn a_window_holds_the_whole_selection() {
        let body = lines(10_000);
        let (start, end) = window_around(&body, 1000, body.len() - 1000);
        assert_eq!((start, end), (0, body.len()));
    }

    #[test]
    fn edits_through_the_window_land_in_the_body_and_move_its_end() {
        let mut body = String::from("head\nwindow é text\ntail");
        let mut end = body.find("\ntail").unwrap();
        let mut window = Window {
            body: &mut body,
            start: 5,
            end: &mut end,
        };
        assert_eq!(window.as_str(), "window é text");
        window.insert_text("ü", CharIndex(8));
        window.delete_char_range(CharIndex(0)..CharIndex(7));
        assert_eq!(window.as_str(), "éü text");
        assert_eq!(body, "head\néü text\ntail");
        assert_eq!(end, 5 + "éü text".len());
    }

    #[test]
    fn cursors_shift_between_the_window_and_the_body() {
        let range = CCursorRange::two(CCursor::new(3), CCursor::new(10));
        let back = shift(shift(range, 100), -100);
        assert_eq!(back, range);
        assert_eq!(shift(range, 100).primary.index.0, 110);
    }
}
