//! `mailroom profile …`: accounts in `profiles.toml`, passwords in the keyring.

use std::path::PathBuf;

use clap::Subcommand;

use super::profile_edit::{self, EditArgs};
use super::profile_email::{self, Given};
use super::profile_imap::ImapArgs;
use super::profile_oauth;
use super::read_password;
use crate::error::Error;
use crate::paths::Dirs;
use crate::profile::secret;
use crate::profile::{Auth, Profile, Profiles, Security, Server, SmtpServer};
use crate::service::{Mailroom, WithoutKeyring};
use crate::transport::smtp::normalize_fingerprint;

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Add an SMTP account (or, with --folder, a folder that collects .eml files). With
    /// --email alone, the server is found from the address, tested, then saved.
    Add(Box<AddArgs>),
    /// Change a profile: its From, its IMAP server (where sent messages are filed).
    Edit(Box<EditArgs>),
    /// Find the settings for an email address and say where each came from; saves nothing.
    Detect {
        /// The address, e.g. ana@example.org.
        email: String,
        /// Print one JSON object instead of lines.
        #[arg(long)]
        json: bool,
    },
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
    /// Sign in to an OAuth2 profile: opens the browser (BROWSER is honoured).
    Login {
        id: String,
        /// No browser here: print a code and an address to enter it at (Microsoft, and
        /// issuers that offer it; Google does not for mail).
        #[arg(long)]
        device_code: bool,
    },
    /// Forget an OAuth2 profile's sign-in (its tokens in the keyring).
    Logout { id: String },
    /// Whether an OAuth2 profile is signed in, and until when its token is good.
    Status { id: String },
}

#[derive(Debug, clap::Args)]
pub struct AddArgs {
    id: String,
    /// Your email address: the server, port, security and username are found from it
    /// (any flag given wins), the connection tested, and From set to it.
    #[arg(long, conflicts_with = "folder")]
    email: Option<String>,
    /// Your name, for From with --email: "Ana Lima" gives "Ana Lima <ana@example.org>".
    #[arg(long, requires = "email")]
    name: Option<String>,
    /// The identity to send as, e.g. "Me <me@example.org>" (with --email: the address).
    #[arg(long, required_unless_present = "email")]
    from: Option<String>,
    /// The SMTP server's host name, e.g. smtp.example.org.
    #[arg(long, required_unless_present_any = ["folder", "email"])]
    host: Option<String>,
    /// tls (implicit, 465), starttls (587) or plain (25, unencrypted). Default: starttls,
    /// or what --email found.
    #[arg(long)]
    security: Option<Security>,
    /// Default: the usual port for --security.
    #[arg(long)]
    port: Option<u16>,
    /// The login name; implies --auth password.
    #[arg(long)]
    user: Option<String>,
    /// none, password or oauth2 (default: password when --user is given; what --email
    /// found).
    #[arg(long)]
    auth: Option<Auth>,
    /// Sign in with OAuth2 at this OpenID Connect issuer (its endpoints by discovery),
    /// e.g. https://id.corp.example/realms/mail.
    #[arg(long, conflicts_with = "folder")]
    oauth2_issuer: Option<String>,
    /// Sign in with OAuth2 at a provider Mailroom knows: microsoft or google (default:
    /// the one --email found).
    #[arg(long, conflicts_with = "folder")]
    oauth2_provider: Option<String>,
    /// This installation's OAuth2 client id (see README: registering Mailroom).
    #[arg(long, conflicts_with = "folder")]
    oauth2_client_id: Option<String>,
    /// The client secret Google gives with a "Desktop app" client id (not the person's
    /// secret: Google ships it in every copy of a desktop app). Needs --oauth2-client-id.
    #[arg(long, conflicts_with = "folder", requires = "oauth2_client_id")]
    oauth2_client_secret: Option<String>,
    /// An OAuth2 scope to ask for instead of the provider's (repeat for several).
    #[arg(long = "oauth2-scope", conflicts_with = "folder")]
    oauth2_scopes: Vec<String>,
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
    #[arg(long, conflicts_with_all = ["host", "user", "password_stdin", "password_command", "imap_host"])]
    folder: Option<PathBuf>,
    #[command(flatten)]
    imap: ImapArgs,
}

