//! The long-running Lockgate server: the control-plane HTTP API, deploys of
//! stacks onto stages (over `lockgate-engine` and `lockgate-store`), one
//! gateway per stage (over `lockgate-cloud`), the SSM API functions read their
//! parameters through, and the scheduler that fires `AWS::Events::Rule`s.
//!
//! Start one with [`Server::start`]; see `docs/server.md` for the HTTP API.

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod api;
pub mod deploy;
mod keys;
pub mod local;
pub mod logs;
pub mod permissions;
pub mod resources;
pub mod rollout;
pub mod schedule;
pub mod ssm;
pub mod stage;
mod test_hooks;
mod uploads;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lockgate_cloud::RuntimeOptions;
use lockgate_store::{ArtifactStore, SqliteStore, StageRef, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use api::routes as api_routes;
pub use deploy::{DeployError, DeployRequest, DeployResult, Deployer, Mode, Plan, ProgressEvent};
/// SigV4 verification and stage credentials (the `lockgate-sigv4` crate).
pub use lockgate_sigv4 as sigv4;

/// The account ID in ARNs (defined once, in `lockgate-cloud`).
pub use lockgate_cloud::ACCOUNT_ID;

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// Where the state lives (database, artifacts, keys, token).
    pub data_dir: PathBuf,
    /// The API address (`127.0.0.1:4610`; port 0 picks one).
    pub listen: String,
    /// The address stage gateways listen on.
    pub gateway_host: String,
    /// `AWS_REGION` of every stage.
    pub region: String,
    /// How fast rollout time runs (deployment waits, alarm periods, hook timeouts).
    pub clock: rollout::Clock,
    /// Whether aliases move as their deployment preferences say.
    pub shifting: rollout::Shifting,
}

