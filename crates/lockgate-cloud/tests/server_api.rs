//! What a long-running server needs: redeploys that keep unchanged
//! functions warm, weighted aliases, swapping the cloud under a running
//! gateway, per-function log lines, and asynchronous invocations.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::http::send;
use common::*;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use lockgate_cloud::{
    AliasConfig, ApiConfig, ApiKind, Cloud, CloudConfig, Gateway, LogLine, LogSink, PayloadVersion,
    Route,
};
use serde_json::{Value, json};

/// Log lines with the function and version they were tagged with.
#[derive(Clone, Default)]
struct Tagged(Arc<Mutex<Vec<(String, String, String)>>>);

impl Tagged {
    fn sink(&self) -> LogSink {
        let l = self.0.clone();
        Arc::new(move |line: &LogLine<'_>| {
            l.lock().unwrap().push((
                line.function.to_string(),
                line.version.to_string(),
                line.line.to_string(),
            ))
        })
    }
    fn of(&self, function: &str) -> Vec<(String, String)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(f, _, _)| f == function)
            .map(|(_, v, l)| (v.clone(), l.clone()))
            .collect()
    }
}

async fn wait_until(mut ready: impl FnMut() -> bool) {
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    while !ready() {
        tick.tick().await;
    }
}

fn http_api(stage: &str, routes: Vec<Route>) -> ApiConfig {
    ApiConfig {
        name: "HttpApi".into(),
        kind: ApiKind::Http,
        stage: stage.into(),
        binary_media_types: vec![],
        stage_variables: Default::default(),
        routes,
    }
}

