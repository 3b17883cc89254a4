//! Signing in: the authorization code grant with PKCE (S256) and a `state` check, through
//! the system browser and [`super::callback`]; or the device authorization grant (RFC
//! 8628) for a machine without a browser. Both end in a [`TokenSet`]; a refresh ends in
//! one too. The oauth2 crate builds the requests and reads the answers.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use oauth2::basic::{BasicClient, BasicErrorResponse, BasicErrorResponseType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, RedirectUrl, RefreshToken, RequestTokenError, Scope,
    StandardDeviceAuthorizationResponse, TokenResponse, TokenUrl,
};

use super::OAuthError;
use super::callback::Callback;
use super::provider::Endpoints;
use super::tokens::TokenSet;
use crate::profile::secret::Password;

/// The longest an access token is taken to last, whatever the server says: an
/// `expires_in` of 8,000 years could not be a time, and the token counted as never
/// expiring (found by `properties_any_token_answer_becomes_tokens_or_an_error`).
const LONGEST_TOKEN_LIFETIME: Duration = Duration::from_secs(366 * 24 * 3600);

/// How long a token endpoint may take to answer.
const TOKEN_TIMEOUT: Duration = Duration::from_secs(30);

/// The client of the browser flow: authorization and token endpoints set.
type BrowserClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// What the person is told to do for a device code sign-in.
#[derive(Debug, Clone)]
pub struct DeviceCode {
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: Duration,
}

fn bad(what: &'static str, url: &str, e: impl std::fmt::Display) -> OAuthError {
    OAuthError::BadEndpoint {
        what,
        url: url.to_string(),
        why: e.to_string(),
    }
}

fn http_client(
    what: &str,
) -> Result<impl oauth2::SyncHttpClient<Error = super::http::HttpError>, OAuthError> {
    super::http::client(TOKEN_TIMEOUT).map_err(|why| OAuthError::Network {
        what: what.to_string(),
        why,
    })
}

/// The client for `endpoints`: its id, and its secret when the provider's desktop
/// clients have one (sent in the token requests' Basic authorization).
fn new_client(endpoints: &Endpoints) -> BasicClient {
    let client = BasicClient::new(ClientId::new(endpoints.client_id.clone()));
    match &endpoints.client_secret {
        Some(secret) => client.set_client_secret(secret.clone()),
        None => client,
    }
}

/// Signs in through the browser: opens the authorization URL with `open_browser`,
/// waits for the redirect until `deadline` (or `cancel`), checks `state`, and
/// exchanges the code (with the PKCE verifier) for tokens.
pub fn sign_in_with_browser(
    endpoints: &Endpoints,
    login_hint: Option<&str>,
    open_browser: impl FnOnce(&str) -> Result<(), OAuthError>,
    deadline: Instant,
    cancel: &AtomicBool,
) -> Result<TokenSet, OAuthError> {
    let callback = Callback::bind()?;
    let redirect_uri = callback.redirect_uri();
    let client = new_client(endpoints)
        .set_auth_uri(
            AuthUrl::new(endpoints.authorize.clone())
                .map_err(|e| bad("the authorization endpoint", &endpoints.authorize, e))?,
        )
        .set_token_uri(
            TokenUrl::new(endpoints.token.clone())
                .map_err(|e| bad("the token endpoint", &endpoints.token, e))?,
        )
        .set_redirect_uri(
            RedirectUrl::new(redirect_uri.clone())
                .map_err(|e| bad("the redirect", &redirect_uri, e))?,
        );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let mut request = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(endpoints.scopes.iter().cloned().map(Scope::new))
        .set_pkce_challenge(challenge);
    if let Some(hint) = login_hint {
        request = request.add_extra_param("login_hint", hint);
    }
    let (url, state) = request.url();
    open_browser(url.as_str())?;
    let (redirect, pending) = callback.wait(deadline, cancel)?;
    // The browser waits for the outcome: the tab says "signed in" only once it is true.
    let finished = finish_browser_sign_in(endpoints, &client, redirect, &state, verifier);
    pending.finish(finished.as_ref().map(|_| ()));
    finished
}

