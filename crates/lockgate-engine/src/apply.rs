//! Applying a change set: resources created and updated in dependency
//! order (independent ones at the same time), replaced resources created
//! before their old selves are deleted, removals in reverse dependency
//! order last — and on any failure, everything done so far undone, so the
//! stack is left at its last good state.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use futures::StreamExt;
use futures::channel::oneshot;
use futures::future::{FutureExt, Shared};
use futures::stream::FuturesUnordered;
use serde_json::{Map, Value};

use crate::changeset::{Action, ChangeSet, Replacement};
pub use crate::error::{ApplyError, ErrorKind, ProviderError, ResolveError};
pub use crate::resource::{DeployedResource, Physical, PlannedResource, Policies, RemovalPolicy};

/// A boxed future, so providers can be trait objects.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The resource a provider call is about.
#[derive(Debug, Clone, Copy)]
pub struct Step<'a> {
    /// Its logical ID.
    pub logical_id: &'a str,
    /// Its type.
    pub resource_type: &'a str,
    /// Its policies; `UpdatePolicy` resolved on creates and updates.
    pub policies: &'a Policies,
    /// Whether the call undoes an earlier one (a rollback puts things back
    /// at once: an alias update is not shifted gradually, say).
    pub rollback: bool,
    /// Fires when another resource of the same apply failed: a call that
    /// takes long (an alias's traffic shift) stops early and fails, as
    /// CloudFormation cancels the updates in progress when one fails.
    pub cancel: &'a Cancel,
}

/// The signal that an apply failed and its calls in progress should stop.
#[derive(Clone)]
pub struct Cancel(Shared<oneshot::Receiver<String>>);

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Cancel")
    }
}

impl Cancel {
    /// A signal and the sender that fires it with a reason; dropping the
    /// sender unfired means it never fires.
    pub fn new() -> (oneshot::Sender<String>, Cancel) {
        let (tx, rx) = oneshot::channel();
        (tx, Cancel(rx.shared()))
    }

    /// A signal that never fires (rollbacks and deletes are not cancelled).
    pub fn never() -> Cancel {
        Cancel::new().1
    }

    /// Resolves with the reason once the signal fires; never otherwise.
    pub async fn fired(&self) -> String {
        match self.0.clone().await {
            Ok(reason) => reason,
            Err(oneshot::Canceled) => std::future::pending().await,
        }
    }
}

/// Creates, updates and deletes the resources of one type.
pub trait Provider: Send + Sync {
    /// Creates the resource; `properties` are fully resolved.
    fn create<'a>(
        &'a self,
        step: Step<'a>,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>>;
    /// Updates it in place from `old` to `new` properties.
    fn update<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>>;
    /// Deletes it.
    fn delete<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>>;
}

/// A resource's properties and `UpdatePolicy`, resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resolved {
    /// The properties, with no intrinsic left.
    pub properties: Map<String, Value>,
    /// The `UpdatePolicy`, resolved the same way.
    pub update_policy: Option<Value>,
}

/// Resolves a resource of the template given what exists so far (`Ref` /
/// `Fn::GetAtt` of other resources).
pub trait Resolver: Send + Sync {
    /// Resolves `logical_id`'s properties and update policy.
    fn resolve(
        &self,
        logical_id: &str,
        known: &HashMap<String, Physical>,
    ) -> Result<Resolved, ResolveError>;
}

/// A step of an apply, for progress reporting and the stack's event log.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The resource.
    pub logical_id: String,
    /// CloudFormation-style status: `CREATE_IN_PROGRESS`, `UPDATE_COMPLETE`,
    /// `DELETE_FAILED`, `DELETE_SKIPPED`…
    pub status: &'static str,
    /// Why, for failures and skipped deletions.
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
/// Dependencies outside `nodes` are ignored: [`apply`] gives each node the
/// written resources it depends on through unchanged ones.
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

/// The resources being written that `id` depends on, directly or through
/// resources that are not written (unchanged): an alias that depends on an
/// unchanged deployment group waits for the alarm that group names when
/// the alarm changes, as CloudFormation orders over the whole template.
fn written_dependencies(
    id: &str,
    planned: &BTreeMap<String, PlannedResource>,
    writing: &HashSet<&str>,
) -> Vec<String> {
    let mut out = BTreeSet::new();
    let mut seen = HashSet::from([id]);
    let mut stack: Vec<&str> = planned
        .get(id)
        .map(|r| r.depends_on.iter().map(String::as_str).collect())
        .unwrap_or_default();
    while let Some(dep) = stack.pop() {
        if !seen.insert(dep) {
            continue;
        }
        if writing.contains(dep) {
            out.insert(dep.to_string());
        } else if let Some(r) = planned.get(dep) {
            stack.extend(r.depends_on.iter().map(String::as_str));
        }
    }
    out.into_iter().collect()
}

