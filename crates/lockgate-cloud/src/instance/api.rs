//! The Runtime API's HTTP/1.1 server: a small one of its own, not hyper's.
//!
//! A runtime speaks to its instance in one fixed conversation, usually over
//! one keep-alive connection: `GET …/invocation/next`, answered with an
//! event; `POST …/invocation/{id}/response` (or `/error`), answered `202`;
//! `next` again. Every warm invocation is two of these exchanges, so what
//! the server costs per exchange is paid twice per request (the gateway's
//! own exchange with its client is the third). This server does what
//! HTTP/1.1 asks of that conversation — keep-alive and `Connection: close`,
//! HTTP/1.0, pipelined requests, `Content-Length` and chunked bodies
//! (trailers read and dropped), `Expect: 100-continue`, a `400` for what is
//! not HTTP and a `431` for a head over 64 KiB — and nothing else: the head
//! is parsed in place with `httparse` (no request, header map or body
//! channel is built), and the answer's head is written by its handler
//! straight into the buffer that goes out, with the body, in one write.
//! Lambda's own Runtime API server is likewise a server of its own.
//!
//! A body over Lambda's 6 MiB limit is read and dropped (up to
//! [`DRAIN_LIMIT`], past which the connection is closed; a chunked one a
//! piece at a time, never held whole) so the runtime reads the `413` it is
//! answered instead of a reset connection, and a connection that closes
//! after an answer reads what still arrives before it goes, for the same
//! reason. The path is routed without its query (and without the scheme
//! and authority of an absolute-form target). Answers carry no `Date`
//! header: no runtime client reads it, and it would be a clock reading
//! and a formatted time per event. A `/next`
//! whose connection the runtime closes stops waiting, so no event is
//! answered into a closed socket (hyper's server does the same: a client
//! that goes away cancels its request).

use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use hyper::{Method, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::Instance;
use crate::http::{BodyError, MAX_PAYLOAD};

/// The largest request head read (request line and headers).
const MAX_HEAD: usize = 64 * 1024;
/// The most headers a request may have.
const MAX_HEADERS: usize = 64;
/// A body over [`MAX_PAYLOAD`] is read and dropped up to this size before
/// its `413` is answered; past it, the connection is closed instead.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;
/// A body up to this size is copied out of the read buffer (which then
/// stays unshared, so the next read needs no new buffer); a larger one is
/// handed on as a slice of it.
const COPY_LIMIT: usize = 4 * 1024;

/// An answer's head, written straight into the connection's write buffer
/// (no header map is built): the status line, then each header. The
/// server adds `content-length` (and `connection: close`) after them.
pub(super) struct AnswerHead<'o>(&'o mut Vec<u8>);

impl<'o> AnswerHead<'o> {
    /// Begins an answer with its status line.
    pub(super) fn new(out: &'o mut Vec<u8>, status: StatusCode) -> Self {
        out.extend_from_slice(b"HTTP/1.1 ");
        out.extend_from_slice(status.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes());
        out.extend_from_slice(b"\r\n");
        AnswerHead(out)
    }

    /// Adds a header; `value` must be a header value
    /// ([`is_header_value`], or taken from a `HeaderValue`).
    pub(super) fn header(&mut self, name: &str, value: &[u8]) -> &mut Self {
        debug_assert!(value.iter().all(|b| *b == b'\t' || (*b >= 32 && *b != 127)));
        self.0.extend_from_slice(name.as_bytes());
        self.0.extend_from_slice(b": ");
        self.0.extend_from_slice(value);
        self.0.extend_from_slice(b"\r\n");
        self
    }
}

/// Whether `value` can be sent as a header's value as it is (what
/// `HeaderValue::from_str` accepts: no control character but tab).
pub(super) fn is_header_value(value: &str) -> bool {
    // A fold, not `all`: no early exit, so it runs on whole words.
    value
        .bytes()
        .fold(true, |ok, b| ok & (b == b'\t' || (b >= 32 && b != 127)))
}

/// How a request's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    None,
    Length(usize),
    Chunked,
}

/// A request head, read.
#[derive(Debug)]
struct RequestHead {
    method: Method,
    framing: Framing,
    expect_continue: bool,
    keep_alive: bool,
    http10: bool,
}

