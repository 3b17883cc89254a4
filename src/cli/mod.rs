//! The `mailroom` command line: each command a thin call into the core. Errors are
//! printed once, with their chain, and the exit code says what kind of failure it was:
//! 0 sent / done, 1 the machine got in the way, 2 bad input, 3 temporary, 4 permanent.

mod drafts;
mod message_args;
mod outbox;
mod profile;
mod send;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::{Error, display_chain};
use crate::paths::Dirs;
use crate::profile::secret::Password;
use crate::service::Mailroom;

#[derive(Debug, Parser)]
#[command(
    name = "mailroom",
    version,
    about = "Write mail by hand; send it now or later."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send a message now, later (--at, --in), or only write it as .eml (--eml).
    Send(Box<send::SendArgs>),
    /// Write, keep, edit and send drafts.
    #[command(subcommand)]
    Drafts(Box<drafts::DraftsCommand>),
    /// Messages waiting to go out, and the runner that sends them.
    #[command(subcommand)]
    Outbox(Box<outbox::OutboxCommand>),
    /// Messages that went out.
    #[command(subcommand)]
    Sent(outbox::SentCommand),
    /// Add, list, test and remove accounts.
    #[command(subcommand)]
    Profile(profile::ProfileCommand),
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let Some(command) = cli.command else {
        // The desktop window arrives with the `gui` feature's app; until then, help.
        let _ = Cli::command().print_help();
        return ExitCode::SUCCESS;
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailroom: {}", display_chain(&e));
            ExitCode::from(e.exit_kind() as u8)
        }
    }
}

fn run(command: Command) -> Result<(), Error> {
    let mailroom = Mailroom::new(Dirs::from_env()?);
    match command {
        Command::Send(args) => send::run(&mailroom, *args),
        Command::Drafts(command) => drafts::run(&mailroom, *command),
        Command::Outbox(command) => outbox::run(&mailroom, *command),
        Command::Sent(command) => outbox::run_sent(&mailroom, command),
        Command::Profile(command) => profile::run(&mailroom.dirs, command),
    }
}

/// Reads all of standard input, for a body or a password piped in.
fn read_stdin(what: &str) -> Result<String, Error> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Input {
            what: format!("reading {what} from standard input"),
            source,
        })?;
    Ok(text)
}

/// A password from standard input (`--password-stdin`, one line) or, on a terminal, a
/// prompt that does not echo. Never from the command line.
fn read_password(from_stdin: bool, prompt: &str) -> Result<Password, Error> {
    let text = if from_stdin || !std::io::stdin().is_terminal() {
        let text = read_stdin("the password")?;
        text.lines().next().unwrap_or_default().to_string()
    } else {
        rpassword::prompt_password(prompt).map_err(|source| Error::Input {
            what: "reading the password".into(),
            source,
        })?
    };
    if text.is_empty() {
        return Err(Error::Input {
            what: "the password".into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "it is empty"),
        });
    }
    Ok(Password::new(text))
}
