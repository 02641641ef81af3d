//! Private Postgres and RabbitMQ servers for tests that stop and restart them.
//!
//! The machine's own Postgres (5432) and RabbitMQ (5672) are shared with other people's
//! tests, so a fault test never stops those: it starts its own on free ports, in a folder
//! under `CONVENE_PRIVATE_DIR` (default: the system temp folder), and stops them when
//! dropped, a panic included. `scripts/faults.sh` also cleans up after a test process
//! that was killed outright, from what is left in that folder.
//!
//! Postgres runs as the `postgres` user (`initdb` + `pg_ctl`), RabbitMQ as the
//! `rabbitmq` user under its own node name (it shares the Erlang cookie in
//! /var/lib/rabbitmq, so `rabbitmqctl -n <node>` controls it). Both need root to switch
//! users, which is how CI and the developers' machines run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::infra::free_port;

/// `/usr/lib/postgresql/<version>/bin`, the newest installed.
fn postgres_bin() -> PathBuf {
    if let Some(dir) = std::env::var_os("POSTGRES_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<u32> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_unstable();
    let version = versions
        .last()
        .expect("no Postgres under /usr/lib/postgresql (apt-get install postgresql)");
    PathBuf::from(format!("/usr/lib/postgresql/{version}/bin"))
}

/// A fresh folder owned by `user`, under `CONVENE_PRIVATE_DIR` or the temp folder.
fn private_dir(prefix: &str, user: &str) -> PathBuf {
    let base =
        std::env::var_os("CONVENE_PRIVATE_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    std::fs::create_dir_all(&base).expect("creating the private servers' folder");
    let dir = base.join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).expect("creating a private server folder");
    chown(&dir, user);
    dir
}

fn chown(path: &Path, user: &str) {
    let status = Command::new("chown")
        .args([
            "-R",
            &format!("{user}:"),
            path.to_str().expect("utf-8 path"),
        ])
        .status()
        .expect("chown");
    assert!(status.success(), "chown {user} {}", path.display());
}

/// Runs a command as `user`, returning its output.
fn run_as(user: &str, program: &Path, args: &[&str]) -> std::process::Output {
    Command::new("runuser")
        .args(["-u", user, "--"])
        .arg(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} as {user}: {e}", program.display()))
}

/// A Postgres server of this test's own.
pub struct PrivatePostgres {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    /// Whether it was started by [`PrivatePostgres::start_with_tls`].
    tls: bool,
}

impl PrivatePostgres {
    /// Creates a cluster (trust authentication, user `postgres`) and starts it.
    ///
    /// # Panics
    /// When initdb or pg_ctl fail (not root, Postgres not installed).
    pub fn start() -> Self {
        Self::start_inner(None)
    }

    /// Like [`PrivatePostgres::start`], with TLS on (`cert`, for `localhost` and
    /// 127.0.0.1) and required on TCP, except for the `postgres` database: the test
    /// harness creates and drops test databases there without TLS, and everything that
    /// connects to a test database must use TLS.
    ///
    /// # Panics
    /// As [`PrivatePostgres::start`].
    pub fn start_with_tls(cert: &crate::tls::ServerCert) -> Self {
        Self::start_inner(Some(cert))
    }

    fn start_inner(tls: Option<&crate::tls::ServerCert>) -> Self {
        let dir = private_dir("convene-pg", "postgres");
        let bin = postgres_bin();
        let data = dir.join("data");
        let out = run_as(
            "postgres",
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().expect("utf-8"),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if let Some(cert) = tls {
            std::fs::copy(&cert.cert, data.join("server.crt")).expect("server.crt");
            std::fs::copy(&cert.key, data.join("server.key")).expect("server.key");
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\n\
                 hostnossl postgres all 127.0.0.1/32 trust\n\
                 hostssl all all 127.0.0.1/32 trust\n\
                 hostssl all all ::1/128 trust\n",
            )
            .expect("pg_hba.conf");
            chown(&data, "postgres");
            let key = data.join("server.key");
            let status = Command::new("chmod")
                .args(["600", key.to_str().expect("utf-8")])
                .status()
                .expect("chmod");
            assert!(status.success(), "chmod server.key");
        }
        let this = Self {
            port: free_port(),
            dir,
            bin,
            tls: tls.is_some(),
        };
        this.pg_ctl_start();
        this
    }

    /// `postgres://postgres@127.0.0.1:<port>` (no database).
    pub fn server_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    fn data(&self) -> String {
        self.dir.join("data").to_str().expect("utf-8").to_owned()
    }

    fn pg_ctl_start(&self) {
        let mut options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
            self.port,
            self.dir.display()
        );
        if self.tls {
            options.push_str(" -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key");
        }
        let log = self.dir.join("postgres.log");
        let out = run_as(
            "postgres",
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data(),
                "-l",
                log.to_str().expect("utf-8"),
                "-w",
                "-t",
                "60",
                "-o",
                &options,
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
    }

    /// Stops the server the way an operator restarting it would (`-m fast`: every session
    /// is terminated, open transactions roll back).
    pub fn stop(&self) {
        let out = run_as(
            "postgres",
            &self.bin.join("pg_ctl"),
            &["-D", &self.data(), "-w", "-t", "60", "-m", "fast", "stop"],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Starts it again after [`PrivatePostgres::stop`].
    pub fn start_again(&self) {
        self.pg_ctl_start();
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let _ = run_as(
            "postgres",
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                &self.data(),
                "-w",
                "-t",
                "30",
                "-m",
                "immediate",
                "stop",
            ],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A RabbitMQ node of this test's own.
pub struct PrivateRabbit {
    pub node: String,
    pub port: u16,
    /// The AMQPS port, when started by [`PrivateRabbit::start_with_tls`].
    pub tls_port: Option<u16>,
    dir: PathBuf,
    child: Child,
}

fn rabbitmqctl(node: &str, args: &[&str], timeout: Duration) -> Result<String, String> {
    let ctl = std::env::var("RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_owned());
    let timeout_secs = timeout.as_secs().max(1).to_string();
    let out = Command::new("timeout")
        .arg(&timeout_secs)
        .arg(ctl)
        .args(["-n", node])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run rabbitmqctl: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "rabbitmqctl -n {node} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

impl PrivateRabbit {
    /// Starts a node on free ports and waits until it accepts connections (~10 s).
    ///
    /// # Panics
    /// When it does not start within 90 s; the message includes its output.
    pub fn start() -> Self {
        Self::start_inner(None)
    }

    /// Like [`PrivateRabbit::start`], with an AMQPS listener on 127.0.0.1:`tls_port`
    /// presenting `cert` (the plain listener stays, for the harness's own checks).
    ///
    /// # Panics
    /// As [`PrivateRabbit::start`].
    pub fn start_with_tls(cert: &crate::tls::ServerCert) -> Self {
        Self::start_inner(Some(cert))
    }

    fn start_inner(tls: Option<&crate::tls::ServerCert>) -> Self {
        let dir = private_dir("convene-rmq", "rabbitmq");
        let node = format!(
            "convene-{}@localhost",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let port = free_port();
        let dist_port = free_port();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").expect("enabled_plugins");
        let tls_port = tls.map(|_| free_port());
        let conf = match (tls, tls_port) {
            (Some(cert), Some(tls_port)) => format!(
                "listeners.ssl.1 = 127.0.0.1:{tls_port}\n\
                 ssl_options.certfile = {}\n\
                 ssl_options.keyfile = {}\n\
                 ssl_options.verify = verify_none\n\
                 ssl_options.fail_if_no_peer_cert = false\n",
                cert.cert.display(),
                cert.key.display()
            ),
            _ => String::new(),
        };
        std::fs::write(dir.join("rabbitmq.conf"), conf).expect("rabbitmq.conf");
        std::fs::write(dir.join("rabbitmq-env.conf"), "").expect("rabbitmq-env.conf");
        std::fs::write(dir.join("node"), &node).expect("node file");
        chown(&dir, "rabbitmq");
        let path = |name: &str| dir.join(name).to_str().expect("utf-8").to_owned();
        let out = std::fs::File::create(dir.join("server.log")).expect("server.log");
        let child = Command::new("runuser")
            .args(["-u", "rabbitmq", "--", "env", "HOME=/var/lib/rabbitmq"])
            .arg(format!("RABBITMQ_NODENAME={node}"))
            .arg("RABBITMQ_NODE_IP_ADDRESS=127.0.0.1")
            .arg(format!("RABBITMQ_NODE_PORT={port}"))
            .arg(format!("RABBITMQ_DIST_PORT={dist_port}"))
            .arg(format!("RABBITMQ_MNESIA_BASE={}", path("mnesia")))
            .arg(format!("RABBITMQ_LOG_BASE={}", path("log")))
            .arg(format!(
                "RABBITMQ_ENABLED_PLUGINS_FILE={}",
                path("enabled_plugins")
            ))
            .arg(format!("RABBITMQ_CONFIG_FILE={}", path("rabbitmq")))
            .arg(format!(
                "RABBITMQ_CONF_ENV_FILE={}",
                path("rabbitmq-env.conf")
            ))
            .arg(format!("RABBITMQ_PID_FILE={}", path("pid")))
            .arg("ERL_EPMD_ADDRESS=127.0.0.1")
            .arg("/usr/lib/rabbitmq/bin/rabbitmq-server")
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(out.try_clone().expect("log handle"))
            .stderr(out)
            .spawn()
            .expect("starting rabbitmq-server (is RabbitMQ installed?)");
        let mut this = Self {
            node,
            port,
            tls_port,
            dir,
            child,
        };
        this.await_startup(Duration::from_secs(90));
        this
    }

    /// `amqp://guest:guest@127.0.0.1:<port>` (no vhost).
    pub fn server_url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}", self.port)
    }

    fn await_startup(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if rabbitmqctl(&self.node, &["await_startup"], Duration::from_secs(30)).is_ok()
                && std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok()
            {
                return;
            }
            let exited = self.child.try_wait().ok().flatten();
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "RabbitMQ node {} did not start ({exited:?}):\n{}",
                self.node,
                std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Stops the RabbitMQ application (the node stays up, as after `systemctl stop` of
    /// the broker as clients see it: every connection is closed, the port refuses).
    ///
    /// # Panics
    /// When rabbitmqctl fails.
    pub fn stop_app(&self) {
        rabbitmqctl(&self.node, &["stop_app"], Duration::from_secs(60)).expect("stop_app");
    }

    /// Starts the application again and waits until it accepts connections.
    ///
    /// # Panics
    /// When it does not come back within 60 s.
    pub fn start_app(&mut self) {
        rabbitmqctl(&self.node, &["start_app"], Duration::from_secs(60)).expect("start_app");
        self.await_startup(Duration::from_secs(60));
    }

    /// `rabbitmqctl -n <node> …` on this node.
    ///
    /// # Errors
    /// Its output when it fails.
    pub fn ctl(&self, args: &[&str]) -> Result<String, String> {
        rabbitmqctl(&self.node, args, Duration::from_secs(30))
    }
}

impl Drop for PrivateRabbit {
    fn drop(&mut self) {
        let _ = rabbitmqctl(&self.node, &["stop"], Duration::from_secs(30));
        if self.child.try_wait().ok().flatten().is_none() {
            // Still there: end the node by its pid file, then the runuser parent.
            if let Ok(pid) = std::fs::read_to_string(self.dir.join("pid")) {
                let _ = Command::new("kill").args(["-9", pid.trim()]).status();
            }
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
