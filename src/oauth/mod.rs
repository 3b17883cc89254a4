//! OAuth2 sign-in (issue 14): Microsoft 365, Outlook.com, Gmail and any OpenID Connect
//! issuer, for SMTP's XOAUTH2 and OAUTHBEARER.
//!
//! - [`provider`]: the providers as data (`assets/oauth2-providers.toml`), any other
//!   issuer by discovery; the client id (the profile's, else one built in by the
//!   packager); endpoint URLs must be `https`, except on a loopback address.
//! - [`flow`]: signing in — authorization code with PKCE (S256) and a `state` check,
//!   redirected to a listener on `127.0.0.1` at a random port (RFC 8252 §7.3) and
//!   opened in the system browser (`BROWSER` first, as xdg-open does); or the device
//!   authorization grant (RFC 8628).
//! - [`tokens`]: the refresh token, the access token and its expiry in the OS keyring
//!   (one entry, `<profile>#oauth2`), refreshed shortly before expiry under the profile's
//!   lock so the window and the OS scheduler never spend one refresh token twice; a new
//!   refresh token is stored before the access token that came with it is used.
//!
//! The oauth2 crate does the protocol; [`http`] gives it ureq, with Mailroom's TLS trust.

pub mod callback;
pub mod flow;
mod http;
pub mod provider;
pub mod tokens;

/// Why signing in, or getting a token, did not work.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error(
        "no OAuth2 client id for {provider}: register Mailroom with {provider} (README, \
         \"Registering Mailroom with Microsoft / Google\") and give it with --oauth2-client-id"
    )]
    NoClientId { provider: String },
    #[error("unknown OAuth2 provider \"{0}\": use microsoft, google, or --oauth2-issuer URL")]
    UnknownProvider(String),
    #[error("{what} {url}: {why}")]
    BadEndpoint {
        what: &'static str,
        url: String,
        why: String,
    },
    #[error("{0}")]
    NoDeviceCode(String),
    #[error("the sign-in was refused: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error(
        "the sign-in answer did not match the request it was for (state): the sign-in was abandoned; try again"
    )]
    WrongState,
    #[error("no answer from the browser within {0} s: sign-in abandoned")]
    NoRedirect(u64),
    #[error("sign-in cancelled")]
    Cancelled,
    #[error("could not open the browser ({0}); open this address yourself: {1}")]
    NoBrowser(String, String),
    #[error("{what}: {why}")]
    Network { what: String, why: String },
    #[error("{what} answered something that is not a token: {why}")]
    BadTokenResponse { what: String, why: String },
    #[error("{profile} needs you to sign in again: mailroom profile login {profile}{}", .why.as_deref().map(|w| format!(" ({w})")).unwrap_or_default())]
    NeedsSignIn {
        profile: String,
        why: Option<String>,
    },
    #[error("could not listen for the browser's answer on 127.0.0.1: {0}")]
    Listen(std::io::Error),
}

impl OAuthError {
    /// Whether trying again later may help (the network, a provider's 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(self, OAuthError::Network { .. })
    }
}
