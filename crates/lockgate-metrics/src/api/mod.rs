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

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use crate::alarm::Alarm;
use crate::store::MetricStore;
use crate::time::Timestamp;

mod alarms;
mod metrics;
mod wire;

use alarms::{describe_alarm_history, describe_alarms};
use metrics::{get_metric_data, get_metric_statistics, list_metrics, put_metric_data};
use wire::{In, Out, error_response, query_to_value, success_response};

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
