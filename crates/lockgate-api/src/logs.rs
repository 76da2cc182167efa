//! Function logs of a stage: `GET …/logs[/{function}]`.

use serde::{Deserialize, Serialize};

/// The query of `GET …/logs[/{function}]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LogsQuery {
    /// Only lines after this cursor (default 0: every line kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Keep the stream open and send new lines as they are written.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow: bool,
}

/// One log line: a line of the `application/x-ndjson` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogLine {
    /// Its position in the stage's log (increasing, from 1).
    pub cursor: u64,
    /// The function it came from (physical name), when known.
    pub function: String,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// The text, without the newline.
    pub line: String,
}
