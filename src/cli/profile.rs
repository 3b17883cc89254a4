//! `mailroom profile …`: accounts in `profiles.toml`, passwords in the keyring.

use std::path::PathBuf;

use clap::Subcommand;

use super::read_password;
use crate::error::Error;
use crate::paths::Dirs;
use crate::profile::secret;
use crate::profile::{Auth, Profile, Profiles, Security, Server, SmtpServer};
use crate::service::Mailroom;
use crate::transport::smtp::normalize_fingerprint;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add an SMTP account (or, with --folder, a folder that collects .eml files).
    Add(Box<AddArgs>),
    /// List the profiles; * marks the default.
    List {
        /// Print JSON (an array) instead of lines.
        #[arg(long)]
        json: bool,
    },
    /// Connect, secure the connection, log in, and print what the server said.
    Test { id: String },
    /// Remove a profile and its password in the keyring.
    Remove { id: String },
    /// Store a new password in the keyring.
    SetPassword {
        id: String,
        /// Read the password from standard input instead of a prompt.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Make this profile the one used when none is named.
    Default { id: String },
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    id: String,
    /// The identity to send as, e.g. "Me <me@example.org>".
    #[arg(long)]
    from: String,
    /// The SMTP server's host name, e.g. smtp.example.org.
    #[arg(long, required_unless_present = "folder")]
    host: Option<String>,
    /// tls (implicit, 465), starttls (587) or plain (25, unencrypted).
    #[arg(long, default_value = "starttls")]
    security: Security,
    /// Default: the usual port for --security.
    #[arg(long)]
    port: Option<u16>,
    /// The login name; implies --auth password.
    #[arg(long)]
    user: Option<String>,
    /// none or password (default: password when --user is given).
    #[arg(long)]
    auth: Option<Auth>,
    /// Read the password from standard input (never give it as an argument).
    #[arg(long)]
    password_stdin: bool,
    /// A command that prints the password (e.g. "pass show mail/work") instead of the keyring.
    #[arg(long)]
    password_command: Option<String>,
    /// An extra CA certificate (PEM) to trust.
    #[arg(long)]
    ca_file: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint (self-signed servers).
    #[arg(long)]
    pin_sha256: Option<String>,
    /// Give up on a server that does not answer for this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout_secs: u64,
    /// Instead of a server: write each message as .eml into this folder.
    #[arg(long, conflicts_with_all = ["host", "user", "password_stdin", "password_command"])]
    folder: Option<PathBuf>,
}

pub fn run(dirs: &Dirs, command: ProfileCommand) -> Result<(), Error> {
    let mut profiles = Profiles::load_or_init(dirs)?;
    let path = dirs.profiles_file();
    match command {
        ProfileCommand::Add(args) => add(&mut profiles, *args, &path),
        ProfileCommand::List { json: false } => {
            list(&profiles);
            Ok(())
        }
        ProfileCommand::List { json: true } => {
            say!("{}", list_json(&profiles));
            Ok(())
        }
        ProfileCommand::Test { id } => test(&Mailroom::new(dirs.clone()), profiles.get(&id)?),
        ProfileCommand::Remove { id } => remove(&mut profiles, &id, &path),
        ProfileCommand::SetPassword { id, password_stdin } => {
            let profile = profiles.get(&id)?;
            let password = read_password(password_stdin, &format!("Password for {id}: "))?;
            secret::store(&profile.id, &password)?;
            say!("Stored the password for \"{id}\" in the keyring.");
            Ok(())
        }
        ProfileCommand::Default { id } => {
            profiles.set_default(&id)?;
            profiles.save(&path)?;
            say!("\"{id}\" is now the default profile.");
            Ok(())
        }
    }
}

fn add(profiles: &mut Profiles, args: AddArgs, path: &std::path::Path) -> Result<(), Error> {
    let profile = profile_from(&args);
    let needs_keyring = matches!(&profile.server,
        Server::Smtp(s) if s.auth == Auth::Password && s.password_command.is_none());
    let default_before = profiles.default.clone();
    profiles.add(profile.clone())?;
    if needs_keyring {
        let password = read_password(args.password_stdin, &format!("Password for {}: ", args.id))?;
        secret::store(&profile.id, &password)?;
    }
    if let Err(e) = profiles.save(path) {
        if needs_keyring {
            let _ = secret::delete(&profile.id);
        }
        return Err(e.into());
    }
    say!("Added \"{}\": {}", profile.id, profile.summary());
    if profiles.default != default_before {
        say!(
            "It is now the default profile (`mailroom profile default {}` picks another).",
            default_before.as_deref().unwrap_or("ID")
        );
    }
    if needs_keyring {
        say!(
            "The password is in the keyring (service \"{}\", user \"{}\").",
            secret::SERVICE,
            profile.id
        );
    }
    Ok(())
}

/// The profiles as `profile list --json` prints them: an array, like the other lists,
/// each with `"default": true|false`. No password is in a profile to print.
fn list_json(profiles: &Profiles) -> String {
    let list: Vec<serde_json::Value> = profiles
        .list
        .iter()
        .map(|p| {
            let mut value = serde_json::to_value(p).unwrap_or_default();
            if let Some(object) = value.as_object_mut() {
                let default = profiles.default.as_deref() == Some(p.id.as_str());
                object.insert("default".into(), default.into());
            }
            value
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_default()
}

fn profile_from(args: &AddArgs) -> Profile {
    let server = match &args.folder {
        Some(folder) => Server::Folder {
            path: folder.clone(),
        },
        None => {
            let host = args.host.clone().unwrap_or_default(); // clap requires it without --folder
            let auth = args.auth.unwrap_or(if args.user.is_some() {
                Auth::Password
            } else {
                Auth::None
            });
            let mut smtp = SmtpServer::new(host, args.security, auth);
            smtp.port = args.port.unwrap_or(smtp.port);
            smtp.username = args.user.clone();
            smtp.password_command = args.password_command.clone();
            smtp.ca_file = args.ca_file.clone();
            smtp.pin_sha256 = args.pin_sha256.as_deref().map(normalize_fingerprint);
            smtp.timeout_secs = args.timeout_secs;
            Server::Smtp(smtp)
        }
    };
    Profile {
        id: args.id.clone(),
        from: args.from.clone(),
        server,
    }
}

fn list(profiles: &Profiles) {
    for profile in &profiles.list {
        let mark = if profiles.default.as_deref() == Some(profile.id.as_str()) {
            "*"
        } else {
            " "
        };
        say!(
            "{mark} {:<12} {:<32} {}",
            profile.id,
            profile.from,
            profile.summary()
        );
    }
}

fn test(mailroom: &Mailroom, profile: &Profile) -> Result<(), Error> {
    let test = mailroom.test_connection(profile, None)?;
    say!("{}", test.connected());
    if test.folder {
        return Ok(());
    }
    say!("Server offers: {}", test.capabilities.join(", "));
    match &test.login {
        Some((user, reply)) => say!("Logged in as {user}: {reply}"),
        None => say!("No login (auth = none)"),
    }
    Ok(())
}

fn remove(profiles: &mut Profiles, id: &str, path: &std::path::Path) -> Result<(), Error> {
    let uses_keyring = matches!(&profiles.get(id)?.server,
        Server::Smtp(s) if s.auth == Auth::Password && s.password_command.is_none());
    let had_password = uses_keyring && secret::delete(id)?;
    profiles.remove(id)?;
    profiles.save(path)?;
    let note = if had_password {
        " and its password in the keyring"
    } else {
        ""
    };
    say!("Removed \"{id}\"{note}.");
    Ok(())
}
