//! Phase 4, record: every provider call is recorded in the store before and
//! after it runs (so a crash leaves a trail recovery follows), and the
//! stack's live state follows each completed step (so a rollout sees what
//! this deployment created). Also the commits that end a deployment.

use std::collections::BTreeSet;
use std::sync::Arc;

use lockgate_engine::ProviderError;
use lockgate_engine::apply::{BoxFuture, Physical, Provider, Providers, Step};
use lockgate_engine::changeset::{REDACTED, SecretPaths};
use lockgate_store::{
    Deployment, DeploymentId, NewLeftover, ResourceProgress, ResourceState, ResourceStatus,
    StackCommit, StackStatus, StackTarget, Store,
};
use serde_json::{Map, Value};

use crate::resources::StageCtx;

/// Wraps every provider of `inner` so each call is recorded under
/// `deployment`; the reason of a failure never shows a value at `secrets`
/// (where the properties given derive from a NoEcho parameter).
pub(crate) fn recording(
    inner: &Providers,
    types: impl IntoIterator<Item = String>,
    store: &Arc<dyn Store>,
    deployment: DeploymentId,
    ctx: &Arc<StageCtx>,
    secrets: SecretPaths,
) -> Providers {
    let secrets = Arc::new(secrets);
    wrapped(inner, types, |ty, inner| {
        Arc::new(Recording {
            inner,
            resource_type: ty.to_string(),
            store: store.clone(),
            deployment,
            ctx: ctx.clone(),
            secrets: secrets.clone(),
        })
    })
}

/// Wraps every provider of `inner` so the reason of a failure never shows
/// a value at `secrets`, for calls made outside a deployment: the cleanup
/// of what left a stack, whose deletions no deployment records.
pub(crate) fn masking(
    inner: &Providers,
    types: impl IntoIterator<Item = String>,
    secrets: SecretPaths,
) -> Providers {
    let secrets = Arc::new(secrets);
    wrapped(inner, types, |_, inner| {
        Arc::new(Masking {
            inner,
            secrets: secrets.clone(),
        })
    })
}

/// The providers of `inner` for `types`, each wrapped by `wrap` (given
/// its type).
fn wrapped(
    inner: &Providers,
    types: impl IntoIterator<Item = String>,
    wrap: impl Fn(&str, Arc<dyn Provider>) -> Arc<dyn Provider>,
) -> Providers {
    let mut out = Providers::new(None);
    for ty in types {
        if let Some(provider) = inner.get(&ty) {
            out.insert(&ty, wrap(&ty, provider));
        }
    }
    out
}

/// `e` with what derives from a secret in `props` masked in its reason,
/// when `secrets` says where that is for resource `id`.
fn mask_reason(
    secrets: &SecretPaths,
    id: &str,
    props: &Map<String, Value>,
    mut e: ProviderError,
) -> ProviderError {
    if let Some(paths) = secrets.get(id) {
        e.message = masked(&e.message, props, paths);
    }
    e
}

/// Masks what derives from a secret in the reasons of failed calls.
struct Masking {
    inner: Arc<dyn Provider>,
    secrets: Arc<SecretPaths>,
}

impl Masking {
    fn mask(&self, id: &str, props: &[&Map<String, Value>], e: ProviderError) -> ProviderError {
        props
            .iter()
            .fold(e, |e, p| mask_reason(&self.secrets, id, p, e))
    }
}

impl Provider for Masking {
    fn create<'a>(
        &'a self,
        step: Step<'a>,
        props: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move {
            let r = self.inner.create(step, props).await;
            r.map_err(|e| self.mask(step.logical_id, &[props], e))
        })
    }

    fn update<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move {
            let r = self.inner.update(step, current, old, new).await;
            r.map_err(|e| self.mask(step.logical_id, &[old, new], e))
        })
    }

    fn delete<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        props: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let r = self.inner.delete(step, current, props).await;
            r.map_err(|e| self.mask(step.logical_id, &[props], e))
        })
    }
}

/// Records every provider call in the store before and after it runs.
struct Recording {
    inner: Arc<dyn Provider>,
    resource_type: String,
    store: Arc<dyn Store>,
    deployment: DeploymentId,
    ctx: Arc<StageCtx>,
    secrets: Arc<SecretPaths>,
}

