//! Fetching an autoconfig file: HTTPS only (also after a redirect, so a network
//! attacker cannot point the account at their server by answering plain HTTP), at most
//! three redirects, the certificate checked against the system's roots (`SSL_CERT_FILE`
//! replaces them), a body of at most [`MAX_BODY`], and host names resolved through
//! detection's own [`Dns`] (so a test's DNS server answers for them too). ureq does the
//! HTTP; this file only sets it up.

use std::net::SocketAddr;
use std::time::Instant;

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{DefaultConnector, NextTimeout};

use super::dns::Dns;

/// An autoconfig file is a few KB; anything past this is refused, not read.
pub const MAX_BODY: u64 = 256 * 1024;
const MAX_REDIRECTS: u32 = 3;

/// GETs `url` and returns its body as text, or says why not (the status, the redirect,
/// the size, the certificate), before `deadline`.
pub fn get(url: &str, dns: &Dns, deadline: Instant) -> Result<String, String> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err("no time left".into());
    }
    let config = Config::builder()
        .https_only(true)
        .max_redirects(MAX_REDIRECTS)
        .timeout_global(Some(left))
        .user_agent(concat!("Mailroom/", env!("CARGO_PKG_VERSION")))
        .tls_config(crate::https::tls_config()?)
        .build();
    let agent = ureq::Agent::with_parts(
        config,
        DefaultConnector::default(),
        DnsResolver(dns.clone()),
    );
    let mut response = agent.get(url).call().map_err(|e| describe(&e))?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| describe(&e))
}

fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::StatusCode(code) => format!("HTTP {code}"),
        ureq::Error::RequireHttpsOnly(url) => {
            format!("refused to follow a redirect to {url}: HTTPS only")
        }
        ureq::Error::TooManyRedirects => format!("more than {MAX_REDIRECTS} redirects"),
        ureq::Error::BodyExceedsLimit(_) => {
            format!("the answer is larger than {} KiB: refused", MAX_BODY / 1024)
        }
        ureq::Error::Timeout(_) => "no answer in time".to_string(),
        other => other.to_string(),
    }
}

/// ureq's resolver, answered by detection's [`Dns`].
#[derive(Debug)]
struct DnsResolver(Dns);

impl Resolver for DnsResolver {
    fn resolve(
        &self,
        uri: &Uri,
        _config: &Config,
        _timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        let host = uri.host().ok_or(ureq::Error::HostNotFound)?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port = uri.port_u16().unwrap_or(443);
        let ips = self
            .0
            .addresses(host)
            .map_err(|_| ureq::Error::HostNotFound)?;
        let mut addresses = self.empty();
        for ip in ips {
            if addresses.try_push(SocketAddr::new(ip, port)).is_err() {
                break;
            }
        }
        if addresses.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(addresses)
    }
}
