//! The error body every failing call answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `{"error": {...}}`: the body of every 4xx / 5xx answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorBody {
    /// The error.
    pub error: ApiError,
}

/// What went wrong, with a stable code for programs and a message for people.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ApiError {
    /// A stable code (`invalid-template`, `not-found`, …).
    pub code: ErrorCode,
    /// One line for a person: names the request, file, field or resource
    /// concerned and says what was expected.
    pub message: String,
    /// Template diagnostics rendered as text (file, line, column, snippet);
    /// with `invalid-template`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rendered: Option<String>,
    /// The same diagnostics as JSON; with `invalid-template`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<Value>,
    /// The resource that failed; with `deploy-failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logical_id: Option<String>,
    /// Why it failed; with `deploy-failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What the rollback could not undo, when it could not; with
    /// `deploy-failed` (the stack's status then ends in `_FAILED`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
}

impl ApiError {
    /// An error with a code and a message, and no other field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: message.into(),
            rendered: None,
            diagnostics: None,
            logical_id: None,
            reason: None,
            rollback: None,
        }
    }

    /// Wraps it as a body.
    pub fn into_body(self) -> ErrorBody {
        ErrorBody { error: self }
    }
}

/// The stable codes of [`ApiError::code`]; a code this version does not know
/// (from a newer server) is kept as [`ErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum ErrorCode {
    /// The request is malformed: a bad name, path, query or body. 400.
    BadRequest,
    /// No token, or a token this server does not know. 401.
    Unauthorized,
    /// No such route, stage, stack, parameter or rule. 404.
    NotFound,
    /// The route exists but not with this method. 405.
    MethodNotAllowed,
    /// Another deployment is running on the stack. 409.
    Conflict,
    /// The thing exists already (a parameter without `overwrite`). 409.
    AlreadyExists,
    /// The body is larger than the route takes. 413.
    PayloadTooLarge,
    /// The template or its parameters are invalid; nothing changed. 400.
    InvalidTemplate,
    /// An uploaded artifact's bytes do not hash to the digest named. 400.
    DigestMismatch,
    /// A resource failed and the stack was rolled back. 422.
    DeployFailed,
    /// The server's state store failed. 500.
    Store,
    /// Something that should not happen. 500.
    Internal,
    /// A code this version does not know.
    Other(String),
}

impl ErrorCode {
    /// The code as sent.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::BadRequest => "bad-request",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotFound => "not-found",
            ErrorCode::MethodNotAllowed => "method-not-allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::AlreadyExists => "already-exists",
            ErrorCode::PayloadTooLarge => "payload-too-large",
            ErrorCode::InvalidTemplate => "invalid-template",
            ErrorCode::DigestMismatch => "digest-mismatch",
            ErrorCode::DeployFailed => "deploy-failed",
            ErrorCode::Store => "store",
            ErrorCode::Internal => "internal",
            ErrorCode::Other(s) => s,
        }
    }

    /// Whether the server failed (rather than refused the request).
    pub fn is_internal(&self) -> bool {
        matches!(self, ErrorCode::Store | ErrorCode::Internal)
    }

    /// Every known code, as sent.
    pub const KNOWN: &'static [&'static str] = &[
        "bad-request",
        "unauthorized",
        "not-found",
        "method-not-allowed",
        "conflict",
        "already-exists",
        "payload-too-large",
        "invalid-template",
        "digest-mismatch",
        "deploy-failed",
        "store",
        "internal",
    ];
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        match s {
            "bad-request" => ErrorCode::BadRequest,
            "unauthorized" => ErrorCode::Unauthorized,
            "not-found" => ErrorCode::NotFound,
            "method-not-allowed" => ErrorCode::MethodNotAllowed,
            "conflict" => ErrorCode::Conflict,
            "already-exists" => ErrorCode::AlreadyExists,
            "payload-too-large" => ErrorCode::PayloadTooLarge,
            "invalid-template" => ErrorCode::InvalidTemplate,
            "digest-mismatch" => ErrorCode::DigestMismatch,
            "deploy-failed" => ErrorCode::DeployFailed,
            "store" => ErrorCode::Store,
            "internal" => ErrorCode::Internal,
            other => ErrorCode::Other(other.to_string()),
        }
    }
}

impl From<String> for ErrorCode {
    fn from(s: String) -> Self {
        ErrorCode::from(s.as_str())
    }
}

impl From<ErrorCode> for String {
    fn from(c: ErrorCode) -> String {
        c.as_str().to_string()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(feature = "schema")]
impl schemars::JsonSchema for ErrorCode {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ErrorCode".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A stable error code; clients keep codes they do not know.",
            "examples": ErrorCode::KNOWN,
        })
    }

    fn inline_schema() -> bool {
        true
    }
}
