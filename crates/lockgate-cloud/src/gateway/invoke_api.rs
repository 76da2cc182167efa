//! The Lambda Invoke API: `POST /2015-03-31/functions/{name}/invocations`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use serde_json::json;

use crate::cloud::{Cloud, with_qualifier};
use crate::function::{InvokeError, InvokeRequest};
use crate::http::{self, Body, BodyError, MAX_PAYLOAD};

fn aws_error(status: StatusCode, error_type: &str, body: serde_json::Value) -> Response<Body> {
    let mut r = http::json(status, &body);
    if let Ok(v) = error_type.parse() {
        r.headers_mut().insert("x-amzn-errortype", v);
    }
    r
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Serves one Invoke API request.
pub async fn handle(cloud: &Arc<Cloud>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let name = path
        .strip_prefix("/2015-03-31/functions/")
        .and_then(|r| r.strip_suffix("/invocations"))
        .map(|n| {
            percent_encoding::percent_decode_str(n)
                .decode_utf8_lossy()
                .into_owned()
        });
    let Some(name) = name.filter(|n| !n.is_empty() && !n.contains('/')) else {
        return aws_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            json!({"Type": "User", "message": format!("Unknown operation {} {path}", req.method())}),
        );
    };
    if req.method() != Method::POST {
        return aws_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "UnknownOperationException",
            json!({"Type": "User", "message": "The Invoke API takes POST"}),
        );
    }
    // `?Qualifier=` names a version or alias, like a `name:qualifier` path.
    let qualifier = req.uri().query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "Qualifier")
            .map(|(_, v)| v.into_owned())
    });
    let target = match &qualifier {
        Some(q) if !q.is_empty() && !name.starts_with("arn:") && !name.contains(':') => {
            format!("{name}:{q}")
        }
        _ => name.clone(),
    };
    // Resolved once: the alias pick made here is the one that runs.
    let Some(function) = cloud.resolve(&target) else {
        let arn = if target.starts_with("arn:") {
            target.clone()
        } else {
            format!(
                "arn:aws:lambda:{}:{}:function:{target}",
                cloud.region(),
                cloud.account_id()
            )
        };
        return aws_error(
            StatusCode::NOT_FOUND,
            "ResourceNotFoundException",
            json!({"Type": "User", "message": format!("Function not found: {arn}")}),
        );
    };
    let invocation_type =
        header(&req, "x-amz-invocation-type").unwrap_or_else(|| "RequestResponse".into());
    let want_tail = header(&req, "x-amz-log-type").is_some_and(|v| v.eq_ignore_ascii_case("Tail"));
    let client_context = header(&req, "x-amz-client-context")
        .and_then(|c| B64.decode(c).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    let body = match http::read_body_within(
        req.into_body(),
        MAX_PAYLOAD,
        Some(super::HEADER_READ_TIMEOUT),
    )
    .await
    {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                json!({"Type": "User", "message": format!("Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation")}),
            );
        }
        Err(BodyError::Broken) => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                json!({"Type": "User", "message": "the body could not be read"}),
            );
        }
        Err(BodyError::TimedOut) => {
            return http::closing(aws_error(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeoutException",
                json!({"Type": "User", "message": "Your socket connection to the server was not read from or written to within the timeout period."}),
            ));
        }
    };
    let payload = if body.iter().all(u8::is_ascii_whitespace) {
        Bytes::from_static(b"{}")
    } else {
        body
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&payload) {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidRequestContentException",
            json!({"Type": "User", "message": format!("Could not parse request body into json: {e}")}),
        );
    }
    let request = with_qualifier(
        &target,
        InvokeRequest {
            payload,
            client_context,
            cognito_identity: None,
            want_tail,
            qualifier: None,
        },
    );
    match invocation_type.as_str() {
        "DryRun" => {
            let mut r = http::response(StatusCode::NO_CONTENT, "application/json", Bytes::new());
            r.headers_mut().remove(hyper::header::CONTENT_TYPE);
            r
        }
        "Event" => {
            cloud.invoke_event_on(function.clone(), request);
            let mut r = http::response(StatusCode::ACCEPTED, "application/json", Bytes::new());
            r.headers_mut().remove(hyper::header::CONTENT_TYPE);
            r
        }
        "RequestResponse" => match function.invoke(request).await {
            Ok(o) => {
                let mut r = http::response(StatusCode::OK, "application/json", o.body);
                let h = r.headers_mut();
                let mut set = |k: &'static str, v: &str| {
                    if let Ok(v) = v.parse() {
                        h.insert(k, v);
                    }
                };
                set("x-amzn-requestid", &o.request_id);
                set("x-amz-executed-version", &o.version);
                if let Some(e) = &o.function_error {
                    set("x-amz-function-error", e);
                }
                if let Some(tail) = &o.log_tail {
                    set("x-amz-log-result", &B64.encode(tail));
                }
                r
            }
            Err(InvokeError::Throttled) => aws_error(
                StatusCode::TOO_MANY_REQUESTS,
                "TooManyRequestsException",
                json!({"Reason": "ReservedFunctionConcurrentInvocationLimitExceeded", "Type": "User", "message": "Rate Exceeded."}),
            ),
            Err(InvokeError::Start(msg)) => aws_error(
                StatusCode::BAD_GATEWAY,
                "ServiceException",
                json!({"Type": "Service", "message": msg}),
            ),
        },
        other => aws_error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            json!({"Type": "User", "message": format!("Invalid invocation type {other}: use RequestResponse, Event or DryRun")}),
        ),
    }
}