/// `message` with every value found in `props` at `paths` (JSON pointers
/// into them: where they derive from a secret) shown `****`: a provider's
/// message may quote a property (a name AWS refuses), and what it says
/// goes to the stack's events, its status reason and the deploy's answer.
/// A pointer `props` does not have (planned into an intrinsic) masks what
/// is at its longest prefix that it has.
pub(crate) fn masked(
    message: &str,
    props: &Map<String, Value>,
    paths: &BTreeSet<String>,
) -> String {
    fn texts<'a>(v: &'a Value, out: &mut Vec<std::borrow::Cow<'a, str>>) {
        match v {
            Value::String(s) => out.push(s.as_str().into()),
            Value::Number(n) => out.push(n.to_string().into()),
            Value::Array(a) => a.iter().for_each(|x| texts(x, out)),
            Value::Object(m) => m.values().for_each(|x| texts(x, out)),
            Value::Bool(_) | Value::Null => {}
        }
    }
    let whole = Value::Object(props.clone());
    let mut found = Vec::new();
    for path in paths {
        let mut at = path.as_str();
        let value = loop {
            if let Some(v) = whole.pointer(at) {
                break v;
            }
            at = at.rsplit_once('/').map_or("", |(head, _)| head);
        };
        texts(value, &mut found);
    }
    // Longest first: a value inside another is masked with it.
    found.sort_by_key(|t| std::cmp::Reverse(t.len()));
    found.dedup();
    let mut out = message.to_string();
    for t in found.iter().filter(|t| !t.is_empty()) {
        out = out.replace(t.as_ref(), REDACTED);
    }
    out
}

impl Recording {
    async fn record(
        &self,
        id: &str,
        status: ResourceStatus,
        physical: Option<&Physical>,
        props: Option<&Map<String, Value>>,
        reason: Option<String>,
    ) -> Result<(), ProviderError> {
        let mut p = ResourceProgress::new(id, self.resource_type.clone(), status);
        if let Some(ph) = physical {
            p.physical_id = Some(ph.physical_id.clone());
            p.attributes = Some(Value::Object(ph.attributes.clone()));
        }
        p.properties = props.map(|m| Value::Object(m.clone()));
        p.reason = reason;
        self.store
            .record_progress(self.deployment, p)
            .await
            .map(drop)
            .map_err(|e| {
                ProviderError::internal(format!("cannot record progress: {e}")).with_source(e)
            })
    }

    /// A provider failure, recorded (what derives from a secret masked in
    /// its message); if even that fails, both are told.
    async fn failed(
        &self,
        id: &str,
        status: ResourceStatus,
        physical: Option<&Physical>,
        props: &Map<String, Value>,
        e: ProviderError,
    ) -> ProviderError {
        let e = mask_reason(&self.secrets, id, props, e);
        match self
            .record(id, status, physical, Some(props), Some(e.message.clone()))
            .await
        {
            Ok(()) => e,
            Err(r) => ProviderError {
                message: format!("{} (and the failure could not be recorded: {r})", e.message),
                ..e
            },
        }
    }

    /// Records `begin`, runs `op`, records `done` (or `failed` with the
    /// reason); the stack's live state follows.
    async fn step(
        &self,
        id: &str,
        (begin, done, failed): (ResourceStatus, ResourceStatus, ResourceStatus),
        current: Option<&Physical>,
        props: &Map<String, Value>,
        op: BoxFuture<'_, Result<Physical, ProviderError>>,
    ) -> Result<Physical, ProviderError> {
        self.record(id, begin, current, Some(props), None).await?;
        match op.await {
            Ok(ph) => {
                self.record(id, done, Some(&ph), Some(props), None).await?;
                self.ctx.set_live(
                    id,
                    Some(ResourceState {
                        logical_id: id.to_string(),
                        resource_type: self.resource_type.clone(),
                        physical_id: Some(ph.physical_id.clone()),
                        properties: Value::Object(props.clone()),
                        status: done,
                        status_reason: None,
                        attributes: Value::Object(ph.attributes.clone()),
                    }),
                );
                crate::test_hooks::pause_at(&format!("after:{id}")).await;
                Ok(ph)
            }
            Err(e) => Err(self.failed(id, failed, current, props, e).await),
        }
    }
}

