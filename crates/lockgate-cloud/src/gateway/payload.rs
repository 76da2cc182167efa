//! API Gateway's Lambda proxy payloads: the events of formats 1.0 and 2.0
//! and the mapping of function results back to HTTP responses.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::config::{ApiConfig, ApiKind, PayloadVersion};
use crate::instance::epoch_ms;

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
    host.split(':')
        .next()
        .unwrap_or("")
        .split('.')
        .next()
        .unwrap_or("")
}

fn query_pairs(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The last value of a header, if it is text.
fn header<'a>(req: &'a RequestInfo, name: &str) -> Option<&'a str> {
    let v = req.headers.get_all(name).iter().next_back()?;
    std::str::from_utf8(v.as_bytes()).ok()
}

/// The cookies of a `Cookie` header.
fn cookie_parts(s: &str) -> impl Iterator<Item = &str> {
    s.split(';').map(str::trim).filter(|c| !c.is_empty())
}

/// A header value as text (bytes that are not UTF-8 shown as U+FFFD).
fn header_text(v: &hyper::header::HeaderValue) -> Cow<'_, str> {
    String::from_utf8_lossy(v.as_bytes())
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

fn obj_or_null(m: Map<String, Value>) -> Value {
    if m.is_empty() {
        Value::Null
    } else {
        Value::Object(m)
    }
}

/// The format 1.0 event (REST APIs; HTTP APIs add `"version": "1.0"`).
pub fn event_v1(req: &RequestInfo, t: &Target<'_>) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (k, v) in &req.headers {
        let v = header_text(v);
        headers.insert(k.as_str().to_string(), Value::String(v.to_string()));
        push_multi(&mut multi_headers, k.as_str(), &v);
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in query_pairs(&req.query) {
        push_multi(&mut multi_query, &k, &v);
        query.insert(k, Value::String(v));
    }
    let params: Map<String, Value> = t
        .path_params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let (body, b64) = encode_body(req, t.api);
    let host = header(req, "host").unwrap_or("localhost").to_string();
    let decoded_path = percent_encoding::percent_decode_str(&req.path)
        .decode_utf8_lossy()
        .into_owned();
    let id = t.api_id;
    let mut ev = Map::new();
    if t.api.kind == ApiKind::Http {
        ev.insert("version".into(), json!("1.0"));
    }
    ev.insert("resource".into(), json!(t.resource));
    ev.insert("path".into(), json!(decoded_path));
    ev.insert("httpMethod".into(), json!(req.method));
    ev.insert("headers".into(), obj_or_null(headers));
    ev.insert("multiValueHeaders".into(), obj_or_null(multi_headers));
    ev.insert("queryStringParameters".into(), obj_or_null(query));
    ev.insert(
        "multiValueQueryStringParameters".into(),
        obj_or_null(multi_query),
    );
    ev.insert("pathParameters".into(), obj_or_null(params));
    ev.insert(
        "stageVariables".into(),
        if t.api.stage_variables.is_empty() {
            Value::Null
        } else {
            json!(t.api.stage_variables)
        },
    );
    ev.insert(
        "requestContext".into(),
        json!({
            "accountId": crate::ACCOUNT_ID,
            "apiId": id,
            "domainName": host,
            "domainPrefix": domain_prefix(&host),
            "extendedRequestId": req.request_id,
            "httpMethod": req.method,
            "identity": identity_v1(req, t.api.kind),
            "path": if t.api.kind == ApiKind::Rest { format!("/{}{}", t.api.stage, decoded_path) } else { decoded_path.clone() },
            "protocol": req.protocol,
            "requestId": req.request_id,
            "requestTime": crate::timefmt::request_time(req.time),
            "requestTimeEpoch": epoch_ms(req.time),
            "resourceId": &id[..6],
            "resourcePath": t.resource,
            "stage": t.api.stage,
        }),
    );
    ev.insert(
        "body".into(),
        body.map_or(Value::Null, |b| b.into_owned().into()),
    );
    ev.insert("isBase64Encoded".into(), Value::Bool(b64));
    Value::Object(ev)
}