/// Serves the instance's Runtime API on `listener` until `stop` turns true
/// (or its sender is gone): only connections from the instance's own
/// processes are served (any other process could read the address from
/// `/proc` and take its events), others are closed unanswered; at
/// the stop each one is dropped with what it is serving (a `/next` of a
/// stopped instance would wait forever), so a connection's task waits on
/// nothing but its socket and its instance.
pub(super) async fn serve(
    listener: TcpListener,
    inst: Arc<Instance>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(local) = listener.local_addr() else {
        // Without its address no connection can be checked: none is served.
        tracing::warn!("Runtime API of instance {}: no local address", inst.pid);
        return;
    };
    // Dropped at the stop, which aborts every connection still served.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => return,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            a = listener.accept() => a,
        };
        let (stream, peer) = match accepted {
            Ok(s) => s,
            Err(e) => {
                crate::http::after_accept_error(&e).await;
                continue;
            }
        };
        // Nagle only delays small answers; a socket that refuses the option still serves.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY on a connection from {peer}: {e}");
        }
        let inst = inst.clone();
        connections.spawn(async move {
            let pid = inst.pid;
            let ours = tokio::task::spawn_blocking(move || {
                crate::peer::connected_from_tree(pid, peer, local)
            });
            if !ours.await.unwrap_or(false) {
                tracing::warn!(
                    "refused a Runtime API connection from {peer}: not a process of instance {pid}"
                );
                return;
            }
            connection(stream, &inst).await;
        });
    }
}

/// Serves one connection's requests in order until it closes.
async fn connection(mut stream: TcpStream, inst: &Instance) {
    let mut buf = BytesMut::with_capacity(8 * 1024);
    let mut out = Vec::with_capacity(1024);
    let mut path = String::new();
    loop {
        let (len, head) = loop {
            if !buf.is_empty() {
                match parse_head(&buf, &mut path) {
                    Ok(Some(h)) => break h,
                    Ok(None) if buf.len() >= MAX_HEAD => {
                        let status = StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
                        return refuse(stream, buf.len(), status).await;
                    }
                    Ok(None) => {}
                    Err(status) => return refuse(stream, buf.len(), status).await,
                }
            }
            if !read_more(&mut stream, &mut buf).await {
                return;
            }
        };
        buf.advance(len);
        // A client that waits for `100 Continue` is told at once when its
        // body is too large, and sends none; an HTTP/1.0 one waits for
        // nothing (RFC 9110 10.1.1).
        let waits = head.expect_continue && !head.http10;
        let read = match head.framing {
            Framing::None => BodyRead::Read(Bytes::new()),
            Framing::Length(n) if waits && n > MAX_PAYLOAD => BodyRead::TooLarge { drained: false },
            framing => {
                // Asked for only when the body has not all arrived already.
                let whole = matches!(framing, Framing::Length(n) if buf.len() >= n);
                if waits
                    && !whole
                    && stream
                        .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                        .await
                        .is_err()
                {
                    return;
                }
                match framing {
                    Framing::Length(n) => read_length(&mut stream, &mut buf, n).await,
                    _ => read_chunked(&mut stream, &mut buf).await,
                }
            }
        };
        let (body, usable) = match read {
            BodyRead::Read(b) => (Ok(b), true),
            BodyRead::TooLarge { drained } => (Err(BodyError::TooLarge), drained),
            BodyRead::Malformed => (Err(BodyError::Broken), false),
            // The connection ended inside the body: nobody to answer.
            BodyRead::Gone => return,
        };
        let keep_alive = head.keep_alive && usable;
        out.clear();
        let body = {
            let handling = inst.handle(&head.method, &path, body, &mut out);
            tokio::pin!(handling);
            // While the handler waits (a `/next` for its event), what the
            // runtime sends next is read on; if it closes the connection,
            // the wait is dropped (its event, still queued, goes to the
            // next `/next`), not answered into a closed socket.
            loop {
                tokio::select! {
                    biased;
                    body = &mut handling => break body,
                    more = read_more(&mut stream, &mut buf), if buf.len() < MAX_HEAD => {
                        if !more {
                            return;
                        }
                    }
                }
            }
        };
        let head_only = head.method == Method::HEAD;
        let connection = match (keep_alive, head.http10) {
            (false, _) => Some("close"),
            // HTTP/1.0 closes unless told otherwise.
            (true, true) => Some("keep-alive"),
            (true, false) => None,
        };
        end_answer(&mut out, &body, head_only, connection);
        if stream.write_all(&out).await.is_err() {
            return;
        }
        if body.len() > COPY_LIMIT && !head_only && stream.write_all(&body).await.is_err() {
            return;
        }
        if !keep_alive {
            return close(stream, buf.len()).await;
        }
    }
}

