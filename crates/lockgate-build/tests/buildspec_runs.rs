//! The buildspec runner: CodeBuild's failure rules, one shell session,
//! artifacts, caches, reports, secrets and the sandbox, with real shells.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use lockgate_build::buildspec::{self, BuildRun, PhaseStatus, RunOptions, StaticSecrets};

struct Project {
    _t: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
}

fn project(files: &[(&str, &str)]) -> Project {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("proj");
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    std::fs::create_dir_all(&dir).unwrap();
    let cache = t.path().join("cache");
    Project { _t: t, dir, cache }
}

fn options(p: &Project) -> RunOptions {
    let mut o = RunOptions::new(&p.dir);
    o.cache_dir = Some(p.cache.clone());
    o
}

fn run_with(p: &Project, spec: &str, o: &RunOptions) -> BuildRun {
    let parsed = buildspec::parse("buildspec.yml", spec).expect("valid buildspec");
    let warnings: Vec<String> = parsed.warnings.iter().map(|w| w.message.clone()).collect();
    let _ = p;
    buildspec::run(&parsed.spec, &warnings, o).expect("run")
}

fn run(p: &Project, spec: &str) -> BuildRun {
    run_with(p, spec, &options(p))
}

fn phases(r: &BuildRun) -> Vec<String> {
    r.phases
        .iter()
        .map(|p| format!("{} {}", p.phase, p.status.as_str()))
        .collect()
}

fn log(r: &BuildRun) -> String {
    std::fs::read_to_string(&r.log).unwrap()
}

#[test]
fn a_failed_install_ends_the_build_without_artifacts() {
    let p = project(&[("a.txt", "a")]);
    let r = run(
        &p,
        "version: 0.2\nphases:\n  install:\n    commands:\n      - echo installing\n      - exit 3\n      - echo never\n    finally:\n      - echo cleanup\n  build:\n    commands: [echo building]\n  post_build:\n    commands: [echo post]\nartifacts:\n  files: ['**/*']\n",
    );
    assert_eq!(r.status, PhaseStatus::Failed);
    assert_eq!(
        phases(&r),
        [
            "PROVISIONING SUCCEEDED",
            "DOWNLOAD_SOURCE SUCCEEDED",
            "INSTALL FAILED",
            "FINALIZING SUCCEEDED"
        ]
    );
    let text = log(&r);
    assert!(
        text.contains("installing") && text.contains("cleanup"),
        "{text}"
    );
    assert!(
        !text.contains("never") && !text.contains("building") && !text.contains("post"),
        "{text}"
    );
    assert!(text.contains("COMMAND_EXECUTION_ERROR Message: Error while executing command: exit 3. Reason: exit status 3"), "{text}");
    assert!(r.artifacts.is_empty());
}

#[test]
fn a_failed_build_still_runs_post_build_and_uploads() {
    let p = project(&[("out/app.txt", "app")]);
    let r = run(
        &p,
        "version: 0.2\nenv:\n  exported-variables: [SEEN, AT_BUILD]\nphases:\n  build:\n    commands:\n      - export AT_BUILD=$CODEBUILD_BUILD_SUCCEEDING\n      - false\n  post_build:\n    commands:\n      - export SEEN=$CODEBUILD_BUILD_SUCCEEDING\nartifacts:\n  files: ['out/*']\n",
    );
    assert_eq!(r.status, PhaseStatus::Failed);
    assert_eq!(
        phases(&r),
        [
            "PROVISIONING SUCCEEDED",
            "DOWNLOAD_SOURCE SUCCEEDED",
            "BUILD FAILED",
            "POST_BUILD SUCCEEDED",
            "UPLOAD_ARTIFACTS SUCCEEDED",
            "FINALIZING SUCCEEDED"
        ]
    );
    assert_eq!(r.exported_variables["AT_BUILD"], "1");
    assert_eq!(r.exported_variables["SEEN"], "0");
    assert_eq!(r.artifacts[0].files, ["out/app.txt"]);
}

#[test]
fn on_failure_continue_goes_on_with_the_next_phase() {
    let p = project(&[]);
    let r = run(
        &p,
        "version: 0.2\nphases:\n  install:\n    on-failure: CONTINUE\n    commands: [exit 1]\n  pre_build:\n    commands: ['echo pre ran']\n",
    );
    assert_eq!(r.status, PhaseStatus::Failed);
    assert_eq!(
        phases(&r)[2..4],
        [
            "INSTALL FAILED".to_string(),
            "PRE_BUILD SUCCEEDED".to_string()
        ]
    );
    assert!(log(&r).contains("pre ran"));
}

#[test]
fn one_shell_session_across_phases() {
    let p = project(&[("sub/file.txt", "hello")]);
    let r = run(
        &p,
        "version: 0.2\nenv:\n  shell: bash\n  variables:\n    GREETING: hi there\n  exported-variables: [WHERE, FROM_INSTALL, BUILD_ID]\nphases:\n  install:\n    commands:\n      - cd sub\n      - export FROM_INSTALL=\"$GREETING\"\n  build:\n    commands:\n      - export WHERE=$(basename \"$PWD\")\n      - export BUILD_ID=$CODEBUILD_BUILD_ID\n      - cat file.txt\n",
    );
    assert_eq!(r.status, PhaseStatus::Succeeded, "{}", log(&r));
    assert_eq!(r.exported_variables["WHERE"], "sub");
    assert_eq!(r.exported_variables["FROM_INSTALL"], "hi there");
    assert_eq!(r.exported_variables["BUILD_ID"], r.id);
    assert!(r.id.starts_with("proj:"));
    assert!(log(&r).contains("hello"));
}

