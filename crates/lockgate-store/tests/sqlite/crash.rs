//! Crash safety: a child process is killed with SIGKILL in the middle of a
//! deployment, and the reopened database holds the old state or the new,
//! never a mix, with the interrupted deployment listed for recovery.
//!
//! The child is this test binary run again, selecting the ignored helper test
//! `crash::crash_child_helper`, with the data dir and a mode in the
//! environment. Synchronisation is by a marker line on the child's stdout, not
//! by sleeping.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use lockgate_store::{
    BeginDeployment, DeploymentKind, DeploymentOutcome, Output, ResourceProgress, ResourceState,
    ResourceStatus, SqliteStore, StackCommit, StackRef, StackStatus, StackTarget, StageRef, Store,
};
use serde_json::{Value, json};

const DIR_ENV: &str = "LOCKGATE_STORE_CRASH_DIR";
const MODE_ENV: &str = "LOCKGATE_STORE_CRASH_MODE";
const MARKER: &str = "LOCKGATE-CRASH-POINT-REACHED";
const RESOURCES: usize = 200;

fn stack() -> StackRef {
    StackRef::parse("shop", "dev", "shop").expect("valid names")
}

fn target(generation: u64) -> StackTarget {
    StackTarget {
        template: json!({ "Generation": generation }),
        parameters: json!({ "Generation": generation }),
    }
}

fn full_commit(status: StackStatus, generation: u64) -> StackCommit {
    let t = target(generation);
    StackCommit {
        status,
        status_reason: None,
        template: t.template,
        parameters: t.parameters,
        resources: (0..RESOURCES)
            .map(|i| ResourceState {
                logical_id: format!("Resource{i:04}"),
                resource_type: "AWS::SQS::Queue".into(),
                physical_id: Some(format!("queue-{i}-gen-{generation}")),
                properties: json!({ "Generation": generation, "Padding": "x".repeat(200) }),
                status: ResourceStatus::UpdateComplete,
                status_reason: None,
                attributes: json!({ "Arn": format!("arn:queue:{i}:{generation}") }),
            })
            .collect(),
        outputs: vec![Output {
            key: "Generation".into(),
            value: generation.to_string(),
            description: None,
            export_name: None,
            export_value: None,
        }],
        imports: Vec::new(),
        events: Vec::new(),
        leftovers: Vec::new(),
    }
}

fn begin(kind: DeploymentKind, generation: u64) -> BeginDeployment {
    BeginDeployment {
        stack: stack(),
        kind,
        initiated_by: "crash-test".into(),
        change_set: json!({ "Generation": generation }),
        target: target(generation),
    }
}

async fn deploy(store: &dyn Store, kind: DeploymentKind, generation: u64, status: StackStatus) {
    let dep = store
        .begin_deployment(begin(kind, generation))
        .await
        .expect("begin");
    for i in 0..5 {
        store
            .record_progress(
                dep.id,
                ResourceProgress::new(
                    format!("Resource{i:04}"),
                    "AWS::SQS::Queue",
                    ResourceStatus::UpdateComplete,
                )
                .with_physical_id(format!("queue-{i}-gen-{generation}")),
            )
            .await
            .expect("progress");
    }
    store
        .finish_deployment(
            dep.id,
            DeploymentOutcome::Succeeded,
            full_commit(status, generation),
        )
        .await
        .expect("finish");
}

fn pause_at(point: &'static str) -> lockgate_store::sqlite::Failpoint {
    Arc::new(move |name: &str| {
        if name == point {
            println!("{MARKER}");
            // Hold the open transaction until the parent kills us.
            loop {
                std::thread::park();
            }
        }
    })
}

