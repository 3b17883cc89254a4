//! Fills a home with drafts for P4 of `benches/run.sh`, through the real draft store
//! (the same writes the app makes): `bench_seed_drafts HOME COUNT`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench fails by panicking

use std::path::Path;

use jiff::{Timestamp, ToSpan};
use mailroom::message::Draft;
use mailroom::paths::Dirs;
use mailroom::store::drafts::DraftStore;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [home, count] = args.as_slice() else {
        panic!("usage: bench_seed_drafts HOME COUNT");
    };
    let count: i64 = count.parse().expect("COUNT is a number");
    let store = DraftStore::new(Dirs::under(Path::new(home)).data());
    let start = Timestamp::now() - count.minutes();
    for n in 0..count {
        let draft = Draft {
            to: format!("Person {n} <person{n}@example.org>"),
            cc: "team@example.org".into(),
            subject: format!("Weekly note {n}"),
            body: "A paragraph of an ordinary draft, written by hand and kept for later. "
                .repeat(20),
            ..Draft::default()
        };
        store.create(None, draft, start + n.minutes()).unwrap();
    }
}
