//! Lockgate's CloudWatch API against real AWS SDKs: boto3 in AWS JSON 1.0
//! (what it sends today), boto3 in the query protocol (botocore given its
//! own CloudWatch model marked "query", as older SDKs speak), and the AWS
//! SDK for JavaScript v3. A tiny axum server on port 0 wraps
//! `lockgate_metrics::api::handle`; before each request it evaluates the
//! alarms at the current instant, as the server's alarm loop will.
//!
//! Needs python3 with boto3 (`.ci/requirements.txt`, installed by
//! `.ci/install`) and node with npm (the JavaScript test installs
//! `@aws-sdk/client-cloudwatch` into the target directory on first run).
//! A missing tool fails the test and says so.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;
use lockgate_metrics::api::{self, ApiContext, ApiRequest};
use lockgate_metrics::lambda::{InvocationRecorder, Outcome};
use lockgate_metrics::{Alarm, AlarmDefinition, MetricStore, StoreConfig, Timestamp};
use serde_json::{Value, json};

struct State {
    store: MetricStore,
    alarms: Mutex<Vec<Alarm>>,
}

async fn serve(
    state: Arc<State>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let now = Timestamp::now();
    let header_list: Vec<(&str, &str)> = headers
        .iter()
        .filter_map(|(k, v)| Some((k.as_str(), v.to_str().ok()?)))
        .collect();
    let mut alarms = state.alarms.lock().unwrap();
    for a in alarms.iter_mut() {
        a.evaluate(&state.store, now);
    }
    let ctx = ApiContext {
        store: &state.store,
        alarms: &alarms,
        region: "us-east-1",
        account_id: "123456789012",
        now,
    };
    let req = ApiRequest {
        method: method.as_str(),
        query: uri.query().unwrap_or(""),
        headers: &header_list,
        body: &body,
    };
    let answer = api::handle(&ctx, &req);
    let mut response = (StatusCode::from_u16(answer.status).unwrap(), answer.body).into_response();
    response
        .headers_mut()
        .insert("content-type", answer.content_type.parse().unwrap());
    for (k, v) in answer.headers {
        response.headers_mut().insert(k, v.parse().unwrap());
    }
    response
}

/// Starts the server with two alarms and some Lambda metrics.
async fn start() -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let store = MetricStore::new(StoreConfig::default());
    let now = Timestamp::now();
    let recorder = InvocationRecorder::new(&store, "checkout", Some("live"), "3").unwrap();
    recorder.record(
        &Outcome {
            duration_ms: 12.0,
            error: false,
            throttled: false,
            cold: true,
        },
        now.plus_micros(-70_000_000),
    );
    let failures = AlarmDefinition::from_cfn_properties(
        "shop-failures",
        &json!({"Namespace": "Shop", "MetricName": "Failures", "Statistic": "Sum", "Period": "60", "EvaluationPeriods": "1",
                "Threshold": "1", "ComparisonOperator": "GreaterThanOrEqualToThreshold"}),
    )
    .unwrap();
    let errors = AlarmDefinition::from_cfn_properties(
        "lambda-errors",
        &json!({"Namespace": "AWS/Lambda", "MetricName": "Errors", "Statistic": "Sum", "Period": 60, "EvaluationPeriods": 1,
                "Threshold": 0, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
                "Dimensions": [{"Name": "FunctionName", "Value": "checkout"}, {"Name": "Resource", "Value": "checkout:live"}, {"Name": "ExecutedVersion", "Value": "3"}]}),
    )
    .unwrap();
    let state = Arc::new(State {
        store,
        alarms: Mutex::new(vec![Alarm::new(errors, now), Alarm::new(failures, now)]),
    });
    let app = axum::Router::new().fallback(move |method, uri, headers, body| {
        serve(state.clone(), method, uri, headers, body)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        // Serving until the test aborts the task; an error here would show
        // up as the client failing to connect.
        let _ = axum::serve(listener, app).await;
    });
    (addr, server)
}