/// The child side: not a test of its own, run only by the tests below.
#[tokio::test]
#[ignore = "helper process for the crash tests; they run it"]
async fn crash_child_helper() {
    let (Ok(dir), Ok(mode)) = (std::env::var(DIR_ENV), std::env::var(MODE_ENV)) else {
        panic!("run by the crash tests only");
    };
    let mut store = SqliteStore::open(Path::new(&dir)).await.expect("open");
    store
        .ensure_stage(&StageRef::parse("shop", "dev").expect("valid"))
        .await
        .expect("stage");
    deploy(
        &store,
        DeploymentKind::Create,
        1,
        StackStatus::CreateComplete,
    )
    .await;
    match mode.as_str() {
        "finish" | "begin" => {
            let point = if mode == "finish" {
                "finish_deployment:before_commit"
            } else {
                "begin_deployment:before_commit"
            };
            store.set_failpoint(pause_at(point));
            let dep = store
                .begin_deployment(begin(DeploymentKind::Update, 2))
                .await
                .expect("begin");
            store
                .record_progress(
                    dep.id,
                    ResourceProgress::new(
                        "NewQueue",
                        "AWS::SQS::Queue",
                        ResourceStatus::CreateComplete,
                    )
                    .with_physical_id("queue-new-gen-2"),
                )
                .await
                .expect("progress");
            store
                .finish_deployment(
                    dep.id,
                    DeploymentOutcome::Succeeded,
                    full_commit(StackStatus::UpdateComplete, 2),
                )
                .await
                .expect("finish");
            panic!("the failpoint should have stopped the child");
        }
        "loop" => {
            // Announce the third update's final transaction as it starts
            // writing, without stopping: the kill lands somewhere in or after it.
            let seen = Arc::new(AtomicUsize::new(0));
            store.set_failpoint(Arc::new(move |name: &str| {
                if name == "finish_deployment:writing" && seen.fetch_add(1, Ordering::SeqCst) == 2 {
                    println!("{MARKER}");
                }
            }));
            for generation in 2.. {
                deploy(
                    &store,
                    DeploymentKind::Update,
                    generation,
                    StackStatus::UpdateComplete,
                )
                .await;
            }
        }
        other => panic!("unknown mode {other}"),
    }
}

/// Runs the child until it prints the marker, then kills it with SIGKILL.
fn run_child_and_kill(dir: &Path, mode: &str) {
    let exe = std::env::current_exe().expect("test binary path");
    let mut child = Command::new(exe)
        .args([
            "--ignored",
            "--exact",
            "crash::crash_child_helper",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(DIR_ENV, dir)
        .env(MODE_ENV, mode)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut reached = false;
    for line in BufReader::new(stdout).lines() {
        if line.expect("child output").contains(MARKER) {
            reached = true;
            break;
        }
    }
    child.kill().expect("kill -9 the child");
    let status = child.wait().expect("reap child");
    assert!(
        reached,
        "child ended ({status}) before reaching the crash point"
    );
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "child was killed by SIGKILL");
    }
}

fn generation_of(v: &Value) -> u64 {
    v.get("Generation")
        .and_then(Value::as_u64)
        .expect("generation recorded")
}

/// Asserts the stack is wholly at one generation; returns it.
async fn assert_consistent(store: &SqliteStore) -> u64 {
    assert_eq!(
        store.integrity_check().await.expect("integrity"),
        vec!["ok".to_string()]
    );
    let st = store
        .get_stack(&stack())
        .await
        .expect("read")
        .expect("stack exists");
    let generation = generation_of(&st.template);
    assert_eq!(generation_of(&st.parameters), generation);
    let resources = store.list_resources(&stack()).await.expect("resources");
    assert_eq!(resources.len(), RESOURCES, "resources all present");
    for r in &resources {
        assert_eq!(
            generation_of(&r.properties),
            generation,
            "{} mixes generations",
            r.logical_id
        );
    }
    let outputs = store.list_outputs(&stack()).await.expect("outputs");
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].value, generation.to_string());
    generation
}

/// Rolls back interrupted deployments as an engine would at startup.
async fn recover(store: &SqliteStore) -> usize {
    let interrupted = store.recover_interrupted().await.expect("recover");
    for i in &interrupted {
        let previous = i
            .deployment
            .previous
            .as_ref()
            .expect("update has a previous state");
        store
            .finish_deployment(
                i.deployment.id,
                DeploymentOutcome::RolledBack,
                StackCommit::restore(previous, StackStatus::UpdateRollbackComplete),
            )
            .await
            .expect("roll back");
    }
    interrupted.len()
}

