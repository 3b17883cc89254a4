//! When to send: the words people type for a time, in their own time zone.
//!
//! `--at` takes `now`; RFC 3339 (`2026-11-24T08:00:00+01:00`); `YYYY-MM-DD HH:MM` in
//! local time; `today`, `tomorrow` or a weekday name (`monday`, `mon`, optionally after
//! `next`) with an optional `HH:MM` (08:00 when left out); or `HH:MM` alone for today.
//! A weekday means its next occurrence that is still ahead. `--in` takes amounts like
//! `90m`, `2h`, `1h30m`, `3d`, `1w`. A time in the past is an error, except `now`.
//! Time zones and DST come from jiff: `2026-03-29 02:30` in Europe/Berlin does not exist
//! and is moved forward, as a wall clock would.

use jiff::civil::{Date, Time, Weekday};
use jiff::{Span, Timestamp, Zoned};

#[derive(Debug, thiserror::Error)]
pub enum WhenError {
    #[error(
        "\"{text}\" is not a time Mailroom understands: try \"tomorrow 08:00\", \"2026-12-01 09:30\", \"monday 08:00\" or \"now\""
    )]
    Unreadable { text: String },
    #[error("\"{text}\" is not a duration: try 90m, 2h, 1h30m or 3d")]
    BadDuration { text: String },
    #[error("\"{text}\" is in the past ({when}); give a future time, or --at now")]
    Past { text: String, when: String },
}

/// Parses `--at TEXT` relative to `now` (whose time zone is the person's).
pub fn parse_at(text: &str, now: &Zoned) -> Result<Timestamp, WhenError> {
    let trimmed = text.trim();
    if trimmed.eq_ignore_ascii_case("now") {
        return Ok(now.timestamp());
    }
    let unreadable = || WhenError::Unreadable {
        text: text.to_string(),
    };
    let when = if let Ok(ts) = trimmed.parse::<Timestamp>() {
        ts
    } else if let Some(zoned) = local_datetime(trimmed, now) {
        zoned.timestamp()
    } else {
        relative_day(trimmed, now).ok_or_else(unreadable)?
    };
    if when < now.timestamp() {
        let shown = when
            .to_zoned(now.time_zone().clone())
            .strftime("%Y-%m-%d %H:%M %Z")
            .to_string();
        return Err(WhenError::Past {
            text: text.to_string(),
            when: shown,
        });
    }
    Ok(when)
}

/// Parses `--in TEXT` (e.g. `1h30m`) and adds it to `now`.
pub fn parse_in(text: &str, now: Timestamp) -> Result<Timestamp, WhenError> {
    let bad = || WhenError::BadDuration {
        text: text.to_string(),
    };
    let mut seconds: i64 = 0;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: i64 = number.parse().map_err(|_| bad())?;
        seconds = n
            .checked_mul(unit)
            .and_then(|s| seconds.checked_add(s))
            .ok_or_else(bad)?;
        number.clear();
    }
    if !number.is_empty() || seconds <= 0 {
        return Err(bad());
    }
    now.checked_add(Span::new().seconds(seconds))
        .map_err(|_| bad())
}

fn local_datetime(text: &str, now: &Zoned) -> Option<Zoned> {
    let normalized = text.replacen(' ', "T", 1);
    let datetime: jiff::civil::DateTime = normalized.parse().ok()?;
    datetime.to_zoned(now.time_zone().clone()).ok()
}

fn relative_day(text: &str, now: &Zoned) -> Option<Timestamp> {
    let lower = text.to_ascii_lowercase();
    let mut words: Vec<&str> = lower.split_whitespace().collect();
    if words.first() == Some(&"next") {
        words.remove(0);
    }
    let (day_word, time_word) = match words.as_slice() {
        [one] if one.contains(':') => ("today", Some(*one)),
        [day] => (*day, None),
        [day, time] => (*day, Some(*time)),
        _ => return None,
    };
    let time = match time_word {
        Some(t) => parse_time(t)?,
        None => Time::constant(8, 0, 0, 0),
    };
    let today = now.date();
    let date = match day_word {
        "today" => today,
        "tomorrow" => today.tomorrow().ok()?,
        other => next_weekday(today, weekday(other)?, time, now)?,
    };
    date.to_datetime(time)
        .to_zoned(now.time_zone().clone())
        .ok()
        .map(|z| z.timestamp())
}

