//! Safe releases with real traffic through the gateway during each
//! deployment: a canary that completes without a failed request, a bad
//! version stopped by its alarm, failing lifecycle hooks, promote and abort
//! mid-way, and a server killed mid-shift. The server runs 60 times faster
//! (`--time-scale 60`): Canary10Percent5Minutes takes five seconds.

mod server_common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use server_common::{ServerGuard, copy_dir, http_get, lockgate, start_server_with};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release")
}

/// A copy of the release app, the server (60× time) and its data.
struct Setup {
    _tmp: tempfile::TempDir,
    app: PathBuf,
    data: PathBuf,
    server: ServerGuard,
    url: String,
}

fn setup() -> Setup {
    setup_app(&fixture())
}

fn setup_app(fixture: &Path) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("release");
    copy_dir(fixture, &app);
    let data = tmp.path().join("data");
    let (server, url) = start_server_with(&data, None, &["--time-scale", "60"]);
    Setup {
        _tmp: tmp,
        app,
        data,
        server,
        url,
    }
}

impl Setup {
    fn cli(&self, args: &[&str]) -> std::process::Output {
        lockgate()
            .current_dir(&self.app)
            .env("LOCKGATE_SERVER", &self.url)
            .env("LOCKGATE_TOKEN_FILE", self.data.join("admin.token"))
            .args(args)
            .output()
            .unwrap()
    }

    /// `lockgate deploy --stage prod` with parameter overrides.
    fn deploy(&self, overrides: &[&str], extra: &[&str]) -> std::process::Output {
        let mut args = vec!["deploy", "--stage", "prod"];
        if !overrides.is_empty() {
            args.push("--parameter-overrides");
            args.extend(overrides);
        }
        args.extend(extra);
        self.cli(&args)
    }

