//! `mailroom profile edit ID`: changes what the flags name (From, the IMAP server and
//! what is kept there) and keeps the rest.

use clap::Args;

use super::profile_imap::{ImapArgs, bad};
use crate::error::Error;
use crate::paths::Dirs;
use crate::profile::{Profiles, Server};
use crate::service::{Mailroom, WithoutKeyring};

#[derive(Debug, Args)]
pub struct EditArgs {
    id: String,
    /// The identity to send as, e.g. "Ana Lima <ana@example.org>".
    #[arg(long)]
    from: Option<String>,
    #[command(flatten)]
    imap: ImapArgs,
}

/// `profile edit ID …`: changes what the flags name, keeps the rest (its place in the
/// list, whether it is the default, its password).
pub fn edit(dirs: &Dirs, profiles: &Profiles, args: EditArgs) -> Result<(), Error> {
    if args.from.is_none() && args.imap.is_empty() {
        return Err(bad(
            "profile edit",
            "nothing to change: give --from or an --imap-… flag (see --help)",
        ));
    }
    let mut profile = profiles.get(&args.id)?.clone();
    if let Some(from) = &args.from {
        crate::profile::store::validate_from(from)?;
        profile.from = from.clone();
    }
    if !args.imap.is_empty() {
        let Server::Smtp(smtp) = &mut profile.server else {
            return Err(bad(
                "--imap-host",
                &format!(
                    "\"{}\" is a folder profile: it sends nowhere, so nothing is filed",
                    args.id
                ),
            ));
        };
        args.imap.apply(&args.id, smtp)?;
    }
    let summary = profile.summary();
    Mailroom::new(dirs.clone()).save_profile(
        profile,
        None,
        Some(&args.id),
        WithoutKeyring::Refuse,
    )?;
    say!("Changed \"{}\": {summary}", args.id);
    Ok(())
}