/// What a successful apply leaves behind: the new state, and the physical
/// resources that left it (old copies of replaced resources, removed
/// resources) for [`clean_up`] — which CloudFormation runs after the stack
/// update is complete (`UPDATE_COMPLETE_CLEANUP_IN_PROGRESS`), so a
/// failure there no longer rolls the update back.
pub struct Applied {
    /// The stack's resources now.
    pub state: BTreeMap<String, DeployedResource>,
    /// What to delete (or keep, by policy), in deletion order.
    pub leftovers: Vec<Leftover>,
    /// What was done, for [`undo`] when the result cannot be kept.
    done: Vec<Done>,
}

impl std::fmt::Debug for Applied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Applied")
            .field("state", &self.state)
            .field("leftovers", &self.leftovers)
            .finish_non_exhaustive()
    }
}

/// Undoes a successful apply whose result cannot be kept (its outputs
/// cannot be computed, or the state store refuses the commit), exactly as
/// a failure during the apply would have been undone; returns what could
/// not be undone.
pub async fn undo(
    applied: Applied,
    providers: &Providers,
    progress: &dyn Progress,
) -> Vec<(String, ProviderError)> {
    roll_back(applied.done, providers, progress).await
}

/// Why a physical resource left the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LeftoverKind {
    /// The old copy of a replaced resource (`UpdateReplacePolicy` applies).
    Replaced,
    /// A resource no longer in the template, or of a deleted stack (`DeletionPolicy` applies).
    Removed,
}

/// A physical resource that left the stack and awaits deletion.
#[derive(Debug, Clone, PartialEq)]
pub struct Leftover {
    /// Its logical ID.
    pub logical_id: String,
    /// The resource.
    pub resource: DeployedResource,
    /// Why it left.
    pub kind: LeftoverKind,
}

impl Leftover {
    /// The policy that decides its fate.
    pub fn policy(&self) -> RemovalPolicy {
        match self.kind {
            LeftoverKind::Replaced => self.resource.policies.update_replace,
            LeftoverKind::Removed => self.resource.policies.deletion,
        }
    }
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

/// One create or update to run.
struct Job {
    id: String,
    resource_type: String,
    /// The resolved properties to write.
    properties: Map<String, Value>,
    policies: Policies,
    /// The deployed resource, when there is one.
    old: Option<DeployedResource>,
    /// Whether the write creates a replacement of `old`.
    replace: bool,
}

impl Job {
    async fn run(
        &self,
        provider: &dyn Provider,
        progress: &dyn Progress,
        cancel: &Cancel,
    ) -> Result<Physical, ProviderError> {
        let step = Step {
            logical_id: &self.id,
            resource_type: &self.resource_type,
            policies: &self.policies,
            rollback: false,
            cancel,
        };
        match (&self.old, self.replace) {
            (Some(old), false) => {
                progress.event(event(&self.id, "UPDATE_IN_PROGRESS", None));
                provider
                    .update(step, &old.physical, &old.properties, &self.properties)
                    .await
            }
            _ => {
                progress.event(event(&self.id, "CREATE_IN_PROGRESS", None));
                provider.create(step, &self.properties).await
            }
        }
    }
}

/// Applies `changes` to a stack whose resources are `deployed`, towards
/// the resources `planned`; `resolver` gives each resource's properties
/// once what it depends on exists.
///
/// Each create or update starts as soon as the resources it depends on
/// (directly or through unchanged ones) are written; a replacement creates
/// the new copy and leaves the old one to [`clean_up`], as removed
/// resources are. On the first failure everything
/// done is undone (created resources deleted unless their `DeletionPolicy`
/// keeps them, updated ones put back) and the old state stands.
pub async fn apply(
    deployed: &BTreeMap<String, DeployedResource>,
    planned: &BTreeMap<String, PlannedResource>,
    changes: &ChangeSet,
    providers: &Providers,
    resolver: &dyn Resolver,
    progress: &dyn Progress,
) -> Result<Applied, ApplyError> {
    for c in &changes.changes {
        if providers.get(&c.resource_type).is_none() {
            return Err(ApplyError::NoProvider(c.resource_type.clone()));
        }
    }
    let writing: HashSet<&str> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Remove)
        .map(|c| c.logical_id.as_str())
        .collect();
    let to_write: Vec<(String, Vec<String>)> = changes
        .changes
        .iter()
        .filter(|c| c.action != Action::Remove && planned.contains_key(&c.logical_id))
        .map(|c| {
            (
                c.logical_id.clone(),
                written_dependencies(&c.logical_id, planned, &writing),
            )
        })
        .collect();
    // Checks for cycles and gives a stable start order; each resource then
    // starts as soon as what it depends on is written, as CloudFormation
    // does (a long alias rollout holds back only what depends on it).
    let order: Vec<String> = levels(&to_write)?.into_iter().flatten().collect();
    let waits_for: HashMap<String, Vec<String>> = to_write.into_iter().collect();
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
    let mut leftovers: Vec<Leftover> = Vec::new();
    let mut failure: Option<(String, ProviderError)> = None;
    let mut written: HashSet<String> = HashSet::new();
    let mut waiting: Vec<String> = order;
    let (cancel_sender, cancel) = Cancel::new();
    let mut cancel_sender = Some(cancel_sender);
    let cancel = &cancel;
    let mut running = FuturesUnordered::new();

