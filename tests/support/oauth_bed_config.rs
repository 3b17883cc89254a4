//! The OAuth2 test server's settings a test can change (`POST /testbed/config`), as
//! [`super::oauth_bed::OAuthBed::config`] sends them.

/// What `POST /testbed/config` changes; `None` leaves a setting as it is.
/// [`Config::defaults`] is how the bed starts.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Lifetime in seconds of the access tokens issued next; `Some(None)`: back to 3600.
    pub access_ttl: Option<Option<i64>>,
    /// A refresh issues a new refresh token and revokes the old one (Microsoft-style).
    pub rotate_refresh: Option<bool>,
    /// The next `/authorize` (or device verification page) answers `error=access_denied`.
    pub deny_next_authorize: Option<bool>,
    /// The next `/token` call answers this error (`temporarily_unavailable` → 503, others 400);
    /// `Some(None)` clears it.
    pub next_token_error: Option<Option<String>>,
    /// `expires_in` of the device codes issued next (seconds).
    pub device_expires_in: Option<u64>,
    /// `interval` of the device codes issued next (seconds).
    pub device_interval: Option<u64>,
    /// `/token` wants this client secret (a confidential or Google-style desktop client);
    /// `Some(None)`: a public client again.
    pub client_secret: Option<Option<String>>,
}

impl Config {
    /// Every setting as the bed starts.
    pub fn defaults() -> Self {
        Self {
            access_ttl: Some(None),
            rotate_refresh: Some(false),
            deny_next_authorize: Some(false),
            next_token_error: Some(None),
            device_expires_in: Some(600),
            device_interval: Some(1),
            client_secret: Some(None),
        }
    }

    pub fn form(&self) -> Vec<(&'static str, String)> {
        let mut form = Vec::new();
        if let Some(ttl) = self.access_ttl {
            form.push(("access_ttl", ttl.map(|t| t.to_string()).unwrap_or_default()));
        }
        if let Some(b) = self.rotate_refresh {
            form.push(("rotate_refresh", b.to_string()));
        }
        if let Some(b) = self.deny_next_authorize {
            form.push(("deny_next_authorize", b.to_string()));
        }
        if let Some(e) = &self.next_token_error {
            form.push(("next_token_error", e.clone().unwrap_or_default()));
        }
        if let Some(n) = self.device_expires_in {
            form.push(("device_expires_in", n.to_string()));
        }
        if let Some(n) = self.device_interval {
            form.push(("device_interval", n.to_string()));
        }
        if let Some(secret) = &self.client_secret {
            form.push(("client_secret", secret.clone().unwrap_or_default()));
        }
        form
    }
}
