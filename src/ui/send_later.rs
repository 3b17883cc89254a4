//! "Send later…": presets (in 1 hour, tomorrow 08:00, next Monday 08:00) or a date and
//! time picked in local time, the zone shown. Says whether the OS scheduler is installed,
//! so the person knows it goes out with the window closed, and offers to install it.

use eframe::egui::{self, Key, RichText, Ui};
use jiff::civil::{Date, Time, Weekday};
use jiff::{Timestamp, Zoned};

use super::widgets::field_label;
use crate::message::Draft;
use crate::worker::Command;

#[derive(Debug, Default)]
pub struct SendLater {
    open: bool,
    date: Option<Date>,
    hour: u8,
    minute: u8,
    /// From `outbox status`: is the OS scheduler installed?
    pub scheduler_installed: Option<bool>,
    pub problem: Option<String>,
}

impl SendLater {
    pub fn open(&mut self) {
        let now = crate::clock::now().to_zoned(jiff::tz::TimeZone::system());
        self.open = true;
        self.problem = None;
        self.date = now.date().tomorrow().ok();
        (self.hour, self.minute) = (8, 0);
    }

    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Shows the dialog when open; returns the command it decided on.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        draft_id: &str,
        profile: Option<String>,
        draft: &Draft,
    ) -> Option<Command> {
        if !self.open {
            return None;
        }
        let now = crate::clock::now().to_zoned(jiff::tz::TimeZone::system());
        let mut chosen: Option<Timestamp> = None;
        let mut command = None;
        let modal = egui::Modal::new(egui::Id::unique("send-later")).show(ui.ctx(), |ui| {
            super::widgets::heading(ui, "Send later");
            ui.horizontal_wrapped(|ui| {
                for (name, at) in presets(&now) {
                    if ui.button(name).clicked() {
                        chosen = Some(at);
                    }
                }
            });
            ui.separator();
            ui.horizontal(|ui| {
                ui.label("On");
                day_ui(ui, self.date.get_or_insert(now.date()), now.date());
                let label = field_label(ui, "at");
                ui.add(egui::DragValue::new(&mut self.hour).range(0..=23).custom_formatter(|v, _| format!("{v:02}"))).labelled_by(label.id);
                ui.label(":");
                ui.add(egui::DragValue::new(&mut self.minute).range(0..=59).custom_formatter(|v, _| format!("{v:02}")));
                ui.label(RichText::new(now.time_zone().iana_name().unwrap_or("local time")).weak());
                if ui.button("Schedule").clicked() {
                    match self.custom(&now) {
                        Ok(at) => chosen = Some(at),
                        Err(problem) => self.problem = Some(problem),
                    }
                }
            });
            if let Some(problem) = &self.problem {
                super::widgets::field_error(ui, problem);
            }
            ui.separator();
            match self.scheduler_installed {
                Some(true) => {
                    ui.label("The OS scheduler is installed: it goes out even with Mailroom closed.");
                }
                _ => {
                    ui.label("The OS scheduler is not installed: it goes out only while Mailroom is open.");
                    if ui.button("Install the scheduler").clicked() {
                        command = Some(Command::InstallScheduler);
                    }
                }
            }
            if ui.button("Cancel").clicked() {
                self.open = false;
            }
        });
        if modal.should_close() || ui.input(|i| i.key_pressed(Key::Escape)) {
            self.open = false;
        }
        if let Some(at) = chosen {
            self.open = false;
            return Some(Command::Send {
                id: draft_id.to_string(),
                profile,
                draft: draft.clone(),
                at: Some(at),
            });
        }
        command
    }

    fn custom(&self, now: &Zoned) -> Result<Timestamp, String> {
        let date = self.date.unwrap_or(now.date());
        let time =
            Time::new(self.hour as i8, self.minute as i8, 0, 0).map_err(|e| e.to_string())?;
        let at = date
            .to_datetime(time)
            .to_zoned(now.time_zone().clone())
            .map_err(|e| e.to_string())?;
        if at.timestamp() <= now.timestamp() {
            return Err(format!("{} is in the past", at.strftime("%a %-d %b %H:%M")));
        }
        Ok(at.timestamp())
    }
}

/// The day to send on: the previous and next day and a week later, by named buttons
/// (a screen reader says "Previous day", not "<"), never a day that has passed.
fn day_ui(ui: &mut Ui, date: &mut Date, today: Date) {
    use super::widgets::named_button;
    if *date < today {
        *date = today;
    }
    let earlier = ui.add_enabled_ui(*date > today, |ui| {
        named_button(ui, "-1 day", "Previous day")
    });
    if earlier.inner.clicked()
        && let Ok(day) = date.yesterday()
    {
        *date = day;
    }
    ui.label(RichText::new(date.strftime("%a %-d %b %Y").to_string()).strong());
    if named_button(ui, "+1 day", "Next day").clicked()
        && let Ok(day) = date.tomorrow()
    {
        *date = day;
    }
    if named_button(ui, "+1 week", "A week later").clicked()
        && let Ok(day) = date.checked_add(jiff::Span::new().days(7))
    {
        *date = day;
    }
}

/// The presets, each with its time in the person's zone.
pub fn presets(now: &Zoned) -> Vec<(String, Timestamp)> {
    let at_eight = |date: Date| {
        date.to_datetime(Time::constant(8, 0, 0, 0))
            .to_zoned(now.time_zone().clone())
            .ok()
    };
    let mut list = vec![(
        "In 1 hour".to_string(),
        now.timestamp() + jiff::SignedDuration::from_hours(1),
    )];
    if let Some(t) = now.date().tomorrow().ok().and_then(at_eight) {
        list.push(("Tomorrow 08:00".to_string(), t.timestamp()));
    }
    if let Some(t) = now
        .date()
        .nth_weekday(1, Weekday::Monday)
        .ok()
        .and_then(at_eight)
    {
        list.push((
            format!("Monday {} 08:00", t.strftime("%-d %b")),
            t.timestamp(),
        ));
    }
    list
}
