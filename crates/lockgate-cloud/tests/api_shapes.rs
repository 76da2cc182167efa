//! Golden tests of API Gateway's payloads against the shapes real API
//! Gateway produces (`tests/fixtures/apigw`, see its README): the same key
//! sets and JSON types, never the values. Our shapes are also kept as insta
//! snapshots so any change shows up in review.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use common::http::send;
use common::*;
use lockgate_cloud::gateway::payload::{self, MappedResponse};
use lockgate_cloud::{ApiConfig, ApiKind, Cloud, Gateway, PayloadVersion, Route};
use serde_json::Value;

/// Maps whose keys are data (header names, parameters), not structure.
const FREE_MAPS: &[&str] = &[
    "headers",
    "multiValueHeaders",
    "queryStringParameters",
    "multiValueQueryStringParameters",
    "pathParameters",
    "stageVariables",
];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every key path with its JSON type; free-form maps collapse to `*`,
/// arrays to `[]`.
fn shape(v: &Value) -> BTreeMap<String, &'static str> {
    fn walk(path: &str, v: &Value, free: bool, out: &mut BTreeMap<String, &'static str>) {
        out.insert(path.to_string(), type_name(v));
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let key = if free { "*" } else { k.as_str() };
                    let p = if path.is_empty() {
                        key.to_string()
                    } else {
                        format!("{path}.{key}")
                    };
                    walk(&p, child, FREE_MAPS.contains(&k.as_str()), out);
                }
            }
            Value::Array(a) => {
                for child in a {
                    walk(&format!("{path}[]"), child, false, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeMap::new();
    walk("", v, false, &mut out);
    out.remove("");
    out
}

fn render(shape: &BTreeMap<String, &'static str>) -> String {
    shape.iter().map(|(k, t)| format!("{k}: {t}\n")).collect()
}

fn reference(name: &str) -> Value {
    let path = fixture("apigw").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts that our event has exactly the reference's key paths and types.
fn assert_same_shape(name: &str, ours: &Value) {
    let want = shape(&reference(name));
    let got = shape(ours);
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    let wrong: Vec<_> = want
        .iter()
        .filter_map(|(k, t)| {
            got.get(k)
                .filter(|g| *g != t)
                .map(|g| format!("{k}: {g}, expected {t}"))
        })
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty() && wrong.is_empty(),
        "{name}: missing {missing:?}, not in real events {extra:?}, wrong types {wrong:?}\nours:\n{}",
        render(&got)
    );
}

fn route(method: &str, path: &str, function: &str, payload: PayloadVersion) -> Route {
    Route {
        method: Some(method.into()),
        path: path.into(),
        function: function.into(),
        payload,
    }
}

async fn gateway(dir: &tempfile::TempDir, api: ApiConfig) -> (Arc<Cloud>, Gateway) {
    start_gateway(
        dir,
        vec![function("Echo", "python3.12", "app.echo", "python")],
        api,
    )
    .await
}

const HEADERS: &[(&str, &str)] = &[
    ("accept", "application/json"),
    ("user-agent", "shape-test/1.0"),
    ("x-multi", "one"),
    ("x-multi", "two"),
];

#[tokio::test(flavor = "multi_thread")]
async fn rest_api_1_0_event_has_real_api_gateways_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (cloud, gw) = gateway(
        &dir,
        ApiConfig {
            name: "ServerlessRestApi".into(),
            kind: ApiKind::Rest,
            stage: "Prod".into(),
            binary_media_types: vec![],
            stage_variables: Default::default(),
            routes: vec![route("GET", "/items/{id}", "Echo", PayloadVersion::V1)],
        },
    )
    .await;
    let r = send(gw.addr(), "GET", "/items/42?a=1&a=2&b=x", HEADERS, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ev = r.json();
    assert_same_shape("rest-1.0-request.json", &ev);
    insta::assert_snapshot!("rest_1_0_event_shape", render(&shape(&ev)));
    gw.stop().await;
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn http_api_2_0_event_has_real_api_gateways_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (cloud, gw) = gateway(
        &dir,
        ApiConfig {
            name: "ServerlessHttpApi".into(),
            kind: ApiKind::Http,
            stage: "$default".into(),
            binary_media_types: vec![],
            stage_variables: Default::default(),
            routes: vec![route("GET", "/items/{id}", "Echo", PayloadVersion::V2)],
        },
    )
    .await;
    let mut headers = HEADERS.to_vec();
    headers.push(("cookie", "c1=v1; c2=v2"));
    let r = send(gw.addr(), "GET", "/items/42?a=1&a=2&b=x", &headers, "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ev = r.json();
    assert_same_shape("http-2.0-request.json", &ev);
    insta::assert_snapshot!("http_2_0_event_shape", render(&shape(&ev)));
    gw.stop().await;
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn http_api_1_0_event_has_real_api_gateways_shape() {
    let dir = tempfile::tempdir().unwrap();
    let (cloud, gw) = gateway(
        &dir,
        ApiConfig {
            name: "ServerlessHttpApi".into(),
            kind: ApiKind::Http,
            stage: "$default".into(),
            binary_media_types: vec![],
            stage_variables: Default::default(),
            routes: vec![route("POST", "/v1/items/{id}", "Echo", PayloadVersion::V1)],
        },
    )
    .await;
    let r = send(
        gw.addr(),
        "POST",
        "/v1/items/7?q=1",
        &[
            ("user-agent", "shape-test/1.0"),
            ("content-type", "application/json"),
        ],
        r#"{"k":1}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let ev = r.json();
    assert_same_shape("http-1.0-request.json", &ev);
    insta::assert_snapshot!("http_1_0_event_shape", render(&shape(&ev)));
    gw.stop().await;
    cloud.shutdown();
}

fn render_response(r: &MappedResponse) -> String {
    let mut s = format!("status: {}\n", r.status);
    for (k, v) in &r.headers {
        s.push_str(&format!("{k}: {}\n", String::from_utf8_lossy(v.as_bytes())));
    }
    match std::str::from_utf8(&r.body) {
        Ok(text) => s.push_str(&format!("body: {text:?}\n")),
        Err(_) => s.push_str(&format!("body (bytes): {:?}\n", &r.body[..])),
    }
    s
}

#[test]
fn function_results_map_back_like_api_gateway() {
    let v1 = serde_json::to_vec(&reference("rest-1.0-response.json")).unwrap();
    let rest = payload::response_v1(&v1, ApiKind::Rest).unwrap();
    insta::assert_snapshot!("rest_1_0_response", render_response(&rest));
    let v2 = serde_json::to_vec(&reference("http-2.0-response.json")).unwrap();
    let http = payload::response_v2(&v2.into()).unwrap();
    assert_eq!(
        &http.body[..],
        &[0x89u8, b'P', b'N', b'G', 0, 1, 2, 255][..]
    );
    insta::assert_snapshot!("http_2_0_response", render_response(&http));
    // 2.0's rule: a JSON value without statusCode is a 200 application/json body.
    let bare = payload::response_v2(&bytes::Bytes::from_static(br#"{"message":"hi"}"#)).unwrap();
    insta::assert_snapshot!("http_2_0_bare_json_response", render_response(&bare));
}
