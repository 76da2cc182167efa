//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use lockgate_cloud::{
    ApiConfig, Cloud, CloudConfig, FunctionConfig, Gateway, InvokeOutcome, InvokeRequest, LogLine,
    LogSink, Runtime, RuntimeOptions,
};

/// A fixture directory.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Collected log lines.
#[derive(Clone, Default)]
pub struct Logs(pub Arc<Mutex<Vec<String>>>);

impl Logs {
    pub fn sink(&self) -> LogSink {
        let l = self.0.clone();
        Arc::new(move |line: &LogLine<'_>| l.lock().unwrap().push(line.line.to_string()))
    }
    pub fn text(&self) -> String {
        self.0.lock().unwrap().join("\n")
    }
}

/// Options with a private runtime dir.
pub fn options(dir: &tempfile::TempDir) -> RuntimeOptions {
    RuntimeOptions {
        runtime_dir: dir.path().join("runtime"),
        init_timeout: Duration::from_secs(20),
        ..RuntimeOptions::default()
    }
}

pub fn function(name: &str, runtime: &str, handler: &str, code: &str) -> FunctionConfig {
    let mut f = FunctionConfig::new(
        name,
        Runtime::from_identifier(runtime).expect("runtime"),
        handler,
        fixture(code),
    );
    f.timeout = Duration::from_secs(30);
    f
}

pub fn config(functions: Vec<FunctionConfig>) -> CloudConfig {
    CloudConfig {
        functions,
        aliases: vec![],
        apis: vec![],
        region: "eu-west-1".into(),
    }
}

pub fn req(payload: &str) -> InvokeRequest {
    InvokeRequest {
        payload: Bytes::from(payload.to_string()),
        ..Default::default()
    }
}

pub fn json(o: &InvokeOutcome) -> serde_json::Value {
    serde_json::from_slice(&o.body)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.body)))
}

pub mod http;

/// A cloud of `functions` serving `api`, and a gateway for it on a free port.
pub async fn start_gateway(
    dir: &tempfile::TempDir,
    functions: Vec<FunctionConfig>,
    api: ApiConfig,
) -> (Arc<Cloud>, Gateway) {
    let mut c = config(functions);
    c.apis = vec![api];
    let cloud = Cloud::new(c, options(dir), Logs::default().sink()).unwrap();
    let gw = Gateway::start(cloud.clone(), "127.0.0.1:0", Logs::default().sink())
        .await
        .unwrap();
    (cloud, gw)
}
