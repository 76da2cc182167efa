//! Apps, stages and stacks: `GET /v1/apps`, `GET /v1/apps/{app}/stages/{stage}`.

use axum::Json;
use lockgate_api::{AppSummary, StackQuery, StackSummary, StageInfo, StageResource};
use lockgate_store::StackRef;

use super::{ApiFailure, ApiPath, ApiQuery, S};
use axum::extract::State;

/// Every app with every stack of each of its stages.
pub(super) async fn list(State(s): S) -> Result<Json<Vec<AppSummary>>, ApiFailure> {
    let mut out = Vec::new();
    for app in s.store.list_apps().await? {
        let mut stages = Vec::new();
        for st in s.store.list_stages(&app.name).await? {
            let url = s.stages.url(&st.stage).await;
            for stack in s.store.list_stacks(&st.stage).await? {
                stages.push(StackSummary {
                    stage: st.stage.stage.to_string(),
                    stack: stack.stack.name.to_string(),
                    status: stack.status.as_str().to_string(),
                    version: stack.version,
                    updated_at: stack.updated_at.as_millis(),
                    url: url.clone(),
                });
            }
        }
        out.push(AppSummary {
            app: app.name.to_string(),
            stages,
        });
    }
    Ok(Json(out))
}

/// One stack of a stage: status, URL, outputs, resources.
pub(super) async fn stage(
    State(s): S,
    ApiPath((app, stage)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<StackQuery>,
) -> Result<Json<StageInfo>, ApiFailure> {
    let stack = StackRef::parse(&app, &stage, q.stack.as_deref().unwrap_or(&app))
        .map_err(|e| ApiFailure::bad_request(e.to_string()))?;
    let Some(snapshot) = s.store.stack_snapshot(&stack).await? else {
        return Err(ApiFailure::not_found(format!(
            "stage {app}/{stage} has no stack"
        )));
    };
    let stage_ref = stack.stage_ref();
    let outputs = s.deployer.outputs_view(&stage_ref, &snapshot.outputs).await;
    let resources = snapshot
        .resources
        .iter()
        .map(|r| StageResource {
            logical_id: r.logical_id.clone(),
            resource_type: r.resource_type.clone(),
            physical_id: r.physical_id.clone(),
            status: r.status.as_str().to_string(),
            emulated: s.deployer.registry().is_emulated(&r.resource_type),
        })
        .collect();
    Ok(Json(StageInfo {
        app,
        stage,
        status: snapshot.status.as_str().to_string(),
        status_reason: snapshot.status_reason,
        version: snapshot.version,
        url: s.stages.url(&stage_ref).await,
        outputs,
        resources,
    }))
}
