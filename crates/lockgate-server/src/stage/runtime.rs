//! The running side of every stage: its local cloud (functions) and its
//! gateway on a port of its own, which is the stage's URL.
//!
//! A stage's runtime is replaced as a whole when a deployment commits; the
//! gateway keeps its port, so the URL stays. Ports are remembered in
//! `<data-dir>/gateways.json` so a restarted server serves each stage where
//! it did before (when the port is still free).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use lockgate_cloud::{Cloud, CloudError, Gateway, RuntimeOptions};
use tokio::sync::Mutex;

use crate::logs::LogHub;
use crate::resources::StageModel;

/// One stage's runtime.
struct StageRuntime {
    gateway: Gateway,
    model: StageModel,
}

use super::metrics::StageMetrics;

/// The longest a stage's rebuild waits for new versions' instances to warm.
const PREWARM_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Every stage's runtime.
pub struct Runtimes {
    stages: Mutex<HashMap<String, StageRuntime>>,
    /// Set (under the lock of `stages`) once the server shuts down: a stage
    /// whose build ends after that is stopped rather than added.
    closed: std::sync::atomic::AtomicBool,
    ports_file: PathBuf,
    host: String,
    /// A port every gateway must bind (`lockgate local start-api --port`).
    fixed_port: Option<u16>,
    opts: RuntimeOptions,
    logs: Arc<LogHub>,
    /// Also receives every log line (`lockgate local` prints them).
    echo: Option<lockgate_cloud::LogSink>,
    /// Each stage's metrics and alarms (they outlive its clouds).
    metrics: std::sync::Mutex<HashMap<String, Arc<StageMetrics>>>,
    /// How fast metric periods run.
    time_scale: f64,
}

impl Runtimes {
    /// Runtimes whose gateways listen on `host`, instances under `opts`.
    pub fn new(
        data_dir: &std::path::Path,
        host: &str,
        opts: RuntimeOptions,
        logs: Arc<LogHub>,
    ) -> Self {
        Runtimes {
            stages: Mutex::new(HashMap::new()),
            closed: Default::default(),
            ports_file: data_dir.join("gateways.json"),
            host: host.to_string(),
            fixed_port: None,
            opts,
            logs,
            echo: None,
            metrics: Default::default(),
            time_scale: 1.0,
        }
    }

    /// The runtime options of stage `key` (`app/stage`): its own runtime
    /// directory, so two stages whose functions share an explicit
    /// `FunctionName` never share a temporary directory or HOME (unsandboxed
    /// instances keep theirs there; sandboxed ones get a fresh /tmp anyway).
    fn options_for(&self, key: &str) -> RuntimeOptions {
        RuntimeOptions {
            runtime_dir: self.opts.runtime_dir.join(key),
            ..self.opts.clone()
        }
    }

    /// Every stage's function logs.
    pub fn logs(&self) -> &Arc<LogHub> {
        &self.logs
    }

    /// Why instances run unconfined, when they do.
    pub fn sandbox_note(&self) -> Option<String> {
        self.opts.sandbox.note().map(str::to_string)
    }

    /// Metric periods (and alarm evaluation) run `scale` times faster.
    pub fn with_time_scale(mut self, scale: f64) -> Self {
        self.time_scale = scale;
        self
    }

