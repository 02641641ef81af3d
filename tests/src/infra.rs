//! Fresh, disposable resources: a Postgres database, a RabbitMQ vhost, a free port.

use std::path::PathBuf;
use std::process::Command;

use sqlx::Connection as _;

/// The Postgres server tests use (`DATABASE_URL`'s server; the database part is replaced).
pub fn postgres_server_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    // Drop the database name (and any query) to get the server.
    let (base, _) = url.rsplit_once('/').expect("DATABASE_URL has a path");
    base.to_owned()
}

/// The RabbitMQ server tests use (`AMQP_URL`'s server; the vhost is replaced).
pub fn amqp_server_url() -> String {
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned());
    let (base, _) = url.rsplit_once('/').expect("AMQP_URL has a path");
    base.to_owned()
}

/// A database created for one test and dropped afterwards.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
    /// The server it lives on (`postgres://…:port`, no database).
    pub server: String,
}

impl TestDatabase {
    /// # Panics
    /// When Postgres cannot be reached: the message says what to start.
    pub async fn create() -> Self {
        Self::create_on(&postgres_server_url()).await
    }

    /// Creates the database on `server` (`postgres://…:port`, no database).
    ///
    /// # Panics
    /// When that server cannot be reached.
    pub async fn create_on(server: &str) -> Self {
        let name = format!("convene_test_{}", uuid::Uuid::new_v4().simple());
        let server = server.to_owned();
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .unwrap_or_else(|e| {
                panic!("cannot reach Postgres at {server} ({e}); start it or set DATABASE_URL")
            });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("CREATE DATABASE");
        Self {
            url: format!("{server}/{name}"),
            name,
            server,
        }
    }

    /// A connection pool on this database (search_path left at `public`).
    pub async fn pool(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.url)
            .await
            .expect("connecting to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let server = self.server.clone();
        // Drop runs outside any runtime we can use; do it on a thread with its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut admin) =
                    sqlx::PgConnection::connect(&format!("{server}/postgres")).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

/// A RabbitMQ vhost created for one test (with `rabbitmqctl`) and deleted afterwards.
pub struct TestVhost {
    pub name: String,
    pub url: String,
    /// The node it lives on (`None`: rabbitmqctl's default node, the shared broker).
    pub node: Option<String>,
}

fn rabbitmqctl(node: Option<&str>, args: &[&str]) -> std::io::Result<std::process::Output> {
    let ctl = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_owned());
    let mut command = Command::new(ctl);
    if let Some(node) = node {
        command.args(["-n", node]);
    }
    command.args(args).output()
}

impl TestVhost {
    /// # Panics
    /// When rabbitmqctl is missing or the broker is down: the message says what to start.
    pub fn create() -> Self {
        Self::create_on(None, &amqp_server_url())
    }

    /// Creates the vhost on `node` (`None`: the default node), whose AMQP server is
    /// `server` (`amqp://user:password@host:port`, no vhost).
    ///
    /// # Panics
    /// When rabbitmqctl fails.
    pub fn create_on(node: Option<&str>, server: &str) -> Self {
        let name = format!("convene-test-{}", uuid::Uuid::new_v4().simple());
        let user = std::env::var("AMQP_TEST_USER").unwrap_or_else(|_| "guest".to_owned());
        for args in [
            vec!["add_vhost", &name],
            vec!["set_permissions", "-p", &name, &user, ".*", ".*", ".*"],
        ] {
            let out = rabbitmqctl(node, &args).unwrap_or_else(|e| {
                panic!("cannot run rabbitmqctl ({e}); tests create a vhost each with it")
            });
            assert!(
                out.status.success(),
                "rabbitmqctl {args:?} failed (is RabbitMQ running? `rabbitmq-server -detached`): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Self {
            url: format!("{server}/{name}"),
            name,
            node: node.map(str::to_owned),
        }
    }
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        let _ = rabbitmqctl(self.node.as_deref(), &["delete_vhost", &self.name]);
    }
}

/// A port nobody listens on right now, and not handed out before by this process.
///
/// The listener that found it is closed at once, so the kernel may offer the same port
/// to the next call: a stack's registration and notification services were once given
/// one port, and the second could not start. Every port handed out is remembered.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("binding port 0")
            .local_addr()
            .expect("local addr")
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Where the service binaries are.
pub fn bin_dir() -> PathBuf {
    std::env::var_os("CONVENE_BIN_DIR")
        .map_or_else(|| workspace_root().join("target/debug"), PathBuf::from)
}

/// The Python with aiosmtpd (`make test` creates `.venv`).
pub fn python() -> PathBuf {
    std::env::var_os("CONVENE_PYTHON")
        .map_or_else(|| workspace_root().join(".venv/bin/python"), PathBuf::from)
}

/// The `host:port` of a server URL such as `postgres://user@host:port` (no path).
pub fn host_port(server_url: &str) -> String {
    let rest = server_url.split_once("://").map_or(server_url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_owned()
}

/// The same server URL, reached through `addr` (a proxy) instead.
pub fn through(server_url: &str, addr: std::net::SocketAddr) -> String {
    let original = host_port(server_url);
    server_url.replacen(&original, &addr.to_string(), 1)
}
