//! Conformance cases: apps, stages, stacks and deployments.

use serde_json::json;

use super::{
    CaseResult, begin, check, check_eq, check_err, commit, deploy, output, resource, stack, stage,
};
use crate::deploy::{
    DeploymentKind, DeploymentOutcome, DeploymentStatus, ResourceProgress, StackCommit,
};
use crate::error::StoreError;
use crate::model::NewEvent;
use crate::names::{AppName, StageRef};
use crate::status::{EventStatus, ResourceStatus, StackStatus};
use crate::store::Store;

/// Apps and stages: create, duplicates, ensure, list, delete.
pub async fn apps_and_stages(store: &dyn Store) -> CaseResult {
    let shop = AppName::new("shop")?;
    store.create_app(&shop).await?;
    check_err!(
        store.create_app(&shop).await,
        StoreError::AlreadyExists { kind: "app", .. }
    );
    check!(
        store.get_app(&shop).await?.is_some(),
        "app readable after create"
    );
    check!(
        store.get_app(&AppName::new("nope")?).await?.is_none(),
        "missing app is None"
    );

    let dev = stage();
    store.create_stage(&dev).await?;
    check_err!(
        store.create_stage(&dev).await,
        StoreError::AlreadyExists { kind: "stage", .. }
    );
    check_err!(
        store.create_stage(&StageRef::parse("ghost", "dev")?).await,
        StoreError::NotFound { kind: "app", .. }
    );
    let pr = StageRef::parse("billing", "pr-42")?;
    let made = store.ensure_stage(&pr).await?;
    let again = store.ensure_stage(&pr).await?;
    check_eq!(made, again);
    check_eq!(
        store
            .list_apps()
            .await?
            .iter()
            .map(|a| a.name.to_string())
            .collect::<Vec<_>>(),
        vec!["billing".to_string(), "shop".to_string()]
    );
    store
        .create_stage(&StageRef::parse("shop", "prod")?)
        .await?;
    check_eq!(
        store
            .list_stages(&shop)
            .await?
            .iter()
            .map(|s| s.stage.stage.to_string())
            .collect::<Vec<_>>(),
        vec!["dev".to_string(), "prod".to_string()]
    );
    check_err!(
        store.delete_app(&shop).await,
        StoreError::NotEmpty { kind: "app", .. }
    );
    check!(store.delete_stage(&dev).await?, "stage deleted");
    check!(
        !store.delete_stage(&dev).await?,
        "second delete reports absence"
    );
    check!(store.get_stage(&dev).await?.is_none(), "deleted stage gone");
    check!(
        store
            .delete_stage(&StageRef::parse("shop", "prod")?)
            .await?,
        "prod deleted"
    );
    check!(store.delete_app(&shop).await?, "empty app deleted");
    check!(
        !store.delete_app(&shop).await?,
        "second app delete reports absence"
    );
    Ok(())
}

