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
    // The caller's role must allow the action, as IAM would check it.
    if let Some(call) = CloudWatchCall::read(request) {
        let mut context = crate::permissions::request_context(s.stages.region());
        if let Some(ns) = &call.namespace {
            context.insert("cloudwatch:namespace".into(), vec![ns.clone()]);
        }
        let action = format!("cloudwatch:{}", call.op);
        for resource in call.resources(s.stages.region(), crate::ACCOUNT_ID) {
            if let Err(denied) = s.stages.permissions().check(
                &caller,
                crate::ACCOUNT_ID,
                &action,
                &resource,
                &context,
            ) {
                return call.access_denied(&denied.0);
            }
        }
    }
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

/// The operations the local CloudWatch API serves (`lockgate_metrics::api`):
/// each is evaluated as `cloudwatch:<Operation>`. Others are left to the
/// API, which answers `InvalidAction`.
const CLOUDWATCH_OPERATIONS: &[&str] = &[
    "PutMetricData",
    "GetMetricData",
    "GetMetricStatistics",
    "ListMetrics",
    "DescribeAlarms",
    "DescribeAlarmHistory",
];

/// A CloudWatch request as IAM sees it: the operation, the protocol the
/// client spoke (errors answer in it) and what the condition keys and
/// resources come from.
#[derive(Debug, PartialEq)]
struct CloudWatchCall {
    /// AWS JSON 1.0 (`X-Amz-Target`), else the query protocol.
    json: bool,
    /// The operation (`PutMetricData`).
    op: String,
    /// `Namespace` (the `cloudwatch:namespace` key of `PutMetricData`).
    namespace: Option<String>,
    /// The alarms the request names (`AlarmNames` / `AlarmName`).
    alarms: Vec<String>,
}

impl CloudWatchCall {
    /// What `request` asks, for an operation the API serves (`None`
    /// otherwise, or for a protocol the API refuses).
    fn read(request: &SignedRequest<'_>) -> Option<CloudWatchCall> {
        let content_type = request
            .header("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("application/cbor") {
            return None;
        }
        let call = if let Some(target) = request.header("x-amz-target") {
            let op = target.strip_prefix(lockgate_metrics::api::TARGET_PREFIX)?;
            let body: Value = serde_json::from_slice(request.body).unwrap_or(Value::Null);
            let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
            CloudWatchCall {
                json: true,
                op: op.to_string(),
                namespace: text("Namespace"),
                alarms: body
                    .get("AlarmNames")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .chain(text("AlarmName"))
                    .collect(),
            }
        } else {
            let form = if request.method.eq_ignore_ascii_case("GET") {
                request.query.as_bytes()
            } else {
                request.body
            };
            let pairs = form_pairs(form);
            let text = |k: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            CloudWatchCall {
                json: false,
                op: text("Action")?,
                namespace: text("Namespace"),
                alarms: pairs
                    .iter()
                    .filter(|(k, _)| k.starts_with("AlarmNames.member.") || k == "AlarmName")
                    .map(|(_, v)| v.clone())
                    .collect(),
            }
        };
        CLOUDWATCH_OPERATIONS
            .contains(&call.op.as_str())
            .then_some(call)
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

/// `application/x-www-form-urlencoded` pairs, decoded.
fn form_pairs(form: &[u8]) -> Vec<(String, String)> {
    fn decode(s: &[u8]) -> String {
        let mut out = Vec::with_capacity(s.len());
        let mut i = 0;
        while i < s.len() {
            match s[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < s.len() => {
                    let hex = std::str::from_utf8(&s[i + 1..i + 3]).ok();
                    match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    form.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|b| *b == b'=') {
            Some(at) => (decode(&p[..at]), decode(&p[at + 1..])),
            None => (decode(p), String::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(
        method: &'a str,
        query: &'a str,
        headers: Vec<(&'a str, &'a str)>,
        body: &'a [u8],
    ) -> SignedRequest<'a> {
        SignedRequest {
            method,
            path: "/",
            query,
            headers,
            body,
        }
    }

    #[test]
    fn cloudwatch_calls_in_either_protocol() {
        let json = request(
            "POST",
            "",
            vec![
                ("content-type", "application/x-amz-json-1.0"),
                (
                    "x-amz-target",
                    "GraniteServiceVersion20100801.PutMetricData",
                ),
            ],
            br#"{"Namespace": "Shop", "MetricData": []}"#,
        );
        let call = CloudWatchCall::read(&json).unwrap();
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
        let query = request(
            "POST",
            "",
            vec![("content-type", "application/x-www-form-urlencoded")],
            b"Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=a%20b&AlarmNames.member.2=c+d",
        );
        let call = CloudWatchCall::read(&query).unwrap();
        assert!(!call.json);
        assert_eq!(
            call.resources("us-east-1", "1"),
            vec![
                "arn:aws:cloudwatch:us-east-1:1:alarm:a b",
                "arn:aws:cloudwatch:us-east-1:1:alarm:c d"
            ]
        );
        let get = request("GET", "Action=DescribeAlarmHistory", vec![], b"");
        assert_eq!(
            CloudWatchCall::read(&get)
                .unwrap()
                .resources("us-east-1", "1"),
            vec!["arn:aws:cloudwatch:us-east-1:1:alarm:*"]
        );
        // What the API does not serve is left to it (InvalidAction).
        let other = request("POST", "", vec![], b"Action=PutMetricAlarm");
        assert_eq!(CloudWatchCall::read(&other), None);
        assert_eq!(
            form_pairs(b"a=%41%zz%4&b"),
            vec![("a".into(), "A%zz%4".into()), ("b".into(), String::new())]
        );
    }
}
