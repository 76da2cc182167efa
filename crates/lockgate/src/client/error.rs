//! What can go wrong talking to the server, and its exit code.

use super::*;

/// Why a call failed. [`ClientError::exit_code`] maps it to the CLI's exit codes.
#[derive(Debug)]
pub enum ClientError {
    /// No server could be found or reached.
    Unreachable(String),
    /// The server refused the request (4xx): a user error.
    Refused {
        /// HTTP status.
        status: u16,
        /// The error code from the body, when there is one.
        code: String,
        /// The message.
        message: String,
        /// Rendered diagnostics, when the server sent them.
        diagnostics: Option<String>,
    },
    /// The server failed (5xx) or answered something unreadable.
    Server(String),
    /// A problem on this side (bad arguments, unreadable files).
    Usage(String),
}

impl ClientError {
    /// 1 for user errors, 2 for an unreachable server or an internal failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            ClientError::Refused { .. } | ClientError::Usage(_) => 1,
            ClientError::Unreachable(_) | ClientError::Server(_) => 2,
        }
    }

    /// Prints the error on stderr, with diagnostics when there are any.
    pub fn report(&self) {
        match self {
            ClientError::Refused {
                message,
                diagnostics,
                ..
            } => {
                if let Some(d) = diagnostics.as_deref().filter(|d| !d.trim().is_empty()) {
                    eprint!("{d}");
                    if !d.ends_with('\n') {
                        eprintln!();
                    }
                }
                eprintln!("error: {message}");
            }
            other => eprintln!("error: {other}"),
        }
    }

    /// The error as a JSON document, for `--output json`.
    pub fn to_json(&self) -> Value {
        match self {
            ClientError::Refused {
                status,
                code,
                message,
                diagnostics,
            } => {
                json!({"error": {"status": status, "code": code, "message": message, "diagnostics": diagnostics}})
            }
            ClientError::Unreachable(m) => json!({"error": {"code": "Unreachable", "message": m}}),
            ClientError::Server(m) => json!({"error": {"code": "ServerError", "message": m}}),
            ClientError::Usage(m) => json!({"error": {"code": "UsageError", "message": m}}),
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClientError::Unreachable(m) | ClientError::Server(m) | ClientError::Usage(m) => {
                f.write_str(m)
            }
            ClientError::Refused { message, .. } => f.write_str(message),
        }
    }
}

impl std::error::Error for ClientError {}

/// Turns an error answer (or any body) into a [`ClientError`]: the API's
/// `{"error": {...}}` when the body is one, else the status and the text.
pub fn error_from_body(status: u16, body: &str, what: &str) -> ClientError {
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(b) => error_from_api(status, b.error, what),
        Err(_) => {
            let message = if body.trim().is_empty() {
                format!("{what}: HTTP {status}")
            } else {
                format!("{what}: HTTP {status}: {}", body.trim())
            };
            if (400..500).contains(&status) {
                ClientError::Refused {
                    status,
                    code: "Error".into(),
                    message,
                    diagnostics: None,
                }
            } else {
                ClientError::Server(format!(
                    "{what}: the server failed (HTTP {status}): {message}"
                ))
            }
        }
    }
}

/// The API's error as a [`ClientError`]: a refusal (exit code 1) for a 4xx
/// that is not the server's own failure, else a server error (exit code 2).
pub fn error_from_api(status: u16, e: ApiError, what: &str) -> ClientError {
    if (400..500).contains(&status) && !e.code.is_internal() {
        ClientError::Refused {
            status,
            code: e.code.to_string(),
            message: e.message,
            diagnostics: e.rendered,
        }
    } else {
        ClientError::Server(format!(
            "{what}: the server failed (HTTP {status}): {}",
            e.message
        ))
    }
}