impl ServerOptions {
    /// Defaults: API on 127.0.0.1:4610, gateways on 127.0.0.1, us-east-1.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        ServerOptions {
            data_dir: data_dir.into(),
            listen: "127.0.0.1:4610".into(),
            gateway_host: "127.0.0.1".into(),
            region: lockgate_cloud::DEFAULT_REGION.into(),
            clock: rollout::Clock::default(),
            shifting: rollout::Shifting::Honour,
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A file of the data directory.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The state store.
    #[error("state store in {path}: {source}")]
    Store {
        /// The data directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: lockgate_store::StoreError,
    },
    /// The API address.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Recovering interrupted deployments failed.
    #[error("recovery: {0}")]
    Recovery(#[source] DeployError),
    /// `LOCKGATE_SANDBOX=required` and functions cannot be sandboxed here.
    #[error("{0}")]
    Sandbox(#[source] lockgate_sandbox::Unavailable),
}

/// The default data directory of `lockgate server`: `$LOCKGATE_DATA_DIR`,
/// else `$XDG_DATA_HOME/lockgate`, else `~/.local/share/lockgate`.
pub fn default_data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("LOCKGATE_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("lockgate");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/lockgate")
}

/// What every request handler shares.
pub(crate) struct Shared {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) deployer: Deployer,
    pub(crate) stages: Arc<stage::Stages>,
    pub(crate) rollouts: Arc<rollout::Rollouts>,
    pub(crate) logs: Arc<logs::LogHub>,
    pub(crate) token: String,
    pub(crate) ssm: ssm::SsmService,
    pub(crate) credentials: Arc<sigv4::CredentialIndex>,
    pub(crate) scheduler: schedule::Scheduler,
    /// The outcomes of deploys sent with a client token.
    pub(crate) outcomes: api::Outcomes,
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    token_file: PathBuf,
    data_dir: PathBuf,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    scheduler_task: JoinHandle<()>,
    recovery: Vec<String>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ServerError + '_ {
    move |source| ServerError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Server {
    /// Opens the state under `data_dir` (creating it), rolls back deployments
    /// a crash interrupted, starts every stage's runtime, binds the API and
    /// writes `server.json` (URL, token file, pid) into the data directory.
    pub async fn start(opts: ServerOptions) -> Result<Server, ServerError> {
        let data_dir = opts.data_dir.clone();
        // It holds the admin token, the keys and the database: the server's alone.
        lockgate_store::create_private_dir(&data_dir).map_err(|source| ServerError::Store {
            path: data_dir.clone(),
            source,
        })?;
        let data_dir = std::fs::canonicalize(&data_dir).map_err(io(&data_dir))?;
        let sqlite = SqliteStore::open(&data_dir)
            .await
            .map_err(|source| ServerError::Store {
                path: data_dir.clone(),
                source,
            })?;
        for w in sqlite.open_warnings() {
            tracing::warn!("state store: {w}");
        }
        let store: Arc<dyn Store> = Arc::new(sqlite);
        let artifacts =
            Arc::new(
                ArtifactStore::open(&data_dir).map_err(|source| ServerError::Store {
                    path: data_dir.clone(),
                    source,
                })?,
            );
        let token_file = data_dir.join("admin.token");
        let token = keys::load_or_create_secret_file(
            &token_file,
            "admin token",
            || format!("lg_{}", hex::encode(rand::random::<[u8; 24]>())).into_bytes(),
            |b| {
                (!String::from_utf8_lossy(b).trim().is_empty())
                    .then_some(())
                    .ok_or(keys::BadSecret::Empty)
            },
        )
        .map_err(io(&token_file))?;
        let token = String::from_utf8_lossy(&token).trim().to_string();
        let keys = data_dir.join("keys");
        std::fs::create_dir_all(&keys).map_err(io(&keys))?;
        let key_file = keys.join("credentials.key");
        let credentials_key =
            keys::load_or_create_server_secret(&key_file).map_err(io(&key_file))?;
        let credentials =
            Arc::new(sigv4::CredentialIndex::new(&credentials_key).with_region(&opts.region));

        let listener = tokio::net::TcpListener::bind(&opts.listen)
            .await
            .map_err(|source| ServerError::Bind {
                addr: opts.listen.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: opts.listen.clone(),
            source,
        })?;
        let api_url = format!("http://{addr}");

        let logs = Arc::new(logs::LogHub::default());
        let mode = lockgate_sandbox::SandboxMode::from_env().unwrap_or_default();
        let sandbox = lockgate_sandbox::Sandbox::detect(mode).map_err(ServerError::Sandbox)?;
        if let Some(why) = sandbox.note() {
            tracing::warn!("functions are not isolated ({why})");
        }
        let runtime_opts = RuntimeOptions {
            runtime_dir: data_dir.join("runtime"),
            account_id: ACCOUNT_ID.into(),
            // No instance sees the token, the keys, the database or other
            // stages' code.
            private_dirs: vec![data_dir.clone()],
            sandbox,
            ..RuntimeOptions::default()
        };
        let runtimes =
            stage::Runtimes::new(&data_dir, &opts.gateway_host, runtime_opts, logs.clone())
                .with_time_scale(opts.clock.scale());
        let index = credentials.clone();
        let function_env: stage::FunctionEnv = Arc::new(move |stage: &StageRef, role| {
            let (app, name) = (stage.app.as_str(), stage.stage.as_str());
            let c = match role {
                Some(role) => index.register_role(app, name, role),
                None => index.register_stage(app, name),
            };
            BTreeMap::from([
                ("AWS_ENDPOINT_URL_SSM".to_string(), api_url.clone()),
                ("AWS_ENDPOINT_URL_CODEDEPLOY".to_string(), api_url.clone()),
                ("AWS_ENDPOINT_URL_CLOUDWATCH".to_string(), api_url.clone()),
                ("AWS_ACCESS_KEY_ID".to_string(), c.access_key_id),
                ("AWS_SECRET_ACCESS_KEY".to_string(), c.secret_access_key),
                ("AWS_SESSION_TOKEN".to_string(), c.session_token),
                ("LOCKGATE_STAGE".to_string(), stage.stage.to_string()),
                ("LOCKGATE_APP".to_string(), stage.app.to_string()),
            ])
        });
        let registry = Arc::new(resources::registry::standard());
        let code: Arc<dyn resources::CodeStore> = Arc::new(resources::StoredCode {
            artifacts: artifacts.clone(),
            root: data_dir.join("code"),
        });
        let index = credentials.clone();
        let stages = Arc::new(
            stage::Stages::new(
                runtimes,
                store.clone(),
                registry.clone(),
                code,
                &opts.region,
                function_env,
            )
            // A destroyed stage's credentials stop working at once (its
            // functions are gone; a copy of them must not outlive it).
            .with_on_gone(Arc::new(move |stage: &StageRef| {
                index.remove_stage(stage.app.as_str(), stage.stage.as_str())
            })),
        );
        let rollouts = Arc::new(rollout::Rollouts::new(
            store.clone(),
            stages.clone(),
            opts.clock,
            opts.shifting.clone(),
        ));
        let deployer = Deployer::new(
            store.clone(),
            artifacts,
            stages.clone(),
            registry,
            ACCOUNT_ID,
            Mode::Stages,
            Some(rollouts.clone()),
        );
        let recovery = deployer.recover().await.map_err(ServerError::Recovery)?;
        let ssm = ssm::SsmService::new(store.clone())
            .with_arn_context(&opts.region, ACCOUNT_ID)
            .with_permissions(stages.permissions().clone());
        let scheduler = schedule::Scheduler::new();
        let scheduler_task = scheduler.spawn();
        let shared = Arc::new(Shared {
            store,
            deployer,
            stages,
            rollouts,
            logs,
            token,
            ssm,
            credentials,
            scheduler,
            outcomes: Default::default(),
        });
        stage::schedules::sync(&shared).await;
        let (shutdown, rx) = watch::channel(false);
        let router = api::router(shared.clone());
        // No Nagle delay: a client's second request on a kept-alive
        // connection (a deploy after its upload check) would otherwise wait
        // for a delayed ACK (~40 ms) before each streamed line.
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!("cannot set TCP_NODELAY on an API connection: {e}");
            }
        });
        let task = tokio::spawn(async move {
            let mut rx = rx;
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    // A dropped sender (the `Server` is gone) is a stop too.
                    let _ = rx.wait_for(|s| *s).await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!("the API server stopped: {e}");
            }
        });
        let server = Server {
            addr,
            token_file,
            data_dir,
            shared,
            shutdown,
            task,
            scheduler_task,
            recovery,
        };
        server.write_info()?;
        Ok(server)
    }

    fn write_info(&self) -> Result<(), ServerError> {
        let info = lockgate_api::ServerInfo {
            url: self.url(),
            token_file: Some(self.token_file.display().to_string()),
            pid: Some(std::process::id()),
        };
        let path = self.data_dir.join("server.json");
        let tmp = self.data_dir.join("server.json.tmp");
        let text = serde_json::to_vec_pretty(&info)
            .map_err(std::io::Error::from)
            .map_err(io(&tmp))?;
        // The user's alone, whatever the umask: clients trust no other.
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            f.write_all(&text)
        };
        write().map_err(io(&tmp))?;
        std::fs::rename(&tmp, &path).map_err(io(&path))
    }

    /// The API's URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The file holding the admin token.
    pub fn token_file(&self) -> PathBuf {
        self.token_file.clone()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Why functions run unconfined, when they do (no bubblewrap here, or
    /// `LOCKGATE_SANDBOX=off`).
    pub fn isolation_note(&self) -> Option<String> {
        self.shared.stages.runtimes().sandbox_note()
    }

    /// What recovery did at start (rolled-back deployments, stages serving).
    pub fn recovery_report(&self) -> &[String] {
        &self.recovery
    }

    /// Stops serving, stops every stage, removes `server.json`.
    pub async fn shutdown(self) {
        // No receiver means the API task has ended already: nothing to stop.
        let _ = self.shutdown.send(true);
        // Open streams (`logs --follow`) would hold a graceful stop forever.
        let mut task = self.task;
        if tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        self.scheduler_task.abort();
        self.shared.stages.shutdown().await;
        let info = self.data_dir.join("server.json");
        match std::fs::remove_file(&info) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            // Stopping goes on; the stale file names a server that no longer answers.
            Err(e) => tracing::warn!("cannot remove {}: {e}", info.display()),
        }
    }
}
