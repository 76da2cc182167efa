//! `impl Store for SqliteStore`: each method delegates to its module.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::{SqliteStore, apps, audit, deploy, functions, params, rollouts, stacks};
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
use crate::store::Store;

#[async_trait]
impl Store for SqliteStore {
    async fn create_app(&self, app: &AppName) -> Result<App> {
        apps::create_app(self, app).await
    }
    async fn get_app(&self, app: &AppName) -> Result<Option<App>> {
        apps::get_app(self, app).await
    }
    async fn list_apps(&self) -> Result<Vec<App>> {
        apps::list_apps(self).await
    }
    async fn delete_app(&self, app: &AppName) -> Result<bool> {
        apps::delete_app(self, app).await
    }
    async fn create_stage(&self, stage: &StageRef) -> Result<Stage> {
        apps::create_stage(self, stage).await
    }
    async fn ensure_stage(&self, stage: &StageRef) -> Result<Stage> {
        apps::ensure_stage(self, stage).await
    }
    async fn get_stage(&self, stage: &StageRef) -> Result<Option<Stage>> {
        apps::get_stage(self, stage).await
    }
    async fn list_stages(&self, app: &AppName) -> Result<Vec<Stage>> {
        apps::list_stages(self, app).await
    }
    async fn delete_stage(&self, stage: &StageRef) -> Result<bool> {
        apps::delete_stage(self, stage).await
    }

    async fn get_stack(&self, stack: &StackRef) -> Result<Option<Stack>> {
        stacks::get_stack(self, stack).await
    }
    async fn stack_snapshot(&self, stack: &StackRef) -> Result<Option<StackSnapshot>> {
        stacks::stack_snapshot(self, stack).await
    }
    async fn list_stacks(&self, stage: &StageRef) -> Result<Vec<Stack>> {
        stacks::list_stacks(self, stage).await
    }
    async fn list_resources(&self, stack: &StackRef) -> Result<Vec<ResourceState>> {
        stacks::list_resources(self, stack).await
    }
    async fn list_outputs(&self, stack: &StackRef) -> Result<Vec<Output>> {
        stacks::list_outputs(self, stack).await
    }
    async fn list_events(
        &self,
        stack: &StackRef,
        after: Option<EventId>,
        limit: u32,
    ) -> Result<Vec<StackEvent>> {
        stacks::list_events(self, stack, after, limit).await
    }
    async fn list_exports(&self, stage: &StageRef) -> Result<Vec<Export>> {
        stacks::exports(self, stage, None).await
    }
    async fn get_export(&self, stage: &StageRef, name: &ExportName) -> Result<Option<Export>> {
        Ok(stacks::exports(self, stage, Some(name)).await?.pop())
    }

    async fn begin_deployment(&self, request: BeginDeployment) -> Result<Deployment> {
        deploy::begin(self, request).await
    }
    async fn record_progress(
        &self,
        deployment: DeploymentId,
        progress: ResourceProgress,
    ) -> Result<StackEvent> {
        deploy::record_progress(self, deployment, progress).await
    }
    async fn finish_deployment(
        &self,
        deployment: DeploymentId,
        outcome: DeploymentOutcome,
        commit: StackCommit,
    ) -> Result<Stack> {
        deploy::finish(self, deployment, outcome, commit).await
    }
    async fn get_deployment(&self, deployment: DeploymentId) -> Result<Option<Deployment>> {
        deploy::get(self, deployment).await
    }
    async fn list_deployments(&self, stack: &StackRef, limit: u32) -> Result<Vec<Deployment>> {
        deploy::list(self, stack, limit).await
    }
    async fn deployment_progress(&self, deployment: DeploymentId) -> Result<Vec<ResourceProgress>> {
        deploy::progress(self, deployment).await
    }
    async fn recover_interrupted(&self) -> Result<Vec<InterruptedDeployment>> {
        deploy::recover(self).await
    }

