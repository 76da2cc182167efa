//! The gateway over real HTTP: API Gateway 1.0 / 2.0 events (golden files),
//! response mapping, routing answers, and the Lambda Invoke API.

mod common;

use std::sync::Arc;

use common::http::send;
use common::*;
use lockgate_cloud::{ApiConfig, ApiKind, Cloud, Gateway, PayloadVersion, Route};
use serde_json::{Value, json};

fn route(method: Option<&str>, path: &str, function: &str, payload: PayloadVersion) -> Route {
    Route {
        method: method.map(str::to_string),
        path: path.into(),
        function: function.into(),
        payload,
    }
}

fn functions() -> Vec<lockgate_cloud::FunctionConfig> {
    vec![
        function("Echo", "python3.12", "app.echo", "python"),
        function("Respond", "python3.12", "app.respond", "python"),
        function("Raw", "python3.12", "app.raw", "python"),
        function("Fail", "python3.12", "app.fail", "python"),
    ]
}

async fn gateway(dir: &tempfile::TempDir, api: ApiConfig) -> (Arc<Cloud>, Gateway) {
    start_gateway(dir, functions(), api).await
}

fn rest_api() -> ApiConfig {
    use PayloadVersion::V1;
    ApiConfig {
        name: "ServerlessRestApi".into(),
        kind: ApiKind::Rest,
        stage: "Prod".into(),
        binary_media_types: vec!["image/png".into()],
        stage_variables: Default::default(),
        routes: vec![
            route(Some("GET"), "/items/{id}", "Echo", V1),
            route(None, "/files/{proxy+}", "Echo", V1),
            route(Some("POST"), "/respond", "Respond", V1),
            route(Some("POST"), "/fail", "Fail", V1),
        ],
    }
}

fn http_api() -> ApiConfig {
    use PayloadVersion::{V1, V2};
    ApiConfig {
        name: "ServerlessHttpApi".into(),
        kind: ApiKind::Http,
        stage: "$default".into(),
        binary_media_types: vec![],
        stage_variables: Default::default(),
        routes: vec![
            route(Some("GET"), "/items/{id}", "Echo", V2),
            route(None, "/files/{proxy+}", "Echo", V2),
            route(Some("POST"), "/v1/items/{id}", "Echo", V1),
            route(Some("POST"), "/respond", "Respond", V2),
            route(Some("POST"), "/raw", "Raw", V2),
            route(Some("POST"), "/fail", "Fail", V2),
        ],
    }
}

/// Replaces per-request values (IDs, times) so events compare with golden files.
fn normalize(mut v: Value) -> Value {
    if let Some(ctx) = v.get_mut("requestContext").and_then(Value::as_object_mut) {
        for k in [
            "requestId",
            "extendedRequestId",
            "requestTime",
            "requestTimeEpoch",
            "time",
            "timeEpoch",
        ] {
            if ctx.contains_key(k) {
                ctx.insert(k.into(), json!("<dynamic>"));
            }
        }
    }
    v
}

fn golden(name: &str, actual: &Value) {
    let path = fixture("golden").join(name);
    if std::env::var_os("LOCKGATE_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(actual).unwrap() + "\n").unwrap();
    }
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    assert_eq!(actual, &expected, "{name} differs from the golden file");
}

const UA: (&str, &str) = ("user-agent", "golden-test/1.0");

