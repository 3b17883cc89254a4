//! Mailroom: a desktop mail composer whose GUI, command line and OS scheduler share
//! one send core.
//!
//! # Architecture map
//! Data flows down, never back up:
//!
//! | module | owns | runs on |
//! |---|---|---|
//! | [`ui`] (feature `gui`) | the window: one view a file, each applying the worker's events that concern it; never does I/O | UI thread |
//! | [`worker`] | the window's background: a command thread (which also notices changes made outside the window) and an outbox thread; `Command` in, `Event` out | its own threads |
//! | [`cli`] | the `mailroom` commands (clap); each a thin call into the modules below | main thread |
//! | [`service`] | [`service::Mailroom`]: build, send now, schedule, run the outbox, save and test accounts — what CLI and worker share | caller's thread |
//! | [`message`] | [`message::Draft`], addresses, validation, MIME building, `.eml` and `mailto:` in, Logic Apps JSON | caller's thread |
//! | [`detect`] | account detection: an email address in, SMTP/IMAP candidates with their source out (built-in files, autoconfig, ISPDB, MX, SRV, a probe); saves nothing | caller's thread, plus a thread per step |
//! | [`oauth`] | OAuth2 sign-in: providers, the browser and device code flows, tokens in the keyring refreshed under the profile's lock | caller's thread (the window: a thread per sign-in) |
//! | [`profile`] | accounts in `profiles.toml`; [`profile::secret`] is the only code that touches the OS keyring | caller's thread (keyring calls block) |
//! | [`transport`] | SMTP over rustls (or a folder of `.eml`); [`transport::login`] turns a profile into a logged-in connection | caller's thread (blocking I/O) |
//! | [`imap`] | IMAP upload: TLS (no STARTTLS injection), login by password or OAuth2, the `\Sent` / `\Drafts` folders by SPECIAL-USE, APPEND, find by Message-ID, delete own drafts by UID (imap-codec) | caller's thread (blocking I/O) |
//! | [`server_copy`] | what is kept on the IMAP server: the copy of each sent message in Sent (a durable queue filled as the outbox finishes an entry, filed with backoff, never twice: search by Message-ID first) and, when a profile asks, each draft in Drafts | the runner's thread, or `send`'s |
//! | [`store`] | atomic writes, locks, drafts with versions, the sent Maildir | caller's thread |
//! | [`outbox`] | frozen messages, claims, the runner's state machine (at most once) | caller's thread |
//! | [`instance`] | one window per home: a second start hands its request (a `mailto:` link, a draft, an `.eml`) to the running window over a Unix socket | a thread of the window |
//! | [`desktop`] | `desktop install`: the menu entry, icons, metainfo and the `mailto:` handler for one user | caller's thread |
//! | [`scheduler`] | `outbox install`: systemd timer, crontab, launchd, Task Scheduler | caller's thread |
//! | [`https`] | what account detection's and OAuth2's HTTPS clients trust: the system's roots, or `SSL_CERT_FILE`'s | caller's thread |
//! | [`when`], [`clock`], [`settings`], [`paths`], [`programs`] | times people type, the one clock, `settings.toml`, where files live, running the desktop's programs | — |
//! | [`error`] | the top-level [`error::Error`] (a variant for each source) and its one [`error::Class`]: retrying, exit codes and the window's advice follow from it | — |
//!
//! The core knows nothing of egui or clap. Nothing secret is written to disk, logged or
//! shown in `Debug` output.

/// Counts a property test's cases (here and in `tests/properties.rs`); with
/// `MAILROOM_FUZZ_PROGRESS` set, says every 10,000 how many have run, so a long run ended by
/// `timeout` (`scripts/fuzz-long.sh`) tells how far it got.
#[doc(hidden)]
#[macro_export]
macro_rules! progress {
    ($target:literal) => {{
        static CASES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = CASES.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n % 10_000 == 0 && std::env::var_os("MAILROOM_FUZZ_PROGRESS").is_some() {
            eprintln!("{}: {n} cases", $target);
        }
    }};
}

pub mod cli;
pub mod clock;
pub mod desktop;
pub mod detect;
pub mod error;
pub mod https;
pub mod imap;
pub mod instance;
pub mod message;
pub mod oauth;
pub mod outbox;
pub mod paths;
pub mod profile;
pub mod programs;
pub mod scheduler;
pub mod server_copy;
pub mod service;
pub mod settings;
pub mod store;
pub mod transport;
#[cfg(feature = "gui")]
pub mod ui;
pub mod when;
pub mod worker;
