//! The instance manager with our own Python and Node bootstraps.

mod common;

use common::*;
use lockgate_cloud::{Cloud, InvokeError, RuntimeOptions};

#[tokio::test(flavor = "multi_thread")]
async fn python_handler_sees_event_and_context_and_stays_warm() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let mut f = function("PyFn", "python3.12", "app.handler", "python");
    f.environment.insert("GREETING".into(), "hi".into());
    f.memory_mb = 256;
    let cloud = Cloud::new(config(vec![f]), options(&dir), logs.sink()).unwrap();
    let first = cloud
        .invoke("PyFn", req(r#"{"a": [1, 2], "b": "x"}"#))
        .await
        .unwrap()
        .unwrap();
    assert!(first.function_error.is_none());
    assert!(first.cold);
    let v = json(&first);
    assert_eq!(v["event"], serde_json::json!({"a": [1, 2], "b": "x"}));
    let c = &v["context"];
    assert_eq!(c["aws_request_id"], &*first.request_id);
    assert_eq!(c["function_name"], "PyFn");
    assert_eq!(c["function_version"], "$LATEST");
    assert_eq!(c["memory_limit_in_mb"], "256");
    assert_eq!(
        c["invoked_function_arn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:PyFn"
    );
    assert_eq!(c["log_group_name"], "/aws/lambda/PyFn");
    assert!(c["log_stream_name"].as_str().unwrap().contains("[$LATEST]"));
    let remaining = c["remaining_ms"].as_u64().unwrap();
    assert!(remaining > 0 && remaining <= 30_000);
    assert_eq!(v["env"]["AWS_REGION"], "eu-west-1");
    assert_eq!(v["env"]["GREETING"], "hi");
    assert_eq!(v["env"]["_HANDLER"], "app.handler");
    assert_eq!(v["env"]["AWS_EXECUTION_ENV"], "AWS_Lambda_python3.12");

    let second = cloud.invoke("PyFn", req("{}")).await.unwrap().unwrap();
    assert!(!second.cold);
    assert_eq!(
        json(&second)["instance"],
        v["instance"],
        "a warm instance serves the second invocation"
    );
    let text = logs.text();
    assert!(
        text.contains(&format!(
            "START RequestId: {} Version: $LATEST",
            first.request_id
        )),
        "{text}"
    );
    assert!(text.contains("hello from python"));
    assert!(text.contains(&format!("END RequestId: {}", second.request_id)));
    let report = text
        .lines()
        .find(|l| l.starts_with(&format!("REPORT RequestId: {}", first.request_id)))
        .unwrap();
    assert!(
        report.contains("\tMemory Size: 256 MB\tMax Memory Used: ")
            && report.contains("Init Duration: "),
        "{report}"
    );
    let warm_report = text
        .lines()
        .find(|l| l.starts_with(&format!("REPORT RequestId: {}", second.request_id)))
        .unwrap();
    assert!(!warm_report.contains("Init Duration"));
    let m = cloud.metrics().get("PyFn:$LATEST");
    assert_eq!((m.invocations, m.errors, m.cold_starts), (2, 0, 1));
    assert!(m.p50_ms.is_some());
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn python_errors_have_lambdas_shape() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let fns = vec![
        function("Fail", "python3.12", "app.fail", "python"),
        function("Marshal", "python3.12", "app.not_json", "python"),
        function("Import", "python3.12", "broken_import.handler", "python"),
        function("Missing", "python3.12", "app.nope", "python"),
    ];
    let cloud = Cloud::new(config(fns), options(&dir), logs.sink()).unwrap();
    let o = cloud
        .invoke("Fail", req(r#"{"why": "x"}"#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let v = json(&o);
    assert_eq!(v["errorType"], "ValueError");
    assert_eq!(v["errorMessage"], "boom: x");
    assert!(
        v["stackTrace"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("app.py"))
    );
    // The instance survives a handled error.
    let again = cloud.invoke("Fail", req("{}")).await.unwrap().unwrap();
    assert!(!again.cold);

    let v = json(&cloud.invoke("Marshal", req("{}")).await.unwrap().unwrap());
    assert_eq!(v["errorType"], "Runtime.MarshalError");

    let o = cloud.invoke("Import", req("{}")).await.unwrap().unwrap();
    let v = json(&o);
    assert_eq!(v["errorType"], "Runtime.ImportModuleError");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .contains("no_such_module_anywhere")
    );
    let v = json(&cloud.invoke("Missing", req("{}")).await.unwrap().unwrap());
    assert_eq!(v["errorType"], "Runtime.HandlerNotFound");
    let m = cloud.metrics().get("Fail:$LATEST");
    assert_eq!((m.invocations, m.errors), (2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn node_handlers_async_callback_esm_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let mut main = function("Node", "nodejs20.x", "index.handler", "node");
    main.environment.insert("GREETING".into(), "yo".into());
    let fns = vec![
        main,
        function("Cb", "nodejs20.x", "index.callback", "node"),
        function("Fail", "nodejs20.x", "index.fail", "node"),
        function("CbFail", "nodejs20.x", "index.callbackFail", "node"),
        function("Esm", "nodejs20.x", "app.handler", "node-esm"),
    ];
    let cloud = Cloud::new(config(fns), options(&dir), logs.sink()).unwrap();
    let o = cloud
        .invoke("Node", req(r#"{"k": true}"#))
        .await
        .unwrap()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["event"], serde_json::json!({"k": true}));
    let c = &v["context"];
    assert_eq!(c["awsRequestId"], &*o.request_id);
    assert_eq!(c["functionName"], "Node");
    assert_eq!(c["functionVersion"], "$LATEST");
    assert_eq!(c["memoryLimitInMB"], "128");
    assert_eq!(
        c["invokedFunctionArn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Node"
    );
    assert_eq!(c["logGroupName"], "/aws/lambda/Node");
    assert!(c["logStreamName"].as_str().unwrap().contains("[$LATEST]"));
    assert!(c["remainingMs"].as_u64().unwrap() > 0);
    assert_eq!(v["env"]["GREETING"], "yo");
    assert!(
        logs.text()
            .contains(&format!("{}\tINFO\thello from node", o.request_id)),
        "{}",
        logs.text()
    );

    let v = json(
        &cloud
            .invoke("Cb", req(r#"{"n": 5}"#))
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(v, serde_json::json!({"via": "callback", "n": 5}));
    let o = cloud.invoke("Fail", req("{}")).await.unwrap().unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let v = json(&o);
    assert_eq!(
        (v["errorType"].as_str(), v["errorMessage"].as_str()),
        (Some("TypeError"), Some("bad type"))
    );
    assert!(v["stackTrace"].as_array().is_some_and(|t| !t.is_empty()));
    let v = json(&cloud.invoke("CbFail", req("{}")).await.unwrap().unwrap());
    assert_eq!(v["errorMessage"], "callback failure");
    let v = json(
        &cloud
            .invoke("Esm", req(r#"{"x": 1}"#))
            .await
            .unwrap()
            .unwrap(),
    );
    assert_eq!(
        v,
        serde_json::json!({"esm": true, "got": {"x": 1}, "fn": "Esm"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn timeout_kills_and_the_next_invocation_gets_a_fresh_instance() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let mut f = function("Sleepy", "python3.12", "app.sleepy", "python");
    f.timeout = std::time::Duration::from_secs(1);
    let cloud = Cloud::new(config(vec![f]), options(&dir), logs.sink()).unwrap();
    let o = cloud
        .invoke("Sleepy", req(r#"{"seconds": 60}"#))
        .await
        .unwrap()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["errorType"], "Sandbox.Timedout");
    assert!(
        v["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 1.00 seconds"),
        "{v}"
    );
    assert!(logs.text().contains("Task timed out after 1.00 seconds"));
    let o = cloud
        .invoke("Sleepy", req(r#"{"seconds": 0}"#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json(&o), serde_json::json!("woke"));
    assert!(o.cold);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crash_fails_only_its_own_invocation() {
    let dir = tempfile::tempdir().unwrap();
    let cloud = Cloud::new(
        config(vec![
            function("Crash", "python3.12", "app.crash", "python"),
            function("Ok", "python3.12", "app.handler", "python"),
        ]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap();
    let (a, b) = tokio::join!(
        cloud.invoke("Crash", req("{}")),
        cloud.invoke("Ok", req("{}"))
    );
    let a = a.unwrap().unwrap();
    assert_eq!(json(&a)["errorType"], "Runtime.ExitError");
    assert!(
        json(&a)["errorMessage"]
            .as_str()
            .unwrap()
            .contains("exit status: 3"),
        "{}",
        json(&a)
    );
    assert!(b.unwrap().unwrap().function_error.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrency_scales_out_and_throttles_beyond_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = function("Sleepy", "python3.12", "app.sleepy", "python");
    f.reserved_concurrency = Some(2);
    // No queueing: beyond the limit an invocation is throttled at once.
    let opts = RuntimeOptions {
        queue_timeout: std::time::Duration::ZERO,
        ..options(&dir)
    };
    let cloud = Cloud::new(config(vec![f]), opts, Logs::default().sink()).unwrap();
    let func = cloud.function("Sleepy").unwrap().clone();
    // Two long invocations hold both slots; a third is throttled.
    let c1 = cloud.clone();
    let c2 = cloud.clone();
    let h1 = tokio::spawn(async move { c1.invoke("Sleepy", req(r#"{"seconds": 2}"#)).await });
    let h2 = tokio::spawn(async move { c2.invoke("Sleepy", req(r#"{"seconds": 2}"#)).await });
    // Wait until both instances exist (no sleeps: poll the live count on yields).
    while func.instances_started() < 2 {
        tokio::task::yield_now().await;
    }
    let third = cloud
        .invoke("Sleepy", req(r#"{"seconds": 0}"#))
        .await
        .unwrap();
    assert_eq!(third.unwrap_err(), InvokeError::Throttled);
    assert!(h1.await.unwrap().unwrap().is_ok());
    assert!(h2.await.unwrap().unwrap().is_ok());
    assert_eq!(func.instances_started(), 2);
    assert_eq!(cloud.metrics().get("Sleepy:$LATEST").throttles, 1);
}

/// Beyond the limit an invocation waits for a slot (up to `queue_timeout`)
/// instead of being refused: it runs, warm, once the busy instance is free.
#[tokio::test(flavor = "multi_thread")]
async fn an_invocation_beyond_the_limit_queues_for_a_slot() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = function("Sleepy", "python3.12", "app.sleepy", "python");
    f.reserved_concurrency = Some(1);
    let opts = RuntimeOptions {
        queue_timeout: std::time::Duration::from_secs(60),
        ..options(&dir)
    };
    let cloud = Cloud::new(config(vec![f]), opts, Logs::default().sink()).unwrap();
    let func = cloud.function("Sleepy").unwrap().clone();
    let c1 = cloud.clone();
    let first = tokio::spawn(async move { c1.invoke("Sleepy", req(r#"{"seconds": 0.5}"#)).await });
    while func.instances_started() < 1 {
        tokio::task::yield_now().await;
    }
    let second = cloud
        .invoke("Sleepy", req(r#"{"seconds": 0}"#))
        .await
        .unwrap()
        .expect("queued, not throttled");
    assert!(second.function_error.is_none());
    assert!(first.await.unwrap().unwrap().is_ok());
    assert_eq!(func.instances_started(), 1, "the queued call ran warm");
    assert_eq!(cloud.metrics().get("Sleepy:$LATEST").throttles, 0);
}

/// A new version is warmed to the old one's instance count before it takes
/// traffic: its first invocations are warm.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_version_is_warmed_before_it_takes_traffic() {
    let dir = tempfile::tempdir().unwrap();
    let old = Cloud::new(
        config(vec![function("Py", "python3.12", "app.handler", "python")]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap();
    // Two instances busy at once on the old version.
    let (a, b) = tokio::join!(
        old.invoke("Py", req(r#"{"hold": 1}"#)),
        old.invoke("Py", req(r#"{"hold": 2}"#))
    );
    assert!(a.unwrap().is_ok() && b.unwrap().is_ok());
    let live = old.function("Py").unwrap().live_instances();
    assert!(live >= 1);
    let mut changed = function("Py", "python3.12", "app.handler", "python");
    changed.environment.insert("GREETING".into(), "new".into());
    let new = Cloud::new_reusing(
        config(vec![changed]),
        options(&dir),
        Logs::default().sink(),
        Some(&old),
    )
    .unwrap();
    let warmed = new
        .prewarm_from(&old, std::time::Duration::from_secs(20))
        .await;
    assert_eq!(warmed, live);
    old.retire(Some(&new));
    let first = new.invoke("Py", req("{}")).await.unwrap().unwrap();
    assert!(!first.cold, "the new version's first call is warm");
    assert_eq!(json(&first)["env"]["GREETING"], "new");
}

#[tokio::test(flavor = "multi_thread")]
async fn idle_instances_are_reaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&dir);
    opts.idle_timeout = std::time::Duration::from_millis(50);
    let cloud = Cloud::new(
        config(vec![function("Py", "python3.12", "app.handler", "python")]),
        opts,
        Logs::default().sink(),
    )
    .unwrap();
    cloud.invoke("Py", req("{}")).await.unwrap().unwrap();
    let f = cloud.function("Py").unwrap().clone();
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(10));
    while f.live_instances() > 0 {
        tick.tick().await;
    }
    let o = cloud.invoke("Py", req("{}")).await.unwrap().unwrap();
    assert!(
        o.cold,
        "scaled to zero, so the next invocation is a cold start"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unsupported_runtime_and_unknown_function_are_clear() {
    // Lambda knows dotnet8 (it cannot run here); nobody knows cobol85.
    assert!(matches!(
        lockgate_cloud::Runtime::from_identifier("dotnet8"),
        Some(lockgate_cloud::Runtime::Unavailable { .. })
    ));
    assert!(lockgate_cloud::Runtime::from_identifier("cobol85").is_none());
    let dir = tempfile::tempdir().unwrap();
    let cloud = Cloud::new(
        config(vec![
            function("A", "python3.12", "app.handler", "python"),
            function("J", "dotnet8", "Example::Example.Handler::Handle", "python"),
        ]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap();
    assert!(
        cloud
            .warnings()
            .iter()
            .any(|w| w.contains("function J: runtime dotnet8 cannot run on this machine")),
        "{:?}",
        cloud.warnings()
    );
    // Its invocations answer why, as a function error.
    let o = cloud.invoke("J", req("{}")).await.unwrap().unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let e = json(&o);
    assert_eq!(e["errorType"], "Runtime.Unavailable");
    assert!(
        e["errorMessage"].as_str().unwrap().contains("dotnet8"),
        "{e}"
    );
    let err = cloud.invoke("B", req("{}")).await.unwrap_err().to_string();
    assert_eq!(err, "no function named `B`; available: A, J");
    // It never starts an instance, so no sandbox is made ahead for one.
    let j = cloud.function("J").unwrap();
    assert!(!j.ensure_standby().await);
    assert_eq!(j.standby_pid(), None);
}

/// Ruby handlers run on our Ruby bootstrap with the machine's `ruby`
/// (Debian's; `.ci/install` installs it): keyword `event:`/`context:`,
/// the context's methods, `Module::Class.method` handlers, warm reuse, and
/// errors in Lambda's shape (`Function<ArgumentError>`).
#[tokio::test(flavor = "multi_thread")]
async fn ruby_handlers_see_event_and_context_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let cloud = Cloud::new(
        config(vec![
            function("Rb", "ruby3.3", "app.handler", "ruby"),
            function("RbFail", "ruby3.3", "app.fail", "ruby"),
            function("RbClass", "ruby3.3", "app.Shop::Orders.create", "ruby"),
        ]),
        options(&dir),
        logs.sink(),
    )
    .unwrap();
    let o = cloud
        .invoke("Rb", req(r#"{"hello": "world"}"#))
        .await
        .unwrap()
        .unwrap();
    assert!(
        o.function_error.is_none(),
        "{}",
        String::from_utf8_lossy(&o.body)
    );
    let v = json(&o);
    assert_eq!(v["event"], serde_json::json!({"hello": "world"}));
    assert_eq!(v["context"]["aws_request_id"], &*o.request_id);
    assert_eq!(v["context"]["function_name"], "Rb");
    assert_eq!(v["context"]["memory_limit_in_mb"], "128");
    assert!(v["context"]["remaining_ms"].as_u64().unwrap() > 0);
    assert!(logs.text().contains("hello from ruby"), "{}", logs.text());
    let again = cloud.invoke("Rb", req("{}")).await.unwrap().unwrap();
    assert!(!again.cold);
    assert_eq!(json(&again)["instance"], v["instance"]);

    let err = cloud.invoke("RbFail", req("{}")).await.unwrap().unwrap();
    assert_eq!(err.function_error.as_deref(), Some("Unhandled"));
    let e = json(&err);
    assert_eq!(e["errorType"], "Function<ArgumentError>");
    assert_eq!(e["errorMessage"], "asked to fail");
    assert!(
        e["stackTrace"].as_array().is_some_and(|t| !t.is_empty()),
        "{e}"
    );

    let created = cloud
        .invoke("RbClass", req(r#"{"id": 7}"#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json(&created), serde_json::json!({"created": 7}));
    cloud.shutdown();
}
