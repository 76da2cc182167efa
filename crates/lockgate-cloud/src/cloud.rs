//! The local cloud: every function of a configuration, ready to invoke.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::{ApiConfig, CloudConfig, Runtime, RuntimeOptions};
use crate::error::CloudError;
use crate::function::{Function, InvokeError, InvokeOutcome, InvokeRequest};
use crate::logs::LogSink;
use crate::metrics::Metrics;

/// The functions and APIs of one configuration.
#[derive(Debug)]
pub struct Cloud {
    functions: BTreeMap<String, Arc<Function>>,
    apis: Vec<ApiConfig>,
    metrics: Arc<Metrics>,
    region: String,
    warnings: Vec<String>,
}

impl Cloud {
    /// Prepares every function (checks runtimes and code, writes the
    /// bootstraps); nothing runs until invoked. Must be called inside a
    /// Tokio runtime.
    pub fn new(
        config: CloudConfig,
        opts: RuntimeOptions,
        sink: LogSink,
    ) -> Result<Arc<Cloud>, CloudError> {
        crate::bootstrap::install(&opts.runtime_dir)?;
        let mut opts = opts;
        for kind in [
            Runtime::Python {
                name: String::new(),
            },
            Runtime::Node {
                name: String::new(),
            },
        ] {
            let wanted = config
                .functions
                .iter()
                .any(|f| std::mem::discriminant(&f.runtime) == std::mem::discriminant(&kind));
            if let Some(path) = wanted
                .then(|| crate::bootstrap::real_interpreter(&kind, &opts))
                .flatten()
            {
                match kind {
                    Runtime::Python { .. } => opts.python = path,
                    _ => opts.node = path,
                }
            }
        }
        let metrics = Arc::new(Metrics::default());
        let region = if config.region.is_empty() {
            "us-east-1".to_string()
        } else {
            config.region.clone()
        };
        let mut functions = BTreeMap::new();
        let mut warnings = Vec::new();
        for f in config.functions {
            if let Some(w) = crate::bootstrap::check_interpreter(&f, &opts)? {
                warnings.push(w);
            }
            let name = f.name.clone();
            functions.insert(
                name,
                Function::new(f, &opts, &region, sink.clone(), metrics.clone())?,
            );
        }
        for api in &config.apis {
            for r in &api.routes {
                if !functions.contains_key(&r.function) {
                    return Err(CloudError::BadApi {
                        api: api.name.clone(),
                        message: format!(
                            "route {} {} targets unknown function {}",
                            r.method.as_deref().unwrap_or("ANY"),
                            r.path,
                            r.function
                        ),
                    });
                }
            }
        }
        Ok(Arc::new(Cloud {
            functions,
            apis: config.apis,
            metrics,
            region,
            warnings,
        }))
    }

    /// Warnings found while preparing (e.g. interpreter versions that differ).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A function by name, or the list of names there are.
    pub fn function(&self, name: &str) -> Result<&Arc<Function>, CloudError> {
        self.functions
            .get(name)
            .ok_or_else(|| CloudError::UnknownFunction {
                name: name.to_string(),
                available: self.function_names(),
            })
    }

    /// A function by name, function ARN, or `name:qualifier`.
    pub fn resolve(&self, name_or_arn: &str) -> Option<&Arc<Function>> {
        let name = match name_or_arn.strip_prefix("arn:") {
            Some(_) => name_or_arn.split(':').nth(6).unwrap_or(""),
            None => name_or_arn.split(':').next().unwrap_or(""),
        };
        self.functions.get(name)
    }

    /// The names of every function.
    pub fn function_names(&self) -> Vec<String> {
        self.functions.keys().cloned().collect()
    }

    /// The APIs.
    pub fn apis(&self) -> &[ApiConfig] {
        &self.apis
    }

    /// The region.
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The metrics of every function version.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Invokes a function by name.
    pub async fn invoke(
        &self,
        name: &str,
        req: InvokeRequest,
    ) -> Result<Result<InvokeOutcome, InvokeError>, CloudError> {
        Ok(self.function(name)?.invoke(req).await)
    }

    /// Stops every instance.
    pub fn shutdown(&self) {
        for f in self.functions.values() {
            f.stop_all();
        }
    }
}
