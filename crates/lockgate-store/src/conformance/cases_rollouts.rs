//! Conformance cases: rollouts and the leftovers of committed deployments.

use super::{CaseResult, Failure, begin, check, check_eq, check_err, commit, stack, stage};
use crate::artifacts::Digest;
use crate::deploy::{DeploymentKind, DeploymentOutcome};
use crate::error::StoreError;
use crate::function::NewFunctionVersion;
use crate::names::{AliasName, FunctionName};
use crate::rollout::{NewLeftover, NewRollout, RolloutEvent, RolloutStatus};
use crate::status::StackStatus;
use crate::store::Store;

fn new_rollout(alias: &str) -> Result<NewRollout, Failure> {
    Ok(NewRollout {
        deployment: None,
        stage: stage(),
        logical_id: "ApiAliaslive".into(),
        function: FunctionName::new("shop-dev-Api")?,
        alias: AliasName::new(alias)?,
        from_version: 1,
        to_version: 2,
        config: "CodeDeployDefault.LambdaCanary10Percent5Minutes".into(),
    })
}

/// A rollout starts at weight 0, records its steps in order, allows one
/// running rollout per alias, and ends once.
pub async fn rollouts_record_a_timeline(store: &dyn Store) -> CaseResult {
    check_err!(
        store.begin_rollout(new_rollout("live")?).await,
        StoreError::NotFound { kind: "stage", .. }
    );
    store.ensure_stage(&stage()).await?;
    let f = FunctionName::new("shop-dev-Api")?;
    for code in [b"v1", b"v2"] {
        store
            .publish_version(
                &stage(),
                NewFunctionVersion {
                    function: f.clone(),
                    code: Digest::of(code),
                    config: serde_json::json!({}),
                    description: None,
                },
            )
            .await?;
    }
    let r = store.begin_rollout(new_rollout("live")?).await?;
    check_eq!(r.status, RolloutStatus::InProgress);
    check_eq!(r.weight, 0.0);
    check_eq!(r.events.len(), 1);
    check_err!(
        store.begin_rollout(new_rollout("live")?).await,
        StoreError::AlreadyExists { .. }
    );
    // Another alias of the same function may shift at the same time.
    let other = store.begin_rollout(new_rollout("beta")?).await?;
    store
        .record_rollout(
            r.id,
            RolloutEvent::now("Shift", Some(0.1), "10% to version 2"),
        )
        .await?;
    check_err!(
        store
            .record_rollout(r.id, RolloutEvent::now("Shift", Some(1.5), "too much"))
            .await,
        StoreError::InvalidInput(_)
    );
    let running = store.running_rollouts().await?;
    check_eq!(running.len(), 2);
    let done = store
        .finish_rollout(
            r.id,
            RolloutStatus::Succeeded,
            None,
            RolloutEvent::now("End", Some(1.0), "all traffic on version 2"),
        )
        .await?;
    check_eq!(done.status, RolloutStatus::Succeeded);
    check_eq!(done.weight, 1.0);
    check!(
        done.finished_at.is_some(),
        "a finished rollout has an end time"
    );
    let kinds: Vec<&str> = done.events.iter().map(|e| e.kind.as_str()).collect();
    check_eq!(kinds, vec!["Start", "Shift", "End"]);
    check_err!(
        store
            .record_rollout(r.id, RolloutEvent::now("Shift", Some(0.5), "late"))
            .await,
        StoreError::InvalidInput(_)
    );
    check_err!(
        store
            .finish_rollout(
                r.id,
                RolloutStatus::Failed,
                None,
                RolloutEvent::now("End", None, "x")
            )
            .await,
        StoreError::InvalidInput(_)
    );
    // Finished, the alias may shift again.
    let again = store.begin_rollout(new_rollout("live")?).await?;
    let listed = store.list_rollouts(&stage(), 10).await?;
    check_eq!(
        listed.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![again.id, other.id, r.id]
    );
    check_eq!(store.list_rollouts(&stage(), 1).await?.len(), 1);
    check!(
        store
            .get_rollout(crate::rollout::RolloutId(9_999))
            .await?
            .is_none(),
        "unknown rollouts are None"
    );
    Ok(())
}

/// Leftovers are recorded with the commit that leaves them and stay until
/// cleared; a refused commit records none.
pub async fn leftovers_outlive_their_commit(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let s = stack("api")?;
    let d = store
        .begin_deployment(begin(&s, DeploymentKind::Create, 1))
        .await?;
    let mut c = commit(StackStatus::CreateComplete, 1, &["Fn"]);
    c.leftovers = vec![NewLeftover {
        logical_id: "Old".into(),
        resource_type: "AWS::Lambda::Function".into(),
        physical_id: "shop-dev-Old".into(),
        properties: serde_json::json!({"Runtime": "python3.12"}),
        attributes: serde_json::json!({}),
        policy: "Delete".into(),
        secret_paths: vec!["/Environment/Variables/KEY".into()],
    }];
    store
        .finish_deployment(d.id, DeploymentOutcome::Succeeded, c)
        .await?;
    let pending = store.pending_leftovers().await?;
    check_eq!(pending.len(), 1);
    check_eq!(pending[0].stack, s);
    check_eq!(pending[0].physical_id, "shop-dev-Old");
    check_eq!(pending[0].properties["Runtime"], "python3.12");
    check_eq!(pending[0].secret_paths, vec!["/Environment/Variables/KEY"]);
    store.clear_leftover(pending[0].id).await?;
    check!(
        store.pending_leftovers().await?.is_empty(),
        "a cleared leftover is gone"
    );
    Ok(())
}