/// `requestContext.identity` of format 1.0: REST APIs also carry the API key
/// and client certificate fields; HTTP APIs do not.
fn identity_v1(req: &RequestInfo, kind: ApiKind) -> Value {
    let mut id = json!({
        "accessKey": null,
        "accountId": null,
        "caller": null,
        "cognitoAuthenticationProvider": null,
        "cognitoAuthenticationType": null,
        "cognitoIdentityId": null,
        "cognitoIdentityPoolId": null,
        "principalOrgId": null,
        "sourceIp": req.source_ip.to_string(),
        "user": null,
        "userAgent": header(req, "user-agent"),
        "userArn": null
    });
    if kind == ApiKind::Rest
        && let Some(m) = id.as_object_mut()
    {
        for k in ["apiKey", "apiKeyId", "clientCert"] {
            m.insert(k.into(), Value::Null);
        }
    }
    id
}

fn push_multi(m: &mut Map<String, Value>, k: &str, v: &str) {
    match m.get_mut(k) {
        Some(Value::Array(a)) => a.push(Value::String(v.to_string())),
        _ => {
            m.insert(k.to_string(), json!([v]));
        }
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

/// The format 2.0 event (HTTP APIs), as a JSON value.
pub fn event_v2(req: &RequestInfo, t: &Target<'_>) -> Value {
    // Serializing plain structs cannot fail (string keys, no floats).
    serde_json::to_value(EventV2::new(req, t)).unwrap_or(Value::Null)
}

/// The format 2.0 event serialized (what the gateway sends): the same
/// document as [`event_v2`], written straight from the request without an
/// intermediate JSON tree.
pub fn event_v2_json(req: &RequestInfo, t: &Target<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024 + req.body.len() * 4 / 3);
    EventV2::new(req, t).write_json(&mut out);
    out
}

/// Writes `s` as a JSON string, escaped exactly as `serde_json` does
/// (`"`, `\\`, and control characters; nothing else).
fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut rest = s.as_bytes();
    // Copy runs that need no escape in one piece.
    while let Some(i) = escape_at(rest) {
        out.extend_from_slice(&rest[..i]);
        let b = rest[i];
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// The first byte of `s` that JSON needs escaped (`"`, `\\`, a control
/// character), looked for eight bytes at a time: header values and paths
/// rarely hold one, so most strings are one pass of word compares.
fn escape_at(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit where a byte of `w` is zero (exact as to whether any is).
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Bytes below 0x20 (w & 0x80.. excludes bytes ≥ 0x80), quotes, backslashes.
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        if control | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\'))) != 0 {
            return chunk.iter().position(needs_escape).map(|i| at + i);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(needs_escape)
        .map(|i| at + i)
}

fn needs_escape(b: &u8) -> bool {
    *b < 0x20 || *b == b'"' || *b == b'\\'
}

/// Writes an address as a JSON string (IPv4 without the formatter).
fn push_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    match ip {
        std::net::IpAddr::V4(v4) => {
            out.push(b'"');
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push(b'.');
                }
                push_u64(out, u64::from(octet));
            }
            out.push(b'"');
        }
        std::net::IpAddr::V6(_) => json_str(out, &ip.to_string()),
    }
}

fn serialize_ip<S: serde::Serializer>(ip: &std::net::IpAddr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ip)
}

/// Writes a number in decimal.
fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(crate::timefmt::decimal(n, &mut [0; 20]).as_bytes());
}

/// Writes `"key":"value"` pairs of a JSON object (without the braces).
fn json_pairs<'p>(out: &mut Vec<u8>, pairs: impl Iterator<Item = (&'p str, &'p str)>) {
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k);
        out.push(b':');
        json_str(out, v);
    }
}

