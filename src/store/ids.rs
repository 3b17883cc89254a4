//! Ids for drafts, outbox entries and sent messages: sortable by creation time,
//! unique across processes, and safe as file names (`20261124-081500-3f9a2c`).

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

use jiff::Timestamp;

/// A new id for something created at `now`.
pub fn new_id(now: Timestamp) -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(now.as_nanosecond() as u128);
    hasher.write_u32(std::process::id());
    let random = hasher.finish() & 0xff_ffff;
    format!("{}-{random:06x}", now.strftime("%Y%m%d-%H%M%S"))
}

/// Ids are used as folder names: refuse anything that could leave the folder.
pub fn is_valid(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_differ() {
        let early = new_id(Timestamp::from_second(1_700_000_000).unwrap());
        let late = new_id(Timestamp::from_second(1_800_000_000).unwrap());
        assert!(early < late);
        let now = Timestamp::now();
        assert_ne!(new_id(now), new_id(now));
        assert!(is_valid(&early) && !is_valid("../x") && !is_valid(""));
    }
}
