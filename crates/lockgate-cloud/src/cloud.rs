//! The local cloud: every function and alias of a configuration, ready to
//! invoke.
//!
//! A long-running server rebuilds its [`Cloud`] on every deploy with
//! [`Cloud::new_reusing`], which keeps the warm [`Function`] (and its
//! instances) of every function whose configuration did not change, swaps
//! the new cloud into the running [`crate::Gateway`] with
//! [`crate::Gateway::swap`], and then [`Cloud::retire`]s the old one.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::config::{
    AliasConfig, ApiConfig, CloudConfig, FunctionConfig, Runtime, RuntimeOptions,
    function_name_of_arn,
};
use crate::error::CloudError;
use crate::function::{Function, InvokeError, InvokeOutcome, InvokeRequest};
use crate::logs::{LogSink, SinkSlot};
use crate::metrics::Metrics;

/// A resolved alias: targets with cumulative weights in `0..1`.
#[derive(Debug, Clone)]
struct Alias {
    config: AliasConfig,
    /// `(function key, cumulative weight)`, the last one 1.0.
    cumulative: Vec<(String, f64)>,
}

impl Alias {
    fn new(
        config: AliasConfig,
        functions: &BTreeMap<String, Arc<Function>>,
    ) -> Result<Alias, CloudError> {
        let bad = |message: String| CloudError::BadAlias {
            alias: config.name.clone(),
            message,
        };
        if config.name.split(':').count() != 2 || config.name.split(':').any(str::is_empty) {
            return Err(bad(
                "the name must be `function:alias`, e.g. `greeter-dev-Hello:live`".into(),
            ));
        }
        if config.targets.is_empty() {
            return Err(bad("it has no targets".into()));
        }
        let mut total = 0.0;
        for (key, weight) in &config.targets {
            if !functions.contains_key(key) {
                return Err(bad(format!(
                    "target `{key}` is not a function key; available: {}",
                    functions.keys().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            if !weight.is_finite() || *weight < 0.0 {
                return Err(bad(format!(
                    "target `{key}` has weight {weight}; weights must be finite and not negative"
                )));
            }
            total += weight;
        }
        if total <= 0.0 {
            return Err(bad("the weights add up to 0".into()));
        }
        let mut acc = 0.0;
        let mut cumulative: Vec<(String, f64)> = config
            .targets
            .iter()
            .map(|(k, w)| {
                acc += w / total;
                (k.clone(), acc)
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            last.1 = 1.0;
        }
        Ok(Alias { config, cumulative })
    }

    /// Picks a target for a random number in `0..1`.
    fn pick(&self, r: f64) -> &str {
        self.cumulative
            .iter()
            .find(|(_, c)| r < *c)
            .or(self.cumulative.last())
            .map(|(k, _)| k.as_str())
            .unwrap_or("")
    }
}

/// A uniform random number in `0..1`.
fn random_unit() -> f64 {
    fastrand::f64()
}

/// An alias whose routing can change while the cloud serves: each
/// invocation reads the routing of the moment it arrives.
#[derive(Debug)]
struct AliasSlot(RwLock<Arc<Alias>>);

impl AliasSlot {
    fn get(&self) -> Arc<Alias> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The functions, aliases and APIs of one configuration.
#[derive(Debug)]
pub struct Cloud {
    functions: BTreeMap<String, Arc<Function>>,
    aliases: BTreeMap<String, AliasSlot>,
    apis: Vec<ApiConfig>,
    metrics: Arc<Metrics>,
    region: String,
    account_id: String,
    warnings: Vec<String>,
    sink: SinkSlot,
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
        Cloud::new_reusing(config, opts, sink, None)
    }

    /// Like [`Cloud::new`], but every function of `previous` whose
    /// configuration (and runtime options and region) is unchanged is
    /// reused as is: the same [`Function`], with its warm instances, its
    /// metrics and its concurrency slots, now logging to `sink`. Metrics
    /// carry over from `previous`.
    ///
    /// `previous` keeps serving until it is dropped or [`Cloud::retire`]d;
    /// call that once the new cloud serves (after [`crate::Gateway::swap`]).
    pub fn new_reusing(
        config: CloudConfig,
        opts: RuntimeOptions,
        sink: LogSink,
        previous: Option<&Cloud>,
    ) -> Result<Arc<Cloud>, CloudError> {
        crate::bootstrap::install(&opts.runtime_dir)?;
        let opts = resolve_interpreters(&config, opts);
        let metrics = previous
            .map(|p| p.metrics.clone())
            .unwrap_or_else(|| Arc::new(Metrics::default()));
        let region = if config.region.is_empty() {
            crate::config::DEFAULT_REGION.to_string()
        } else {
            config.region.clone()
        };
        let slot = SinkSlot::new(sink.clone());
        let mut functions: BTreeMap<String, Arc<Function>> = BTreeMap::new();
        let mut warnings = Vec::new();
        let mut reused = Vec::new();
        for f in config.functions {
            // A Java function on a machine without a JDK deploys, unavailable.
            let f = crate::bootstrap::java::runnable(f, &opts);
            let key = f.key();
            if functions.contains_key(&key) {
                return Err(CloudError::BadFunction {
                    function: key,
                    message: "is defined twice (same name and version)".into(),
                });
            }
            if let Some(old) = previous
                .and_then(|p| p.functions.get(&key))
                .filter(|old| old.can_serve(&f, &opts, &region))
            {
                reused.push(old.clone());
                functions.insert(key, old.clone());
                continue;
            }
            if let Some(w) = crate::bootstrap::check_interpreter(&f, &opts)? {
                warnings.push(w);
            }
            let function = Function::new(f, &opts, &region, sink.clone(), metrics.clone())?;
            functions.insert(key, function);
        }
        let mut aliases = BTreeMap::new();
        for a in config.aliases {
            if functions.contains_key(&a.name) {
                return Err(CloudError::BadAlias {
                    alias: a.name.clone(),
                    message: "a function version has the same name".into(),
                });
            }
            let alias = Alias::new(a, &functions)?;
            aliases.insert(
                alias.config.name.clone(),
                AliasSlot(RwLock::new(Arc::new(alias))),
            );
        }
        let cloud = Cloud {
            functions,
            aliases,
            apis: config.apis,
            metrics,
            region,
            account_id: opts.account_id.clone(),
            warnings,
            sink: slot,
        };
        for api in &cloud.apis {
            for r in &api.routes {
                if cloud.target_key(&r.function).is_none() {
                    return Err(CloudError::BadApi {
                        api: api.name.clone(),
                        message: format!(
                            "route {} {} targets unknown function {}; available: {}",
                            r.method.as_deref().unwrap_or("ANY"),
                            r.path,
                            r.function,
                            cloud.target_names().join(", ")
                        ),
                    });
                }
            }
        }
        // Only now that the new cloud is valid do reused functions log to it.
        for f in reused {
            f.set_sink(sink.clone());
        }
        Ok(Arc::new(cloud))
    }

    /// Warnings found while preparing (e.g. interpreter versions that differ).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A function by its exact key ([`FunctionConfig::key`]), or the list of
    /// keys there are.
    pub fn function(&self, key: &str) -> Result<&Arc<Function>, CloudError> {
        self.functions
            .get(key)
            .ok_or_else(|| CloudError::UnknownFunction {
                name: key.to_string(),
                available: self.function_names(),
            })
    }

    /// Every function by key.
    pub fn functions(&self) -> impl Iterator<Item = (&str, &Arc<Function>)> {
        self.functions.iter().map(|(k, f)| (k.as_str(), f))
    }

    /// The aliases' configurations, with their routing of this moment.
    pub fn aliases(&self) -> Vec<AliasConfig> {
        self.aliases
            .values()
            .map(|a| a.get().config.clone())
            .collect()
    }

    /// Changes an alias's routing in place: the next invocation of the
    /// alias is routed by `targets` (`(function key, weight)` pairs, as in
    /// [`AliasConfig::targets`]); invocations already routed finish where
    /// they are. Nothing is rebuilt and no request fails because of it.
    /// The targets must be functions of this cloud.
    pub fn route_alias(&self, name: &str, targets: Vec<(String, f64)>) -> Result<(), CloudError> {
        let slot = self.aliases.get(name).ok_or_else(|| CloudError::BadAlias {
            alias: name.to_string(),
            message: format!(
                "no such alias; aliases: {}",
                self.aliases.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        })?;
        let alias = Alias::new(
            AliasConfig {
                name: name.to_string(),
                targets,
            },
            &self.functions,
        )?;
        *slot.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(alias);
        Ok(())
    }

    /// Which function key an invocation of `target` runs now (aliases pick
    /// a target by weight, so two calls may differ). `target` is any of:
    /// a function key (`name`, `name:3`), an alias (`name:live`),
    /// `name:$LATEST`, or a function ARN with or without qualifier
    /// (`arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`).
    pub fn target_key(&self, target: &str) -> Option<String> {
        let (name, qualifier) = function_name_of_arn(target);
        match qualifier {
            None | Some("$LATEST") => self.functions.contains_key(name).then(|| name.to_string()),
            Some(q) => {
                let key = format!("{name}:{q}");
                if self.functions.contains_key(&key) {
                    Some(key)
                } else {
                    self.aliases
                        .get(&key)
                        .map(|a| a.get().pick(random_unit()).to_string())
                }
            }
        }
    }

    /// The function an invocation of `target` runs (see [`Cloud::target_key`]),
    /// borrowed: an invocation holds the cloud already, and a count taken
    /// on the function by every request would be a write every thread
    /// serving it shares.
    pub fn resolve(&self, target: &str) -> Option<&Arc<Function>> {
        // As `target_key`, without building the key when the target names a
        // function directly (the common case on the invocation path).
        let (name, qualifier) = function_name_of_arn(target);
        match qualifier {
            None | Some("$LATEST") => self.functions.get(name),
            Some(q) => {
                let key = format!("{name}:{q}");
                match self.functions.get(&key) {
                    Some(f) => Some(f),
                    None => {
                        let alias = self.aliases.get(&key)?.get();
                        self.functions.get(alias.pick(random_unit()))
                    }
                }
            }
        }
    }

    /// The function keys, then the alias names.
    pub fn target_names(&self) -> Vec<String> {
        self.functions
            .keys()
            .chain(self.aliases.keys())
            .cloned()
            .collect()
    }

    /// The keys of every function.
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

    /// The account ID used in ARNs.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The metrics of every function version (keyed `name:version`).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Writes a line of the cloud itself (not of a function) to the sink.
    pub fn log(&self, function: &str, version: &str, line: &str) {
        self.sink.write(function, version, line);
    }

    /// Invokes `target` (see [`Cloud::target_key`]) and waits for the result
    /// (invocation type `RequestResponse`). Function failures are outcomes
    /// with `function_error` set; the outer error is an unknown target.
    pub async fn invoke(
        &self,
        target: &str,
        req: InvokeRequest,
    ) -> Result<Result<InvokeOutcome, InvokeError>, CloudError> {
        let function = self.resolve_or_err(target)?;
        Ok(function.invoke(with_qualifier(target, req)).await)
    }

    /// Invokes `target` asynchronously (invocation type `Event`, as the
    /// Invoke API's `X-Amz-Invocation-Type: Event`, EventBridge schedules and
    /// S3/SNS notifications do): returns at once; the invocation runs in
    /// the background and, like Lambda, is retried when throttled (backing
    /// off from 100 ms, for up to about 6 s). The handle yields the outcome,
    /// or `None` when it never ran; dropping it does not cancel anything.
    pub fn invoke_event(
        &self,
        target: &str,
        req: InvokeRequest,
    ) -> Result<tokio::task::JoinHandle<Option<InvokeOutcome>>, CloudError> {
        let function = self.resolve_or_err(target)?;
        Ok(self.invoke_event_on(function, with_qualifier(target, req)))
    }

    /// [`Cloud::invoke_event`] on a function already resolved (`req` carries
    /// the qualifier the caller used).
    pub(crate) fn invoke_event_on(
        &self,
        function: Arc<Function>,
        req: InvokeRequest,
    ) -> tokio::task::JoinHandle<Option<InvokeOutcome>> {
        let log = (
            function.config().name.clone(),
            function.config().version.clone(),
        );
        let sink = self.sink.clone();
        tokio::spawn(async move {
            let mut wait = Duration::from_millis(100);
            for _ in 0..7 {
                match function.invoke(req.clone()).await {
                    Ok(o) => return Some(o),
                    Err(InvokeError::Throttled) => {
                        tokio::time::sleep(wait).await;
                        wait *= 2;
                    }
                    Err(InvokeError::Start(msg)) => {
                        sink.write(
                            &log.0,
                            &log.1,
                            &format!("lockgate: asynchronous invocation failed: {msg}"),
                        );
                        return None;
                    }
                }
            }
            sink.write(
                &log.0,
                &log.1,
                "lockgate: asynchronous invocation dropped: still throttled after 7 attempts",
            );
            None
        })
    }

    fn resolve_or_err(&self, target: &str) -> Result<Arc<Function>, CloudError> {
        self.resolve(target)
            .cloned()
            .ok_or_else(|| CloudError::UnknownFunction {
                name: target.to_string(),
                available: self.target_names(),
            })
    }

    /// Stops what `successor` does not reuse: functions of this cloud that
    /// are not in `successor` (or all of them for `None`) stop their idle
    /// instances now and each busy instance as soon as its invocation ends,
    /// so in-flight requests finish. Shared functions are left alone.
    pub fn retire(&self, successor: Option<&Cloud>) {
        for f in self.functions.values() {
            let shared = successor.is_some_and(|s| s.functions.values().any(|g| Arc::ptr_eq(f, g)));
            if !shared {
                f.retire();
            }
        }
    }

    /// Before this cloud takes `previous`'s traffic: starts, for each of
    /// its new functions, as many instances as the function it replaces
    /// has live (the same key, else the same function's busiest version;
    /// at most 64), and waits at most `limit` for them to be ready. A
    /// deploy under load then costs no burst of cold starts behind the
    /// swap. Answers how many instances were warmed.
    pub async fn prewarm_from(&self, previous: &Cloud, limit: Duration) -> usize {
        let mut warmed = 0;
        for (key, f) in &self.functions {
            if previous.functions.values().any(|g| Arc::ptr_eq(f, g)) {
                continue;
            }
            let predecessor = previous.functions.get(key).or_else(|| {
                previous
                    .functions
                    .values()
                    .filter(|g| g.config().name == f.config().name)
                    .max_by_key(|g| g.live_instances())
            });
            let n = predecessor.map_or(0, |p| p.live_instances()).min(64);
            if n > 0 {
                warmed += f.prewarm(n, limit).await;
            }
        }
        warmed
    }

    /// Stops every instance now, busy or not.
    pub fn shutdown(&self) {
        for f in self.functions.values() {
            f.stop_all();
        }
    }
}

/// Adds the qualifier `target` used to the request (for the invoked ARN).
pub(crate) fn with_qualifier(target: &str, mut req: InvokeRequest) -> InvokeRequest {
    if req.qualifier.is_none() {
        req.qualifier = function_name_of_arn(target).1.map(str::to_string);
    }
    req
}

/// Points the options at the interpreters' real executables (skipping
/// wrappers such as pyenv shims), for the runtimes the config uses.
fn resolve_interpreters(config: &CloudConfig, mut opts: RuntimeOptions) -> RuntimeOptions {
    for kind in [
        Runtime::Python {
            name: String::new(),
        },
        Runtime::Node {
            name: String::new(),
        },
        Runtime::Ruby {
            name: String::new(),
        },
        Runtime::Java {
            name: String::new(),
        },
    ] {
        let wanted = config.functions.iter().any(|f: &FunctionConfig| {
            std::mem::discriminant(&f.runtime) == std::mem::discriminant(&kind)
        });
        if let Some(path) = wanted
            .then(|| crate::bootstrap::real_interpreter(&kind, &opts))
            .flatten()
        {
            match kind {
                Runtime::Python { .. } => opts.python = path,
                Runtime::Ruby { .. } => opts.ruby = path,
                Runtime::Java { .. } => opts.java = path,
                _ => opts.node = path,
            }
        }
    }
    opts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_pick_in_proportion() {
        let alias = Alias {
            config: AliasConfig {
                name: "f:live".into(),
                targets: vec![],
            },
            cumulative: vec![("f:1".into(), 0.9), ("f:2".into(), 1.0)],
        };
        assert_eq!(alias.pick(0.0), "f:1");
        assert_eq!(alias.pick(0.899), "f:1");
        assert_eq!(alias.pick(0.9), "f:2");
        assert_eq!(alias.pick(0.999_999), "f:2");
        let r = random_unit();
        assert!((0.0..1.0).contains(&r));
    }
}
