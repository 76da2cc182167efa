//! `POST /` for the AWS APIs besides SSM that function code calls with its
//! stage's credentials: CodeDeploy's `PutLifecycleEventHookExecutionStatus`
//! (lifecycle hooks report through `AWS_ENDPOINT_URL_CODEDEPLOY`) and the
//! CloudWatch API (`AWS_ENDPOINT_URL_CLOUDWATCH`). The SigV4 credential
//! scope's service picks the API, as AWS's endpoints are per service.

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ApiFailure;
use crate::Shared;
use crate::rollout::{HookStatus, parse_deployment_id};
use crate::sigv4::SignedRequest;
use crate::ssm::Caller;

/// The service a signed request is scoped to (`ssm`, `codedeploy`, `monitoring`).
pub(super) fn service_of(request: &SignedRequest<'_>) -> Option<String> {
    let header = request.header("authorization")?;
    crate::sigv4::Authorization::parse(header)
        .ok()
        .map(|a| a.service)
}

fn aws_error(status: u16, code: &str, message: &str, content_type: &str) -> Response {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(
            json!({ "__type": code, "message": message }).to_string(),
        ))
        .unwrap_or_else(|e| ApiFailure::internal(format!("response: {e}")).into_response())
}

/// The stage a caller's credentials belong to (`None` for the admin's).
fn stage_of(caller: &Caller) -> Option<lockgate_store::StageRef> {
    match caller {
        Caller::Admin => None,
        Caller::Stage { app, stage, .. } => lockgate_store::StageRef::parse(app, stage).ok(),
    }
}

/// CodeDeploy (AWS JSON 1.1): `PutLifecycleEventHookExecutionStatus`.
pub(super) fn codedeploy(s: &Shared, request: &SignedRequest<'_>) -> Response {
    const JSON: &str = "application/x-amz-json-1.1";
    let caller = match s.credentials.authenticate(request, chrono::Utc::now()) {
        Ok(c) => c,
        Err(e) => return aws_error(e.http_status(), e.aws_code(), &e.to_string(), JSON),
    };
    let target = request.header("x-amz-target").unwrap_or("");
    if target != "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus" {
        return aws_error(
            400,
            "UnknownOperationException",
            &format!(
                "X-Amz-Target `{target}`: the local CodeDeploy API answers \
                 CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus"
            ),
            JSON,
        );
    }
    let body: Value = match serde_json::from_slice(request.body) {
        Ok(v) => v,
        Err(e) => {
            return aws_error(
                400,
                "SerializationException",
                &format!("request body: {e}"),
                JSON,
            );
        }
    };
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("");
    let (deployment, execution, status) = (
        text("deploymentId"),
        text("lifecycleEventHookExecutionId"),
        text("status"),
    );
    if parse_deployment_id(deployment).is_none() {
        return aws_error(
            400,
            "InvalidDeploymentIdException",
            &format!("Specified DeploymentId is not in the valid format: `{deployment}`"),
            JSON,
        );
    }
    let status = match status {
        "Succeeded" => HookStatus::Succeeded,
        "Failed" => HookStatus::Failed,
        other => {
            return aws_error(
                400,
                "InvalidLifecycleEventHookExecutionStatusException",
                &format!("status `{other}`: expected Succeeded or Failed"),
                JSON,
            );
        }
    };
    // The hook function's role must allow the report, as IAM would check it.
    if let Some(resource) = s.rollouts.hook_resource(execution) {
        let context = std::collections::HashMap::from([(
            "aws:RequestedRegion".to_string(),
            vec![s.stages.region().to_string()],
        )]);
        if let Err(denied) = s.stages.permissions().check(
            &caller,
            crate::ACCOUNT_ID,
            "codedeploy:PutLifecycleEventHookExecutionStatus",
            &resource,
            &context,
        ) {
            return aws_error(400, "AccessDeniedException", &denied.0, JSON);
        }
    }
    match s
        .rollouts
        .report_hook(stage_of(&caller).as_ref(), deployment, execution, status)
    {
        Ok(()) => Response::builder()
            .header(header::CONTENT_TYPE, JSON)
            .body(Body::from(
                json!({ "lifecycleEventHookExecutionId": execution }).to_string(),
            ))
            .unwrap_or_else(|e| ApiFailure::internal(format!("response: {e}")).into_response()),
        Err(e) => aws_error(
            400,
            "InvalidLifecycleEventHookExecutionIdException",
            &e.to_string(),
            JSON,
        ),
    }
}

/// CloudWatch (AWS JSON 1.0 or the query protocol), on the caller's
/// stage's metrics.
pub(super) async fn cloudwatch(s: &Shared, request: &SignedRequest<'_>) -> Response {
    let caller = match s.credentials.authenticate(request, chrono::Utc::now()) {
        Ok(c) => c,
        Err(e) => {
            return aws_error(
                e.http_status(),
                e.aws_code(),
                &e.to_string(),
                "application/x-amz-json-1.0",
            );
        }
    };
    let Some(stage) = stage_of(&caller) else {
        return aws_error(
            400,
            "InvalidClientTokenId",
            "the local CloudWatch API serves the metrics of a stage: call it with the stage's credentials",
            "application/x-amz-json-1.0",
        );
    };
    let metrics = s.stages.metrics(&stage);
    let now = lockgate_metrics::Timestamp::now();
    let alarms = metrics.alarms(now);
    let response = lockgate_metrics::api::handle(
        &lockgate_metrics::api::ApiContext {
            store: &metrics.store,
            alarms: &alarms,
            region: s.stages.region(),
            account_id: crate::ACCOUNT_ID,
            now,
        },
        &lockgate_metrics::api::ApiRequest {
            method: request.method,
            query: request.query,
            headers: &request.headers,
            body: request.body,
        },
    );
    let mut builder = Response::builder()
        .status(response.status)
        .header(header::CONTENT_TYPE, response.content_type);
    for (k, v) in response.headers {
        builder = builder.header(k, v);
    }
    builder
        .body(Body::from(response.body))
        .unwrap_or_else(|e| ApiFailure::internal(format!("response: {e}")).into_response())
}
