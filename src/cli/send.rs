//! `mailroom send`: a message from flags (or a Logic Apps JSON payload), sent now or
//! written to a `.eml` file.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use crate::error::Error;
use crate::message::{Attachment, BodyFormat, Draft, Importance, logic_apps};
use crate::paths::Dirs;
use crate::profile::Profiles;
use crate::store::write_atomic;

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The profile to send with (default: the default profile; see `profile list`).
    #[arg(long, short)]
    profile: Option<String>,
    /// A Logic Apps SMTP connector `Email` payload (JSON) holding the whole message.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["to", "cc", "bcc", "subject", "body", "body_file", "html", "attach", "inline", "from"])]
    json: Option<PathBuf>,
    /// Sender, e.g. "Me <me@example.org>" (default: the profile's identity).
    #[arg(long)]
    from: Option<String>,
    /// Recipients; repeat the flag or separate with commas.
    #[arg(long)]
    to: Vec<String>,
    #[arg(long)]
    cc: Vec<String>,
    #[arg(long)]
    bcc: Vec<String>,
    #[arg(long)]
    reply_to: Option<String>,
    #[arg(long, short, default_value = "")]
    subject: String,
    /// The body text (else --body-file, else standard input when it is not a terminal).
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// The body is HTML; a plain-text alternative is derived from it.
    #[arg(long)]
    html: bool,
    /// Attach a file; repeat for more.
    #[arg(long, value_name = "FILE")]
    attach: Vec<PathBuf>,
    /// An image shown inside the HTML body as <img src="cid:FILENAME">; repeat for more.
    #[arg(long, value_name = "FILE")]
    inline: Vec<PathBuf>,
    /// low, normal or high (sets Importance and X-Priority).
    #[arg(long, default_value = "normal")]
    importance: Importance,
    /// Write the exact message to this .eml file and send nothing.
    #[arg(long, value_name = "FILE")]
    eml: Option<PathBuf>,
}

pub fn run(dirs: &Dirs, args: SendArgs) -> Result<(), Error> {
    let profiles = Profiles::load_or_init(dirs)?;
    let profile = profiles.resolve(args.profile.as_deref())?;
    let draft = draft_from(&args)?;
    let message = crate::send::build(profile, &draft)?;

    if let Some(path) = &args.eml {
        let bytes = message.formatted();
        write_atomic(path, &bytes).map_err(|e| Error::Output {
            what: format!("writing {}", e.path.display()),
            source: e.source,
        })?;
        println!(
            "Wrote {} ({} bytes); nothing was sent.",
            path.display(),
            bytes.len()
        );
        return Ok(());
    }
    let accepted = crate::send::send_now(profile, &message)?;
    let recipients: Vec<String> = message
        .recipients()
        .iter()
        .map(ToString::to_string)
        .collect();
    println!(
        "Sent to {} with profile \"{}\": {}",
        recipients.join(", "),
        profile.id,
        accepted.reply
    );
    Ok(())
}

fn draft_from(args: &SendArgs) -> Result<Draft, Error> {
    if let Some(path) = &args.json {
        let json = read_file(path, "the JSON payload")?;
        return logic_apps::parse(&json).map_err(|source| Error::Payload {
            path: path.display().to_string(),
            source,
        });
    }
    let body = match (&args.body, &args.body_file) {
        (Some(text), _) => text.clone(),
        (None, Some(path)) => read_file(path, "the body file")?,
        (None, None) if !std::io::stdin().is_terminal() => super::read_stdin("the body")?,
        (None, None) => String::new(),
    };
    let attachments = args
        .attach
        .iter()
        .map(Attachment::from_path)
        .chain(args.inline.iter().map(Attachment::inline_from_path))
        .collect();
    Ok(Draft {
        from: args.from.clone().unwrap_or_default(),
        to: args.to.join(", "),
        cc: args.cc.join(", "),
        bcc: args.bcc.join(", "),
        reply_to: args.reply_to.clone().unwrap_or_default(),
        subject: args.subject.clone(),
        body,
        body_format: if args.html {
            BodyFormat::Html
        } else {
            BodyFormat::Plain
        },
        attachments,
        importance: args.importance,
        ..Draft::default()
    })
}

fn read_file(path: &PathBuf, what: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Input {
        what: format!("{what} {}", path.display()),
        source,
    })
}
