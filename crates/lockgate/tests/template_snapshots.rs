//! Snapshots (insta) of what `lockgate validate` and `lockgate transform`
//! print: human diagnostics, `--output json`, and transforms of the example
//! app `examples/greeter`. Review changes with `cargo insta review`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn with(files: &[(&str, &str)]) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "lockgate-template-snap-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write fixture");
        }
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/template")
            .join(name),
    )
    .expect("read fixture")
}

fn greeter_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/greeter")
}

/// Runs the binary in `dir` with a fixed terminal: no colors, 100 columns.
fn lockgate(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("AWS_REGION")
        .output()
        .expect("run lockgate")
}

/// Exit code, stdout and stderr, for one snapshot.
fn shown(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn validate_human_diagnostics() {
    let dir = TempDir::with(&[("template.yaml", &fixture("invalid.yaml"))]);
    let out = lockgate(&dir.0, &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn validate_json_invalid() {
    let dir = TempDir::with(&[("template.yaml", &fixture("invalid.yaml"))]);
    let out = lockgate(&dir.0, &["validate", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn validate_json_valid_with_a_warning() {
    let dir = TempDir::with(&[("template.yaml", &fixture("valid.yaml"))]);
    let out = lockgate(
        &dir.0,
        &[
            "validate",
            "--output",
            "json",
            "--parameter-overrides",
            "Stage=prod Nope=1",
        ],
    );
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn validate_yaml_syntax_error() {
    let dir = TempDir::with(&[(
        "template.yaml",
        "Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: [jobs\n",
    )]);
    let out = lockgate(&dir.0, &["validate"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn validate_json_syntax_error() {
    let dir = TempDir::with(&[(
        "template.json",
        "{\n  \"Resources\": {\n    \"Queue\": {\"Type\": \"AWS::SQS::Queue\"}\n    \"Topic\": {\"Type\": \"AWS::SNS::Topic\"}\n  }\n}\n",
    )]);
    let out = lockgate(&dir.0, &["validate", "--output", "json"]);
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn validate_never_prints_a_no_echo_value() {
    let template = "Parameters:\n  DbPassword:\n    Type: String\n    NoEcho: true\n    MinLength: 12\n    AllowedPattern: '[A-Za-z0-9]+'\nResources:\n  Queue:\n    Type: AWS::SQS::Queue\n";
    let dir = TempDir::with(&[("template.yaml", template)]);
    for output in ["text", "json"] {
        let out = lockgate(
            &dir.0,
            &[
                "validate",
                "--output",
                output,
                "--parameter-overrides",
                "DbPassword=hunter2!",
            ],
        );
        assert_eq!(out.status.code(), Some(1));
        let all = shown(&out);
        assert!(!all.contains("hunter2"), "{all}");
        insta::assert_snapshot!(format!("no_echo_{output}"), all);
    }
}

#[test]
fn validate_greeter() {
    let out = lockgate(&greeter_dir(), &["validate"]);
    assert_eq!(out.status.code(), Some(0));
    insta::assert_snapshot!(shown(&out));
}

#[test]
fn transform_greeter() {
    let out = lockgate(&greeter_dir(), &["transform"]);
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn transform_greeter_for_prod() {
    // Both spellings of --parameter-overrides give the same template. The
    // translator keeps `AWS::Region`, `AWS::AccountId` and parameter
    // references symbolic where CloudFormation resolves them, so this is the
    // default transform but for what the values reach.
    let key_value = lockgate(
        &greeter_dir(),
        &[
            "transform",
            "--parameter-overrides",
            "Stage=prod",
            "Greeting=Hi",
            "--region",
            "eu-west-1",
            "--account-id",
            "123456789012",
        ],
    );
    let cfn_style = lockgate(
        &greeter_dir(),
        &[
            "transform",
            "--parameter-overrides",
            "ParameterKey=Stage,ParameterValue=prod ParameterKey=Greeting,ParameterValue=Hi",
            "--region",
            "eu-west-1",
            "--account-id",
            "123456789012",
        ],
    );
    assert_eq!(key_value.status.code(), Some(0), "{}", shown(&key_value));
    assert_eq!(key_value.stdout, cfn_style.stdout);
    let v: serde_json::Value = serde_json::from_slice(&key_value.stdout).expect("JSON");
    // The deployment preference, the alias and the hashed version of one function.
    let resources = v["Resources"].as_object().expect("Resources");
    let picked: serde_json::Map<String, serde_json::Value> = resources
        .iter()
        .filter(|(id, _)| id.starts_with("HelloFunction") || id.starts_with("ServerlessDeployment"))
        .map(|(id, r)| (id.clone(), r.clone()))
        .collect();
    insta::assert_snapshot!(serde_json::to_string_pretty(&picked).expect("JSON"));
}

#[test]
fn transform_resolves_what_the_translator_resolves() {
    // The SAM translator resolves parameter references in a few properties
    // (AutoPublishAlias, CodeUri, …) and hides nothing: NoEcho values are
    // redacted by Lockgate.
    let template = "Transform: AWS::Serverless-2016-10-31\nParameters:\n  Alias:\n    Type: String\n    Default: live\n  Token:\n    Type: String\n    NoEcho: true\n    Default: s3cr3t-default\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s3://bucket/fn.zip\n      Handler: app.handler\n      Runtime: python3.12\n      AutoPublishAlias: !Ref Alias\n      Environment:\n        Variables:\n          TOKEN: !Ref Token\n          PLAIN: s3cr3t-given\n";
    let dir = TempDir::with(&[("template.yaml", template)]);
    let out = lockgate(
        &dir.0,
        &[
            "transform",
            "--parameter-overrides",
            "Alias=blue Token=s3cr3t-given",
            "--region",
            "eu-west-1",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", shown(&out));
    let all = shown(&out);
    assert!(!all.contains("s3cr3t"), "{all}");
    insta::assert_snapshot!(all);
}

#[test]
fn transform_sam_error() {
    let dir = TempDir::with(&[(
        "template.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: s3://bucket/fn.zip\n      Handler: app.handler\n      Runtime: python3.12\n      Events:\n        Nightly:\n          Type: Schedule\n          Properties:\n            Schedule: rate(1 day)\n            Enabled: maybe\n        Get:\n          Type: Api\n          Properties: {Path: /x, Method: get, RestApiId: Nope}\n",
    )]);
    let out = lockgate(&dir.0, &["transform"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    insta::assert_snapshot!(shown(&out));
}
