//! `mailroom send`: a message from flags (or a Logic Apps JSON payload), sent now,
//! queued for later with `--at` / `--in`, or written to a `.eml` file with `--eml`.

use std::path::PathBuf;

use clap::Args;

use super::message_args::{MessageArgs, WhenArgs, check_eml_target, local, say_who_sends_it};
use crate::error::Error;
use crate::message::logic_apps;
use crate::service::{Mailroom, ServerCopy};
use crate::store::write_atomic;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The profile to send with (default: the default profile; see `profile list`).
    #[arg(long, short)]
    profile: Option<String>,
    /// A Logic Apps SMTP connector `Email` payload (JSON) holding the whole message.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["to", "cc", "bcc", "subject", "body", "body_file", "html", "markdown", "attach", "inline", "from"])]
    json: Option<PathBuf>,
    #[command(flatten)]
    message: MessageArgs,
    #[command(flatten)]
    when: WhenArgs,
    /// Write the exact message recipients would get to this .eml file (no Bcc header;
    /// `drafts export` keeps it) and send nothing.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["at", "in_"])]
    eml: Option<PathBuf>,
    /// With --eml: overwrite the file if it exists.
    #[arg(long, requires = "eml")]
    force: bool,
}

pub fn run(mailroom: &Mailroom, args: SendArgs) -> Result<(), Error> {
    let now = mailroom.now();
    let draft = match &args.json {
        Some(path) => logic_apps::read(path).map_err(|source| Error::Payload {
            path: path.display().to_string(),
            source,
        })?,
        None => args.message.to_draft()?,
    };
    let profile = args.profile.as_deref();

    if let Some(path) = &args.eml {
        check_eml_target(path, args.force)?;
        let (_, message) = mailroom.build(profile, &draft)?;
        let bytes = message.transmitted();
        write_atomic(path, &bytes).map_err(|e| Error::Output {
            what: format!("writing {}", e.path.display()),
            source: e.source,
        })?;
        let bcc = draft.bcc.trim();
        let left_out = if bcc.is_empty() {
            String::new()
        } else {
            format!(", without the Bcc header ({bcc}): it is what recipients get")
        };
        say!(
            "Wrote {} ({} bytes){left_out}; nothing was sent.",
            path.display(),
            bytes.len()
        );
        return Ok(());
    }
    if let Some(send_at) = args.when.resolve(now)? {
        let entry = mailroom.schedule_new(profile, draft, send_at, now)?;
        say!(
            "Scheduled {} for {} with profile \"{}\".",
            entry.id,
            local(entry.send_at),
            entry.profile
        );
        say_who_sends_it();
        return Ok(());
    }
    let sent = mailroom.send_now(profile, &draft, now)?;
    print_sent(&sent);
    Ok(())
}

/// What the server said; and, the message having gone out (exit 0: sending it again
/// would duplicate it), whether its copy could not be kept in `sent/`.
pub(super) fn print_sent(sent: &crate::service::SentNow) {
    say!(
        "Sent to {}: {}",
        sent.recipients.join(", "),
        sent.accepted.reply
    );
    if let Err(problem) = &sent.sent_copy {
        eprintln!("mailroom: sent, but no copy was kept in sent/: {problem}");
    }
    match &sent.server_copy {
        ServerCopy::NotWanted => {}
        ServerCopy::Filed => say!("A copy is in the Sent folder on the server."),
        ServerCopy::Pending(why) => eprintln!(
            "mailroom: sent, but the copy is not in the server's Sent folder yet ({why}); \
             the outbox runner files it later (`mailroom outbox run`)"
        ),
        ServerCopy::NotQueued(why) => {
            eprintln!(
                "mailroom: sent, but no copy will be filed in the server's Sent folder: {why}"
            )
        }
        ServerCopy::Failed(why) => eprintln!(
            "mailroom: sent, but the server would not take its copy in the Sent folder: {why} \
             (`mailroom outbox retry-copies` tries again)"
        ),
    }
}
