//! Small building blocks shared by the views.

use eframe::egui::{self, Color32, Response, RichText, Ui};

/// A single-line text field named by the label before it (screen readers read the
/// label; tests find the field by it).
pub fn labelled_field(ui: &mut Ui, label: &str, text: &mut String, hint: &str) -> Response {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id)
}

/// A button showing `text` whose accessible name (what a screen reader says, and how
/// the tests find it) is the fuller `name`: "B" is "Bold", "Edit" in a list of messages
/// is "Edit “Quarterly plan”".
pub fn named_button(ui: &mut Ui, text: &str, name: &str) -> Response {
    let button = ui.button(text);
    button.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, ui.is_enabled(), name));
    button
}

/// A red line under a field saying what is wrong with it.
pub fn field_error(ui: &mut Ui, message: &str) {
    ui.label(RichText::new(message).color(error_color(ui)));
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
