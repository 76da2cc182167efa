//! `lockgate validate` and `lockgate transform`, run as the real binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lockgate-template-cli-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn with(fixtures: &[(&str, &str)]) -> TempDir {
        let d = TempDir::new();
        for (fixture, name) in fixtures {
            std::fs::copy(fixture_path(fixture), d.0.join(name)).expect("copy fixture");
        }
        d
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/template")
        .join(name)
}

fn lockgate(dir: &TempDir, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args(args)
        .current_dir(&dir.0)
        .env("NO_COLOR", "1")
        .env_remove("AWS_REGION")
        .output()
        .expect("run lockgate")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn validate_default_template_ok() {
    let dir = TempDir::with(&[("valid.yaml", "template.yaml")]);
    let out = lockgate(&dir, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "template.yaml is a valid template: 3 resource(s)\n"
    );
}

#[test]
fn validate_json_default_is_found() {
    let dir = TempDir::with(&[("valid.json", "template.json")]);
    let out = lockgate(&dir, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn validate_reports_every_problem() {
    let dir = TempDir::with(&[("invalid.yaml", "bad.yaml")]);
    let out = lockgate(&dir, &["validate", "bad.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("`${Stage}` in `Fn::Sub` is not a parameter"),
        "{err}"
    );
    assert!(err.contains("[bad.yaml:5:24]"), "{err}");
    assert!(err.contains("`DependsOn` names `Missing`"), "{err}");
    assert!(
        err.contains("`Fn::GetAtt` refers to `ConsumerRole`"),
        "{err}"
    );
    assert!(err.contains("error: bad.yaml has 3 problem(s)"), "{err}");
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn validate_json_output() {
    let dir = TempDir::with(&[("invalid.yaml", "template.yaml")]);
    let out = lockgate(&dir, &["validate", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json on stdout");
    assert_eq!(v["valid"], false);
    let codes: Vec<&str> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "unknown-reference",
            "unknown-dependency",
            "unknown-reference"
        ]
    );
    assert_eq!(v["diagnostics"][1]["line"], 8);
    assert_eq!(v["diagnostics"][1]["path"], "Resources/Consumer/DependsOn");
}

#[test]
fn validate_parameter_overrides() {
    let dir = TempDir::with(&[
        ("valid.yaml", "template.yaml"),
        ("params.json", "params.json"),
    ]);
    let out = lockgate(&dir, &["validate", "--parameter-overrides", "Stage=qa"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("parameter `Stage` has a value `qa` that is not allowed"),
        "{err}"
    );
    assert!(err.contains("expected one of: dev, prod"), "{err}");

    let out = lockgate(
        &dir,
        &[
            "validate",
            "--parameter-overrides",
            "ParameterKey=Stage,ParameterValue=prod",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = lockgate(
        &dir,
        &["validate", "--parameter-overrides", "file://params.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn usage_errors_exit_2() {
    let dir = TempDir::new();
    let out = lockgate(&dir, &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no template given and none found"));
    let out = lockgate(&dir, &["validate", "missing.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read missing.yaml"));
    let dir = TempDir::with(&[("valid.yaml", "template.yaml")]);
    let out = lockgate(&dir, &["validate", "--parameter-overrides", "Stage"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("expected `KEY=VALUE`"));
    let out = lockgate(
        &dir,
        &["transform", "--parameter-overrides", "file://nope.json"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn transform_plain_cloudformation_prints_it_as_json() {
    let dir = TempDir::with(&[("valid.json", "template.json")]);
    let out = lockgate(&dir, &["transform"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path("valid.json")).unwrap())
            .unwrap();
    assert_eq!(got, want);
}

#[test]
fn transform_never_prints_no_echo_values() {
    let dir = TempDir::with(&[("valid.yaml", "template.yaml")]);
    let out = lockgate(
        &dir,
        &[
            "transform",
            "--parameter-overrides",
            "DbPassword=hunter2hunter2",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains("correct-horse-battery"), "{stdout}");
    assert!(!stdout.contains("hunter2hunter2"), "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["Parameters"]["DbPassword"]["Default"], "****");
    assert_eq!(
        v["Resources"]["Consumer"]["Properties"]["Role"],
        serde_json::json!({"Fn::GetAtt": ["ConsumerRole", "Arn"]})
    );
}

#[test]
fn transform_sam_template() {
    let dir = TempDir::with(&[("sam.yaml", "template.yaml")]);
    let out = lockgate(&dir, &["transform", "--region", "eu-west-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Resources"]["Hello"]["Type"], "AWS::Lambda::Function");
    assert_eq!(v["Resources"]["HelloRole"]["Type"], "AWS::IAM::Role");
    assert!(v.get("Transform").is_none());
}

#[test]
fn transform_invalid_template() {
    let dir = TempDir::new();
    std::fs::write(
        dir.0.join("template.yaml"),
        "Resources:\n  A: {Type: X::Y::Z\n  B: {Type: X::Y::Z}\n",
    )
    .unwrap();
    let out = lockgate(&dir, &["transform"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).is_empty());
    assert!(
        text(&out.stderr).contains("syntax"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn transform_does_not_check_references() {
    // Like the SAM translator, `transform` leaves reference checks to `validate`.
    let dir = TempDir::with(&[("invalid.yaml", "template.yaml")]);
    let out = lockgate(&dir, &["transform"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn transform_reports_sam_errors_at_the_resource() {
    let dir = TempDir::new();
    std::fs::write(
        dir.0.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n",
    )
    .unwrap();
    let out = lockgate(&dir, &["transform"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("Resource with id [Fn] is invalid."), "{err}");
    assert!(err.contains("[template.yaml:3:3]"), "{err}");
}