/// Closes a connection after its last answer without losing that answer:
/// a socket closed with unread input sends a reset, which can reach the
/// client before it has read the answer. So the writing side is shut and
/// what still arrives is read and dropped until the client closes too
/// (bounded: [`DRAIN_LIMIT`] bytes, or two seconds).
async fn close(mut stream: TcpStream, unread: usize) {
    let _ = stream.shutdown().await;
    let drain = async {
        let mut left = DRAIN_LIMIT.saturating_sub(unread);
        let mut sink = vec![0u8; 16 * 1024];
        while left > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), drain).await;
}

/// Reads what the connection has into `buf`; `false` at its end (or on an
/// error).
async fn read_more(stream: &mut TcpStream, buf: &mut BytesMut) -> bool {
    if buf.capacity() - buf.len() < 1024 {
        buf.reserve(8 * 1024);
    }
    matches!(stream.read_buf(buf).await, Ok(1..))
}

/// The head at the start of `buf` and its length, `None` while it is
/// incomplete, or the status that refuses it; its path is copied into
/// `path` (out of the read buffer, which so stays unshared: reading on
/// needs no new one).
fn parse_head(buf: &[u8], path: &mut String) -> Result<Option<(usize, RequestHead)>, StatusCode> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let len = match req.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        }
        Err(_) => return Err(StatusCode::BAD_REQUEST),
    };
    let (Some(method), Some(target), Some(version)) = (req.method, req.path, req.version) else {
        return Err(StatusCode::BAD_REQUEST);
    };
    let method = Method::from_bytes(method.as_bytes()).map_err(|_| StatusCode::BAD_REQUEST)?;
    // The path alone: no query, and from an absolute-form target
    // (`http://host/path`) no scheme or authority.
    let target = match target.split_once("://") {
        Some((scheme, rest)) if !scheme.contains('/') => rest.find('/').map_or("/", |i| &rest[i..]),
        _ => target,
    };
    path.clear();
    path.push_str(target.split(['?', '#']).next().unwrap_or(""));
    let mut head = RequestHead {
        method,
        framing: Framing::None,
        expect_continue: false,
        keep_alive: version == 1,
        http10: version == 0,
    };
    let mut length: Option<usize> = None;
    let mut chunked = false;
    for h in req.headers.iter() {
        let name = h.name;
        let value = h.value;
        if name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(value)
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|s| s.parse::<usize>().ok())
                .ok_or(StatusCode::BAD_REQUEST)?;
            // Two different lengths: which one is the body's is unknowable.
            if length.is_some_and(|l| l != n) {
                return Err(StatusCode::BAD_REQUEST);
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked must be the last coding; no other coding is supported.
            let last = value.rsplit(|b| *b == b',').next().unwrap_or(b"");
            if version == 0 || !last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
                return Err(StatusCode::BAD_REQUEST);
            }
            chunked = true;
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(|b| *b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    head.keep_alive = false;
                } else if token.eq_ignore_ascii_case(b"keep-alive") && version == 0 {
                    head.keep_alive = true;
                }
            }
        } else if name.eq_ignore_ascii_case("expect") {
            head.expect_continue = value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
        }
    }
    head.framing = match (chunked, length) {
        // Both: a request that could be read two ways is refused.
        (true, Some(_)) => return Err(StatusCode::BAD_REQUEST),
        (true, None) => Framing::Chunked,
        (false, Some(0) | None) => Framing::None,
        (false, Some(n)) => Framing::Length(n),
    };
    Ok(Some((len, head)))
}

/// How reading a request's body ended.
enum BodyRead {
    /// The body.
    Read(Bytes),
    /// Over Lambda's limit; `drained` when it was read past (the
    /// connection serves on), else the connection closes after the answer.
    TooLarge { drained: bool },
    /// Framed as HTTP does not allow (a bad chunk): answered, then closed.
    Malformed,
    /// The connection ended inside it: nobody to answer.
    Gone,
}

