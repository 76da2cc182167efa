//! Applying a change set: resources created and updated in dependency
//! order (independent ones at the same time), replaced resources created
//! before their old selves are deleted, removals in reverse dependency
//! order last — and on any failure, everything done so far undone, so the
//! stack is left at its last good state.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::changeset::{Action, ChangeSet, Replacement};

/// A boxed future, so providers can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A resource as it exists: its physical ID and the attributes `Fn::GetAtt` reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Physical {
    /// What `Ref` returns for most types (a name, an ID, an ARN).
    pub physical_id: String,
    /// `Fn::GetAtt` attributes by name.
    pub attributes: Map<String, Value>,
}

/// A provider's failure, reported against the resource it was working on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(pub String);

/// Creates, updates and deletes the resources of one type.
pub trait Provider: Send + Sync {
    /// Creates the resource; `properties` are fully resolved.
    fn create<'a>(
        &'a self,
        logical_id: &'a str,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>>;
    /// Updates it in place from `old` to `new` properties.
    fn update<'a>(
        &'a self,
        logical_id: &'a str,
        current: &'a Physical,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>>;
    /// Deletes it.
    fn delete<'a>(
        &'a self,
        logical_id: &'a str,
        current: &'a Physical,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// Turns a resource's template properties into resolved ones, given what
/// exists so far (`Ref` / `Fn::GetAtt` of other resources).
pub trait Resolver: Send + Sync {
    /// Resolves `properties` of `logical_id`; an error names what could not be resolved.
    fn resolve(
        &self,
        logical_id: &str,
        properties: &Map<String, Value>,
        known: &HashMap<String, Physical>,
    ) -> Result<Map<String, Value>, String>;
}

/// One resource of the stack as it is deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedResource {
    /// Its type.
    pub resource_type: String,
    /// Its resolved properties.
    pub properties: Map<String, Value>,
    /// Its physical identity.
    pub physical: Physical,
}

impl From<&DeployedResource> for crate::changeset::Deployed {
    /// What the planner compares: its type and applied properties.
    fn from(r: &DeployedResource) -> Self {
        crate::changeset::Deployed {
            resource_type: r.resource_type.clone(),
            properties: r.properties.clone(),
        }
    }
}

/// One resource of the desired template.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateResource {
    /// Its type.
    pub resource_type: String,
    /// Its properties as written (intrinsics unresolved).
    pub properties: Map<String, Value>,
    /// Logical IDs it depends on (Ref, GetAtt, Sub, DependsOn).
    pub depends_on: Vec<String>,
}

/// A step of an apply, for progress reporting and the stack's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The resource.
    pub logical_id: String,
    /// CloudFormation-style status: `CREATE_IN_PROGRESS`, `UPDATE_COMPLETE`, `DELETE_FAILED`…
    pub status: &'static str,
    /// Why, for failures.
    pub reason: Option<String>,
}

/// Where apply reports its progress.
pub trait Progress: Send + Sync {
    /// Called for every step, in order.
    fn event(&self, event: Event);
}

impl<F: Fn(Event) + Send + Sync> Progress for F {
    fn event(&self, event: Event) {
        self(event)
    }
}

/// How an apply ended.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApplyError {
    /// A resource failed; the stack was rolled back to its previous state.
    #[error("resource {logical_id} failed: {reason}; the stack was rolled back")]
    RolledBack {
        /// The resource that failed first.
        logical_id: String,
        /// Why.
        reason: String,
    },
    /// A resource failed and so did part of the rollback; the stack needs attention.
    #[error("resource {logical_id} failed: {reason}; rollback failed too: {rollback}")]
    RollbackFailed {
        /// The resource that failed first.
        logical_id: String,
        /// Why.
        reason: String,
        /// What the rollback could not undo.
        rollback: String,
    },
    /// The template names a resource type with no provider.
    #[error("no provider for resource type {0}")]
    NoProvider(String),
    /// The dependency graph has a cycle through these resources.
    #[error("circular dependency between resources: {}", .0.join(", "))]
    Cycle(Vec<String>),
}

/// The providers, by resource type, and a fallback for any other type.
pub struct Providers {
    by_type: HashMap<String, Arc<dyn Provider>>,
    fallback: Option<Arc<dyn Provider>>,
}

impl Providers {
    /// No providers yet; `fallback` serves types without their own (e.g. "recorded, not emulated").
    pub fn new(fallback: Option<Arc<dyn Provider>>) -> Self {
        Providers {
            by_type: HashMap::new(),
            fallback,
        }
    }

    /// Registers the provider of one type.
    pub fn insert(&mut self, resource_type: &str, provider: Arc<dyn Provider>) {
        self.by_type.insert(resource_type.to_string(), provider);
    }

