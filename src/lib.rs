//! Mailroom: a desktop mail composer whose GUI, command line and OS scheduler share
//! one send core.
//!
//! # Architecture map
//! Data flows down, never back up:
//!
//! | module | owns | runs on |
//! |---|---|---|
//! | [`cli`] | the `mailroom` commands (clap); each a thin call into the modules below | main thread |
//! | [`message`] | [`message::Draft`], address parsing, validation, MIME building, Logic Apps JSON | caller's thread |
//! | [`profile`] | accounts in `profiles.toml`; [`profile::secret`] is the only code that touches the OS keyring | caller's thread (keyring calls block) |
//! | [`transport`] | SMTP over rustls (or a folder of `.eml`), errors classified transient / permanent | caller's thread (blocking I/O) |
//! | [`store`] | atomic file writes | caller's thread |
//! | [`paths`] | where files live (`MAILROOM_HOME` overrides) | — |
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
pub mod send;
pub mod service;
pub mod settings;
pub mod store;
pub mod transport;
#[cfg(feature = "gui")]
pub mod ui;
pub mod when;
pub mod worker;
