//! Bad requests and misbehaving functions: each gets a clear answer and the
//! server keeps serving.

mod common;

use std::time::Duration;

use common::http::send;
use common::*;
use lockgate_cloud::{ApiConfig, ApiKind, Cloud, Gateway, PayloadVersion, Route};
use serde_json::json;

async fn setup(dir: &tempfile::TempDir) -> Gateway {
    let bad = |name: &str, mode: &str| function(name, "provided.al2023", mode, "bad");
    let mut c = config(vec![
        function("Echo", "python3.12", "app.echo", "python"),
        bad("Malformed", "malformed"),
        bad("Exit", "exit"),
        bad("Silent", "silent"),
        bad("Huge", "huge"),
        bad("CrashAfterNext", "crash-after-next"),
        bad("WrongId", "wrong-id"),
    ]);
    let route = |path: &str, f: &str| Route {
        method: None,
        path: path.into(),
        function: f.into(),
        payload: PayloadVersion::V1,
    };
    c.apis = vec![ApiConfig {
        name: "Api".into(),
        kind: ApiKind::Rest,
        stage: "Prod".into(),
        binary_media_types: vec![],
        stage_variables: Default::default(),
        routes: vec![
            route("/echo", "Echo"),
            route("/malformed", "Malformed"),
            route("/exit", "Exit"),
        ],
    }];
    let mut opts = options(dir);
    opts.init_timeout = Duration::from_secs(1);
    let cloud = Cloud::new(c, opts, Logs::default().sink()).unwrap();
    Gateway::start(cloud, "127.0.0.1:0", Logs::default().sink())
        .await
        .unwrap()
}

/// Invokes `function` through the Invoke API and checks Lambda's answer for
/// an unhandled error of `error_type` whose message contains `message`.
async fn expect_unhandled(gw: &Gateway, function: &str, error_type: &str, message: &str) {
    let r = send(gw.addr(), "POST", &invoke_path(function), &[], "{}").await;
    assert_eq!(
        (r.status, r.header("x-amz-function-error")),
        (200, Some("Unhandled")),
        "{function}"
    );
    let v = r.json();
    assert_eq!(v["errorType"], error_type);
    assert!(v["errorMessage"].as_str().unwrap().contains(message), "{v}");
}

async fn still_serves(gw: &Gateway) {
    let r = send(gw.addr(), "GET", "/echo", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
}

fn invoke_path(name: &str) -> String {
    format!("/2015-03-31/functions/{name}/invocations")
}

#[tokio::test(flavor = "multi_thread")]
async fn oversized_bodies_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let gw = setup(&dir).await;
    let big = vec![b'a'; 6 * 1024 * 1024 + 1];
    let r = send(
        gw.addr(),
        "POST",
        "/echo",
        &[("content-type", "text/plain")],
        big.clone(),
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (413, json!({"message": "Request Entity Too Large"}))
    );
    let mut doc = b"\"".to_vec();
    doc.extend_from_slice(&big);
    doc.push(b'"');
    let r = send(gw.addr(), "POST", &invoke_path("Echo"), &[], doc).await;
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (413, Some("RequestEntityTooLargeException"))
    );
    assert_eq!(
        r.json()["message"],
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    );
    still_serves(&gw).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_from_a_function() {
    let dir = tempfile::tempdir().unwrap();
    let gw = setup(&dir).await;
    let r = send(gw.addr(), "GET", "/malformed", &[], "").await;
    assert_eq!(
        (r.status, r.json()),
        (502, json!({"message": "Internal server error"}))
    );
    // The Invoke API hands the bytes back as Lambda does.
    let r = send(gw.addr(), "POST", &invoke_path("Malformed"), &[], "{}").await;
    assert_eq!((r.status, r.text().as_str()), (200, "this is {not json"));
    still_serves(&gw).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_that_writes_nothing_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let gw = setup(&dir).await;
    expect_unhandled(&gw, "Exit", "Runtime.ExitError", "exit status: 7").await;
    let r = send(gw.addr(), "GET", "/exit", &[], "").await;
    assert_eq!(r.status, 502);
    still_serves(&gw).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_function_that_never_calls_next() {
    let dir = tempfile::tempdir().unwrap();
    let gw = setup(&dir).await;
    expect_unhandled(
        &gw,
        "Silent",
        "Runtime.InitTimeout",
        "did not ask for an event",
    )
    .await;
    still_serves(&gw).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn runtime_api_misuse() {
    let dir = tempfile::tempdir().unwrap();
    let gw = setup(&dir).await;
    // A response over 6 MiB: the runtime gets 413, the caller Lambda's error.
    let r = send(gw.addr(), "POST", &invoke_path("Huge"), &[], "{}").await;
    assert_eq!(r.json()["errorType"], "Function.ResponseSizeTooLarge");
    // A crash while holding an event fails that event.
    expect_unhandled(&gw, "CrashAfterNext", "Runtime.ExitError", "exit status: 9").await;
    // A response for an unknown request ID is refused with 400.
    let r = send(gw.addr(), "POST", &invoke_path("WrongId"), &[], "{}").await;
    assert_eq!(r.json(), json!({"wrong_id_status": 400}));
    still_serves(&gw).await;
}
