//! The events a function receives from the gateway: format 1.0 (REST APIs,
//! and HTTP APIs that ask for it) as a JSON tree, format 2.0 (HTTP APIs)
//! as one too and, on the gateway's hot path, written straight to bytes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::json::{json_field, json_object, json_str, push_ip, push_u64};
use super::{
    RequestInfo, Target, cookie_parts, domain_prefix, encode_body, header, header_str, header_text,
    query_pairs,
};
use crate::config::ApiKind;
use crate::instance::epoch_ms;

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

/// The format 2.0 event (HTTP APIs), as a JSON value.
pub fn event_v2(req: &RequestInfo, t: &Target<'_>) -> Value {
    // Serializing plain structs cannot fail (string keys, no floats).
    serde_json::to_value(EventV2::new(req, t)).unwrap_or(Value::Null)
}

/// The parts of a route's 2.0 event that are the same for every request
/// (its route key, its API's ID and stage, the account), written once as
/// the JSON text around the request's own values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventConstants {
    /// `{"version":"2.0","routeKey":…,"rawPath":`
    head: Vec<u8>,
    /// `,"requestContext":{"accountId":…,"apiId":…,"domainName":`
    context: Vec<u8>,
    /// `,"routeKey":…,"stage":…,"time":`
    tail: Vec<u8>,
}

impl EventConstants {
    /// The constant parts of the events of a route with key `route_key`
    /// on the API with ID `api_id`, deployed to `stage`.
    pub fn new(route_key: &str, api_id: &str, stage: &str) -> EventConstants {
        let mut head = Vec::new();
        json_field(&mut head, b"{\"version\":", "2.0");
        json_field(&mut head, b",\"routeKey\":", route_key);
        head.extend_from_slice(b",\"rawPath\":");
        let mut context = Vec::new();
        json_field(
            &mut context,
            b",\"requestContext\":{\"accountId\":",
            crate::ACCOUNT_ID,
        );
        json_field(&mut context, b",\"apiId\":", api_id);
        context.extend_from_slice(b",\"domainName\":");
        let mut tail = Vec::new();
        json_field(&mut tail, b",\"routeKey\":", route_key);
        json_field(&mut tail, b",\"stage\":", stage);
        tail.extend_from_slice(b",\"time\":");
        EventConstants {
            head,
            context,
            tail,
        }
    }
}

/// The format 2.0 event serialized (what the gateway sends): the same
/// document as [`event_v2`], written straight from the request without an
/// intermediate JSON tree.
pub fn event_v2_json(req: &RequestInfo, t: &Target<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1024 + req.body.len() * 4 / 3);
    EventV2::new(req, t).write_json(&mut out);
    out
}

fn serialize_ip<S: serde::Serializer>(ip: &std::net::IpAddr, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ip)
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

    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }
}

impl Serialize for Pairs<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// A request's headers as the 2.0 event has them: one entry per name, a
/// repeated name's values joined with commas, cookies left out (they are
/// the event's `cookies`). Read from the map as they are: a name's values
/// come one after another.
struct Joined<'a>(&'a hyper::HeaderMap);

impl<'a> Joined<'a> {
    fn iter(&self) -> impl Iterator<Item = (&'a str, Cow<'a, str>)> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| **k != hyper::header::COOKIE)
            .peekable();
        std::iter::from_fn(move || {
            let (name, first) = values.next()?;
            let mut text = header_text(first);
            while let Some((_, more)) = values.next_if(|(next, _)| *next == name) {
                let s = text.to_mut();
                s.push(',');
                s.push_str(&header_text(more));
            }
            Some((name.as_str(), text))
        })
    }
}

