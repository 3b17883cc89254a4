//! The window's OAuth2 sign-ins, off the command thread: a sign-in waits on the browser
//! for minutes, so it runs on a thread of its own while the worker goes on; Cancel stops
//! it waiting. The keyring is read for each OAuth2 profile's state on every refresh.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::Emitter;
use super::protocol::{Event, SignInState};
use crate::oauth::{OAuthError, flow, provider, tokens};
use crate::profile::{Auth, Profile, Profiles, Server};

const SIGN_IN_DEADLINE: Duration = Duration::from_secs(300);
const DISCOVERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Whether each OAuth2 profile is signed in (a keyring that cannot answer counts as no).
pub fn states(profiles: &Profiles) -> Vec<SignInState> {
    profiles
        .list
        .iter()
        .filter(|p| matches!(&p.server, Server::Smtp(s) if s.auth == Auth::OAuth2))
        .map(|p| {
            let tokens = tokens::load(&p.id).ok().flatten();
            SignInState {
                profile: p.id.clone(),
                signed_in: tokens.is_some(),
                until: tokens.and_then(|t| t.expires_at),
            }
        })
        .collect()
}

/// The sign-in running now, if any: Cancel sets its flag.
#[derive(Default)]
pub struct SignIns {
    running: Option<Arc<AtomicBool>>,
}

impl SignIns {
    /// Starts signing in to `profile` through the browser (one at a time: a new one
    /// cancels the one before). Signed in, the outbox thread is poked: messages that
    /// waited for the sign-in go out.
    pub fn start(
        &mut self,
        profile: Profile,
        emit: Emitter,
        poke: std::sync::mpsc::Sender<()>,
        profiles: Profiles,
    ) {
        self.cancel();
        let cancel = Arc::new(AtomicBool::new(false));
        self.running = Some(cancel.clone());
        std::thread::spawn(move || {
            let result = sign_in(&profile, &cancel).map_err(|e| e.to_string());
            if result.is_ok() {
                let _ = poke.send(());
            }
            emit.emit(Event::SignInFinished {
                profile: profile.id.clone(),
                result,
            });
            emit.emit(Event::SignIns(states(&profiles)));
        });
    }

    pub fn cancel(&mut self) {
        if let Some(flag) = self.running.take() {
            flag.store(true, Ordering::Relaxed);
        }
    }
}

fn sign_in(profile: &Profile, cancel: &AtomicBool) -> Result<(), crate::error::Error> {
    let Server::Smtp(server) = &profile.server else {
        return Err(OAuthError::UnknownProvider(profile.id.clone()).into());
    };
    let settings = server
        .oauth2
        .as_deref()
        .ok_or_else(|| OAuthError::UnknownProvider(profile.id.clone()))?;
    let endpoints = provider::endpoints(settings, DISCOVERY_TIMEOUT)?;
    let tokens = flow::sign_in_with_browser(
        &endpoints,
        server.username.as_deref(),
        |url| webbrowser::open(url).map_err(|e| OAuthError::NoBrowser(e.to_string(), url.into())),
        Instant::now() + SIGN_IN_DEADLINE,
        cancel,
    )?;
    tokens::save(&profile.id, &tokens)?;
    Ok(())
}
