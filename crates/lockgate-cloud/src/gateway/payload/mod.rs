//! API Gateway's Lambda proxy payloads: what the gateway knows of a request
//! (here), the events of formats 1.0 and 2.0 built from it (`event`, with
//! the hand-written JSON of the 2.0 event in `json`), and the mapping of
//! function results back to HTTP responses (`result`, the usual 2.0 result
//! read without a JSON tree by `fast`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;

use crate::config::{ApiConfig, ApiKind, PayloadVersion};

mod event;
mod fast;
mod json;
mod result;

pub use event::{EventConstants, event_v1, event_v2, event_v2_json};
pub use result::{Malformed, MappedResponse, response_v1, response_v2};

/// What the gateway knows about an incoming request.
#[derive(Debug, Clone)]
pub struct RequestInfo {
    /// The method, upper case.
    pub method: Cow<'static, str>,
    /// The path as received (percent-encoded), without the query.
    pub path: String,
    /// The raw query string (without `?`).
    pub query: String,
    /// The headers as received (names lower-case; a name's values in
    /// arrival order).
    pub headers: hyper::HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The client's address.
    pub source_ip: std::net::IpAddr,
    /// `HTTP/1.1`.
    pub protocol: Cow<'static, str>,
    /// The request ID.
    pub request_id: String,
    /// When it arrived.
    pub time: SystemTime,
}

/// Where a request is going: API, route template and path parameters.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    /// The API.
    pub api: &'a ApiConfig,
    /// The route's method (`None` for ANY).
    pub method: Option<&'a str>,
    /// The route's path template (or `$default`).
    pub resource: &'a str,
    /// Decoded path parameters.
    pub path_params: &'a BTreeMap<String, String>,
    /// The payload format.
    pub payload: PayloadVersion,
    /// The HTTP API route key ([`route_key`] of the method and template).
    pub route_key: &'a str,
    /// The API's ID ([`api_id`]).
    pub api_id: &'a str,
    /// The route's constant parts of a 2.0 event (of `route_key`, `api_id`
    /// and the API's stage).
    pub constants: &'a EventConstants,
}

/// A stable, API-Gateway-looking ID of an API (ten characters of
/// `[a-z0-9]`), derived from its logical ID.
pub fn api_id(api: &ApiConfig) -> String {
    // A stable, API-Gateway-looking ID derived from the logical ID.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in api.name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..10)
        .map(|i| alphabet[((h >> (i * 6)) % 36) as usize] as char)
        .collect()
}

/// The first label of the host, without a port (`abc.execute-api…` → `abc`).
fn domain_prefix(host: &str) -> &str {
    let end = host.find([':', '.']).unwrap_or(host.len());
    &host[..end]
}

fn query_pairs(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The last value of a header, if it is text.
fn header(req: &RequestInfo, name: impl hyper::header::AsHeaderName) -> Option<&str> {
    header_str(req.headers.get_all(name).iter().next_back()?)
}

/// A header value as text, if it is UTF-8 (the rule of [`header`]).
fn header_str(v: &hyper::header::HeaderValue) -> Option<&str> {
    std::str::from_utf8(v.as_bytes()).ok()
}

/// The cookies of a `Cookie` header.
fn cookie_parts(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|c| !c.is_empty())
}

/// A header value as text (bytes that are not UTF-8 shown as U+FFFD).
fn header_text(v: &hyper::header::HeaderValue) -> Cow<'_, str> {
    // The usual, valid text checked the fast way first.
    match header_str(v) {
        Some(s) => Cow::Borrowed(s),
        None => String::from_utf8_lossy(v.as_bytes()),
    }
}

/// The media type of a `Content-Type` value, lower case, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Whether a content type is text (HTTP APIs send everything else base64).
fn is_text(content_type: &str) -> bool {
    let ct = media_type(content_type);
    ct.starts_with("text/")
        || ct.ends_with("+json")
        || ct.ends_with("+xml")
        || matches!(
            ct.as_str(),
            "application/json"
                | "application/xml"
                | "application/javascript"
                | "application/x-www-form-urlencoded"
                | "application/graphql"
                | ""
        )
}

fn media_type_matches(pattern: &str, content_type: &str) -> bool {
    let pattern = pattern.replace("~1", "/");
    let ct = media_type(content_type);
    let pattern = pattern.to_ascii_lowercase();
    if pattern == "*/*" {
        return true;
    }
    match pattern.strip_suffix("/*") {
        Some(major) => ct.split('/').next() == Some(major),
        None => ct == pattern,
    }
}

/// Encodes a request body as the event carries it: `(body, isBase64Encoded)`.
fn encode_body<'a>(req: &'a RequestInfo, api: &ApiConfig) -> (Option<Cow<'a, str>>, bool) {
    if req.body.is_empty() {
        return (None, false);
    }
    let ct = header(req, "content-type").unwrap_or("");
    let binary = match api.kind {
        ApiKind::Rest => api
            .binary_media_types
            .iter()
            .any(|p| media_type_matches(p, ct)),
        ApiKind::Http => !is_text(ct),
    };
    match (binary, std::str::from_utf8(&req.body)) {
        (false, Ok(text)) => (Some(Cow::Borrowed(text)), false),
        _ => (Some(Cow::Owned(B64.encode(&req.body))), true),
    }
}

/// The HTTP API route key of a route's method (`None` for ANY) and path
/// template: `GET /items/{id}`, `ANY /x`, or `$default`.
pub fn route_key(method: Option<&str>, resource: &str) -> String {
    if resource == "$default" || resource == "/$default" {
        "$default".into()
    } else {
        format!("{} {resource}", method.unwrap_or("ANY"))
    }
}
