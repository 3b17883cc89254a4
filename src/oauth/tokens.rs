//! A profile's OAuth2 tokens: one keyring entry (service `mailroom`, user
//! `<profile>#oauth2`) holding the refresh token, the access token and its expiry, so
//! the OS scheduler's every-minute `outbox run` reuses a valid access token instead of
//! refreshing each time. Nothing of it is ever written to a file, a log or `Debug`.
//!
//! [`access_token`] refreshes one minute before expiry, or at once when the server
//! refused the token in hand. The refresh happens under the profile's lock
//! (`data/oauth2-<profile>.lock`): whoever waited re-reads the keyring first, so the
//! window and the timer never both spend one refresh token. The refreshed set — a new
//! refresh token included, when the provider rotates them — is stored before its access
//! token is used, so a crash in between loses nothing. A refresh the provider refuses
//! (`invalid_grant`) forgets the tokens: the profile shows as not signed in.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::{OAuthError, flow, provider};
use crate::error::Error;
use crate::paths::Dirs;
use crate::profile::OAuth2;
use crate::profile::secret::{self, Password, SecretError};

/// Refresh this long before the access token expires.
const EARLY: SignedDuration = SignedDuration::from_secs(60);
/// How long a discovery document may take when refreshing.
const DISCOVERY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// An access token, the refresh token that renews it, and when the first expires.
#[derive(Clone)]
pub struct TokenSet {
    pub access: Password,
    pub refresh: Option<Password>,
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("refresh", &self.refresh.is_some())
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// Good for at least another minute (a token without an expiry is taken as good).
    pub fn is_fresh(&self, now: Timestamp) -> bool {
        self.expires_at
            .is_none_or(|at| at.checked_sub(EARLY).is_ok_and(|early| early > now))
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    access_token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_at: Option<Timestamp>,
}

/// The keyring user the tokens of `profile` are kept under.
pub fn keyring_user(profile: &str) -> String {
    format!("{profile}#oauth2")
}

pub fn save(profile: &str, tokens: &TokenSet) -> Result<(), SecretError> {
    let stored = Stored {
        access_token: tokens.access.expose().to_string(),
        refresh_token: tokens.refresh.as_ref().map(|r| r.expose().to_string()),
        expires_at: tokens.expires_at,
    };
    let text = serde_json::to_string(&stored).map_err(|e| SecretError::Failed {
        detail: e.to_string(),
    })?;
    secret::store(&keyring_user(profile), &Password::new(text))
}

/// The stored tokens; `None` when the profile has not signed in (or signed out). A
/// damaged entry counts as none: signing in again replaces it.
pub fn load(profile: &str) -> Result<Option<TokenSet>, SecretError> {
    let Some(text) = secret::load(&keyring_user(profile))? else {
        return Ok(None);
    };
    let Ok(stored) = serde_json::from_str::<Stored>(text.expose()) else {
        return Ok(None);
    };
    Ok(Some(TokenSet {
        access: Password::new(stored.access_token),
        refresh: stored.refresh_token.map(Password::new),
        expires_at: stored.expires_at,
    }))
}

/// Forgets the tokens (sign out, or the profile removed); `false` when there were none.
pub fn forget(profile: &str) -> Result<bool, SecretError> {
    secret::delete(&keyring_user(profile))
}

/// A valid access token for `profile`: the stored one while it is fresh and is not
/// `refused` (the one a server just turned down), else a refreshed one.
pub fn access_token(
    dirs: &Dirs,
    profile: &str,
    settings: &OAuth2,
    refused: Option<&Password>,
) -> Result<Password, Error> {
    let usable = |tokens: &TokenSet| {
        tokens.is_fresh(crate::clock::now())
            && refused.is_none_or(|r| r.expose() != tokens.access.expose())
    };
    let not_signed_in = || OAuthError::NeedsSignIn {
        profile: profile.to_string(),
        why: Some("not signed in".into()),
    };
    let tokens = load(profile)?.ok_or_else(not_signed_in)?;
    if usable(&tokens) {
        return Ok(tokens.access);
    }
    let lock_path = dirs
        .data()
        .join(format!("oauth2-{}.lock", profile.replace(['/', '\\'], "-")));
    crate::store::private::create_dir_all(dirs.data()).map_err(|source| Error::Output {
        what: format!("creating {}", dirs.data().display()),
        source,
    })?;
    let _lock = crate::store::lock::lock(&lock_path).map_err(|source| Error::Output {
        what: format!("locking {}", lock_path.display()),
        source,
    })?;
    // Another process may have refreshed while this one waited.
    let tokens = load(profile)?.ok_or_else(not_signed_in)?;
    if usable(&tokens) {
        return Ok(tokens.access);
    }
    let refresh = tokens.refresh.ok_or_else(|| OAuthError::NeedsSignIn {
        profile: profile.to_string(),
        why: Some("the provider gave no refresh token".into()),
    })?;
    let endpoints = provider::endpoints(settings, DISCOVERY_TIMEOUT)?;
    let renewed = match flow::refresh(&endpoints, &refresh, profile) {
        Ok(renewed) => renewed,
        // Revoked, expired, consent withdrawn: the refresh token is worth nothing now.
        // Forgetting it shows the profile as not signed in (the window's banner) and spares
        // the provider a refused refresh every minute.
        Err(e @ OAuthError::NeedsSignIn { .. }) => {
            let _ = forget(profile);
            return Err(e.into());
        }
        Err(e) => return Err(e.into()),
    };
    save(profile, &renewed)?;
    Ok(renewed.access)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_refreshed_a_minute_before_it_expires() {
        let now = crate::clock::fixed_now();
        let set = |secs: i64| TokenSet {
            access: Password::new("a".into()),
            refresh: None,
            expires_at: Some(now.checked_add(SignedDuration::from_secs(secs)).unwrap()),
        };
        assert!(set(3600).is_fresh(now));
        assert!(!set(30).is_fresh(now));
        assert!(!set(-5).is_fresh(now));
        let forever = TokenSet {
            expires_at: None,
            ..set(0)
        };
        assert!(forever.is_fresh(now));
    }

    #[test]
    fn tokens_never_print() {
        let set = TokenSet {
            access: Password::new("access-secret".into()),
            refresh: Some(Password::new("refresh-secret".into())),
            expires_at: None,
        };
        let shown = format!("{set:?}");
        assert!(!shown.contains("secret"), "{shown}");
    }
}
