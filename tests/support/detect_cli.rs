//! The `mailroom` binary against the detection bed ([`super::detect_bed`]): running
//! `profile detect`, reading its JSON, and the assertions the detection tests share.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail by panicking

use std::time::{Duration, Instant};

use serde_json::Value;

use super::detect_bed::bed;
use super::{Home, Run};

/// The bed's environment, no keyring, and `extra` (which wins).
pub fn detect_env(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut env = bed().env();
    env.push((
        "DBUS_SESSION_BUS_ADDRESS".into(),
        "unix:path=/nonexistent/mailroom-test-bus".into(),
    ));
    for (k, v) in extra {
        env.retain(|(key, _)| key != k);
        env.push((k.to_string(), v.to_string()));
    }
    env
}

/// `mailroom profile detect ARGS` in a fresh home with `env`, and how long it took.
pub fn detect_in(env: Vec<(String, String)>, args: &[&str]) -> (Run, Duration) {
    let home = Home::with_env(env);
    let mut all = vec!["profile", "detect"];
    all.extend_from_slice(args);
    let started = Instant::now();
    let run = home.run(&all);
    (run, started.elapsed())
}

/// `mailroom profile detect EMAIL --json` against the bed: it must succeed; its JSON.
#[track_caller]
pub fn detect(email: &str) -> Found {
    detect_with(&[], email)
}

#[track_caller]
pub fn detect_with(extra: &[(&str, &str)], email: &str) -> Found {
    let (run, _) = detect_in(detect_env(extra), &[email, "--json"]);
    Found::of(run.ok())
}

/// What `profile detect --json` printed.
pub struct Found {
    pub json: Value,
    pub run: Run,
}

impl Found {
    #[track_caller]
    pub fn of(run: Run) -> Self {
        let json = serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| {
            panic!(
                "profile detect --json printed no JSON ({e})\nstdout: {}\nstderr: {}",
                run.stdout, run.stderr
            )
        });
        Self { json, run }
    }

    pub fn source(&self) -> &str {
        self.json["source"].as_str().unwrap_or_default()
    }

    pub fn smtp(&self) -> Vec<Server> {
        servers(&self.json["smtp"])
    }

    pub fn imap(&self) -> Vec<Server> {
        servers(&self.json["imap"])
    }

    pub fn notes(&self) -> Vec<String> {
        strings(&self.json["notes"])
    }

    /// The first SMTP server, which must be there.
    #[track_caller]
    pub fn first(&self) -> Server {
        self.smtp()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no smtp server in {}", self.json))
    }

    /// Everything, for assertion messages.
    pub fn shown(&self) -> String {
        format!("{:#}\nstderr: {}", self.json, self.run.stderr)
    }
}

/// One server entry, in the contract's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub host: String,
    pub port: u64,
    pub security: String,
    pub username: String,
    pub auth: String,
    pub source: String,
}

impl Server {
    /// (host, port, security): what most tests compare.
    pub fn at(&self) -> (&str, u64, &str) {
        (&self.host, self.port, &self.security)
    }
}

pub fn servers(list: &Value) -> Vec<Server> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    list.as_array()
        .map(|a| {
            a.iter()
                .map(|v| Server {
                    host: text(v, "host"),
                    port: v["port"].as_u64().unwrap_or_default(),
                    security: text(v, "security"),
                    username: text(v, "username"),
                    auth: text(v, "auth"),
                    source: text(v, "source"),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn strings(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `%40` → `@` and so on (a query string as logged).
pub fn percent_decoded(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Exit code 2 ("nothing found"), with `--host` suggested; nothing crashed.
#[track_caller]
pub fn assert_nothing_found(run: &Run) {
    assert_eq!(
        run.code, 2,
        "exit code\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.stderr.contains("--host"),
        "no --host suggested: {}",
        run.stderr
    );
}

/// A refusal of bad input: an error exit that is not a crash.
#[track_caller]
pub fn assert_refused_cleanly(run: &Run, input: &str) {
    assert!(
        run.code != 0 && run.code != 101 && !run.stderr.contains("panicked"),
        "exit {}\nstdout: {}\nstderr: {}",
        run.code,
        run.stdout,
        run.stderr
    );
    let said = run.stderr.to_lowercase();
    assert!(
        !said.contains("unrecognized subcommand") && !said.contains("unexpected argument"),
        "refused by the argument parser, not by detection: {}",
        run.stderr
    );
    assert!(
        said.contains("address") || said.contains(&input.to_lowercase()),
        "the refusal names neither the address nor the input {input:?}: {}",
        run.stderr
    );
}
