//! `lockgate local`: a template served the way a deployed stage serves it —
//! the same template engine, conditions, resource types and realize path —
//! from an ephemeral state directory, with each function's code run in
//! place from the template's directory (edits are picked up by new
//! instances) and functions named by their logical IDs, as `sam local` does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lockgate_cloud::{Cloud, RuntimeOptions};
use lockgate_store::{ArtifactStore, SqliteStore, StageRef, Store};
use tokio::sync::mpsc;

use crate::deploy::{DeployError, DeployRequest, Deployer, Mode};
use crate::logs::LogHub;
use crate::resources::{CodeStore, LocalCode, registry};
use crate::stage::{FunctionEnv, Runtimes, Stages};

/// The app and stage a local template is deployed to.
pub const LOCAL_STAGE: (&str, &str) = ("local", "local");

/// What to serve.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// The template file.
    pub template: PathBuf,
    /// `--parameter-overrides`.
    pub parameters: BTreeMap<String, String>,
    /// `AWS_REGION` of the functions.
    pub region: String,
    /// The gateway's host.
    pub host: String,
    /// The gateway's port (0: any free one).
    pub port: u16,
}

/// Why a template could not be served locally.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    /// The template file or the state directory.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The ephemeral state store.
    #[error("local state: {0}")]
    Store(#[from] lockgate_store::StoreError),
    /// The template, its parameters or a resource.
    #[error("{0}")]
    Deploy(#[from] DeployError),
}

/// A template served locally; its state is removed when it is dropped.
pub struct LocalStage {
    stages: Arc<Stages>,
    stage: StageRef,
    url: Option<String>,
    warnings: Vec<String>,
    _state: tempfile::TempDir,
}

impl LocalStage {
    /// Loads the template, creates its resources in an ephemeral state
    /// directory and starts its functions and gateway. Every log line of
    /// the functions goes to `logs`.
    pub async fn start(
        opts: &LocalOptions,
        logs: lockgate_cloud::LogSink,
    ) -> Result<LocalStage, LocalError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| LocalError::Io { path, source }
        };
        let text = std::fs::read_to_string(&opts.template).map_err(io(&opts.template))?;
        let base_dir = opts
            .template
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base_dir = std::fs::canonicalize(&base_dir).map_err(io(&base_dir))?;
        let state = tempfile::Builder::new()
            .prefix("lockgate-local-")
            .tempdir()
            .map_err(io(&std::env::temp_dir()))?;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(state.path()).await?);
        let artifacts = Arc::new(ArtifactStore::open(state.path())?);
        let runtime = RuntimeOptions {
            runtime_dir: state.path().join("runtime"),
            account_id: crate::ACCOUNT_ID.into(),
            // Code runs in place from the template's directory, where
            // `lockgate up` keeps its server's state (and a server started
            // in a subdirectory of the code, its own there): never visible
            // to it.
            private_dirs: vec![
                state.path().to_path_buf(),
                base_dir.join(lockgate_store::NEVER_PACKED),
            ],
            hide_state_in_code: true,
            ..RuntimeOptions::default()
        };
        let runtimes = Runtimes::new(
            state.path(),
            &opts.host,
            runtime,
            Arc::new(LogHub::default()),
        )
        .with_fixed_port(opts.port)
        .with_echo(logs);
        let code: Arc<dyn CodeStore> = Arc::new(LocalCode {
            base_dir,
            inline: state.path().join("inline"),
        });
        let no_env: FunctionEnv = Arc::new(|_: &StageRef, _| BTreeMap::new());
        let registry = Arc::new(registry::standard());
        let stages = Arc::new(Stages::new(
            runtimes,
            store.clone(),
            registry.clone(),
            code,
            &opts.region,
            no_env,
        ));
        let deployer = Deployer::new(
            store,
            artifacts,
            stages.clone(),
            registry,
            crate::ACCOUNT_ID,
            Mode::Local,
            None,
        );
        let request = DeployRequest {
            template: text,
            template_path: opts.template.display().to_string(),
            parameters: opts.parameters.clone(),
            stack: None,
            execute: true,
            artifacts: BTreeMap::new(),
            permissions: None,
            client_token: None,
        };
        let (tx, _rx) = mpsc::unbounded_channel();
        let (app, stage) = LOCAL_STAGE;
        let result = deployer.deploy(app, stage, &request, "local", tx).await?;
        Ok(LocalStage {
            stages,
            stage: StageRef::parse(app, stage)?,
            url: result.url,
            warnings: result.warnings,
            _state: state,
        })
    }

    /// The gateway's URL, when the template has resources that run.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// What was left out or not emulated.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The running cloud.
    pub async fn cloud(&self) -> Option<Arc<Cloud>> {
        self.stages.cloud(&self.stage).await
    }

    /// Stops every function and the gateway.
    pub async fn shutdown(self) {
        self.stages.shutdown().await;
    }
}
