//! A deployer for the phases' unit tests: a real SQLite store, artifact
//! store and stage runtimes in a temp directory; templates without code.

use std::collections::BTreeMap;
use std::sync::Arc;

use lockgate_cloud::RuntimeOptions;
use lockgate_store::{ArtifactStore, SqliteStore, StackRef, StageRef, Store};
use tokio::sync::mpsc;

use super::{DeployError, DeployRequest, DeployResult, Deployer, Mode};
use crate::logs::LogHub;
use crate::resources::{CodeStore, StoredCode, registry};
use crate::stage::{FunctionEnv, Runtimes, Stages};

pub(crate) struct Fixture {
    pub deployer: Deployer,
    pub store: Arc<dyn Store>,
    pub _dir: tempfile::TempDir,
}

pub(crate) async fn fixture() -> Fixture {
    fixture_with(registry::standard()).await
}

/// [`fixture`] with the resource types of `registry`.
pub(crate) async fn fixture_with(registry: registry::Registry) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).await.unwrap());
    let artifacts = Arc::new(ArtifactStore::open(dir.path()).unwrap());
    let runtime = RuntimeOptions {
        runtime_dir: dir.path().join("runtime"),
        ..RuntimeOptions::default()
    };
    let runtimes = Runtimes::new(
        dir.path(),
        "127.0.0.1",
        runtime,
        Arc::new(LogHub::default()),
    );
    let code: Arc<dyn CodeStore> = Arc::new(StoredCode {
        artifacts: artifacts.clone(),
        root: dir.path().join("code"),
    });
    let env: FunctionEnv = Arc::new(|_: &StageRef, _| BTreeMap::new());
    let registry = Arc::new(registry);
    let stages = Arc::new(Stages::new(
        runtimes,
        store.clone(),
        registry.clone(),
        code,
        "us-east-1",
        env,
    ));
    let deployer = Deployer::new(
        store.clone(),
        artifacts,
        stages,
        registry,
        crate::ACCOUNT_ID,
        Mode::Stages,
        None,
    );
    Fixture {
        deployer,
        store,
        _dir: dir,
    }
}

pub(crate) fn request(template: &str) -> DeployRequest {
    DeployRequest {
        template: template.to_string(),
        template_path: "template.yaml".into(),
        parameters: BTreeMap::new(),
        stack: None,
        execute: true,
        artifacts: BTreeMap::new(),
        permissions: None,
        client_token: None,
    }
}

pub(crate) fn stack() -> StackRef {
    StackRef::parse("app", "dev", "app").unwrap()
}

impl Fixture {
    pub async fn deploy(&self, template: &str) -> Result<DeployResult, DeployError> {
        self.deploy_request(&request(template)).await
    }

    /// Deploys `req` to app/dev, its events dropped.
    pub async fn deploy_request(&self, req: &DeployRequest) -> Result<DeployResult, DeployError> {
        let (tx, _rx) = mpsc::unbounded_channel();
        self.deployer.deploy("app", "dev", req, "test", tx).await
    }

    pub async fn parameter(&self, name: &str) -> Option<String> {
        let n = lockgate_store::ParameterName::new(name).unwrap();
        self.store
            .get_parameter(&n, None)
            .await
            .unwrap()
            .map(|p| match p.value {
                lockgate_store::ParameterValue::String(s) => s,
                other => format!("{other:?}"),
            })
    }
}