/// Name/value pairs serialized as a JSON object in their order (names are
/// unique: repeated ones were joined).
#[derive(Default)]
struct Pairs<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> Pairs<'a> {
    /// Adds a value; a repeated name gets it appended after a comma, as
    /// HTTP APIs join repeated headers and query parameters.
    fn join(&mut self, k: Cow<'a, str>, v: Cow<'a, str>) {
        match self.0.iter_mut().find(|(name, _)| *name == k) {
            Some((_, existing)) => {
                let s = existing.to_mut();
                s.push(',');
                s.push_str(&v);
            }
            None => self.0.push((k, v)),
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventV2<'a> {
    version: &'static str,
    route_key: &'a str,
    raw_path: &'a str,
    raw_query_string: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<Cow<'a, str>>,
    headers: Pairs<'a>,
    #[serde(skip_serializing_if = "Pairs::is_empty")]
    query_string_parameters: Pairs<'a>,
    request_context: ContextV2<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    path_parameters: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    stage_variables: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
    is_base64_encoded: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ContextV2<'a> {
    account_id: &'static str,
    api_id: &'a str,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: HttpV2<'a>,
    request_id: &'a str,
    route_key: &'a str,
    stage: &'a str,
    time: crate::timefmt::RequestTime,
    time_epoch: u64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HttpV2<'a> {
    method: &'a str,
    path: Cow<'a, str>,
    protocol: &'a str,
    #[serde(serialize_with = "serialize_ip")]
    source_ip: std::net::IpAddr,
    user_agent: &'a str,
}

impl EventV2<'_> {
    /// The event as JSON, byte for byte what `serde_json` writes for it
    /// (the gateway's hot path: no serializer, the keys written as they are).
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"version\":");
        json_str(out, self.version);
        out.extend_from_slice(b",\"routeKey\":");
        json_str(out, self.route_key);
        out.extend_from_slice(b",\"rawPath\":");
        json_str(out, self.raw_path);
        out.extend_from_slice(b",\"rawQueryString\":");
        json_str(out, self.raw_query_string);
        if !self.cookies.is_empty() {
            out.extend_from_slice(b",\"cookies\":[");
            for (i, c) in self.cookies.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                json_str(out, c);
            }
            out.push(b']');
        }
        out.extend_from_slice(b",\"headers\":{");
        json_pairs(
            out,
            self.headers.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref())),
        );
        out.push(b'}');
        if !self.query_string_parameters.is_empty() {
            out.extend_from_slice(b",\"queryStringParameters\":{");
            json_pairs(
                out,
                self.query_string_parameters
                    .0
                    .iter()
                    .map(|(k, v)| (k.as_ref(), v.as_ref())),
            );
            out.push(b'}');
        }
        let c = &self.request_context;
        out.extend_from_slice(b",\"requestContext\":{\"accountId\":");
        json_str(out, c.account_id);
        out.extend_from_slice(b",\"apiId\":");
        json_str(out, c.api_id);
        out.extend_from_slice(b",\"domainName\":");
        json_str(out, c.domain_name);
        out.extend_from_slice(b",\"domainPrefix\":");
        json_str(out, c.domain_prefix);
        out.extend_from_slice(b",\"http\":{\"method\":");
        json_str(out, c.http.method);
        out.extend_from_slice(b",\"path\":");
        json_str(out, &c.http.path);
        out.extend_from_slice(b",\"protocol\":");
        json_str(out, c.http.protocol);
        out.extend_from_slice(b",\"sourceIp\":");
        push_ip(out, c.http.source_ip);
        out.extend_from_slice(b",\"userAgent\":");
        json_str(out, c.http.user_agent);
        out.extend_from_slice(b"},\"requestId\":");
        json_str(out, c.request_id);
        out.extend_from_slice(b",\"routeKey\":");
        json_str(out, c.route_key);
        out.extend_from_slice(b",\"stage\":");
        json_str(out, c.stage);
        out.extend_from_slice(b",\"time\":");
        json_str(out, c.time.as_str());
        out.extend_from_slice(b",\"timeEpoch\":");
        push_u64(out, c.time_epoch);
        out.push(b'}');
        for (name, map) in [
            (&b",\"pathParameters\":{"[..], self.path_parameters),
            (&b",\"stageVariables\":{"[..], self.stage_variables),
        ] {
            if !map.is_empty() {
                out.extend_from_slice(name);
                json_pairs(out, map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
                out.push(b'}');
            }
        }
        if let Some(body) = &self.body {
            out.extend_from_slice(b",\"body\":");
            json_str(out, body);
        }
        out.extend_from_slice(b",\"isBase64Encoded\":");
        out.extend_from_slice(if self.is_base64_encoded {
            b"true"
        } else {
            b"false"
        });
        out.push(b'}');
    }
}

