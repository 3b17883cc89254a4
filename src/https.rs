//! What every HTTPS client in Mailroom trusts (account detection's fetches, OAuth2's
//! endpoints): the system's root certificates — or `SSL_CERT_FILE`'s, which replaces them
//! — with ring as rustls's provider, the same trust the SMTP connections get.

use std::sync::{Arc, OnceLock};

use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

/// ureq's TLS settings: the trusted roots (read once per process) and ring.
pub fn tls_config() -> Result<TlsConfig, String> {
    static ROOTS: OnceLock<Result<Arc<Vec<Certificate<'static>>>, String>> = OnceLock::new();
    let roots = ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let why = found.errors.first().map(ToString::to_string);
                return Err(format!(
                    "no trusted root certificates found{}",
                    why.map(|w| format!(": {w}")).unwrap_or_default()
                ));
            }
            Ok(Arc::new(
                found
                    .certs
                    .iter()
                    .map(|der| Certificate::from_der(der).to_owned())
                    .collect(),
            ))
        })
        .clone()?;
    Ok(TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(roots))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build())
}
