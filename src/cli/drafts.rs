//! `mailroom drafts …`: write, keep, edit, send or schedule drafts.

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Subcommand;

use super::message_args::{MessageArgs, WhenArgs, check_eml_target, local, say_who_sends_it};
use crate::error::Error;
use crate::message::AttachmentSource;
use crate::service::Mailroom;
use crate::store::drafts::DraftSummary;
use crate::store::write_atomic;

#[derive(Debug, Subcommand)]
pub enum DraftsCommand {
    /// Keep a new draft; prints its id.
    New {
        /// The profile to send it with later (default: the default profile).
        #[arg(long, short)]
        profile: Option<String>,
        #[command(flatten)]
        message: MessageArgs,
    },
    /// List drafts, newest first.
    List {
        /// Only drafts whose subject, recipients or body contain this.
        #[arg(long)]
        search: Option<String>,
        /// Print JSON (an array) instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Show a draft (or one of its last 50 versions).
    Show {
        id: String,
        /// One of the kept earlier versions (see the version numbers in `drafts list --json`).
        #[arg(long)]
        version: Option<u32>,
    },
    /// Change what the flags name; --attach adds a file. Saves a new version.
    Edit {
        id: String,
        /// The profile to send it with later (default: the default profile).
        #[arg(long, short)]
        profile: Option<String>,
        #[command(flatten)]
        message: MessageArgs,
    },
    /// Send now, or move to the outbox with --at / --in.
    Send {
        id: String,
        #[command(flatten)]
        when: WhenArgs,
    },
    /// Delete a draft, its versions and its copied files.
    Delete { id: String },
    /// Write a draft as an .eml file: your copy, with its Bcc header (as the sent copy
    /// keeps it), so importing it back loses no recipient.
    Export {
        id: String,
        /// The file to write (its folder must exist).
        #[arg(long, value_name = "FILE")]
        eml: PathBuf,
        /// Overwrite the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Read an .eml file into a new draft; prints its id.
    Import { file: PathBuf },
}

/// One line a draft, written in one go (10,000 drafts are not 10,000 writes).
fn print_list(drafts: &[DraftSummary]) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    for d in drafts {
        let clip = if d.attachments > 0 {
            format!("  [{} attached]", d.attachments)
        } else {
            String::new()
        };
        writeln!(
            out,
            "{}  {}  {:<40}  {}{clip}",
            d.id,
            local(d.modified),
            super::printable(&d.subject),
            super::printable(&d.recipients)
        )?;
    }
    out.flush()
}

pub fn run(mailroom: &Mailroom, command: DraftsCommand) -> Result<(), Error> {
    let now = mailroom.now();
    let drafts = &mailroom.drafts;
    match command {
        DraftsCommand::New { profile, message } => {
            if let Some(id) = &profile {
                mailroom.profiles()?.get(id)?;
            }
            let record = mailroom.create_draft(profile, message.to_draft()?, now)?;
            say!("{}", record.id);
        }
        DraftsCommand::List { search, json } => {
            let listing = drafts.list(search.as_deref())?;
            for problem in &listing.quarantined {
                eprintln!("mailroom: {problem}");
            }
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&listing.drafts).unwrap_or_default()
                );
            } else if listing.drafts.is_empty() {
                say!("No drafts.");
            } else {
                print_list(&listing.drafts).map_err(|source| Error::Output {
                    what: "writing the list of drafts".into(),
                    source,
                })?;
            }
        }
        DraftsCommand::Show { id, version } => {
            let record = match version {
                Some(v) => drafts.load_version(&id, v)?,
                None => drafts.load(&id)?,
            };
            show(&record);
        }
        DraftsCommand::Edit {
            id,
            profile,
            message,
        } => {
            let mut record = drafts.load(&id)?;
            message.edit(&mut record.draft)?;
            let profile = profile.or(record.profile);
            let saved = drafts.save(&id, profile, record.draft, now)?;
            say!("Saved {} as version {}.", saved.id, saved.version);
        }
        DraftsCommand::Send { id, when } => match when.resolve(now)? {
            Some(send_at) => {
                let entry = mailroom.schedule_draft(&id, send_at, now)?;
                say!(
                    "Scheduled {} for {} (outbox id {}).",
                    id,
                    local(entry.send_at),
                    entry.id
                );
                say_who_sends_it();
            }
            None => {
                let sent = mailroom.send_draft_now(&id, now)?;
                super::send::print_sent(&sent);
            }
        },
        DraftsCommand::Delete { id } => {
            drafts.delete(&id)?;
            say!("Deleted draft {id}.");
        }
        DraftsCommand::Export { id, eml, force } => {
            check_eml_target(&eml, force)?;
            let record = drafts.load(&id)?;
            let (_, message) = mailroom.build(record.profile.as_deref(), &record.draft)?;
            write_atomic(&eml, message.record()).map_err(|e| Error::Output {
                what: format!("writing {}", e.path.display()),
                source: e.source,
            })?;
            if record.draft.bcc.trim().is_empty() {
                say!("Wrote {}.", eml.display());
            } else {
                say!("Wrote {}, with its Bcc header (your copy).", eml.display());
            }
        }
        DraftsCommand::Import { file } => {
            let record = mailroom.import_eml(&file, now)?;
            say!("{}", record.id);
        }
    }
    Ok(())
}

fn show(record: &crate::store::drafts::DraftRecord) {
    let d = &record.draft;
    say!(
        "Draft {} (version {}, saved {})",
        record.id,
        record.version,
        local(record.modified)
    );
    say!(
        "Profile: {}",
        record.profile.as_deref().unwrap_or("(default)")
    );
    let format = match d.body_format {
        crate::message::BodyFormat::Plain => "plain text",
        crate::message::BodyFormat::Html => "HTML",
        crate::message::BodyFormat::Markdown => "formatted (Markdown, sent as HTML)",
    };
    let importance = match d.importance {
        crate::message::Importance::Low => "low",
        crate::message::Importance::Normal => "normal",
        crate::message::Importance::High => "high",
    };
    say!("Format: {format}; importance: {importance}");
    for (name, value) in [
        ("From", &d.from),
        ("To", &d.to),
        ("Cc", &d.cc),
        ("Bcc", &d.bcc),
        ("Reply-To", &d.reply_to),
        ("Read receipt asked of", &d.read_receipt_to),
        ("Delivery receipt asked of", &d.delivery_receipt_to),
        ("Subject", &d.subject),
    ] {
        if !value.is_empty() {
            say!("{name}: {}", super::printable(value));
        }
    }
    for a in &d.attachments {
        let size = match &a.source {
            AttachmentSource::File(path) => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
            AttachmentSource::Bytes(bytes) => bytes.len() as u64,
        };
        let kind = if a.is_inline() {
            "Inline"
        } else {
            "Attachment"
        };
        say!("{kind}: {} ({size} bytes)", a.file_name);
    }
    say!();
    say!("{}", super::printable_body(&d.body));
}