fn require(cmd: &str, args: &[&str], what: &str) {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd} must be installed: {what} ({e})"));
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

async fn run_client(
    program: &str,
    args: &[&Path],
    addr: SocketAddr,
    home: &Path,
    extra_env: &[(&str, &str)],
) -> Value {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_ENDPOINT_URL_CLOUDWATCH", format!("http://{addr}"))
        .env("AWS_ACCESS_KEY_ID", "AKIDLOCKGATE")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the client failed:\n{stderr}\n{stdout}"
    );
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("client output is not JSON ({e}): {stdout}\n{stderr}"))
}

fn check_boto3_results(r: &Value) {
    let gmd = &r["get_metric_data"];
    assert_eq!(gmd["p99"]["values"], json!([400.0]), "{r:#}");
    assert_eq!(gmd["p99"]["label"], "Latency");
    assert_eq!(gmd["p99"]["status"], "Complete");
    assert_eq!(gmd["p99"]["timestamps_are_datetimes"], true);
    assert_eq!(gmd["p99"]["first_ts"], r["expected_period_start"]);
    assert_eq!(gmd["n"]["values"], json!([5.0]));
    assert_eq!(gmd["n"]["label"], "count");
    assert_eq!(gmd["orders"]["values"], json!([10.0]));
    assert!(gmd.get("hidden").is_none());
    assert_eq!(
        r["statistics"],
        json!({"label": "Latency", "datapoints": [{
            "Average": 98.0, "Maximum": 400.0, "SampleCount": 5.0, "Sum": 490.0, "Minimum": 10.0,
            "Unit": "Milliseconds", "ExtendedStatistics": {"p50": 30.0, "tm80": 22.5}
        }]})
    );
    assert_eq!(
        r["list_metrics"],
        json!([["Failures", 0], ["Latency", 1], ["Orders", 1]])
    );
    assert_eq!(r["list_filtered"], json!(["Latency", "Orders"]));
    assert_eq!(r["list_lambda"].as_array().unwrap().len(), 4);
    let alarms = r["alarms"].as_array().unwrap();
    assert_eq!(alarms.len(), 2);
    assert_eq!(alarms[0]["AlarmName"], "lambda-errors");
    assert_eq!(alarms[0]["StateValue"], "OK");
    assert_eq!(
        alarms[0]["AlarmArn"],
        "arn:aws:cloudwatch:us-east-1:123456789012:alarm:lambda-errors"
    );
    assert_eq!(alarms[0]["Dimensions"].as_array().unwrap().len(), 3);
    assert_eq!(alarms[1]["AlarmName"], "shop-failures");
    assert_eq!(alarms[1]["StateValue"], "ALARM");
    let reason = alarms[1]["StateReason"].as_str().unwrap();
    assert!(
        reason.starts_with("Threshold Crossed: 1 out of the last 1 datapoints [3.0 (") && reason.ends_with(")] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for INSUFFICIENT_DATA -> ALARM transition)."),
        "{reason}"
    );
    assert_eq!(alarms[1]["Period"], 60);
    assert_eq!(alarms[1]["Threshold"], 1.0);
    assert_eq!(alarms[1]["TreatMissingData"], "missing");
    assert_eq!(r["alarm_updated_is_datetime"], true);
    assert_eq!(r["alarm_reason_data"]["statistic"], "Sum");
    assert_eq!(r["alarms_in_alarm"], json!(["shop-failures"]));
    assert_eq!(r["alarms_by_prefix"], json!(["lambda-errors"]));
    assert_eq!(
        r["alarm_pages"],
        json!([["lambda-errors"], ["shop-failures"]])
    );
    assert_eq!(
        r["history"],
        json!(["Alarm updated from INSUFFICIENT_DATA to ALARM"])
    );
    let err = |k: &str| {
        (
            r[k][0].as_str().unwrap_or_default().to_string(),
            r[k][1].as_u64().unwrap_or_default(),
        )
    };
    assert_eq!(
        err("err_reserved_namespace"),
        ("InvalidParameterValue".into(), 400),
        "{}",
        r["err_reserved_namespace"]
    );
    assert!(
        r["err_reserved_namespace"][2]
            .as_str()
            .unwrap()
            .contains("reserved for AWS services")
    );
    assert_eq!(err("err_period"), ("InvalidParameterValue".into(), 400));
    assert_eq!(err("err_expression"), ("InvalidParameterValue".into(), 400));
    assert!(
        r["err_expression"][2]
            .as_str()
            .unwrap()
            .contains("MetricDataQueries.member.1.Expression"),
        "{}",
        r["err_expression"]
    );
    assert_eq!(
        err("err_both_values"),
        ("InvalidParameterCombination".into(), 400)
    );
    assert_eq!(
        err("err_too_many_points"),
        ("InvalidParameterCombination".into(), 400)
    );
    assert_eq!(err("err_unknown_op"), ("InvalidAction".into(), 400));
    assert_eq!(r["modeled_exception"], "InvalidParameterValueException");
}