impl Provider for Recording {
    fn create<'a>(
        &'a self,
        step: Step<'a>,
        props: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        use ResourceStatus::*;
        Box::pin(self.step(
            step.logical_id,
            (CreateInProgress, CreateComplete, CreateFailed),
            None,
            props,
            self.inner.create(step, props),
        ))
    }

    fn update<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        use ResourceStatus::*;
        Box::pin(self.step(
            step.logical_id,
            (UpdateInProgress, UpdateComplete, UpdateFailed),
            Some(current),
            new,
            self.inner.update(step, current, old, new),
        ))
    }

    fn delete<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        props: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let id = step.logical_id;
            self.record(
                id,
                ResourceStatus::DeleteInProgress,
                Some(current),
                Some(props),
                None,
            )
            .await?;
            match self.inner.delete(step, current, props).await {
                Ok(()) => {
                    self.record(
                        id,
                        ResourceStatus::DeleteComplete,
                        Some(current),
                        Some(props),
                        None,
                    )
                    .await?;
                    // The live copy goes unless a replacement already took its place.
                    let replaced = self
                        .ctx
                        .live
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(id)
                        .is_some_and(|r| r.physical_id.as_deref() != Some(&current.physical_id));
                    if !replaced {
                        self.ctx.set_live(id, None);
                    }
                    crate::test_hooks::pause_at(&format!("after:{id}")).await;
                    Ok(())
                }
                Err(e) => Err(self
                    .failed(id, ResourceStatus::DeleteFailed, Some(current), props, e)
                    .await),
            }
        })
    }
}

/// The commit that keeps a stack at its state before `deployment`.
pub(crate) fn rollback_commit(
    deployment: &Deployment,
    target: &StackTarget,
    reason: String,
) -> StackCommit {
    let mut commit = match &deployment.previous {
        Some(prev) if !prev.status.is_gone() => {
            StackCommit::restore(prev, deployment.kind.rolled_back_status())
        }
        _ => StackCommit::empty(
            StackStatus::RollbackComplete,
            target.template.clone(),
            target.parameters.clone(),
        ),
    };
    commit.status_reason = Some(reason);
    commit
}

/// A rollback that could not put everything back: its failed status.
pub(crate) fn rollback_failed(status: StackStatus) -> StackStatus {
    match status {
        StackStatus::RollbackComplete => StackStatus::RollbackFailed,
        StackStatus::DeleteComplete | StackStatus::DeleteFailed => StackStatus::DeleteFailed,
        _ => StackStatus::UpdateRollbackFailed,
    }
}

