//! Errors of the SAM transform, worded exactly as the real translator words them.

use std::fmt;

/// One cause of a rejected template, as the translator reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(
    missing_docs,
    reason = "each variant's documentation says what its fields are"
)]
pub enum ErrorItem {
    /// `Resource with id [ID] is invalid. MESSAGE`
    InvalidResource { logical_id: String, message: String },
    /// `Event with id [ID] is invalid. MESSAGE`
    InvalidEvent { event_id: String, message: String },
    /// `Structure of the SAM template is invalid. MESSAGE`
    InvalidTemplate { message: String },
    /// A message used as it stands (duplicate logical IDs, document-level problems).
    Other { message: String },
    /// `InvalidDocumentException([InvalidTemplateException(MESSAGE)])` raised
    /// while translating: `Structure of the SAM template is invalid. MESSAGE`,
    /// and the transform stops at once with this cause alone (the causes
    /// collected so far are dropped, as the translator drops them).
    Document { message: String },
}

impl ErrorItem {
    /// `Resource with id [ID] is invalid. MESSAGE`
    pub fn resource(logical_id: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorItem::InvalidResource {
            logical_id: logical_id.into(),
            message: message.into(),
        }
    }

    /// `Event with id [ID] is invalid. MESSAGE`
    pub fn event(event_id: impl Into<String>, message: impl Into<String>) -> Self {
        ErrorItem::InvalidEvent {
            event_id: event_id.into(),
            message: message.into(),
        }
    }

    /// `Structure of the SAM template is invalid. MESSAGE`
    pub fn template(message: impl Into<String>) -> Self {
        ErrorItem::InvalidTemplate {
            message: message.into(),
        }
    }

    /// A document-level error that stops the transform (see [`ErrorItem::Document`]).
    pub fn document(message: impl Into<String>) -> Self {
        ErrorItem::Document {
            message: message.into(),
        }
    }

    /// Whether this error stops the transform at once.
    pub fn is_fatal(&self) -> bool {
        matches!(self, ErrorItem::Document { .. })
    }

    /// The key the translator's report sorts causes by: the logical ID of the
    /// resource they concern.
    fn sort_key(&self) -> String {
        match self {
            ErrorItem::InvalidResource { logical_id, .. } => logical_id.clone(),
            ErrorItem::Other { message } => message
                .strip_prefix("Transforming resource with id [")
                .and_then(|rest| rest.split(']').next())
                .unwrap_or_default()
                .to_string(),
            // Other causes have no logical ID to compare: their message stands in.
            other => other.to_string(),
        }
    }

    /// The logical ID of the resource this error is about, when there is one.
    pub fn logical_id(&self) -> Option<&str> {
        match self {
            ErrorItem::InvalidResource { logical_id, .. } => Some(logical_id),
            _ => None,
        }
    }
}

impl fmt::Display for ErrorItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorItem::InvalidResource {
                logical_id,
                message,
            } => write!(f, "Resource with id [{logical_id}] is invalid. {message}"),
            ErrorItem::InvalidEvent { event_id, message } => {
                write!(f, "Event with id [{event_id}] is invalid. {message}")
            }
            ErrorItem::InvalidTemplate { message } | ErrorItem::Document { message } => {
                write!(f, "Structure of the SAM template is invalid. {message}")
            }
            ErrorItem::Other { message } => f.write_str(message),
        }
    }
}

/// A template the transform rejected: every cause found, deduplicated by message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TransformError {
    /// The causes, in the order the translator reports them.
    pub errors: Vec<ErrorItem>,
}

impl TransformError {
    /// Builds the error from causes, dropping repeated messages as the translator does.
    pub fn new(causes: Vec<ErrorItem>) -> Self {
        let mut errors: Vec<ErrorItem> = Vec::with_capacity(causes.len());
        for cause in causes {
            let msg = cause.to_string();
            if let Some(pos) = errors.iter().position(|e| e.to_string() == msg) {
                // Python's dict keeps the first key position and the last value.
                errors[pos] = cause;
            } else {
                errors.push(cause);
            }
        }
        TransformError { errors }
    }
}

impl From<ErrorItem> for TransformError {
    fn from(item: ErrorItem) -> Self {
        TransformError::new(vec![item])
    }
}

impl fmt::Display for TransformError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Invalid Serverless Application Specification document. Number of errors found: {}.",
            self.errors.len()
        )?;
        // The translator's report lists the causes sorted by logical ID.
        let mut sorted: Vec<&ErrorItem> = self.errors.iter().collect();
        sorted.sort_by_key(|e| e.sort_key());
        for e in sorted {
            write!(f, " {e}")?;
        }
        Ok(())
    }
}

/// Result of one translation step.
pub type Result<T, E = ErrorItem> = std::result::Result<T, E>;
