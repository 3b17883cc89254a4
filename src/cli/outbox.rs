//! `mailroom outbox …` and `mailroom sent …`: what waits, what went, and the OS
//! scheduler that sends with no window open.

use std::path::PathBuf;

use clap::Subcommand;
use jiff::Timestamp;

use super::message_args::{WhenArgs, check_eml_target, local};
use crate::error::Error;
use crate::outbox::State;
use crate::outbox::runner::RunReport;
use crate::service::Mailroom;

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Scheduled, sending, uncertain and failed messages, soonest first.
    List {
        /// Print JSON (an array) instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Take a message out of the outbox and back into the drafts.
    Cancel {
        /// The outbox id, or the id of the draft it was scheduled from.
        id: String,
    },
    /// Give a message a new time (failed and uncertain ones too: a fresh attempt).
    Reschedule {
        /// The outbox id, or the id of the draft it was scheduled from.
        id: String,
        #[command(flatten)]
        when: WhenArgs,
    },
    /// Send a message now: a failed or uncertain one again, a scheduled one ahead of its
    /// time. Runs the whole outbox pass: the exit code says how every due message went.
    #[command(visible_alias = "send-now")]
    Retry {
        /// The outbox id, or the id of the draft it was scheduled from.
        id: String,
    },
    /// An uncertain message did go out: move it to sent.
    Dismiss {
        /// The outbox id, or the id of the draft it was scheduled from.
        id: String,
    },
    /// File now the copies of sent messages still waiting for the IMAP server, those it
    /// refused included (after making room or naming the folder: `profile edit
    /// --sent-folder`).
    RetryCopies,
    /// Send what is due; --watch keeps running, sleeping until the next due time.
    Run {
        /// Keep running, sleeping until the next message is due.
        #[arg(long)]
        watch: bool,
    },
    /// Have the OS scheduler run `outbox run` every minute, window or not.
    Install,
    /// Remove what `outbox install` put in place: nothing sends with the window closed.
    Uninstall,
    /// What is installed and when the outbox last ran.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum SentCommand {
    /// Sent messages, newest first.
    List {
        /// Print JSON (an array) instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Copy a sent message to an .eml file.
    Export {
        id: String,
        /// The file to write (its folder must exist).
        #[arg(long, value_name = "FILE")]
        eml: PathBuf,
        /// Overwrite the file if it exists.
        #[arg(long)]
        force: bool,
    },
}

pub fn run(mailroom: &Mailroom, command: OutboxCommand) -> Result<(), Error> {
    let now = mailroom.now();
    let outbox = &mailroom.outbox;
    match command {
        OutboxCommand::List { json } => {
            let listing = outbox.list(&mailroom.drafts)?;
            for problem in &listing.quarantined {
                eprintln!("mailroom: {problem}");
            }
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&listing.entries).unwrap_or_default()
                );
            } else if listing.entries.is_empty() {
                say!("The outbox is empty.");
            }
            if !json {
                list_copies(mailroom)?;
            }
            for e in listing.entries.iter().filter(|_| !json) {
                let state = match e.state {
                    State::Uncertain => "uncertain (may have been sent)",
                    other => other.as_str(),
                };
                say!(
                    "{}  {:<10}  {}  {:<30}  {}",
                    e.id,
                    state,
                    local(e.send_at),
                    super::printable(&e.subject),
                    super::printable(&e.recipients)
                );
                if let Some(err) = &e.last_error {
                    say!("    attempt {}: {}", e.attempts, err.message);
                }
            }
        }
        OutboxCommand::Cancel { id } => {
            let id = mailroom.outbox_id(&id)?;
            let draft_id = outbox.cancel(&mailroom.drafts, &id)?;
            say!("Cancelled; the message is back in the drafts as {draft_id}.");
        }
        OutboxCommand::Reschedule { id, when } => {
            let at = when.resolve(now)?.ok_or_else(|| Error::Argument {
                what: "reschedule".into(),
                why: "give --at or --in".into(),
            })?;
            let entry = outbox.reschedule(&mailroom.outbox_id(&id)?, at)?;
            say!("{} now goes out {}.", entry.id, local(entry.send_at));
        }
        OutboxCommand::Retry { id } => {
            outbox.reschedule(&mailroom.outbox_id(&id)?, now)?;
            outcome(&mailroom.run_outbox_once()?)?;
        }
        OutboxCommand::Dismiss { id } => {
            let sent_id = mailroom.dismiss_uncertain(&mailroom.outbox_id(&id)?)?;
            say!("Moved to sent as {sent_id}.");
        }
        OutboxCommand::RetryCopies => {
            let (again, report) = mailroom.retry_copies()?;
            say!("Filing {again} copies in the server's Sent folder.");
            print_copies(&report);
        }
        OutboxCommand::Run { watch: false } => outcome(&mailroom.run_outbox_once()?)?,
        OutboxCommand::Run { watch: true } => {
            let profiles = mailroom.profiles()?;
            let settings = mailroom.settings()?;
            let connector = crate::outbox::runner::RealConnector(mailroom.dirs.clone());
            let runner = mailroom.runner(
                &profiles,
                settings.give_up_after(),
                mailroom.clock.as_ref(),
                &connector,
            );
            runner.watch(|report| {
                mailroom.record_run(report);
                print_report(report);
            })?;
        }
        OutboxCommand::Install => say!("{}", crate::scheduler::install(&mailroom.dirs)?),
        OutboxCommand::Uninstall => say!("{}", crate::scheduler::uninstall()?),
        OutboxCommand::Status => say!("{}", crate::scheduler::status(&mailroom.dirs)),
    }
    Ok(())
}

