//! The CloudWatch API, independent of any HTTP server.
//!
//! [`handle`] takes a request's method, headers and body (the caller has
//! already authenticated it) and answers in the protocol the client spoke:
//!
//! - **AWS JSON 1.0** (`Content-Type: application/x-amz-json-1.0`,
//!   `X-Amz-Target: GraniteServiceVersion20100801.<Operation>`): what
//!   current boto3 / botocore and the AWS SDK for JavaScript v3 send. Their
//!   CloudWatch model is "query compatible", so errors carry the
//!   `x-amzn-query-error: <Code>;Sender` header the SDKs read the error
//!   code from, and a JSON body with `__type` and `message`.
//! - **The query protocol** (`Action=<Operation>&Version=2010-08-01&…`,
//!   form-encoded, XML answers): what older SDKs and the AWS CLI v1 send.
//!
//! The `smithy-rpc-v2-cbor` protocol, listed first in the CloudWatch model
//! but sent by neither of those SDKs, is refused with a clear 400.
//!
//! Operations: `PutMetricData`, `GetMetricData`, `GetMetricStatistics`,
//! `ListMetrics`, `DescribeAlarms` and `DescribeAlarmHistory` (alarms come
//! from the caller). Others answer CloudWatch's own
//! `InvalidAction` error.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use crate::alarm::{Alarm, HistoryItemType};
use crate::key::MetricKey;
use crate::query::{self, MetricStat, validate_period};
use crate::stats::Statistic;
use crate::store::{Datum, MetricStore};
use crate::time::Timestamp;
use crate::unit::{self, Unit};

/// The JSON protocol's target prefix.
pub const TARGET_PREFIX: &str = "GraniteServiceVersion20100801.";
/// The JSON protocol's content type.
pub const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.0";
/// The query protocol's XML namespace.
pub const XML_NAMESPACE: &str = "http://monitoring.amazonaws.com/doc/2010-08-01/";

/// An HTTP request, already authenticated by the caller.
#[derive(Debug, Clone, Copy)]
pub struct ApiRequest<'a> {
    /// `POST` (the query protocol also allows `GET` with the parameters in
    /// `query`).
    pub method: &'a str,
    /// The URL's query string (without `?`), for `GET` query requests.
    pub query: &'a str,
    /// Header names (any case) and values.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// The answer to send back.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Other headers to send (`x-amzn-RequestId`, `x-amzn-query-error`).
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What the handler works on.
#[derive(Debug, Clone, Copy)]
pub struct ApiContext<'a> {
    /// The metric store (`PutMetricData` writes to it).
    pub store: &'a MetricStore,
    /// The alarms to describe, with their states.
    pub alarms: &'a [Alarm],
    /// The region in ARNs (`us-east-1`).
    pub region: &'a str,
    /// The account in ARNs (`123456789012`).
    pub account_id: &'a str,
    /// The current instant (default timestamps, `RecentlyActive`).
    pub now: Timestamp,
}

/// A CloudWatch error.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The query-protocol code (`InvalidParameterValue`).
    pub code: &'static str,
    /// The JSON protocol's shape name (`InvalidParameterValueException`).
    pub shape: &'static str,
    /// Whether the caller is at fault.
    pub sender: bool,
    /// The message.
    pub message: String,
}

