//! Java functions on our Java bootstrap with the machine's JDK (Debian's
//! OpenJDK; `.ci/install` installs it): `RequestHandler` with maps and
//! POJOs, `RequestStreamHandler`, plain `Class::method` handlers, the
//! stand-in events classes, errors and init errors in the shape of Lambda's
//! Java runtime, warm reuse, logs, sandboxed and not.
//!
//! The fixtures (`tests/fixtures/java`) are compiled here with `javac`
//! against Lockgate's stand-in for aws-lambda-java-core and
//! aws-lambda-java-events, into a code directory laid out as Lambda's Java
//! zips are (classes at the root, jars under `lib/`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use lockgate_cloud::{Cloud, FunctionConfig, Runtime, RuntimeOptions};
use serde_json::json;

/// `java` and `javac`, or `None` (the test then says it is skipped, and
/// fails under CI, where `.ci/install` installs a JDK).
fn jdk(test: &str) -> Option<(PathBuf, PathBuf)> {
    let found = lockgate_java::find_on_path("java")
        .and_then(|java| Some((lockgate_java::javac_of(&java)?, java)));
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{test}: a JDK is required under CI (.ci/install installs default-jdk-headless)"
        );
        eprintln!("{test}: skipped: no java/javac on PATH");
    }
    found.map(|(javac, java)| (java, javac))
}

fn javac(javac: &Path, classpath: &[PathBuf], dest: &Path, sources: &Path) {
    let mut files = Vec::new();
    let mut stack = vec![sources.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "java") {
                files.push(p);
            }
        }
    }
    let mut cmd = Command::new(javac);
    cmd.arg("-d").arg(dest).args(["-encoding", "UTF-8"]);
    if !classpath.is_empty() {
        cmd.arg("-cp").arg(std::env::join_paths(classpath).unwrap());
    }
    let out = cmd.args(&files).output().unwrap();
    assert!(
        out.status.success(),
        "javac failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Compiles the fixtures into `<dir>/code` (classes at the root,
/// `lib/greeter.jar`).
fn compile_fixtures(dir: &Path, javac_path: &Path) -> PathBuf {
    let api = dir.join("api");
    lockgate_java::compile(javac_path, lockgate_java::API, &[], &[], &api).unwrap();
    let code = dir.join("code");
    let lib_classes = dir.join("lib-classes");
    javac(javac_path, &[], &lib_classes, &fixture("java").join("lib"));
    std::fs::create_dir_all(code.join("lib")).unwrap();
    let jar = javac_path.with_file_name("jar");
    let out = Command::new(&jar)
        .arg("cf")
        .arg(code.join("lib/greeter.jar"))
        .arg("-C")
        .arg(&lib_classes)
        .arg(".")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    javac(
        javac_path,
        &[api, code.join("lib/greeter.jar")],
        &code,
        &fixture("java").join("src"),
    );
    code
}

fn copy_tree(from: &Path, to: &Path, skip: &str) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_name() == skip {
            continue;
        }
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target, skip);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn java_fn(name: &str, handler: &str, code: &Path) -> FunctionConfig {
    let mut f = FunctionConfig::new(
        name,
        Runtime::from_identifier("java17").unwrap(),
        handler,
        code,
    );
    f.timeout = std::time::Duration::from_secs(30);
    f
}