/// Checks the redirect's `state` and exchanges its code (with the PKCE verifier).
fn finish_browser_sign_in(
    endpoints: &Endpoints,
    client: &BrowserClient,
    redirect: super::callback::Redirect,
    state: &CsrfToken,
    verifier: oauth2::PkceCodeVerifier,
) -> Result<TokenSet, OAuthError> {
    if redirect.state.as_deref() != Some(state.secret().as_str()) {
        return Err(OAuthError::WrongState);
    }
    if let Some(error) = redirect.error {
        return Err(OAuthError::Refused {
            error,
            description: redirect.error_description,
        });
    }
    let code = redirect.code.ok_or(OAuthError::Refused {
        error: "no code in the answer".into(),
        description: None,
    })?;
    let what = format!("{} (token endpoint)", endpoints.name);
    let http = http_client(&what)?;
    let answer = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request(&http)
        .map_err(|e| token_error(&what, e, None))?;
    Ok(token_set(&answer, None))
}

/// Signs in with a device code: `show` tells the person the code and where to enter it;
/// the token endpoint is then polled (at the provider's interval) until they have, the
/// code expires, or `deadline`.
pub fn sign_in_with_device_code(
    endpoints: &Endpoints,
    show: impl FnOnce(&DeviceCode),
    deadline: Instant,
) -> Result<TokenSet, OAuthError> {
    let Some(device_url) = &endpoints.device else {
        return Err(OAuthError::NoDeviceCode(
            endpoints.no_device_code.clone().unwrap_or_else(|| {
                format!(
                    "{} offers no device code sign-in: sign in through the browser",
                    endpoints.name
                )
            }),
        ));
    };
    let client = new_client(endpoints)
        .set_token_uri(
            TokenUrl::new(endpoints.token.clone())
                .map_err(|e| bad("the token endpoint", &endpoints.token, e))?,
        )
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(device_url.clone())
                .map_err(|e| bad("the device authorization endpoint", device_url, e))?,
        );
    let what = format!("{} (device authorization)", endpoints.name);
    let http = http_client(&what)?;
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scopes(endpoints.scopes.iter().cloned().map(Scope::new))
        .request(&http)
        .map_err(|e| token_error(&what, e, None))?;
    show(&DeviceCode {
        user_code: details.user_code().secret().clone(),
        verification_uri: details.verification_uri().to_string(),
        expires_in: details.expires_in(),
    });
    let left = deadline.saturating_duration_since(Instant::now());
    let answer = client
        .exchange_device_access_token(&details)
        .request(&http, std::thread::sleep, Some(left))
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => OAuthError::Refused {
                error: r.error().to_string(),
                description: r.error_description().cloned(),
            },
            other => OAuthError::Network {
                what: what.clone(),
                why: other.to_string(),
            },
        })?;
    Ok(token_set(&answer, None))
}

/// A new access token for `refresh`; `profile` names who must sign in again when the
/// provider refuses the refresh token (revoked, expired, consent withdrawn).
pub fn refresh(
    endpoints: &Endpoints,
    refresh: &Password,
    profile: &str,
) -> Result<TokenSet, OAuthError> {
    let client = new_client(endpoints).set_token_uri(
        TokenUrl::new(endpoints.token.clone())
            .map_err(|e| bad("the token endpoint", &endpoints.token, e))?,
    );
    let what = format!("{} (token refresh)", endpoints.name);
    let http = http_client(&what)?;
    let token = RefreshToken::new(refresh.expose().to_string());
    let answer = client
        .exchange_refresh_token(&token)
        .request(&http)
        .map_err(|e| token_error(&what, e, Some(profile)))?;
    Ok(token_set(&answer, Some(refresh)))
}

/// The answer as tokens; a provider that returns no new refresh token keeps the old one.
fn token_set(answer: &impl TokenResponse, old_refresh: Option<&Password>) -> TokenSet {
    TokenSet {
        access: Password::new(answer.access_token().secret().clone()),
        refresh: answer
            .refresh_token()
            .map(|r| Password::new(r.secret().clone()))
            .or_else(|| old_refresh.cloned()),
        expires_at: answer.expires_in().and_then(|d| {
            let lifetime = jiff::SignedDuration::try_from(d.min(LONGEST_TOKEN_LIFETIME)).ok()?;
            crate::clock::now().checked_add(lifetime).ok()
        }),
    }
}