impl ApiError {
    fn invalid(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "InvalidParameterValue",
            shape: "InvalidParameterValueException",
            sender: true,
            message: message.into(),
        }
    }
    fn missing(param: &str) -> Self {
        ApiError {
            status: 400,
            code: "MissingParameter",
            shape: "MissingRequiredParameterException",
            sender: true,
            message: format!("The parameter {param} is required."),
        }
    }
    fn combination(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "InvalidParameterCombination",
            shape: "InvalidParameterCombinationException",
            sender: true,
            message: message.into(),
        }
    }
    fn next_token(message: impl Into<String>) -> Self {
        ApiError {
            status: 400,
            code: "InvalidNextToken",
            shape: "InvalidNextToken",
            sender: true,
            message: message.into(),
        }
    }
    fn action(name: &str) -> Self {
        ApiError {
            status: 400,
            code: "InvalidAction",
            shape: "InvalidAction",
            sender: true,
            message: format!(
                "The action {name} is not valid for this web service (Lockgate's local CloudWatch answers PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics, DescribeAlarms and DescribeAlarmHistory)."
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Protocol {
    Json,
    Query,
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);

fn request_id(now: Timestamp) -> String {
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    let t = now.micros() as u64;
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (t >> 20) as u32,
        (t >> 4) & 0xffff,
        t & 0xfff,
        (n >> 48) & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

fn header<'a>(req: &ApiRequest<'a>, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}

/// Answers one request. Never panics; every refusal is a CloudWatch error
/// in the client's protocol. The same as [`parse`] then [`run`].
pub fn handle(ctx: &ApiContext<'_>, req: &ApiRequest<'_>) -> ApiResponse {
    run(ctx, parse(req))
}

/// A request as the API reads it, before it runs: the protocol the client
/// spoke, the operation and its input. [`run`] performs exactly this
/// operation on exactly this input, so a caller that authorizes the call
/// (IAM) can read what will run from here rather than parse the request a
/// second way (a form key given twice is read once, its last value).
#[derive(Debug, Clone)]
pub struct ApiCall {
    protocol: Protocol,
    op: String,
    input: Result<Value, Refusal>,
}

#[derive(Debug, Clone)]
enum Refusal {
    /// `smithy-rpc-v2-cbor`, which the API does not speak.
    Cbor,
    /// The request cannot be read (no `Action`, a body that is not a JSON
    /// object, a target of another service).
    Error(ApiError),
}

impl ApiCall {
    /// The operation (`PutMetricData`) when the request could be read:
    /// its input is then [`ApiCall::input`]. `None` for a request the API
    /// refuses before any operation (an unreadable body, no `Action`, the
    /// CBOR protocol). An operation the API does not serve is given here
    /// and answered `InvalidAction` by [`run`].
    pub fn operation(&self) -> Option<&str> {
        self.input.as_ref().ok().map(|_| self.op.as_str())
    }

    /// The operation's input as the API reads it: the JSON body, or the
    /// query protocol's form as the same shape (`A.member.1.B=x` is
    /// `{"A": [{"B": "x"}]}`, every leaf a string; a key given twice holds
    /// its last value).
    pub fn input(&self) -> Option<&Value> {
        self.input.as_ref().ok()
    }

    /// Whether the client spoke AWS JSON 1.0 (else the query protocol).
    pub fn is_json(&self) -> bool {
        self.protocol == Protocol::Json
    }
}

/// Reads a request: what [`run`] will do with it. Never fails: a request
/// that cannot be read is a call whose [`run`] answers the error.
pub fn parse(req: &ApiRequest<'_>) -> ApiCall {
    let content_type = header(req, "content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if header(req, "smithy-protocol").is_some_and(|p| p.eq_ignore_ascii_case("rpc-v2-cbor"))
        || content_type.starts_with("application/cbor")
    {
        return ApiCall {
            protocol: Protocol::Json,
            op: String::new(),
            input: Err(Refusal::Cbor),
        };
    }
    if let Some(target) = header(req, "x-amz-target") {
        let op = target
            .strip_prefix(TARGET_PREFIX)
            .unwrap_or(target)
            .to_string();
        let input = if !target.starts_with(TARGET_PREFIX) {
            Err(ApiError::action(target))
        } else if req.body.iter().all(u8::is_ascii_whitespace) {
            Ok(Value::Object(Map::new()))
        } else {
            match serde_json::from_slice::<Value>(req.body) {
                Ok(v @ Value::Object(_)) => Ok(v),
                Ok(_) => Err(ApiError {
                    status: 400,
                    code: "SerializationException",
                    shape: "SerializationException",
                    sender: true,
                    message: "The request body must be a JSON object.".into(),
                }),
                Err(e) => Err(ApiError {
                    status: 400,
                    code: "SerializationException",
                    shape: "SerializationException",
                    sender: true,
                    message: format!("The request body is not valid JSON: {e}"),
                }),
            }
        };
        ApiCall {
            protocol: Protocol::Json,
            op,
            input: input.map_err(Refusal::Error),
        }
    } else {
        let form: &[u8] = if req.method.eq_ignore_ascii_case("GET") {
            req.query.as_bytes()
        } else {
            req.body
        };
        let input = query_to_value(form);
        let op = input
            .get("Action")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if op.is_empty() {
            return ApiCall {
                protocol: Protocol::Query,
                op,
                input: Err(Refusal::Error(ApiError::missing("Action"))),
            };
        }
        ApiCall {
            protocol: Protocol::Query,
            op,
            input: Ok(input),
        }
    }
}

/// Runs a call [`parse`] read, and answers it in the client's protocol.
pub fn run(ctx: &ApiContext<'_>, call: ApiCall) -> ApiResponse {
    let rid = request_id(ctx.now);
    let ApiCall {
        protocol,
        op,
        input,
    } = call;
    let result = match input {
        Err(Refusal::Cbor) => {
            return ApiResponse {
                status: 400,
                content_type: "text/plain; charset=utf-8",
                headers: vec![("x-amzn-RequestId", rid)],
                body: b"Lockgate's local CloudWatch API speaks AWS JSON 1.0 (what boto3 and the AWS SDK for JavaScript v3 send) and the query protocol; smithy-rpc-v2-cbor is not supported.".to_vec(),
            };
        }
        Err(Refusal::Error(e)) => Err(e),
        Ok(input) => dispatch(ctx, &op, &input),
    };
    match result {
        Ok(out) => success_response(protocol, &op, &out, rid),
        Err(e) => error_response(protocol, &op, &e, rid),
    }
}

fn dispatch(ctx: &ApiContext<'_>, op: &str, input: &Value) -> Result<Out, ApiError> {
    let i = In {
        v: input,
        path: String::new(),
    };
    match op {
        "PutMetricData" => put_metric_data(ctx, &i),
        "GetMetricData" => get_metric_data(ctx, &i),
        "GetMetricStatistics" => get_metric_statistics(ctx, &i),
        "ListMetrics" => list_metrics(ctx, &i),
        "DescribeAlarms" => describe_alarms(ctx, &i),
        "DescribeAlarmHistory" => describe_alarm_history(ctx, &i),
        other => Err(ApiError::action(other)),
    }
}

// ---------------------------------------------------------------- input

/// Query-protocol form parameters as the JSON protocol's object:
/// `A.member.1.B=x` becomes `{"A": [{"B": "x"}]}`; every leaf is a string.
fn query_to_value(form: &[u8]) -> Value {
    enum Node {
        Leaf(String),
        Map(BTreeMap<String, Node>),
        List(BTreeMap<u64, Node>),
    }
    fn insert(node: &mut Node, path: &[&str], value: String) {
        let Some((first, rest)) = path.split_first() else {
            *node = Node::Leaf(value);
            return;
        };
        if *first == "member"
            && let Some((idx, rest2)) = rest.split_first()
            && let Ok(i) = idx.parse::<u64>()
        {
            if !matches!(node, Node::List(_)) {
                *node = Node::List(BTreeMap::new());
            }
            if let Node::List(items) = node {
                insert(
                    items.entry(i).or_insert_with(|| Node::Map(BTreeMap::new())),
                    rest2,
                    value,
                );
            }
            return;
        }
        if !matches!(node, Node::Map(_)) {
            *node = Node::Map(BTreeMap::new());
        }
        if let Node::Map(m) = node {
            insert(
                m.entry((*first).to_string())
                    .or_insert_with(|| Node::Map(BTreeMap::new())),
                rest,
                value,
            );
        }
    }
    fn to_value(n: Node) -> Value {
        match n {
            Node::Leaf(s) => Value::String(s),
            Node::Map(m) => Value::Object(m.into_iter().map(|(k, v)| (k, to_value(v))).collect()),
            Node::List(items) => Value::Array(items.into_values().map(to_value).collect()),
        }
    }
    let mut root = Node::Map(BTreeMap::new());
    for (k, v) in form_urlencoded::parse(form) {
        let parts: Vec<&str> = k.split('.').collect();
        insert(&mut root, &parts, v.into_owned());
    }
    to_value(root)
}

/// A view of the input with the path of what is read, for errors in
/// CloudWatch's words (`MetricData.member.1.Value`).
struct In<'a> {
    v: &'a Value,
    path: String,
}

impl<'a> In<'a> {
    fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> Option<&'a Value> {
        self.v.get(key).filter(|v| !v.is_null())
    }

    fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(ApiError::invalid(format!(
                "The parameter {} must be a string, not {v}.",
                self.name(key)
            ))),
        }
    }

    fn req_str(&self, key: &str) -> Result<&'a str, ApiError> {
        self.str(key)?
            .ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    fn num(&self, key: &str) -> Result<Option<f64>, ApiError> {
        let bad = || {
            ApiError::invalid(format!(
                "The parameter {} must be a number.",
                self.name(key)
            ))
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_f64().map(Some).ok_or_else(bad),
            Some(Value::String(s)) => s.parse::<f64>().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    fn int(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.num(key)? {
            None => Ok(None),
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
            Some(f) => Err(ApiError::invalid(format!(
                "The value {f} for parameter {} is not a valid whole number.",
                self.name(key)
            ))),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s == "true" => Ok(Some(true)),
            Some(Value::String(s)) if s == "false" => Ok(Some(false)),
            Some(_) => Err(ApiError::invalid(format!(
                "The parameter {} must be true or false.",
                self.name(key)
            ))),
        }
    }

    fn time(&self, key: &str) -> Result<Option<Timestamp>, ApiError> {
        let bad = || {
            ApiError::invalid(format!(
                "The parameter {} must be a timestamp.",
                self.name(key)
            ))
        };
        match self.get(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .and_then(Timestamp::from_secs_f64)
                .map(Some)
                .ok_or_else(bad),
            Some(Value::String(s)) => Timestamp::parse_rfc3339(s)
                .or_else(|| s.parse::<f64>().ok().and_then(Timestamp::from_secs_f64))
                .map(Some)
                .ok_or_else(bad),
            Some(_) => Err(bad()),
        }
    }

    fn req_time(&self, key: &str) -> Result<Timestamp, ApiError> {
        self.time(key)?
            .ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    /// A list's items (the query protocol's `.member.N`; an empty string is
    /// an empty list).
    fn list(&self, key: &str) -> Result<Vec<In<'a>>, ApiError> {
        match self.get(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) if s.is_empty() => Ok(Vec::new()),
            Some(Value::Array(items)) => Ok(items
                .iter()
                .enumerate()
                .map(|(i, v)| In {
                    v,
                    path: format!("{}.member.{}", self.name(key), i + 1),
                })
                .collect()),
            Some(_) => Err(ApiError::invalid(format!(
                "The parameter {} must be a list.",
                self.name(key)
            ))),
        }
    }

    fn obj(&self, key: &str) -> Result<Option<In<'a>>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(In {
                v,
                path: self.name(key),
            })),
            Some(_) => Err(ApiError::invalid(format!(
                "The parameter {} must be a structure.",
                self.name(key)
            ))),
        }
    }

    fn unit(&self, key: &str) -> Result<Option<Unit>, ApiError> {
        match self.str(key)? {
            None => Ok(None),
            Some(s) => Unit::parse(s).map(Some).ok_or_else(|| {
                ApiError::invalid(format!(
                    "The value {s} for parameter {} is not valid. Valid values: {}.",
                    self.name(key),
                    unit::valid_names()
                ))
            }),
        }
    }
}