pub fn run(dirs: &Dirs, command: ProfileCommand) -> Result<(), Error> {
    let mut profiles = Profiles::load_or_init(dirs)?;
    let path = dirs.profiles_file();
    match command {
        ProfileCommand::Add(args) => add(dirs, &profiles, *args),
        ProfileCommand::Edit(args) => profile_edit::edit(dirs, &profiles, *args),
        ProfileCommand::Detect { email, json } => profile_email::detect_command(&email, json),
        ProfileCommand::List { json: false } => {
            list(&profiles);
            Ok(())
        }
        ProfileCommand::List { json: true } => {
            say!("{}", list_json(&profiles));
            Ok(())
        }
        ProfileCommand::Test { id } => test(&Mailroom::new(dirs.clone()), profiles.get(&id)?, None),
        ProfileCommand::Remove { id } => remove(dirs, &id),
        ProfileCommand::SetPassword { id, password_stdin } => {
            let profile = profiles.get(&id)?;
            let password = read_password(password_stdin, &format!("Password for {id}: "))?;
            secret::store(&profile.id, &password)?;
            say!("Stored the password for \"{id}\" in the keyring.");
            Ok(())
        }
        ProfileCommand::Login { id, device_code } => {
            profile_oauth::login(profiles.get(&id)?, device_code)
        }
        ProfileCommand::Logout { id } => profile_oauth::logout(profiles.get(&id)?),
        ProfileCommand::Status { id } => profile_oauth::status(profiles.get(&id)?),
        ProfileCommand::Default { id } => {
            profiles.set_default(&id)?;
            profiles.save(&path)?;
            say!("\"{id}\" is now the default profile.");
            Ok(())
        }
    }
}