/// Create, update and delete a stack; versions, statuses, events, history.
pub async fn stack_lifecycle(store: &dyn Store) -> CaseResult {
    let s = stack("shop")?;
    check_err!(
        store
            .begin_deployment(begin(&s, DeploymentKind::Create, 1))
            .await,
        StoreError::NotFound { kind: "stage", .. }
    );
    store.ensure_stage(&stage()).await?;
    check!(
        store.get_stack(&s).await?.is_none(),
        "no stack before create"
    );

    let dep = store
        .begin_deployment(begin(&s, DeploymentKind::Create, 1))
        .await?;
    check!(dep.previous.is_none(), "a new stack has no previous state");
    check_eq!(dep.base_version, 0);
    let during = store
        .get_stack(&s)
        .await?
        .ok_or(super::Failure("stack visible during create".into()))?;
    check_eq!(during.status, StackStatus::CreateInProgress);
    let ev = store
        .record_progress(
            dep.id,
            ResourceProgress::new(
                "Fn",
                "AWS::Lambda::Function",
                ResourceStatus::CreateInProgress,
            ),
        )
        .await?;
    check_eq!(
        ev.status,
        EventStatus::Resource(ResourceStatus::CreateInProgress)
    );
    store
        .record_progress(
            dep.id,
            ResourceProgress::new(
                "Fn",
                "AWS::Lambda::Function",
                ResourceStatus::CreateComplete,
            )
            .with_physical_id("Fn-1"),
        )
        .await?;
    let mut c = commit(StackStatus::CreateComplete, 1, &["Fn", "Table"]);
    c.outputs.push(output("Url", "http://localhost/1", None)?);
    c.events.push(NewEvent::resource(
        "Table",
        "AWS::DynamoDB::Table",
        ResourceStatus::CreateComplete,
    ));
    let created = store
        .finish_deployment(dep.id, DeploymentOutcome::Succeeded, c.clone())
        .await?;
    check_eq!(created.status, StackStatus::CreateComplete);
    check_eq!(created.version, 1);
    check_eq!(created.template, c.template);
    check_eq!(store.list_resources(&s).await?, c.resources);
    check_eq!(store.list_outputs(&s).await?, c.outputs);
    let finished = store
        .get_deployment(dep.id)
        .await?
        .ok_or(super::Failure("deployment kept".into()))?;
    check_eq!(finished.status, DeploymentStatus::Succeeded);
    check!(finished.finished_at.is_some(), "finish time recorded");
    check_eq!(store.deployment_progress(dep.id).await?.len(), 1);
    check_eq!(
        store.deployment_progress(dep.id).await?[0]
            .physical_id
            .as_deref(),
        Some("Fn-1")
    );

    let events = store.list_events(&s, None, 100).await?;
    let statuses: Vec<String> = events
        .iter()
        .map(|e| format!("{}:{}", e.logical_id, e.status))
        .collect();
    check_eq!(
        statuses,
        vec![
            "shop:CREATE_IN_PROGRESS".to_string(),
            "Fn:CREATE_IN_PROGRESS".to_string(),
            "Fn:CREATE_COMPLETE".to_string(),
            "Table:CREATE_COMPLETE".to_string(),
            "shop:CREATE_COMPLETE".to_string(),
        ]
    );
    check!(
        events.windows(2).all(|w| w[0].id < w[1].id),
        "event ids grow"
    );
    let tail = store.list_events(&s, Some(events[2].id), 100).await?;
    check_eq!(tail.len(), 2);
    check_eq!(store.list_events(&s, None, 2).await?.len(), 2);

    let updated = deploy(
        store,
        &s,
        DeploymentKind::Update,
        commit(StackStatus::UpdateComplete, 2, &["Fn"]),
    )
    .await?;
    check_eq!(updated.version, 2);
    check_eq!(updated.status, StackStatus::UpdateComplete);
    check_eq!(store.list_resources(&s).await?, vec![resource("Fn", 2)]);
    check!(
        store.list_outputs(&s).await?.is_empty(),
        "outputs replaced by the commit"
    );
    let snap = store
        .stack_snapshot(&s)
        .await?
        .ok_or(super::Failure("snapshot of a live stack".into()))?;
    check_eq!(snap.version, 2);
    check_eq!(snap.status, StackStatus::UpdateComplete);
    check_eq!(snap.template, super::target(2).template);
    check_eq!(snap.resources, vec![resource("Fn", 2)]);
    check!(
        store.stack_snapshot(&stack("nope")?).await?.is_none(),
        "no snapshot of a missing stack"
    );

    let del = store
        .begin_deployment(begin(&s, DeploymentKind::Delete, 2))
        .await?;
    check_eq!(
        del.previous.as_ref().map(|p| p.resources.clone()),
        Some(vec![resource("Fn", 2)])
    );
    let gone = store
        .finish_deployment(
            del.id,
            DeploymentOutcome::Succeeded,
            StackCommit::empty(StackStatus::DeleteComplete, json!({}), json!({})),
        )
        .await?;
    check_eq!(gone.status, StackStatus::DeleteComplete);
    check!(
        store.list_resources(&s).await?.is_empty(),
        "no resources after delete"
    );
    let history = store.list_deployments(&s, 10).await?;
    check_eq!(
        history.iter().map(|d| d.kind).collect::<Vec<_>>(),
        vec![
            DeploymentKind::Delete,
            DeploymentKind::Update,
            DeploymentKind::Create
        ]
    );
    check_eq!(store.list_deployments(&s, 1).await?.len(), 1);
    // Each deployment's begin and finish are in the audit log, by its initiator.
    let audit = store
        .list_audit(crate::AuditQuery {
            target: Some(s.to_string()),
            ..Default::default()
        })
        .await?;
    check_eq!(audit.len(), 6);
    check!(
        audit.iter().all(|e| e.actor == "alice"),
        "audited as the initiator"
    );
    check_eq!(audit[0].action, "deployment.finish");
    check_eq!(audit[0].details["outcome"], "SUCCEEDED");
    check_eq!(audit[1].action, "deployment.begin");
    check_eq!(audit[1].details["kind"], "DELETE");
    // A deleted stack can be created again; its version keeps counting.
    let again = deploy(
        store,
        &s,
        DeploymentKind::Create,
        commit(StackStatus::CreateComplete, 3, &["Fn"]),
    )
    .await?;
    check_eq!(again.version, 4);
    check_eq!(store.list_stacks(&stage()).await?.len(), 1);
    Ok(())
}