fn metric_key(i: &In<'_>) -> Result<MetricKey, ApiError> {
    let ns = i.req_str("Namespace")?;
    let name = i.req_str("MetricName")?;
    let mut key = MetricKey::new(ns, name);
    let dims = i.list("Dimensions")?;
    if dims.len() > 30 {
        return Err(ApiError::invalid(format!(
            "The collection {} must not have more than 30 members.",
            i.name("Dimensions")
        )));
    }
    for d in dims {
        let n = d.req_str("Name")?;
        let v = d.req_str("Value")?;
        if n.is_empty() || v.is_empty() {
            return Err(ApiError::invalid(format!(
                "The dimension {} must have a non-empty Name and Value.",
                d.path
            )));
        }
        if key.dimension(n).is_some() {
            return Err(ApiError::invalid(format!(
                "No metric may have duplicate dimension names; {n} is given twice in {}.",
                i.name("Dimensions")
            )));
        }
        key.set_dimension(n.to_string(), v.to_string());
    }
    Ok(key)
}

// ---------------------------------------------------------------- output

/// An answer's tree, printed as JSON or XML.
enum Out {
    Str(String),
    Num(f64),
    Int(u64),
    Bool(bool),
    Time(Timestamp),
    List(Vec<Out>),
    /// A string-keyed map (`ExtendedStatistics`).
    Map(Vec<(String, Out)>),
    Struct(Vec<(&'static str, Out)>),
}

fn s(v: impl Into<String>) -> Out {
    Out::Str(v.into())
}

impl Out {
    fn to_json(&self) -> Value {
        match self {
            Out::Str(s) => Value::String(s.clone()),
            Out::Num(n) => serde_json::Number::from_f64(*n)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Out::Int(n) => Value::from(*n),
            Out::Bool(b) => Value::Bool(*b),
            // The JSON protocol's timestamps are epoch seconds.
            Out::Time(t) => serde_json::Number::from_f64(t.secs_f64())
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Out::List(items) => Value::Array(items.iter().map(Out::to_json).collect()),
            Out::Map(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Out::Struct(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    fn to_xml(&self, out: &mut String) {
        match self {
            Out::Str(s) => escape_into(s, out),
            Out::Num(n) => out.push_str(&xml_double(*n)),
            Out::Int(n) => out.push_str(&n.to_string()),
            Out::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Out::Time(t) => out.push_str(&t.iso8601_millis()),
            Out::List(items) => {
                for item in items {
                    out.push_str("<member>");
                    item.to_xml(out);
                    out.push_str("</member>");
                }
            }
            Out::Map(m) => {
                for (k, v) in m {
                    out.push_str("<entry><key>");
                    escape_into(k, out);
                    out.push_str("</key><value>");
                    v.to_xml(out);
                    out.push_str("</value></entry>");
                }
            }
            Out::Struct(fields) => {
                for (k, v) in fields {
                    out.push('<');
                    out.push_str(k);
                    out.push('>');
                    v.to_xml(out);
                    out.push_str("</");
                    out.push_str(k);
                    out.push('>');
                }
            }
        }
    }
}

fn xml_double(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
}

fn success_response(protocol: Protocol, op: &str, out: &Out, rid: String) -> ApiResponse {
    match protocol {
        Protocol::Json => ApiResponse {
            status: 200,
            content_type: JSON_CONTENT_TYPE,
            headers: vec![("x-amzn-RequestId", rid)],
            body: out.to_json().to_string().into_bytes(),
        },
        Protocol::Query => {
            let mut x = format!("<{op}Response xmlns=\"{XML_NAMESPACE}\">");
            if !matches!(out, Out::Struct(f) if f.is_empty()) {
                x.push_str(&format!("<{op}Result>"));
                out.to_xml(&mut x);
                x.push_str(&format!("</{op}Result>"));
            }
            x.push_str(&format!(
                "<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata></{op}Response>"
            ));
            ApiResponse {
                status: 200,
                content_type: "text/xml",
                headers: vec![("x-amzn-RequestId", rid)],
                body: x.into_bytes(),
            }
        }
    }
}

fn error_response(protocol: Protocol, _op: &str, e: &ApiError, rid: String) -> ApiResponse {
    let fault = if e.sender { "Sender" } else { "Receiver" };
    match protocol {
        Protocol::Json => {
            let body = serde_json::json!({
                "__type": format!("com.amazonaws.cloudwatch#{}", e.shape),
                "message": e.message,
            });
            ApiResponse {
                status: e.status,
                content_type: JSON_CONTENT_TYPE,
                headers: vec![
                    ("x-amzn-RequestId", rid),
                    ("x-amzn-query-error", format!("{};{fault}", e.code)),
                ],
                body: body.to_string().into_bytes(),
            }
        }
        Protocol::Query => {
            let mut x = format!(
                "<ErrorResponse xmlns=\"{XML_NAMESPACE}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>",
                e.code
            );
            escape_into(&e.message, &mut x);
            x.push_str(&format!(
                "</Message></Error><RequestId>{rid}</RequestId></ErrorResponse>"
            ));
            ApiResponse {
                status: e.status,
                content_type: "text/xml",
                headers: vec![("x-amzn-RequestId", rid)],
                body: x.into_bytes(),
            }
        }
    }
}

// ---------------------------------------------------------------- operations

/// Oldest and newest timestamps `PutMetricData` accepts, relative to now:
/// CloudWatch takes two weeks back and two hours ahead; the store keeps
/// only its retention, so older data is refused rather than dropped.
fn accepted_window(ctx: &ApiContext<'_>) -> (Timestamp, Timestamp) {
    let scale = ctx.store.scale();
    let back = scale.secs_us(ctx.store.config().retention_secs.min(14 * 86_400));
    (
        ctx.now.plus_micros(-back),
        ctx.now.plus_micros(scale.secs_us(2 * 3600)),
    )
}

fn put_metric_data(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let ns = i.req_str("Namespace")?;
    if ns.is_empty() || ns.len() > 255 {
        return Err(ApiError::invalid(
            "The parameter Namespace must be between 1 and 255 characters.",
        ));
    }
    if ns.starts_with("AWS/") {
        return Err(ApiError::invalid(format!(
            "The value {ns} for parameter Namespace is invalid: namespaces starting with AWS/ are reserved for AWS services."
        )));
    }
    let data = i.list("MetricData")?;
    if data.is_empty() {
        return Err(ApiError::missing("MetricData"));
    }
    if data.len() > 1000 {
        return Err(ApiError::invalid(
            "The collection MetricData must not have more than 1000 members.",
        ));
    }
    let (oldest, newest) = accepted_window(ctx);
    // Validate everything first: a refused request changes nothing.
    let mut parsed = Vec::with_capacity(data.len());
    for d in &data {
        let name = d.req_str("MetricName")?;
        if name.is_empty() || name.len() > 255 {
            return Err(ApiError::invalid(format!(
                "The parameter {} must be between 1 and 255 characters.",
                d.name("MetricName")
            )));
        }
        let mut key_in = serde_json::Map::new();
        key_in.insert("Namespace".into(), Value::String(ns.into()));
        key_in.insert("MetricName".into(), Value::String(name.into()));
        if let Some(dims) = d.get("Dimensions") {
            key_in.insert("Dimensions".into(), dims.clone());
        }
        let kv = Value::Object(key_in);
        let key = metric_key(&In {
            v: &kv,
            path: d.path.clone(),
        })?;
        let at = d.time("Timestamp")?.unwrap_or(ctx.now);
        if at < oldest || at > newest {
            return Err(ApiError::invalid(format!(
                "The parameter {} must specify a time no more than {} in the past and 2 hours in the future (scaled).",
                d.name("Timestamp"),
                if ctx.store.config().retention_secs >= 14 * 86_400 {
                    "two weeks".to_string()
                } else {
                    format!(
                        "{} s (the store's retention)",
                        ctx.store.config().retention_secs
                    )
                }
            )));
        }
        let unit = d.unit("Unit")?.unwrap_or(Unit::None);
        if let Some(r) = d.int("StorageResolution")?
            && r != 1
            && r != 60
        {
            return Err(ApiError::invalid(format!(
                "The value {r} for parameter {} is not valid: expected 1 or 60.",
                d.name("StorageResolution")
            )));
        }
        let value = d.num("Value")?;
        let set = d.obj("StatisticValues")?;
        let values = d.list("Values")?;
        let counts = d.list("Counts")?;
        let given = [value.is_some(), set.is_some(), !values.is_empty()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            return Err(ApiError::combination(format!(
                "The parameters {0}.Value, {0}.StatisticValues and {0}.Values are mutually exclusive.",
                d.path
            )));
        }
        let finite = |v: f64, what: String| {
            if v.is_finite() && v.abs() <= 2f64.powi(360) {
                Ok(v)
            } else {
                Err(ApiError::invalid(format!(
                    "The value {v} for parameter {what} is not valid."
                )))
            }
        };
        let datum = if let Some(v) = value {
            Datum::Value(finite(v, d.name("Value"))?)
        } else if let Some(set) = set {
            let field = |k: &str| -> Result<f64, ApiError> {
                finite(
                    set.num(k)?.ok_or_else(|| ApiError::missing(&set.name(k)))?,
                    set.name(k),
                )
            };
            let (count, sum, min, max) = (
                field("SampleCount")?,
                field("Sum")?,
                field("Minimum")?,
                field("Maximum")?,
            );
            if count <= 0.0 || min > max {
                return Err(ApiError::invalid(format!(
                    "The parameter {} is not consistent: SampleCount must be positive and Minimum no more than Maximum.",
                    set.path
                )));
            }
            Datum::StatisticSet {
                count,
                sum,
                min,
                max,
            }
        } else if !values.is_empty() {
            if values.len() > 150 {
                return Err(ApiError::invalid(format!(
                    "The collection {} must not have more than 150 members.",
                    d.name("Values")
                )));
            }
            if !counts.is_empty() && counts.len() != values.len() {
                return Err(ApiError::combination(format!(
                    "The parameters {0}.Values and {0}.Counts must be of the same size.",
                    d.path
                )));
            }
            let mut pairs = Vec::with_capacity(values.len());
            for (j, v) in values.iter().enumerate() {
                let value = finite(value_of(v)?, v.path.clone())?;
                let count = match counts.get(j) {
                    Some(c) => finite(value_of(c)?, c.path.clone())?,
                    None => 1.0,
                };
                if count < 0.0 {
                    return Err(ApiError::invalid(format!(
                        "The value {count} for parameter {} must not be negative.",
                        counts[j].path
                    )));
                }
                pairs.push((value, count));
            }
            Datum::Values(pairs)
        } else {
            return Err(ApiError::missing(&d.name("Value")));
        };
        parsed.push((key, datum, unit, at));
    }
    for (key, datum, unit, at) in parsed {
        ctx.store
            .put(&key, &datum, unit, at)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    }
    Ok(Out::Struct(Vec::new()))
}

fn value_of(i: &In<'_>) -> Result<f64, ApiError> {
    match i.v {
        Value::Number(n) => n.as_f64().ok_or_else(|| {
            ApiError::invalid(format!("The parameter {} must be a number.", i.path))
        }),
        Value::String(s) => s
            .parse()
            .map_err(|_| ApiError::invalid(format!("The parameter {} must be a number.", i.path))),
        _ => Err(ApiError::invalid(format!(
            "The parameter {} must be a number.",
            i.path
        ))),
    }
}

fn check_range(start: Timestamp, end: Timestamp) -> Result<(), ApiError> {
    if start >= end {
        return Err(ApiError::invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    Ok(())
}

fn period_of(i: &In<'_>, key: &str) -> Result<u32, ApiError> {
    let p = i.int(key)?.ok_or_else(|| ApiError::missing(&i.name(key)))?;
    validate_period(p)
        .map_err(|e| ApiError::invalid(format!("The parameter {}: {e}.", i.name(key))))?;
    u32::try_from(p)
        .map_err(|_| ApiError::invalid(format!("The parameter {} is too large.", i.name(key))))
}

fn get_metric_data(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let start = i.req_time("StartTime")?;
    let end = i.req_time("EndTime")?;
    check_range(start, end)?;
    let descending = match i.str("ScanBy")? {
        None | Some("TimestampDescending") => true,
        Some("TimestampAscending") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter ScanBy is not valid: expected TimestampDescending or TimestampAscending."
            )));
        }
    };
    let max = i.int("MaxDatapoints")?.unwrap_or(100_800).max(1) as usize;
    let skip = match i.str("NextToken")? {
        None => 0,
        Some(t) => t
            .strip_prefix("lockgate-offset-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::next_token(format!("The NextToken {t} is not valid.")))?,
    };
    let queries = i.list("MetricDataQueries")?;
    if queries.is_empty() {
        return Err(ApiError::missing("MetricDataQueries"));
    }
    if queries.len() > 500 {
        return Err(ApiError::invalid(
            "The collection MetricDataQueries must not have more than 500 members.",
        ));
    }
    let mut results = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for q in &queries {
        let id = q.req_str("Id")?;
        if !id.starts_with(|c: char| c.is_ascii_lowercase())
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ApiError::invalid(format!(
                "The value {id} for parameter {} is not valid: an Id starts with a lowercase letter and holds letters, digits and underscores.",
                q.name("Id")
            )));
        }
        if !seen.insert(id) {
            return Err(ApiError::invalid(format!(
                "The Id {id} is used by more than one query in MetricDataQueries."
            )));
        }
        if q.get("Expression").is_some() {
            return Err(ApiError::invalid(format!(
                "The parameter {} is not supported: Lockgate's local CloudWatch answers MetricStat queries, not metric math expressions.",
                q.name("Expression")
            )));
        }
        let stat = q
            .obj("MetricStat")?
            .ok_or_else(|| ApiError::missing(&q.name("MetricStat")))?;
        let metric = stat
            .obj("Metric")?
            .ok_or_else(|| ApiError::missing(&stat.name("Metric")))?;
        let key = metric_key(&metric)?;
        let period = period_of(&stat, "Period")?;
        let st = stat.req_str("Stat")?;
        let statistic = Statistic::parse(st)
            .map_err(|e| ApiError::invalid(format!("The parameter {}: {e}.", stat.name("Stat"))))?;
        let unit = stat.unit("Unit")?;
        let ms = MetricStat {
            key: key.clone(),
            period_secs: period,
            stat: statistic,
            unit,
        };
        let mut points = query::metric_stat_datapoints(ctx.store, &ms, start, end);
        if descending {
            points.reverse();
        }
        if q.bool("ReturnData")? == Some(false) {
            continue;
        }
        let label = q
            .str("Label")?
            .map(str::to_string)
            .unwrap_or_else(|| key.name().to_string());
        results.push((id.to_string(), label, points));
    }
    // Pagination over the datapoints of all results, in order.
    let total: usize = results.iter().map(|r| r.2.len()).sum();
    let mut offset = 0;
    let mut emitted = 0;
    let mut out_results = Vec::new();
    for (id, label, points) in results {
        let from = skip.saturating_sub(offset).min(points.len());
        let room = max - emitted.min(max);
        let to = (from + room).min(points.len());
        offset += points.len();
        emitted += to - from;
        let complete = to == points.len();
        let slice = &points[from..to];
        out_results.push(Out::Struct(vec![
            ("Id", s(id)),
            ("Label", s(label)),
            (
                "Timestamps",
                Out::List(slice.iter().map(|(t, _)| Out::Time(*t)).collect()),
            ),
            (
                "Values",
                Out::List(slice.iter().map(|(_, v)| Out::Num(*v)).collect()),
            ),
            (
                "StatusCode",
                s(if complete { "Complete" } else { "PartialData" }),
            ),
            ("Messages", Out::List(Vec::new())),
        ]));
    }
    let mut fields = vec![
        ("MetricDataResults", Out::List(out_results)),
        ("Messages", Out::List(Vec::new())),
    ];
    if skip + emitted < total {
        fields.push((
            "NextToken",
            s(format!("lockgate-offset-{}", skip + emitted)),
        ));
    }
    Ok(Out::Struct(fields))
}

fn get_metric_statistics(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let key = metric_key(i)?;
    let start = i.req_time("StartTime")?;
    let end = i.req_time("EndTime")?;
    check_range(start, end)?;
    let period = period_of(i, "Period")?;
    let unit = i.unit("Unit")?;
    let mut stats = Vec::new();
    for st in i.list("Statistics")? {
        let name = value_str(&st)?;
        let parsed = Statistic::parse(name).ok().filter(Statistic::is_basic).ok_or_else(|| {
            ApiError::invalid(format!("The value {name} for parameter {} is not valid: expected SampleCount, Average, Sum, Minimum or Maximum.", st.path))
        })?;
        stats.push(parsed);
    }
    for st in i.list("ExtendedStatistics")? {
        let name = value_str(&st)?;
        let parsed = Statistic::parse(name).ok().filter(|s| !s.is_basic()).ok_or_else(|| {
            ApiError::invalid(format!("The value {name} for parameter {} is not a valid extended statistic (p99, tm90, …).", st.path))
        })?;
        stats.push(parsed);
    }
    if stats.is_empty() {
        return Err(ApiError::missing("Statistics"));
    }
    if stats.len() > 10 {
        return Err(ApiError::invalid(
            "At most 10 Statistics and ExtendedStatistics may be asked for together.",
        ));
    }
    let period_us = ctx.store.scale().secs_us(u64::from(period));
    let n = query::period_count(start, end, period_us);
    if n > 1440 {
        return Err(ApiError::combination(format!(
            "You have requested up to {n} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )));
    }
    let rows = query::metric_statistics(ctx.store, &key, unit, start, end, period, &stats);
    let datapoints = rows
        .into_iter()
        .map(|r| {
            let mut f = vec![("Timestamp", Out::Time(r.timestamp))];
            for (st, v) in r.basic {
                let name = match st {
                    Statistic::SampleCount => "SampleCount",
                    Statistic::Average => "Average",
                    Statistic::Sum => "Sum",
                    Statistic::Minimum => "Minimum",
                    _ => "Maximum",
                };
                f.push((name, Out::Num(v)));
            }
            f.push(("Unit", s(r.unit.as_str())));
            if !r.extended.is_empty() {
                f.push((
                    "ExtendedStatistics",
                    Out::Map(
                        r.extended
                            .into_iter()
                            .map(|(k, v)| (k, Out::Num(v)))
                            .collect(),
                    ),
                ));
            }
            Out::Struct(f)
        })
        .collect();
    Ok(Out::Struct(vec![
        ("Label", s(key.name())),
        ("Datapoints", Out::List(datapoints)),
    ]))
}

fn value_str<'a>(i: &In<'a>) -> Result<&'a str, ApiError> {
    i.v.as_str()
        .ok_or_else(|| ApiError::invalid(format!("The parameter {} must be a string.", i.path)))
}

fn paginate<T>(
    items: Vec<T>,
    token: Option<&str>,
    page: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let skip = match token {
        None => 0,
        Some(t) => t
            .strip_prefix("lockgate-offset-")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= items.len())
            .ok_or_else(|| ApiError::next_token(format!("The NextToken {t} is not valid.")))?,
    };
    let total = items.len();
    let page_items: Vec<T> = items.into_iter().skip(skip).take(page).collect();
    let next = (skip + page_items.len() < total)
        .then(|| format!("lockgate-offset-{}", skip + page_items.len()));
    Ok((page_items, next))
}

fn list_metrics(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let ns = i.str("Namespace")?;
    let name = i.str("MetricName")?;
    let mut filters = Vec::new();
    for d in i.list("Dimensions")? {
        filters.push((
            d.req_str("Name")?.to_string(),
            d.str("Value")?.map(str::to_string),
        ));
    }
    let since = match i.str("RecentlyActive")? {
        None => Timestamp(i64::MIN),
        Some("PT3H") => ctx.now.plus_micros(-ctx.store.scale().secs_us(3 * 3600)),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter RecentlyActive is not valid: expected PT3H."
            )));
        }
    };
    let keys: Vec<MetricKey> = ctx
        .store
        .metrics(since)
        .into_iter()
        .filter(|k| k.matches(ns, name, &filters))
        .collect();
    let (page, next) = paginate(keys, i.str("NextToken")?, 500)?;
    let metrics = page
        .iter()
        .map(|k| {
            Out::Struct(vec![
                ("Namespace", s(k.namespace())),
                ("MetricName", s(k.name())),
                (
                    "Dimensions",
                    Out::List(
                        k.dimensions()
                            .iter()
                            .map(|d| {
                                Out::Struct(vec![("Name", s(&d.name)), ("Value", s(&d.value))])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    let mut f = vec![("Metrics", Out::List(metrics))];
    if let Some(n) = next {
        f.push(("NextToken", s(n)));
    }
    Ok(Out::Struct(f))
}

fn alarm_arn(ctx: &ApiContext<'_>, name: &str) -> String {
    format!(
        "arn:aws:cloudwatch:{}:{}:alarm:{name}",
        ctx.region, ctx.account_id
    )
}

fn describe_alarms(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let names: Vec<&str> = i
        .list("AlarmNames")?
        .iter()
        .map(value_str)
        .collect::<Result<_, _>>()?;
    if names.len() > 100 {
        return Err(ApiError::invalid(
            "The collection AlarmNames must not have more than 100 members.",
        ));
    }
    let prefix = i.str("AlarmNamePrefix")?;
    if prefix.is_some() && !names.is_empty() {
        return Err(ApiError::combination(
            "AlarmNames and AlarmNamePrefix cannot be given together.",
        ));
    }
    let state = match i.str("StateValue")? {
        None => None,
        Some(v) => Some(crate::alarm::AlarmStateValue::parse(v).ok_or_else(|| ApiError::invalid(format!("The value {v} for parameter StateValue is not valid: expected OK, ALARM or INSUFFICIENT_DATA.")))?),
    };
    let action_prefix = i.str("ActionPrefix")?;
    let types: Vec<&str> = i
        .list("AlarmTypes")?
        .iter()
        .map(value_str)
        .collect::<Result<_, _>>()?;
    for t in &types {
        if *t != "MetricAlarm" && *t != "CompositeAlarm" {
            return Err(ApiError::invalid(format!(
                "The value {t} for parameter AlarmTypes is not valid: expected MetricAlarm or CompositeAlarm."
            )));
        }
    }
    let want_metric = types.is_empty() || types.contains(&"MetricAlarm");
    let max = i.int("MaxRecords")?.unwrap_or(50);
    if !(1..=100).contains(&max) {
        return Err(ApiError::invalid(
            "The parameter MaxRecords must be between 1 and 100.",
        ));
    }
    let mut alarms: Vec<&Alarm> = ctx
        .alarms
        .iter()
        .filter(|_| want_metric)
        .filter(|a| names.is_empty() || names.contains(&a.name()))
        .filter(|a| prefix.is_none_or(|p| a.name().starts_with(p)))
        .filter(|a| state.is_none_or(|s| a.state().value == s))
        .filter(|a| {
            action_prefix.is_none_or(|p| {
                let d = a.definition();
                d.alarm_actions
                    .iter()
                    .chain(&d.ok_actions)
                    .chain(&d.insufficient_data_actions)
                    .any(|x| x.starts_with(p))
            })
        })
        .collect();
    alarms.sort_by(|a, b| a.name().cmp(b.name()));
    let (page, next) = paginate(alarms, i.str("NextToken")?, max as usize)?;
    let metric_alarms = page.iter().map(|a| metric_alarm(ctx, a)).collect();
    let mut f = vec![
        ("MetricAlarms", Out::List(metric_alarms)),
        ("CompositeAlarms", Out::List(Vec::new())),
    ];
    if let Some(n) = next {
        f.push(("NextToken", s(n)));
    }
    Ok(Out::Struct(f))
}

fn metric_alarm(ctx: &ApiContext<'_>, a: &Alarm) -> Out {
    let d = a.definition();
    let st = a.state();
    let strings = |v: &[String]| Out::List(v.iter().map(|x| s(x.as_str())).collect());
    let mut f = vec![
        ("AlarmName", s(d.name.as_str())),
        ("AlarmArn", s(alarm_arn(ctx, &d.name))),
    ];
    if let Some(desc) = &d.description {
        f.push(("AlarmDescription", s(desc.as_str())));
    }
    f.extend([
        (
            "AlarmConfigurationUpdatedTimestamp",
            Out::Time(a.config_updated()),
        ),
        ("ActionsEnabled", Out::Bool(d.actions_enabled)),
        ("OKActions", strings(&d.ok_actions)),
        ("AlarmActions", strings(&d.alarm_actions)),
        (
            "InsufficientDataActions",
            strings(&d.insufficient_data_actions),
        ),
        ("StateValue", s(st.value.as_str())),
        ("StateReason", s(st.reason.as_str())),
    ]);
    if let Some(data) = &st.reason_data {
        f.push(("StateReasonData", s(data.as_str())));
    }
    f.push(("StateUpdatedTimestamp", Out::Time(st.updated)));
    f.push(("MetricName", s(d.metric.name())));
    f.push(("Namespace", s(d.metric.namespace())));
    if d.statistic.is_basic() {
        f.push(("Statistic", s(d.statistic.to_string())));
    } else {
        f.push(("ExtendedStatistic", s(d.statistic.to_string())));
    }
    f.push((
        "Dimensions",
        Out::List(
            d.metric
                .dimensions()
                .iter()
                .map(|x| Out::Struct(vec![("Name", s(&x.name)), ("Value", s(&x.value))]))
                .collect(),
        ),
    ));
    f.push(("Period", Out::Int(u64::from(d.period_secs))));
    if let Some(u) = d.unit {
        f.push(("Unit", s(u.as_str())));
    }
    f.extend([
        (
            "EvaluationPeriods",
            Out::Int(u64::from(d.evaluation_periods)),
        ),
        (
            "DatapointsToAlarm",
            Out::Int(u64::from(d.datapoints_to_alarm)),
        ),
        ("Threshold", Out::Num(d.threshold)),
        ("ComparisonOperator", s(d.comparison.as_str())),
        ("TreatMissingData", s(d.treat_missing_data.as_str())),
    ]);
    if let Some(l) = d.low_sample_count {
        f.push((
            "EvaluateLowSampleCountPercentile",
            s(if l == crate::alarm::LowSampleCount::Ignore {
                "ignore"
            } else {
                "evaluate"
            }),
        ));
    }
    f.push(("StateTransitionedTimestamp", Out::Time(st.updated)));
    Out::Struct(f)
}

fn describe_alarm_history(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let name = i.str("AlarmName")?;
    let kind = match i.str("HistoryItemType")? {
        None => None,
        Some("StateUpdate") => Some(HistoryItemType::StateUpdate),
        Some("ConfigurationUpdate") => Some(HistoryItemType::ConfigurationUpdate),
        Some("Action") => {
            return Ok(Out::Struct(vec![(
                "AlarmHistoryItems",
                Out::List(Vec::new()),
            )]));
        }
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter HistoryItemType is not valid: expected ConfigurationUpdate, StateUpdate or Action."
            )));
        }
    };
    let start = i.time("StartDate")?;
    let end = i.time("EndDate")?;
    let ascending = match i.str("ScanBy")? {
        None | Some("TimestampDescending") => false,
        Some("TimestampAscending") => true,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter ScanBy is not valid."
            )));
        }
    };
    let max = i.int("MaxRecords")?.unwrap_or(100).clamp(1, 100) as usize;
    let mut items: Vec<(&Alarm, &crate::alarm::HistoryItem)> = ctx
        .alarms
        .iter()
        .filter(|a| name.is_none_or(|n| a.name() == n))
        .flat_map(|a| a.history().map(move |h| (a, h)))
        .filter(|(_, h)| kind.is_none_or(|k| h.kind == k))
        .filter(|(_, h)| {
            start.is_none_or(|s| h.timestamp >= s) && end.is_none_or(|e| h.timestamp <= e)
        })
        .collect();
    items.sort_by_key(|(_, h)| h.timestamp);
    if !ascending {
        items.reverse();
    }
    let (page, next) = paginate(items, i.str("NextToken")?, max)?;
    let out = page
        .iter()
        .map(|(a, h)| {
            Out::Struct(vec![
                ("AlarmName", s(a.name())),
                ("AlarmType", s("MetricAlarm")),
                ("Timestamp", Out::Time(h.timestamp)),
                ("HistoryItemType", s(h.kind.as_str())),
                ("HistorySummary", s(h.summary.as_str())),
                ("HistoryData", s(h.data.as_str())),
            ])
        })
        .collect();
    let mut f = vec![("AlarmHistoryItems", Out::List(out))];
    if let Some(n) = next {
        f.push(("NextToken", s(n)));
    }
    Ok(Out::Struct(f))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreConfig;

    fn call(store: &MetricStore, headers: &[(&str, &str)], body: &[u8]) -> ApiResponse {
        let ctx = ApiContext {
            store,
            alarms: &[],
            region: "us-east-1",
            account_id: "123456789012",
            now: Timestamp::from_secs(1_800_000_000),
        };
        handle(
            &ctx,
            &ApiRequest {
                method: "POST",
                query: "",
                headers,
                body,
            },
        )
    }

    fn json_call(store: &MetricStore, op: &str, body: &str) -> (u16, Value, Option<String>) {
        let target = format!("{TARGET_PREFIX}{op}");
        let r = call(
            store,
            &[
                ("Content-Type", JSON_CONTENT_TYPE),
                ("X-Amz-Target", &target),
            ],
            body.as_bytes(),
        );
        let q = r
            .headers
            .iter()
            .find(|(k, _)| *k == "x-amzn-query-error")
            .map(|(_, v)| v.clone());
        (
            r.status,
            serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            q,
        )
    }

    #[test]
    fn garbage_never_panics_and_errors_are_shaped() {
        let store = MetricStore::new(StoreConfig::default());
        for body in [
            "",
            "[]",
            "{",
            "{\"Namespace\": 3}",
            "{\"MetricData\": {}}",
            "{\"Namespace\":\"N\",\"MetricData\":[{\"MetricName\":\"m\",\"Value\":\"x\"}]}",
            "{\"Namespace\":\"N\",\"MetricData\":[{\"MetricName\":\"m\",\"Values\":[1,2],\"Counts\":[1]}]}",
        ] {
            let (status, v, q) = json_call(&store, "PutMetricData", body);
            assert_eq!(status, 400, "{body}: {v}");
            assert!(
                v["__type"]
                    .as_str()
                    .unwrap()
                    .starts_with("com.amazonaws.cloudwatch#"),
                "{v}"
            );
            assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()));
            let _ = q;
        }
        let (status, v, q) = json_call(
            &store,
            "PutMetricData",
            "{\"Namespace\":\"N\",\"MetricData\":[{\"MetricName\":\"m\"}]}",
        );
        assert_eq!(
            (status, q.as_deref()),
            (400, Some("MissingParameter;Sender"))
        );
        assert_eq!(
            v["message"],
            "The parameter MetricData.member.1.Value is required."
        );
        let (status, _, q) = json_call(&store, "DeleteAlarms", "{}");
        assert_eq!((status, q.as_deref()), (400, Some("InvalidAction;Sender")));
        // Extreme times are refused or answered, never overflow.
        let (status, _, _) = json_call(
            &store,
            "GetMetricData",
            "{\"StartTime\": -1e300, \"EndTime\": 1e300, \"MetricDataQueries\": [{\"Id\": \"a\", \"MetricStat\": {\"Metric\": {\"Namespace\": \"N\", \"MetricName\": \"m\"}, \"Period\": 1, \"Stat\": \"Sum\"}}]}",
        );
        assert_eq!(status, 400);
        let (status, v, _) = json_call(
            &store,
            "GetMetricData",
            "{\"StartTime\": 0, \"EndTime\": 5e12, \"MetricDataQueries\": [{\"Id\": \"a\", \"MetricStat\": {\"Metric\": {\"Namespace\": \"N\", \"MetricName\": \"m\"}, \"Period\": 1, \"Stat\": \"Sum\"}}]}",
        );
        assert_eq!(status, 200, "{v}");
        // A refused request changes nothing.
        let (status, _, _) = json_call(
            &store,
            "PutMetricData",
            "{\"Namespace\":\"N\",\"MetricData\":[{\"MetricName\":\"ok\",\"Value\":1},{\"MetricName\":\"bad\"}]}",
        );
        assert_eq!(status, 400);
        assert!(store.is_empty());
    }

    #[test]
    fn a_parsed_call_is_what_runs() {
        let req = |headers: &'static [(&'static str, &'static str)], body: &'static [u8]| {
            parse(&ApiRequest {
                method: "POST",
                query: "",
                headers,
                body,
            })
        };
        // A key given twice: the last value, for the operation and the
        // input alike.
        let call = req(
            &[],
            b"Action=ListMetrics&Action=PutMetricData&Namespace=Shop&Namespace=Other",
        );
        assert_eq!(call.operation(), Some("PutMetricData"));
        assert_eq!(call.input().unwrap()["Namespace"], "Other");
        assert!(!call.is_json());
        let json = req(
            &[("X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics")],
            br#"{"Namespace": "A", "Namespace": "B"}"#,
        );
        assert_eq!(json.operation(), Some("ListMetrics"));
        assert_eq!(json.input().unwrap()["Namespace"], "B");
        assert!(json.is_json());
        // Unreadable requests run no operation.
        assert_eq!(req(&[], b"Version=2010-08-01").operation(), None);
        assert_eq!(
            req(&[("x-amz-target", "Other.ListMetrics")], b"{}").operation(),
            None
        );
        assert_eq!(
            req(&[("content-type", "application/cbor")], b"").operation(),
            None
        );
    }

    #[test]
    fn query_protocol_in_the_body_or_the_url() {
        let store = MetricStore::new(StoreConfig::default());
        let body = "Action=PutMetricData&Version=2010-08-01&Namespace=Shop&MetricData.member.1.MetricName=Orders&MetricData.member.1.Value=2&MetricData.member.1.Dimensions.member.1.Name=Service&MetricData.member.1.Dimensions.member.1.Value=web&MetricData.member.1.Timestamp=2027-01-15T08:00:00Z";
        let r = call(
            &store,
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body.as_bytes(),
        );
        let text = String::from_utf8(r.body).unwrap();
        assert_eq!(r.status, 200, "{text}");
        assert!(text.starts_with("<PutMetricDataResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><ResponseMetadata><RequestId>"), "{text}");
        let ctx = ApiContext {
            store: &store,
            alarms: &[],
            region: "r",
            account_id: "1",
            now: Timestamp::from_secs(1_800_000_000),
        };
        let r = handle(
            &ctx,
            &ApiRequest {
                method: "GET",
                query: "Action=ListMetrics&Version=2010-08-01&Namespace=Shop",
                headers: &[],
                body: b"",
            },
        );
        let text = String::from_utf8(r.body).unwrap();
        assert!(text.contains("<Metrics><member><Namespace>Shop</Namespace><MetricName>Orders</MetricName><Dimensions><member><Name>Service</Name><Value>web</Value></member></Dimensions></member></Metrics>"), "{text}");
        let r = handle(&ctx, &ApiRequest { method: "POST", query: "", headers: &[], body: b"Action=PutMetricData&Namespace=AWS%2FX&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1" });
        let text = String::from_utf8(r.body).unwrap();
        assert_eq!(r.status, 400);
        assert!(text.contains("<Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>The value AWS/X for parameter Namespace is invalid"), "{text}");
    }

    #[test]
    fn rpc_v2_cbor_is_refused_clearly() {
        let store = MetricStore::new(StoreConfig::default());
        let r = call(
            &store,
            &[
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Type", "application/cbor"),
            ],
            &[0xa0],
        );
        assert_eq!(r.status, 400);
        assert!(String::from_utf8_lossy(&r.body).contains("smithy-rpc-v2-cbor is not supported"));
    }
}