    /// A stage's metrics and alarms (made on first use).
    pub fn metrics(&self, key: &str) -> Arc<StageMetrics> {
        self.metrics
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(StageMetrics::new(self.time_scale)))
            .clone()
    }

    /// Gateways bind exactly `port` (0: any free one) and fail when it is taken.
    pub fn with_fixed_port(mut self, port: u16) -> Self {
        self.fixed_port = Some(port);
        self
    }

    /// Every log line also goes to `sink`.
    pub fn with_echo(mut self, sink: lockgate_cloud::LogSink) -> Self {
        self.echo = Some(sink);
        self
    }

    fn ports(&self) -> BTreeMap<String, u16> {
        std::fs::read(&self.ports_file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes the ports file. Losing it only costs a stage its old port
    /// at the next start (it gets a new one), so a failure is logged, not
    /// raised.
    fn write_ports(&self, ports: &BTreeMap<String, u16>) {
        let tmp = self.ports_file.with_extension("json.tmp");
        let written = serde_json::to_vec_pretty(ports)
            .map_err(std::io::Error::other)
            .and_then(|text| std::fs::write(&tmp, text))
            .and_then(|()| std::fs::rename(&tmp, &self.ports_file));
        if let Err(e) = written {
            tracing::warn!("cannot write {}: {e}", self.ports_file.display());
        }
    }

    fn save_port(&self, key: &str, port: u16) {
        let mut ports = self.ports();
        if ports.get(key) != Some(&port) {
            ports.insert(key.to_string(), port);
            self.write_ports(&ports);
        }
    }

    fn forget_port(&self, key: &str) {
        let mut ports = self.ports();
        if ports.remove(key).is_some() {
            self.write_ports(&ports);
        }
    }

    /// Runs `model` for stage `key` (`app/stage`), replacing what ran before:
    /// functions whose configuration did not change keep their warm
    /// instances, the gateway keeps its port and swaps to the new routes
    /// without dropping a connection. Answers the stage's URL.
    ///
    /// The map of stages is locked only to read and to swap, not while the
    /// new cloud is built and warmed, so a stage's deploy does not hold up
    /// calls about the others. Calls for one stage must not overlap (the
    /// caller holds that stage's lock: see `Stages`).
    pub async fn run(&self, key: &str, model: StageModel) -> Result<String, CloudError> {
        let log = self.logs.stage(key);
        let echo = self.echo.clone();
        let metrics = self.metrics(key);
        let mut model = model;
        let alarm_warnings = metrics.set_alarms(&model.alarms);
        model.warnings.extend(alarm_warnings);
        let emf = metrics.clone();
        let sink: lockgate_cloud::LogSink =
            Arc::new(move |l: &lockgate_cloud::logs::LogLine<'_>| {
                log.push(l.function, l.line);
                emf.log_line(l.function, l.line);
                if let Some(echo) = &echo {
                    echo(l);
                }
            });
        let observer: Arc<dyn lockgate_cloud::metrics::InvocationObserver> = metrics;
        let running = self.cloud(key).await;
        if let Some(old) = running {
            let (config, opts, new_sink, previous) = (
                model.cloud.clone(),
                self.options_for(key),
                sink.clone(),
                old.clone(),
            );
            let cloud = off_the_workers(move || {
                Cloud::new_reusing(config, opts, new_sink, Some(&previous))
            })
            .await?;
            // The metrics carry over from the old cloud, with their observer.
            cloud.metrics().set_observer(observer);
            // New versions start as many instances as the ones they replace
            // run, before traffic moves: no burst of cold starts under load.
            cloud
                .prewarm_from(&old, self.opts.init_timeout.min(PREWARM_LIMIT))
                .await;
            let mut stages = self.stages.lock().await;
            // Gone meanwhile: the server is shutting down.
            let Some(current) = stages.get_mut(key) else {
                cloud.shutdown();
                return Err(CloudError::Stopping);
            };
            current.gateway.swap_with_sink(cloud.clone(), sink);
            old.retire(Some(&cloud));
            current.model = model;
            return Ok(format!("http://{}", current.gateway.addr()));
        }
        let (config, opts, new_sink) = (model.cloud.clone(), self.options_for(key), sink.clone());
        let cloud = off_the_workers(move || Cloud::new(config, opts, new_sink)).await?;
        cloud.metrics().set_observer(observer);
        let gateway = match self.fixed_port {
            Some(port) => {
                Gateway::start(cloud.clone(), &format!("{}:{port}", self.host), sink).await?
            }
            None => {
                let port = self.ports().get(key).copied().unwrap_or(0);
                let gateway = match Gateway::start(
                    cloud.clone(),
                    &format!("{}:{port}", self.host),
                    sink.clone(),
                )
                .await
                {
                    Ok(g) => g,
                    // The remembered port is taken: a new one (the stage's URL changes).
                    Err(_) if port != 0 => {
                        Gateway::start(cloud.clone(), &format!("{}:0", self.host), sink).await?
                    }
                    Err(e) => return Err(e),
                };
                self.save_port(key, gateway.addr().port());
                gateway
            }
        };
        let addr = gateway.addr();
        let mut stages = self.stages.lock().await;
        if self.closed.load(std::sync::atomic::Ordering::Acquire) {
            drop(stages);
            gateway.stop().await;
            cloud.shutdown();
            return Err(CloudError::Stopping);
        }
        stages.insert(key.to_string(), StageRuntime { gateway, model });
        Ok(format!("http://{addr}"))
    }

    /// Stops a stage's runtime and forgets its port.
    pub async fn remove(&self, key: &str) {
        if let Some(old) = self.stages.lock().await.remove(key) {
            let cloud = old.gateway.cloud();
            old.gateway.stop().await;
            cloud.shutdown();
        }
        self.forget_port(key);
    }

    /// The URL of a stage that runs.
    pub async fn url(&self, key: &str) -> Option<String> {
        self.stages
            .lock()
            .await
            .get(key)
            .map(|s| format!("http://{}", s.gateway.addr()))
    }

    /// The cloud of a stage that runs.
    pub async fn cloud(&self, key: &str) -> Option<Arc<Cloud>> {
        self.stages.lock().await.get(key).map(|s| s.gateway.cloud())
    }

    /// The model a stage runs.
    pub async fn model(&self, key: &str) -> Option<StageModel> {
        self.stages.lock().await.get(key).map(|s| s.model.clone())
    }

    /// Stops everything; a stage still being built is stopped as it ends.
    pub async fn shutdown(&self) {
        let mut stages = self.stages.lock().await;
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        for (_, s) in stages.drain() {
            let cloud = s.gateway.cloud();
            s.gateway.stop().await;
            cloud.shutdown();
        }
    }
}

