//! The wire formats: the query protocol's form read as the JSON protocol's
//! object, the [`In`] reader of an operation's input, and the [`Out`] tree
//! an answer is printed from, as JSON or XML, for successes and errors.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ApiError, ApiResponse, JSON_CONTENT_TYPE, Protocol, XML_NAMESPACE};
use crate::time::Timestamp;
use crate::unit::{self, Unit};

// ---------------------------------------------------------------- input

/// Query-protocol form parameters as the JSON protocol's object:
/// `A.member.1.B=x` becomes `{"A": [{"B": "x"}]}`; every leaf is a string.
pub(super) fn query_to_value(form: &[u8]) -> Value {
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
pub(super) struct In<'a> {
    pub(super) v: &'a Value,
    pub(super) path: String,
}

impl<'a> In<'a> {
    pub(super) fn name(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    pub(super) fn get(&self, key: &str) -> Option<&'a Value> {
        self.v.get(key).filter(|v| !v.is_null())
    }

    pub(super) fn str(&self, key: &str) -> Result<Option<&'a str>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(ApiError::invalid(format!(
                "The parameter {} must be a string, not {v}.",
                self.name(key)
            ))),
        }
    }

    pub(super) fn req_str(&self, key: &str) -> Result<&'a str, ApiError> {
        self.str(key)?
            .ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    pub(super) fn num(&self, key: &str) -> Result<Option<f64>, ApiError> {
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

    pub(super) fn int(&self, key: &str) -> Result<Option<u64>, ApiError> {
        match self.num(key)? {
            None => Ok(None),
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(Some(f as u64)),
            Some(f) => Err(ApiError::invalid(format!(
                "The value {f} for parameter {} is not a valid whole number.",
                self.name(key)
            ))),
        }
    }

    pub(super) fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
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

    pub(super) fn time(&self, key: &str) -> Result<Option<Timestamp>, ApiError> {
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

    pub(super) fn req_time(&self, key: &str) -> Result<Timestamp, ApiError> {
        self.time(key)?
            .ok_or_else(|| ApiError::missing(&self.name(key)))
    }

    /// A list's items (the query protocol's `.member.N`; an empty string is
    /// an empty list).
    pub(super) fn list(&self, key: &str) -> Result<Vec<In<'a>>, ApiError> {
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

    pub(super) fn obj(&self, key: &str) -> Result<Option<In<'a>>, ApiError> {
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

    pub(super) fn unit(&self, key: &str) -> Result<Option<Unit>, ApiError> {
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

pub(super) fn value_str<'a>(i: &In<'a>) -> Result<&'a str, ApiError> {
    i.v.as_str()
        .ok_or_else(|| ApiError::invalid(format!("The parameter {} must be a string.", i.path)))
}

pub(super) fn paginate<T>(
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

// ---------------------------------------------------------------- output

/// An answer's tree, printed as JSON or XML.
pub(super) enum Out {
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

pub(super) fn s(v: impl Into<String>) -> Out {
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

pub(super) fn success_response(
    protocol: Protocol,
    op: &str,
    out: &Out,
    rid: String,
) -> ApiResponse {
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

pub(super) fn error_response(
    protocol: Protocol,
    _op: &str,
    e: &ApiError,
    rid: String,
) -> ApiResponse {
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