fn get(path: &str, function: &str) -> Route {
    Route {
        method: Some("GET".into()),
        path: path.into(),
        function: function.into(),
        payload: PayloadVersion::V2,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redeploy_reuses_unchanged_functions_warm_and_retires_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let first_logs = Tagged::default();
    let mut changed = function("Changed", "python3.12", "app.handler", "python");
    changed.environment.insert("GREETING".into(), "one".into());
    let same = function("Same", "python3.12", "app.handler", "python");
    let gone = function("Gone", "python3.12", "app.handler", "python");
    let a = Cloud::new(
        config(vec![same.clone(), changed.clone(), gone]),
        options(&dir),
        first_logs.sink(),
    )
    .unwrap();
    for f in ["Same", "Changed", "Gone"] {
        assert!(a.invoke(f, req("{}")).await.unwrap().unwrap().cold);
    }
    let same_pid = json(&a.invoke("Same", req("{}")).await.unwrap().unwrap())["instance"].clone();

    let second_logs = Tagged::default();
    changed.environment.insert("GREETING".into(), "two".into());
    let b = Cloud::new_reusing(
        config(vec![same, changed]),
        options(&dir),
        second_logs.sink(),
        Some(&a),
    )
    .unwrap();
    assert!(Arc::ptr_eq(
        a.function("Same").unwrap(),
        b.function("Same").unwrap()
    ));
    assert!(!Arc::ptr_eq(
        a.function("Changed").unwrap(),
        b.function("Changed").unwrap()
    ));
    let o = b.invoke("Same", req("{}")).await.unwrap().unwrap();
    assert!(
        !o.cold,
        "an unchanged function stays warm across the redeploy"
    );
    assert_eq!(json(&o)["instance"], same_pid);
    let o = b.invoke("Changed", req("{}")).await.unwrap().unwrap();
    assert!(o.cold);
    assert_eq!(json(&o)["env"]["GREETING"], "two");
    // Metrics carry over: 2 invocations of Same before, 1 after.
    assert_eq!(b.metrics().get("Same:$LATEST").invocations, 3);
    // The reused function now logs to the new sink.
    assert!(
        second_logs
            .of("Same")
            .iter()
            .any(|(v, l)| v == "$LATEST" && l == "hello from python"),
        "{:?}",
        second_logs.of("Same")
    );

    let old_changed = a.function("Changed").unwrap().clone();
    let old_gone = a.function("Gone").unwrap().clone();
    a.retire(Some(&b));
    wait_until(|| old_changed.live_instances() == 0 && old_gone.live_instances() == 0).await;
    assert_eq!(
        b.function("Same").unwrap().live_instances(),
        1,
        "a shared function keeps its instance"
    );
    let o = b.invoke("Same", req("{}")).await.unwrap().unwrap();
    assert!(!o.cold);

    // A function's reuse does not depend on other runtimes being present.
    let probe = function("Probe", "provided.al2023", "probe", "probe");
    let mut with_python = config(vec![probe.clone()]);
    with_python
        .functions
        .push(function("Py", "python3.12", "app.handler", "python"));
    let c = Cloud::new(with_python, options(&dir), Logs::default().sink()).unwrap();
    let d = Cloud::new_reusing(
        config(vec![probe]),
        options(&dir),
        Logs::default().sink(),
        Some(&c),
    )
    .unwrap();
    assert!(Arc::ptr_eq(
        c.function("Probe").unwrap(),
        d.function("Probe").unwrap()
    ));
    b.shutdown();
    c.shutdown();
}

fn versioned(version: &str) -> lockgate_cloud::FunctionConfig {
    let mut f = function("F", "provided.al2023", "probe", "probe");
    f.version = version.into();
    f
}

fn alias_config(targets: &[(&str, f64)]) -> CloudConfig {
    let mut c = config(vec![versioned("1"), versioned("2")]);
    c.aliases = vec![AliasConfig {
        name: "F:live".into(),
        targets: targets.iter().map(|(k, w)| (k.to_string(), *w)).collect(),
    }];
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn aliases_route_by_weight_and_every_name_form_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Tagged::default();
    let mut c = alias_config(&[("F:1", 1.0), ("F:2", 1.0)]);
    c.apis = vec![http_api("$default", vec![get("/live", "F:live")])];
    let cloud = Cloud::new(c, options(&dir), logs.sink()).unwrap();

    // Name forms.
    assert_eq!(cloud.target_key("F:1").as_deref(), Some("F:1"));
    assert_eq!(
        cloud
            .target_key("arn:aws:lambda:eu-west-1:123456789012:function:F:2")
            .as_deref(),
        Some("F:2")
    );
    assert!(cloud.target_key("F").is_none(), "F has no $LATEST here");
    assert!(cloud.target_key("F:nope").is_none());
    assert!(cloud.target_key("G:1").is_none());
    let err = cloud.invoke("F:nope", req("{}")).await.unwrap_err();
    assert!(err.to_string().contains("F:live"), "{err}");

    // Both targets get traffic; each call names the version that ran.
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..40 {
        let o = cloud.invoke("F:live", req("{}")).await.unwrap().unwrap();
        let v = json(&o);
        let version = v["env"]["AWS_LAMBDA_FUNCTION_VERSION"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(&*o.version, version);
        assert_eq!(
            v["headers"]["lambda-runtime-invoked-function-arn"],
            "arn:aws:lambda:eu-west-1:123456789012:function:F:live"
        );
        seen.insert(version);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec!["1", "2"]);
    let m = cloud.metrics();
    assert_eq!(
        m.get("F:1").invocations + m.get("F:2").invocations,
        40,
        "metrics are per version"
    );
    // Per-version logs.
    assert!(
        logs.of("F")
            .iter()
            .any(|(v, l)| v == "2" && l.starts_with("REPORT "))
    );

    // Through a route and the Invoke API (path and ?Qualifier=).
    let gw = Gateway::start(cloud.clone(), "127.0.0.1:0", logs.sink())
        .await
        .unwrap();
    let r = send(gw.addr(), "GET", "/live", &[], "").await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(
        gw.addr(),
        "POST",
        "/2015-03-31/functions/F:live/invocations",
        &[],
        "{}",
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(["1", "2"].contains(&r.header("x-amz-executed-version").unwrap()));
    let r = send(
        gw.addr(),
        "POST",
        "/2015-03-31/functions/F/invocations?Qualifier=2",
        &[],
        "{}",
    )
    .await;
    assert_eq!(
        (r.status, r.header("x-amz-executed-version")),
        (200, Some("2"))
    );
    let r = send(
        gw.addr(),
        "POST",
        "/2015-03-31/functions/F:9/invocations",
        &[],
        "{}",
    )
    .await;
    assert_eq!(
        (r.status, r.header("x-amzn-errortype")),
        (404, Some("ResourceNotFoundException"))
    );
    gw.stop().await;

    // A weight of 0 never routes.
    let dir2 = tempfile::tempdir().unwrap();
    let only_two = Cloud::new(
        alias_config(&[("F:1", 0.0), ("F:2", 1.0)]),
        options(&dir2),
        logs.sink(),
    )
    .unwrap();
    for _ in 0..10 {
        let o = only_two.invoke("F:live", req("{}")).await.unwrap().unwrap();
        assert_eq!(&*o.version, "2");
    }
    cloud.shutdown();
    only_two.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_aliases_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let err = |targets: &[(&str, f64)]| {
        Cloud::new(alias_config(targets), options(&dir), Logs::default().sink())
            .unwrap_err()
            .to_string()
    };
    let e = err(&[("F:7", 1.0)]);
    assert!(
        e.starts_with("alias F:live: target `F:7` is not a function key"),
        "{e}"
    );
    let e = err(&[("F:1", -1.0)]);
    assert!(e.contains("weight -1"), "{e}");
    let e = err(&[("F:1", 0.0)]);
    assert!(e.contains("add up to 0"), "{e}");
    let e = err(&[]);
    assert!(e.contains("no targets"), "{e}");
    let mut c = alias_config(&[("F:1", 1.0)]);
    c.apis = vec![http_api("$default", vec![get("/x", "F:other")])];
    let e = Cloud::new(c, options(&dir), Logs::default().sink())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("targets unknown function F:other") && e.contains("F:live"),
        "{e}"
    );
}

/// One keep-alive connection to the gateway.
struct Conn(hyper::client::conn::http1::SendRequest<Full<Bytes>>);

impl Conn {
    async fn open(addr: std::net::SocketAddr) -> Conn {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(conn);
        Conn(sender)
    }

    async fn get(&mut self, path: &str) -> (u16, Value) {
        self.0.ready().await.expect("the connection is still open");
        let req = Request::get(path)
            .header("host", "localhost")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let resp = self.0.send_request(req).await.expect("an answer");
        let status = resp.status().as_u16();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn swap_replaces_the_cloud_under_a_running_gateway() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Tagged::default();
    let functions = || {
        vec![
            function("Stage", "python3.12", "app.stage", "python"),
            function("Held", "python3.12", "app.held", "python"),
        ]
    };
    let mut ca = config(functions());
    ca.apis = vec![http_api(
        "blue",
        vec![
            get("/stage", "Stage"),
            get("/held", "Held"),
            get("/old", "Stage"),
        ],
    )];
    let a = Cloud::new(ca, options(&dir), logs.sink()).unwrap();
    let gw = Gateway::start(a.clone(), "127.0.0.1:0", logs.sink())
        .await
        .unwrap();
    let mut kept = Conn::open(gw.addr()).await;
    assert_eq!(
        kept.get("/stage").await,
        (200, json!({"stage": "blue", "version": "$LATEST"}))
    );

    // A request in flight on the old cloud while the swap happens.
    let hold = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let held = {
        let addr = gw.addr();
        let path = format!("/held?hold={}", hold.local_addr().unwrap().port());
        tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            c.get(&path).await
        })
    };
    // The function connects once it runs.
    let (mut release, _) = hold.accept().await.unwrap();

    let mut cb = config(functions());
    cb.apis = vec![http_api(
        "green",
        vec![get("/stage", "Stage"), get("/new", "Stage")],
    )];
    let b = Cloud::new_reusing(cb, options(&dir), logs.sink(), Some(&a)).unwrap();
    let old = gw.swap(b.clone());
    assert!(Arc::ptr_eq(&old, &a));
    assert!(Arc::ptr_eq(&gw.cloud(), &b));
    old.retire(Some(&b));

    // The kept-alive connection now reaches the new routes.
    assert_eq!(kept.get("/stage").await.1["stage"], "green");
    assert_eq!(kept.get("/new").await.0, 200);
    assert_eq!(
        kept.get("/old").await,
        (404, json!({"message": "Not Found"}))
    );
    assert!(gw.routes().iter().any(|(_, p, _, _)| p == "/new"));

    // The in-flight request finishes on the cloud it started on.
    tokio::io::AsyncWriteExt::write_all(&mut release, b"x")
        .await
        .unwrap();
    assert_eq!(
        held.await.unwrap(),
        (200, json!({"stage": "blue", "held": true}))
    );
    gw.stop().await;
    b.shutdown();
    a.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn event_invocations_run_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Tagged::default();
    let cloud = Cloud::new(alias_config(&[("F:1", 1.0)]), options(&dir), logs.sink()).unwrap();
    let handle = cloud
        .invoke_event("F:live", req(r#"{"scheduled": true}"#))
        .unwrap();
    let o = handle.await.unwrap().expect("it ran");
    assert_eq!(json(&o)["event"], json!({"scheduled": true}));
    assert_eq!(&*o.version, "1");
    assert!(cloud.invoke_event("F:none", req("{}")).is_err());
    // The lines of that invocation are F's, version 1.
    let lines = logs.of("F");
    assert!(
        lines
            .iter()
            .any(|(v, l)| v == "1" && l.starts_with("START RequestId: "))
    );
    assert!(lines.iter().all(|(v, _)| v == "1"), "{lines:?}");
    cloud.shutdown();
}
