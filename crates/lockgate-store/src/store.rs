//! The [`Store`] trait: the state interface every backend implements.

use std::collections::BTreeSet;

use async_trait::async_trait;

use crate::artifacts::Digest;
use crate::audit::{AuditEntry, AuditQuery, NewAuditEntry};
use crate::deploy::{
    BeginDeployment, Deployment, DeploymentId, DeploymentOutcome, InterruptedDeployment,
    ResourceProgress, StackCommit, StackSnapshot,
};
use crate::error::Result;
use crate::function::{Alias, AliasSpec, FunctionVersion, NewFunctionVersion};
use crate::model::{App, EventId, Export, Output, ResourceState, Stack, StackEvent, Stage};
use crate::names::{
    AliasName, AppName, ExportName, FunctionName, ParameterName, StackRef, StageRef,
};
use crate::param::{Parameter, PutParameter};
use crate::rollout::{
    Leftover, NewRollout, Rollout, RolloutEvent, RolloutFailure, RolloutId, RolloutStatus,
};
use crate::secret::SecretString;

/// The state of a Lockgate server: apps, stages, stacks, deployments, function
/// versions and aliases, parameters and the audit log.
///
/// Backends (SQLite now, PostgreSQL later) implement it; the conformance suite
/// (the `conformance` module, behind the feature of that name) checks every
/// backend against the same promises.
/// The trait uses only domain types and is dyn-compatible (`Arc<dyn Store>`).
#[async_trait]
pub trait Store: Send + Sync {
    // ---- apps and stages -------------------------------------------------

    /// Creates an app; [`StoreError::AlreadyExists`](crate::StoreError::AlreadyExists) if it exists.
    async fn create_app(&self, app: &AppName) -> Result<App>;
    /// An app, if it exists.
    async fn get_app(&self, app: &AppName) -> Result<Option<App>>;
    /// Every app, by name.
    async fn list_apps(&self) -> Result<Vec<App>>;
    /// Deletes an app that has no stages left; returns whether it existed.
    async fn delete_app(&self, app: &AppName) -> Result<bool>;
    /// Creates a stage of an existing app.
    async fn create_stage(&self, stage: &StageRef) -> Result<Stage>;
    /// Creates the app and the stage when missing; returns the stage.
    async fn ensure_stage(&self, stage: &StageRef) -> Result<Stage>;
    /// A stage, if it exists.
    async fn get_stage(&self, stage: &StageRef) -> Result<Option<Stage>>;
    /// The stages of an app, by name.
    async fn list_stages(&self, app: &AppName) -> Result<Vec<Stage>>;
    /// Deletes a stage whose stacks are all deleted (their records, function
    /// versions and aliases go with it); returns whether it existed.
    async fn delete_stage(&self, stage: &StageRef) -> Result<bool>;

    // ---- stacks (read side) ----------------------------------------------

    /// A stack's committed state, if it exists.
    async fn get_stack(&self, stack: &StackRef) -> Result<Option<Stack>>;
    /// A stack's complete committed state (status, template, parameters,
    /// version, resources, outputs, imports) read as one consistent snapshot:
    /// what the engine plans a change set against.
    async fn stack_snapshot(&self, stack: &StackRef) -> Result<Option<StackSnapshot>>;
    /// The stacks of a stage, by name.
    async fn list_stacks(&self, stage: &StageRef) -> Result<Vec<Stack>>;
    /// A stack's resources, by logical ID.
    async fn list_resources(&self, stack: &StackRef) -> Result<Vec<ResourceState>>;
    /// A stack's outputs, by key.
    async fn list_outputs(&self, stack: &StackRef) -> Result<Vec<Output>>;
    /// A stack's events after `after` (oldest first), at most `limit`.
    async fn list_events(
        &self,
        stack: &StackRef,
        after: Option<EventId>,
        limit: u32,
    ) -> Result<Vec<StackEvent>>;
    /// The exports of a stage (the scope of `Fn::ImportValue`), by name.
    async fn list_exports(&self, stage: &StageRef) -> Result<Vec<Export>>;
    /// One export of a stage.
    async fn get_export(&self, stage: &StageRef, name: &ExportName) -> Result<Option<Export>>;

    // ---- deployments (write side, crash-safe) ----------------------------

    /// Starts a deployment: records it `IN_PROGRESS` with its target and the
    /// stack's previous state, and marks the stack `*_IN_PROGRESS`, atomically.
    /// Fails with `DeploymentInProgress` when one is already running, and
    /// `InvalidStackState` when the stack's status does not allow `kind`.
    async fn begin_deployment(&self, request: BeginDeployment) -> Result<Deployment>;
    /// Records a resource operation of a running deployment and its stack event.
    async fn record_progress(
        &self,
        deployment: DeploymentId,
        progress: ResourceProgress,
    ) -> Result<StackEvent>;
    /// Commits the stack's final state (resources, outputs, exports, imports,
    /// template, status, events) and closes the deployment, atomically.
    async fn finish_deployment(
        &self,
        deployment: DeploymentId,
        outcome: DeploymentOutcome,
        commit: StackCommit,
    ) -> Result<Stack>;
    /// A deployment.
    async fn get_deployment(&self, deployment: DeploymentId) -> Result<Option<Deployment>>;
    /// A stack's deployments, newest first, at most `limit`.
    async fn list_deployments(&self, stack: &StackRef, limit: u32) -> Result<Vec<Deployment>>;
    /// The latest progress of each resource a deployment touched.
    async fn deployment_progress(&self, deployment: DeploymentId) -> Result<Vec<ResourceProgress>>;
    /// Deployments left `IN_PROGRESS` (by a crash), oldest first, with their
    /// progress: call at startup and roll each back or forward.
    async fn recover_interrupted(&self) -> Result<Vec<InterruptedDeployment>>;

