//! SSM's answers and errors (AWS JSON 1.1: `{"__type", "message"}`).

use super::*;

/// An answer: the HTTP status and the JSON body (content type [`CONTENT_TYPE`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsmResponse {
    /// 200, 400 (client error), 403 (no signature) or 500 (server fault).
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl SsmResponse {
    pub(super) fn ok(value: &Value) -> Self {
        Self {
            status: 200,
            body: serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec()),
        }
    }

    /// An AWS JSON error answer: `{"__type": code, "message": message}`.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self {
            status,
            body: serde_json::to_vec(&json!({ "__type": code, "message": message }))
                .unwrap_or_default(),
        }
    }
}

/// An SSM error: its code, status and message.
#[derive(Debug)]
pub(super) struct ApiError {
    pub(super) status: u16,
    pub(super) code: &'static str,
    pub(super) message: String,
}

impl ApiError {
    pub(super) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: 400,
            code,
            message: message.into(),
        }
    }
    pub(super) fn validation(message: impl Into<String>) -> Self {
        Self::new("ValidationException", message)
    }
    pub(super) fn not_found(name: &str) -> Self {
        Self::new("ParameterNotFound", format!("Parameter {name} not found."))
    }
    pub(super) fn internal(message: impl Into<String>) -> Self {
        Self {
            status: 500,
            code: "InternalServerError",
            message: message.into(),
        }
    }
    pub(super) fn from_store(e: StoreError) -> Self {
        match e {
            StoreError::InvalidName { .. } | StoreError::InvalidInput(_) => {
                Self::validation(e.to_string())
            }
            StoreError::AlreadyExists { .. } => Self::new(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            ),
            StoreError::NotFound { name, .. } => Self::not_found(&name),
            other => Self::internal(other.to_string()),
        }
    }
}

pub(super) type ApiResult<T> = Result<T, ApiError>;
