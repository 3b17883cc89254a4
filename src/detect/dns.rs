//! The DNS questions detection asks — MX, SRV, and the addresses of the hosts it fetches
//! from or probes — through hickory-resolver, a maintained resolver, rather than
//! hand-written DNS. The system's resolver configuration is used, or one server
//! (`MAILROOM_AUTOCONFIG_DNS=HOST:PORT`, UDP then TCP), so tests can run their own.
//!
//! hickory is asynchronous; each question runs on a current-thread tokio runtime of its
//! own, made and dropped around it (detection's steps are threads already, and a runtime
//! costs well under a millisecond to make).

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::Name;
use hickory_resolver::proto::rr::RData;

/// An SRV answer that offers the service (a target of `.` is left out: RFC 2782 says the
/// service is decidedly not available there).
#[derive(Debug, Clone, PartialEq)]
pub struct SrvTarget {
    pub host: String,
    pub port: u16,
}

/// Parses `HOST:PORT` (an IP address, or a name the system resolves) for
/// `MAILROOM_AUTOCONFIG_DNS`.
pub fn server_address(text: &str) -> Result<SocketAddr, String> {
    text.to_socket_addrs()
        .map_err(|e| format!("not HOST:PORT of a DNS server ({e})"))?
        .next()
        .ok_or_else(|| "names no address".to_string())
}

/// Asks one resolver; cheap to clone.
#[derive(Debug, Clone)]
pub struct Dns {
    server: Option<SocketAddr>,
    timeout: Duration,
}

impl Dns {
    /// The system's resolver, or `server` when given; each question gives up after
    /// `timeout`.
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Self {
        Self { server, timeout }
    }

    fn resolver(&self) -> Result<TokioResolver, String> {
        let mut options = ResolverOpts::default();
        options.timeout = self.timeout;
        options.attempts = 1;
        let builder = match self.server {
            Some(server) => {
                let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
                for connection in &mut name_server.connections {
                    connection.port = server.port();
                }
                TokioResolver::builder_with_config(
                    ResolverConfig::from_parts(None, vec![], vec![name_server]),
                    TokioRuntimeProvider::default(),
                )
            }
            None => TokioResolver::builder_tokio()
                .map_err(|e| format!("cannot read the system's DNS configuration: {e}"))?,
        };
        let mut builder = builder;
        *builder.options_mut() = options;
        builder
            .build()
            .map_err(|e| format!("cannot set up DNS: {e}"))
    }

    fn ask<T>(
        &self,
        question: impl AsyncFnOnce(&TokioResolver) -> Result<T, String>,
    ) -> Result<T, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start DNS: {e}"))?;
        runtime.block_on(async {
            let resolver = self.resolver()?;
            question(&resolver).await
        })
    }

    /// The domain's MX hosts, most preferred first (none: `Ok(empty)`).
    pub fn mx(&self, domain: &str) -> Result<Vec<String>, String> {
        let name = fqdn(domain)?;
        self.ask(async |resolver| {
            let lookup = match resolver.mx_lookup(name).await {
                Ok(lookup) => lookup,
                Err(e) if e.is_no_records_found() => return Ok(Vec::new()),
                Err(e) => return Err(format!("MX of {domain}: {e}")),
            };
            let mut hosts: Vec<(u16, String)> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::MX(mx) if !mx.exchange.is_root() => {
                        Some((mx.preference, host_name(&mx.exchange)))
                    }
                    _ => None,
                })
                .collect();
            hosts.sort();
            Ok(hosts.into_iter().map(|(_, h)| h).collect())
        })
    }

    /// The targets of an SRV record, by priority then weight (heaviest first).
    pub fn srv(&self, name: &str) -> Result<Vec<SrvTarget>, String> {
        let query = fqdn(name)?;
        self.ask(async |resolver| {
            let lookup = match resolver.srv_lookup(query).await {
                Ok(lookup) => lookup,
                Err(e) if e.is_no_records_found() => return Ok(Vec::new()),
                Err(e) => return Err(format!("SRV {name}: {e}")),
            };
            let mut records: Vec<_> = lookup
                .answers()
                .iter()
                .filter_map(|r| match &r.data {
                    RData::SRV(srv) => Some(srv.clone()),
                    _ => None,
                })
                .collect();
            records.sort_by_key(|s| (s.priority, std::cmp::Reverse(s.weight)));
            Ok(records
                .into_iter()
                .filter(|s| !s.target.is_root() && s.port != 0)
                .map(|s| SrvTarget {
                    host: host_name(&s.target),
                    port: s.port,
                })
                .collect())
        })
    }

    /// The addresses of `host` (an IP address is its own answer).
    pub fn addresses(&self, host: &str) -> Result<Vec<IpAddr>, String> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(vec![ip]);
        }
        let name = fqdn(host)?;
        self.ask(async |resolver| match resolver.lookup_ip(name).await {
            Ok(lookup) => Ok(lookup.iter().collect()),
            Err(e) if e.is_no_records_found() => Err(format!("{host} does not resolve")),
            Err(e) => Err(format!("{host}: {e}")),
        })
    }
}

/// `example.org.`: a fully qualified name, so no search domain is tried.
fn fqdn(domain: &str) -> Result<Name, String> {
    let absolute = format!("{}.", domain.trim_end_matches('.'));
    Name::from_ascii(&absolute).map_err(|e| format!("\"{domain}\" is not a DNS name: {e}"))
}

/// A name as people write it: lower-case, without the final dot.
fn host_name(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dns_server_is_host_and_port() {
        assert_eq!(
            server_address("127.0.0.1:5353").unwrap(),
            "127.0.0.1:5353".parse::<SocketAddr>().unwrap()
        );
        assert!(server_address("127.0.0.1").is_err());
    }

    #[test]
    fn names_are_asked_fully_qualified_and_shown_without_the_dot() {
        let name = fqdn("Example.org").unwrap();
        assert!(name.is_fqdn());
        assert_eq!(host_name(&name), "example.org");
        assert!(fqdn("exa mple.org").is_err());
    }
}
