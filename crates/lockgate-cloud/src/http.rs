//! Small HTTP helpers shared by the gateway and the other servers: an
//! accept loop that sets TCP_NODELAY and serves HTTP/1.1 with hyper,
//! bodies, and response builders. (The Runtime API has a server of its
//! own, `instance::api`, which shares the body limit and its errors.)

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::AbortHandle;

/// The body type every server here answers with: one buffer, written in one piece.
pub type Body = Full<Bytes>;

/// Lambda's payload limit for synchronous invocations (6 MiB).
pub const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// How [`serve_with`] treats connections.
#[derive(Clone, Default)]
pub struct ServeOptions {
    /// The most connections served at once; more wait, unaccepted, in the
    /// listen backlog.
    pub max_connections: Option<usize>,
    /// How long a connection may go without starting a request (sending
    /// headers slowly, or idle between keep-alive requests) while none is in
    /// progress and nothing is being written to it before it is closed;
    /// closed within a quarter more than this.
    pub header_read_timeout: Option<Duration>,
}

/// Serves `handler` on `listener` until `shutdown` turns true; the handler
/// gets each request with the client's address.
///
/// Every accepted connection gets TCP_NODELAY and is served with HTTP/1.1
/// keep-alive; responses are flattened into one write (`writev(false)`).
pub async fn serve<H, F>(listener: TcpListener, handler: Arc<H>, shutdown: watch::Receiver<bool>)
where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    serve_with(listener, handler, shutdown, ServeOptions::default()).await
}

/// [`serve`] with a connection cap and a header-read timeout.
pub async fn serve_with<H, F>(
    listener: TcpListener,
    handler: Arc<H>,
    mut shutdown: watch::Receiver<bool>,
    options: ServeOptions,
) where
    H: Fn(Request<Incoming>, SocketAddr) -> F + Send + Sync + 'static,
    F: Future<Output = Response<Body>> + Send + 'static,
{
    let slots = options
        .max_connections
        .map(|n| Arc::new(tokio::sync::Semaphore::new(n.max(1))));
    loop {
        let permit = match &slots {
            Some(s) => {
                let stop = shutdown.wait_for(|s| *s);
                tokio::select! {
                    biased;
                    _ = stop => return,
                    p = s.clone().acquire_owned() => p.ok(),
                }
            }
            None => None,
        };
        let stop = shutdown.wait_for(|s| *s);
        let accepted = tokio::select! {
            biased;
            _ = stop => return,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(s) => s,
            Err(e) => {
                after_accept_error(&e).await;
                continue;
            }
        };
        // Nagle only delays small answers; a socket that refuses the option still serves.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY on a connection from {peer}: {e}");
        }
        let handler = handler.clone();
        let mut conn_shutdown = shutdown.clone();
        // Counted only when a watchdog reads them.
        let activity = options
            .header_read_timeout
            .map(|t| (t, Arc::new(Activity::default())));
        let counts = activity.as_ref().map(|(_, a)| a.clone());
        let watched = counts.clone();
        let task = tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let counts = counts.clone();
                if let Some(c) = &counts {
                    c.started.fetch_add(1, Ordering::AcqRel);
                }
                let fut = handler(req, peer);
                async move {
                    let response = fut.await;
                    if let Some(c) = counts {
                        c.finished.fetch_add(1, Ordering::AcqRel);
                    }
                    Ok::<_, Infallible>(response)
                }
            });
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder.writev(false).keep_alive(true);
            let io = Watched {
                stream,
                activity: watched,
            };
            let conn = builder.serve_connection(TokioIo::new(io), service);
            tokio::pin!(conn);
            let stop = async move {
                // Dropped sender: the server is gone, which is a stop too.
                let _ = conn_shutdown.wait_for(|s| *s).await;
            };
            let finished = tokio::select! {
                _ = conn.as_mut() => true,
                _ = stop => false,
            };
            if !finished {
                conn.as_mut().graceful_shutdown();
                // A connection the client breaks while closing is nobody's error.
                let _ = conn.await;
            }
        });
        if let Some((timeout, activity)) = activity {
            tokio::spawn(close_when_idle(activity, timeout, task.abort_handle()));
        }
    }
}