#[tokio::test(flavor = "multi_thread")]
async fn rest_api_events_are_format_1_0() {
    let dir = tempfile::tempdir().unwrap();
    let (_cloud, gw) = gateway(&dir, rest_api()).await;
    let r = send(
        gw.addr(),
        "GET",
        "/items/42?a=1&b=x%20y&a=2",
        &[
            UA,
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("accept", "application/json"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    golden(
        "rest_get_item.json",
        &normalize(serde_json::from_slice(&r.body).unwrap()),
    );

    let r = send(
        gw.addr(),
        "PUT",
        "/files/a/b%20c/d.txt",
        &[UA, ("content-type", "text/plain")],
        "plain body",
    )
    .await;
    golden("rest_proxy_put.json", &normalize(r.json()));

    let png = [0x89u8, b'P', b'N', b'G', 0, 1, 2, 255];
    let r = send(
        gw.addr(),
        "POST",
        "/files/img.png",
        &[UA, ("content-type", "image/png")],
        png.to_vec(),
    )
    .await;
    let ev = r.json();
    assert_eq!(ev["isBase64Encoded"], true);
    assert_eq!(ev["body"], "iVBORwABAv8=");
}

#[tokio::test(flavor = "multi_thread")]
async fn http_api_events_are_format_2_0_or_1_0_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (_cloud, gw) = gateway(&dir, http_api()).await;
    let r = send(
        gw.addr(),
        "GET",
        "/items/42?a=1&b=x%20y&a=2",
        &[
            UA,
            ("x-multi", "one"),
            ("x-multi", "two"),
            ("cookie", "c1=v1; c2=v2"),
        ],
        "",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    golden("http_get_item.json", &normalize(r.json()));

    let r = send(
        gw.addr(),
        "DELETE",
        "/files/a/b",
        &[UA, ("content-type", "application/octet-stream")],
        vec![0u8, 1, 2],
    )
    .await;
    golden("http_proxy_binary.json", &normalize(r.json()));

    let r = send(
        gw.addr(),
        "POST",
        "/v1/items/7?q=1",
        &[UA, ("content-type", "application/json")],
        r#"{"k":1}"#,
    )
    .await;
    golden("http_v1_post.json", &normalize(r.json()));
}

#[tokio::test(flavor = "multi_thread")]
async fn responses_map_back_per_format() {
    let dir = tempfile::tempdir().unwrap();
    let (_cloud, rest) = gateway(&dir, rest_api()).await;
    let dir2 = tempfile::tempdir().unwrap();
    let (_cloud2, http) = gateway(&dir2, http_api()).await;
    let ask = |want: Value| serde_json::to_vec(&want).unwrap();

    // 1.0: headers + multiValueHeaders, base64 body, status.
    let want = json!({"statusCode": 201, "headers": {"x-one": "1", "content-type": "text/plain"}, "multiValueHeaders": {"set-cookie": ["a=1", "b=2"]}, "body": "aGVsbG8=", "isBase64Encoded": true});
    let r = send(rest.addr(), "POST", "/respond", &[], ask(want)).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.header("x-one"), Some("1"));
    assert_eq!(r.all("set-cookie"), vec!["a=1", "b=2"]);
    assert_eq!(r.text(), "hello");
    // 1.0 without a statusCode is malformed: 502.
    let r = send(
        rest.addr(),
        "POST",
        "/respond",
        &[],
        ask(json!({"body": "x"})),
    )
    .await;
    assert_eq!(
        (r.status, r.json()),
        (502, json!({"message": "Internal server error"}))
    );

    // 2.0: cookies become set-cookie headers.
    let want = json!({"statusCode": 202, "headers": {"content-type": "text/html"}, "cookies": ["s=1; Secure", "t=2"], "body": "<p>hi</p>"});
    let r = send(http.addr(), "POST", "/respond", &[], ask(want)).await;
    assert_eq!(r.status, 202);
    assert_eq!(r.all("set-cookie"), vec!["s=1; Secure", "t=2"]);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.text(), "<p>hi</p>");
    // 2.0: a bare JSON value is a 200 application/json body.
    let r = send(
        http.addr(),
        "POST",
        "/respond",
        &[],
        ask(json!({"hello": "world"})),
    )
    .await;
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("application/json"))
    );
    assert_eq!(r.json(), json!({"hello": "world"}));
    let r = send(http.addr(), "POST", "/respond", &[], ask(json!([1, 2]))).await;
    assert_eq!((r.status, r.json()), (200, json!([1, 2])));
    // 2.0: a result that is not JSON at all is a 502.
    let r = send(
        http.addr(),
        "POST",
        "/raw",
        &[("content-type", "text/plain")],
        "not json",
    )
    .await;
    assert_eq!(
        r.status, 200,
        "a Python string result is JSON-encoded by the runtime"
    );
    assert_eq!(r.json(), json!("not json"));

    // Function errors: 502 with API Gateway's body.
    let r = send(rest.addr(), "POST", "/fail", &[], "{}").await;
    assert_eq!(
        (r.status, r.json()),
        (502, json!({"message": "Internal server error"}))
    );
    let r = send(http.addr(), "POST", "/fail", &[], "{}").await;
    assert_eq!(
        (r.status, r.json()),
        (502, json!({"message": "Internal Server Error"}))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn no_route_answers_like_api_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let (_c1, rest) = gateway(&dir, rest_api()).await;
    let r = send(rest.addr(), "GET", "/nothing/here", &[], "").await;
    assert_eq!(
        (r.status, r.json()),
        (403, json!({"message": "Missing Authentication Token"}))
    );
    let r = send(rest.addr(), "DELETE", "/items/1", &[], "").await;
    assert_eq!(
        r.status, 403,
        "a path that exists with another method has no route either"
    );
    let dir2 = tempfile::tempdir().unwrap();
    let (_c2, http) = gateway(&dir2, http_api()).await;
    let r = send(http.addr(), "GET", "/nothing/here", &[], "").await;
    assert_eq!((r.status, r.json()), (404, json!({"message": "Not Found"})));
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_invoke_api() {
    let dir = tempfile::tempdir().unwrap();
    let (cloud, gw) = gateway(&dir, rest_api()).await;
    let path = "/2015-03-31/functions/Respond/invocations";
    let r = send(
        gw.addr(),
        "POST",
        path,
        &[("x-amz-log-type", "Tail")],
        r#"{"body": "{\"x\": 1}"}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({"x": 1}));
    assert_eq!(r.header("x-amz-executed-version"), Some("$LATEST"));
    assert!(r.header("x-amz-function-error").is_none());
    let tail = r.header("x-amz-log-result").expect("log tail");
    use base64::Engine;
    let tail = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(tail)
            .unwrap(),
    )
    .unwrap();
    assert!(
        tail.contains("START RequestId: ") && tail.contains("REPORT RequestId: "),
        "{tail}"
    );

    let r = send(
        gw.addr(),
        "POST",
        "/2015-03-31/functions/arn:aws:lambda:us-east-1:123456789012:function:Fail/invocations",
        &[],
        "{}",
    )
    .await;
    assert_eq!(
        (r.status, r.header("x-amz-function-error")),
        (200, Some("Unhandled"))
    );
    assert_eq!(r.json()["errorType"], "ValueError");

    let r = send(
        gw.addr(),
        "POST",
        "/2015-03-31/functions/Nope/invocations",
        &[],
        "{}",
    )
    .await;
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (404, Some("ResourceNotFoundException"))
    );
    let r = send(gw.addr(), "POST", path, &[], "{not json").await;
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (400, Some("InvalidRequestContentException"))
    );
    let r = send(
        gw.addr(),
        "POST",
        path,
        &[("x-amz-invocation-type", "DryRun")],
        "{}",
    )
    .await;
    assert_eq!(r.status, 204);

    let before = cloud.metrics().get("Echo:$LATEST").invocations;
    let r = send(
        gw.addr(),
        "POST",
        "/2015-03-31/functions/Echo/invocations",
        &[("x-amz-invocation-type", "Event")],
        "{}",
    )
    .await;
    assert_eq!((r.status, r.body.len()), (202, 0));
    // The event runs in the background; wait for it through the metrics.
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(20));
    while cloud.metrics().get("Echo:$LATEST").invocations == before {
        tick.tick().await;
    }
}

