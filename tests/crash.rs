//! Crash safety: the real binary is killed with SIGKILL at random moments, hundreds of
//! times, while it saves drafts and while it drains an outbox into the real Postfix.
//! Afterwards no file is damaged, every acknowledged version reads back, and every
//! message was delivered exactly once or is `uncertain` — counted in the server's
//! Maildir. The counts are printed (see `tests/run.sh`, which shows test output).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

mod support;

use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use support::Home;
use support::postfix::postfix;

const KILLS: usize = 200;

/// A small random generator; the seed is printed so a failure can be replayed.
struct Random(u64);

impl Random {
    fn new() -> Self {
        let seed = std::env::var("CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        println!("CRASH_SEED={seed}");
        Self(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Starts `mailroom ARGS`, kills it after a random delay below `max`, and returns what
/// it printed before dying (or finishing).
fn run_and_kill(home: &Home, args: &[&str], random: &mut Random, max: Duration) -> String {
    let mut child = home
        .command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_micros(random.below(max.as_micros() as u64)));
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    let mut out = String::new();
    let _ = child.stdout.take().unwrap().read_to_string(&mut out);
    out
}

/// What Mailroom moved to `data/quarantine/` because it could not read it (an outbox
/// entry's `entry.slots` with no intact slot, say).
fn quarantined(home: &Home) -> Vec<String> {
    support::files_in(&home.path().join("data/quarantine"))
        .iter()
        .map(|p| p.display().to_string())
        .collect()
}

/// Every JSON file under `dir` parses.
fn damaged_json_files(dir: &std::path::Path) -> Vec<String> {
    let mut damaged = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let bytes = std::fs::read(&path).unwrap();
                if serde_json::from_slice::<serde_json::Value>(&bytes).is_err() {
                    damaged.push(path.display().to_string());
                }
            }
        }
    }
    damaged
}

