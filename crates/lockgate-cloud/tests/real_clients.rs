//! Unmodified real runtime interface clients against our Runtime API:
//! `awslambdaric` (PyPI), `lambda_runtime` (crates.io) and `aws-lambda-ric`
//! (npm). A missing client fails the test loudly: CI installs them
//! (see .ci/install and .ci/requirements.txt).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use lockgate_cloud::Cloud;

async fn check_echo(
    cloud: &Cloud,
    name: &str,
    expect_line: &str,
    logs: &Logs,
) -> serde_json::Value {
    let o = cloud
        .invoke(name, req(r#"{"hello": "world"}"#))
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
    assert!(logs.text().contains(expect_line), "{}", logs.text());
    // Warm reuse, then an unhandled error in Lambda's shape.
    let again = cloud
        .invoke(name, req(r#"{"n": 2}"#))
        .await
        .unwrap()
        .unwrap();
    assert!(!again.cold, "the instance is reused");
    let err = cloud
        .invoke(name, req(r#"{"fail": true}"#))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(err.function_error.as_deref(), Some("Unhandled"));
    let e = json(&err);
    assert!(
        e["errorMessage"]
            .as_str()
            .unwrap_or("")
            .contains("asked to fail"),
        "{e}"
    );
    assert!(e["errorType"].is_string(), "{e}");
    let v2 = cloud
        .invoke(name, req(r#"{"after": "error"}"#))
        .await
        .unwrap()
        .unwrap();
    assert!(
        v2.function_error.is_none(),
        "the runtime keeps serving after an error"
    );
    serde_json::Value::Object(
        v.as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .chain([(
                "request_id_seen".to_string(),
                serde_json::Value::String(o.request_id.to_string()),
            )])
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn awslambdaric_from_pypi() {
    let ok = Command::new("python3")
        .args(["-c", "import awslambdaric"])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "awslambdaric is not installed: pip install awslambdaric (CI installs it from .ci/requirements.txt)"
    );
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let f = function("Ric", "provided.al2023", "app.handler", "awslambdaric");
    let cloud = Cloud::new(config(vec![f]), options(&dir), logs.sink()).unwrap();
    let v = check_echo(&cloud, "Ric", "hello from awslambdaric", &logs).await;
    assert_eq!(v["request_id"], v["request_id_seen"]);
    assert_eq!(v["function_name"], "Ric");
    assert_eq!(v["function_version"], "$LATEST");
    assert_eq!(v["memory_limit_in_mb"], "128");
    assert_eq!(
        v["invoked_function_arn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:Ric"
    );
    assert_eq!(v["log_group_name"], "/aws/lambda/Ric");
    assert_eq!(v["remaining_positive"], true);
}

/// Builds the `lambda_runtime` test function once (reused by later runs).
fn build_rust_fn() -> PathBuf {
    let manifest = fixture("rust-fn").join("Cargo.toml");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("rust-fn");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(&manifest)
        .arg("--target-dir")
        .arg(&target)
        .env_remove("RUSTFLAGS")
        .status()
        .expect("run cargo");
    assert!(
        status.success(),
        "building the lambda_runtime test function failed"
    );
    target.join("debug")
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_runtime_from_crates_io() {
    let bin_dir = build_rust_fn();
    let code = tempfile::tempdir().unwrap();
    std::fs::copy(bin_dir.join("bootstrap"), code.path().join("bootstrap")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let mut f = function("RustFn", "provided.al2023", "bootstrap", "rust-fn");
    f.code_dir = code.path().to_path_buf();
    f.memory_mb = 256;
    let cloud = Cloud::new(config(vec![f]), options(&dir), logs.sink()).unwrap();
    let v = check_echo(&cloud, "RustFn", "hello from lambda_runtime", &logs).await;
    assert_eq!(v["request_id"], v["request_id_seen"]);
    assert_eq!(v["function_name"], "RustFn");
    assert_eq!(v["memory"], 256);
    assert_eq!(v["version"], "$LATEST");
    assert_eq!(v["log_group"], "/aws/lambda/RustFn");
    assert_eq!(
        v["invoked_function_arn"],
        "arn:aws:lambda:eu-west-1:123456789012:function:RustFn"
    );
}

/// Finds or installs aws-lambda-ric (it builds native code: needs cmake,
/// autoconf, automake, libtool, make and g++). LOCKGATE_AWS_LAMBDA_RIC may
/// point at an installed package directory.
fn aws_lambda_ric() -> PathBuf {
    if let Some(dir) = std::env::var_os("LOCKGATE_AWS_LAMBDA_RIC") {
        return PathBuf::from(dir);
    }
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("npm-ric");
    let pkg = prefix.join("node_modules/aws-lambda-ric");
    let built = |p: &Path| p.join("dist/rapid-client.node").is_file();
    if !built(&pkg) {
        std::fs::create_dir_all(&prefix).unwrap();
        let npm = |args: &[&str]| {
            let out = Command::new("npm")
                .args(args)
                .arg("--prefix")
                .arg(&prefix)
                .output()
                .expect("npm is needed to install aws-lambda-ric");
            assert!(
                out.status.success(),
                "npm {args:?} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        npm(&[
            "install",
            "--no-save",
            "--foreground-scripts",
            "aws-lambda-ric",
        ]);
        if !built(&pkg) {
            // Newer npm versions skip install scripts of new packages: run them.
            npm(&["rebuild", "--foreground-scripts", "aws-lambda-ric"]);
        }
    }
    assert!(
        built(&pkg),
        "aws-lambda-ric did not build its native client (needs cmake, autoconf, automake, libtool, make, g++)"
    );
    pkg
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_lambda_ric_from_npm() {
    let pkg = aws_lambda_ric();
    let dir = tempfile::tempdir().unwrap();
    let logs = Logs::default();
    let mut f = function(
        "NodeRic",
        "provided.al2023",
        "index.handler",
        "aws-lambda-ric",
    );
    f.environment.insert(
        "LOCKGATE_AWS_LAMBDA_RIC".into(),
        pkg.to_string_lossy().into_owned(),
    );
    // Shipped beside the code as a layer would ship it: instances are
    // sandboxed and see only their code, their layers and the system.
    f.layers.push(pkg.clone());
    let cloud = Cloud::new(config(vec![f]), options(&dir), logs.sink()).unwrap();
    let v = check_echo(&cloud, "NodeRic", "hello from aws-lambda-ric", &logs).await;
    assert_eq!(v["request_id"], v["request_id_seen"]);
    assert_eq!(v["function_name"], "NodeRic");
    assert_eq!(v["function_version"], "$LATEST");
    assert_eq!(v["memory_limit_in_mb"], "128");
    assert_eq!(v["log_group_name"], "/aws/lambda/NodeRic");
    assert_eq!(v["remaining_positive"], true);
}
