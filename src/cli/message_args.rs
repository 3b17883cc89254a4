//! The message flags `send`, `drafts new` and `drafts edit` share, and the `--at` /
//! `--in` pair that says when.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;
use jiff::{Timestamp, Zoned};

use crate::error::Error;
use crate::message::{Attachment, BodyFormat, Draft, Importance};
use crate::when;

#[derive(Debug, Args, Default)]
pub struct MessageArgs {
    /// Sender, e.g. "Me <me@example.org>" (default: the profile's identity).
    #[arg(long)]
    pub from: Option<String>,
    /// Recipients; repeat the flag or separate with commas.
    #[arg(long)]
    pub to: Vec<String>,
    /// Copy recipients; repeat the flag or separate with commas.
    #[arg(long)]
    pub cc: Vec<String>,
    /// Blind copy recipients: in the envelope only, never in the sent headers.
    #[arg(long)]
    pub bcc: Vec<String>,
    /// Where replies should go, when not to the sender.
    #[arg(long)]
    pub reply_to: Option<String>,
    /// The subject line.
    #[arg(long, short)]
    pub subject: Option<String>,
    /// The body text (else --body-file, else standard input when it is not a terminal).
    #[arg(long, conflicts_with = "body_file")]
    pub body: Option<String>,
    /// Read the body text from this file.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
    /// The body is HTML; a plain-text alternative is derived from it.
    #[arg(long, conflicts_with = "markdown")]
    pub html: bool,
    /// The body is Markdown (CommonMark): sent as HTML, the Markdown as the plain part.
    #[arg(long)]
    pub markdown: bool,
    /// Attach a file; repeat for more.
    #[arg(long, value_name = "FILE")]
    pub attach: Vec<PathBuf>,
    /// An image shown inside the HTML body as <img src="cid:FILENAME">; repeat for more.
    #[arg(long, value_name = "FILE")]
    pub inline: Vec<PathBuf>,
    /// low, normal or high (sets Importance and X-Priority).
    #[arg(long)]
    pub importance: Option<Importance>,
}

impl MessageArgs {
    /// A new draft from the flags; the body may come from standard input.
    pub fn to_draft(&self) -> Result<Draft, Error> {
        let body = match self.body_text()? {
            Some(body) => body,
            None if !std::io::stdin().is_terminal() => super::read_stdin("the body")?,
            None => String::new(),
        };
        let mut draft = Draft {
            body,
            ..Draft::default()
        };
        self.apply(&mut draft, true)?;
        Ok(draft)
    }

    /// Changes only what the flags name; `--attach` and `--inline` add files.
    pub fn edit(&self, draft: &mut Draft) -> Result<(), Error> {
        if let Some(body) = self.body_text()? {
            draft.body = body;
        }
        self.apply(draft, false)
    }

    fn apply(&self, draft: &mut Draft, fresh: bool) -> Result<(), Error> {
        let set = |field: &mut String, value: &Option<String>| {
            if let Some(value) = value {
                field.clone_from(value);
            }
        };
        let set_list = |field: &mut String, values: &[String]| {
            if !values.is_empty() {
                *field = values.join(", ");
            }
        };
        set(&mut draft.from, &self.from);
        set_list(&mut draft.to, &self.to);
        set_list(&mut draft.cc, &self.cc);
        set_list(&mut draft.bcc, &self.bcc);
        set(&mut draft.reply_to, &self.reply_to);
        set(&mut draft.subject, &self.subject);
        if self.html {
            draft.body_format = BodyFormat::Html;
        } else if self.markdown {
            draft.body_format = BodyFormat::Markdown;
        } else if fresh {
            draft.body_format = BodyFormat::Plain;
        }
        if let Some(importance) = self.importance {
            draft.importance = importance;
        }
        // Checked before anything reads them: `--attach /dev/zero` would never end.
        for path in self.attach.iter().chain(&self.inline) {
            crate::message::check_attachment_file(path)?;
        }
        draft
            .attachments
            .extend(self.attach.iter().map(Attachment::from_path));
        draft
            .attachments
            .extend(self.inline.iter().map(Attachment::inline_from_path));
        Ok(())
    }

    fn body_text(&self) -> Result<Option<String>, Error> {
        match (&self.body, &self.body_file) {
            (Some(text), _) => Ok(Some(text.clone())),
            (None, Some(path)) => read_file(path, "the body file").map(Some),
            (None, None) => Ok(None),
        }
    }
}

/// `--at` / `--in`: when to send.
#[derive(Debug, Args, Default)]
pub struct WhenArgs {
    /// When to send, in local time: "tomorrow 08:00", "2026-12-24 09:30", "24.12.2026",
    /// "monday 8am", "18:15", "now", RFC 3339. A day without a time means 08:00.
    #[arg(long, value_name = "TIME", conflicts_with = "in_")]
    pub at: Option<String>,
    /// How long from now: 90m, 2h, 1h30m, 3d (0m: now).
    #[arg(long = "in", id = "in_", value_name = "DURATION")]
    pub in_: Option<String>,
}

impl WhenArgs {
    /// `None` when neither flag was given (send now).
    pub fn resolve(&self, now: Timestamp) -> Result<Option<Timestamp>, Error> {
        let zoned = Zoned::new(now, jiff::tz::TimeZone::system());
        Ok(match (&self.at, &self.in_) {
            (Some(at), _) => Some(when::parse_at(at, &zoned)?),
            (None, Some(span)) => Some(when::parse_in(span, now)?),
            (None, None) => None,
        })
    }
}

pub fn read_file(path: &PathBuf, what: &str) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|source| Error::Input {
        what: format!("{what} {}", path.display()),
        source,
    })
}

pub use crate::when::local;

/// Checks where `--eml FILE` will write: its folder must exist (a typo is not a new
/// folder) and an existing file is kept unless `--force`.
pub fn check_eml_target(path: &std::path::Path, force: bool) -> Result<(), Error> {
    let refuse = |why: String| Error::Argument {
        what: format!("--eml {}", path.display()),
        why,
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    if !folder.is_dir() {
        return Err(refuse(format!("there is no folder {}", folder.display())));
    }
    if path.is_dir() {
        return Err(refuse("that is a folder; name a file".into()));
    }
    if path.exists() && !force {
        return Err(refuse(
            "the file exists already; add --force to overwrite it".into(),
        ));
    }
    Ok(())
}

/// Said after scheduling from the command line when nothing would send the message
/// with no window open (the window says the same in its Send later dialog).
pub fn say_who_sends_it() {
    if !crate::scheduler::will_run_unattended() {
        say!(
            "Nothing sends it while no Mailroom window is open: run `mailroom outbox install` to have the OS scheduler send it (or keep `mailroom outbox run --watch` running)."
        );
    }
}