/// A body of `n` bytes (the rest of it read from `stream`).
async fn read_length(stream: &mut TcpStream, buf: &mut BytesMut, n: usize) -> BodyRead {
    if n > MAX_PAYLOAD {
        if n > DRAIN_LIMIT {
            return BodyRead::TooLarge { drained: false };
        }
        let mut left = n;
        loop {
            let take = left.min(buf.len());
            buf.advance(take);
            left -= take;
            if left == 0 {
                return BodyRead::TooLarge { drained: true };
            }
            if !read_more(stream, buf).await {
                return BodyRead::Gone;
            }
        }
    }
    if buf.len() < n {
        buf.reserve(n - buf.len());
        while buf.len() < n {
            if !read_more(stream, buf).await {
                return BodyRead::Gone;
            }
        }
    }
    let body = if n <= COPY_LIMIT {
        let b = Bytes::copy_from_slice(&buf[..n]);
        buf.advance(n);
        b
    } else {
        buf.split_to(n).freeze()
    };
    BodyRead::Read(body)
}

/// A chunked body (its trailers read and dropped).
async fn read_chunked(stream: &mut TcpStream, buf: &mut BytesMut) -> BodyRead {
    /// The longest chunk-size or trailer line read.
    const MAX_LINE: usize = 8 * 1024;
    /// Where the next CRLF-ended line ends (read as needed), or how the
    /// body ends first: the connection's end, or a line too long.
    async fn line(stream: &mut TcpStream, buf: &mut BytesMut) -> Result<usize, BodyRead> {
        let mut from = 0;
        loop {
            if let Some(i) = buf[from..].windows(2).position(|w| w == b"\r\n") {
                return Ok(from + i);
            }
            // Nothing else is in the buffer: it is all this line so far.
            if buf.len() > MAX_LINE {
                return Err(BodyRead::Malformed);
            }
            from = buf.len().saturating_sub(1);
            if !read_more(stream, buf).await {
                return Err(BodyRead::Gone);
            }
        }
    }
    let mut body = BytesMut::new();
    let mut total = 0usize;
    loop {
        let end = match line(stream, buf).await {
            Ok(end) => end,
            Err(ended) => return ended,
        };
        // `size[;extension]`, the size in hexadecimal digits.
        let size = buf[..end]
            .split(|b| *b == b';')
            .next()
            .map(<[u8]>::trim_ascii)
            .filter(|s| !s.is_empty() && s.len() <= 15 && s.iter().all(u8::is_ascii_hexdigit))
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| usize::from_str_radix(s, 16).ok());
        let Some(size) = size else {
            return BodyRead::Malformed;
        };
        buf.advance(end + 2);
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let end = match line(stream, buf).await {
                    Ok(end) => end,
                    Err(ended) => return ended,
                };
                buf.advance(end + 2);
                if end == 0 {
                    break;
                }
            }
            break;
        }
        total = total.saturating_add(size);
        if total > DRAIN_LIMIT {
            return BodyRead::TooLarge { drained: false };
        }
        // Over the limit, what was kept is dropped and the rest only read.
        let keep = total <= MAX_PAYLOAD;
        if !keep {
            body = BytesMut::new();
        }
        // The chunk's data, taken as it arrives (never held whole here).
        let mut left = size;
        while left > 0 {
            if buf.is_empty() && !read_more(stream, buf).await {
                return BodyRead::Gone;
            }
            let take = left.min(buf.len());
            if keep {
                body.extend_from_slice(&buf[..take]);
            }
            buf.advance(take);
            left -= take;
        }
        while buf.len() < 2 {
            if !read_more(stream, buf).await {
                return BodyRead::Gone;
            }
        }
        if &buf[..2] != b"\r\n" {
            return BodyRead::Malformed;
        }
        buf.advance(2);
    }
    if total > MAX_PAYLOAD {
        return BodyRead::TooLarge { drained: true };
    }
    BodyRead::Read(body.freeze())
}