fn add(dirs: &Dirs, profiles: &Profiles, args: AddArgs) -> Result<(), Error> {
    let (profile, origins) = match &args.email {
        Some(email) => {
            let (mut profile, origins) = profile_email::profile_for(&Given {
                id: &args.id,
                email,
                name: args.name.as_deref(),
                from: args.from.as_deref(),
                host: args.host.as_deref(),
                port: args.port,
                security: args.security,
                user: args.user.as_deref(),
                auth: args.auth,
            })?;
            apply_expert_flags(&mut profile, &args);
            (profile, Some(origins))
        }
        None => (profile_from(&args), None),
    };
    let mut profile = profile;
    apply_oauth2_flags(&mut profile, &args)?;
    if let Server::Smtp(smtp) = &mut profile.server {
        args.imap.apply(&args.id, smtp)?;
    }
    let signs_in = matches!(&profile.server, Server::Smtp(s) if s.auth == Auth::OAuth2);
    let needs_keyring = matches!(&profile.server,
        Server::Smtp(s) if s.auth == Auth::Password && s.password_command.is_none());
    // A taken id or a bad From is said before the password is asked for.
    profiles.check_new(&profile)?;
    let password = if needs_keyring {
        Some(read_password(
            args.password_stdin,
            &format!("Password for {}: ", args.id),
        )?)
    } else {
        None
    };
    let mailroom = Mailroom::new(dirs.clone());
    if let Some(origins) = origins {
        // A found server is shown, then tested, before anything is stored (an OAuth2
        // profile is tested once signed in: it has no token yet).
        print_origins(&origins);
        if !signs_in {
            test(&mailroom, &profile, password.as_ref())?;
        }
    }
    let saved = mailroom.save_profile(profile.clone(), password, None, WithoutKeyring::Refuse)?;
    say!("Added \"{}\": {}", profile.id, profile.summary());
    if signs_in {
        say!(
            "It signs in through the browser: mailroom profile login {} (--device-code without a browser).",
            profile.id
        );
    }
    if saved.profiles.default != profiles.default {
        say!(
            "It is now the default profile (`mailroom profile default {}` picks another).",
            profiles.default.as_deref().unwrap_or("ID")
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

/// The OAuth2 flags: `--oauth2-issuer` or `--oauth2-provider` make the profile sign in
/// with OAuth2; a profile that does (detection said so, or `--auth oauth2`) without
/// either is matched to a provider Mailroom knows by its server's host name.
fn apply_oauth2_flags(profile: &mut Profile, args: &AddArgs) -> Result<(), Error> {
    let Server::Smtp(smtp) = &mut profile.server else {
        return Ok(());
    };
    if args.oauth2_issuer.is_some() || args.oauth2_provider.is_some() {
        smtp.auth = Auth::OAuth2;
    }
    if smtp.auth != Auth::OAuth2 {
        return Ok(());
    }
    let provider = match (&args.oauth2_issuer, &args.oauth2_provider) {
        (Some(_), _) => "oidc".to_string(),
        (None, Some(provider)) => provider.to_ascii_lowercase(),
        (None, None) => crate::oauth::provider::for_host(&smtp.host).ok_or_else(|| {
            crate::oauth::OAuthError::UnknownProvider(format!(
                "for {} (give --oauth2-issuer URL, or --oauth2-provider)",
                smtp.host
            ))
        })?,
    };
    if let Some(issuer) = &args.oauth2_issuer {
        crate::oauth::provider::check_url("the issuer", issuer)?;
    }
    if smtp.username.is_none() {
        smtp.username =
            crate::message::address::parse_list(crate::message::Field::From, &profile.from)
                .ok()
                .and_then(|list| list.first().map(|m| m.email.to_string()));
    }
    smtp.oauth2 = Some(Box::new(crate::profile::OAuth2 {
        provider,
        issuer: args.oauth2_issuer.clone(),
        client_id: args.oauth2_client_id.clone(),
        client_secret: args.oauth2_client_secret.clone(),
        scopes: args.oauth2_scopes.clone(),
    }));
    Ok(())
}

/// The flags detection never fills, applied to a profile it did.
fn apply_expert_flags(profile: &mut Profile, args: &AddArgs) {
    if let Server::Smtp(smtp) = &mut profile.server {
        smtp.password_command = args.password_command.clone();
        smtp.ca_file = args.ca_file.clone();
        smtp.pin_sha256 = args.pin_sha256.as_deref().map(normalize_fingerprint);
        smtp.timeout_secs = args.timeout_secs;
    }
}

/// `  server    smtp.example.org   from the Thunderbird ISP database`, the last word on
/// each setting (a flag after what was found).
fn print_origins(origins: &[profile_email::Origin]) {
    let mut shown: Vec<&profile_email::Origin> = Vec::new();
    for origin in origins {
        match shown.iter_mut().find(|o| o.setting == origin.setting) {
            Some(slot) => *slot = origin,
            None => shown.push(origin),
        }
    }
    for o in shown {
        say!("  {:<9} {:<32} {}", o.setting, o.value, o.from);
    }
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
            let security = args.security.unwrap_or(Security::Starttls);
            let mut smtp = SmtpServer::new(host, security, auth);
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
        from: args.from.clone().unwrap_or_default(), // clap requires it without --email
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

fn test(
    mailroom: &Mailroom,
    profile: &Profile,
    typed: Option<&secret::Password>,
) -> Result<(), Error> {
    let test = mailroom.test_connection(profile, typed)?;
    say!("{}", test.connected());
    if test.folder {
        return Ok(());
    }
    say!("Server offers: {}", test.capabilities.join(", "));
    match &test.login {
        Some((user, reply)) => say!("Logged in as {user}: {reply}"),
        None => say!("No login (auth = none)"),
    }
    match &test.imap {
        Some(Ok(found)) => say!("{found}"),
        Some(Err(problem)) => say!("IMAP: {problem}"),
        None => say!("No IMAP server: sent messages are kept in sent/ only"),
    }
    Ok(())
}

fn remove(dirs: &Dirs, id: &str) -> Result<(), Error> {
    let removed = Mailroom::new(dirs.clone()).remove_profile(id)?;
    let note = match (removed.password, removed.sign_in) {
        (true, _) => " and its password in the keyring",
        (_, true) => " and its sign-in in the keyring",
        _ => "",
    };
    say!("Removed \"{id}\"{note}.");
    Ok(())
}
