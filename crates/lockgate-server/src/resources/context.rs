//! What the resource types of one stage share: the stage's names, the
//! state store, where code comes from, and the functions deployed so far.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_store::{ArtifactStore, Digest, ResourceState, StageRef, Store, StoreError};
use serde_json::{Map, Value};

/// The S3 bucket name that marks code held in the artifact store.
pub const ARTIFACT_BUCKET: &str = "lockgate-artifacts";

/// How physical names are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Naming {
    /// `{prefix}-{logical id}`: `greeter-dev-HelloFunction` (a stage).
    Prefixed(String),
    /// The logical ID itself, as `sam local` names functions.
    Logical,
}

/// What the resource types of one stage share.
pub struct StageCtx {
    /// The stage.
    pub stage: StageRef,
    /// How physical names are made.
    pub naming: Naming,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account: String,
    /// The state store.
    pub store: Arc<dyn Store>,
    /// Where function and layer code comes from.
    pub code: Arc<dyn CodeStore>,
    /// Who deploys (for the audit log).
    pub actor: String,
    /// Function physical name → its current properties (what a `Version`
    /// publishes): the deployed functions, then each one this deployment
    /// creates or updates.
    pub functions: Mutex<HashMap<String, Map<String, Value>>>,
    /// The stack's resources as they are now, by logical ID: the committed
    /// ones, then each one this deployment creates or updates (what a
    /// rollout stages in before traffic moves).
    pub live: Mutex<BTreeMap<String, ResourceState>>,
    /// How aliases with a CodeDeploy update policy move (none: at once).
    pub traffic: Option<Arc<dyn crate::rollout::Traffic>>,
}

impl StageCtx {
    /// The physical name of a resource without an explicit one:
    /// `{stack}-{stage}-{logical id}` (the app's own stack is named as the
    /// app: `greeter-dev-HelloFunction`), cut to `max` characters with a
    /// hash of the whole so two long names never collide; or the logical
    /// ID itself for `lockgate local`.
    pub fn physical_name(&self, logical_id: &str, max: usize) -> String {
        let s = match &self.naming {
            Naming::Prefixed(prefix) => format!("{prefix}-{logical_id}"),
            Naming::Logical => logical_id.to_string(),
        };
        if s.len() <= max {
            return s;
        }
        use sha2::Digest as _;
        let hash = hex::encode(sha2::Sha256::digest(s.as_bytes()));
        let mut cut = max.saturating_sub(11);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}-{}", &s[..cut], &hash[..10])
    }

    /// `arn:aws:{service}:{region}:{account}:{rest}`.
    pub fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{rest}", self.region, self.account)
    }

    /// The ARN of a function (optionally qualified: `name:alias`).
    pub fn function_arn(&self, name: &str) -> String {
        self.arn("lambda", &format!("function:{name}"))
    }

    /// The current properties of a function of this stage.
    pub fn function(&self, name: &str) -> Option<Map<String, Value>> {
        self.functions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// The stack's resources as they are now.
    pub fn live_resources(&self) -> Vec<ResourceState> {
        self.live
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Records a resource as it now is (`None`: gone).
    pub fn set_live(&self, logical_id: &str, state: Option<ResourceState>) {
        let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
        match state {
            Some(s) => live.insert(logical_id.to_string(), s),
            None => live.remove(logical_id),
        };
    }

    /// Records a function's current properties.
    pub fn set_function(&self, name: &str, props: Option<Map<String, Value>>) {
        let mut f = self.functions.lock().unwrap_or_else(|e| e.into_inner());
        match props {
            Some(p) => f.insert(name.to_string(), p),
            None => f.remove(name),
        };
    }
}

/// A store failure at a resource, keeping its kind.
pub fn store_error(e: StoreError) -> ProviderError {
    use lockgate_engine::ErrorKind;
    let kind = match &e {
        StoreError::InvalidName { .. } | StoreError::InvalidInput(_) => ErrorKind::InvalidProperty,
        StoreError::NotFound { .. } => ErrorKind::NotFound,
        StoreError::AlreadyExists { .. } | StoreError::NotEmpty { .. } => ErrorKind::Conflict,
        _ => ErrorKind::Internal,
    };
    ProviderError::new(kind, e.to_string()).with_source(e)
}

/// Where function and layer code (`{S3Bucket, S3Key}`) comes from.
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Checks that `code` (the value of `property`) is code this stage can
    /// run and makes it available; answers its digest (what a published
    /// version records).
    async fn fetch(&self, property: &str, code: &Value) -> Result<Digest, ProviderError>;
    /// The directory of code fetched before (`None` when it is not code of
    /// this store).
    fn dir(&self, code: &Value) -> Option<PathBuf>;
    /// Where inline code (`Code.ZipFile`) is written.
    fn inline_root(&self) -> &Path;
}

fn s3_location(code: &Value) -> Option<(&str, &str)> {
    Some((
        code.get("S3Bucket")?.as_str()?,
        code.get("S3Key")?.as_str()?,
    ))
}