#[test]
fn artifacts_follow_globs_base_directory_exclusions_and_discarded_paths() {
    let p = project(&[("src/main.c", "int main;"), ("README.md", "readme")]);
    let spec = "version: 0.2
env:
  variables:
    VERSION: \"1.2\"
phases:
  build:
    commands:
      - mkdir -p dist/lib/skip dist/docs
      - echo bin > dist/app.bin
      - echo lib > dist/lib/a.so
      - echo no > dist/lib/skip/b.so
      - echo doc > dist/docs/index.html
artifacts:
  name: app-$VERSION
  base-directory: dist
  files:
    - '**/*'
  exclude-paths:
    - '**/skip/*'
    - 'docs/**'
  secondary-artifacts:
    manual:
      base-directory: dist
      files: [docs/*.html]
      discard-paths: yes
    sources:
      files: [src/*.c, README.md]
";
    let out = p.dir.parent().unwrap().join("artifacts");
    let mut o = options(&p);
    o.artifacts_dir = Some(out.clone());
    let r = run_with(&p, spec, &o);
    assert_eq!(r.status, PhaseStatus::Succeeded, "{}", log(&r));
    let primary = &r.artifacts[0];
    assert_eq!(primary.identifier, None);
    assert_eq!(primary.name.as_deref(), Some("app-1.2"));
    assert_eq!(primary.files, ["app.bin", "lib/a.so"]);
    assert!(out.join("app.bin").is_file() && out.join("lib/a.so").is_file());
    assert!(!out.join("lib/skip").exists() && !out.join("docs").exists());
    assert_eq!(r.artifacts[1].files, ["index.html"]);
    assert!(out.join("manual/index.html").is_file());
    assert_eq!(r.artifacts[2].files, ["README.md", "src/main.c"]);
    assert!(out.join("sources/src/main.c").is_file());

    // The same build again gives the same digests.
    let again = run(&p, spec);
    for (a, b) in r.artifacts.iter().zip(&again.artifacts) {
        assert_eq!(a.digest, b.digest);
    }

    // No file matching: UPLOAD_ARTIFACTS fails the build.
    let none = run(
        &p,
        "version: 0.2\nphases:\n  build:\n    commands: [true]\nartifacts:\n  files: ['nothing/*']\n",
    );
    assert_eq!(none.status, PhaseStatus::Failed);
    assert!(phases(&none).contains(&"UPLOAD_ARTIFACTS FAILED".to_string()));
}

#[test]
fn caches_are_restored_into_fresh_workspaces() {
    let p = project(&[("deps.lock", "v1")]);
    let spec = "version: 0.2
env:
  exported-variables: [HAD_HOME, HAD_SRC]
phases:
  build:
    commands:
      - if [ -f ~/.cache/tool/blob ]; then export HAD_HOME=yes; else export HAD_HOME=no; fi
      - if [ -f vendor/lib.txt ]; then export HAD_SRC=yes; else export HAD_SRC=no; fi
      - mkdir -p ~/.cache/tool vendor
      - echo data > ~/.cache/tool/blob
      - echo lib > vendor/lib.txt
cache:
  key: deps-$(codebuild-hash-files deps.lock)
  fallback-keys:
    - deps-
  paths:
    - '~/.cache/tool/**/*'
    - 'vendor/**/*'
";
    let first = run(&p, spec);
    assert_eq!(first.status, PhaseStatus::Succeeded, "{}", log(&first));
    assert_eq!(first.exported_variables["HAD_HOME"], "no");
    let c = first.cache.as_ref().unwrap();
    assert!(c.saved && c.restored.is_none());
    assert!(
        !p.dir.join("vendor").exists(),
        "the source directory is never written"
    );

    let second = run(&p, spec);
    assert_eq!(second.exported_variables["HAD_HOME"], "yes");
    assert_eq!(second.exported_variables["HAD_SRC"], "yes");
    assert_eq!(
        second.cache.as_ref().unwrap().restored.as_deref(),
        Some(c.key.as_str())
    );

    // A new lock file: a new key, restored from the fallback prefix.
    std::fs::write(p.dir.join("deps.lock"), "v2").unwrap();
    let third = run(&p, spec);
    let c3 = third.cache.as_ref().unwrap();
    assert_ne!(c3.key, c.key);
    assert_eq!(c3.restored.as_deref(), Some(c.key.as_str()));
    assert_eq!(third.exported_variables["HAD_HOME"], "yes");

    // A failed build does not save.
    let failed = run(
        &p,
        &spec
            .replace(
                "      - echo lib > vendor/lib.txt\n",
                "      - echo lib > vendor/lib.txt\n      - false\n",
            )
            .replace("v2", "v3"),
    );
    assert!(!failed.cache.as_ref().unwrap().saved);
}

#[test]
fn parameters_and_secrets_come_from_the_callers_store_and_are_masked() {
    let p = project(&[]);
    let spec = "version: 0.2\nenv:\n  parameter-store:\n    DB_HOST: /dev/dbHost\n  secrets-manager:\n    DB_PASS: dev/db:password\n  exported-variables: [DB_HOST]\nphases:\n  build:\n    commands:\n      - echo \"host=$DB_HOST pass=$DB_PASS\"\n";
    let mut store = StaticSecrets::default();
    store
        .parameters
        .insert("/dev/dbHost".into(), "db.internal".into());
    store.secrets.insert(
        "dev/db".into(),
        r#"{"password": "hunter2", "user": "app"}"#.into(),
    );
    let mut o = options(&p);
    o.secrets = Some(Arc::new(store));
    let r = run_with(&p, spec, &o);
    assert_eq!(r.status, PhaseStatus::Succeeded, "{}", log(&r));
    assert_eq!(r.exported_variables["DB_HOST"], "db.internal");
    let text = log(&r);
    assert!(text.contains("host=*** pass=***"), "{text}");
    assert!(!text.contains("hunter2"));

    let missing = run(&p, spec);
    assert_eq!(missing.status, PhaseStatus::Failed);
    assert_eq!(
        phases(&missing),
        ["PROVISIONING FAILED", "FINALIZING SUCCEEDED"]
    );
    assert!(
        missing.phases[0]
            .message
            .as_ref()
            .unwrap()
            .contains("/dev/dbHost")
    );
}

#[test]
fn junit_reports_are_summarised_even_when_the_build_fails() {
    let p = project(&[]);
    let xml = r#"<testsuite name="s"><testcase name="a" time="0.1"/><testcase name="b" time="0.2"><failure message="boom"/></testcase></testsuite>"#;
    let spec = format!(
        "version: 0.2\nphases:\n  build:\n    commands:\n      - mkdir -p reports\n      - echo '{xml}' > reports/unit.xml\n      - exit 1\nreports:\n  unit-tests:\n    files: ['*.xml']\n    base-directory: reports\n"
    );
    let r = run(&p, &spec);
    assert_eq!(r.status, PhaseStatus::Failed);
    let s = &r.reports[0];
    assert_eq!(
        (s.group.as_str(), s.total, s.succeeded, s.failed),
        ("unit-tests", 2, 1, 1)
    );
    assert_eq!(s.files, ["unit.xml"]);
    assert_eq!(s.failures[0].message, "boom");
}

#[test]
fn the_time_limit_ends_the_build() {
    let p = project(&[]);
    let mut o = options(&p);
    o.timeout = Duration::from_millis(1500);
    let r = run_with(
        &p,
        "version: 0.2\nphases:\n  build:\n    commands: [sleep 60]\n  post_build:\n    commands: [echo post]\n",
        &o,
    );
    assert_eq!(r.status, PhaseStatus::TimedOut);
    assert!(
        phases(&r).contains(&"BUILD TIMED_OUT".to_string()),
        "{:?}",
        phases(&r)
    );
    assert!(!phases(&r).iter().any(|p| p.starts_with("POST_BUILD")));
}

#[test]
fn the_sandbox_hides_the_source_and_the_network() {
    if !common::sandbox_available("the_sandbox_hides_the_source_and_the_network") {
        return;
    }
    let p = project(&[("secret.txt", "s3cret")]);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let original = p.dir.join("secret.txt");
    let spec = format!(
        "version: 0.2\nenv:\n  exported-variables: [ORIGINAL, COPY, NET, USR]\nphases:\n  build:\n    commands:\n      - if cat {} >/dev/null 2>&1; then export ORIGINAL=read; else export ORIGINAL=denied; fi\n      - if cat secret.txt >/dev/null 2>&1; then export COPY=read; else export COPY=denied; fi\n      - if (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null; then export NET=open; else export NET=denied; fi\n      - if touch /usr/lockgate-probe 2>/dev/null; then export USR=written; else export USR=denied; fi\nenv_shell_placeholder: x\n",
        original.display()
    )
    .replace("env_shell_placeholder: x\n", "")
    .replace("env:\n", "env:\n  shell: bash\n");
    let mut o = options(&p);
    o.sandbox = lockgate_build::SandboxMode::Required;
    let r = run_with(&p, &spec, &o);
    assert_eq!(r.status, PhaseStatus::Succeeded, "{}", log(&r));
    assert!(r.sandboxed);
    let v: BTreeMap<&str, &str> = r
        .exported_variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(v["ORIGINAL"], "denied");
    assert_eq!(v["COPY"], "read");
    assert_eq!(v["NET"], "denied");
    assert_eq!(v["USR"], "denied");

    // With the network asked for, the same connection goes through.
    o.network = true;
    let r = run_with(&p, &spec, &o);
    assert_eq!(r.exported_variables["NET"], "open", "{}", log(&r));
    drop(listener);
    let _: &Path = &p.dir;
}
