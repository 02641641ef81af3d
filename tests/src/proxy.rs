//! A TCP proxy a test can cut and restore, to make Postgres or RabbitMQ vanish from the
//! services' point of view without touching the server (which other tests may share).
//!
//! The proxy runs on a thread of its own with its own runtime, so a test that blocks its
//! thread (a `rabbitmqctl` call, a `Drop`) never stalls the traffic it carries.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A proxy from a local port to `upstream`.
pub struct Proxy {
    pub port: u16,
    upstream: String,
    cut: Arc<AtomicBool>,
    /// Bumped by every cut: each connection task watches it and closes both sides.
    generation: watch::Sender<u64>,
    stop: watch::Sender<bool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// Listens on a free local port and forwards every connection to `upstream`
    /// (`host:port`).
    ///
    /// # Panics
    /// When no port can be bound.
    pub fn start(upstream: &str) -> Self {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binding the proxy");
        std_listener.set_nonblocking(true).expect("non-blocking");
        let port = std_listener.local_addr().expect("local addr").port();
        let cut = Arc::new(AtomicBool::new(false));
        let (generation, _) = watch::channel(0u64);
        let (stop, mut stopped) = watch::channel(false);
        let thread = {
            let cut = cut.clone();
            let generation = generation.clone();
            let mut cuts = generation.subscribe();
            let upstream = upstream.to_owned();
            std::thread::Builder::new()
                .name(format!("proxy-{port}"))
                .spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("proxy runtime");
                    runtime.block_on(async move {
                        let mut listener =
                            Some(TcpListener::from_std(std_listener).expect("listener"));
                        let upstream_down = Arc::new(AtomicBool::new(false));
                        loop {
                            // While cut, nothing listens: connecting is refused, as when
                            // the server's port is closed. Likewise while the server is
                            // down, so that clients see what they would without a proxy.
                            if upstream_down.load(Ordering::SeqCst)
                                && TcpStream::connect(&upstream).await.is_ok()
                            {
                                upstream_down.store(false, Ordering::SeqCst);
                            }
                            if cut.load(Ordering::SeqCst) || upstream_down.load(Ordering::SeqCst) {
                                listener = None;
                            } else if listener.is_none() {
                                listener = TcpListener::bind(("127.0.0.1", port)).await.ok();
                            }
                            let Some(open) = listener.as_ref() else {
                                tokio::select! {
                                    _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => continue,
                                    _ = stopped.wait_for(|s| *s) => break,
                                }
                            };
                            tokio::select! {
                                accepted = open.accept() => {
                                    if let Ok((client, _)) = accepted {
                                        // Subscribe, then look at the flag (set before the
                                        // generation moves): a cut racing this accept is
                                        // seen by one or the other.
                                        let cuts = generation.subscribe();
                                        if cut.load(Ordering::SeqCst) {
                                            drop(client);
                                            continue;
                                        }
                                        tokio::spawn(forward(client, upstream.clone(), cuts, upstream_down.clone()));
                                    }
                                }
                                _ = cuts.changed() => {},
                                // Look at the server's state again now and then.
                                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {},
                                _ = stopped.wait_for(|s| *s) => break,
                            }
                        }
                    });
                })
                .expect("proxy thread")
        };
        Self {
            port,
            upstream: upstream.to_owned(),
            cut,
            generation,
            stop,
            thread: Some(thread),
        }
    }

    /// `host:port` clients connect to.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    pub fn upstream(&self) -> &str {
        &self.upstream
    }

    /// Closes every live connection and refuses new ones (the port stops listening)
    /// until [`Proxy::restore`].
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Listens and forwards connections again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    pub fn is_cut(&self) -> bool {
        self.cut.load(Ordering::SeqCst)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Copies both ways until either side closes or the proxy is cut. When the server cannot
/// be reached, the client's connection is closed (it was accepted before the proxy could
/// know) and the proxy stops listening until the server is back.
async fn forward(
    mut client: TcpStream,
    upstream: String,
    mut cut: watch::Receiver<u64>,
    upstream_down: Arc<AtomicBool>,
) {
    // `cut` was subscribed when the connection was accepted: a cut since then, even one
    // before this task first ran, ends it.
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        upstream_down.store(true, Ordering::SeqCst);
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = server.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {},
        _ = cut.changed() => {},
    }
    // Dropping both streams closes them: the service sees its connection reset.
}