/// The next `day` whose `time` is still ahead of `now` (today counts when it is).
fn next_weekday(today: Date, day: Weekday, time: Time, now: &Zoned) -> Option<Date> {
    let ahead_today = today.weekday() == day && today.to_datetime(time) > now.datetime();
    if ahead_today {
        Some(today)
    } else {
        today.nth_weekday(1, day).ok()
    }
}

fn parse_time(text: &str) -> Option<Time> {
    let (h, m) = text.split_once(':')?;
    Time::new(h.parse().ok()?, m.parse().ok()?, 0, 0).ok()
}

fn weekday(word: &str) -> Option<Weekday> {
    let days = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    days.iter()
        .find(|(name, _)| word.len() >= 3 && name.starts_with(word))
        .map(|(_, day)| *day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tuesday 2026-11-24 13:00 in Paris.
    fn now() -> Zoned {
        "2026-11-24T13:00:00+01:00[Europe/Paris]".parse().unwrap()
    }

    fn at(text: &str) -> String {
        let ts = parse_at(text, &now()).unwrap();
        ts.to_zoned(now().time_zone().clone())
            .strftime("%a %Y-%m-%d %H:%M")
            .to_string()
    }

    #[test]
    fn understands_the_usual_words() {
        assert_eq!(at("tomorrow 08:00"), "Wed 2026-11-25 08:00");
        assert_eq!(at("tomorrow"), "Wed 2026-11-25 08:00");
        assert_eq!(at("2026-12-01 09:30"), "Tue 2026-12-01 09:30");
        assert_eq!(at("2026-12-01T09:30:00Z"), "Tue 2026-12-01 10:30");
        assert_eq!(at("monday 8:00"), "Mon 2026-11-30 08:00");
        assert_eq!(at("next Fri"), "Fri 2026-11-27 08:00");
        assert_eq!(
            at("tuesday 17:00"),
            "Tue 2026-11-24 17:00",
            "later today counts"
        );
        assert_eq!(
            at("tuesday 09:00"),
            "Tue 2026-12-01 09:00",
            "earlier today does not"
        );
        assert_eq!(at("18:15"), "Tue 2026-11-24 18:15");
        assert_eq!(parse_at("now", &now()).unwrap(), now().timestamp());
    }

    #[test]
    fn the_past_and_nonsense_are_named() {
        let err = parse_at("2020-01-01 08:00", &now())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"2020-01-01 08:00\" is in the past (2020-01-01 08:00 CET)"),
            "{err}"
        );
        let err = parse_at("someday", &now()).unwrap_err().to_string();
        assert!(err.starts_with("\"someday\" is not a time"), "{err}");
        assert!(parse_at("09:00", &now()).is_err(), "09:00 today has passed");
    }

    #[test]
    fn durations_add_up() {
        let start = now().timestamp();
        assert_eq!(
            parse_in("1h30m", start).unwrap().as_second() - start.as_second(),
            5400
        );
        assert_eq!(
            parse_in("3d", start).unwrap().as_second() - start.as_second(),
            259_200
        );
        for bad in ["", "10", "2x", "0m", "h"] {
            assert!(parse_in(bad, start).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_time_skipped_by_dst_moves_forward() {
        let before_dst: Zoned = "2026-03-28T12:00:00+01:00[Europe/Berlin]".parse().unwrap();
        let ts = parse_at("2026-03-29 02:30", &before_dst).unwrap();
        let shown = ts
            .to_zoned(before_dst.time_zone().clone())
            .strftime("%H:%M %Z")
            .to_string();
        assert_eq!(shown, "03:30 CEST");
    }
}