impl<'a> EventV2<'a> {
    fn new(req: &'a RequestInfo, t: &Target<'a>) -> EventV2<'a> {
        let key = t.route_key;
        let mut headers = Pairs::default();
        let mut cookies = Vec::new();
        // The last value of each, as `header` gives it, read in the same pass.
        let (mut host, mut user_agent) = (None, None);
        for (k, v) in &req.headers {
            if k == hyper::header::HOST {
                host = std::str::from_utf8(v.as_bytes()).ok();
            } else if k == hyper::header::USER_AGENT {
                user_agent = std::str::from_utf8(v.as_bytes()).ok();
            }
            let v = header_text(v);
            if k == "cookie" {
                match v {
                    Cow::Borrowed(s) => cookies.extend(cookie_parts(s).map(Cow::Borrowed)),
                    Cow::Owned(s) => {
                        cookies.extend(cookie_parts(&s).map(|c| Cow::Owned(c.to_string())))
                    }
                }
                continue;
            }
            headers.join(Cow::Borrowed(k.as_str()), v);
        }
        let mut query = Pairs::default();
        for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
            query.join(k, v);
        }
        let (body, b64) = encode_body(req, t.api);
        let host = host.unwrap_or("localhost");
        EventV2 {
            version: "2.0",
            route_key: key,
            raw_path: &req.path,
            raw_query_string: &req.query,
            cookies,
            headers,
            query_string_parameters: query,
            request_context: ContextV2 {
                account_id: crate::ACCOUNT_ID,
                api_id: t.api_id,
                domain_name: host,
                domain_prefix: domain_prefix(host),
                http: HttpV2 {
                    method: &req.method,
                    path: percent_encoding::percent_decode_str(&req.path).decode_utf8_lossy(),
                    protocol: &req.protocol,
                    source_ip: req.source_ip,
                    user_agent: user_agent.unwrap_or(""),
                },
                request_id: &req.request_id,
                route_key: key,
                stage: &t.api.stage,
                time: crate::timefmt::RequestTime::of(req.time),
                time_epoch: epoch_ms(req.time),
            },
            path_parameters: t.path_params,
            stage_variables: &t.api.stage_variables,
            body,
            is_base64_encoded: b64,
        }
    }
}

/// An HTTP response mapped from a function's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedResponse {
    /// The status.
    pub status: u16,
    /// Headers, in order (repeated names allowed).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
}

/// Why a function's result cannot be mapped (API Gateway answers 502).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Lambda proxy response: {0}")]
pub struct Malformed(pub String);

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn status_of(v: Option<&Value>) -> Result<u16, Malformed> {
    let code = match v {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    match code {
        Some(c) if (100..=599).contains(&c) => Ok(c as u16),
        _ => Err(Malformed(format!(
            "statusCode must be an HTTP status, got {}",
            v.map(Value::to_string).unwrap_or_else(|| "nothing".into())
        ))),
    }
}

fn body_of(obj: &Map<String, Value>) -> Result<Bytes, Malformed> {
    let b64 = matches!(obj.get("isBase64Encoded"), Some(Value::Bool(true)));
    let text = match obj.get("body") {
        None | Some(Value::Null) => return Ok(Bytes::new()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(Malformed(format!("body must be a string, got {other}"))),
    };
    if b64 {
        B64.decode(text.as_bytes())
            .map(Bytes::from)
            .map_err(|e| Malformed(format!("body is not valid base64: {e}")))
    } else {
        Ok(Bytes::from(text))
    }
}

fn headers_of(obj: &Map<String, Value>, out: &mut Vec<(String, String)>) -> Result<(), Malformed> {
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let v = scalar_string(v)
                    .ok_or_else(|| Malformed(format!("header {k} must be a string")))?;
                out.push((k.clone(), v));
            }
        }
        Some(_) => return Err(Malformed("headers must be an object".into())),
    }
    Ok(())
}