    fn deployed(&self, overrides: &[&str]) {
        let out = self.deploy(overrides, &[]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Writes the function's code: what it answers, and whether it fails.
    fn code(&self, version: &str, fail: bool) {
        std::fs::write(
            self.app.join("src/app.py"),
            format!(
                "VERSION = {version:?}\nFAIL = {}\n\n\ndef handler(event, context):\n    if FAIL:\n        raise RuntimeError(\"version \" + VERSION + \" is broken\")\n    return {{\"statusCode\": 200, \"body\": VERSION}}\n",
                if fail { "True" } else { "False" }
            ),
        )
        .unwrap();
    }

    fn stage_url(&self) -> String {
        let out = self.cli(&["outputs", "--stage", "prod", "--output", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["urls"][0]
            .as_str()
            .unwrap()
            .trim_end_matches('/')
            .to_string()
    }

    fn releases(&self) -> Vec<Value> {
        let out = self.cli(&["deployments", "--stage", "prod", "--output", "json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    }

    fn release(&self, id: &str) -> Value {
        let out = self.cli(&["deployment", "show", id, "--output", "json"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn stack_status(&self) -> String {
        let out = self.cli(&["outputs", "--stage", "prod", "--output", "json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["status"].as_str().unwrap_or("").to_string()
    }

    /// Waits (polling the API) until `pred` holds of the newest release.
    fn until_release(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(r) = self.releases().into_iter().next()
                && pred(&r)
            {
                return r;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the stack is no longer in progress.
    fn until_settled(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let s = self.stack_status();
            if !s.ends_with("_IN_PROGRESS") && !s.is_empty() {
                return s;
            }
            assert!(Instant::now() < deadline, "the stack stayed {s}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// One GET of `/` over a fresh connection: status and body.
fn get(base: &str) -> (u16, String) {
    http_get(base, "/")
}

/// Requests at about 100 per second until stopped; every answer kept.
struct Load {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<(u16, String)>>>,
    task: Option<JoinHandle<()>>,
}

impl Load {
    fn start(base: &str) -> Load {
        Load::on(base, "/")
    }

    fn on(base: &str, path: &str) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, k, base, path) = (
            stop.clone(),
            seen.clone(),
            base.to_string(),
            path.to_string(),
        );
        let task = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer = http_get(&base, &path);
                k.lock().unwrap().push(answer);
                // Pace the load at ~100 requests a second.
                if let Some(rest) = Duration::from_millis(10).checked_sub(started.elapsed()) {
                    std::thread::sleep(rest);
                }
            }
        });
        Load {
            stop,
            seen,
            task: Some(task),
        }
    }

    fn finish(mut self) -> Vec<(u16, String)> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.task.take() {
            t.join().unwrap();
        }
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

fn count(seen: &[(u16, String)], status: u16, body: &str) -> usize {
    seen.iter()
        .filter(|(s, b)| *s == status && b == body)
        .count()
}

fn kinds(release: &Value) -> Vec<String> {
    release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_healthy_canary_completes_with_no_failed_request() {
    let s = setup();
    s.deployed(&[]);
    let base = s.stage_url();
    assert_eq!(get(&base), (200, "one".into()));
    assert!(
        s.releases().is_empty(),
        "a first deploy has nothing to shift from"
    );

    s.code("two", false);
    let load = Load::start(&base);
    let started = Instant::now();
    s.deployed(&[]);
    let took = started.elapsed();
    let seen = load.finish();
    let failed: Vec<_> = seen.iter().filter(|(st, _)| *st != 200).collect();
    assert!(
        failed.is_empty(),
        "failed requests during the release: {failed:?}"
    );
    assert!(
        count(&seen, 200, "one") > 0 && count(&seen, 200, "two") > 0,
        "both versions served"
    );
    assert!(
        took >= Duration::from_secs(5),
        "the canary waited its 5 minutes (scaled): {took:?}"
    );
    assert_eq!(get(&base), (200, "two".into()));

    let r = &s.releases()[0];
    assert_eq!(r["status"], "Succeeded");
    assert_eq!(
        r["deploymentConfigName"],
        "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    );
    assert_eq!(
        (r["currentVersion"].as_u64(), r["targetVersion"].as_u64()),
        (Some(1), Some(2))
    );
    let r = s.release(r["deploymentId"].as_str().unwrap());
    let k = kinds(&r);
    let first_shift = k.iter().position(|x| x == "Shift").unwrap();
    let pre = k.iter().position(|x| x == "BeforeAllowTraffic").unwrap();
    let post = k.iter().rposition(|x| x == "AfterAllowTraffic").unwrap();
    let last_shift = k.iter().rposition(|x| x == "Shift").unwrap();
    assert!(
        pre < first_shift && last_shift < post,
        "hooks around the shift: {k:?}"
    );
    let weights: Vec<f64> = r["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "Shift")
        .map(|e| e["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(weights, [0.1, 1.0]);
}

#[test]
fn a_failing_version_trips_its_alarm_and_is_rolled_back() {
    let s = setup();
    s.deployed(&[]);
    let base = s.stage_url();
    s.code("two", true);
    // Two clients: enough requests reach the 10% canary on a busy machine.
    let (load, load2) = (Load::start(&base), Load::start(&base));
    let out = s.deploy(&["Preference=Canary10Percent15Minutes"], &[]);
    let mut seen = load.finish();
    seen.extend(load2.finish());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let failed = seen.iter().filter(|(st, _)| *st != 200).count();
    assert!(
        !out.status.success(),
        "the release must fail ({failed} of {} requests failed): {stderr}",
        seen.len()
    );
    assert!(
        stderr.contains("NewVersionErrors"),
        "names the alarm: {stderr}"
    );
    assert_eq!(
        get(&base),
        (200, "one".into()),
        "all traffic back on version 1"
    );
    assert_eq!(s.stack_status(), "UPDATE_ROLLBACK_COMPLETE");
    let r = &s.releases()[0];
    assert_eq!(r["status"], "Failed");
    assert_eq!(r["errorInformation"]["code"], "ALARM_ACTIVE");
    assert!(failed > 0, "the canary's errors are what tripped the alarm");
    assert!(
        failed * 5 < seen.len(),
        "only the canary's share failed: {failed} of {}",
        seen.len()
    );
}

#[test]
fn a_failing_pre_traffic_hook_keeps_all_traffic_on_the_old_version() {
    let s = setup();
    s.deployed(&[]);
    let base = s.stage_url();
    s.code("two", false);
    let load = Load::start(&base);
    let out = s.deploy(&["PreHookResult=Failed"], &[]);
    let seen = load.finish();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("BeforeAllowTraffic"), "{stderr}");
    assert_eq!(
        count(&seen, 200, "two"),
        0,
        "version 2 never received traffic"
    );
    assert_eq!(count(&seen, 200, "one"), seen.len(), "no request failed");
    let r = &s.releases()[0];
    assert_eq!(r["errorInformation"]["code"], "HOOK_EXECUTION_FAILURE");
    assert!(!kinds(&s.release(r["deploymentId"].as_str().unwrap())).contains(&"Shift".to_string()));
}

/// A hook whose role does not allow `PutLifecycleEventHookExecutionStatus`
/// is refused as AWS refuses it: its report fails with AWS's
/// AccessDeniedException, and the release rolls back.
#[test]
fn a_hook_whose_role_may_not_report_is_refused_and_the_release_rolls_back() {
    let s = setup();
    s.deployed(&[]);
    let base = s.stage_url();
    // The pre-traffic hook loses its policy.
    let template = s.app.join("template.yaml");
    let text = std::fs::read_to_string(&template).unwrap();
    let (head, tail) = text.split_once("  PostTrafficHook:").unwrap();
    let start = head.find("      # As on AWS").expect("the hook's policy");
    // It ends with its Resource line, the one naming the deployment group.
    let resource = start + head[start..].find("deploymentgroup:").unwrap();
    let end = resource + head[resource..].find('\n').unwrap() + 1;
    std::fs::write(
        &template,
        format!("{}{}  PostTrafficHook:{tail}", &head[..start], &head[end..]),
    )
    .unwrap();
    s.code("two", false);
    let out = s.deploy(&[], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("AccessDeniedException")
            && stderr.contains("assumed-role/release-prod-PreTrafficHookRole/CodeDeployHook_release_pre is not authorized to perform: codedeploy:PutLifecycleEventHookExecutionStatus on resource: arn:aws:codedeploy:"),
        "{stderr}"
    );
    assert_eq!(get(&base), (200, "one".into()));
    assert_eq!(s.stack_status(), "UPDATE_ROLLBACK_COMPLETE");
}

#[test]
fn a_failing_post_traffic_hook_rolls_the_release_back() {
    let s = setup();
    s.deployed(&[]);
    let base = s.stage_url();
    s.code("two", false);
    let out = s.deploy(&["PostHookResult=Failed", "Preference=AllAtOnce"], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AfterAllowTraffic"));
    assert_eq!(get(&base), (200, "one".into()));
    let r = &s.releases()[0];
    assert_eq!(r["status"], "Failed");
    assert_eq!(r["errorInformation"]["code"], "HOOK_EXECUTION_FAILURE");
    assert_eq!(s.stack_status(), "UPDATE_ROLLBACK_COMPLETE");
}

#[test]
fn promote_and_abort_mid_way() {
    let s = setup();
    s.deployed(&["Preference=Canary10Percent30Minutes"]);
    let base = s.stage_url();

    // Promote: the 30-minute canary ends at once.
    s.code("two", false);
    let out = s.deploy(&["Preference=Canary10Percent30Minutes"], &["--no-wait"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("started"));
    let r = s.until_release("the canary", |r| r["trafficWeight"].as_f64() == Some(0.1));
    let id = r["deploymentId"].as_str().unwrap().to_string();
    let out = s.cli(&["deployment", "promote", &id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.until_release("the promotion", |r| r["status"] == "Succeeded");
    assert_eq!(s.until_settled(), "UPDATE_COMPLETE");
    assert_eq!(get(&base), (200, "two".into()));
    assert!(kinds(&s.release(&id)).contains(&"Promote".to_string()));

    // Abort: all traffic back on version 2, the stack update rolled back.
    s.code("three", false);
    let out = s.deploy(&["Preference=Canary10Percent30Minutes"], &["--no-wait"]);
    assert!(out.status.success());
    let r = s.until_release("the second canary", |r| {
        r["targetVersion"].as_u64() == Some(3) && r["trafficWeight"].as_f64() == Some(0.1)
    });
    let id = r["deploymentId"].as_str().unwrap().to_string();
    let out = s.cli(&[
        "rollback",
        "Api",
        "--stage",
        "prod",
        "--reason",
        "looks wrong",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = s.until_release("the abort", |r| r["status"] != "InProgress");
    assert_eq!(r["status"], "Stopped");
    assert_eq!(r["errorInformation"]["code"], "MANUAL_STOP");
    assert_eq!(r["errorInformation"]["message"], "looks wrong");
    assert_eq!(s.until_settled(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(get(&base), (200, "two".into()));
    // Nothing left to stop.
    let out = s.cli(&["deployment", "abort", &id]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in progress"));
}

/// The release-pair app deployed with `overrides`, the name its markers
/// take already used by someone else, and new code written: answers the
/// setup and the stage's URL.
fn pair_with_taken_name(overrides: &[&str]) -> (Setup, String) {
    let s = setup_app(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-pair"));
    s.deployed(overrides);
    let base = s.stage_url();
    let out = s.cli(&["params", "put", "/release-pair/taken", "by someone else"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    s.code("two", false);
    (s, base)
}

#[test]
fn a_failure_elsewhere_in_the_update_cancels_a_canary_in_progress() {
    // `Marker` starts with the alias's 30-minute canary (both wait only for
    // the new version) and fails: its parameter name is taken. As
    // CloudFormation cancels the updates in progress, the canary stops at
    // once instead of finishing its wait, and the update is rolled back.
    let (s, base) = pair_with_taken_name(&[]);
    let out = s.deploy(&["Break=true"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("Marker"), "names what failed: {stderr}");
    let r = &s.releases()[0];
    assert_eq!(r["status"], "Stopped", "{r}");
    assert_eq!(
        r["errorInformation"]["code"], "CLOUDFORMATION_STACK_FAILURE",
        "{r}"
    );
    assert!(
        r["errorInformation"]["message"]
            .as_str()
            .unwrap()
            .contains("Marker failed"),
        "{r}"
    );
    assert_eq!(s.stack_status(), "UPDATE_ROLLBACK_COMPLETE");
    assert_eq!(get(&base), (200, "one".into()));
}

#[test]
fn a_completed_release_rolled_back_with_its_stack_update_serves_the_old_version() {
    // The alias's release completes (all at once), then `LateMarker`,
    // which waits for the alias, fails: the update rolls back, and the
    // alias's traffic is on the old version again.
    let (s, base) = pair_with_taken_name(&["Preference=AllAtOnce"]);
    let out = s.deploy(&["Preference=AllAtOnce", "BreakLate=true"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("LateMarker"), "names what failed: {stderr}");
    assert_eq!(s.releases()[0]["status"], "Succeeded");
    assert_eq!(s.stack_status(), "UPDATE_ROLLBACK_COMPLETE");
    for _ in 0..20 {
        assert_eq!(get(&base), (200, "one".into()));
    }
}

#[test]
fn a_server_killed_mid_shift_restarts_with_traffic_on_the_old_version() {
    let mut s = setup();
    s.deployed(&["Preference=Linear10PercentEvery10Minutes"]);
    let base = s.stage_url();
    s.code("two", false);
    let out = s.deploy(
        &["Preference=Linear10PercentEvery10Minutes"],
        &["--no-wait"],
    );
    assert!(out.status.success());
    s.until_release("the first step", |r| {
        r["trafficWeight"].as_f64() == Some(0.1)
    });
    // SIGKILL mid-shift: 10% of the alias's traffic on version 2.
    s.server.kill().unwrap();
    s.server.wait().unwrap();
    let (server, url) = start_server_with(&s.data, None, &["--time-scale", "60"]);
    s.server = server;
    s.url = url;
    let r = &s.releases()[0];
    assert_eq!(r["status"], "Stopped", "{r}");
    assert_eq!(r["trafficWeight"].as_f64(), Some(0.0));
    assert_eq!(s.stack_status(), "UPDATE_ROLLBACK_COMPLETE");
    for _ in 0..20 {
        assert_eq!(get(&base), (200, "one".into()));
    }
}

fn metrics_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/release-metrics")
}

impl Setup {
    /// Rewrites one assignment line (`BUG = ""`) of a source file.
    fn set(&self, file: &str, line: &str) {
        let path = self.app.join("src").join(file);
        let name = line.split('=').next().unwrap().trim();
        let code: String = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{name} =")) {
                    line.to_string()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        std::fs::write(path, code + "\n").unwrap();
    }
}

#[test]
fn business_metrics_from_the_api_and_from_logs_stop_a_release() {
    let s = setup_app(&metrics_fixture());
    s.deployed(&[]);
    let base = s.stage_url();
    assert_eq!(http_get(&base, "/shop"), (200, "shop ok".into()));

    // A version that puts Refunds through the CloudWatch API (boto3).
    s.set("shop.py", "BUG = \"refunds\"");
    let load = Load::on(&base, "/shop");
    let out = s.deploy(&[], &[]);
    load.finish();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("RefundsAlarm"), "{stderr}");
    assert_eq!(
        s.releases()
            .iter()
            .find(|r| r["functionName"].as_str().unwrap().ends_with("-Shop"))
            .unwrap()["errorInformation"]["code"],
        "ALARM_ACTIVE"
    );
    // DescribeAlarms (boto3, from the function) lists the stage's alarms:
    // back to OK once the period with refunds has passed (the rollback
    // may come within that period), as on AWS with TreatMissingData
    // notBreaching.
    let deadline = Instant::now() + Duration::from_secs(60);
    let states = loop {
        let (status, body) = http_get(&base, "/shop?alarms");
        assert_eq!(status, 200, "{body}");
        let states: Value = serde_json::from_str(&body).unwrap();
        if states["release-prod-RefundsAlarm"] == "OK" || Instant::now() > deadline {
            break states;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(states["release-prod-RefundsAlarm"], "OK", "{states}");
    assert_eq!(states["release-prod-ComplaintsAlarm"], "OK", "{states}");

    // A version that logs Complaints in Embedded Metric Format.
    s.set("shop.py", "BUG = \"complaints\"");
    let load = Load::on(&base, "/shop");
    let out = s.deploy(&[], &[]);
    load.finish();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("ComplaintsAlarm"), "{stderr}");
    assert_eq!(http_get(&base, "/shop"), (200, "shop ok".into()));
}

#[test]
fn the_canary_judgement_catches_a_regression_no_alarm_watches() {
    let s = setup_app(&metrics_fixture());
    s.deployed(&[]);
    let base = s.stage_url();
    s.set("judged.py", "FAIL_EVERY = 3");
    let load = Load::on(&base, "/judged");
    let out = s.deploy(&[], &[]);
    let seen = load.finish();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the regression must be caught");
    assert!(stderr.contains("canary judgement"), "{stderr}");
    let r = s
        .releases()
        .into_iter()
        .find(|r| r["functionName"].as_str().unwrap().ends_with("-Judged"))
        .unwrap();
    assert_eq!(r["errorInformation"]["code"], "CANARY_ANALYSIS_FAILURE");
    assert_eq!(http_get(&base, "/judged"), (200, "ok".into()));
    let failed = seen.iter().filter(|(st, _)| *st != 200).count();
    assert!(failed < 40, "caught early: {failed} failed requests");
}
