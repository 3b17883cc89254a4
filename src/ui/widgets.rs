//! Small building blocks shared by the views.

use eframe::egui::{self, Color32, Response, RichText, Ui, accesskit::Role};

/// A single-line text field named by the label before it (screen readers read the
/// label; tests find the field by it).
pub fn labelled_field(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> Response {
    let name = label;
    let label = field_label(ui, label);
    let field = ui
        .add(
            egui::TextEdit::singleline(text)
                .hint_text(hint)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
    super::focus::focus_if_asked(&field, name);
    field
}

/// The words before a field, which name it. Not selectable: a selectable label senses
/// clicks, and screen readers offered "click" on every field's name.
pub fn field_label(ui: &mut Ui, text: &str) -> Response {
    ui.add(egui::Label::new(text).selectable(false))
}

/// A button showing `text` whose accessible name (what a screen reader says, and how
/// the tests find it) is the fuller `name`: "B" is "Bold", "Edit" in a list of messages
/// is "Edit “Quarterly plan”".
pub fn named_button(ui: &mut Ui, text: &str, name: &str) -> Response {
    let button = ui.button(text);
    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, ui.is_enabled(), name));
    button
}

/// A part of a view whose controls keep their ids when what is above it changes. egui
/// numbers controls by position, so when Cc and Bcc appear, every later control took
/// the id of another, and a screen reader that caches nodes by id read a label as a
/// button; a section starts its own numbering from its `name`, under its parent's id
/// (two views may have a part of the same name).
pub fn section<R>(ui: &mut Ui, name: &str, add: impl FnOnce(&mut Ui) -> R) -> R {
    let id = ui.scope_id().with(("section", name));
    ui.scope_builder(egui::UiBuilder::new().scope_id(id), add)
        .inner
}

/// A view's or section's title, exposed as a heading (screen readers jump between
/// headings), not as one more label.
pub fn heading(ui: &mut Ui, text: &str) -> Response {
    let response = ui.heading(text);
    ui.ctx().accesskit_node_builder(response.id, |node| {
        node.set_role(Role::Heading);
        node.set_label(text);
        node.set_level(1);
    });
    response
}

/// One of the window's tabs: exposed as a tab, selected or not (egui's selectable
/// label is a toggle button, "pressed").
pub fn tab<V: PartialEq>(
    ui: &mut Ui,
    current: &mut V,
    value: V,
    text: impl Into<egui::WidgetText>,
) {
    let selected = *current == value;
    let response = ui.selectable_label(selected, text);
    if response.clicked() {
        *current = value;
    }
    expose_selectable(&response, Role::Tab, selected);
}

/// One choice in an open combo box's list: a list item, selected or not (egui's
/// selectable label is a toggle button, "pressed"). Picking it sets `current` and marks
/// the response changed.
pub fn list_option<V: PartialEq>(
    ui: &mut Ui,
    current: &mut V,
    value: V,
    text: impl Into<egui::WidgetText>,
) -> Response {
    let selected = *current == value;
    let mut response = ui.selectable_label(selected, text);
    if response.clicked() && !selected {
        *current = value;
        response.mark_changed();
    }
    expose_selectable(&response, Role::ListBoxOption, selected);
    response
}

/// Names the list an open combo box shows (egui leaves it an unnamed list box): call
/// it first thing in `show_ui`.
pub fn name_list(ui: &Ui, name: &str) {
    let list = ui
        .stack()
        .iter()
        .find(|frame| matches!(frame.kind(), Some(egui::UiKind::Menu | egui::UiKind::Popup)))
        .map(|frame| frame.unique_id);
    if let Some(list) = list {
        ui.ctx()
            .accesskit_node_builder(list, |node| node.set_label(name));
    }
}

/// Exposes `response` as a `role` that can be selected (a tab, a list item, a table
/// row), selected or not, instead of a toggle button "pressed".
pub fn expose_selectable(response: &Response, role: Role, selected: bool) {
    response.ctx.accesskit_node_builder(response.id, |node| {
        node.set_role(role);
        node.clear_toggled();
        node.set_selected(selected);
    });
}

/// A red line under a field saying what is wrong with it, announced when it appears
/// (a live region); [`mark_invalid`] ties it to its field.
pub fn field_error(ui: &mut Ui, message: &str) -> Response {
    let label = ui.label(RichText::new(message).color(error_color(ui)));
    ui.ctx().accesskit_node_builder(label.id, |node| {
        node.set_live(egui::accesskit::Live::Polite);
    });
    label
}