/// A leftover as the store keeps it (only those to delete: kept ones are
/// not recorded), with where its properties derive from a secret (as the
/// stack's record of the committed state says: `secrets`).
pub(crate) fn stored_leftover(
    l: &lockgate_engine::apply::Leftover,
    secrets: &SecretPaths,
) -> Option<NewLeftover> {
    use lockgate_engine::RemovalPolicy;
    let policy = match l.policy() {
        RemovalPolicy::Delete => "Delete",
        RemovalPolicy::Snapshot => "Snapshot",
        RemovalPolicy::Retain | RemovalPolicy::RetainExceptOnCreate => return None,
    };
    Some(NewLeftover {
        logical_id: l.logical_id.clone(),
        resource_type: l.resource.resource_type.clone(),
        physical_id: l.resource.physical.physical_id.clone(),
        properties: Value::Object(l.resource.properties.clone()),
        attributes: Value::Object(l.resource.physical.attributes.clone()),
        policy: policy.into(),
        secret_paths: secrets
            .get(&l.logical_id)
            .map(|p| p.iter().cloned().collect())
            .unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockgate_engine::RemovalPolicy;
    use lockgate_engine::apply::{DeployedResource, Leftover, LeftoverKind, Physical, Policies};

    #[test]
    fn a_rollback_that_failed_says_so_in_the_stack_status() {
        assert_eq!(
            rollback_failed(StackStatus::RollbackComplete),
            StackStatus::RollbackFailed
        );
        assert_eq!(
            rollback_failed(StackStatus::UpdateRollbackComplete),
            StackStatus::UpdateRollbackFailed
        );
    }

    #[test]
    fn only_leftovers_to_delete_are_stored() {
        let l = |policy| Leftover {
            logical_id: "A".into(),
            resource: DeployedResource {
                resource_type: "T".into(),
                properties: Map::new(),
                physical: Physical {
                    physical_id: "a-1".into(),
                    attributes: Map::new(),
                },
                policies: Policies {
                    deletion: policy,
                    ..Policies::default()
                },
            },
            kind: LeftoverKind::Removed,
        };
        assert_eq!(
            stored_leftover(&l(RemovalPolicy::Delete), &SecretPaths::new())
                .unwrap()
                .policy,
            "Delete"
        );
        assert_eq!(
            stored_leftover(&l(RemovalPolicy::Snapshot), &SecretPaths::new())
                .unwrap()
                .policy,
            "Snapshot"
        );
        assert!(stored_leftover(&l(RemovalPolicy::Retain), &SecretPaths::new()).is_none());
        // With where the committed state's properties derive from a secret.
        let secrets = SecretPaths::from([
            ("A".to_string(), BTreeSet::from(["/Value".to_string()])),
            ("B".to_string(), BTreeSet::from([String::new()])),
        ]);
        assert_eq!(
            stored_leftover(&l(RemovalPolicy::Delete), &secrets)
                .unwrap()
                .secret_paths,
            vec!["/Value"]
        );
    }

    /// Fails every call, quoting the property it was given.
    struct Quoting;

    impl Provider for Quoting {
        fn create<'a>(
            &'a self,
            _: Step<'a>,
            props: &'a Map<String, Value>,
        ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
            Box::pin(async move {
                Err(ProviderError::internal(format!(
                    "bad name {}",
                    props["Name"]
                )))
            })
        }

        fn update<'a>(
            &'a self,
            _: Step<'a>,
            _: &'a Physical,
            old: &'a Map<String, Value>,
            new: &'a Map<String, Value>,
        ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
            Box::pin(async move {
                Err(ProviderError::internal(format!(
                    "cannot rename {} to {}",
                    old["Name"], new["Name"]
                )))
            })
        }

        fn delete<'a>(
            &'a self,
            _: Step<'a>,
            current: &'a Physical,
            props: &'a Map<String, Value>,
        ) -> BoxFuture<'a, Result<(), ProviderError>> {
            Box::pin(async move {
                Err(ProviderError::internal(format!(
                    "{} ({}) is in use",
                    props["Name"], current.physical_id
                )))
            })
        }
    }

    /// The cleanup's providers (no deployment records their calls) mask
    /// what derives from a secret in every failure's reason, for the
    /// resources the secrets name and no other.
    #[tokio::test]
    async fn failures_outside_a_deployment_never_show_a_secret() {
        let mut inner = Providers::new(None);
        inner.insert("T", Arc::new(Quoting));
        let secrets = SecretPaths::from([("A".to_string(), BTreeSet::from(["/Name".to_string()]))]);
        let providers = masking(&inner, ["T".to_string()], secrets);
        let p = providers.get("T").unwrap();
        let props = |name: &str| {
            let mut m = Map::new();
            m.insert("Name".into(), Value::String(name.into()));
            m
        };
        let (secret, old) = (props("hunter2"), props("hunter1"));
        let physical = Physical {
            physical_id: "x-hunter2".into(),
            attributes: Map::new(),
        };
        let policies = Policies::default();
        let cancel = lockgate_engine::apply::Cancel::never();
        let step = |id| Step {
            logical_id: id,
            resource_type: "T",
            policies: &policies,
            rollback: false,
            cancel: &cancel,
        };
        let created = p.create(step("A"), &secret).await.unwrap_err().message;
        let updated = p
            .update(step("A"), &physical, &old, &secret)
            .await
            .unwrap_err()
            .message;
        let deleted = p
            .delete(step("A"), &physical, &secret)
            .await
            .unwrap_err()
            .message;
        assert_eq!(created, format!("bad name \"{REDACTED}\""));
        // Masked in the old properties as well as the new.
        assert_eq!(
            updated,
            format!("cannot rename \"{REDACTED}\" to \"{REDACTED}\"")
        );
        assert_eq!(deleted, format!("\"{REDACTED}\" (x-{REDACTED}) is in use"));
        let other = p
            .delete(step("B"), &physical, &secret)
            .await
            .unwrap_err()
            .message;
        assert_eq!(other, "\"hunter2\" (x-hunter2) is in use");
    }
}
