//! Whom the SMTP client trusts: the Mozilla roots (webpki-roots, built in, so the image
//! needs no system certificate store) and the certificate authorities of `SMTP_CA_FILE`
//! (a company's own CA, or a test's).
//!
//! Both ways of starting TLS use the same roots: implicit TLS (`smtps://`) through
//! tokio-rustls directly, below our own [`super::smtp_stream::SmtpStream`]; STARTTLS
//! through lettre, which upgrades the connection it speaks SMTP on and wants its own
//! `TlsParameters`. The server's name is checked in both (no switch turns that off).

use std::sync::Arc;

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// The TLS settings for one SMTP server.
#[derive(Clone)]
pub struct SmtpTls {
    /// For `smtps://`.
    config: Arc<rustls::ClientConfig>,
    /// For STARTTLS.
    parameters: TlsParameters,
    server_name: ServerName<'static>,
}

impl SmtpTls {
    /// The settings for `host`, trusting the Mozilla roots and the certificates in
    /// `ca_pem` (the text of `SMTP_CA_FILE`).
    ///
    /// # Errors
    /// When `ca_pem` holds something that is not a certificate, or `host` is not a name a
    /// certificate can be checked against.
    pub fn new(host: &str, ca_pem: Option<&str>) -> anyhow::Result<Self> {
        let extra: Vec<CertificateDer<'static>> = match ca_pem {
            Some(pem) => CertificateDer::pem_slice_iter(pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| anyhow::anyhow!("SMTP_CA_FILE: {e}"))?,
            None => Vec::new(),
        };
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in &extra {
            roots
                .add(cert.clone())
                .map_err(|e| anyhow::anyhow!("SMTP_CA_FILE: {e}"))?;
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| anyhow::anyhow!("TLS settings: {e}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();

        let mut parameters = TlsParameters::builder(host.to_owned());
        if let Some(pem) = ca_pem {
            parameters = parameters.add_root_certificate(
                Certificate::from_pem(pem.as_bytes())
                    .map_err(|e| anyhow::anyhow!("SMTP_CA_FILE: {e}"))?,
            );
        }
        let parameters = parameters
            .build_rustls()
            .map_err(|e| anyhow::anyhow!("TLS settings: {e}"))?;

        let server_name = ServerName::try_from(host.to_owned())
            .map_err(|_| anyhow::anyhow!("SMTP_URL's host {host:?} cannot be checked by TLS"))?;
        Ok(Self {
            config: Arc::new(config),
            parameters,
            server_name,
        })
    }

    /// What lettre's STARTTLS needs.
    pub fn starttls(&self) -> TlsParameters {
        self.parameters.clone()
    }

    /// Starts TLS on a fresh TCP connection (`smtps://`), checking the server's
    /// certificate and name.
    ///
    /// # Errors
    /// The handshake's error: an untrusted or expired certificate, a name that does not
    /// match, a server that does not speak TLS.
    pub async fn connect(&self, tcp: TcpStream) -> std::io::Result<TlsStream<TcpStream>> {
        tokio_rustls::TlsConnector::from(self.config.clone())
            .connect(self.server_name.clone(), tcp)
            .await
    }
}
