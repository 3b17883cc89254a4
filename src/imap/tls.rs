//! What an IMAP connection trusts: the system's roots — or `SSL_CERT_FILE`'s, which
//! replaces them, as `rustls-native-certs` reads them — plus the profile's CA file, with
//! ring; the same trust as SMTP (`transport::smtp_tls`) and HTTPS (`crate::https`). Or,
//! for a self-signed server, exactly the certificate whose SHA-256 is pinned: checked
//! during the handshake ([`Pinned`]), whose signatures rustls still verifies, so a
//! mismatch ends the connection before anything is sent.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

/// The client settings: exactly the certificate `pin_sha256`, or the roots.
pub fn client_config_pinned(
    ca_file: Option<&Path>,
    pin_sha256: Option<&str>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let Some(pin) = pin_sha256 else {
        return client_config(ca_file);
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Pinned {
        sha256: crate::transport::smtp::normalize_fingerprint(pin),
        provider: provider.clone(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Trusts the one certificate whose SHA-256 is `sha256` (lower-case hex), whatever its
/// chain, name or dates; the handshake's signatures are verified as usual.
#[derive(Debug)]
struct Pinned {
    sha256: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        let actual = crate::transport::smtp::fingerprint(end_entity);
        if actual == self.sha256 {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "the server's certificate is not the pinned one (pinned SHA-256 {}, got {actual})",
                self.sha256
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

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