/// Code uploaded to the artifact store, unpacked once per digest under
/// `<root>/<digest>/`.
pub struct StoredCode {
    /// The artifact store.
    pub artifacts: Arc<ArtifactStore>,
    /// Where code is unpacked.
    pub root: PathBuf,
}

impl StoredCode {
    fn digest(property: &str, code: &Value) -> Result<Digest, ProviderError> {
        let (bucket, key) = s3_location(code).ok_or_else(|| {
            ProviderError::invalid(format!("{property}: expected {{S3Bucket, S3Key}}"))
        })?;
        if bucket != ARTIFACT_BUCKET {
            return Err(ProviderError::unsupported(format!(
                "{property}: code at s3://{bucket}/{key} cannot be fetched locally: expected a \
                 local path beside the template (CodeUri / ContentUri / Code)"
            )));
        }
        key.parse::<Digest>().map_err(|e| {
            ProviderError::invalid(format!("{property}: bad artifact key `{key}`: {e}"))
        })
    }
}

#[async_trait]
impl CodeStore for StoredCode {
    async fn fetch(&self, property: &str, code: &Value) -> Result<Digest, ProviderError> {
        let digest = Self::digest(property, code)?;
        let dir = self.root.join(digest.to_string());
        if dir.is_dir() {
            return Ok(digest);
        }
        let artifacts = self.artifacts.clone();
        let target = dir.clone();
        tokio::task::spawn_blocking(move || -> Result<(), ProviderError> {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| {
                    ProviderError::internal(format!("cannot create {}: {e}", parent.display()))
                })?;
            }
            let tmp = target.with_extension(format!("tmp-{}", super::random_id()));
            artifacts.extract_dir(&digest, &tmp).map_err(|e| {
                ProviderError::new(
                    lockgate_engine::ErrorKind::NotFound,
                    format!("cannot unpack code {digest}: {e}"),
                )
            })?;
            match std::fs::rename(&tmp, &target) {
                Ok(()) => Ok(()),
                Err(_) if target.is_dir() => {
                    // Another deploy unpacked the same code first; ours is a spare copy.
                    if let Err(e) = std::fs::remove_dir_all(&tmp) {
                        tracing::warn!("cannot remove {}: {e}", tmp.display());
                    }
                    Ok(())
                }
                Err(e) => Err(ProviderError::internal(format!(
                    "cannot place code {digest}: {e}"
                ))),
            }
        })
        .await
        .map_err(|e| ProviderError::internal(format!("code unpacking stopped: {e}")))??;
        Ok(digest)
    }

    fn dir(&self, code: &Value) -> Option<PathBuf> {
        let digest = Self::digest("Code", code).ok()?;
        Some(self.root.join(digest.to_string()))
    }

    fn inline_root(&self) -> &Path {
        &self.root
    }
}

/// Code in directories beside the template, run in place (`lockgate
/// local`): `s3://lockgate-local/<path>` locations, as
/// `lockgate_template::package::local_location` writes them.
pub struct LocalCode {
    /// The template's directory.
    pub base_dir: PathBuf,
    /// Where inline code is written.
    pub inline: PathBuf,
}

impl LocalCode {
    fn path(&self, property: &str, code: &Value) -> Result<PathBuf, ProviderError> {
        let (bucket, key) = s3_location(code).ok_or_else(|| {
            ProviderError::invalid(format!("{property}: expected {{S3Bucket, S3Key}}"))
        })?;
        if bucket != lockgate_template::package::LOCAL_BUCKET {
            return Err(ProviderError::unsupported(format!(
                "{property}: code s3://{bucket}/{key} is not local (only code next to the \
                 template can run locally)"
            )));
        }
        let p = Path::new(key);
        let path = if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        };
        // A prebuilt `.zip` / `.jar` runs from its contents, unpacked once
        // beside the inline code.
        if lockgate_build::archive::is_code_archive(&path) {
            let root = self.inline.with_file_name("unpacked");
            return lockgate_build::archive::unpacked(&path, &root).map_err(|e| {
                ProviderError::invalid(format!(
                    "{property}: code {} is not a usable zip archive: {e}",
                    path.display()
                ))
            });
        }
        Ok(path)
    }
}

#[async_trait]
impl CodeStore for LocalCode {
    async fn fetch(&self, property: &str, code: &Value) -> Result<Digest, ProviderError> {
        let path = self.path(property, code)?;
        if !path.is_dir() {
            return Err(ProviderError::not_found(format!(
                "{property}: code path {} is not a directory: expected a directory relative \
                 to the template",
                path.display()
            )));
        }
        Ok(Digest::of(path.to_string_lossy().as_bytes()))
    }

    fn dir(&self, code: &Value) -> Option<PathBuf> {
        self.path("Code", code).ok()
    }

    fn inline_root(&self) -> &Path {
        &self.inline
    }
}
