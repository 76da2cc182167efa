//! Schedules of a stage: `GET …/schedules`, `POST …/schedules/{rule}/run`.

use serde::{Deserialize, Serialize};

/// One armed schedule of a stage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Schedule {
    /// The rule's key (`{rule}:{function}`), as `…/schedules/{rule}/run` takes it.
    pub rule: String,
    /// `rate(…)` or `cron(…)`.
    pub expression: String,
    /// The next firing (RFC 3339), or `null` when it never fires again.
    pub next: Option<String>,
}

/// A rule fired now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScheduleFired {
    /// The rule's key.
    pub rule: String,
    /// When it fired (RFC 3339).
    pub fired_at: String,
}