/// Builds a stage's cloud on the blocking pool, not on an async worker:
/// the first Java function compiles its bootstrap (`javac`, a second or
/// two) and interpreters are asked their versions, while other stages'
/// requests go on being served.
async fn off_the_workers(
    build: impl FnOnce() -> Result<Arc<Cloud>, CloudError> + Send + 'static,
) -> Result<Arc<Cloud>, CloudError> {
    match tokio::task::spawn_blocking(build).await {
        Ok(built) => built,
        // A panic while building is a bug: it goes on as a panic.
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(CloudError::Stopping),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two stages never share a runtime directory (where unsandboxed
    /// instances keep their temporary directory and HOME), even when their
    /// functions have the same explicit name.
    #[test]
    fn each_stage_has_its_own_runtime_directory() {
        let dir = tempfile::tempdir().unwrap();
        let opts = RuntimeOptions {
            runtime_dir: dir.path().join("runtime"),
            ..RuntimeOptions::default()
        };
        let r = Runtimes::new(dir.path(), "127.0.0.1", opts, Arc::new(LogHub::default()));
        let (dev, prod) = (r.options_for("shop/dev"), r.options_for("shop/prod"));
        assert_ne!(dev.runtime_dir, prod.runtime_dir);
        assert!(dev.runtime_dir.starts_with(dir.path().join("runtime")));
        assert_eq!(dev.sandbox, prod.sandbox);
    }

    /// A stand-in JDK in `dir` (its `release` file gives the version) whose
    /// `javac` connects to `port` and finishes, writing the bootstrap's
    /// main class, only once it is sent a byte there (it gives up after
    /// 30 s); and a Java function's stage model and runtime options for it.
    fn stand_in_jdk(dir: &std::path::Path, port: u16) -> (RuntimeOptions, StageModel) {
        use std::os::unix::fs::PermissionsExt;
        let jdk = dir.join("jdk");
        std::fs::create_dir_all(jdk.join("bin")).unwrap();
        std::fs::write(jdk.join("release"), "JAVA_VERSION=\"17.0.1\"\n").unwrap();
        let javac = format!(
            r#"#!/bin/bash
exec 3<>/dev/tcp/127.0.0.1/{port} || exit 1
read -r -t 30 -n 1 answer <&3 || {{ echo "nothing answered while javac ran" >&2; exit 1; }}
while [ $# -gt 0 ]; do [ "$1" = -d ] && out="$2"; shift; done
mkdir -p "$out/lockgate/runtime" && : > "$out/lockgate/runtime/Bootstrap.class"
"#
        );
        for (name, text) in [("javac", javac.as_str()), ("java", "#!/bin/sh\nexit 0\n")] {
            let path = jdk.join("bin").join(name);
            std::fs::write(&path, text).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let opts = RuntimeOptions {
            runtime_dir: dir.join("runtime"),
            java: jdk.join("bin/java"),
            ..RuntimeOptions::default()
        };
        let code = dir.join("code");
        std::fs::create_dir_all(&code).unwrap();
        let function = lockgate_cloud::FunctionConfig::new(
            "Hello",
            lockgate_cloud::Runtime::Java {
                name: "java17".into(),
            },
            "example.Hello::handleRequest",
            &code,
        );
        let model = StageModel {
            cloud: lockgate_cloud::CloudConfig {
                functions: vec![function],
                ..Default::default()
            },
            ..Default::default()
        };
        (opts, model)
    }

    /// A stage's cloud is built off the async workers: the first Java
    /// function's deploy runs `javac`, and the runtime goes on running
    /// other tasks meanwhile. The stand-in `javac` finishes only once a
    /// task on this single-threaded runtime has answered it, which no task
    /// can while the build holds the thread (it then gives up, and the
    /// deploy fails).
    #[tokio::test(flavor = "current_thread")]
    async fn building_a_stage_leaves_the_runtime_free() {
        use tokio::io::AsyncWriteExt;

        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (opts, model) = stand_in_jdk(dir.path(), listener.local_addr().unwrap().port());
        // Answers each javac: the first deploy's, then the redeploy's.
        tokio::spawn(async move {
            for _ in 0..2 {
                let (mut javac, _) = listener.accept().await.unwrap();
                javac.write_all(b"y").await.unwrap();
            }
        });
        let r = Runtimes::new(dir.path(), "127.0.0.1", opts, Arc::new(LogHub::default()));
        let compiled = || {
            std::fs::read_dir(dir.path().join("runtime/app/dev"))
                .unwrap()
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.join("classes/lockgate/runtime/Bootstrap.class").is_file())
        };
        let url = r.run("app/dev", model.clone()).await.unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let classes = compiled().expect("the stand-in javac compiled the bootstrap");
        // A redeploy (a changed function, its classes gone) compiles again,
        // through `Cloud::new_reusing`.
        std::fs::remove_dir_all(classes).unwrap();
        let mut changed = model;
        changed.cloud.functions[0].memory_mb = 256;
        assert_eq!(r.run("app/dev", changed).await.unwrap(), url);
        assert!(compiled().is_some(), "the redeploy compiled the bootstrap");
        r.remove("app/dev").await;
    }

    /// While one stage's cloud is being built, calls about another stage
    /// are answered: the stand-in `javac` of `app/dev` is answered only
    /// after the URL of `app/other` has been read, which waits for the
    /// whole build when the build holds the map of stages.
    #[tokio::test(flavor = "current_thread")]
    async fn a_build_does_not_hold_up_calls_about_other_stages() {
        use tokio::io::AsyncWriteExt;

        let dir = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (opts, model) = stand_in_jdk(dir.path(), listener.local_addr().unwrap().port());
        let r = Arc::new(Runtimes::new(
            dir.path(),
            "127.0.0.1",
            opts,
            Arc::new(LogHub::default()),
        ));
        let other = r.run("app/other", StageModel::default()).await.unwrap();
        let building = {
            let r = r.clone();
            tokio::spawn(async move { r.run("app/dev", model).await })
        };
        // javac has started: the build is under way.
        let (mut javac, _) = listener.accept().await.unwrap();
        assert_eq!(r.url("app/other").await, Some(other));
        javac.write_all(b"y").await.unwrap();
        let dev = building.await.unwrap();
        assert!(dev.is_ok(), "{dev:?}");
        r.shutdown().await;
    }
}
