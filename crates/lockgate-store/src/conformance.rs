//! The conformance suite every [`Store`] backend must pass.
//!
//! Each case takes a fresh, empty store and returns `Err(Failure)` naming the
//! broken promise. The module exists only with the store's `conformance`
//! feature, which a backend crate turns on for its tests
//! (`lockgate-store = { …, features = ["conformance"] }` under
//! `[dev-dependencies]`); it then runs them all with one line:
//!
//! ```ignore
//! lockgate_store::conformance_tests!(async {
//!     let dir = tempfile::tempdir().unwrap();
//!     let store = lockgate_store::SqliteStore::open(dir.path()).await.unwrap();
//!     (dir, store) // the first element is kept alive for the test's duration
//! });
//! ```

use std::fmt;

use serde_json::{Value, json};

use crate::deploy::{
    BeginDeployment, DeploymentKind, DeploymentOutcome, DeploymentStatus, ResourceProgress,
    StackCommit, StackTarget,
};
use crate::error::StoreError;
use crate::model::{Output, ResourceState, Stack};
use crate::names::{ExportName, StackName, StackRef, StageRef};
use crate::status::{ResourceStatus, StackStatus};
use crate::store::Store;

mod cases;
mod cases_more;
mod cases_rollouts;

pub use cases::*;
pub use cases_more::*;
pub use cases_rollouts::*;

/// A broken promise, with where it was checked.
pub struct Failure(pub String);

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        Failure(format!("unexpected store error: {e}"))
    }
}

/// The result of one conformance case.
pub type CaseResult = Result<(), Failure>;

/// Fails the case unless the condition holds.
#[macro_export]
#[doc(hidden)]
macro_rules! __check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::conformance::Failure(format!(
                "{}:{}: {}", file!(), line!(), format!($($fmt)+)
            )));
        }
    };
}
pub(crate) use __check as check;

/// Fails the case unless the two values are equal.
#[macro_export]
#[doc(hidden)]
macro_rules! __check_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if l != r {
                    return Err($crate::conformance::Failure(format!(
                        "{}:{}: `{}` is {:?}, expected {:?}",
                        file!(),
                        line!(),
                        stringify!($left),
                        l,
                        r
                    )));
                }
            }
        }
    };
}
pub(crate) use __check_eq as check_eq;

/// Fails the case unless the result is an error matching the pattern.
#[macro_export]
#[doc(hidden)]
macro_rules! __check_err {
    ($result:expr, $pat:pat) => {{
        match $result {
            Err($pat) => {}
            other => {
                return Err($crate::conformance::Failure(format!(
                    "{}:{}: `{}` gave {:?}, expected {}",
                    file!(),
                    line!(),
                    stringify!($result),
                    other.map(|_| ()),
                    stringify!($pat)
                )));
            }
        }
    }};
}
pub(crate) use __check_err as check_err;

/// Generates one `#[tokio::test]` per conformance case. `$factory` is an
/// expression evaluating to a future of `(guard, store)`; a fresh store is
/// made for every case and `guard` (a temp dir, say) lives as long as it.
/// The calling crate needs `tokio` with its `macros` and `rt` features.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@cases $factory;
            apps_and_stages, stack_lifecycle, one_deployment_at_a_time,
            failed_commit_changes_nothing, rollback_restores_previous_state,
            recover_interrupted_deployments, exports_and_imports,
            function_versions_and_aliases, parameters_and_versions,
            secure_strings_sealed, parameters_by_path, audit_log,
            stage_deletion_rules, rollouts_record_a_timeline,
            leftovers_outlive_their_commit);
    };
    (@cases $factory:expr; $($case:ident),+) => {
        $(
            #[tokio::test]
            async fn $case() {
                let (_guard, store) = $factory.await;
                let result = $crate::conformance::$case(&store).await;
                if let Err(failure) = result {
                    panic!("conformance case `{}` failed: {failure}", stringify!($case));
                }
            }
        )+
    };
}