/// Maps a format 1.0 result: `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`.
pub fn response_v1(output: &[u8], kind: ApiKind) -> Result<MappedResponse, Malformed> {
    let v: Value =
        serde_json::from_slice(output).map_err(|e| Malformed(format!("not JSON: {e}")))?;
    let Value::Object(obj) = v else {
        return Err(Malformed("the result must be a JSON object".into()));
    };
    let status = status_of(obj.get("statusCode"))?;
    let mut headers = Vec::new();
    headers_of(&obj, &mut headers)?;
    match obj.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, vs) in h {
                let Value::Array(vs) = vs else {
                    return Err(Malformed(format!("multiValueHeaders.{k} must be a list")));
                };
                // multiValueHeaders win over headers of the same name.
                headers.retain(|(hk, _)| !hk.eq_ignore_ascii_case(k));
                for v in vs {
                    let v = scalar_string(v).ok_or_else(|| {
                        Malformed(format!("multiValueHeaders.{k} must hold strings"))
                    })?;
                    headers.push((k.clone(), v));
                }
            }
        }
        Some(_) => return Err(Malformed("multiValueHeaders must be an object".into())),
    }
    let body = body_of(&obj)?;
    if kind == ApiKind::Rest
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("content-type".into(), "application/json".into()));
    }
    Ok(MappedResponse {
        status,
        headers,
        body,
    })
}

/// Maps a format 2.0 result; a JSON value without `statusCode` is a 200 application/json body.
pub fn response_v2(output: &Bytes) -> Result<MappedResponse, Malformed> {
    match fast::response_v2(output) {
        Some(r) => Ok(r),
        None => response_v2_tree(output),
    }
}

/// [`response_v2`] through a JSON tree: every shape, and the messages.
fn response_v2_tree(output: &[u8]) -> Result<MappedResponse, Malformed> {
    let v: Value =
        serde_json::from_slice(output).map_err(|e| Malformed(format!("not JSON: {e}")))?;
    let obj = match v {
        Value::Object(obj) if obj.contains_key("statusCode") => obj,
        _ => {
            return Ok(MappedResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::copy_from_slice(output),
            });
        }
    };
    let status = status_of(obj.get("statusCode"))?;
    let mut headers = Vec::new();
    headers_of(&obj, &mut headers)?;
    match obj.get("cookies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(cs)) => {
            for c in cs {
                let c = scalar_string(c)
                    .ok_or_else(|| Malformed("cookies must hold strings".into()))?;
                headers.push(("set-cookie".into(), c));
            }
        }
        Some(_) => return Err(Malformed("cookies must be a list".into())),
    }
    let body = body_of(&obj)?;
    Ok(MappedResponse {
        status,
        headers,
        body,
    })
}

/// The usual format 2.0 result read without a JSON tree: every field of the
/// type the general reader expects. Anything else — not an object, a field
/// of another type, a float, a repeated name — answers `None`, and the
/// general reader (with its error messages) decides; for what this reads,
/// both give the same response.
mod fast {
    use std::borrow::Cow;
    use std::fmt;

    use bytes::Bytes;
    use serde::Deserialize;
    use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

    use super::{B64, Engine as _, MappedResponse};

    /// A JSON value as a header, cookie or status needs it.
    enum Scalar<'a> {
        Str(Cow<'a, str>),
        Int(i128),
        Bool(bool),
        /// A float, null, object or list: the general reader's business.
        Other,
    }

