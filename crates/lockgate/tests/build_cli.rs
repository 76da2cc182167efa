//! `lockgate build` and `lockgate buildspec run` through the real binary in
//! temporary directories, with snapshots (insta) of what they print. Times,
//! temporary paths and build IDs are filtered; digests are not (they are
//! deterministic). The apps here use make and sh only (no network).

use std::path::Path;
use std::process::{Command, Output};

fn lockgate(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args(args)
        .arg("--cache-dir")
        .arg(cache)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("LOCKGATE_SANDBOX", "auto")
        .output()
        .expect("run lockgate")
}

fn shown(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

macro_rules! snap {
    ($dir:expr, $value:expr) => {
        settings($dir).bind(|| insta::assert_snapshot!($value));
    };
}

/// Filters for what changes run to run: temporary paths, times, build IDs, the sandbox note.
fn settings(dir: &Path) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(&regex_escape(&dir.display().to_string()), "[TMP]");
    s.add_filter(r"\d+\.\d\d s\b", "[T] s");
    s.add_filter(r#""duration": [0-9.e-]+"#, r#""duration": "[T]""#);
    s.add_filter(
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[UUID]",
    );
    s.add_filter(r"warning: unsandboxed: [^\n]*\n", "");
    s.add_filter(
        r#""sandboxed": (true|false)"#,
        r#""sandboxed": "[SANDBOXED]""#,
    );
    s
}

fn regex_escape(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '/' || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

fn make_app(dir: &Path) {
    std::fs::create_dir_all(dir.join("fn")).unwrap();
    std::fs::write(
        dir.join("template.yaml"),
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  MakeFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Handler: bootstrap\n      Runtime: provided.al2023\n  Inline:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Handler: index.handler\n      Runtime: python3.11\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fn/Makefile"),
        "build-MakeFunction:\n\tprintf '#!/bin/sh\\necho hi\\n' > $(ARTIFACTS_DIR)/bootstrap\n\tchmod 755 $(ARTIFACTS_DIR)/bootstrap\n",
    )
    .unwrap();
}

#[test]
fn build_prints_each_function_then_reuses_it() {
    let t = tempfile::tempdir().unwrap();
    let (app, cache) = (t.path().join("app"), t.path().join("cache"));
    make_app(&app);
    let first = lockgate(&app, &cache, &["build"]);
    assert_eq!(first.status.code(), Some(0), "{}", shown(&first));
    snap!(t.path(), shown(&first));
    let again = lockgate(&app, &cache, &["build", "--output", "json"]);
    assert_eq!(again.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(v["functions"][0]["cached"], true);
    snap!(t.path(), shown(&again));
    assert!(app.join(".aws-sam/build/MakeFunction/bootstrap").is_file());
    assert!(app.join(".aws-sam/build/template.yaml").is_file());
}

#[test]
fn build_refuses_unknown_functions() {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    make_app(&app);
    let out = lockgate(&app, &t.path().join("cache"), &["build", "NoSuchFunction"]);
    assert_eq!(out.status.code(), Some(2));
    snap!(t.path(), shown(&out));
}

#[test]
fn build_failures_show_the_step_and_its_output() {
    let t = tempfile::tempdir().unwrap();
    let app = t.path().join("app");
    make_app(&app);
    std::fs::write(
        app.join("fn/Makefile"),
        "build-MakeFunction:\n\t@echo 'cc: error: missing.c: No such file'\n\t@exit 1\n",
    )
    .unwrap();
    let out = lockgate(&app, &t.path().join("cache"), &["build"]);
    assert_eq!(out.status.code(), Some(1));
    let text = shown(&out);
    assert!(
        text.contains("building MakeFunction failed: make exited with status 2"),
        "{text}"
    );
    assert!(
        text.contains("| cc: error: missing.c: No such file"),
        "{text}"
    );
}

#[test]
fn buildspec_run_exit_codes_and_output() {
    let t = tempfile::tempdir().unwrap();
    let (src, cache) = (t.path().join("src"), t.path().join("cache"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("input.txt"), "data\n").unwrap();

    // Unreadable: exit 2 with line and column.
    std::fs::write(src.join("buildspec.yml"), "version: 0.2\nphases:\n  build:\n    commands: [make]\n    on-failure: RETRY\n  postbuild: {}\n").unwrap();
    let bad = lockgate(&src, &cache, &["buildspec", "run"]);
    assert_eq!(bad.status.code(), Some(2));
    snap!(t.path(), shown(&bad));

    // Succeeded: exit 0, artifacts in --artifacts-dir.
    std::fs::write(
        src.join("buildspec.yml"),
        "version: 0.2\nenv:\n  exported-variables: [LINES]\nphases:\n  build:\n    commands:\n      - mkdir -p out\n      - cp input.txt out/result.txt\n      - export LINES=$(wc -l < input.txt)\nartifacts:\n  base-directory: out\n  files: ['**/*']\n",
    )
    .unwrap();
    let arts = t.path().join("arts");
    let ok = Command::new(env!("CARGO_BIN_EXE_lockgate"))
        .args(["buildspec", "run", "--output", "json", "--artifacts-dir"])
        .arg(&arts)
        .arg("--cache-dir")
        .arg(&cache)
        .current_dir(&src)
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", shown(&ok));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    assert_eq!(v["status"], "SUCCEEDED");
    assert_eq!(v["exportedVariables"]["LINES"], "1");
    assert_eq!(v["artifacts"][0]["files"][0], "result.txt");
    assert_eq!(
        std::fs::read_to_string(arts.join("result.txt")).unwrap(),
        "data\n"
    );

    // Failed: exit 1, the summary names the failed phase.
    std::fs::write(src.join("buildspec.yml"), "version: 0.2\nphases:\n  pre_build:\n    commands:\n      - echo checking\n      - test -f missing.txt\n  build:\n    commands: [echo never]\n").unwrap();
    let failed = lockgate(&src, &cache, &["buildspec", "run"]);
    assert_eq!(failed.status.code(), Some(1));
    snap!(t.path(), shown(&failed));
}