/// Every handler shape, the context, serialization, errors, init errors,
/// warm reuse and logs, on one cloud (sandboxed where bubblewrap runs, as
/// every instance is by default).
#[tokio::test(flavor = "multi_thread")]
async fn java_handlers_see_event_and_context_and_errors() {
    let Some((_, javac_path)) = jdk("java_handlers_see_event_and_context_and_errors") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let code = compile_fixtures(dir.path(), &javac_path);
    let logs = Logs::default();
    let mut echo = java_fn("Echo", "fixtures.Echo", &code);
    echo.memory_mb = 256;
    // The same code without lib/, its jar in a layer's java/lib/ instead.
    let bare = dir.path().join("bare");
    copy_tree(&code, &bare, "lib");
    let layer = dir.path().join("layer");
    std::fs::create_dir_all(layer.join("java/lib")).unwrap();
    std::fs::copy(
        code.join("lib/greeter.jar"),
        layer.join("java/lib/greeter.jar"),
    )
    .unwrap();
    let mut layered = java_fn("Layered", "fixtures.Echo", &bare);
    layered.layers = vec![layer];
    let fns = vec![
        echo,
        layered,
        java_fn("Orders", "fixtures.Orders::handleRequest", &code),
        java_fn("Shout", "fixtures.Shout", &code),
        java_fn("Greet", "fixtures.Plain::greet", &code),
        java_fn("Sum", "fixtures.Plain::sum", &code),
        java_fn("Nothing", "fixtures.Plain::nothing", &code),
        java_fn("Fail", "fixtures.Fail::handleRequest", &code),
        java_fn("Rest", "fixtures.Events::rest", &code),
        java_fn("Http", "fixtures.Events::http", &code),
        java_fn("Sqs", "fixtures.Events::sqs", &code),
        java_fn("Scheduled", "fixtures.Events::scheduled", &code),
        java_fn("NoClass", "fixtures.Missing::handleRequest", &code),
        java_fn("NoMethod", "fixtures.Plain::nope", &code),
        java_fn("BadSignature", "fixtures.Plain::twoEvents", &code),
        java_fn("NoCtor", "fixtures.NoDefaultConstructor", &code),
        java_fn("BrokenInit", "fixtures.BrokenInit", &code),
        java_fn("NoClassName", "::handleRequest", &code),
        {
            // java8.al2 code runs on the local JDK, with a warning.
            let mut f = java_fn("Java8", "fixtures.Plain::greet", &code);
            f.runtime = Runtime::from_identifier("java8.al2").unwrap();
            f
        },
    ];
    let opts = options(&dir);
    let sandboxed = opts.sandbox.is_sandboxed();
    let cloud = Cloud::new(config(fns), opts, logs.sink()).unwrap();
    let warnings = cloud.warnings().join("\n");
    assert!(
        warnings.contains("function Java8: runtime java8.al2 runs on the local "),
        "{warnings}"
    );
    assert!(
        cloud
            .warnings()
            .iter()
            .all(|w| w.contains("runs on the local")),
        "only version warnings: {warnings}"
    );

    // RequestHandler<Map<String, Object>, Map<String, Object>>.
    let mut r = req(
        r#"{"a": 1, "big": 12345678901, "f": 1.5, "s": "x", "list": [1, 2], "obj": {"k": true}, "n": null}"#,
    );
    r.client_context = Some(r#"{"custom": {"k": "v"}}"#.into());
    let first = cloud.invoke("Echo", r).await.unwrap().unwrap();
    assert!(
        first.function_error.is_none(),
        "{}\n{}",
        String::from_utf8_lossy(&first.body),
        logs.text()
    );
    assert!(first.cold);
    let v = json(&first);
    assert_eq!(v["event"]["big"], 12345678901_u64);
    assert_eq!(v["event"]["obj"], json!({"k": true}));
    assert_eq!(v["event"]["n"], serde_json::Value::Null);
    assert_eq!(
        v["types"],
        json!({
            "a": "java.lang.Integer",
            "big": "java.lang.Long",
            "f": "java.lang.Double",
            "s": "java.lang.String",
            "list": "java.util.ArrayList",
            "list[0]": "java.lang.Integer",
            "obj": "java.util.LinkedHashMap",
            "n": "null"
        })
    );
    let c = &v["context"];
    assert_eq!(c["awsRequestId"], &*first.request_id);
    assert_eq!(c["functionName"], "Echo");
    assert_eq!(c["functionVersion"], "$LATEST");
    assert_eq!(c["memoryLimitInMB"], 256);
    assert_eq!(
        c["invokedFunctionArn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Echo"
    );
    assert_eq!(c["logGroupName"], "/aws/lambda/Echo");
    assert!(c["logStreamName"].as_str().unwrap().contains("[$LATEST]"));
    let remaining = c["remainingTimeInMillis"].as_u64().unwrap();
    assert!(remaining > 0 && remaining <= 30_000, "{remaining}");
    assert_eq!(v["count"], 1);
    assert_eq!(
        v["greeting"], "Hello, Ada!",
        "lib/*.jar is on the classpath"
    );
    assert_eq!(v["seesOwnClass"], true);
    assert_eq!(v["unicode"], "\u{e9}t\u{e9} \u{2603}");
    assert!(
        v["traceHeader"]
            .as_str()
            .is_some_and(|t| t.starts_with("Root=")),
        "{v}"
    );
    if sandboxed {
        assert_eq!(v["taskRoot"], "/var/task");
        assert_eq!(v["userDir"], "/var/task");
        assert_eq!(v["tmpdir"], "/tmp");
    } else {
        assert_eq!(v["taskRoot"], code.to_string_lossy().as_ref());
    }
    // Warm: the same instance, its static state kept.
    let second = cloud.invoke("Echo", req("{}")).await.unwrap().unwrap();
    assert!(!second.cold);
    let v2 = json(&second);
    assert_eq!(v2["instance"], v["instance"]);
    assert_eq!(v2["count"], 2);
    let text = logs.text();
    assert!(text.contains("hello from java, invocation 1"), "{text}");
    assert!(text.contains("hello from java, invocation 2"), "{text}");
    assert!(
        text.lines().any(|l| l == "logged through the context"),
        "a logger call ends its line: {text}"
    );
    let o = cloud.invoke("Layered", req("{}")).await.unwrap().unwrap();
    assert_eq!(
        json(&o)["greeting"],
        "Hello, Ada!",
        "a layer's java/lib/*.jar is on the classpath: {}",
        String::from_utf8_lossy(&o.body)
    );

    // A POJO in and out.
    let o = cloud
        .invoke(
            "Orders",
            req(r#"{"ORDERID": "o-1", "quantity": "2", "items": [{"name": "pen", "price": 1.25}, {"Name": "ink", "price": 3}],
                "byName": {"first": {"name": "pen", "price": 1.25}}, "customer": {"name": "Ada", "id": 7}, "gift": true, "unknown": [1]}"#),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(
        o.function_error.is_none(),
        "{}",
        String::from_utf8_lossy(&o.body)
    );
    assert_eq!(
        json(&o),
        json!({
            "orderId": "o-1",
            "total": 8.5,
            "names": ["pen", "ink", "by name: pen"],
            "customer": {"name": "Ada", "id": 7},
            "gift": true
        }),
        "getters in field order, the null note left out"
    );

    // RequestStreamHandler: bytes in, bytes out.
    let o = cloud
        .invoke("Shout", req(r#""hi there""#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&o.body[..], br#""HI THERE""#);

    // Plain methods: (String, Context), a static (List<Integer>), a void ().
    let o = cloud
        .invoke("Greet", req(r#""Ada""#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json(&o), json!("Hello, Ada from Greet"));
    let o = cloud
        .invoke("Java8", req(r#""Ada""#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json(&o), json!("Hello, Ada from Java8"));
    let o = cloud
        .invoke("Sum", req("[1, 2, 3]"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(json(&o), json!(6));
    let o = cloud.invoke("Nothing", req("{}")).await.unwrap().unwrap();
    assert!(o.function_error.is_none());
    assert_eq!(json(&o), serde_json::Value::Null);
    let o = cloud
        .invoke("Greet", req(r#"{"not": "a string"}"#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let e = json(&o);
    assert_eq!(e["errorType"], "java.lang.RuntimeException");
    assert_eq!(e["errorMessage"], "An error occurred during JSON parsing");
    assert!(
        e["cause"]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("java.lang.String") && m.contains("Object value")),
        "{e}"
    );

    // A handler that throws: Lambda's Java error shape, the trace in the log.
    let o = cloud.invoke("Fail", req("{}")).await.unwrap().unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let e = json(&o);
    assert_eq!(e["errorType"], "java.lang.IllegalStateException");
    assert_eq!(e["errorMessage"], "asked to fail");
    let trace: Vec<&str> = e["stackTrace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        trace[0].starts_with("fixtures.Fail.deeper(Fail.java:"),
        "{trace:?}"
    );
    assert!(
        trace[1].starts_with("fixtures.Fail.handleRequest(Fail.java:"),
        "{trace:?}"
    );
    assert!(
        trace.iter().all(|l| !l.contains("lockgate.runtime")),
        "no frame of the runtime: {trace:?}"
    );
    assert_eq!(e["cause"]["errorType"], "java.io.IOException");
    assert_eq!(e["cause"]["errorMessage"], "the root cause");
    let text = logs.text();
    assert!(
        text.contains("java.lang.IllegalStateException: asked to fail"),
        "{text}"
    );
    assert!(
        text.contains("\tat fixtures.Fail.deeper(Fail.java:"),
        "{text}"
    );
    assert!(
        text.contains("Caused by: java.io.IOException: the root cause"),
        "{text}"
    );
    // The instance survives a handled error.
    let again = cloud.invoke("Fail", req("{}")).await.unwrap().unwrap();
    assert!(!again.cold);

    // The events classes, read from and written as Lambda's services speak.
    let o = cloud
        .invoke(
            "Rest",
            req(r#"{"resource": "/items/{id}", "path": "/items/7", "httpMethod": "GET",
                "headers": {"accept": "text/plain"}, "multiValueHeaders": {"accept": ["text/plain"]},
                "queryStringParameters": {"q": "pens"}, "pathParameters": {"id": "7"},
                "requestContext": {"stage": "dev", "requestTimeEpoch": 1700000000000, "identity": {"sourceIp": "10.0.0.1"}},
                "body": null, "isBase64Encoded": false}"#),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        json(&o),
        json!({
            "statusCode": 201,
            "headers": {"Content-Type": "text/plain"},
            "body": "GET /items/7 pens text/plain dev 10.0.0.1 false 7"
        }),
        "null properties are left out"
    );
    let o = cloud
        .invoke(
            "Http",
            req(r#"{"version": "2.0", "rawPath": "/hi", "cookies": ["a=1"], "body": "b0dy", "isBase64Encoded": true,
                "requestContext": {"http": {"method": "POST"}, "timeEpoch": 1700000000001}}"#),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        json(&o),
        json!({
            "statusCode": 200,
            "headers": {"content-type": "text/plain"},
            "body": "POST /hi 1700000000001 [a=1] b0dy true",
            "isBase64Encoded": false
        })
    );
    let o = cloud
        .invoke(
            "Sqs",
            req(r#"{"Records": [{"messageId": "m1", "body": "one", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q",
                "messageAttributes": {"kind": {"stringValue": "k1", "dataType": "String"}}, "attributes": {"ApproximateReceiveCount": "1"}}]}"#),
        )
        .await
        .unwrap()
        .unwrap();
    let v = json(&o);
    assert_eq!(
        v["bodies"],
        json!(["one@arn:aws:sqs:eu-west-1:123456789012:q:k1"])
    );
    assert_eq!(
        v["echo"]["Records"][0]["eventSourceARN"],
        "arn:aws:sqs:eu-west-1:123456789012:q"
    );
    assert_eq!(v["echo"]["Records"][0]["messageId"], "m1");
    let o = cloud
        .invoke(
            "Scheduled",
            req(r#"{"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
                "account": "123456789012", "time": "2024-01-02T03:04:05Z", "region": "eu-west-1",
                "resources": ["arn:aws:events:eu-west-1:123456789012:rule/r"], "detail": {}}"#),
        )
        .await
        .unwrap()
        .unwrap();
    let v = json(&o);
    assert_eq!(v["detail-type"], "Scheduled Event");
    assert_eq!(v["time"], "2024-01-02T03:04:05Z");
    assert_eq!(
        v["detail"],
        json!({"seen": "Scheduled Event at 1704164645000"})
    );

    // Handlers that cannot be loaded: init errors as Lambda's Java runtime names them.
    for (name, error_type, message) in [
        (
            "NoClass",
            "java.lang.ClassNotFoundException",
            "Class not found: fixtures.Missing",
        ),
        (
            "NoMethod",
            "java.lang.NoSuchMethodException",
            "No public method named nope with appropriate method signature found on class fixtures.Plain",
        ),
        (
            "BadSignature",
            "java.lang.NoSuchMethodException",
            "No public method named twoEvents with appropriate method signature found on class fixtures.Plain",
        ),
        (
            "NoCtor",
            "java.lang.NoSuchMethodException",
            "Class fixtures.NoDefaultConstructor has no public zero-argument constructor",
        ),
        (
            "BrokenInit",
            "java.lang.UnsupportedOperationException",
            "cannot start: no configuration",
        ),
        (
            "NoClassName",
            "java.lang.IllegalArgumentException",
            "Invalid handler `::handleRequest`",
        ),
    ] {
        let o = cloud.invoke(name, req("{}")).await.unwrap().unwrap();
        assert_eq!(o.function_error.as_deref(), Some("Unhandled"), "{name}");
        let e = json(&o);
        assert_eq!(e["errorType"], error_type, "{name}: {e}");
        assert!(
            e["errorMessage"]
                .as_str()
                .is_some_and(|m| m.starts_with(message)),
            "{name}: {e}"
        );
    }
    let m = cloud.metrics().get("Echo:$LATEST");
    assert_eq!((m.invocations, m.errors, m.cold_starts), (2, 0, 1));
    cloud.shutdown();
}

/// Unsandboxed, an instance runs at the host's paths with the bootstrap
/// compiled in the runtime directory; a second cloud with another runtime
/// directory reuses what the first compiled.
#[tokio::test(flavor = "multi_thread")]
async fn java_runs_unsandboxed_and_compiles_its_bootstrap_once() {
    let Some((_, javac_path)) = jdk("java_runs_unsandboxed_and_compiles_its_bootstrap_once") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let code = compile_fixtures(dir.path(), &javac_path);
    let opts = RuntimeOptions {
        sandbox: lockgate_sandbox::Sandbox::off("this test runs instances unconfined"),
        ..options(&dir)
    };
    let cloud = Cloud::new(
        config(vec![java_fn("Echo", "fixtures.Echo::handleRequest", &code)]),
        opts.clone(),
        Logs::default().sink(),
    )
    .unwrap();
    let o = cloud
        .invoke("Echo", req(r#"{"x": 1}"#))
        .await
        .unwrap()
        .unwrap();
    assert!(
        o.function_error.is_none(),
        "{}",
        String::from_utf8_lossy(&o.body)
    );
    let v = json(&o);
    assert_eq!(v["taskRoot"], code.to_string_lossy().as_ref());
    assert_eq!(v["userDir"], code.to_string_lossy().as_ref());
    assert_eq!(v["greeting"], "Hello, Ada!");
    cloud.shutdown();
    let compiled: Vec<PathBuf> = std::fs::read_dir(&opts.runtime_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("java-")
        })
        .collect();
    assert_eq!(compiled.len(), 1, "{compiled:?}");
    assert!(
        compiled[0]
            .join("classes/lockgate/runtime/Bootstrap.class")
            .is_file()
    );

    // Another runtime directory (another stage of a server): the classes
    // are copied, with the same fingerprint.
    let other = RuntimeOptions {
        runtime_dir: dir.path().join("runtime-2"),
        ..opts
    };
    let started = std::time::Instant::now();
    let classes = lockgate_cloud::bootstrap::java::classes(&other).unwrap();
    assert!(classes.starts_with(&other.runtime_dir));
    assert_eq!(
        classes.parent().unwrap().file_name(),
        compiled[0].file_name(),
        "same JDK and sources, same fingerprint"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "copied, not compiled again: {:?}",
        started.elapsed()
    );
}

/// Without a JDK a Java function still deploys (with a warning) and its
/// invocations answer `Runtime.Unavailable` saying why, as for any runtime
/// this machine cannot run.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_jdk_java_functions_deploy_and_answer_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let opts = RuntimeOptions {
        java: PathBuf::from("/nonexistent/jdk/bin/java"),
        ..options(&dir)
    };
    let cloud = Cloud::new(
        config(vec![java_fn(
            "J",
            "example.App::handleRequest",
            &fixture("java"),
        )]),
        opts,
        Logs::default().sink(),
    )
    .unwrap();
    assert!(
        cloud.warnings().iter().any(|w| w.contains(
            "function J: runtime java17 cannot run on this machine (no runnable `/nonexistent/jdk/bin/java`"
        )),
        "{:?}",
        cloud.warnings()
    );
    let o = cloud.invoke("J", req("{}")).await.unwrap().unwrap();
    assert_eq!(o.function_error.as_deref(), Some("Unhandled"));
    let e = json(&o);
    assert_eq!(e["errorType"], "Runtime.Unavailable");
    assert!(
        e["errorMessage"].as_str().unwrap().contains("java17"),
        "{e}"
    );
}