#[tokio::test]
async fn kill_during_final_commit_keeps_old_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    run_child_and_kill(dir.path(), "finish");
    let store = SqliteStore::open(dir.path())
        .await
        .expect("reopen after kill");
    assert_eq!(
        assert_consistent(&store).await,
        1,
        "the uncommitted generation 2 left no trace"
    );
    let st = store
        .get_stack(&stack())
        .await
        .expect("read")
        .expect("stack");
    assert_eq!(st.status, StackStatus::UpdateInProgress);
    assert_eq!(st.version, 1);
    let interrupted = store.recover_interrupted().await.expect("recover");
    assert_eq!(interrupted.len(), 1);
    let i = &interrupted[0];
    assert_eq!(i.deployment.kind, DeploymentKind::Update);
    assert_eq!(i.deployment.target, target(2));
    assert_eq!(i.deployment.base_version, 1);
    assert_eq!(
        i.progress.len(),
        1,
        "the progress committed before the crash survives"
    );
    assert_eq!(
        i.progress[0].physical_id.as_deref(),
        Some("queue-new-gen-2")
    );
    assert_eq!(recover(&store).await, 1);
    assert_eq!(assert_consistent(&store).await, 1);
    let st = store
        .get_stack(&stack())
        .await
        .expect("read")
        .expect("stack");
    assert_eq!(st.status, StackStatus::UpdateRollbackComplete);
    // The stack works again.
    deploy(
        &store,
        DeploymentKind::Update,
        3,
        StackStatus::UpdateComplete,
    )
    .await;
    assert_eq!(assert_consistent(&store).await, 3);
}

#[tokio::test]
async fn kill_during_begin_leaves_no_deployment() {
    let dir = tempfile::tempdir().expect("temp dir");
    run_child_and_kill(dir.path(), "begin");
    let store = SqliteStore::open(dir.path())
        .await
        .expect("reopen after kill");
    assert_eq!(assert_consistent(&store).await, 1);
    let st = store
        .get_stack(&stack())
        .await
        .expect("read")
        .expect("stack");
    assert_eq!(
        st.status,
        StackStatus::CreateComplete,
        "status untouched by the lost begin"
    );
    assert!(
        store
            .recover_interrupted()
            .await
            .expect("recover")
            .is_empty()
    );
    deploy(
        &store,
        DeploymentKind::Update,
        2,
        StackStatus::UpdateComplete,
    )
    .await;
    assert_eq!(assert_consistent(&store).await, 2);
}

#[tokio::test]
async fn kill_during_continuous_deploys_is_consistent() {
    let dir = tempfile::tempdir().expect("temp dir");
    run_child_and_kill(dir.path(), "loop");
    let store = SqliteStore::open(dir.path())
        .await
        .expect("reopen after kill");
    // Wherever the kill landed, the stack is wholly at one generation…
    let generation = assert_consistent(&store).await;
    let st = store
        .get_stack(&stack())
        .await
        .expect("read")
        .expect("stack");
    let interrupted = store.recover_interrupted().await.expect("recover");
    assert!(interrupted.len() <= 1);
    eprintln!(
        "killed at generation {generation}, stack version {}, {} deployment(s) interrupted",
        st.version,
        interrupted.len()
    );
    if let Some(i) = interrupted.first() {
        // …and a deployment caught mid-way starts from exactly that state.
        assert_eq!(st.status, StackStatus::UpdateInProgress);
        assert_eq!(i.deployment.base_version, st.version);
        let previous = i.deployment.previous.as_ref().expect("previous");
        assert_eq!(generation_of(&previous.template), generation);
        assert_eq!(generation_of(&i.deployment.target.template), generation + 1);
    } else {
        assert!(matches!(
            st.status,
            StackStatus::CreateComplete | StackStatus::UpdateComplete
        ));
    }
    recover(&store).await;
    assert_eq!(assert_consistent(&store).await, generation);
    deploy(
        &store,
        DeploymentKind::Update,
        generation + 100,
        StackStatus::UpdateComplete,
    )
    .await;
    assert_eq!(assert_consistent(&store).await, generation + 100);
}
