//! The Runtime API contract as a runtime sees it: every `/next` header, the
//! Lambda environment, an instance that exits between invocations, 6 MiB
//! payloads, the interpreter version warning, and what the sandbox hides
//! decided at each start.

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::*;
use lockgate_cloud::{Cloud, InvokeRequest};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn next_carries_every_header_and_the_environment_is_lambdas() {
    let dir = tempfile::tempdir().unwrap();
    let mut f = function("Probe", "provided.al2023", "probe", "probe");
    f.timeout = Duration::from_secs(7);
    f.memory_mb = 512;
    f.environment.insert("MY_SETTING".into(), "on".into());
    f.environment.insert("TZ".into(), "Europe/Paris".into());
    f.environment
        .insert("AWS_LAMBDA_FUNCTION_NAME".into(), "spoofed".into());
    let cloud = Cloud::new(config(vec![f]), options(&dir), Logs::default().sink()).unwrap();
    let before = now_ms();
    let o = cloud
        .invoke(
            "Probe",
            InvokeRequest {
                payload: Bytes::from_static(br#"{"q": 1}"#),
                client_context: Some(r#"{"custom":{"k":"v"}}"#.into()),
                cognito_identity: Some(
                    r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#.into(),
                ),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    let after = now_ms();
    assert!(
        o.function_error.is_none(),
        "{}",
        String::from_utf8_lossy(&o.body)
    );
    let v = json(&o);
    assert_eq!(v["status"], 200);
    assert_eq!(v["event"], serde_json::json!({"q": 1}));
    let h = &v["headers"];
    assert_eq!(h["lambda-runtime-aws-request-id"], &*o.request_id);
    assert_eq!(
        h["lambda-runtime-invoked-function-arn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Probe"
    );
    let deadline: u64 = h["lambda-runtime-deadline-ms"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a numeric deadline");
    assert!(
        deadline >= before + 7_000 && deadline <= after + 7_000,
        "deadline {deadline} is the invocation's start plus the 7 s timeout ({before}..{after})"
    );
    let trace = h["lambda-runtime-trace-id"].as_str().unwrap();
    assert!(
        trace.starts_with("Root=1-") && trace.contains(";Parent=") && trace.contains(";Sampled="),
        "{trace}"
    );
    assert_eq!(
        h["lambda-runtime-client-context"],
        r#"{"custom":{"k":"v"}}"#
    );
    assert_eq!(
        h["lambda-runtime-cognito-identity"],
        r#"{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}"#
    );

    let env = &v["env"];
    let get = |k: &str| {
        env[k]
            .as_str()
            .unwrap_or_else(|| panic!("{k} is not set: {env}"))
    };
    assert!(get("AWS_LAMBDA_RUNTIME_API").starts_with("127.0.0.1:"));
    assert_eq!(get("_HANDLER"), "probe");
    // Sandboxed, an instance sees Lambda's paths; else the host's.
    let (task_root, runtime_dir) = if options(&dir).sandbox.is_sandboxed() {
        ("/var/task".into(), "/var/runtime".into())
    } else {
        (fixture("probe"), dir.path().join("runtime"))
    };
    assert_eq!(
        get("LAMBDA_TASK_ROOT"),
        task_root.to_string_lossy().as_ref()
    );
    assert_eq!(
        get("LAMBDA_RUNTIME_DIR"),
        runtime_dir.to_string_lossy().as_ref()
    );
    assert_eq!(
        get("AWS_LAMBDA_FUNCTION_NAME"),
        "Probe",
        "reserved names win"
    );
    assert_eq!(get("AWS_LAMBDA_FUNCTION_VERSION"), "$LATEST");
    assert_eq!(get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), "512");
    assert_eq!(get("AWS_LAMBDA_LOG_GROUP_NAME"), "/aws/lambda/Probe");
    assert!(get("AWS_LAMBDA_LOG_STREAM_NAME").contains("/[$LATEST]"));
    assert_eq!(get("AWS_REGION"), "eu-west-1");
    assert_eq!(get("AWS_DEFAULT_REGION"), "eu-west-1");
    assert_eq!(get("AWS_EXECUTION_ENV"), "AWS_Lambda_provided.al2023");
    assert_eq!(get("TZ"), "Europe/Paris", "the function's own values win");
    assert_eq!(get("LANG"), "en_US.UTF-8");
    assert!(get("PATH").contains("/usr/bin"));
    assert_eq!(get("MY_SETTING"), "on");
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_instance_that_exits_between_invocations_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // `once` answers one event and exits instead of asking for the next:
    // whoever comes next finds a warm-looking instance that is going away.
    let mut f = function("Once", "provided.al2023", "once", "probe");
    f.reserved_concurrency = Some(1);
    let cloud = Cloud::new(config(vec![f]), options(&dir), Logs::default().sink()).unwrap();
    let mut pids = Vec::new();
    for i in 0..5 {
        let o = cloud
            .invoke("Once", req(&format!(r#"{{"n": {i}}}"#)))
            .await
            .unwrap()
            .unwrap();
        assert!(
            o.function_error.is_none(),
            "invocation {i} was lost: {}",
            String::from_utf8_lossy(&o.body)
        );
        let v = json(&o);
        assert_eq!(v["event"]["n"], i);
        pids.push(v["instance"].as_str().unwrap().to_string());
    }
    pids.dedup();
    assert_eq!(pids.len(), 5, "every invocation ran on a fresh instance");
    let m = cloud.metrics().get("Once:$LATEST");
    assert_eq!((m.invocations, m.errors), (5, 0));
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn six_mib_payloads_go_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    // Each returns the event it got: the `bad` runtime's default mode, and
    // our Python and Node bootstraps.
    let cloud = Cloud::new(
        config(vec![
            function("Provided", "provided.al2023", "mirror", "bad"),
            function("Python", "python3.12", "app.mirror", "python"),
            function("Node", "nodejs20.x", "index.mirror", "node"),
        ]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap();
    let limit = lockgate_cloud::http::MAX_PAYLOAD;
    let mut doc = Vec::with_capacity(limit);
    doc.push(b'"');
    doc.resize(limit - 1, b'x');
    doc.push(b'"');
    assert_eq!(doc.len(), 6 * 1024 * 1024);
    for name in ["Provided", "Python", "Node"] {
        let o = cloud
            .invoke(
                name,
                InvokeRequest {
                    payload: Bytes::from(doc.clone()),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .unwrap();
        assert!(
            o.function_error.is_none(),
            "{name}: {}",
            String::from_utf8_lossy(&o.body[..o.body.len().min(300)])
        );
        assert_eq!(o.body.len(), doc.len(), "{name}");
        assert_eq!(&o.body[..], &doc[..], "{name}");
    }
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_different_interpreter_version_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys;print('%d.%d' % sys.version_info[:2])"])
        .output()
        .unwrap();
    let local = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let other = if local == "3.9" {
        "python3.13"
    } else {
        "python3.9"
    };
    let cloud = Cloud::new(
        config(vec![
            function("Same", &format!("python{local}"), "app.handler", "python"),
            function("Other", other, "app.handler", "python"),
        ]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap();
    let warnings = cloud.warnings().join("\n");
    assert!(
        warnings.contains(&format!(
            "function Other: runtime {other} runs on the local"
        )) && warnings.contains(&local),
        "{warnings}"
    );
    assert!(!warnings.contains("function Same"), "{warnings}");
    // It still runs.
    let o = cloud.invoke("Other", req("{}")).await.unwrap().unwrap();
    assert!(o.function_error.is_none());
    cloud.shutdown();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_interpreter_or_bootstrap_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&dir);
    opts.python = "/nonexistent/python3".into();
    let err = Cloud::new(
        config(vec![function("Py", "python3.12", "app.handler", "python")]),
        opts,
        Logs::default().sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("function Py") && err.contains("/nonexistent/python3"),
        "{err}"
    );
    let err = Cloud::new(
        config(vec![function("P", "provided.al2", "x", "python")]),
        options(&dir),
        Logs::default().sink(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("function P") && err.contains("bootstrap"),
        "{err}"
    );
}

/// Any local process can read an instance's `AWS_LAMBDA_RUNTIME_API` from
/// `/proc`; only the instance's own processes may use it. A foreign
/// process (this test) is disconnected unanswered: it can neither take an
/// event nor post a result, and the instance keeps serving.
#[tokio::test(flavor = "multi_thread")]
async fn the_runtime_api_answers_only_its_own_instance() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let dir = tempfile::tempdir().unwrap();
    let f = function("Own", "python3.12", "app.whoami", "python");
    let cloud = Cloud::new(config(vec![f]), options(&dir), Logs::default().sink()).unwrap();
    let first = cloud.invoke("Own", req("{}")).await.unwrap().unwrap();
    let v = json(&first);
    let api = v["runtime_api"].as_str().expect("runtime API address");

    let requests = [
        "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
        format!(
            "POST /2018-06-01/runtime/invocation/{}/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{{}}",
            first.request_id
        ),
    ];
    for request in requests {
        let mut s = tokio::net::TcpStream::connect(api).await.unwrap();
        // The write may already fail on a closed connection: either way nothing is served.
        let _ = s.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut answer))
            .await
            .expect("a refused connection is closed, not left hanging");
        assert!(
            read.is_err() || answer.is_empty(),
            "a foreign process got an answer: {}",
            String::from_utf8_lossy(&answer)
        );
    }

    // The instance still serves, warm: nothing was taken from it.
    let again = cloud.invoke("Own", req("{}")).await.unwrap().unwrap();
    assert!(again.function_error.is_none(), "{:?}", again.body);
    assert!(!again.cold);
    assert_eq!(json(&again)["instance"], v["instance"]);
}

/// What a denied directory beside a function's code hides is decided at
/// each start, not when the function is set up (nor when its next sandbox
/// was made ahead): one that appears later is hidden from the next
/// instance, one made again after it was removed too, and one that goes
/// away does not stop instances from starting.
#[tokio::test(flavor = "multi_thread")]
async fn what_the_sandbox_hides_is_decided_at_each_start() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&dir);
    if !sandboxed(&opts) {
        return;
    }
    let lists = "import os\n\
        def handler(event, context):\n\
        \x20   root = os.environ['LAMBDA_TASK_ROOT']\n\
        \x20   return sorted(os.path.relpath(os.path.join(d, n), root)\n\
        \x20                 for d, _, names in os.walk(root) for n in names)\n";
    let code = |name: &str| {
        let c = dir.path().join(name);
        std::fs::create_dir_all(&c).unwrap();
        std::fs::write(c.join("app.py"), lists).unwrap();
        c
    };
    let plant = |state: &std::path::Path| {
        std::fs::create_dir_all(state).unwrap();
        std::fs::write(state.join("admin.token"), "planted").unwrap();
    };
    let (appears, goes, again) = (code("appears"), code("goes"), code("again"));
    plant(&goes.join(".lockgate"));
    std::fs::create_dir_all(again.join(".lockgate")).unwrap();
    let mut functions = Vec::new();
    for (name, c) in [("Appears", &appears), ("Goes", &goes), ("Again", &again)] {
        let mut f = function(name, "python3.12", "app.handler", "python");
        f.code_dir = c.clone();
        functions.push(f);
    }
    let mut opts = opts;
    opts.private_dirs = vec![
        appears.join(".lockgate"),
        goes.join(".lockgate"),
        again.join(".lockgate"),
    ];
    let cloud = Cloud::new(config(functions), opts, Logs::default().sink()).unwrap();
    // Set up, with each function's next sandbox made ahead (its standby);
    // now the one appears and the other goes.
    let mut standbys = Vec::new();
    for name in ["Appears", "Goes", "Again"] {
        let f = cloud.function(name).unwrap();
        assert!(f.ensure_standby().await, "{name} has no standby sandbox");
        standbys.push(f.standby_pid().unwrap());
    }
    plant(&appears.join(".lockgate"));
    std::fs::remove_dir_all(goes.join(".lockgate")).unwrap();
    std::fs::remove_dir_all(again.join(".lockgate")).unwrap();
    plant(&again.join(".lockgate"));
    for name in ["Appears", "Goes", "Again"] {
        let o = cloud.invoke(name, req("{}")).await.unwrap().unwrap();
        assert!(
            o.function_error.is_none(),
            "{name} did not start: {}",
            String::from_utf8_lossy(&o.body)
        );
        let files = json(&o);
        assert_eq!(files, serde_json::json!(["app.py"]), "{name}");
    }
    // The standbys made before were not used, and are stopped.
    for pid in standbys {
        assert!(gone(pid).await, "the stale standby {pid} still runs");
    }
    cloud.shutdown();
}

/// Whether instances run sandboxed here; when not, says the test is
/// skipped (and fails in CI, which installs bubblewrap).
fn sandboxed(opts: &lockgate_cloud::RuntimeOptions) -> bool {
    if opts.sandbox.is_sandboxed() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "bubblewrap is needed in CI (.ci/install installs it)"
    );
    eprintln!("skipped: bubblewrap (`bwrap`) does not run here");
    false
}

/// Whether process `pid` has ended (and been reaped) within 20 s.
async fn gone(pid: u32) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while std::time::Instant::now() < deadline {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

/// A sandboxed function keeps its next instance's sandbox made ahead: a
/// cold start starts the runtime in it (the same process, counted as the
/// one instance started, its init counted from then, not from when the
/// sandbox was made), another is made once that instance is up, and the
/// last is stopped with the cloud.
#[tokio::test(flavor = "multi_thread")]
async fn a_cold_start_takes_the_sandbox_made_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&dir);
    if !sandboxed(&opts) {
        return;
    }
    let f = function("Own", "python3.12", "app.whoami", "python");
    let logs = Logs::default();
    let cloud = Cloud::new(config(vec![f]), opts, logs.sink()).unwrap();
    let f = cloud.function("Own").unwrap().clone();
    assert!(f.ensure_standby().await);
    let parked = f.standby_pid().unwrap();
    // Not a wait for anything: the standby's age, which its init must not
    // include.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let t = std::time::Instant::now();
    let o = cloud.invoke("Own", req("{}")).await.unwrap().unwrap();
    let took = t.elapsed();
    assert!(o.cold && o.function_error.is_none(), "{:?}", o.body);
    let text = logs.text();
    let init: f64 = text
        .split("Init Duration: ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|ms| ms.parse().ok())
        .unwrap_or_else(|| panic!("no Init Duration in {text}"));
    assert!(
        init < took.as_secs_f64() * 1000.0,
        "init {init} ms counted from before the invocation ({took:?})"
    );
    assert_eq!(f.instances_started(), 1);
    assert_eq!(f.live_instances(), 1);
    assert!(
        std::path::Path::new(&format!("/proc/{parked}")).exists(),
        "the standby was not the instance that ran"
    );
    // The next one is made in the background once the instance is up.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let next = loop {
        match f.standby_pid() {
            Some(p) if p != parked => break p,
            _ if std::time::Instant::now() > deadline => panic!("no new standby"),
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    };
    cloud.shutdown();
    assert!(gone(next).await, "the standby outlived its cloud");
    assert!(gone(parked).await, "the instance outlived its cloud");
}

/// A function's code directory replaced by another at the same path (a
/// rebuild that writes a new directory and renames it into place) after
/// its next sandbox was made: the cold start runs the new code, not the
/// directory the standby had mounted.
#[tokio::test(flavor = "multi_thread")]
async fn a_standby_made_before_the_code_was_replaced_is_not_used() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&dir);
    if !sandboxed(&opts) {
        return;
    }
    let code = dir.path().join("code");
    let write = |at: &std::path::Path, answer: &str| {
        std::fs::create_dir_all(at).unwrap();
        std::fs::write(
            at.join("app.py"),
            format!("def handler(event, context):\n    return '{answer}'\n"),
        )
        .unwrap();
    };
    write(&code, "old");
    let mut f = function("Code", "python3.12", "app.handler", "python");
    f.code_dir = code.clone();
    let cloud = Cloud::new(config(vec![f]), opts, Logs::default().sink()).unwrap();
    let f = cloud.function("Code").unwrap().clone();
    assert!(f.ensure_standby().await);
    let parked = f.standby_pid().unwrap();
    let new = dir.path().join("code.new");
    write(&new, "new");
    std::fs::rename(&code, dir.path().join("code.old")).unwrap();
    std::fs::rename(&new, &code).unwrap();
    let o = cloud.invoke("Code", req("{}")).await.unwrap().unwrap();
    assert!(o.cold && o.function_error.is_none(), "{:?}", o.body);
    assert_eq!(json(&o), "new");
    assert!(gone(parked).await, "the stale standby {parked} still runs");
    cloud.shutdown();
}

/// A function's loader variables (`LD_PRELOAD`…) reach its runtime, inside
/// the sandbox, and nothing outside it: bubblewrap, which runs on the host
/// with the server's rights, is not given them (it would load the library
/// there), and neither is the gate of a standby. A library that leaves a
/// mark on the host when loaded, named by the function's `LD_PRELOAD`,
/// leaves none, whether the instance starts in a standby or not.
#[tokio::test(flavor = "multi_thread")]
async fn a_functions_loader_variables_do_not_reach_the_host() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(&dir);
    if !sandboxed(&opts) {
        return;
    }
    let mark = dir.path().join("loaded-on-the-host");
    let source = dir.path().join("hook.c");
    std::fs::write(
        &source,
        format!(
            "#include <fcntl.h>\n#include <unistd.h>\n\
             __attribute__((constructor)) static void hook(void) {{\n\
             int fd = open(\"{}\", O_CREAT | O_WRONLY, 0644); if (fd >= 0) close(fd); }}\n",
            mark.display()
        ),
    )
    .unwrap();
    let hook = dir.path().join("hook.so");
    let built = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-o"])
        .arg(&hook)
        .arg(&source)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        assert!(std::env::var_os("CI").is_none(), "cc is needed in CI");
        eprintln!("skipped: no C compiler");
        return;
    }
    // The hook works: loaded by a process on the host, it leaves its mark.
    let probe = std::process::Command::new("/bin/true")
        .env("LD_PRELOAD", &hook)
        .status()
        .unwrap();
    assert!(probe.success() && mark.exists(), "the hook does not mark");
    std::fs::remove_file(&mark).unwrap();

    let mut f = function("Own", "python3.12", "app.whoami", "python");
    f.environment
        .insert("LD_PRELOAD".into(), hook.display().to_string());
    let cloud = Cloud::new(config(vec![f]), opts, Logs::default().sink()).unwrap();
    let own = cloud.function("Own").unwrap().clone();
    assert!(own.ensure_standby().await);
    // The first instance starts in the standby, the second (at the same
    // time) in a sandbox made then.
    let (a, b) = tokio::join!(
        cloud.invoke("Own", req("{}")),
        cloud.invoke("Own", req("{}"))
    );
    for o in [a, b] {
        let o = o.unwrap().unwrap();
        assert!(o.function_error.is_none(), "{:?}", o.body);
    }
    assert!(
        !mark.exists(),
        "the function's LD_PRELOAD was loaded outside its sandbox"
    );
    cloud.shutdown();
}

/// A version that starts no instance within the idle timeout of its
/// creation (`$LATEST` behind an alias, say) gives up its standby; one
/// that has run keeps its own after its instances are reaped.
#[tokio::test(flavor = "multi_thread")]
async fn only_versions_that_run_keep_a_standby() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(&dir);
    if !sandboxed(&opts) {
        return;
    }
    opts.idle_timeout = Duration::from_millis(300);
    let cloud = Cloud::new(
        config(vec![
            function("Used", "python3.12", "app.whoami", "python"),
            function("Unused", "python3.12", "app.whoami", "python"),
        ]),
        opts,
        Logs::default().sink(),
    )
    .unwrap();
    let (used, unused) = (
        cloud.function("Used").unwrap().clone(),
        cloud.function("Unused").unwrap().clone(),
    );
    assert!(used.ensure_standby().await && unused.ensure_standby().await);
    let o = cloud.invoke("Used", req("{}")).await.unwrap().unwrap();
    assert!(o.cold && o.function_error.is_none(), "{:?}", o.body);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while unused.standby_pid().is_some() || used.live_instances() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "unused standby {:?}, used instances {}",
            unused.standby_pid(),
            used.live_instances()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Its instance reaped, the version that ran still has its standby (made
    // once that instance was up; on a busy machine perhaps only now: with
    // no more invocations, nothing but that would make one).
    while used.standby_pid().is_none() {
        assert!(
            std::time::Instant::now() < deadline,
            "the version that ran lost its standby"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cloud.shutdown();
}
