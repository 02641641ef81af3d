//! The TCP stream each pooled SMTP connection runs on: `TCP_NODELAY`, with what lettre
//! writes held back until it next waits for an answer.
//!
//! lettre writes a message's body and the `\r\n.\r\n` that ends it as two writes, each
//! flushed: with `TCP_NODELAY` that is two packets, two wake-ups and two reads for the
//! server, per email. SMTP is request–response (with `PIPELINING`, a group of commands
//! then their replies), so nothing written needs to leave before the client reads the
//! reply to it: sending it then makes the body and its end one packet, the way Postfix's
//! `smtp-source` sends them. In the reminder fan-out (`make bench`, row 4) the SMTP
//! server's CPU per email is the largest share.
//!
//! Over implicit TLS (`smtps://`) it wraps the TLS stream, so what is held back is
//! plaintext and leaves as one TLS record; after STARTTLS, lettre puts TLS on top of it,
//! and the records are held back instead. Either way a body and its end leave together.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use lettre::transport::smtp::client::AsyncTokioStream;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Held back at most this much before it is sent anyway (a large attachment).
const HOLD_LIMIT: usize = 64 * 1024;

/// A connection an SMTP session can run on: TCP, or TLS over TCP.
pub trait Wire: AsyncRead + AsyncWrite + Unpin + Send + Sync + std::fmt::Debug {
    fn peer_addr(&self) -> io::Result<SocketAddr>;
}

impl Wire for TcpStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }
}

impl Wire for tokio_rustls::client::TlsStream<TcpStream> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.get_ref().0.peer_addr()
    }
}

/// A stream whose writes leave on the next read (or past [`HOLD_LIMIT`]).
#[derive(Debug)]
pub struct SmtpStream<S = TcpStream> {
    stream: S,
    held: Vec<u8>,
    /// How much of `held` is already sent.
    sent: usize,
}

impl<S: Wire> SmtpStream<S> {
    /// Wraps a connected stream (whose TCP socket should have `TCP_NODELAY` set).
    pub fn new(stream: S) -> Self {
        Self {
            stream,
            held: Vec::new(),
            sent: 0,
        }
    }

    /// Sends everything held back.
    fn poll_send_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.held.len() {
            let n = ready!(Pin::new(&mut self.stream).poll_write(cx, &self.held[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.held.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: Wire> AsyncWrite for SmtpStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.held.len() >= HOLD_LIMIT {
            ready!(self.poll_send_held(cx))?;
        }
        self.held.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    /// Held back until the next read: see the module's documentation.
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.poll_send_held(cx))?;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

impl<S: Wire> AsyncRead for SmtpStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.poll_send_held(cx))?;
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: Wire> AsyncTokioStream for SmtpStream<S> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.stream.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    use super::*;

    #[tokio::test]
    async fn writes_leave_together_when_the_client_reads() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (client, server) = tokio::join!(TcpStream::connect(address), listener.accept());
        let client = client.unwrap();
        client.set_nodelay(true).unwrap();
        let mut client = SmtpStream::new(client);
        let (mut server, _) = server.unwrap();

        client.write_all(b"body\r\n").await.unwrap();
        client.flush().await.unwrap();
        client.write_all(b".\r\n").await.unwrap();
        client.flush().await.unwrap();
        let mut buf = [0u8; 64];
        let early = tokio::time::timeout(Duration::from_millis(100), server.read(&mut buf)).await;
        assert!(
            early.is_err(),
            "nothing is sent before the client waits for an answer"
        );

        // The client waits for the answer: what it wrote leaves, in one piece.
        let reading = tokio::spawn(async move {
            let mut answer = [0u8; 16];
            let n = client.read(&mut answer).await.unwrap();
            answer[..n].to_vec()
        });
        let n = server.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"body\r\n.\r\n");
        server.write_all(b"250 OK\r\n").await.unwrap();
        assert_eq!(reading.await.unwrap(), b"250 OK\r\n");
    }
}
