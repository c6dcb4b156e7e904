//! HTTPS with rustls (feature `tls`).

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A rustls server configuration from PEM files: the certificate chain
/// (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1).
pub(crate) fn config_from_pem_files(
    cert_chain: &Path,
    private_key: &Path,
) -> io::Result<rustls::ServerConfig> {
    let invalid = |path: &Path, what: &str, err: &dyn std::fmt::Display| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {what}: {err}", path.display()),
        )
    };
    let certs = CertificateDer::pem_file_iter(cert_chain)
        .map_err(|err| invalid(cert_chain, "cannot read certificates", &err))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| invalid(cert_chain, "bad certificate", &err))?;
    if certs.is_empty() {
        return Err(invalid(
            cert_chain,
            "no certificate",
            &"the file holds no CERTIFICATE block",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(private_key)
        .map_err(|err| invalid(private_key, "cannot read the private key", &err))?;
    rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|err| invalid(private_key, "the key does not fit the certificate", &err))
}
