//! The one place that asks the system for the time. The core reads it through
//! [`crate::service::Mailroom::clock`], which a test replaces with a clock of its own:
//! drafts' times, the outbox's schedule, retries and the `Date` it restamps all move
//! with it. What has no `Mailroom` to ask reads [`now`], the system's time, which tests
//! cannot move: the window's countdowns and "modified" times, OAuth2 tokens' expiry
//! (checked against the issuer's clock), and file names that only need to be unique
//! and sorted (the folder transport's `.eml` files, quarantined files). Only entropy
//! seeds (MIME boundaries and Message-IDs, temporary file names) read the system time
//! themselves.

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