/// One running deployment per stack; operations refused in the wrong state.
pub async fn one_deployment_at_a_time(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let s = stack("shop")?;
    check_err!(
        store
            .begin_deployment(begin(&s, DeploymentKind::Update, 1))
            .await,
        StoreError::NotFound { kind: "stack", .. }
    );
    let first = store
        .begin_deployment(begin(&s, DeploymentKind::Create, 1))
        .await?;
    match store
        .begin_deployment(begin(&s, DeploymentKind::Update, 2))
        .await
    {
        Err(StoreError::DeploymentInProgress { deployment, .. }) => check_eq!(deployment, first.id),
        other => {
            return Err(super::Failure(format!(
                "second begin gave {:?}",
                other.map(|d| d.id)
            )));
        }
    }
    check_err!(
        store
            .finish_deployment(
                first.id,
                DeploymentOutcome::Succeeded,
                commit(StackStatus::UpdateInProgress, 1, &[])
            )
            .await,
        StoreError::InvalidInput(_)
    );
    store
        .finish_deployment(
            first.id,
            DeploymentOutcome::Succeeded,
            commit(StackStatus::CreateComplete, 1, &["Fn"]),
        )
        .await?;
    check_err!(
        store
            .finish_deployment(
                first.id,
                DeploymentOutcome::Succeeded,
                commit(StackStatus::CreateComplete, 1, &[])
            )
            .await,
        StoreError::DeploymentNotInProgress {
            status: DeploymentStatus::Succeeded,
            ..
        }
    );
    check_err!(
        store
            .record_progress(
                first.id,
                ResourceProgress::new(
                    "Fn",
                    "AWS::Lambda::Function",
                    ResourceStatus::UpdateComplete
                )
            )
            .await,
        StoreError::DeploymentNotInProgress { .. }
    );
    check_err!(
        store
            .begin_deployment(begin(&s, DeploymentKind::Create, 2))
            .await,
        StoreError::AlreadyExists { kind: "stack", .. }
    );
    check_err!(
        store
            .get_deployment(crate::DeploymentId(first.id.0 + 1000))
            .await
            .and_then(|d| d.ok_or(StoreError::not_found("deployment", "x"))),
        StoreError::NotFound { .. }
    );
    Ok(())
}

/// A commit refused midway leaves the stack exactly as it was.
pub async fn failed_commit_changes_nothing(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let s = stack("shop")?;
    deploy(
        store,
        &s,
        DeploymentKind::Create,
        commit(StackStatus::CreateComplete, 1, &["A", "B"]),
    )
    .await?;
    let before = store.get_stack(&s).await?;
    let before_resources = store.list_resources(&s).await?;
    let dep = store
        .begin_deployment(begin(&s, DeploymentKind::Update, 2))
        .await?;
    let mut bad = commit(StackStatus::UpdateComplete, 2, &["A", "C"]);
    bad.resources.push(resource("A", 3));
    check_err!(
        store
            .finish_deployment(dep.id, DeploymentOutcome::Succeeded, bad)
            .await,
        StoreError::InvalidInput(_)
    );
    check_eq!(store.list_resources(&s).await?, before_resources);
    let during = store.get_stack(&s).await?;
    check_eq!(
        during.as_ref().map(|x| x.version),
        before.as_ref().map(|x| x.version)
    );
    check_eq!(
        during.map(|x| x.status),
        Some(StackStatus::UpdateInProgress)
    );
    // The deployment is still running and can still finish.
    let ok = store
        .finish_deployment(
            dep.id,
            DeploymentOutcome::Succeeded,
            commit(StackStatus::UpdateComplete, 2, &["A", "C"]),
        )
        .await?;
    check_eq!(ok.version, 2);
    Ok(())
}