    /// Leftovers of committed deployments not yet deleted, oldest first.
    async fn pending_leftovers(&self) -> Result<Vec<Leftover>>;
    /// Forgets a leftover once it is deleted (or its deletion failed for good).
    async fn clear_leftover(&self, id: i64) -> Result<()>;

    // ---- rollouts (alias traffic shifts) -----------------------------------

    /// Starts a rollout at weight 0 with a `Start` event; `AlreadyExists`
    /// when the alias has one in progress.
    async fn begin_rollout(&self, rollout: NewRollout) -> Result<Rollout>;
    /// Appends an event to a running rollout (and moves its weight when
    /// the event carries one).
    async fn record_rollout(&self, rollout: RolloutId, event: RolloutEvent) -> Result<()>;
    /// Ends a running rollout with `status`, why it did not succeed, and a last event.
    async fn finish_rollout(
        &self,
        rollout: RolloutId,
        status: RolloutStatus,
        error: Option<RolloutFailure>,
        event: RolloutEvent,
    ) -> Result<Rollout>;
    /// One rollout with its timeline.
    async fn get_rollout(&self, rollout: RolloutId) -> Result<Option<Rollout>>;
    /// A stage's rollouts, newest first, at most `limit`.
    async fn list_rollouts(&self, stage: &StageRef, limit: u32) -> Result<Vec<Rollout>>;
    /// Rollouts still in progress (at startup: interrupted by a crash), oldest first.
    async fn running_rollouts(&self) -> Result<Vec<Rollout>>;

    // ---- function versions and aliases -----------------------------------

    /// Publishes the next version of a function in a stage.
    async fn publish_version(
        &self,
        stage: &StageRef,
        version: NewFunctionVersion,
    ) -> Result<FunctionVersion>;
    /// One version of a function.
    async fn get_version(
        &self,
        stage: &StageRef,
        function: &FunctionName,
        version: u64,
    ) -> Result<Option<FunctionVersion>>;
    /// Every version of a function, oldest first.
    async fn list_versions(
        &self,
        stage: &StageRef,
        function: &FunctionName,
    ) -> Result<Vec<FunctionVersion>>;
    /// Creates or moves an alias (its versions must be published).
    async fn put_alias(&self, stage: &StageRef, alias: AliasSpec) -> Result<Alias>;
    /// One alias.
    async fn get_alias(
        &self,
        stage: &StageRef,
        function: &FunctionName,
        name: &AliasName,
    ) -> Result<Option<Alias>>;
    /// The aliases of a function, by name.
    async fn list_aliases(&self, stage: &StageRef, function: &FunctionName) -> Result<Vec<Alias>>;
    /// Deletes an alias; returns whether it existed.
    async fn delete_alias(
        &self,
        stage: &StageRef,
        function: &FunctionName,
        name: &AliasName,
    ) -> Result<bool>;
    /// Every artifact digest the state refers to (roots for artifact garbage collection).
    async fn referenced_artifacts(&self) -> Result<BTreeSet<Digest>>;

    // ---- parameters ------------------------------------------------------

    /// Writes a parameter: version 1, or the next version when `overwrite`
    /// (`AlreadyExists` otherwise). Secure strings are sealed before storage.
    /// Writes an audit entry without the value. Returns the new version.
    async fn put_parameter(&self, request: PutParameter) -> Result<u64>;
    /// The latest version of a parameter, or the given one.
    async fn get_parameter(
        &self,
        name: &ParameterName,
        version: Option<u64>,
    ) -> Result<Option<Parameter>>;
    /// The latest version of every parameter under `path` (`/dev`): its direct
    /// children, or all descendants when `recursive`; by name.
    async fn get_parameters_by_path(&self, path: &str, recursive: bool) -> Result<Vec<Parameter>>;
    /// Every version of a parameter, oldest first.
    async fn parameter_history(&self, name: &ParameterName) -> Result<Vec<Parameter>>;
    /// Deletes a parameter and all its versions; returns whether it existed.
    async fn delete_parameter(&self, actor: &str, name: &ParameterName) -> Result<bool>;
    /// Decrypts a secure string (the only way to read one); plain values are
    /// returned as they are.
    fn decrypt_parameter(&self, parameter: &Parameter) -> Result<SecretString>;

    // ---- audit log -------------------------------------------------------

    /// Appends an audit entry.
    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry>;
    /// Lists audit entries, newest first.
    async fn list_audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>>;
}