/// Ends an answer whose head [`AnswerHead`] wrote into `out`: its
/// length, its `connection` header when it needs one (`close`; an HTTP/1.0
/// connection kept, `keep-alive`), and the body when it is small (one
/// write for both).
fn end_answer(out: &mut Vec<u8>, body: &[u8], head_only: bool, connection: Option<&str>) {
    out.extend_from_slice(b"content-length: ");
    out.extend_from_slice(itoa::Buffer::new().format(body.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    if let Some(c) = connection {
        out.extend_from_slice(b"connection: ");
        out.extend_from_slice(c.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only && body.len() <= COPY_LIMIT {
        out.extend_from_slice(body);
    }
}

/// Answers what cannot be read as a request with `status` and closes.
async fn refuse(mut stream: TcpStream, unread: usize, status: StatusCode) {
    let mut out = Vec::with_capacity(128);
    AnswerHead::new(&mut out, status);
    end_answer(&mut out, b"", false, Some("close"));
    if stream.write_all(&out).await.is_ok() {
        close(stream, unread).await;
    }
}

/// An answer with a body of `content_type`: its head written into `out`,
/// its body returned.
pub(super) fn answer(
    out: &mut Vec<u8>,
    status: StatusCode,
    content_type: &str,
    body: impl Into<Bytes>,
) -> Bytes {
    AnswerHead::new(out, status).header("content-type", content_type.as_bytes());
    body.into()
}

/// A JSON answer (see [`answer`]).
pub(super) fn json(out: &mut Vec<u8>, status: StatusCode, value: &serde_json::Value) -> Bytes {
    answer(out, status, "application/json", value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Result<Option<(usize, RequestHead)>, StatusCode> {
        parse_head(text.as_bytes(), &mut String::new())
    }

    #[test]
    fn heads_are_read_as_http_says() {
        let mut path = String::new();
        let (len, h) = parse_head(b"GET /a?b HTTP/1.1\r\nHost: x\r\n\r\nrest", &mut path)
            .unwrap()
            .unwrap();
        // The path alone, without its query.
        assert_eq!((len, path.as_str()), (30, "/a"));
        for (target, want) in [
            ("http://h:1/x/y?z#f", "/x/y"),
            ("http://h:1", "/"),
            ("/p://q", "/p://q"),
        ] {
            let text = format!("GET {target} HTTP/1.1\r\n\r\n");
            parse_head(text.as_bytes(), &mut path).unwrap().unwrap();
            assert_eq!(path, want, "{target}");
        }
        assert_eq!(
            (h.method, h.framing, h.keep_alive),
            (Method::GET, Framing::None, true)
        );
        let (_, h) = head("POST /p HTTP/1.0\r\nContent-Length: 12\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(12), false));
        let (_, h) = head("POST /p HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
            .unwrap()
            .unwrap();
        assert!(h.keep_alive);
        let (_, h) = head("POST /p HTTP/1.1\r\nConnection: foo, close\r\nTransfer-Encoding: gzip, chunked\r\nExpect: 100-Continue\r\n\r\n")
            .unwrap()
            .unwrap();
        assert_eq!(
            (h.framing, h.keep_alive, h.expect_continue),
            (Framing::Chunked, false, true)
        );
        assert!(head("GET /a HTTP/1.1\r\nHost: x\r\n").unwrap().is_none());
    }

    #[test]
    fn heads_that_could_be_read_two_ways_are_refused() {
        for bad in [
            "GET /a HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "GET /a HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            "GET /a HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
            "GET /a HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "GET /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
            "GET /a HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "NOT HTTP\r\n\r\n",
            "G(T /a HTTP/1.1\r\n\r\n",
        ] {
            assert_eq!(head(bad).unwrap_err(), StatusCode::BAD_REQUEST, "{bad:?}");
        }
        let many = format!(
            "GET / HTTP/1.1\r\n{}\r\n",
            "a: b\r\n".repeat(MAX_HEADERS + 1)
        );
        assert_eq!(
            head(&many).unwrap_err(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }

    /// What a runtime may send, over real sockets from the instance's own
    /// process (the only one the server admits): a chunked body with an
    /// extension and a trailer after `Expect: 100-continue`; a body and the
    /// next request in one write; a body over the limit, with a length or
    /// chunked (read and dropped: `413`, or the `400` of a wrong request
    /// ID, and the connection serves on); HTTP/1.0 (answered, then closed); bytes that
    /// are not HTTP (`400`, closed); a chunk size that is not hexadecimal
    /// (the handler's `400`, closed); requests sent a byte at a time (a
    /// `HEAD`: its length, no body; a chunked body); a head over 64 KiB
    /// (`431`, closed); HTTP/1.0 kept alive when asked (and saying so);
    /// `Expect: 100-continue` with a body over the limit
    /// (answered at once, no `100`, closed); an absolute-form target and
    /// a query (the path alone is routed); `Connection: close`.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_runtime_may_speak_any_http_11_it_likes() {
        use crate::instance::Reply;
        use crate::instance::tests::{python, send_event};

        const SCRIPT: &str = r#"
import json, os, socket, time
host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
NEXT = b'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n'
def post(rid, extra=''):
    return f'POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\nHost: x\r\n{extra}'.encode()
def head_of(s, buf):
    while b'\r\n\r\n' not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError(buf)
        buf += d
    head, buf = buf.split(b'\r\n\r\n', 1)
    lines = head.decode().split('\r\n')
    h = {k.lower(): v.strip() for k, v in (l.split(':', 1) for l in lines[1:])}
    return int(lines[0].split()[1]), h, buf
def answer(s, buf):
    st, h, buf = head_of(s, buf)
    n = int(h.get('content-length', 0))
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError(buf)
        buf += d
    return st, h, buf[:n], buf[n:]
def trickle(s, data):
    for i in range(len(data)):
        s.send(data[i:i + 1])
        time.sleep(0.0005)
seen = []
s = socket.create_connection((host, int(port)))
s.sendall(NEXT)
_, h, _, buf = answer(s, b'')
s.sendall(post(h['lambda-runtime-aws-request-id'], 'Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n'))
while b'\r\n\r\n' not in buf:
    buf += s.recv(65536)
interim, buf = buf.split(b'\r\n\r\n', 1)
seen.append(interim.decode())
s.sendall(b'5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n')
st, _, _, buf = answer(s, buf)
seen.append(st)
s.sendall(NEXT)
_, h, _, buf = answer(s, buf)
absolute = f'POST http://{host}:{port}/2018-06-01/runtime/invocation/' + h['lambda-runtime-aws-request-id']
s.sendall(f'{absolute}/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}'.encode() + NEXT)
st, _, _, buf = answer(s, buf)
seen.append(st)
_, h, _, buf = answer(s, buf)
big = b'x' * (7 * 1024 * 1024)
s.sendall(post(h['lambda-runtime-aws-request-id'], f'Content-Length: {len(big)}\r\n\r\n') + big)
st, _, _, buf = answer(s, buf)
seen.append(st)
chunks = b''.join(b'100000\r\n' + b'y' * 0x100000 + b'\r\n' for _ in range(7)) + b'0\r\n\r\n'
s.sendall(post('bogus', 'Transfer-Encoding: chunked\r\n\r\n') + chunks)
st, _, body, buf = answer(s, buf)
seen.append([st, json.loads(body)['errorType']])
s.sendall(b'GET /2018-06-01/runtime/invocation/next HTTP/1.0\r\n\r\n')
_, h, _, buf = answer(s, buf)
rid = h['lambda-runtime-aws-request-id']
seen.append(h.get('connection'))
seen.append(buf == b'' and s.recv(1) == b'')
b = socket.create_connection((host, int(port)))
b.sendall(b'BLAH\r\n\r\n')
st, _, _, rest = answer(b, b'')
seen.append(st)
seen.append(rest == b'' and b.recv(1) == b'')
d = socket.create_connection((host, int(port)))
d.sendall(post(rid, 'Transfer-Encoding: chunked\r\n\r\nzz\r\n'))
st, _, body, rest = answer(d, b'')
seen.append([st, json.loads(body)['errorType']])
seen.append(rest == b'' and d.recv(1) == b'')
e = socket.create_connection((host, int(port)))
e.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
trickle(e, b'HEAD /2018-06-01/runtime/nowhere HTTP/1.0\r\nConnection: keep-alive\r\n\r\n')
st, h, buf = head_of(e, b'')
got = [st, int(h['content-length']) > 0, h.get('connection')]
trickle(e, b'POST /2018-06-01/runtime/invocation/bogus/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\n\r\n')
st, _, body, buf = answer(e, buf)
seen.append(got + [st, json.loads(body)['errorType']])
f = socket.create_connection((host, int(port)))
f.sendall(b'GET / HTTP/1.1\r\nX: ' + b'a' * (70 * 1024) + b'\r\n\r\n')
st, h, _, rest = answer(f, b'')
seen.append([st, h.get('connection'), rest == b'' and f.recv(1) == b''])
g = socket.create_connection((host, int(port)))
g.sendall(post('bogus', f'Expect: 100-continue\r\nContent-Length: {len(big)}\r\n\r\n'))
st, h, _, rest = answer(g, b'')
seen.append([st, h.get('connection')])
c = socket.create_connection((host, int(port)))
data = json.dumps(seen)
c.sendall(f'POST /2018-06-01/runtime/invocation/{rid}/response?x=1 HTTP/1.1\r\nConnection: close\r\nContent-Length: {len(data)}\r\n\r\n{data}'.encode())
answer(c, b'')
c = socket.create_connection((host, int(port)))
c.sendall(NEXT)
c.recv(1)
"#;
        let dir = tempfile::tempdir().unwrap();
        let inst = python(dir.path(), SCRIPT, &[]).await;
        let mut replies = Vec::new();
        for n in 1..=4 {
            let rx = send_event(&inst, &format!("req-{n}"));
            let reply = tokio::time::timeout(std::time::Duration::from_secs(60), rx).await;
            replies.push(
                reply
                    .expect("the runtime answers")
                    .expect("the instance lives"),
            );
        }
        inst.kill();
        let body = |r: &Reply| match r {
            Reply::Response(b) => String::from_utf8_lossy(b).into_owned(),
            other => format!("{other:?}"),
        };
        assert_eq!(body(&replies[0]), "hello world");
        assert_eq!(body(&replies[1]), "{}");
        assert!(
            matches!(replies[2], Reply::TooLarge(MAX_PAYLOAD)),
            "{:?}",
            replies[2]
        );
        let seen: serde_json::Value = serde_json::from_str(&body(&replies[3])).unwrap();
        assert_eq!(
            seen,
            serde_json::json!([
                "HTTP/1.1 100 Continue",
                202,
                202,
                413,
                [400, "InvalidRequestID"],
                "close",
                true,
                400,
                true,
                [400, "InvalidRequest"],
                true,
                [404, true, "keep-alive", 400, "InvalidRequestID"],
                [431, "close", true],
                [400, "close"]
            ])
        );
    }

    /// A `/next` whose connection the runtime closes stops waiting: the
    /// event sent afterwards goes to the runtime's next `/next`, on a new
    /// connection, instead of into the closed one.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_next_whose_connection_closes_takes_no_event() {
        use crate::instance::Reply;
        use crate::instance::tests::{python, send_event};
        use std::time::Duration;

        const SCRIPT: &str = r#"
import os, socket, sys, time
host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)
NEXT = b'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n'
a = socket.create_connection((host, int(port)))
a.sendall(NEXT)
while not os.path.exists(sys.argv[1]):
    time.sleep(0.01)
a.close()
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
b = socket.create_connection((host, int(port)))
b.sendall(NEXT)
buf = b''
while b'\r\n\r\n' not in buf:
    buf += b.recv(65536)
head = buf.split(b'\r\n\r\n', 1)[0].decode().lower()
rid = [l.split(':', 1)[1].strip() for l in head.split('\r\n') if l.startswith('lambda-runtime-aws-request-id:')][0]
b.sendall(f'POST /2018-06-01/runtime/invocation/{rid}/response HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nsafe'.encode())
b.recv(65536)
b.sendall(NEXT)
b.recv(1)
"#;
        let dir = tempfile::tempdir().unwrap();
        let (close, reopen) = (dir.path().join("close"), dir.path().join("reopen"));
        let paths = [close.to_str().unwrap(), reopen.to_str().unwrap()];
        let inst = python(dir.path(), SCRIPT, &paths).await;
        // Until a condition holds, looked at every 10 ms for at most 30 s.
        async fn until(what: &str, cond: impl Fn() -> bool) {
            let wait = async {
                while !cond() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            };
            tokio::time::timeout(Duration::from_secs(30), wait)
                .await
                .unwrap_or_else(|_| panic!("{what}"));
        }
        // The first `/next` waits (holding the job queue).
        inst.wait_ready().await;
        until("the first /next waits", || inst.jobs_rx.try_lock().is_err()).await;
        std::fs::write(&close, "").unwrap();
        until("the closed connection's /next stops waiting", || {
            inst.jobs_rx.try_lock().is_ok()
        })
        .await;
        let rx = send_event(&inst, "req-1");
        std::fs::write(&reopen, "").unwrap();
        let reply = tokio::time::timeout(Duration::from_secs(60), rx).await;
        inst.kill();
        match reply
            .expect("the runtime answers")
            .expect("the instance lives")
        {
            Reply::Response(b) => assert_eq!(&b[..], b"safe"),
            other => panic!("{other:?}"),
        }
    }
}
