//! The HTTP/1.1 accept loop, with every connection bounded: at most `max_connections` at once
//! (beyond it the listener stops accepting, and new clients wait in the kernel's backlog), a
//! request head must arrive within `header_timeout` (which is also how long an idle keep-alive
//! connection may wait for its next request), and a request body must keep up a minimum average
//! rate after a short grace period ([`MinRateBody`]), so a slow-loris client is cut off while a
//! slow but honest upload still arrives.
//!
//! Shutdown (SIGTERM, Ctrl-C): the listener closes at once, idle connections close, requests in
//! flight — a cutout waiting for the model, say — are finished, and after `shutdown_deadline` the
//! rest are dropped.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::{Bytes, Incoming};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// The bounds of every connection (`IMGIGO_MAX_CONNECTIONS`, `IMGIGO_HEADER_TIMEOUT_SECONDS`,
/// `IMGIGO_MIN_UPLOAD_KBPS`, `IMGIGO_SHUTDOWN_SECONDS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    /// Bytes per second a request body must average once `body_grace` has passed.
    pub min_body_rate: u64,
    pub body_grace: Duration,
    pub shutdown_deadline: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(15),
            min_body_rate: 64 * 1000,
            body_grace: Duration::from_secs(10),
            shutdown_deadline: Duration::from_secs(30),
        }
    }
}

impl ConnectionLimits {
    pub fn from_config(config: &services::config::Config) -> Self {
        Self {
            max_connections: config.max_connections,
            header_timeout: config.header_timeout,
            min_body_rate: config.min_upload_rate,
            body_grace: Self::default().body_grace,
            shutdown_deadline: config.shutdown_deadline,
        }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then drains as described above.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A free slot first: at the cap, no connection is accepted until one closes.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a moment instead of spinning.
                    tracing::warn!(error = %err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Pages stream in several chunks; without TCP_NODELAY each waits on the peer's delayed ACK.
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(error = %err, "cannot set TCP_NODELAY");
        }
        let service = per_connection(router.clone(), peer, limits);
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tracing::info!("shutting down: no new connections; finishing the requests in flight");
    if tokio::time::timeout(limits.shutdown_deadline, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            seconds = limits.shutdown_deadline.as_secs(),
            "requests still in flight at the shutdown deadline were dropped"
        );
    }
}

/// The router for one connection: the peer address for the rate limiter (in RAM only), and the
/// request body held to the minimum rate.
fn per_connection(
    router: Router,
    peer: SocketAddr,
    limits: ConnectionLimits,
) -> impl tower::Service<
    Request<Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    router.map_request(move |request: Request<Incoming>| {
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(ConnectInfo(peer));
        let body = MinRateBody::new(body, limits.min_body_rate, limits.body_grace);
        Request::from_parts(parts, Body::new(body))
    })
}

/// A request body that fails once it falls behind `grace + received / rate`: a client that stops
/// sending, or trickles, is cut off; one that keeps up the rate on average is never interrupted.
pub struct MinRateBody<B> {
    inner: B,
    started: Instant,
    received: u64,
    rate: u64,
    grace: Duration,
    timer: Pin<Box<Sleep>>,
}

/// The error a too-slow body ends with; the handler answers "the upload was interrupted".
#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
pub struct TooSlow;

impl<B> MinRateBody<B> {
    pub fn new(inner: B, rate: u64, grace: Duration) -> Self {
        let started = Instant::now();
        Self {
            inner,
            started,
            received: 0,
            rate: rate.max(1),
            grace,
            timer: Box::pin(tokio::time::sleep_until(started + grace)),
        }
    }

    fn deadline(&self) -> Instant {
        let earned = Duration::from_secs_f64(self.received as f64 / self.rate as f64);
        self.started + self.grace + earned
    }
}

impl<B> HttpBody for MinRateBody<B>
where
    B: HttpBody<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    self.received += data.len() as u64;
                    let deadline = self.deadline();
                    self.timer.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(err.into()))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(TooSlow)))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, StreamBody};

    fn trickle(
        pieces: usize,
        every: Duration,
    ) -> impl HttpBody<Data = Bytes, Error = Infallible> + Unpin {
        let stream = futures_util::stream::unfold(0usize, move |sent| async move {
            if sent == pieces {
                return None;
            }
            tokio::time::sleep(every).await;
            Some((Ok(Frame::data(Bytes::from(vec![7u8; 1000]))), sent + 1))
        });
        StreamBody::new(Box::pin(stream))
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_keeps_the_rate_arrives_and_one_that_trickles_is_cut_off() {
        // 1000 bytes every 10 ms = 100 kB/s against a 50 kB/s minimum: fine.
        let fast = MinRateBody::new(
            trickle(200, Duration::from_millis(10)),
            50_000,
            Duration::from_secs(1),
        );
        let collected = fast.collect().await.expect("arrives").to_bytes();
        assert_eq!(collected.len(), 200_000);
        // 1000 bytes every 100 ms = 10 kB/s: cut off once the grace and the earned time are used.
        let slow = MinRateBody::new(
            trickle(200, Duration::from_millis(100)),
            50_000,
            Duration::from_secs(1),
        );
        let Err(err) = slow.collect().await else {
            panic!("the trickle was not cut off");
        };
        assert!(err.to_string().contains("too slowly"), "{err}");
    }
}