/// What an accept loop does after `accept` failed: a failure of that one
/// connection (reset or aborted before it was taken) goes on at once; any
/// other (out of file descriptors, or of memory) is logged and waited out
/// for a moment, so the loop does not spin on a listener that cannot
/// accept yet (connections wait in its backlog meanwhile).
pub(crate) async fn after_accept_error(e: &std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted, WouldBlock};
    if matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) {
        tracing::debug!("accept failed: {e}");
        return;
    }
    tracing::warn!("accept failed: {e}; accepting again in {ACCEPT_PAUSE:?}");
    tokio::time::sleep(ACCEPT_PAUSE).await;
}

/// How long an accept loop waits after a failure that is not one
/// connection's (see [`after_accept_error`]).
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What a connection's watchdog reads: requests begun and answered by the
/// handler, and writes to the client that made progress.
#[derive(Debug, Default)]
struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
    written: AtomicU64,
}

/// A connection's socket that counts the writes that made progress, so a
/// response still being written to a slow reader keeps its connection.
/// Reads are not counted: a client trickling its headers is what the
/// watchdog closes.
struct Watched {
    stream: tokio::net::TcpStream,
    activity: Option<Arc<Activity>>,
}

impl Watched {
    fn wrote(&self, n: &std::task::Poll<std::io::Result<usize>>) {
        if let (Some(a), std::task::Poll::Ready(Ok(1..))) = (&self.activity, n) {
            a.written.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl tokio::io::AsyncRead for Watched {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Watched {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let me = self.get_mut();
        let n = std::pin::Pin::new(&mut me.stream).poll_write(cx, buf);
        me.wrote(&n);
        n
    }

    fn poll_write_vectored(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let me = self.get_mut();
        let n = std::pin::Pin::new(&mut me.stream).poll_write_vectored(cx, bufs);
        me.wrote(&n);
        n
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// Closes a connection that starts no request for `timeout` while none is in
/// progress and nothing is being written to it (a client sending its headers
/// slowly, or idle between requests).
///
/// One timer a connection, looked at a few times a period, instead of one
/// armed and disarmed for every request: a request costs two counter
/// increments, a write one. The connection closes between `timeout` and a
/// quarter more.
async fn close_when_idle(activity: Arc<Activity>, timeout: Duration, conn: AbortHandle) {
    const LOOKS: u32 = 4;
    let tick = timeout / LOOKS;
    let (mut seen, mut quiet) = ((0, 0), 0);
    loop {
        tokio::time::sleep(tick).await;
        if conn.is_finished() {
            return;
        }
        let started = activity.started.load(Ordering::Acquire);
        let busy = activity.finished.load(Ordering::Acquire) != started;
        let now = (started, activity.written.load(Ordering::Acquire));
        if busy || now != seen {
            (seen, quiet) = (now, 0);
            continue;
        }
        quiet += 1;
        if quiet == LOOKS {
            conn.abort();
            return;
        }
    }
}

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Larger than the limit.
    TooLarge,
    /// The connection failed.
    Broken,
    /// The client sent none of the rest of the body for the idle limit
    /// (see [`read_body_within`]).
    TimedOut,
}

/// Reads a whole request body, refusing more than `limit` bytes. An empty
/// body costs nothing and a body that arrives in one piece is not copied.
pub async fn read_body(body: Incoming, limit: usize) -> Result<Bytes, BodyError> {
    read_body_within(body, limit, None).await
}

/// [`read_body`] that gives up when the client sends nothing more of the
/// body for `idle` ([`BodyError::TimedOut`]): a client that announces a
/// large body and trickles it, or stops, holds its connection no longer
/// than a silent one. A body already received arms no timer.
pub async fn read_body_within(
    mut body: Incoming,
    limit: usize,
    idle: Option<Duration>,
) -> Result<Bytes, BodyError> {
    use hyper::body::Body as _;
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    let mut first = Bytes::new();
    let mut joined: Option<Vec<u8>> = None;
    loop {
        let next = match idle {
            None => body.frame().await,
            Some(idle) => ready_within(body.frame(), idle)
                .await
                .ok_or(BodyError::TimedOut)?,
        };
        let Some(frame) = next else {
            break;
        };
        let Ok(data) = frame.map_err(|_| BodyError::Broken)?.into_data() else {
            // Trailers: not part of the body.
            continue;
        };
        if data.is_empty() {
            continue;
        }
        let len = joined.as_ref().map_or(first.len(), Vec::len) + data.len();
        if len > limit {
            return Err(BodyError::TooLarge);
        }
        match &mut joined {
            Some(all) => all.extend_from_slice(&data),
            None if first.is_empty() => first = data,
            None => {
                let mut all = Vec::with_capacity(len);
                all.extend_from_slice(&first);
                all.extend_from_slice(&data);
                joined = Some(all);
            }
        }
    }
    Ok(joined.map_or(first, Bytes::from))
}

/// `fut`'s output, or `None` when it is still waiting after `idle`; a
/// future ready at its first poll arms no timer.
async fn ready_within<F: Future>(fut: F, idle: Duration) -> Option<F::Output> {
    use std::task::Poll;
    let mut fut = std::pin::pin!(fut);
    if let Poll::Ready(out) = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await {
        return Some(out);
    }
    tokio::time::timeout(idle, fut).await.ok()
}

/// A response with a body and content type.
pub fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    // The common types without parsing or allocating.
    let value = match content_type {
        "application/json" => Ok(HeaderValue::from_static("application/json")),
        "text/plain" => Ok(HeaderValue::from_static("text/plain")),
        other => HeaderValue::from_str(other),
    };
    if let Ok(v) = value {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

/// `response` with `Connection: close`: hyper closes the connection once it
/// is written (after a request whose body was not read to its end).
pub fn closing(mut response: Response<Body>) -> Response<Body> {
    response
        .headers_mut()
        .insert(hyper::header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    response(status, "application/json", value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One connection's failure is passed over at once; running out of
    /// descriptors pauses the loop instead of letting it spin.
    #[tokio::test(start_paused = true)]
    async fn an_accept_loop_pauses_only_for_what_is_not_one_connections() {
        let t = tokio::time::Instant::now();
        after_accept_error(&std::io::ErrorKind::ConnectionAborted.into()).await;
        assert_eq!(t.elapsed(), Duration::ZERO);
        // EMFILE: too many open files.
        after_accept_error(&std::io::Error::from_raw_os_error(libc::EMFILE)).await;
        assert_eq!(t.elapsed(), ACCEPT_PAUSE);
    }

    /// A client that sends nothing is closed at the header-read timeout,
    /// and connections beyond the cap wait until a slot frees.
    #[tokio::test]
    async fn silent_clients_are_closed_and_connections_capped() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_stop, rx) = watch::channel(false);
        let handler = Arc::new(|_req: Request<Incoming>, _peer| async {
            response(StatusCode::OK, "text/plain", Bytes::from_static(b"ok"))
        });
        let options = ServeOptions {
            max_connections: Some(1),
            header_read_timeout: Some(Duration::from_millis(200)),
        };
        tokio::spawn(serve_with(listener, handler, rx, options));
        // The first connection takes the only slot and sends half a request.
        let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap();
        silent.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        // The second is served once the first is closed for its silence.
        let mut next = tokio::net::TcpStream::connect(addr).await.unwrap();
        next.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut closed = Vec::new();
        silent.read_to_end(&mut closed).await.unwrap();
        assert!(
            !String::from_utf8_lossy(&closed).contains(" 200 "),
            "the silent client was answered: {}",
            String::from_utf8_lossy(&closed)
        );
        let mut answer = Vec::new();
        next.read_to_end(&mut answer).await.unwrap();
        assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
    }

    /// A response still being written to a slow reader keeps its
    /// connection past the timeout, and arrives whole.
    #[tokio::test]
    async fn a_slow_reader_gets_the_whole_response() {
        const SIZE: usize = 32 << 20;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_stop, rx) = watch::channel(false);
        let handler = Arc::new(|_req: Request<Incoming>, _peer| async {
            response(StatusCode::OK, "text/plain", vec![b'x'; SIZE])
        });
        let options = ServeOptions {
            header_read_timeout: Some(Duration::from_millis(400)),
            ..ServeOptions::default()
        };
        tokio::spawn(serve_with(listener, handler, rx, options));
        // A small receive window, read a little at a time: the response
        // takes seconds to write, several timeouts.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(64 << 10).unwrap();
        let mut conn = socket.connect(addr).await.unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let mut got = 0usize;
        let mut buf = vec![0u8; 256 << 10];
        loop {
            let n = conn.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got += n;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let took = started.elapsed();
        assert!(
            got > SIZE,
            "the response was cut after {got} bytes and {took:?}"
        );
    }

    /// A client that announces a body and stops sending it is answered
    /// `408` and closed once the body makes no progress for the idle limit;
    /// one that sends its body slowly but steadily is served.
    #[tokio::test]
    async fn a_body_that_stops_arriving_is_cut() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_stop, rx) = watch::channel(false);
        let handler = Arc::new(|req: Request<Incoming>, _peer| async move {
            match read_body_within(req.into_body(), 1 << 20, Some(Duration::from_millis(300))).await
            {
                Ok(b) => response(StatusCode::OK, "text/plain", format!("got {}", b.len())),
                Err(BodyError::TimedOut) => closing(response(
                    StatusCode::REQUEST_TIMEOUT,
                    "text/plain",
                    "timed out",
                )),
                Err(e) => response(StatusCode::BAD_REQUEST, "text/plain", format!("{e:?}")),
            }
        });
        let options = ServeOptions {
            header_read_timeout: Some(Duration::from_secs(60)),
            ..ServeOptions::default()
        };
        tokio::spawn(serve_with(listener, handler, rx, options));

        // Announces 1 000 bytes, sends 10, then nothing: the connection is
        // answered and closed (read_to_end returns) long before the
        // 60-second header-read timeout.
        let mut stalled = tokio::net::TcpStream::connect(addr).await.unwrap();
        stalled
            .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789")
            .await
            .unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(30), stalled.read_to_end(&mut answer))
            .await
            .expect("the stalled connection was not closed")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(
            answer.to_ascii_lowercase().contains("connection: close"),
            "{answer}"
        );

        // Ten pieces 100 ms apart (a second in all, three idle limits) are
        // read whole.
        let mut steady = tokio::net::TcpStream::connect(addr).await.unwrap();
        steady
            .write_all(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nConnection: close\r\n\r\n",
            )
            .await
            .unwrap();
        for _ in 0..10 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            steady.write_all(b"0123456789").await.unwrap();
        }
        let mut answer = Vec::new();
        steady.read_to_end(&mut answer).await.unwrap();
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with("got 100"), "{answer}");
    }

    /// A request that takes longer than the timeout is answered, and a
    /// keep-alive client that keeps asking is not closed between requests.
    #[tokio::test]
    async fn busy_and_active_connections_are_kept() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_stop, rx) = watch::channel(false);
        let handler = Arc::new(|req: Request<Incoming>, _peer| async move {
            if req.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_millis(1000)).await;
            }
            response(StatusCode::OK, "text/plain", Bytes::from_static(b"ok"))
        });
        let options = ServeOptions {
            header_read_timeout: Some(Duration::from_millis(400)),
            ..ServeOptions::default()
        };
        tokio::spawn(serve_with(listener, handler, rx, options));
        let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
        let mut ask = async |path: &str| {
            let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
            conn.write_all(req.as_bytes()).await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            while !got.ends_with(b"ok") {
                let n = conn.read(&mut buf).await.unwrap();
                assert!(n > 0, "closed while {path} was asked");
                got.extend_from_slice(&buf[..n]);
            }
            assert!(String::from_utf8_lossy(&got).starts_with("HTTP/1.1 200"));
        };
        ask("/slow").await;
        // Twelve requests 100 ms apart: 1.2 s on one connection, three timeouts.
        for _ in 0..12 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            ask("/").await;
        }
    }
}
