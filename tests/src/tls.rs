//! Certificates for TLS tests: a certificate authority of the test's own, and server
//! certificates it signs, written as PEM files that Postgres, RabbitMQ and the test SMTP
//! server load and that the services are told to trust (`sslrootcert`, `AMQP_CA_FILE`,
//! `SMTP_CA_FILE`). Nothing is fetched and no `openssl` command is needed.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// A certificate authority made for one test.
pub struct TestCa {
    cert: rcgen::Certificate,
    key: KeyPair,
}

/// A server certificate and its key, as PEM files (readable by every user: the servers
/// run as `postgres` and `rabbitmq`, and this is test material).
#[derive(Debug, Clone)]
pub struct ServerCert {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl TestCa {
    /// A new CA named `name`.
    ///
    /// # Panics
    /// When rcgen fails (it does not with these parameters).
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        Self { cert, key }
    }

    /// The CA's certificate, as PEM.
    pub fn pem(&self) -> String {
        self.cert.pem()
    }

    /// Writes the CA's certificate to `dir/<file>` and returns its path.
    pub fn write(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, self.pem()).expect("writing the CA certificate");
        make_readable(dir);
        path
    }

    /// A server certificate for `names` (host names or IP addresses), signed by this CA,
    /// written to `dir/<stem>.pem` and `dir/<stem>.key`.
    ///
    /// # Panics
    /// When the files cannot be written.
    pub fn issue(&self, names: &[&str], dir: &Path, stem: &str) -> ServerCert {
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .expect("server certificate params");
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = params
            .signed_by(&key, &self.cert, &self.key)
            .expect("signing the server certificate");
        let paths = ServerCert {
            cert: dir.join(format!("{stem}.pem")),
            key: dir.join(format!("{stem}.key")),
        };
        std::fs::write(&paths.cert, cert.pem()).expect("writing the certificate");
        std::fs::write(&paths.key, key.serialize_pem()).expect("writing the key");
        make_readable(dir);
        paths
    }
}

/// A folder for certificates that the `postgres` and `rabbitmq` users can read too.
pub fn cert_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    make_readable(dir.path());
    dir
}

/// Opens `path` (and what it holds) to every user.
pub fn make_readable(path: &Path) {
    let _ = std::process::Command::new("chmod")
        .args(["-R", "a+rX", path.to_str().expect("utf-8 path")])
        .status();
}
