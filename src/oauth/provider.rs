//! Where to sign in: a provider Mailroom knows by name (Microsoft, Google:
//! `assets/oauth2-providers.toml`, data rather than code), or any OpenID Connect issuer,
//! whose endpoints come from its discovery document
//! (`<issuer>/.well-known/openid-configuration`).
//!
//! The client id is the profile's `oauth2.client_id`, else the one a packager built in
//! (`MAILROOM_OAUTH2_MICROSOFT_CLIENT_ID` / `MAILROOM_OAUTH2_GOOGLE_CLIENT_ID` at build
//! time, the way distributions build Chromium with their own keys); Mailroom never ships
//! another application's. A client secret, where the provider's desktop clients have one
//! (Google), comes the same way: the profile's `oauth2.client_secret`, else
//! `MAILROOM_OAUTH2_GOOGLE_CLIENT_SECRET` at build time. Every endpoint must be `https`,
//! except on a loopback address.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::OAuthError;
use crate::profile::OAuth2;

/// What signing in needs to know about a provider.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// For people: "Microsoft", "Google", or the issuer.
    pub name: String,
    pub authorize: String,
    pub token: String,
    /// The device authorization endpoint, when the provider has one for mail.
    pub device: Option<String>,
    /// Why there is no device code sign-in, when the provider says.
    pub no_device_code: Option<String>,
    pub scopes: Vec<String>,
    pub client_id: String,
    /// Sent with the client id to the token endpoint when there is one (its `Debug`
    /// says "[redacted]").
    pub client_secret: Option<oauth2::ClientSecret>,
}

#[derive(Debug, Deserialize)]
struct Known {
    name: String,
    authorize_url: String,
    token_url: String,
    device_url: Option<String>,
    no_device_code: Option<String>,
    scopes: Vec<String>,
    hosts: Vec<String>,
    /// Its SMTP servers file what they accept in the Sent folder themselves.
    #[serde(default)]
    files_sent_copies: bool,
}

fn known() -> BTreeMap<String, Known> {
    toml::from_str(include_str!("../../assets/oauth2-providers.toml")).unwrap_or_default()
}

/// The provider whose servers these are (`smtp.office365.com` → `microsoft`).
pub fn for_host(host: &str) -> Option<String> {
    let host = host.to_ascii_lowercase();
    known()
        .into_iter()
        .find(|(_, p)| p.hosts.contains(&host))
        .map(|(id, _)| id)
}

/// Whether the provider behind SMTP server `host` files a copy of what it accepts in the
/// account's Sent folder itself (so Mailroom must not add a second).
pub fn files_sent_copies(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    known()
        .into_values()
        .any(|p| p.files_sent_copies && p.hosts.contains(&host))
}

/// The client id a packager built in for `provider`.
fn built_in_client_id(provider: &str) -> Option<&'static str> {
    match provider {
        "microsoft" => option_env!("MAILROOM_OAUTH2_MICROSOFT_CLIENT_ID"),
        "google" => option_env!("MAILROOM_OAUTH2_GOOGLE_CLIENT_ID"),
        _ => None,
    }
    .filter(|id| !id.is_empty())
}

/// The client secret a packager built in with the client id for `provider`.
fn built_in_client_secret(provider: &str) -> Option<&'static str> {
    match provider {
        "google" => option_env!("MAILROOM_OAUTH2_GOOGLE_CLIENT_SECRET"),
        _ => None,
    }
    .filter(|secret| !secret.is_empty())
}

/// The endpoints, scopes and client id for a profile's `oauth2` settings; an issuer's
/// discovery document is fetched (within `timeout`).
pub fn endpoints(settings: &OAuth2, timeout: Duration) -> Result<Endpoints, OAuthError> {
    let client_id = settings
        .client_id
        .clone()
        .filter(|id| !id.trim().is_empty())
        .or_else(|| built_in_client_id(&settings.provider).map(str::to_string));
    // A built-in secret belongs to the built-in id only.
    let client_secret = match &settings.client_id {
        Some(_) => settings.client_secret.clone(),
        None => built_in_client_secret(&settings.provider).map(str::to_string),
    }
    .filter(|secret| !secret.trim().is_empty())
    .map(oauth2::ClientSecret::new);
    let mut endpoints = match (settings.provider.as_str(), &settings.issuer) {
        (_, Some(issuer)) => discover(issuer, timeout)?,
        (id, None) => {
            let provider = known()
                .remove(id)
                .ok_or_else(|| OAuthError::UnknownProvider(id.to_string()))?;
            Endpoints {
                name: provider.name,
                authorize: provider.authorize_url,
                token: provider.token_url,
                device: provider.device_url,
                no_device_code: provider.no_device_code,
                scopes: provider.scopes,
                client_id: String::new(),
                client_secret: None,
            }
        }
    };
    endpoints.client_id = client_id.ok_or_else(|| OAuthError::NoClientId {
        provider: endpoints.name.clone(),
    })?;
    endpoints.client_secret = client_secret;
    if !settings.scopes.is_empty() {
        endpoints.scopes.clone_from(&settings.scopes);
    }
    check_url("the authorization endpoint", &endpoints.authorize)?;
    check_url("the token endpoint", &endpoints.token)?;
    if let Some(device) = &endpoints.device {
        check_url("the device authorization endpoint", device)?;
    }
    Ok(endpoints)
}

