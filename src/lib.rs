//! Mailroom: a desktop mail composer whose GUI, command line and OS scheduler share
//! one send core.
//!
//! # Architecture map
//! Data flows down, never back up:
//!
//! | module | owns | runs on |
//! |---|---|---|
//! | [`ui`] (feature `gui`) | the window: one view a file; never does I/O | UI thread |
//! | [`worker`] | the window's background: a command thread (which also notices changes made outside the window) and an outbox thread; `Command` in, `Event` out | its own threads |
//! | [`cli`] | the `mailroom` commands (clap); each a thin call into the modules below | main thread |
//! | [`service`] | [`service::Mailroom`]: build, send now, schedule, run the outbox, save and test accounts — what CLI and worker share | caller's thread |
//! | [`message`] | [`message::Draft`], addresses, validation, MIME building, `.eml` and `mailto:` in, Logic Apps JSON | caller's thread |
//! | [`profile`] | accounts in `profiles.toml`; [`profile::secret`] is the only code that touches the OS keyring | caller's thread (keyring calls block) |
//! | [`transport`] | SMTP over rustls (or a folder of `.eml`); [`transport::login`] turns a profile into a logged-in connection | caller's thread (blocking I/O) |
//! | [`store`] | atomic writes, locks, drafts with versions, the sent Maildir | caller's thread |
//! | [`outbox`] | frozen messages, claims, the runner's state machine (at most once) | caller's thread |
//! | [`scheduler`] | `outbox install`: systemd timer, crontab, launchd, Task Scheduler | caller's thread |
//! | [`when`], [`clock`], [`settings`], [`paths`] | times people type, the one clock, `settings.toml`, where files live | — |
//! | [`error`] | the top-level [`error::Error`] and its one [`error::Class`]: retrying, exit codes and wording follow from it | — |
//!
//! The core knows nothing of egui or clap. Nothing secret is written to disk, logged or
//! shown in `Debug` output.

pub mod cli;
pub mod clock;
pub mod error;
pub mod message;
pub mod outbox;
pub mod paths;
pub mod profile;
pub mod scheduler;
pub mod service;
pub mod settings;
pub mod store;
pub mod transport;
#[cfg(feature = "gui")]
pub mod ui;
pub mod when;
pub mod worker;