/// A rolled-back deployment puts the previous state back.
pub async fn rollback_restores_previous_state(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let s = stack("shop")?;
    let mut c1 = commit(StackStatus::CreateComplete, 1, &["A", "B"]);
    c1.outputs.push(output("Url", "u1", None)?);
    deploy(store, &s, DeploymentKind::Create, c1.clone()).await?;
    let dep = store
        .begin_deployment(begin(&s, DeploymentKind::Update, 2))
        .await?;
    let previous = dep
        .previous
        .clone()
        .ok_or(super::Failure("update has a previous state".into()))?;
    check_eq!(previous.resources, c1.resources);
    check_eq!(previous.outputs, c1.outputs);
    check_eq!(previous.template, c1.template);
    check_eq!(previous.status, StackStatus::CreateComplete);
    store
        .record_progress(
            dep.id,
            ResourceProgress::new("C", "AWS::Lambda::Function", ResourceStatus::CreateFailed),
        )
        .await?;
    let back = store
        .finish_deployment(
            dep.id,
            DeploymentOutcome::RolledBack,
            StackCommit::restore(&previous, DeploymentKind::Update.rolled_back_status()),
        )
        .await?;
    check_eq!(back.status, StackStatus::UpdateRollbackComplete);
    check_eq!(back.template, c1.template);
    check_eq!(store.list_resources(&s).await?, c1.resources);
    check_eq!(store.list_outputs(&s).await?, c1.outputs);
    let d = store
        .get_deployment(dep.id)
        .await?
        .ok_or(super::Failure("deployment kept".into()))?;
    check_eq!(d.status, DeploymentStatus::RolledBack);
    // A rolled-back stack can be updated again.
    deploy(
        store,
        &s,
        DeploymentKind::Update,
        commit(StackStatus::UpdateComplete, 3, &["A"]),
    )
    .await?;
    Ok(())
}

/// Deployments left running are listed with their progress until finished.
pub async fn recover_interrupted_deployments(store: &dyn Store) -> CaseResult {
    store.ensure_stage(&stage()).await?;
    let a = stack("alpha")?;
    let b = stack("beta")?;
    deploy(
        store,
        &a,
        DeploymentKind::Create,
        commit(StackStatus::CreateComplete, 1, &["A"]),
    )
    .await?;
    check!(
        store.recover_interrupted().await?.is_empty(),
        "nothing to recover"
    );
    let da = store
        .begin_deployment(begin(&a, DeploymentKind::Update, 2))
        .await?;
    let db = store
        .begin_deployment(begin(&b, DeploymentKind::Create, 1))
        .await?;
    store
        .record_progress(
            da.id,
            ResourceProgress::new("New", "AWS::SQS::Queue", ResourceStatus::CreateInProgress),
        )
        .await?;
    let mut done = ResourceProgress::new("New", "AWS::SQS::Queue", ResourceStatus::CreateComplete)
        .with_physical_id("queue-1");
    done.attributes = Some(json!({ "Arn": "arn:queue-1" }));
    store.record_progress(da.id, done).await?;
    // A later record without a physical ID keeps the known one.
    store
        .record_progress(
            da.id,
            ResourceProgress::new("New", "AWS::SQS::Queue", ResourceStatus::DeleteInProgress),
        )
        .await?;
    let found = store.recover_interrupted().await?;
    check_eq!(
        found.iter().map(|i| i.deployment.id).collect::<Vec<_>>(),
        vec![da.id, db.id]
    );
    let first = &found[0];
    check_eq!(first.deployment.stack, a);
    check_eq!(first.deployment.target, super::target(2));
    check_eq!(first.progress.len(), 1);
    check_eq!(first.progress[0].physical_id.as_deref(), Some("queue-1"));
    check_eq!(first.progress[0].status, ResourceStatus::DeleteInProgress);
    check_eq!(
        first.progress[0].attributes,
        Some(json!({ "Arn": "arn:queue-1" }))
    );
    check_eq!(
        first
            .deployment
            .previous
            .as_ref()
            .map(|p| p.resources.clone()),
        Some(vec![resource("A", 1)])
    );
    let prev = first
        .deployment
        .previous
        .clone()
        .ok_or(super::Failure("previous kept".into()))?;
    store
        .finish_deployment(
            da.id,
            DeploymentOutcome::RolledBack,
            StackCommit::restore(&prev, StackStatus::UpdateRollbackComplete),
        )
        .await?;
    store
        .finish_deployment(
            db.id,
            DeploymentOutcome::RolledBack,
            StackCommit::empty(StackStatus::RollbackComplete, json!({}), json!({})),
        )
        .await?;
    check!(
        store.recover_interrupted().await?.is_empty(),
        "all recovered"
    );
    check_eq!(store.list_resources(&a).await?, vec![resource("A", 1)]);
    // A create rolled back can be created again.
    deploy(
        store,
        &b,
        DeploymentKind::Create,
        commit(StackStatus::CreateComplete, 2, &["B"]),
    )
    .await?;
    Ok(())
}