async fn boto3(protocol: &str) {
    require(
        "python3",
        &["-c", "import boto3"],
        "boto3 for python3 (run .ci/install, which installs .ci/requirements.txt)",
    );
    let (addr, server) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/boto3_cloudwatch.py");
    let r = run_client(
        "python3",
        &[&script],
        addr,
        dir.path(),
        &[("PROTOCOL", protocol)],
    )
    .await;
    server.abort();
    let want = if protocol == "query" { "query" } else { "json" };
    assert_eq!(r["protocol"], want);
    check_boto3_results(&r);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_speaks_aws_json_to_the_local_cloudwatch() {
    boto3("default").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_in_the_query_protocol() {
    boto3("query").await;
}

/// Finds or installs @aws-sdk/client-cloudwatch under the target
/// directory (LOCKGATE_AWS_SDK_JS may point at a node_modules parent).
fn js_sdk() -> PathBuf {
    if let Some(dir) = std::env::var_os("LOCKGATE_AWS_SDK_JS") {
        return PathBuf::from(dir);
    }
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-aws-sdk-cloudwatch");
    if !prefix
        .join("node_modules/@aws-sdk/client-cloudwatch/package.json")
        .is_file()
    {
        std::fs::create_dir_all(&prefix).unwrap();
        let out = Command::new("npm")
            .args([
                "install",
                "--no-save",
                "--no-audit",
                "--no-fund",
                "@aws-sdk/client-cloudwatch@3",
            ])
            .arg("--prefix")
            .arg(&prefix)
            .output()
            .expect("npm is needed to install @aws-sdk/client-cloudwatch");
        assert!(
            out.status.success(),
            "npm install @aws-sdk/client-cloudwatch failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    prefix
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_sdk_for_javascript_v3() {
    require(
        "node",
        &["--version"],
        "node runs the AWS SDK for JavaScript test",
    );
    let prefix = js_sdk();
    let (addr, server) = start().await;
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/js_cloudwatch.mjs");
    let copy = prefix.join("js_cloudwatch.mjs");
    std::fs::copy(&script, &copy).unwrap();
    let r = run_client("node", &[&copy], addr, dir.path(), &[]).await;
    server.abort();
    assert_eq!(r["p90"], json!([30]), "{r:#}");
    assert_eq!(r["sum"], json!([9]));
    assert_eq!(r["first_ts_is_date"], true);
    assert_eq!(
        r["stats"],
        json!({"SampleCount": 2, "Sum": 9, "Unit": "Count"})
    );
    assert_eq!(
        r["alarms"],
        json!([
            ["lambda-errors", "OK"],
            ["shop-failures", "INSUFFICIENT_DATA"]
        ])
    );
    assert_eq!(r["metrics"], json!(["Latency", "Orders"]));
    assert_eq!(
        r["error"],
        json!([
            "InvalidParameterValueException",
            "InvalidParameterValue",
            400
        ])
    );
}