#[test]
fn killing_the_binary_while_it_saves_drafts_loses_no_acknowledged_version() {
    let home = Home::new();
    let mut random = Random::new();
    let id = home
        .run(&[
            "drafts",
            "new",
            "--to",
            "a@example.org",
            "--subject",
            "v1",
            "--body",
            "start",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    let body = "Every word of this draft must survive. ".repeat(2000); // ~78 KB
    let (id, body) = (id.as_str(), body.as_str());
    fn edit<'a>(id: &'a str, subject: &'a str, body: &'a str) -> [&'a str; 7] {
        ["drafts", "edit", id, "--subject", subject, "--body", body]
    }
    // Kills land anywhere in a save, however fast this machine's disk is: within one
    // and a half times what an uninterrupted save takes here.
    let started = std::time::Instant::now();
    home.run(&edit(id, "timed", body)).ok();
    let window = (started.elapsed() * 3 / 2).max(Duration::from_millis(5));
    let mut acknowledged = Vec::new();
    for n in 0..KILLS {
        let subject = format!("save {n}");
        let printed = run_and_kill(&home, &edit(id, &subject, body), &mut random, window);
        if let Some(version) = printed
            .split("as version ")
            .nth(1)
            .and_then(|v| v.trim().trim_end_matches('.').parse::<u32>().ok())
        {
            acknowledged.push((version, subject));
        }
    }
    let damaged = damaged_json_files(&home.path().join("data/drafts"));
    // `drafts show` reads the newest version, repairing draft.json after a crash.
    let current = home.run(&["drafts", "show", id]).ok().stdout;
    let newest_kept: u32 = current
        .split("(version ")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no version in {current}"));
    let mut readable = 0;
    for (version, subject) in acknowledged.iter().filter(|(v, _)| *v + 50 > newest_kept) {
        let shown = home
            .run(&["drafts", "show", id, "--version", &version.to_string()])
            .ok()
            .stdout;
        assert!(
            shown.contains(&format!("Subject: {subject}\n")),
            "version {version} reads back as saved"
        );
        readable += 1;
    }
    println!(
        "drafts: {KILLS} kills within {} ms of starting a save, {} saves acknowledged, {readable} of them still kept and all readable, {} damaged files, current version {newest_kept}",
        window.as_millis(),
        acknowledged.len(),
        damaged.len()
    );
    assert!(damaged.is_empty(), "damaged: {damaged:?}");
    assert_eq!(
        quarantined(&home),
        Vec::<String>::new(),
        "nothing was unreadable"
    );
    assert!(
        readable > 0,
        "some acknowledged versions must be among the kept ones to check"
    );
    assert!(current.contains("Draft "), "{current}");
    if let Some((version, subject)) = acknowledged.last() {
        assert!(newest_kept >= *version);
        if newest_kept == *version {
            assert!(current.contains(&format!("Subject: {subject}\n")));
        }
    }
}

#[test]
fn killing_the_runner_while_it_drains_the_outbox_never_loses_or_duplicates() {
    const MESSAGES: usize = 60;
    let home = Home::new();
    let mut random = Random::new();
    home.postfix_profile("crash", &[]);
    let recipients: Vec<String> = (0..MESSAGES)
        .map(|n| format!("crash-{n:03}@example.org"))
        .collect();
    for to in &recipients {
        home.run(&[
            "send",
            "--to",
            to,
            "--subject",
            to,
            "--body",
            "x",
            "--at",
            "now",
        ])
        .ok();
    }
    let mut kills = 0;
    while kills < KILLS {
        run_and_kill(
            &home,
            &["outbox", "run"],
            &mut random,
            Duration::from_millis(300),
        );
        kills += 1;
    }
    // Whatever is left goes out now, uninterrupted (exit 4 names the uncertain ones).
    let last = home.run(&["outbox", "run"]);
    assert!([0, 4].contains(&last.code), "{last:?}");

    let outbox = home.outbox();
    let uncertain: Vec<String> = outbox
        .iter()
        .filter(|e| e["state"] == "uncertain")
        .map(|e| e["recipients"].as_str().unwrap().to_string())
        .collect();
    let others: Vec<&serde_json::Value> = outbox
        .iter()
        .filter(|e| e["state"] != "uncertain")
        .collect();
    assert!(others.is_empty(), "everything else was sent: {others:?}");

    let server = postfix();
    std::thread::sleep(Duration::from_secs(2)); // let Postfix finish local delivery
    let (mut delivered_once, mut twice, mut lost, mut uncertain_delivered) = (vec![], 0, 0, 0);
    for to in &recipients {
        let is_uncertain = uncertain.contains(to);
        let copies = if is_uncertain {
            server.delivered_to(to).len()
        } else {
            server.wait_for(to);
            server.delivered_to(to).len()
        };
        match (copies, is_uncertain) {
            (1, false) => delivered_once.push(to.clone()),
            (0 | 1, true) => uncertain_delivered += copies,
            (0, false) => lost += 1,
            _ => twice += 1,
        }
    }
    let once = delivered_once.len();
    // Each subject is its recipient's address.
    let mut sent_subjects: Vec<String> = support::python_maildir(&home.sent_dir())
        .into_iter()
        .map(|(subject, _flags)| subject)
        .collect();
    sent_subjects.sort();
    let sent_copies = sent_subjects.len();
    let damaged = damaged_json_files(&home.path().join("data"));
    println!(
        "outbox: {kills} kills over {MESSAGES} messages: delivered once {once}, uncertain {} ({uncertain_delivered} of them reached the server), delivered twice {twice}, lost {lost}, sent/ holds {sent_copies}, damaged files {}",
        uncertain.len(),
        damaged.len()
    );
    assert_eq!((twice, lost), (0, 0));
    assert_eq!(once + uncertain.len(), MESSAGES);
    assert_eq!(
        sent_subjects, delivered_once,
        "every delivered message has one copy in sent/, and nothing else is there"
    );
    assert!(damaged.is_empty(), "damaged: {damaged:?}");
    assert_eq!(
        quarantined(&home),
        Vec::<String>::new(),
        "nothing was unreadable"
    );
}
