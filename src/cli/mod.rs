//! The `mailroom` command line: each command a thin call into the core. Errors are
//! printed once, with their chain, and the exit code says what kind of failure it was:
//! 0 sent / done, 1 the machine got in the way, 2 bad input, 3 temporary, 4 permanent.

/// `println!` for the commands: a reader that has gone (`mailroom drafts show ID | head
/// -1`) ends the command quietly, as it ends every Unix tool, instead of a panic.
macro_rules! say {
    () => {
        $crate::cli::say_line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::cli::say_line(format_args!($($arg)*))
    };
}

mod compose;
mod desktop;
mod drafts;
mod message_args;
mod outbox;
mod profile;
mod profile_edit;
mod profile_email;
mod profile_imap;
mod profile_oauth;
mod send;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::error::{Error, ExitKind, display_chain};
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
    /// The menu entry, icon and mailto: handler for this user.
    #[command(subcommand)]
    Desktop(desktop::DesktopCommand),
    /// Print the shell completion script, e.g. `mailroom completions bash`.
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Write what a package installs besides the binary and assets/ (the manual page,
    /// completions, the systemd user units) into a folder (scripts/build-deb.sh).
    #[command(hide = true)]
    PackageFiles {
        /// The folder to write them in.
        folder: std::path::PathBuf,
    },
    /// Open the compose window: a new message, one from a mailto: link or a saved .eml,
    /// or a draft. While the window is open, this opens it there.
    Compose {
        /// A mailto: URI (RFC 6068), e.g. "mailto:ana@example.org?subject=Hi", or a saved
        /// message to open as a new draft (a path or a file:// URI).
        #[arg(value_name = "MAILTO-OR-FILE")]
        mailto: Option<String>,
        /// Reopen this draft (its id, from `drafts list`).
        #[arg(long, conflicts_with = "mailto")]
        draft: Option<String>,
    },
}

/// `text` safe to print on a terminal: a control character (ESC, CR, BEL, …; not TAB)
/// shows as `\u{1b}` instead of being obeyed. A draft's fields come from anywhere (an
/// imported `.eml`, a Logic Apps payload), and a terminal runs the escapes it is sent.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(text, &['\t'])
}

/// A message body safe to print: as [`printable`], keeping its line breaks (CRLF
/// printed as LF; a lone CR, which would let a line overwrite itself, escaped).
pub(crate) fn printable_body(text: &str) -> String {
    escape_controls(&text.replace("\r\n", "\n"), &['\t', '\n']).into_owned()
}

fn escape_controls<'a>(text: &'a str, kept: &[char]) -> std::borrow::Cow<'a, str> {
    let escaped = |c: char| c.is_control() && !kept.contains(&c);
    if !text.chars().any(escaped) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| {
            if escaped(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Writes one line on standard output; see [`say!`].
pub(crate) fn say_line(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("mailroom: writing to standard output: {e}");
            std::process::exit(ExitKind::Environment as i32);
        }
        std::process::exit(0);
    }
}

/// Runs the command line and returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Compose {
        mailto: None,
        draft: None,
    });
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Error::Output { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            ExitCode::SUCCESS // the reader has gone: nothing to say, and no one to say it to
        }
        Err(e) => {
            eprintln!("mailroom: {}", display_chain(&e));
            ExitCode::from(e.exit_kind() as u8)
        }
    }
}

fn run(command: Command) -> Result<(), Error> {
    // Only the commands about messages and accounts make (and tighten) the home.
    let mailroom = || -> Result<Mailroom, Error> {
        let mailroom = Mailroom::new(Dirs::from_env()?);
        mailroom.make_private();
        Ok(mailroom)
    };
    match command {
        Command::Send(args) => send::run(&mailroom()?, *args),
        Command::Drafts(command) => drafts::run(&mailroom()?, *command),
        Command::Outbox(command) => outbox::run(&mailroom()?, *command),
        Command::Sent(command) => outbox::run_sent(&mailroom()?, command),
        Command::Profile(command) => profile::run(&mailroom()?.dirs, command),
        Command::Desktop(command) => desktop::run(&mailroom()?.dirs, command),
        Command::Completions { shell } => {
            desktop::completions(shell);
            Ok(())
        }
        Command::PackageFiles { folder } => desktop::package_files(&folder),
        Command::Compose { mailto, draft } => {
            compose::open_window(mailroom()?, compose::request(mailto, draft)?)
        }
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
        return Err(Error::Argument {
            what: "the password".into(),
            why: "it is empty".into(),
        });
    }
    Ok(Password::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn control_characters_print_as_escapes_not_as_terminal_commands() {
        assert_eq!(printable("plain\ttext"), "plain\ttext");
        assert_eq!(printable("a\u{1b}[2Jb\u{7}"), "a\\u{1b}[2Jb\\u{7}");
        assert_eq!(printable("two\nlines"), "two\\u{a}lines");
        assert_eq!(
            printable_body("one\r\ntwo\rthree\n"),
            "one\ntwo\\u{d}three\n"
        );
    }

    /// Every flag of every command, with the flag's value name, when it has no line of
    /// help: `mailroom … --help` must explain each.
    fn undocumented(command: &clap::Command, path: &str, found: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "help" | "version") {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                found.push(format!("{path} --{long}"));
            }
            let names: Vec<String> = arg
                .get_value_names()
                .into_iter()
                .flatten()
                .map(ToString::to_string)
                .collect();
            if names
                .iter()
                .any(|n| n.contains('_') && n.to_lowercase() == n.as_str())
            {
                found.push(format!("{path} --{long} <{}>", names.join(" ")));
            }
        }
        for sub in command.get_subcommands() {
            undocumented(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }

    #[test]
    fn every_flag_has_a_line_of_help() {
        let mut found = Vec::new();
        undocumented(&Cli::command(), "mailroom", &mut found);
        assert!(found.is_empty(), "flags without help: {found:#?}");
    }
}
