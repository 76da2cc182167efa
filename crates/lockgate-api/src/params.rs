//! The parameter store: `/v1/params…`.

use serde::{Deserialize, Serialize};

/// A parameter's type, as SSM names it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub enum ParameterType {
    /// A plain string.
    #[default]
    String,
    /// A comma-separated list of strings.
    StringList,
    /// A string encrypted at rest.
    SecureString,
}

impl ParameterType {
    /// The type as SSM spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::StringList => "StringList",
            ParameterType::SecureString => "SecureString",
        }
    }
}

/// The body of `PUT /v1/params/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PutParameterRequest {
    /// The type (default `String`).
    #[serde(rename = "type", default)]
    pub parameter_type: ParameterType,
    /// The value (a StringList's items joined by commas).
    pub value: String,
    /// Replace an existing parameter (a new version); without it an existing
    /// name is refused.
    #[serde(default)]
    pub overwrite: bool,
    /// A description; left out when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The answer of `PUT /v1/params/{name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ParameterVersion {
    /// The version just written (1 for a new parameter).
    pub version: u64,
}

/// The answer of `DELETE /v1/params/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DeletedParameter {
    /// The parameter deleted, with every version.
    pub deleted: String,
}

/// The query of `GET /v1/params/{name}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct GetParameterQuery {
    /// Show a SecureString's value (masked as `****` otherwise).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub decrypt: bool,
    /// A version other than the latest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// The query of `GET /v1/params`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ListParametersQuery {
    /// Only parameters under this path (default `/`: every parameter).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The whole hierarchy below the path, not only its direct children.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub recursive: bool,
}

/// A parameter, as `GET /v1/params/{name}` and `GET /v1/params` answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Parameter {
    /// Its name (`/dev/db`).
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub parameter_type: ParameterType,
    /// Its value; `****` for a SecureString unless asked with `decrypt`.
    pub value: String,
    /// Its version.
    pub version: u64,
    /// Its description, or `null`.
    pub description: Option<String>,
    /// Who wrote this version.
    pub modified_by: String,
    /// When, in milliseconds since the epoch.
    pub modified_at: i64,
}
