//! When to send: the words people type for a time, in their own time zone.
//!
//! `--at` takes `now`; RFC 3339 (`2026-11-24T08:00:00+01:00`); a date as `2026-12-24` or
//! `24.12.2026` in local time, with an optional time; `today`, `tomorrow` or a weekday name
//! (`monday`, `mon`, optionally after `next`) with an optional time; or a time alone for
//! today. A time is `08:00`, `8:00`, `8am` or `8:30pm`, optionally after `at`
//! (`tomorrow at 08:00`); **a day without a time means 08:00**, whichever way the day is
//! written. A weekday means its next occurrence that is still ahead; `in 2h` is read as
//! `--in 2h`. `--in` takes amounts like `90m`, `2h`, `1h30m`, `3d`, `1w`; `0m` is now.
//! A time in the past is an error, except `now`.
//! Time zones and DST come from jiff: `2026-03-29 02:30` in Europe/Berlin does not exist
//! and is moved forward, as a wall clock would.

use jiff::civil::{Date, Time, Weekday};
use jiff::{SignedDuration, Timestamp, Zoned};

#[derive(Debug, thiserror::Error)]
pub enum WhenError {
    #[error(
        "\"{text}\" is not a time Mailroom understands: try \"tomorrow 08:00\", \"2026-12-24 09:30\", \"24.12.2026\", \"monday 8am\", \"18:15\", \"in 2h\" or \"now\""
    )]
    Unreadable { text: String },
    #[error("\"{text}\" is not a duration: try 90m, 2h, 1h30m, 3d or 0m (now)")]
    BadDuration { text: String },
    #[error("\"{text}\" is too far ahead")]
    TooFar { text: String },
    #[error("\"{text}\" is in the past ({when}); give a future time, or --at now")]
    Past { text: String, when: String },
}

/// A time as the command line prints it, everywhere: local, with the zone
/// (`2026-12-24 08:00 CET`).
pub fn local(ts: Timestamp) -> String {
    ts.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string()
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
    let lower = trimmed.to_ascii_lowercase();
    if let Some(span) = lower.strip_prefix("in ") {
        return parse_in(span, now.timestamp());
    }
    let when = if let Ok(ts) = trimmed.parse::<Timestamp>() {
        ts
    } else if let Some(zoned) = local_datetime(&lower, now) {
        zoned.timestamp()
    } else {
        relative_day(&lower, now).ok_or_else(unreadable)?
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
    let compact: String = text.split_whitespace().collect();
    if !number.is_empty() || compact.is_empty() {
        return Err(bad());
    }
    now.checked_add(SignedDuration::from_secs(seconds))
        .map_err(|_| WhenError::TooFar {
            text: text.to_string(),
        })
}

/// A calendar date, with or without a time: `2026-12-24 09:30`, `24.12.2026 9am`.
fn local_datetime(text: &str, now: &Zoned) -> Option<Zoned> {
    let iso = text.to_ascii_uppercase().replacen(' ', "T", 1);
    if text.contains(':')
        && let Ok(datetime) = iso.parse::<jiff::civil::DateTime>()
    {
        return datetime.to_zoned(now.time_zone().clone()).ok();
    }
    let mut words = words_without_at(text);
    let time = match words.len() {
        1 => DEFAULT_TIME,
        2 => parse_time(words.pop()?)?,
        _ => return None,
    };
    let date = parse_date(words.first()?)?;
    date.to_datetime(time)
        .to_zoned(now.time_zone().clone())
        .ok()
}

/// A day that is not named: 08:00, as in Thunderbird's and Outlook's "tomorrow".
const DEFAULT_TIME: Time = Time::constant(8, 0, 0, 0);

/// `2026-12-24`, `2026-12-24T09:30` (ISO) or `24.12.2026` (day first, as in Europe).
fn parse_date(word: &str) -> Option<Date> {
    if let Ok(date) = word.parse::<Date>() {
        return Some(date);
    }
    let mut parts = word.split('.');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 {
        return None;
    }
    Date::new(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

/// The words of `text`, without the `at` in "tomorrow at 08:00".
fn words_without_at(text: &str) -> Vec<&str> {
    text.split_whitespace().filter(|w| *w != "at").collect()
}

fn relative_day(text: &str, now: &Zoned) -> Option<Timestamp> {
    let mut words = words_without_at(text);
    if words.first() == Some(&"next") {
        words.remove(0);
    }
    let (day_word, time_word) = match words.as_slice() {
        [one] if parse_time(one).is_some() => ("today", Some(*one)),
        [day] => (*day, None),
        [day, time] => (*day, Some(*time)),
        _ => return None,
    };
    let time = match time_word {
        Some(t) => parse_time(t)?,
        None => DEFAULT_TIME,
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

/// `08:00`, `8:00`, `8am`, `8:30pm`, `12am` (midnight).
fn parse_time(text: &str) -> Option<Time> {
    let (clock, half) = match (text.strip_suffix("am"), text.strip_suffix("pm")) {
        (Some(clock), _) => (clock, Some(0)),
        (_, Some(clock)) => (clock, Some(12)),
        _ => (text, None),
    };
    let (h, m): (i8, i8) = match clock.split_once(':') {
        Some((h, m)) if m.len() == 2 => (h.parse().ok()?, m.parse().ok()?),
        None if half.is_some() => (clock.parse().ok()?, 0),
        _ => return None,
    };
    let h = match half {
        Some(offset) if (1..=12).contains(&h) => h % 12 + offset,
        Some(_) => return None,
        None => h,
    };
    Time::new(h, m, 0, 0).ok()
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
        for bad in ["", "10", "2x", "h", "-1m"] {
            assert!(parse_in(bad, start).is_err(), "{bad}");
        }
    }

    #[test]
    fn zero_is_a_duration_and_means_now() {
        let start = now().timestamp();
        assert_eq!(parse_in("0m", start).unwrap(), start);
        assert_eq!(parse_in("0s", start).unwrap(), start);
    }

    #[test]
    fn a_duration_past_the_calendar_is_an_error_not_a_panic() {
        let err = parse_in("999999999999s", now().timestamp()).unwrap_err();
        assert!(err.to_string().contains("too far ahead"), "{err}");
        assert!(parse_in("99999999999999999999d", now().timestamp()).is_err());
    }

    #[test]
    fn a_date_without_a_time_means_eight_in_the_morning() {
        assert_eq!(at("2026-12-24"), "Thu 2026-12-24 08:00");
        assert_eq!(at("24.12.2026"), "Thu 2026-12-24 08:00");
    }

    #[test]
    fn times_people_type_are_understood() {
        assert_eq!(at("tomorrow at 08:00"), "Wed 2026-11-25 08:00");
        assert_eq!(at("24.12.2026 08:00"), "Thu 2026-12-24 08:00");
        assert_eq!(at("2026-12-24 9am"), "Thu 2026-12-24 09:00");
        assert_eq!(at("8pm"), "Tue 2026-11-24 20:00");
        assert_eq!(at("tomorrow 8am"), "Wed 2026-11-25 08:00");
        assert_eq!(at("tomorrow 12am"), "Wed 2026-11-25 00:00");
        assert_eq!(at("friday 5:30pm"), "Fri 2026-11-27 17:30");
        assert_eq!(at("in 2h"), "Tue 2026-11-24 15:00");
        for nonsense in ["13pm", "8:5", "31.02.2026", "at", "tomorrow 25:00"] {
            assert!(parse_at(nonsense, &now()).is_err(), "{nonsense}");
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
