//! The oauth2 crate's HTTP client: ureq, with Mailroom's TLS trust ([`crate::https`]),
//! no redirects (token endpoints answer directly) and an answer of at most 256 KiB. A
//! 5xx error page that is not JSON is a network error (try again later), not an answer.
//! Endpoint URLs were checked by [`super::provider`] (`https`, or `http` on loopback).

use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};

const MAX_ANSWER: u64 = 256 * 1024;

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HttpError(String);

/// A client for `oauth2`'s `request(&client)`, giving up after `timeout`.
pub fn client(
    timeout: Duration,
) -> Result<impl Fn(HttpRequest) -> Result<HttpResponse, HttpError>, String> {
    let config = ureq::Agent::config_builder()
        .https_only(false)
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(timeout))
        .user_agent(concat!("Mailroom/", env!("CARGO_PKG_VERSION")))
        .tls_config(crate::https::tls_config()?)
        .build();
    let agent = ureq::Agent::new_with_config(config);
    Ok(move |request: HttpRequest| {
        let mut response = agent.run(request).map_err(|e| HttpError(e.to_string()))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(|e| HttpError(e.to_string()))?;
        // A 5xx that is not JSON is a proxy's or a load balancer's error page: the
        // provider is down for a while, not answering "no" (which would be JSON).
        let json = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"));
        if status.is_server_error() && !json {
            return Err(HttpError(format!(
                "HTTP {} (an error page, not an OAuth2 answer)",
                status.as_u16()
            )));
        }
        let mut answer = HttpResponse::new(body);
        *answer.status_mut() = status;
        *answer.headers_mut() = headers;
        Ok(answer)
    })
}