    impl Scalar<'_> {
        fn text(&self) -> Option<String> {
            match self {
                Scalar::Str(s) => Some(s.to_string()),
                Scalar::Int(n) => Some(n.to_string()),
                Scalar::Bool(b) => Some(b.to_string()),
                Scalar::Other => None,
            }
        }
    }

    impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Scalar<'a>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a JSON value")
                }
                fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                    Ok(Scalar::Str(Cow::Borrowed(v)))
                }
                fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                    Ok(Scalar::Str(Cow::Owned(v.to_string())))
                }
                fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                    Ok(Scalar::Str(Cow::Owned(v)))
                }
                fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                    Ok(Scalar::Int(v.into()))
                }
                fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                    Ok(Scalar::Int(v.into()))
                }
                fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                    Ok(Scalar::Bool(v))
                }
                fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                    Ok(Scalar::Other)
                }
                fn visit_unit<E>(self) -> Result<Self::Value, E> {
                    Ok(Scalar::Other)
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                    while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                    Ok(Scalar::Other)
                }
                fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                    while s.next_element::<IgnoredAny>()?.is_some() {}
                    Ok(Scalar::Other)
                }
            }
            d.deserialize_any(V(std::marker::PhantomData))
        }
    }

    /// `headers`, in order.
    struct Headers<'a>(Vec<(Cow<'a, str>, Scalar<'a>)>);

    impl<'de: 'a, 'a> Deserialize<'de> for Headers<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V<'a>(std::marker::PhantomData<&'a ()>);
            impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
                type Value = Headers<'a>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                    let mut out = Vec::new();
                    while let Some((k, v)) = m.next_entry::<Key<'a>, Scalar<'a>>()? {
                        out.push((k.0, v));
                    }
                    Ok(Headers(out))
                }
            }
            d.deserialize_map(V(std::marker::PhantomData))
        }
    }

    /// An object key or a string field, borrowed when it has no escapes.
    struct Key<'a>(Cow<'a, str>);

    impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            match Scalar::deserialize(d)? {
                Scalar::Str(s) => Ok(Key(s)),
                _ => Err(de::Error::custom("a key")),
            }
        }
    }

    /// A field that may be absent (unlike `Option`, a `null` is present).
    #[derive(Default)]
    enum Field<T> {
        #[default]
        Absent,
        Present(T),
    }

    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            T::deserialize(d).map(Field::Present)
        }
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Result2<'a> {
        #[serde(borrow, default)]
        status_code: Field<Scalar<'a>>,
        #[serde(borrow)]
        headers: Option<Headers<'a>>,
        #[serde(borrow)]
        cookies: Option<Vec<Scalar<'a>>>,
        #[serde(borrow)]
        body: Option<Key<'a>>,
        #[serde(borrow)]
        is_base64_encoded: Option<Scalar<'a>>,
    }

    pub(super) fn response_v2(output: &Bytes) -> Option<MappedResponse> {
        let r: Result2<'_> = serde_json::from_slice(output).ok()?;
        let Field::Present(status) = r.status_code else {
            return Some(MappedResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: Bytes::copy_from_slice(output),
            });
        };
        let status = match status {
            Scalar::Int(n) => u64::try_from(n).ok()?,
            Scalar::Str(s) => s.parse().ok()?,
            _ => return None,
        };
        if !(100..=599).contains(&status) {
            return None;
        }
        let mut headers = Vec::new();
        if let Some(Headers(hs)) = r.headers {
            for (i, (k, v)) in hs.iter().enumerate() {
                // A repeated name: the general reader keeps the last value.
                if hs[..i].iter().any(|(seen, _)| seen == k) {
                    return None;
                }
                headers.push((k.to_string(), v.text()?));
            }
        }
        for c in r.cookies.iter().flatten() {
            headers.push(("set-cookie".into(), c.text()?));
        }
        let body = match (r.body, r.is_base64_encoded) {
            (None, _) => Bytes::new(),
            (Some(Key(text)), Some(Scalar::Bool(true))) => {
                Bytes::from(B64.decode(text.as_bytes()).ok()?)
            }
            // A body without escapes is a slice of the output, not a copy.
            (Some(Key(Cow::Borrowed(text))), _) => output.slice_ref(text.as_bytes()),
            (Some(Key(Cow::Owned(text))), _) => Bytes::from(text),
        };
        Some(MappedResponse {
            status: status as u16,
            headers,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reader of 2.0 results reads the usual shapes, and gives
    /// what the general reader gives for each; it leaves the others to it.
    #[test]
    fn fast_v2_results_match_the_general_reader() {
        let read: &[&str] = &[
            r#"{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"hello world"}"#,
            r#"{"statusCode":"201","headers":{"x-n":5,"x-b":true,"x-s":"a\"b"},"cookies":["a=1","b=2"],"body":"\u00e9t\u00e9"}"#,
            r#"{"statusCode":204}"#,
            r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#,
            r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":"true"}"#,
            r#"{"statusCode":200,"headers":null,"cookies":null,"body":null,"extra":{"a":[1,2.5]}}"#,
            r#"{"message":"no status","n":1.5}"#,
            // Escapes of every kind, a surrogate pair, whitespace between tokens.
            " {\"statusCode\" : 200 ,\n\t\"headers\":{ \"x-e\" : \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\" } , \"body\" : \"{\\\"k\\\":[1,2]}\" }\r\n",
            r#"{"statusCode":200,"body":"","isBase64Encoded":false,"cookies":[],"headers":{}}"#,
            r#"{"statusCode":200,"headers":{"x-big":18446744073709551615,"x-neg":-9223372036854775808,"x-f":false}}"#,
            r#"{"st\u0061tusCode":201,"other":[{"a":{"b":[null,true,false,-1.5e-3,0,"s\n"]}}],"body":"\u0000x"}"#,
            r#"{"statusCode":599,"multiValueHeaders":{"a":["1","2"]},"body":"é€😀"}"#,
        ];
        for out in read {
            let fast = fast::response_v2(&Bytes::copy_from_slice(out.as_bytes()));
            assert!(fast.is_some(), "not read by the fast reader: {out}");
            assert_eq!(
                fast.map(Ok),
                Some(response_v2_tree(out.as_bytes())),
                "{out}"
            );
        }
        let left: &[&str] = &[
            r#""just a string""#,
            r#"[1,2]"#,
            r#"{"statusCode":null}"#,
            r#"{"statusCode":200.0}"#,
            r#"{"statusCode":700}"#,
            r#"{"statusCode":-1}"#,
            r#"{"statusCode":200,"headers":{"a":"1","a":"2"}}"#,
            r#"{"statusCode":200,"headers":{"a":1.5}}"#,
            r#"{"statusCode":200,"headers":{"a":null}}"#,
            r#"{"statusCode":200,"headers":[]}"#,
            r#"{"statusCode":200,"cookies":"a=1"}"#,
            r#"{"statusCode":200,"body":{"a":1}}"#,
            r#"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#,
            r#"{"statusCode":200,"statusCode":201}"#,
            r#"{"body":5}"#,
            "not json",
            // Not strict JSON, or numbers `serde_json` reads as floats.
            r#"{"statusCode":200,}"#,
            r#"{"statusCode":200}x"#,
            r#"{"statusCode":0200}"#,
            r#"{"statusCode":200,"headers":{"a":-0}}"#,
            r#"{"statusCode":200,"headers":{"a":18446744073709551616}}"#,
            r#"{"statusCode":200,"body":"\ud83d"}"#,
            r#"{"statusCode":200,"body":"\x"}"#,
            "{\"statusCode\":200,\"body\":\"a\nb\"}",
            r#"{"statusCode":200,"extra":[1,]}"#,
            r#"{"statusCode":200,"extra":+1}"#,
            r#"{"statusCode":200,"extra":1.}"#,
            r#"{"statusCode":200,"extra":tru}"#,
            r#"{"statusCode":200,"body":"x","body":"y"}"#,
            r#"{"statusCode":200,"headers":{"a":"1"},"headers":{"b":"2"}}"#,
        ];
        for out in left {
            assert!(
                fast::response_v2(&Bytes::copy_from_slice(out.as_bytes())).is_none(),
                "read by the fast reader: {out}"
            );
        }
    }

    /// The word-at-a-time scan finds the first byte to escape wherever it
    /// sits in a word or in the tail, and no byte that needs none.
    #[test]
    fn escape_scan_finds_the_first_byte_to_escape() {
        for len in 0..40 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for at in 0..len {
                    let mut s: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    // Neighbours of the special bytes that need no escape.
                    s[(at + 1) % len] = [b' ', b'#', b']', 0x7f, 0xff][at % 5];
                    s[at] = special;
                    assert_eq!(escape_at(&s), Some(at), "{s:?}");
                    assert_eq!(escape_at(&s[..at]), None, "{:?}", &s[..at]);
                }
            }
            let plain: Vec<u8> = (0..len)
                .map(|i| [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff][i % 8])
                .collect();
            assert_eq!(escape_at(&plain), None, "{plain:?}");
        }
    }

    fn request(body: &'static [u8], content_type: &str) -> RequestInfo {
        RequestInfo {
            method: "POST".into(),
            path: "/items/a%20b".into(),
            query: "x=1&x=2&y=%C3%A9".into(),
            headers: [
                ("host", "abc.example.com:3000"),
                ("user-agent", "curl/8"),
                ("accept", "text/html"),
                ("cookie", "a=1; b=2"),
                ("accept", "application/json"),
                ("content-type", content_type),
            ]
            .into_iter()
            .fold(hyper::HeaderMap::new(), |mut h, (k, v)| {
                h.append(k, v.parse().unwrap());
                h
            }),
            body: Bytes::from_static(body),
            source_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            protocol: "HTTP/1.1".into(),
            request_id: "req-1".into(),
            time: SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
        }
    }

    /// The serialized 2.0 event the gateway sends is the documented event,
    /// keys in API Gateway's order, repeated headers and parameters joined.
    #[test]
    fn event_v2_bytes_match_the_event() {
        let api = ApiConfig {
            name: "Api".into(),
            kind: ApiKind::Http,
            stage: "$default".into(),
            routes: vec![],
            binary_media_types: vec![],
            stage_variables: Default::default(),
        };
        // Every kind of character JSON escapes, and some it does not (a
        // header cannot carry control characters; a path parameter can).
        let params = BTreeMap::from([
            ("id".to_string(), "a b".to_string()),
            (
                "odd".to_string(),
                "q\"b\\s\u{1}\u{8}\u{c}\n\r\t\u{1f}\u{7f}é/€".to_string(),
            ),
        ]);
        let key = route_key(Some("POST"), "/items/{id}");
        let id = api_id(&api);
        let t = Target {
            api: &api,
            method: Some("POST"),
            resource: "/items/{id}",
            path_params: &params,
            payload: PayloadVersion::V2,
            route_key: &key,
            api_id: &id,
        };
        for (body, ct, b64) in [
            (&b"{\"k\":1}"[..], "application/json", false),
            (&b"\x00\x01"[..], "application/octet-stream", true),
            (&b""[..], "text/plain", false),
        ] {
            let mut req = request(body, ct);
            req.headers.append("x-odd", "q\"b\\s\té/€".parse().unwrap());
            let bytes = event_v2_json(&req, &t);
            let serde = serde_json::to_vec(&EventV2::new(&req, &t)).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&bytes),
                String::from_utf8_lossy(&serde),
                "the hand-written event differs from serde_json's"
            );
            let parsed: Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(parsed, event_v2(&req, &t));
            let keys: Vec<&str> = parsed
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            let mut want = vec![
                "version",
                "routeKey",
                "rawPath",
                "rawQueryString",
                "cookies",
                "headers",
                "queryStringParameters",
                "requestContext",
                "pathParameters",
                "body",
                "isBase64Encoded",
            ];
            if body.is_empty() {
                want.retain(|k| *k != "body");
            }
            assert_eq!(keys, want);
            assert_eq!(parsed["headers"]["accept"], "text/html,application/json");
            assert!(parsed["headers"].get("cookie").is_none());
            assert_eq!(parsed["cookies"], json!(["a=1", "b=2"]));
            assert_eq!(
                parsed["queryStringParameters"],
                json!({"x": "1,2", "y": "é"})
            );
            assert_eq!(parsed["routeKey"], "POST /items/{id}");
            assert_eq!(parsed["requestContext"]["http"]["path"], "/items/a b");
            assert_eq!(parsed["requestContext"]["domainPrefix"], "abc");
            assert_eq!(parsed["requestContext"]["timeEpoch"], 1_700_000_000_000u64);
            assert_eq!(
                parsed["pathParameters"],
                json!({"id": "a b", "odd": params["odd"]})
            );
            assert_eq!(parsed["isBase64Encoded"], b64);
        }
    }
}