// ---- shared fixtures -------------------------------------------------------

pub(crate) fn stage() -> StageRef {
    StageRef::parse("shop", "dev").unwrap_or_else(|_| unreachable!("valid literal names"))
}

pub(crate) fn stack(name: &str) -> Result<StackRef, Failure> {
    Ok(stage().stack(StackName::new(name)?))
}

pub(crate) fn target(generation: u32) -> StackTarget {
    StackTarget {
        template: json!({ "Resources": { "Fn": { "Type": "AWS::Lambda::Function" } }, "Generation": generation }),
        parameters: json!({ "Generation": generation.to_string() }),
    }
}

pub(crate) fn resource(logical_id: &str, generation: u32) -> ResourceState {
    ResourceState {
        logical_id: logical_id.to_string(),
        resource_type: "AWS::Lambda::Function".to_string(),
        physical_id: Some(format!("{logical_id}-{generation}")),
        properties: json!({ "Generation": generation }),
        status: ResourceStatus::CreateComplete,
        status_reason: None,
        attributes: json!({ "Arn": format!("arn:lockgate:{logical_id}:{generation}") }),
    }
}

pub(crate) fn output(key: &str, value: &str, export: Option<&str>) -> Result<Output, Failure> {
    Ok(Output {
        key: key.to_string(),
        value: value.to_string(),
        description: None,
        export_name: export.map(ExportName::new).transpose()?,
        export_value: None,
    })
}

pub(crate) fn commit(status: StackStatus, generation: u32, resources: &[&str]) -> StackCommit {
    let t = target(generation);
    StackCommit {
        status,
        status_reason: None,
        template: t.template,
        parameters: t.parameters,
        resources: resources.iter().map(|r| resource(r, generation)).collect(),
        outputs: Vec::new(),
        imports: Vec::new(),
        events: Vec::new(),
        leftovers: Vec::new(),
    }
}

pub(crate) fn begin(stack: &StackRef, kind: DeploymentKind, generation: u32) -> BeginDeployment {
    BeginDeployment {
        stack: stack.clone(),
        kind,
        initiated_by: "alice".to_string(),
        change_set: json!({ "Changes": [], "Generation": generation }),
        target: target(generation),
    }
}

/// Runs a whole successful deletion of `stack` (its begin record at
/// `generation`), leaving it `DELETE_COMPLETE`.
pub(crate) async fn delete_stack(
    store: &dyn Store,
    stack: &StackRef,
    generation: u32,
) -> Result<Stack, Failure> {
    let del = store
        .begin_deployment(begin(stack, DeploymentKind::Delete, generation))
        .await?;
    Ok(store
        .finish_deployment(
            del.id,
            DeploymentOutcome::Succeeded,
            StackCommit::empty(StackStatus::DeleteComplete, json!({}), json!({})),
        )
        .await?)
}

/// Runs a whole successful deployment: begin, one progress record per
/// resource, finish.
pub(crate) async fn deploy(
    store: &dyn Store,
    stack: &StackRef,
    kind: DeploymentKind,
    commit: StackCommit,
) -> Result<Stack, Failure> {
    let generation = commit
        .template
        .get("Generation")
        .and_then(Value::as_u64)
        .and_then(|g| u32::try_from(g).ok())
        .unwrap_or(0);
    let dep = store
        .begin_deployment(begin(stack, kind, generation))
        .await?;
    check_eq!(dep.status, DeploymentStatus::InProgress);
    for r in &commit.resources {
        let mut p = ResourceProgress::new(
            &r.logical_id,
            &r.resource_type,
            ResourceStatus::CreateComplete,
        );
        p.physical_id = r.physical_id.clone();
        store.record_progress(dep.id, p).await?;
    }
    Ok(store
        .finish_deployment(dep.id, DeploymentOutcome::Succeeded, commit)
        .await?)
}
