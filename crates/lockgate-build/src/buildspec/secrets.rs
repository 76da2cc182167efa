//! Where `env.parameter-store` and `env.secrets-manager` values come from.

use std::collections::BTreeMap;

use super::spec::SecretRef;

/// A value the parameter store or secrets manager could not give.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LookupError {
    /// No such parameter or secret.
    #[error("not found")]
    NotFound,
    /// The store answered with an error.
    #[error("{0}")]
    Failed(String),
}

/// Where `env.parameter-store` and `env.secrets-manager` values come from
/// (a stage's parameter store, in the server). Implemented by the caller.
pub trait SecretSource: Send + Sync {
    /// The value of an SSM parameter (SecureStrings decrypted).
    fn parameter(&self, name: &str) -> Result<String, LookupError>;
    /// The secret string of a secret (its whole value; the runner picks the JSON key).
    fn secret(&self, secret: &SecretRef) -> Result<String, LookupError>;
}

/// A [`SecretSource`] over fixed maps (for `--parameter` / `--secret` and tests).
#[derive(Debug, Clone, Default)]
pub struct StaticSecrets {
    /// Parameter name → value.
    pub parameters: BTreeMap<String, String>,
    /// Secret ID → secret string.
    pub secrets: BTreeMap<String, String>,
}

impl SecretSource for StaticSecrets {
    fn parameter(&self, name: &str) -> Result<String, LookupError> {
        self.parameters
            .get(name)
            .cloned()
            .ok_or(LookupError::NotFound)
    }
    fn secret(&self, secret: &SecretRef) -> Result<String, LookupError> {
        self.secrets
            .get(&secret.secret_id)
            .cloned()
            .ok_or(LookupError::NotFound)
    }
}