impl Serialize for Joined<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
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
    headers: Joined<'a>,
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
    /// The route's constant parts, for [`EventV2::write_json`].
    #[serde(skip)]
    constants: &'a EventConstants,
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
        out.extend_from_slice(&self.constants.head);
        json_str(out, self.raw_path);
        json_field(out, b",\"rawQueryString\":", self.raw_query_string);
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
        json_object(out, b",\"headers\":{", self.headers.iter());
        if !self.query_string_parameters.is_empty() {
            json_object(
                out,
                b",\"queryStringParameters\":{",
                self.query_string_parameters.iter(),
            );
        }
        let c = &self.request_context;
        out.extend_from_slice(&self.constants.context);
        json_str(out, c.domain_name);
        json_field(out, b",\"domainPrefix\":", c.domain_prefix);
        json_field(out, b",\"http\":{\"method\":", c.http.method);
        json_field(out, b",\"path\":", &c.http.path);
        json_field(out, b",\"protocol\":", c.http.protocol);
        out.extend_from_slice(b",\"sourceIp\":");
        push_ip(out, c.http.source_ip);
        json_field(out, b",\"userAgent\":", c.http.user_agent);
        json_field(out, b"},\"requestId\":", c.request_id);
        out.extend_from_slice(&self.constants.tail);
        json_str(out, c.time.as_str());
        out.extend_from_slice(b",\"timeEpoch\":");
        push_u64(out, c.time_epoch);
        out.push(b'}');
        for (key, map) in [
            (&b",\"pathParameters\":{"[..], self.path_parameters),
            (&b",\"stageVariables\":{"[..], self.stage_variables),
        ] {
            if !map.is_empty() {
                json_object(out, key, map.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            }
        }
        if let Some(body) = &self.body {
            json_field(out, b",\"body\":", body);
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
        // One pass over the headers for the ones the event reads: a
        // name's last value (the rule of `header`), every cookie in order.
        let (mut host, mut agent) = (None, None);
        let mut cookies = Vec::new();
        for (name, v) in &req.headers {
            if *name == hyper::header::HOST {
                host = Some(v);
            } else if *name == hyper::header::USER_AGENT {
                agent = Some(v);
            } else if *name == hyper::header::COOKIE {
                match header_text(v) {
                    Cow::Borrowed(s) => cookies.extend(cookie_parts(s).map(Cow::Borrowed)),
                    Cow::Owned(s) => {
                        cookies.extend(cookie_parts(&s).map(|c| Cow::Owned(c.to_string())))
                    }
                }
            }
        }
        let mut query = Pairs::default();
        for (k, v) in form_urlencoded::parse(req.query.as_bytes()) {
            query.join(k, v);
        }
        let (body, b64) = encode_body(req, t.api);
        let host = host.and_then(header_str).unwrap_or("localhost");
        // A path without escapes is its own decoding.
        let path = if req.path.contains('%') {
            percent_encoding::percent_decode_str(&req.path).decode_utf8_lossy()
        } else {
            Cow::Borrowed(req.path.as_str())
        };
        EventV2 {
            version: "2.0",
            route_key: key,
            raw_path: &req.path,
            raw_query_string: &req.query,
            cookies,
            headers: Joined(&req.headers),
            query_string_parameters: query,
            request_context: ContextV2 {
                account_id: crate::ACCOUNT_ID,
                api_id: t.api_id,
                domain_name: host,
                domain_prefix: domain_prefix(host),
                http: HttpV2 {
                    method: &req.method,
                    path,
                    protocol: &req.protocol,
                    source_ip: req.source_ip,
                    user_agent: agent.and_then(header_str).unwrap_or(""),
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
            constants: t.constants,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ApiConfig, PayloadVersion};
    use crate::gateway::payload::{api_id, route_key};
    use bytes::Bytes;
    use std::time::SystemTime;
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
            constants: &EventConstants::new(&key, &id, &api.stage),
        };
        for (body, ct, b64) in [
            (&b"{\"k\":1}"[..], "application/json", false),
            (&b"\x00\x01"[..], "application/octet-stream", true),
            (&b""[..], "text/plain", false),
        ] {
            let mut req = request(body, ct);
            req.headers.append("x-odd", "q\"b\\s\té/€".parse().unwrap());
            // A repeated header the event reads: its last value, as `header` has it.
            req.headers
                .append("user-agent", "second/1".parse().unwrap());
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
            assert_eq!(
                parsed["requestContext"]["http"]["userAgent"],
                header(&req, "user-agent").unwrap()
            );
            assert_eq!(parsed["requestContext"]["http"]["userAgent"], "second/1");
            assert_eq!(parsed["headers"]["user-agent"], "curl/8,second/1");
            assert_eq!(parsed["requestContext"]["timeEpoch"], 1_700_000_000_000u64);
            assert_eq!(
                parsed["pathParameters"],
                json!({"id": "a b", "odd": params["odd"]})
            );
            assert_eq!(parsed["isBase64Encoded"], b64);
        }
    }
}