    /// The provider of a type.
    pub fn get(&self, resource_type: &str) -> Option<Arc<dyn Provider>> {
        self.by_type
            .get(resource_type)
            .cloned()
            .or_else(|| self.fallback.clone())
    }
}

/// Groups resources into levels: each level depends only on earlier levels.
/// Dependencies outside `nodes` (already deployed, unchanged) are ignored.
pub fn levels(nodes: &[(String, Vec<String>)]) -> Result<Vec<Vec<String>>, ApplyError> {
    let names: HashSet<&str> = nodes.iter().map(|(n, _)| n.as_str()).collect();
    let mut remaining: Vec<(&str, Vec<&str>)> = nodes
        .iter()
        .map(|(n, deps)| {
            (
                n.as_str(),
                deps.iter()
                    .map(String::as_str)
                    .filter(|d| names.contains(d) && d != n)
                    .collect(),
            )
        })
        .collect();
    let mut done: HashSet<&str> = HashSet::new();
    let mut out = Vec::new();
    while !remaining.is_empty() {
        let (ready, blocked): (Vec<_>, Vec<_>) = remaining
            .into_iter()
            .partition(|(_, deps)| deps.iter().all(|d| done.contains(d)));
        if ready.is_empty() {
            let mut cycle: Vec<String> = blocked.iter().map(|(n, _)| n.to_string()).collect();
            cycle.sort();
            return Err(ApplyError::Cycle(cycle));
        }
        let level: Vec<String> = ready.iter().map(|(n, _)| n.to_string()).collect();
        done.extend(ready.iter().map(|(n, _)| *n));
        out.push(level);
        remaining = blocked;
    }
    Ok(out)
}

/// What was done, to undo it on failure.
struct Done {
    id: String,
    /// The resource as it now is.
    now: DeployedResource,
    /// For an in-place update, the properties to update back to; `None`
    /// for a creation (including a replacement), undone by deleting it.
    restore: Option<Map<String, Value>>,
}

/// Applies `changes` to a stack whose resources are `deployed`, towards `template`.
///
/// Returns the new deployed state. On failure everything done is undone
/// (created resources deleted, updated ones put back) and the old state stands.
pub async fn apply(
    deployed: &BTreeMap<String, DeployedResource>,
    template: &BTreeMap<String, TemplateResource>,
    changes: &ChangeSet,
    providers: &Providers,
    resolver: &dyn Resolver,
    progress: &dyn Progress,
) -> Result<BTreeMap<String, DeployedResource>, ApplyError> {
    for c in &changes.changes {
        if providers.get(&c.resource_type).is_none() {
            return Err(ApplyError::NoProvider(c.resource_type.clone()));
        }
    }
    let to_write: Vec<(String, Vec<String>)> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Remove)
        .filter_map(|c| {
            template
                .get(&c.logical_id)
                .map(|t| (c.logical_id.clone(), t.depends_on.clone()))
        })
        .collect();
    let order = levels(&to_write)?;
    let by_id: HashMap<&str, &crate::changeset::ResourceChange> = changes
        .changes
        .iter()
        .map(|c| (c.logical_id.as_str(), c))
        .collect();

    let mut known: HashMap<String, Physical> = deployed
        .iter()
        .map(|(k, v)| (k.clone(), v.physical.clone()))
        .collect();
    let mut done: Vec<Done> = Vec::new();
    let mut replaced_old: Vec<(String, DeployedResource)> = Vec::new();
    let mut failure: Option<(String, String)> = None;

    'levels: for level in &order {
        let mut jobs = Vec::new();
        for id in level {
            let change = by_id[id.as_str()];
            let t = &template[id];
            let props = match resolver.resolve(id, &t.properties, &known) {
                Ok(p) => p,
                Err(reason) => {
                    failure = Some((id.clone(), reason));
                    break 'levels;
                }
            };
            let provider = providers
                .get(&t.resource_type)
                .ok_or_else(|| ApplyError::NoProvider(t.resource_type.clone()))?;
            let old = deployed.get(id).cloned();
            let replace =
                change.action == Action::Modify && change.replacement == Some(Replacement::True);
            jobs.push((
                id.clone(),
                t.resource_type.clone(),
                props,
                provider,
                old,
                replace,
            ));
        }
        let results = futures::future::join_all(jobs.iter().map(
            |(id, _ty, props, provider, old, replace)| {
                let provider = provider.clone();
                async move {
                    match (old, replace) {
                        (Some(old), false) => {
                            progress.event(Event {
                                logical_id: id.clone(),
                                status: "UPDATE_IN_PROGRESS",
                                reason: None,
                            });
                            provider
                                .update(id, &old.physical, &old.properties, props)
                                .await
                        }
                        _ => {
                            progress.event(Event {
                                logical_id: id.clone(),
                                status: "CREATE_IN_PROGRESS",
                                reason: None,
                            });
                            provider.create(id, props).await
                        }
                    }
                }
            },
        ))
        .await;
        for ((id, ty, props, _p, old, replace), result) in jobs.into_iter().zip(results) {
            let updating = old.is_some() && !replace;
            match result {
                Ok(physical) => {
                    let status = if updating {
                        "UPDATE_COMPLETE"
                    } else {
                        "CREATE_COMPLETE"
                    };
                    progress.event(Event {
                        logical_id: id.clone(),
                        status,
                        reason: None,
                    });
                    known.insert(id.clone(), physical.clone());
                    let restore = match old {
                        Some(before) if updating => Some(before.properties),
                        Some(before) => {
                            replaced_old.push((id.clone(), before));
                            None
                        }
                        None => None,
                    };
                    done.push(Done {
                        id,
                        now: DeployedResource {
                            resource_type: ty,
                            properties: props,
                            physical,
                        },
                        restore,
                    });
                }
                Err(e) => {
                    let status = if updating {
                        "UPDATE_FAILED"
                    } else {
                        "CREATE_FAILED"
                    };
                    progress.event(Event {
                        logical_id: id.clone(),
                        status,
                        reason: Some(e.0.clone()),
                    });
                    if failure.is_none() {
                        failure = Some((id, e.0));
                    }
                }
            }
        }
        if failure.is_some() {
            break;
        }
    }

    if let Some((logical_id, reason)) = failure {
        let rollback = roll_back(done, providers, progress).await;
        return Err(match rollback {
            Ok(()) => ApplyError::RolledBack { logical_id, reason },
            Err(rollback) => ApplyError::RollbackFailed {
                logical_id,
                reason,
                rollback,
            },
        });
    }

    // Success: the old selves of replaced resources and removed resources go, in reverse order.
    let mut state: BTreeMap<String, DeployedResource> = deployed.clone();
    for d in done {
        state.insert(d.id, d.now);
    }
    let mut cleanup: Vec<(String, DeployedResource)> = replaced_old;
    let removed: Vec<(String, Vec<String>)> = changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Remove)
        .map(|c| (c.logical_id.clone(), Vec::new()))
        .collect();
    for (id, _) in &removed {
        if let Some(r) = state.remove(id) {
            cleanup.push((id.clone(), r));
        }
    }
    // Delete in reverse of the order they were deployed in (later first).
    cleanup.reverse();
    for (id, r) in cleanup {
        let Some(provider) = providers.get(&r.resource_type) else {
            continue;
        };
        // Like CloudFormation's cleanup phase: the new state stands; a leftover is reported.
        let _ = reported(
            progress,
            &id,
            Step::Delete,
            None,
            provider.delete(&id, &r.physical, &r.properties),
        )
        .await;
    }
    Ok(state)
}

