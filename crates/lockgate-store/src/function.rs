//! Function versions and aliases with weighted routing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::artifacts::Digest;
use crate::error::{Result, StoreError};
use crate::names::{AliasName, FunctionName, StageRef};
use crate::status::Timestamp;

/// A published, immutable version of a function (`AWS::Lambda::Version`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FunctionVersion {
    /// The stage it lives in.
    pub stage: StageRef,
    /// The function's physical name.
    pub function: FunctionName,
    /// The version number, from 1, per function.
    pub version: u64,
    /// The code, as an artifact digest.
    pub code: Digest,
    /// The configuration (runtime, handler, memory, environment, …), as JSON.
    pub config: Value,
    /// The description.
    pub description: Option<String>,
    /// When it was published.
    pub created_at: Timestamp,
}

/// The request to publish a function version; the store assigns the number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewFunctionVersion {
    /// The function's physical name.
    pub function: FunctionName,
    /// The code digest.
    pub code: Digest,
    /// The configuration, as JSON.
    pub config: Value,
    /// The description.
    pub description: Option<String>,
}

/// How an alias splits traffic: extra versions and the share each receives;
/// the alias's main version receives the rest.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AliasRouting {
    /// Additional versions and their weights (0.0 to 1.0).
    pub additional_version_weights: BTreeMap<u64, f64>,
}

impl AliasRouting {
    /// A routing sending `weight` of the traffic to `version`.
    pub fn canary(version: u64, weight: f64) -> Self {
        AliasRouting {
            additional_version_weights: BTreeMap::from([(version, weight)]),
        }
    }

    /// Checks that weights are in [0, 1], sum to at most 1, and that the main
    /// version is not listed again.
    pub fn validate(&self, main_version: u64) -> Result<()> {
        let mut total = 0.0;
        for (version, weight) in &self.additional_version_weights {
            if *version == main_version {
                return Err(StoreError::InvalidInput(format!(
                    "alias routing lists its main version {version} as an additional version"
                )));
            }
            if !(0.0..=1.0).contains(weight) {
                return Err(StoreError::InvalidInput(format!(
                    "alias routing weight {weight} for version {version} is outside 0.0..=1.0"
                )));
            }
            total += weight;
        }
        if total > 1.0 + f64::EPSILON {
            return Err(StoreError::InvalidInput(format!(
                "alias routing weights sum to {total}, more than 1.0"
            )));
        }
        Ok(())
    }
}

/// A named pointer to a function version, optionally splitting traffic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Alias {
    /// The stage it lives in.
    pub stage: StageRef,
    /// The function's physical name.
    pub function: FunctionName,
    /// The alias name.
    pub name: AliasName,
    /// The main version.
    pub version: u64,
    /// The weighted routing to other versions.
    pub routing: AliasRouting,
    /// The description.
    pub description: Option<String>,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// The request to create or move an alias.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AliasSpec {
    /// The function's physical name.
    pub function: FunctionName,
    /// The alias name.
    pub name: AliasName,
    /// The main version (must be published).
    pub version: u64,
    /// The weighted routing (its versions must be published).
    pub routing: AliasRouting,
    /// The description.
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_validation() {
        assert!(AliasRouting::canary(2, 0.1).validate(1).is_ok());
        assert!(AliasRouting::default().validate(1).is_ok());
        assert!(AliasRouting::canary(1, 0.1).validate(1).is_err());
        assert!(AliasRouting::canary(2, 1.5).validate(1).is_err());
        assert!(AliasRouting::canary(2, f64::NAN).validate(1).is_err());
        let two = AliasRouting {
            additional_version_weights: BTreeMap::from([(2, 0.6), (3, 0.6)]),
        };
        assert!(two.validate(1).is_err());
    }
}
