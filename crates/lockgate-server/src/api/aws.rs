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
        let context = crate::permissions::request_context(s.stages.region());
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
/// stage's metrics, once the caller's role allows `cloudwatch:<Action>`.
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
    // The request is read once, by the API's own parser: the role is
    // checked on the very operation and input that then run (a form key
    // given twice is the same value to both).
    let call = lockgate_metrics::api::parse(&lockgate_metrics::api::ApiRequest {
        method: request.method,
        query: request.query,
        headers: &request.headers,
        body: request.body,
    });
    // The caller's role must allow the action, as IAM would check it.
    if let Some(iam) = CloudWatchCall::of(&call) {
        let mut context = crate::permissions::request_context(s.stages.region());
        if let Some(ns) = &iam.namespace {
            context.insert("cloudwatch:namespace".into(), vec![ns.clone()]);
        }
        let action = format!("cloudwatch:{}", iam.op);
        for resource in iam.resources(s.stages.region(), crate::ACCOUNT_ID) {
            if let Err(denied) = s.stages.permissions().check(
                &caller,
                crate::ACCOUNT_ID,
                &action,
                &resource,
                &context,
            ) {
                return iam.access_denied(&denied.0);
            }
        }
    }
    let metrics = s.stages.metrics(&stage);
    let now = lockgate_metrics::Timestamp::now();
    let alarms = metrics.alarms(now);
    let response = lockgate_metrics::api::run(
        &lockgate_metrics::api::ApiContext {
            store: &metrics.store,
            alarms: &alarms,
            region: s.stages.region(),
            account_id: crate::ACCOUNT_ID,
            now,
        },
        call,
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

/// A CloudWatch request as IAM sees it: the operation, the protocol the
/// client spoke (errors answer in it) and what the condition keys and
/// resources come from — all read from the call the API runs.
#[derive(Debug, PartialEq)]
struct CloudWatchCall {
    /// AWS JSON 1.0 (`X-Amz-Target`), else the query protocol.
    json: bool,
    /// The operation (`PutMetricData`).
    op: String,
    /// `Namespace`, for `PutMetricData` only: the `cloudwatch:namespace`
    /// key, which AWS sets for no other operation.
    namespace: Option<String>,
    /// The alarms the request names (`DescribeAlarms`' `AlarmNames`,
    /// `DescribeAlarmHistory`'s `AlarmName`).
    alarms: Vec<String>,
}

impl CloudWatchCall {
    /// What `call` asks, for an operation the API serves and a request it
    /// could read (`None` otherwise: the API then answers an error without
    /// running anything).
    fn of(call: &lockgate_metrics::api::ApiCall) -> Option<CloudWatchCall> {
        let op = call.operation()?;
        let input = call.input()?;
        // Every operation is evaluated as `cloudwatch:<Operation>`, one the
        // API does not serve too (it then answers `InvalidAction` if the
        // role allows the call): no list here to drift from the API's.
        let text = |k: &str| input.get(k).and_then(Value::as_str).map(str::to_string);
        let alarms = match op {
            "DescribeAlarms" => input
                .get("AlarmNames")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            "DescribeAlarmHistory" => text("AlarmName").into_iter().collect(),
            _ => Vec::new(),
        };
        Some(CloudWatchCall {
            json: call.is_json(),
            op: op.to_string(),
            namespace: if op == "PutMetricData" {
                text("Namespace")
            } else {
                None
            },
            alarms,
        })
    }

    /// The resources IAM evaluates the action on: `*` for the metric
    /// actions (they have no resource type); for the alarm ones each alarm
    /// named (`arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`), or all of
    /// them (`…:alarm:*`).
    fn resources(&self, region: &str, account: &str) -> Vec<String> {
        if !self.op.starts_with("DescribeAlarm") {
            return vec!["*".to_string()];
        }
        let arn = |name: &str| format!("arn:aws:cloudwatch:{region}:{account}:alarm:{name}");
        if self.alarms.is_empty() {
            vec![arn("*")]
        } else {
            self.alarms.iter().map(|a| arn(a)).collect()
        }
    }

    /// AWS's refusal in the protocol the client spoke: HTTP 403, code
    /// `AccessDenied` (the query protocol's `<ErrorResponse>`, or AWS JSON
    /// 1.0 with the `x-amzn-query-error` header SDKs read the code from).
    fn access_denied(&self, message: &str) -> Response {
        let request_id = uuid::Uuid::new_v4().to_string();
        let builder = Response::builder()
            .status(403)
            .header("x-amzn-RequestId", &request_id);
        let built = if self.json {
            builder
                .header(
                    header::CONTENT_TYPE,
                    lockgate_metrics::api::JSON_CONTENT_TYPE,
                )
                .header("x-amzn-query-error", "AccessDenied;Sender")
                .body(Body::from(
                    json!({
                        "__type": "com.amazon.coral.service#AccessDeniedException",
                        "message": message,
                    })
                    .to_string(),
                ))
        } else {
            let escaped = message
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            builder.header(header::CONTENT_TYPE, "text/xml").body(Body::from(format!(
                "<ErrorResponse xmlns=\"{}\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{escaped}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                lockgate_metrics::api::XML_NAMESPACE
            )))
        };
        built.unwrap_or_else(|e| ApiFailure::internal(format!("response: {e}")).into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockgate_metrics::api::{ApiRequest, parse};

    fn read(
        method: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Option<CloudWatchCall> {
        CloudWatchCall::of(&parse(&ApiRequest {
            method,
            query,
            headers,
            body,
        }))
    }

    #[test]
    fn cloudwatch_calls_in_either_protocol() {
        let call = read(
            "POST",
            "",
            &[
                ("content-type", "application/x-amz-json-1.0"),
                (
                    "x-amz-target",
                    "GraniteServiceVersion20100801.PutMetricData",
                ),
            ],
            br#"{"Namespace": "Shop", "MetricData": []}"#,
        )
        .unwrap();
        assert_eq!(
            call,
            CloudWatchCall {
                json: true,
                op: "PutMetricData".into(),
                namespace: Some("Shop".into()),
                alarms: vec![],
            }
        );
        assert_eq!(call.resources("us-east-1", "1"), vec!["*"]);
        let call = read(
            "POST",
            "",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=a%20b&AlarmNames.member.2=c+d",
        )
        .unwrap();
        assert!(!call.json);
        assert_eq!(
            call.resources("us-east-1", "1"),
            vec![
                "arn:aws:cloudwatch:us-east-1:1:alarm:a b",
                "arn:aws:cloudwatch:us-east-1:1:alarm:c d"
            ]
        );
        let get = read("GET", "Action=DescribeAlarmHistory", &[], b"").unwrap();
        assert_eq!(
            get.resources("us-east-1", "1"),
            vec!["arn:aws:cloudwatch:us-east-1:1:alarm:*"]
        );
        let one = read("GET", "Action=DescribeAlarmHistory&AlarmName=x", &[], b"").unwrap();
        assert_eq!(
            one.resources("us-east-1", "1"),
            vec!["arn:aws:cloudwatch:us-east-1:1:alarm:x"]
        );
        // An operation the API does not serve is evaluated too (the role
        // must allow `cloudwatch:PutMetricAlarm` before the API answers
        // InvalidAction); a request with no operation is left to the API.
        let alarm = read("POST", "", &[], b"Action=PutMetricAlarm").unwrap();
        assert_eq!(alarm.op, "PutMetricAlarm");
        assert_eq!(alarm.resources("us-east-1", "1"), vec!["*"]);
        assert_eq!(read("POST", "", &[], b"Namespace=Shop"), None);
    }

    #[test]
    fn a_repeated_key_is_checked_as_it_runs() {
        // The API takes a form key's last value: so does the check.
        let call = read(
            "POST",
            "",
            &[],
            b"Action=ListMetrics&Action=PutMetricData&Namespace=Shop&Namespace=Other",
        )
        .unwrap();
        assert_eq!(call.op, "PutMetricData");
        assert_eq!(call.namespace.as_deref(), Some("Other"));
    }

    #[test]
    fn the_namespace_key_is_put_metric_datas_only() {
        // AWS sets cloudwatch:namespace for PutMetricData alone.
        let call = read("POST", "", &[], b"Action=ListMetrics&Namespace=Shop").unwrap();
        assert_eq!(call.namespace, None);
        let call = read(
            "POST",
            "",
            &[(
                "x-amz-target",
                "GraniteServiceVersion20100801.GetMetricStatistics",
            )],
            br#"{"Namespace": "Shop"}"#,
        )
        .unwrap();
        assert_eq!(call.namespace, None);
    }
}
