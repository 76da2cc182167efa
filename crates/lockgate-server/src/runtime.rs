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

use lockgate_cloud::{Cloud, Gateway, RuntimeOptions};
use tokio::sync::Mutex;

use crate::logs::LogHub;
use crate::realize::StageModel;

/// One stage's runtime.
struct StageRuntime {
    gateway: Gateway,
    model: StageModel,
}

/// Every stage's runtime.
pub struct Runtimes {
    stages: Mutex<HashMap<String, StageRuntime>>,
    ports_file: PathBuf,
    host: String,
    opts: RuntimeOptions,
    logs: Arc<LogHub>,
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
            ports_file: data_dir.join("gateways.json"),
            host: host.to_string(),
            opts,
            logs,
        }
    }

    fn ports(&self) -> BTreeMap<String, u16> {
        std::fs::read(&self.ports_file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save_port(&self, key: &str, port: u16) {
        let mut ports = self.ports();
        if ports.get(key) == Some(&port) {
            return;
        }
        ports.insert(key.to_string(), port);
        if let Ok(text) = serde_json::to_vec_pretty(&ports) {
            let tmp = self.ports_file.with_extension("json.tmp");
            if std::fs::write(&tmp, text).is_ok() {
                let _ = std::fs::rename(&tmp, &self.ports_file);
            }
        }
    }

    fn forget_port(&self, key: &str) {
        let mut ports = self.ports();
        if ports.remove(key).is_some()
            && let Ok(text) = serde_json::to_vec_pretty(&ports)
        {
            let _ = std::fs::write(&self.ports_file, text);
        }
    }

    /// Runs `model` for stage `key` (`app/stage`), replacing what ran before:
    /// functions whose configuration did not change keep their warm
    /// instances, the gateway keeps its port and swaps to the new routes
    /// without dropping a connection. Answers the stage's URL.
    pub async fn run(&self, key: &str, model: StageModel) -> Result<String, String> {
        let log = self.logs.stage(key);
        let sink: lockgate_cloud::LogSink =
            Arc::new(move |l: &lockgate_cloud::logs::LogLine<'_>| {
                log.push(l.function, l.line);
            });
        let mut stages = self.stages.lock().await;
        if let Some(current) = stages.get_mut(key) {
            let old = current.gateway.cloud();
            let cloud = Cloud::new_reusing(
                model.cloud.clone(),
                self.opts.clone(),
                sink.clone(),
                Some(&old),
            )
            .map_err(|e| e.to_string())?;
            current.gateway.swap_with_sink(cloud.clone(), sink);
            old.retire(Some(&cloud));
            current.model = model;
            return Ok(format!("http://{}", current.gateway.addr()));
        }
        let cloud = Cloud::new(model.cloud.clone(), self.opts.clone(), sink.clone())
            .map_err(|e| e.to_string())?;
        let port = self.ports().get(key).copied().unwrap_or(0);
        let gateway = match Gateway::start(
            cloud.clone(),
            &format!("{}:{port}", self.host),
            sink.clone(),
        )
        .await
        {
            Ok(g) => g,
            Err(_) if port != 0 => Gateway::start(cloud.clone(), &format!("{}:0", self.host), sink)
                .await
                .map_err(|e| e.to_string())?,
            Err(e) => return Err(e.to_string()),
        };
        let addr = gateway.addr();
        self.save_port(key, addr.port());
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

    /// Stops everything.
    pub async fn shutdown(&self) {
        let mut stages = self.stages.lock().await;
        for (_, s) in stages.drain() {
            let cloud = s.gateway.cloud();
            s.gateway.stop().await;
            cloud.shutdown();
        }
    }
}
