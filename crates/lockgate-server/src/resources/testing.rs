//! A stage for resource-type unit tests: a real SQLite store and artifact
//! store in a temp directory, names prefixed `app-dev-`.

use std::sync::{Arc, Mutex};

use lockgate_engine::ProviderError;
use lockgate_engine::apply::{Cancel, Physical, Policies, Step};
use lockgate_store::{ArtifactStore, SqliteStore, StageRef, Store};
use serde_json::{Value, json};

use super::context::Naming;
use super::{ARTIFACT_BUCKET, Ctx, Props, ResourceType, StageCtx, StoredCode};

pub(crate) struct Harness {
    pub ctx: Arc<StageCtx>,
    pub artifacts: Arc<ArtifactStore>,
    pub dir: tempfile::TempDir,
}

impl Harness {
    pub async fn new() -> Harness {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
        let artifacts = Arc::new(ArtifactStore::open(dir.path()).unwrap());
        let stage = StageRef::parse("app", "dev").unwrap();
        store.ensure_stage(&stage).await.unwrap();
        let ctx = Arc::new(StageCtx {
            stage,
            naming: Naming::Prefixed("app-dev".into()),
            region: "us-east-1".into(),
            account: crate::ACCOUNT_ID.into(),
            store,
            code: Arc::new(StoredCode {
                artifacts: artifacts.clone(),
                root: dir.path().join("code"),
            }),
            actor: "test".into(),
            functions: Mutex::default(),
            live: Mutex::default(),
            traffic: None,
        });
        Harness {
            ctx,
            artifacts,
            dir,
        }
    }

    /// Stores a directory holding one file; answers its `Code` property.
    pub fn code_dir(&self, file: &str, content: &str) -> Value {
        let src = self.dir.path().join(format!("src-{}", super::random_id()));
        std::fs::create_dir_all(&src).unwrap();
        std::fs::write(src.join(file), content).unwrap();
        let digest = self.artifacts.put_dir(&src).unwrap();
        json!({"S3Bucket": ARTIFACT_BUCKET, "S3Key": digest.to_string()})
    }

    pub async fn put(
        &self,
        ty: &dyn ResourceType,
        id: &str,
        props: &Value,
    ) -> Result<Physical, ProviderError> {
        let policies = Policies::default();
        let cx = Ctx {
            stage: &self.ctx,
            step: Step {
                logical_id: id,
                resource_type: ty.type_name(),
                policies: &policies,
                rollback: false,
                cancel: &Cancel::never(),
            },
        };
        let m = props.as_object().cloned().unwrap_or_default();
        ty.put(&cx, None, &Props(&m)).await
    }

    pub async fn delete(
        &self,
        ty: &dyn ResourceType,
        id: &str,
        current: &Physical,
        props: &Value,
    ) -> Result<(), ProviderError> {
        let policies = Policies::default();
        let cx = Ctx {
            stage: &self.ctx,
            step: Step {
                logical_id: id,
                resource_type: ty.type_name(),
                policies: &policies,
                rollback: false,
                cancel: &Cancel::never(),
            },
        };
        let m = props.as_object().cloned().unwrap_or_default();
        ty.delete(&cx, current, &Props(&m)).await
    }
}
