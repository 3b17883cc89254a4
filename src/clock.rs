//! The one place that asks the system for the time, so tests can move it: the core
//! reads it through [`crate::service::Mailroom::clock`] (a test gives it a clock of its
//! own), the window through [`now`].

use jiff::Timestamp;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// The system's time, for code with no [`Clock`] handed to it (the window's countdowns).
pub fn now() -> Timestamp {
    SystemClock.now()
}

/// The one fixed "now" of the unit tests (a Monday in September 2026, UTC), so that their
/// times read the same everywhere.
#[cfg(test)]
pub fn fixed_now() -> Timestamp {
    Timestamp::from_second(1_790_000_000).unwrap_or(Timestamp::UNIX_EPOCH)
}