async fn roll_back(
    done: Vec<Done>,
    providers: &Providers,
    progress: &dyn Progress,
) -> Result<(), String> {
    let mut failures = Vec::new();
    for Done { id, now, restore } in done.into_iter().rev() {
        let Some(p) = providers.get(&now.resource_type) else {
            continue;
        };
        let result = match &restore {
            Some(before) => {
                let undo = p.update(&id, &now.physical, &now.properties, before);
                reported(progress, &id, Step::Update, Some("rollback"), async {
                    undo.await.map(drop)
                })
                .await
            }
            None => {
                let undo = p.delete(&id, &now.physical, &now.properties);
                reported(progress, &id, Step::Delete, Some("rollback"), undo).await
            }
        };
        if let Err(e) = result {
            failures.push(format!("{id}: {e}"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

/// The kind of a reported provider call, naming its events.
#[derive(Clone, Copy)]
enum Step {
    Update,
    Delete,
}

impl Step {
    /// Its in-progress, complete and failed statuses.
    fn statuses(self) -> [&'static str; 3] {
        match self {
            Step::Update => ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE", "UPDATE_FAILED"],
            Step::Delete => ["DELETE_IN_PROGRESS", "DELETE_COMPLETE", "DELETE_FAILED"],
        }
    }
}

/// Runs `call`, reporting it as in progress (with `reason`), then complete
/// or failed (with the provider's reason).
async fn reported(
    progress: &dyn Progress,
    id: &str,
    step: Step,
    reason: Option<&str>,
    call: impl Future<Output = Result<(), ProviderError>>,
) -> Result<(), ProviderError> {
    let [started, complete, failed] = step.statuses();
    progress.event(Event {
        logical_id: id.to_string(),
        status: started,
        reason: reason.map(str::to_string),
    });
    let result = call.await;
    progress.event(Event {
        logical_id: id.to_string(),
        status: if result.is_ok() { complete } else { failed },
        reason: result.as_ref().err().map(|e| e.0.clone()),
    });
    result
}