    loop {
        if failure.is_none() {
            let (ready, blocked): (Vec<String>, Vec<String>) = waiting
                .into_iter()
                .partition(|id| waits_for[id].iter().all(|d| written.contains(d)));
            waiting = blocked;
            for id in ready {
                let change = by_id[id.as_str()];
                let t = &planned[&id];
                let resolved = match resolver.resolve(&id, &known) {
                    Ok(p) => p,
                    Err(e) => {
                        failure = Some((id.clone(), ProviderError::from(e)));
                        break;
                    }
                };
                let provider = providers
                    .get(&t.resource_type)
                    .ok_or_else(|| ApplyError::NoProvider(t.resource_type.clone()))?;
                let job = Job {
                    replace: change.action == Action::Modify
                        && change.replacement == Some(Replacement::True),
                    old: deployed.get(&id).cloned(),
                    policies: Policies {
                        update: resolved.update_policy,
                        ..t.policies.clone()
                    },
                    resource_type: t.resource_type.clone(),
                    properties: resolved.properties,
                    id,
                };
                running.push(async move {
                    let result = job.run(provider.as_ref(), progress, cancel).await;
                    (job, result)
                });
            }
        }
        if let Some((failed, _)) = &failure
            && let Some(tx) = cancel_sender.take()
        {
            // A traffic shift in progress moves back at once instead of
            // finishing its waits. Nobody listening (nothing running) is fine.
            let _ = tx.send(format!("cancelled: {failed} failed"));
        }
        let Some((job, result)) = running.next().await else {
            break;
        };
        let updating = job.old.is_some() && !job.replace;
        match result {
            Ok(physical) => {
                let status = if updating {
                    "UPDATE_COMPLETE"
                } else {
                    "CREATE_COMPLETE"
                };
                progress.event(event(&job.id, status, None));
                known.insert(job.id.clone(), physical.clone());
                written.insert(job.id.clone());
                let restore = match job.old {
                    Some(before) if updating => Some(before.properties),
                    Some(before) => {
                        leftovers.push(Leftover {
                            logical_id: job.id.clone(),
                            resource: DeployedResource {
                                // The new template's UpdateReplacePolicy decides.
                                policies: Policies {
                                    update_replace: job.policies.update_replace,
                                    ..before.policies.clone()
                                },
                                ..before
                            },
                            kind: LeftoverKind::Replaced,
                        });
                        None
                    }
                    None => None,
                };
                done.push(Done {
                    id: job.id,
                    now: DeployedResource {
                        resource_type: job.resource_type,
                        properties: job.properties,
                        physical,
                        policies: job.policies,
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
                progress.event(event(&job.id, status, Some(e.message.clone())));
                // Nothing more starts; what is running is told to stop
                // (below), then all is undone.
                if failure.is_none() {
                    failure = Some((job.id, e));
                }
            }
        }
    }

    if let Some((logical_id, error)) = failure {
        let rollback = roll_back(done, providers, progress).await;
        return Err(if rollback.is_empty() {
            ApplyError::RolledBack { logical_id, error }
        } else {
            ApplyError::RollbackFailed {
                logical_id,
                error,
                rollback,
            }
        });
    }

    let mut state: BTreeMap<String, DeployedResource> = deployed.clone();
    for d in &done {
        state.insert(d.id.clone(), d.now.clone());
    }
    // Removals after the replaced copies, all in reverse order: the later
    // a resource was deployed, the earlier it goes.
    for c in changes
        .changes
        .iter()
        .filter(|c| c.action == Action::Remove)
    {
        if let Some(r) = state.remove(&c.logical_id) {
            leftovers.push(Leftover {
                logical_id: c.logical_id.clone(),
                resource: r,
                kind: LeftoverKind::Removed,
            });
        }
    }
    leftovers.reverse();
    Ok(Applied {
        state,
        leftovers,
        done,
    })
}

/// A leftover that could not be deleted.
#[derive(Debug, Clone, PartialEq)]
pub struct CleanupFailure {
    /// The leftover.
    pub leftover: Leftover,
    /// Why.
    pub error: ProviderError,
}

/// Deletes leftovers in order, as their policies say: `Delete` deletes,
/// `Retain` (and `RetainExceptOnCreate`) keep the physical resource
/// (`DELETE_SKIPPED`), `Snapshot` records a final snapshot, then deletes.
/// Every leftover is tried; the failures are returned.
pub async fn clean_up(
    leftovers: &[Leftover],
    providers: &Providers,
    progress: &dyn Progress,
) -> Vec<CleanupFailure> {
    let mut failures = Vec::new();
    for l in leftovers {
        if let Err(error) = remove(l, l.policy(), false, providers, progress).await {
            failures.push(CleanupFailure {
                leftover: l.clone(),
                error,
            });
        }
    }
    failures
}

/// Removes one physical resource under `policy`.
async fn remove(
    l: &Leftover,
    policy: RemovalPolicy,
    rollback: bool,
    providers: &Providers,
    progress: &dyn Progress,
) -> Result<(), ProviderError> {
    let id = l.logical_id.as_str();
    let r = &l.resource;
    if policy.keeps() {
        progress.event(event(
            id,
            "DELETE_SKIPPED",
            Some(format!(
                "{} {} kept by its {} policy",
                r.resource_type,
                r.physical.physical_id,
                match l.kind {
                    LeftoverKind::Replaced => "UpdateReplacePolicy",
                    LeftoverKind::Removed => "DeletionPolicy",
                }
            )),
        ));
        return Ok(());
    }
    let provider = providers
        .get(&r.resource_type)
        .ok_or_else(|| ProviderError::internal(format!("no provider for {}", r.resource_type)))?;
    let reason = (policy == RemovalPolicy::Snapshot).then(|| {
        format!(
            "final snapshot of {} recorded (snapshots are not emulated locally)",
            r.physical.physical_id
        )
    });
    progress.event(event(id, "DELETE_IN_PROGRESS", reason));
    let step = Step {
        logical_id: id,
        resource_type: &r.resource_type,
        policies: &r.policies,
        rollback,
        cancel: &Cancel::never(),
    };
    let result = provider.delete(step, &r.physical, &r.properties).await;
    progress.event(match &result {
        Ok(()) => event(id, "DELETE_COMPLETE", None),
        Err(e) => event(id, "DELETE_FAILED", Some(e.message.clone())),
    });
    result
}

/// Undoes `done` in reverse; returns what could not be undone.
async fn roll_back(
    done: Vec<Done>,
    providers: &Providers,
    progress: &dyn Progress,
) -> Vec<(String, ProviderError)> {
    let mut failures = Vec::new();
    for Done { id, now, restore } in done.into_iter().rev() {
        let result = match &restore {
            Some(before) => {
                let Some(p) = providers.get(&now.resource_type) else {
                    continue;
                };
                progress.event(event(&id, "UPDATE_IN_PROGRESS", Some("rollback".into())));
                let step = Step {
                    logical_id: &id,
                    resource_type: &now.resource_type,
                    policies: &now.policies,
                    rollback: true,
                    cancel: &Cancel::never(),
                };
                let r = p
                    .update(step, &now.physical, &now.properties, before)
                    .await
                    .map(drop);
                progress.event(match &r {
                    Ok(()) => event(&id, "UPDATE_COMPLETE", None),
                    Err(e) => event(&id, "UPDATE_FAILED", Some(e.message.clone())),
                });
                r
            }
            // A resource this operation created: its DeletionPolicy decides,
            // except that RetainExceptOnCreate deletes it.
            None => {
                let policy = match now.policies.deletion {
                    RemovalPolicy::RetainExceptOnCreate => RemovalPolicy::Delete,
                    other => other,
                };
                let l = Leftover {
                    logical_id: id.clone(),
                    resource: now,
                    kind: LeftoverKind::Removed,
                };
                remove(&l, policy, true, providers, progress).await
            }
        };
        if let Err(e) = result {
            failures.push((id, e));
        }
    }
    failures
}

fn event(id: &str, status: &'static str, reason: Option<String>) -> Event {
    Event {
        logical_id: id.to_string(),
        status,
        reason,
    }
}