/// A caller that stops waiting while its function runs (a client that
/// disconnects drops the request's future) does not strand the instance:
/// the invocation runs to its end, as on Lambda, and the instance goes back
/// to the warm pool and serves the next call.
#[tokio::test(flavor = "multi_thread")]
async fn an_abandoned_invocation_leaves_its_instance_warm() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let cloud = Cloud::new(
        config(vec![function("Held", "python3.12", "app.held", "python")]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap();
    let hold = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = hold.local_addr().unwrap().port();
    let event = json!({"queryStringParameters": {"hold": port.to_string()}, "requestContext": {"stage": "s"}})
        .to_string();
    let call = tokio::spawn({
        let (cloud, event) = (cloud.clone(), event.clone());
        async move { cloud.invoke("Held", req(&event)).await }
    });
    // The function has started: its caller gives up.
    let (mut started, _) = hold.accept().await.unwrap();
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    // The function finishes; its instance returns to the pool.
    started.write_all(b"x").await.unwrap();
    let _ = started.read_to_end(&mut Vec::new()).await;
    let f = cloud.function("Held").unwrap().clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while f.warm_instances() != 1 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(f.warm_instances(), 1, "the instance did not come back");
    // And serves the next call warm.
    let next = tokio::spawn({
        let cloud = cloud.clone();
        async move { cloud.invoke("Held", req(&event)).await }
    });
    let (mut again, _) = hold.accept().await.unwrap();
    again.write_all(b"x").await.unwrap();
    let out = next.await.unwrap().unwrap().unwrap();
    assert!(out.function_error.is_none());
    assert!(!out.cold);
    assert_eq!(f.instances_started(), 1);
}