/// What a token endpoint's refusal means. `invalid_grant` to a refresh: sign in again.
fn token_error<E: std::error::Error + 'static>(
    what: &str,
    error: RequestTokenError<E, BasicErrorResponse>,
    refreshing: Option<&str>,
) -> OAuthError {
    match error {
        RequestTokenError::ServerResponse(r) => match (r.error(), refreshing) {
            (BasicErrorResponseType::InvalidGrant, Some(profile)) => OAuthError::NeedsSignIn {
                profile: profile.to_string(),
                why: r.error_description().cloned(),
            },
            (BasicErrorResponseType::Extension(code), _)
                if code == "temporarily_unavailable" || code == "server_error" =>
            {
                OAuthError::Network {
                    what: what.to_string(),
                    why: code.clone(),
                }
            }
            _ => OAuthError::Refused {
                error: r.error().to_string(),
                description: r.error_description().cloned(),
            },
        },
        RequestTokenError::Parse(e, _) => OAuthError::BadTokenResponse {
            what: what.to_string(),
            why: e.to_string(),
        },
        RequestTokenError::Request(e) => OAuthError::Network {
            what: what.to_string(),
            why: crate::error::display_chain(&e),
        },
        RequestTokenError::Other(why) => OAuthError::BadTokenResponse {
            what: what.to_string(),
            why,
        },
    }
}

/// Property tests of what a token endpoint answers (issue 16, "Fuzzing"): any token
/// response or error response the oauth2 crate accepts becomes tokens or an error, and
/// an answer with an expiry always yields one. `cargo test --lib properties`.
#[cfg(test)]
mod properties {
    #![allow(clippy::unwrap_used)]
    use oauth2::basic::{BasicErrorResponse, BasicTokenResponse};
    use proptest::prelude::*;

    use super::{RequestTokenError, TokenResponse, token_error, token_set};
    use crate::profile::secret::Password;

    fn config() -> ProptestConfig {
        let mut config = ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::default()
        };
        if std::env::var_os("PROPTEST_CASES").is_none() {
            config.cases = 256;
        }
        config
    }

    /// A JSON value a hostile or broken endpoint might put in a field.
    fn json_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<u64>().prop_map(|n| n.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|n| if n.is_finite() {
                n.to_string()
            } else {
                "1e999".into()
            }),
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            Just("null".to_string()),
            Just("[]".to_string()),
            Just("{}".to_string()),
            Just("true".to_string()),
        ]
    }

    fn response(fields: Vec<(&'static str, String)>) -> String {
        let body: Vec<String> = fields
            .into_iter()
            .map(|(name, value)| format!("\"{name}\":{value}"))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    /// Found by the property below: 8,000 years was no time at all, and the token
    /// was never refreshed. Now it is refreshed within a year.
    #[test]
    fn a_token_said_to_last_eight_thousand_years_is_renewed_within_a_year() {
        let answer: BasicTokenResponse = serde_json::from_str(
            r#"{"access_token":"t","token_type":"Bearer","expires_in":251605974541}"#,
        )
        .unwrap();
        let expires_at = token_set(&answer, None).expires_at.unwrap();
        let a_year_on = crate::clock::now() + jiff::SignedDuration::from_hours(367 * 24);
        assert!(expires_at < a_year_on, "{expires_at}");
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn properties_any_token_answer_becomes_tokens_or_an_error(
            fields in prop::collection::vec((prop::sample::select(vec![
                "access_token", "token_type", "expires_in", "refresh_token", "scope",
                "error", "error_description", "error_uri", "id_token",
            ]), json_value()), 0..8),
            raw in any::<String>(),
        ) {
            crate::progress!("properties_any_token_answer_becomes_tokens_or_an_error");
            let old = Password::new("old refresh".into());
            // What the crate needs (a token and its type), then whatever else came.
            let mut answered = vec![
                ("access_token", "\"token\"".to_string()),
                ("token_type", "\"Bearer\"".to_string()),
            ];
            answered.extend(fields.iter().cloned());
            for body in [response(answered), response(fields.clone()), raw.clone()] {
                if let Ok(answer) = serde_json::from_str::<BasicTokenResponse>(&body) {
                    let tokens = token_set(&answer, Some(&old));
                    // A server that says when the token expires is believed, whatever
                    // the number: never "it never expires" because the number is huge.
                    prop_assert_eq!(tokens.expires_at.is_some(), answer.expires_in().is_some(), "{}", body);
                }
                if let Ok(refusal) = serde_json::from_str::<BasicErrorResponse>(&body) {
                    let error = RequestTokenError::<std::io::Error, _>::ServerResponse(refusal);
                    let _ = token_error("the token endpoint", error, Some("work")).to_string();
                }
            }
        }
    }
}