    async fn pending_leftovers(&self) -> Result<Vec<Leftover>> {
        rollouts::leftovers(self).await
    }
    async fn clear_leftover(&self, id: i64) -> Result<()> {
        rollouts::clear_leftover(self, id).await
    }

    async fn begin_rollout(&self, rollout: NewRollout) -> Result<Rollout> {
        rollouts::begin(self, rollout).await
    }
    async fn record_rollout(&self, rollout: RolloutId, event: RolloutEvent) -> Result<()> {
        rollouts::record(self, rollout, event).await
    }
    async fn finish_rollout(
        &self,
        rollout: RolloutId,
        status: RolloutStatus,
        error: Option<RolloutFailure>,
        event: RolloutEvent,
    ) -> Result<Rollout> {
        rollouts::finish(self, rollout, status, error, event).await
    }
    async fn get_rollout(&self, rollout: RolloutId) -> Result<Option<Rollout>> {
        rollouts::get(self, rollout).await
    }
    async fn list_rollouts(&self, stage: &StageRef, limit: u32) -> Result<Vec<Rollout>> {
        rollouts::list(self, stage, limit).await
    }
    async fn running_rollouts(&self) -> Result<Vec<Rollout>> {
        rollouts::running(self).await
    }

    async fn publish_version(
        &self,
        stage: &StageRef,
        version: NewFunctionVersion,
    ) -> Result<FunctionVersion> {
        functions::publish(self, stage, version).await
    }
    async fn get_version(
        &self,
        stage: &StageRef,
        function: &FunctionName,
        version: u64,
    ) -> Result<Option<FunctionVersion>> {
        functions::get_version(self, stage, function, version).await
    }
    async fn list_versions(
        &self,
        stage: &StageRef,
        function: &FunctionName,
    ) -> Result<Vec<FunctionVersion>> {
        functions::list_versions(self, stage, function).await
    }
    async fn put_alias(&self, stage: &StageRef, alias: AliasSpec) -> Result<Alias> {
        functions::put_alias(self, stage, alias).await
    }
    async fn get_alias(
        &self,
        stage: &StageRef,
        function: &FunctionName,
        name: &AliasName,
    ) -> Result<Option<Alias>> {
        functions::get_alias(self, stage, function, name).await
    }
    async fn list_aliases(&self, stage: &StageRef, function: &FunctionName) -> Result<Vec<Alias>> {
        functions::list_aliases(self, stage, function).await
    }
    async fn delete_alias(
        &self,
        stage: &StageRef,
        function: &FunctionName,
        name: &AliasName,
    ) -> Result<bool> {
        functions::delete_alias(self, stage, function, name).await
    }
    async fn referenced_artifacts(&self) -> Result<BTreeSet<Digest>> {
        functions::referenced(self).await
    }

    async fn put_parameter(&self, request: PutParameter) -> Result<u64> {
        params::put(self, request).await
    }
    async fn get_parameter(
        &self,
        name: &ParameterName,
        version: Option<u64>,
    ) -> Result<Option<Parameter>> {
        params::get(self, name, version).await
    }
    async fn get_parameters_by_path(&self, path: &str, recursive: bool) -> Result<Vec<Parameter>> {
        params::by_path(self, path, recursive).await
    }
    async fn parameter_history(&self, name: &ParameterName) -> Result<Vec<Parameter>> {
        params::history(self, name).await
    }
    async fn delete_parameter(&self, actor: &str, name: &ParameterName) -> Result<bool> {
        params::delete(self, actor, name).await
    }
    fn decrypt_parameter(&self, parameter: &Parameter) -> Result<SecretString> {
        params::decrypt(self, parameter)
    }

    async fn record_audit(&self, entry: NewAuditEntry) -> Result<AuditEntry> {
        audit::record(self, entry).await
    }
    async fn list_audit(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        audit::list(self, query).await
    }
}
