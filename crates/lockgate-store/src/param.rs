//! SSM-style parameters: hierarchical names, versions, encrypted secure strings.

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::names::ParameterName;
use crate::secret::{SealedValue, SecretString};
use crate::status::Timestamp;

/// The largest value a parameter may hold, in bytes (SSM's standard tier).
pub const MAX_PARAMETER_VALUE_LEN: usize = 4096;

/// The type of a parameter, as SSM names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParameterType {
    /// A plain string.
    String,
    /// A comma-separated list of strings.
    StringList,
    /// A secret, encrypted at rest.
    SecureString,
}

impl ParameterType {
    /// The SSM spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }

    /// Decodes the SSM spelling.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "String" => Ok(ParameterType::String),
            "StringList" => Ok(ParameterType::StringList),
            "SecureString" => Ok(ParameterType::SecureString),
            other => Err(StoreError::InvalidInput(format!(
                "unknown parameter type `{other}`: expected String, StringList or SecureString"
            ))),
        }
    }
}

impl std::fmt::Display for ParameterType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value to store.
#[derive(Clone, Debug, PartialEq)]
pub enum NewParameterValue {
    /// A plain string.
    String(String),
    /// A list of strings (no item may contain a comma).
    StringList(Vec<String>),
    /// A secret, sealed before it reaches the database.
    SecureString(SecretString),
}

impl NewParameterValue {
    /// The type of this value.
    pub fn parameter_type(&self) -> ParameterType {
        match self {
            NewParameterValue::String(_) => ParameterType::String,
            NewParameterValue::StringList(_) => ParameterType::StringList,
            NewParameterValue::SecureString(_) => ParameterType::SecureString,
        }
    }

    /// Checks size limits and list items; returns the plain text to store for
    /// non-secret values.
    pub(crate) fn validate(&self) -> Result<Option<String>> {
        let (len, plain) = match self {
            NewParameterValue::String(s) => (s.len(), Some(s.clone())),
            NewParameterValue::StringList(items) => {
                if items.is_empty() || items.iter().any(|i| i.is_empty() || i.contains(',')) {
                    return Err(StoreError::InvalidInput(
                        "a StringList needs at least one item, and items must be non-empty and contain no comma".into(),
                    ));
                }
                let joined = items.join(",");
                (joined.len(), Some(joined))
            }
            NewParameterValue::SecureString(s) => (s.expose().len(), None),
        };
        if len == 0 || len > MAX_PARAMETER_VALUE_LEN {
            return Err(StoreError::InvalidInput(format!(
                "a parameter value must hold 1 to {MAX_PARAMETER_VALUE_LEN} bytes, not {len}"
            )));
        }
        Ok(plain)
    }
}

/// A stored value, as read back: secure strings stay sealed.
#[derive(Clone, Debug, PartialEq)]
pub enum ParameterValue {
    /// A plain string.
    String(String),
    /// A list of strings.
    StringList(Vec<String>),
    /// A sealed secret; open it with [`Store::decrypt_parameter`](crate::Store::decrypt_parameter).
    SecureString(SealedValue),
}

impl ParameterValue {
    /// The type of this value.
    pub fn parameter_type(&self) -> ParameterType {
        match self {
            ParameterValue::String(_) => ParameterType::String,
            ParameterValue::StringList(_) => ParameterType::StringList,
            ParameterValue::SecureString(_) => ParameterType::SecureString,
        }
    }
}

/// One version of a parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Its name.
    pub name: ParameterName,
    /// Its version, from 1.
    pub version: u64,
    /// Its value.
    pub value: ParameterValue,
    /// Its description.
    pub description: Option<String>,
    /// Who wrote this version.
    pub modified_by: String,
    /// When this version was written.
    pub modified_at: Timestamp,
}

impl Parameter {
    /// The type of this version.
    pub fn parameter_type(&self) -> ParameterType {
        self.value.parameter_type()
    }

    /// The associated data binding a sealed value to its name and version.
    pub(crate) fn seal_context(name: &ParameterName, version: u64) -> String {
        format!("lockgate-parameter:{name}:{version}")
    }
}

/// The request to write a parameter.
#[derive(Clone, Debug, PartialEq)]
pub struct PutParameter {
    /// Its name.
    pub name: ParameterName,
    /// Its value.
    pub value: NewParameterValue,
    /// Its description.
    pub description: Option<String>,
    /// Replace an existing parameter with a new version (as SSM's `Overwrite`).
    pub overwrite: bool,
    /// Who writes it (recorded in the version and the audit log).
    pub actor: String,
}
