//! CloudFormation-style statuses of stacks, resources and events, and timestamps.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::StoreError;

/// Declares a text-coded enum: serde, [`std::fmt::Display`] and
/// [`std::str::FromStr`] all use the `$text` spelling (an unknown one is
/// [`StoreError::Corrupt`]), and `ALL` lists every value.
macro_rules! status_enum {
    ($(#[$doc:meta])* $ty:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $ty {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)+
        }

        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: &'static [$ty] = &[$($ty::$variant,)+];

            /// The wire and storage spelling (`CREATE_COMPLETE`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text,)+
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::StoreError;
            fn from_str(s: &str) -> Result<Self, $crate::StoreError> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err($crate::StoreError::Corrupt(format!(
                        "unknown {} `{other}`", stringify!($ty)
                    ))),
                }
            }
        }
    };
}
pub(crate) use status_enum;

status_enum!(
    /// The status of a stack, as CloudFormation names it.
    StackStatus {
        /// Being created.
        CreateInProgress = "CREATE_IN_PROGRESS",
        /// Creation failed (rollback disabled).
        CreateFailed = "CREATE_FAILED",
        /// Created.
        CreateComplete = "CREATE_COMPLETE",
        /// A failed create is being rolled back.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rolling back a failed create failed.
        RollbackFailed = "ROLLBACK_FAILED",
        /// A failed create was rolled back: no resources remain.
        RollbackComplete = "ROLLBACK_COMPLETE",
        /// Being deleted.
        DeleteInProgress = "DELETE_IN_PROGRESS",
        /// Deletion failed.
        DeleteFailed = "DELETE_FAILED",
        /// Deleted.
        DeleteComplete = "DELETE_COMPLETE",
        /// Being updated.
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        /// Updated; old resources are being removed.
        UpdateCompleteCleanupInProgress = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        /// Updated.
        UpdateComplete = "UPDATE_COMPLETE",
        /// Update failed (rollback disabled).
        UpdateFailed = "UPDATE_FAILED",
        /// A failed update is being rolled back.
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        /// Rolling back a failed update failed.
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        /// Rolled back; new resources are being removed.
        UpdateRollbackCompleteCleanupInProgress = "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        /// A failed update was rolled back to the previous state.
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
        /// Created empty, waiting for its first change set.
        ReviewInProgress = "REVIEW_IN_PROGRESS",
    }
);

impl StackStatus {
    /// Whether an operation is running on the stack (`*_IN_PROGRESS`).
    pub fn is_in_progress(self) -> bool {
        self.as_str().ends_with("_IN_PROGRESS")
    }

    /// Whether the stack holds no resources that a later update could build on:
    /// it was deleted, or its creation was rolled back.
    pub fn is_gone(self) -> bool {
        matches!(
            self,
            StackStatus::DeleteComplete | StackStatus::RollbackComplete
        )
    }
}

status_enum!(
    /// The status of one resource of a stack.
    ResourceStatus {
        /// Being created.
        CreateInProgress = "CREATE_IN_PROGRESS",
        /// Creation failed.
        CreateFailed = "CREATE_FAILED",
        /// Created.
        CreateComplete = "CREATE_COMPLETE",
        /// Being deleted.
        DeleteInProgress = "DELETE_IN_PROGRESS",
        /// Deletion failed.
        DeleteFailed = "DELETE_FAILED",
        /// Deleted.
        DeleteComplete = "DELETE_COMPLETE",
        /// Kept on delete (`DeletionPolicy: Retain`).
        DeleteSkipped = "DELETE_SKIPPED",
        /// Being updated.
        UpdateInProgress = "UPDATE_IN_PROGRESS",
        /// Update failed.
        UpdateFailed = "UPDATE_FAILED",
        /// Updated.
        UpdateComplete = "UPDATE_COMPLETE",
        /// Being rolled back.
        RollbackInProgress = "ROLLBACK_IN_PROGRESS",
        /// Rollback failed.
        RollbackFailed = "ROLLBACK_FAILED",
        /// Rolled back.
        RollbackComplete = "ROLLBACK_COMPLETE",
        /// Being rolled back after a failed update.
        UpdateRollbackInProgress = "UPDATE_ROLLBACK_IN_PROGRESS",
        /// Rolling back after a failed update failed.
        UpdateRollbackFailed = "UPDATE_ROLLBACK_FAILED",
        /// Rolled back after a failed update.
        UpdateRollbackComplete = "UPDATE_ROLLBACK_COMPLETE",
    }
);

/// The status carried by a stack event: a stack's or a resource's.
///
/// Serialised as the bare status string; since some spellings belong to both
/// families, deserialising prefers [`EventStatus::Stack`]. The store keeps the
/// family in its own column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventStatus {
    /// An event about the stack itself.
    Stack(StackStatus),
    /// An event about one resource.
    Resource(ResourceStatus),
}

impl EventStatus {
    /// The storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventStatus::Stack(s) => s.as_str(),
            EventStatus::Resource(s) => s.as_str(),
        }
    }

    /// Decodes a stored status; `stack_event` tells which of the two families it is.
    pub fn parse(text: &str, stack_event: bool) -> Result<Self, StoreError> {
        if stack_event {
            text.parse().map(EventStatus::Stack)
        } else {
            text.parse().map(EventStatus::Resource)
        }
    }
}

impl fmt::Display for EventStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<StackStatus> for EventStatus {
    fn from(s: StackStatus) -> Self {
        EventStatus::Stack(s)
    }
}

impl From<ResourceStatus> for EventStatus {
    fn from(s: ResourceStatus) -> Self {
        EventStatus::Resource(s)
    }
}

/// A point in time: milliseconds since the Unix epoch, UTC.
///
/// Stored as a 64-bit integer so every database orders it the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The current time.
    pub fn now() -> Self {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// A timestamp from milliseconds since the epoch.
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with milliseconds: `2026-11-23T09:30:00.123Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.rem_euclid(1000);
        let secs = self.0.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
            sod / 3600,
            (sod % 3600) / 60,
            sod % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in StackStatus::ALL {
            assert_eq!(s.as_str().parse::<StackStatus>().unwrap(), *s);
        }
        for s in ResourceStatus::ALL {
            assert_eq!(s.as_str().parse::<ResourceStatus>().unwrap(), *s);
        }
        assert!("NOPE".parse::<StackStatus>().is_err());
        assert!(StackStatus::UpdateRollbackCompleteCleanupInProgress.is_in_progress());
        assert!(!StackStatus::UpdateRollbackComplete.is_in_progress());
        assert_eq!(
            serde_json::to_string(&StackStatus::UpdateComplete).unwrap(),
            "\"UPDATE_COMPLETE\""
        );
    }

    #[test]
    fn timestamp_display() {
        assert_eq!(
            Timestamp::from_millis(0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_millis(1_795_944_600_123).to_string(),
            "2026-11-29T09:30:00.123Z"
        );
        assert_eq!(
            Timestamp::from_millis(951_782_400_000).to_string(),
            "2000-02-29T00:00:00.000Z"
        );
    }
}