/// A quiet line saying what just happened ("Saved \"work\"."), announced when it
/// appears or changes (a live region).
pub fn status_line(ui: &mut Ui, text: &str) -> Response {
    let label = ui.label(RichText::new(text).weak());
    ui.ctx().accesskit_node_builder(label.id, |node| {
        node.set_live(egui::accesskit::Live::Polite);
    });
    label
}

/// Tells screen readers that `field` holds something wrong, and what: its node is
/// invalid, described by the `errors` shown under it (each a [`field_error`] and its
/// words), and has their words as its description (what AT-SPI passes on).
pub fn mark_invalid(field: &Response, errors: &[(Response, &str)]) {
    if errors.is_empty() {
        return;
    }
    let words: Vec<&str> = errors.iter().map(|(_, words)| *words).collect();
    field.ctx.accesskit_node_builder(field.id, |node| {
        node.set_invalid(egui::accesskit::Invalid::True);
        for (error, _) in errors {
            node.push_described_by(error.id.accesskit_id());
        }
        node.set_description(words.join("; "));
    });
}

/// A combo box says what is chosen. egui gives it as the node's value, which the AT-SPI
/// bridge (accesskit_unix 0.24) does not pass on for a combo box, so a screen reader
/// said only "From, combo box": the choice is its description too.
pub fn expose_choice(combo: &Response, chosen: impl Into<String>) {
    let chosen = chosen.into();
    combo.ctx.accesskit_node_builder(combo.id, |node| {
        node.set_description(chosen);
    });
}

pub fn error_color(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(255, 120, 110)
    } else {
        Color32::from_rgb(190, 30, 30)
    }
}

/// A banner across the view (a missing keyring, an unencrypted profile).
pub fn banner(ui: &mut Ui, text: &str) {
    egui::Frame::new()
        .fill(ui.visuals().warn_fg_color.gamma_multiply(0.15))
        .inner_margin(8.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.label(RichText::new(text).color(ui.visuals().warn_fg_color));
        });
}

/// Bytes as people read them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A time in the person's zone: `14:02` today, else `Tue 24 Nov 14:02`.
pub fn local_time(ts: jiff::Timestamp) -> String {
    let zoned = ts.to_zoned(jiff::tz::TimeZone::system());
    let today = crate::clock::now()
        .to_zoned(jiff::tz::TimeZone::system())
        .date();
    if zoned.date() == today {
        zoned.strftime("%H:%M").to_string()
    } else {
        zoned.strftime("%a %-d %b %H:%M").to_string()
    }
}

/// `in 4 min 10 s`, `in 2 h 5 min`, `in 1 day 3 h`, `due now`.
pub fn countdown(until: jiff::Timestamp) -> String {
    countdown_from(until, crate::clock::now())
}

/// Whole seconds from `now` to `until`, rounded up: what every countdown in the window
/// shows (the toast's "Sending in 9 s" and the outbox row's "in 9 s" agree), and "0"
/// only once it is due.
pub fn seconds_left(until: jiff::Timestamp, now: jiff::Timestamp) -> i64 {
    let left = until.duration_since(now);
    let whole = left.as_secs();
    if left.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    }
}

fn countdown_from(until: jiff::Timestamp, now: jiff::Timestamp) -> String {
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match seconds_left(until, now) {
        s if s <= 0 => "due now".to_string(),
        s if s < 60 => format!("in {s} s"),
        s if s < 3600 => format!("in {} min {} s", s / 60, s % 60),
        s if s < 86_400 => format!("in {} h {} min", s / 3600, (s % 3600) / 60),
        s => format!(
            "in {} {} h",
            plural(s / 86_400, "day", "days"),
            (s % 86_400) / 3600
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_read_naturally_and_round_up() {
        let now: jiff::Timestamp = "2026-12-02T10:00:00Z".parse().unwrap();
        let later = |secs: f64| now + jiff::SignedDuration::from_secs_f64(secs);
        assert_eq!(countdown_from(later(8.4), now), "in 9 s");
        assert_eq!(seconds_left(later(8.4), now), 9);
        assert_eq!(
            countdown_from(later(86_400.0 + 7200.0), now),
            "in 1 day 2 h"
        );
        assert_eq!(countdown_from(later(3.0 * 86_400.0), now), "in 3 days 0 h");
        assert_eq!(countdown_from(now, now), "due now");
    }

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(human_size(512), "512 bytes");
        assert_eq!(human_size(25 * 1024 * 1024), "25.0 MB");
    }
}