pub fn run_sent(mailroom: &Mailroom, command: SentCommand) -> Result<(), Error> {
    match command {
        SentCommand::List { json } => {
            let list = mailroom.sent.list()?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&list).unwrap_or_default()
                );
            } else if list.is_empty() {
                say!("Nothing sent yet.");
            }
            for s in list.iter().filter(|_| !json) {
                say!(
                    "{}  {}  {:<40}  {}",
                    s.id,
                    s.date
                        .as_deref()
                        .and_then(|d| d.parse::<Timestamp>().ok())
                        .map_or("?".to_string(), local),
                    super::printable(&s.subject),
                    super::printable(&s.to)
                );
            }
        }
        SentCommand::Export { id, eml, force } => {
            check_eml_target(&eml, force)?;
            let path = mailroom.sent.path(&id)?;
            std::fs::copy(&path, &eml).map_err(|source| Error::Output {
                what: format!("copying to {}", eml.display()),
                source,
            })?;
            say!("Wrote {}.", eml.display());
        }
    }
    Ok(())
}

/// Prints what a pass did; the exit code follows the README's table: 4 when a message
/// failed for good or may have been sent, 3 when one waits to be retried.
fn outcome(report: &RunReport) -> Result<(), Error> {
    print_report(report);
    let (failed, uncertain, retrying, waiting) = (
        report.failed.len(),
        report.uncertain.len(),
        report.retrying.len(),
        report.waiting.len(),
    );
    if failed + uncertain + retrying + waiting == 0 {
        return Ok(());
    }
    Err(Error::Unsent {
        failed,
        uncertain,
        retrying,
        waiting,
    })
}

/// Quiet when nothing happened, so `--watch` and the OS scheduler leave short logs.
fn print_report(report: &RunReport) {
    for id in &report.sent {
        say!("sent {id}");
    }
    for (id, at) in &report.retrying {
        say!("retrying {id} at {}", local(*at));
    }
    for id in &report.failed {
        say!("failed {id} (see `mailroom outbox list`)");
    }
    for id in &report.uncertain {
        say!("uncertain {id}: it may have been sent (see `mailroom outbox list`)");
    }
    for id in &report.waiting {
        say!("waiting {id}: its profile needs you to sign in again (see `mailroom outbox list`)");
    }
    for problem in &report.problems {
        eprintln!("mailroom: {problem}");
    }
    print_copies(&report.copies);
}

/// The copies filed on the server (or not): they never change the exit code, the
/// messages having gone out.
fn print_copies(report: &crate::outbox::CopiesReport) {
    for id in &report.filed {
        say!("filed the copy of {id} in the server's Sent folder");
    }
    for (id, why) in &report.pending {
        say!("copy to Sent pending for {id}: {why}");
    }
    for (id, why) in &report.failed {
        say!("copy of {id} refused by the server: {why} (`mailroom outbox retry-copies`)");
    }
    for problem in &report.problems {
        eprintln!("mailroom: {problem}");
    }
}

/// The copies still to be filed in a server's Sent folder, after the outbox's entries.
fn list_copies(mailroom: &Mailroom) -> Result<(), Error> {
    for copy in mailroom.server_copies.list()? {
        let state = if copy.failed {
            "refused by the server (`mailroom outbox retry-copies`)".to_string()
        } else {
            format!("copy to Sent pending, next try {}", local(copy.next_try))
        };
        say!("{}  {}  {state}", copy.id, copy.profile);
        if let Some(why) = &copy.last_error {
            say!("    attempt {}: {why}", copy.attempts);
        }
    }
    Ok(())
}
