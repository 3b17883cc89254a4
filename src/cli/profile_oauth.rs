//! `mailroom profile login | logout | status`: OAuth2 sign-in from the command line
//! ([`crate::oauth`]). `login` opens the system browser (`BROWSER` first) and waits for
//! it on a loopback port; `--device-code` prints a code and an address to enter it at,
//! for a machine without a browser.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use crate::error::Error;
use crate::oauth::{OAuthError, flow, provider, tokens};
use crate::profile::{Auth, OAuth2, Profile, Server};

/// How long the browser (or the device code) may take, unless
/// `MAILROOM_OAUTH2_DEADLINE_SECS` says otherwise.
const SIGN_IN_DEADLINE: Duration = Duration::from_secs(300);
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(30);

fn oauth2_of(profile: &Profile) -> Result<(&OAuth2, Option<&str>), Error> {
    match &profile.server {
        Server::Smtp(s) if s.auth == Auth::OAuth2 => match s.oauth2.as_deref() {
            Some(settings) => Ok((settings, s.username.as_deref())),
            None => Err(OAuthError::UnknownProvider(String::new()).into()),
        },
        _ => Err(Error::Argument {
            what: format!("profile \"{}\"", profile.id),
            why: "it signs in with a password, not OAuth2 (mailroom profile set-password)".into(),
        }),
    }
}

/// Signs in and stores the tokens in the keyring.
pub fn login(profile: &Profile, device_code: bool) -> Result<(), Error> {
    let (settings, user) = oauth2_of(profile)?;
    let endpoints = provider::endpoints(settings, DISCOVERY_TIMEOUT)?;
    let deadline = Instant::now() + sign_in_deadline();
    let tokens = if device_code {
        flow::sign_in_with_device_code(
            &endpoints,
            |code| {
                say!(
                    "To sign in, open {} and enter the code {} (within {} minutes).",
                    code.verification_uri,
                    code.user_code,
                    code.expires_in.as_secs() / 60
                );
            },
            deadline,
        )?
    } else {
        flow::sign_in_with_browser(
            &endpoints,
            user,
            |url| {
                say!("Opening the browser to sign in with {}…", endpoints.name);
                webbrowser::open(url).map_err(|e| OAuthError::NoBrowser(e.to_string(), url.into()))
            },
            deadline,
            &AtomicBool::new(false),
        )?
    };
    tokens::save(&profile.id, &tokens)?;
    say!(
        "Signed in as {} ({}). The sign-in is kept in the keyring.",
        user.unwrap_or(&profile.id),
        endpoints.name
    );
    Ok(())
}

/// [`SIGN_IN_DEADLINE`], or `MAILROOM_OAUTH2_DEADLINE_SECS` (whole seconds, more than
/// 0): for a person who needs longer, and for tests of a browser that never answers.
fn sign_in_deadline() -> Duration {
    std::env::var("MAILROOM_OAUTH2_DEADLINE_SECS")
        .ok()
        .and_then(|secs| secs.trim().parse::<u64>().ok())
        .filter(|&secs| secs > 0)
        .map_or(SIGN_IN_DEADLINE, Duration::from_secs)
}

/// Forgets the tokens.
pub fn logout(profile: &Profile) -> Result<(), Error> {
    oauth2_of(profile)?;
    if tokens::forget(&profile.id)? {
        say!(
            "Signed out of \"{}\": its tokens are gone from the keyring.",
            profile.id
        );
    } else {
        say!("\"{}\" was not signed in.", profile.id);
    }
    Ok(())
}

/// Whether the profile is signed in, and until when its access token is good.
pub fn status(profile: &Profile) -> Result<(), Error> {
    let (_, user) = oauth2_of(profile)?;
    let user = user.unwrap_or(&profile.id);
    match tokens::load(&profile.id)? {
        None => say!(
            "\"{}\" is not signed in: mailroom profile login {}",
            profile.id,
            profile.id
        ),
        Some(set) => {
            let until = set
                .expires_at
                .map(|at| format!(", access token valid until {}", crate::when::local(at)))
                .unwrap_or_default();
            let renew = if set.refresh.is_some() {
                "renewed by itself"
            } else {
                "no refresh token: sign in again when it expires"
            };
            say!("Signed in as {user}{until} ({renew}).");
        }
    }
    Ok(())
}
