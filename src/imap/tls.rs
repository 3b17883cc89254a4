//! What an IMAP connection trusts: the system's roots — or `SSL_CERT_FILE`'s, which
//! replaces them, as `rustls-native-certs` reads them — plus the profile's CA file, with
//! ring; the same trust as SMTP (`transport::smtp_tls`) and HTTPS (`crate::https`).

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// The client settings: roots and ring.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    let (_added, _ignored) = roots.add_parsable_certificates(found.certs);
    if let Some(path) = ca_file {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect)
            .map_err(|e| {
                format!(
                    "could not read the CA file (--ca-file) {} as PEM certificates: {e}",
                    path.display()
                )
            })?;
        if certs.is_empty() {
            return Err(format!(
                "the CA file (--ca-file) {} holds no PEM certificate",
                path.display()
            ));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| {
                format!(
                    "the CA file (--ca-file) {} is not usable: {e}",
                    path.display()
                )
            })?;
        }
    }
    if roots.is_empty() {
        let why = found.errors.first().map(ToString::to_string);
        return Err(format!(
            "no trusted root certificates found{}",
            why.map(|w| format!(": {w}")).unwrap_or_default()
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The name the certificate must be valid for (a DNS name or an IP address).
pub fn server_name(host: &str) -> Result<ServerName<'static>, String> {
    ServerName::try_from(host.to_string()).map_err(|e| format!("{host:?} is not a host name: {e}"))
}
