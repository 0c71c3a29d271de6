//! The HTTP edge: what a slow or hostile connection may hold.
//!
//! - at most [`EdgeLimits::max_connections`] connections at once: one more is closed as soon
//!   as it is accepted (the relay raises its own open-file limit to fit, see [`raise_nofile`]);
//! - a connection that sends and receives nothing for [`EdgeLimits::idle`] is closed, whether
//!   it is between requests, half-way through its headers or half-way through a body;
//! - the headers of a request must arrive within [`EdgeLimits::headers`] (hyper's header read
//!   timeout), so a client dripping one byte at a time cannot keep a connection either;
//! - a whole request, body and decision included, gets [`EdgeLimits::request`] (the router's
//!   timeout layer answers a typed `408`).
//!
//! With these, the sockets a slow client holds are bounded in number and in time, and the
//! relay's threads never wait on them: hyper reads and writes without blocking.
//!
//! hyper answers a request it cannot parse by itself (`400`, `414`, and `431` for headers over
//! its buffer or over 100 of them) with an empty body, before the router sees anything, and
//! offers no hook to change that answer. [`TypedErrors`] sits between hyper and the connection
//! (above TLS) and replaces those bare answers with the relay's typed JSON body, so every error
//! status a client can meet carries `{"error": {"type": ...}}`.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

/// The edge's limits.
#[derive(Debug, Clone, Copy)]
pub struct EdgeLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Longest silence on a connection (no byte either way).
    pub idle: Duration,
    /// Longest time to receive a request's headers.
    pub headers: Duration,
    /// Longest time for a whole request, from its headers to its answer.
    pub request: Duration,
}

impl Default for EdgeLimits {
    fn default() -> EdgeLimits {
        EdgeLimits {
            max_connections: 8192,
            idle: Duration::from_secs(30),
            headers: Duration::from_secs(10),
            request: Duration::from_secs(20),
        }
    }
}

/// An acceptor that counts connections against the cap and wraps each stream with the idle
/// timeout; wraps another acceptor (TLS) or none.
#[derive(Clone)]
pub struct EdgeAcceptor<A> {
    inner: A,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl<A> EdgeAcceptor<A> {
    /// Limits connections with `limits`, then hands them to `inner`.
    pub fn new(inner: A, limits: &EdgeLimits) -> EdgeAcceptor<A> {
        EdgeAcceptor {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            idle: limits.idle,
        }
    }
}

impl<A, S> axum_server::accept::Accept<tokio::net::TcpStream, S> for EdgeAcceptor<A>
where
    A: axum_server::accept::Accept<EdgeStream<tokio::net::TcpStream>, S> + Clone + Send + 'static,
    A::Future: Send + 'static,
    S: Send + 'static,
{
    type Stream = TypedErrors<A::Stream>;
    type Service = A::Service;
    type Future =
        Pin<Box<dyn Future<Output = io::Result<(TypedErrors<A::Stream>, A::Service)>> + Send>>;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        let permit = self.permits.clone().try_acquire_owned();
        let inner = self.inner.clone();
        let idle = self.idle;
        Box::pin(async move {
            // Over the cap: the connection is closed at once (dropped), never queued.
            let permit = permit.map_err(|_| io::Error::other("too many connections"))?;
            let _ = stream.set_nodelay(true);
            let (stream, service) = inner
                .accept(EdgeStream::new(stream, permit, idle), service)
                .await?;
            Ok((TypedErrors::new(stream), service))
        })
    }
}

/// A stream that fails with `TimedOut` after `idle` without a byte either way, and frees its
/// connection slot when dropped.
pub struct EdgeStream<S> {
    inner: S,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> EdgeStream<S> {
    fn new(inner: S, permit: OwnedSemaphorePermit, idle: Duration) -> EdgeStream<S> {
        EdgeStream {
            inner,
            _permit: permit,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn progressed(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    fn check_idle(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(
                io::ErrorKind::TimedOut,
                "the connection was idle too long",
            )),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for EdgeStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for EdgeStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            // A client that stops reading its answers is as idle as one that stops writing.
            Poll::Pending => self.check_idle(cx).map(Err),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A stream that rewrites hyper's own bare error answers into typed JSON (see the module's
/// overview). An answer is hyper's own when it is an error status hyper sends for a request it
/// could not parse and its head names no `content-type`: every answer of the router names one.
pub struct TypedErrors<S> {
    inner: S,
    /// The replacement answer, and how much of it is written.
    pending: Option<(Vec<u8>, usize)>,
}

impl<S> TypedErrors<S> {
    fn new(inner: S) -> TypedErrors<S> {
        TypedErrors {
            inner,
            pending: None,
        }
    }
}

/// The typed answer for a bare one hyper wrote, or `None` when `head` is not one of them.
fn typed_answer(head: &[u8]) -> Option<Vec<u8>> {
    let message = if head.starts_with(b"HTTP/1.1 400 ") {
        "the request is not well-formed HTTP/1.1"
    } else if head.starts_with(b"HTTP/1.1 414 ") {
        "the request's path is longer than the relay reads"
    } else if head.starts_with(b"HTTP/1.1 431 ") {
        "the request has more headers (over 100) or larger ones (over 64 KiB) than the relay reads"
    } else {
        return None;
    };
    let end = head.windows(4).position(|w| w == b"\r\n\r\n")?;
    let names_a_type = head[..end]
        .split(|b| *b == b'\n')
        .any(|line| line.to_ascii_lowercase().starts_with(b"content-type:"));
    if names_a_type {
        return None;
    }
    let status_line_end = head.windows(2).position(|w| w == b"\r\n")?;
    let refusal = crate::model::Refusal::BadRequest {
        message: message.to_string(),
    };
    let body = serde_json::json!({ "message": refusal.to_string(), "error": refusal }).to_string();
    let mut answer = head[..status_line_end].to_vec();
    answer.extend_from_slice(
        format!(
            "\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    Some(answer)
}

impl<S: AsyncWrite + Unpin> TypedErrors<S> {
    /// Writes what is left of a replacement answer.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while let Some((bytes, written)) = &mut self.pending {
            if *written == bytes.len() {
                self.pending = None;
                break;
            }
            match Pin::new(&mut self.inner).poll_write(cx, &bytes[*written..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => *written += n,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for TypedErrors<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TypedErrors<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        std::task::ready!(this.poll_pending(cx))?;
        if let Some(answer) = typed_answer(buf) {
            // hyper's bare answer counts as written; the typed one goes out in its place.
            this.pending = Some((answer, 0));
            return match this.poll_pending(cx) {
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                _ => Poll::Ready(Ok(buf.len())),
            };
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_pending(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Raises this process's soft limit on open files to its hard limit (capped at `want`), so
/// the connection cap, not the default soft limit of 1024, is what bounds connections.
/// Returns the soft limit now in force.
pub fn raise_nofile(want: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed by reference.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 0;
        }
        let target: libc::rlim_t = want.min(limit.rlim_max);
        if target > limit.rlim_cur {
            let raised = libc::rlimit {
                rlim_cur: target,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return target;
            }
        }
        limit.rlim_cur
    }
}