#[derive(Debug, Deserialize)]
struct Discovery {
    authorization_endpoint: String,
    token_endpoint: String,
    device_authorization_endpoint: Option<String>,
}

/// OpenID Connect discovery: the issuer's endpoints.
fn discover(issuer: &str, timeout: Duration) -> Result<Endpoints, OAuthError> {
    check_url("the issuer", issuer)?;
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let what = format!("OpenID Connect discovery at {url}");
    let network = |why: String| OAuthError::Network {
        what: what.clone(),
        why,
    };
    let client = super::http::client(timeout).map_err(network)?;
    let request = oauth2::http::Request::get(&url)
        .header("accept", "application/json")
        .body(Vec::new())
        .map_err(|e| network(e.to_string()))?;
    let response = client(request).map_err(|e| network(e.to_string()))?;
    if !response.status().is_success() {
        return Err(network(format!("HTTP {}", response.status().as_u16())));
    }
    let found: Discovery =
        serde_json::from_slice(response.body()).map_err(|e| OAuthError::BadTokenResponse {
            what: what.clone(),
            why: e.to_string(),
        })?;
    Ok(Endpoints {
        name: issuer.to_string(),
        authorize: found.authorization_endpoint,
        token: found.token_endpoint,
        device: found.device_authorization_endpoint,
        no_device_code: None,
        scopes: vec!["openid".into(), "email".into(), "offline_access".into()],
        client_id: String::new(),
        client_secret: None,
    })
}

/// `https://…`, or `http://` to a loopback address (a local test issuer); nothing else.
pub fn check_url(what: &'static str, url: &str) -> Result<(), OAuthError> {
    let bad = |why: &str| OAuthError::BadEndpoint {
        what,
        url: url.to_string(),
        why: why.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(bad("must be https (http only on a loopback address)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_providers_are_data_and_match_their_hosts() {
        assert_eq!(for_host("smtp.office365.com").as_deref(), Some("microsoft"));
        assert_eq!(for_host("SMTP.gmail.com").as_deref(), Some("google"));
        assert_eq!(for_host("smtp.example.org"), None);
        let settings = OAuth2 {
            provider: "microsoft".into(),
            issuer: None,
            client_id: Some("my-app".into()),
            client_secret: None,
            scopes: vec![],
        };
        let found = endpoints(&settings, Duration::from_secs(1)).unwrap();
        assert!(
            found.device.is_some(),
            "Microsoft signs in with a device code too"
        );
        assert!(found.scopes.iter().any(|s| s.ends_with("SMTP.Send")));
        let google = OAuth2 {
            provider: "google".into(),
            ..settings
        };
        let found = endpoints(&google, Duration::from_secs(1)).unwrap();
        assert!(found.device.is_none() && found.no_device_code.is_some());
    }

    #[test]
    fn without_a_client_id_the_error_says_how_to_get_one() {
        let settings = OAuth2 {
            provider: "google".into(),
            issuer: None,
            client_id: None,
            client_secret: None,
            scopes: vec![],
        };
        if built_in_client_id("google").is_none() {
            let e = endpoints(&settings, Duration::from_secs(1)).unwrap_err();
            assert!(e.to_string().contains("--oauth2-client-id"), "{e}");
        }
    }

    #[test]
    fn endpoints_must_be_https_except_on_loopback() {
        assert!(check_url("x", "https://login.example.org/token").is_ok());
        assert!(check_url("x", "http://127.0.0.1:12780/token").is_ok());
        assert!(check_url("x", "http://localhost:8080/").is_ok());
        assert!(check_url("x", "http://login.example.org/token").is_err());
        assert!(check_url("x", "ftp://127.0.0.1/").is_err());
        assert!(check_url("x", "not a url").is_err());
    }
}
