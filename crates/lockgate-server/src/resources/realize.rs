//! From a stage's live resources to what the local cloud runs: each
//! resource type contributes its part ([`super::ResourceType::realize`]),
//! in [`super::ResourceType::realize_order`].
//!
//! This runs after a deployment commits, at server start, before a traffic
//! shift (with the deployment's new resources staged in), and for `lockgate
//! local` — so a deployed stage and `local` serve a template the same way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use lockgate_cloud::{AliasConfig, ApiConfig, CloudConfig, FunctionConfig};
use lockgate_store::ResourceState;
use serde_json::Value;

use super::{CodeStore, Registry};

/// A scheduled rule of a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledTarget {
    /// The rule's name (its physical ID).
    pub rule: String,
    /// `rate(…)` or `cron(…)`.
    pub expression: String,
    /// The function invoked.
    pub function: String,
    /// The event sent (`Input`, or a Scheduled Event like EventBridge's).
    pub input: Option<String>,
}

/// What a stage runs.
#[derive(Debug, Clone, Default)]
pub struct StageModel {
    /// Functions, aliases and routes.
    pub cloud: CloudConfig,
    /// Scheduled targets.
    pub schedules: Vec<ScheduledTarget>,
    /// REST API physical ID → its stage names (for local URLs).
    pub rest_stages: BTreeMap<String, Vec<String>>,
    /// HTTP API physical IDs.
    pub http_apis: Vec<String>,
    /// Alarms to evaluate on the stage's metrics: (name, resolved properties).
    pub alarms: Vec<(String, Value)>,
    /// Things that were left out, for the deploy's report.
    pub warnings: Vec<String>,
}

impl StageModel {
    /// Rewrites `https://{api}.execute-api.{region}.amazonaws.com[/{stage}]`
    /// in `value` to the stage's local URL.
    pub fn local_urls(&self, value: &str, url: &str, region: &str) -> String {
        let mut v = value.to_string();
        for (api, stages) in &self.rest_stages {
            let host = format!("https://{api}.execute-api.{region}.amazonaws.com");
            for s in stages {
                v = v.replace(&format!("{host}/{s}"), url);
            }
            v = v.replace(&host, url);
        }
        for api in &self.http_apis {
            v = v.replace(
                &format!("https://{api}.execute-api.{region}.amazonaws.com"),
                url,
            );
        }
        v
    }
}

/// One live resource of a stage, as a type's `realize` reads it.
#[derive(Debug, Clone, Copy)]
pub struct LiveResource<'a> {
    /// Its logical ID.
    pub logical_id: &'a str,
    /// Its type.
    pub resource_type: &'a str,
    /// Its physical ID.
    pub physical_id: &'a str,
    /// Its resolved properties.
    pub properties: &'a Value,
}

impl<'a> LiveResource<'a> {
    /// A string property.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.properties.get(key).and_then(Value::as_str)
    }

    fn of(r: &'a ResourceState) -> Option<Self> {
        Some(LiveResource {
            logical_id: &r.logical_id,
            resource_type: &r.resource_type,
            physical_id: r.physical_id.as_deref()?,
            properties: &r.properties,
        })
    }
}

/// What realize reads besides the resources.
pub struct RealizeInputs<'a> {
    /// The region.
    pub region: &'a str,
    /// Added to every function's environment (endpoints, credentials).
    pub env: &'a BTreeMap<String, String>,
    /// Added on top for a function with an execution role: `(role name,
    /// function name)` → the credentials of that function as that role.
    pub role_env: &'a dyn Fn(&str, &str) -> BTreeMap<String, String>,
    /// Where code lives.
    pub code: &'a dyn CodeStore,
    /// The configuration each published version was made from, by
    /// (function name, version).
    pub versions: &'a HashMap<(String, u64), Value>,
}

/// The stage being built, as types add their parts.
pub struct StageBuilder<'a> {
    model: StageModel,
    inputs: RealizeInputs<'a>,
    resources: &'a [ResourceState],
    layers: HashMap<String, PathBuf>,
    /// API physical ID → its index in `model.cloud.apis`.
    apis: HashMap<String, usize>,
    /// APIs whose stage a stage resource has set.
    staged: HashSet<usize>,
}

impl<'a> StageBuilder<'a> {
    /// The inputs (region, environment, code, versions).
    pub fn inputs(&self) -> &RealizeInputs<'a> {
        &self.inputs
    }

    /// Notes something left out.
    pub fn warn(&mut self, message: String) {
        self.model.warnings.push(message);
    }

    /// Adds a layer's directory, by the layer version ARN functions name.
    pub fn add_layer(&mut self, arn: &str, dir: PathBuf) {
        self.layers.insert(arn.to_string(), dir);
    }

    /// The directory of a layer of this stage.
    pub fn layer_dir(&self, arn: &str) -> Option<&PathBuf> {
        self.layers.get(arn)
    }

    /// Adds a function (a `$LATEST` or a published version).
    pub fn add_function(&mut self, f: FunctionConfig) {
        self.model.cloud.functions.push(f);
    }

    /// Adds an alias.
    pub fn add_alias(&mut self, a: AliasConfig) {
        self.model.cloud.aliases.push(a);
    }

    /// Every invocation target so far: function keys (`name`, `name:3`), then aliases.
    pub fn targets(&self) -> Vec<String> {
        self.model
            .cloud
            .functions
            .iter()
            .map(FunctionConfig::key)
            .chain(self.model.cloud.aliases.iter().map(|a| a.name.clone()))
            .collect()
    }

    /// The target an integration URI or a target ARN invokes: the
    /// qualified name (`name:alias`, `name:3`) when the stage runs it, else
    /// the function itself.
    pub fn target_of(&self, uri: &str) -> Option<String> {
        function_of_uri(uri, &self.targets())
    }

    /// Adds an API under its physical ID.
    pub fn add_api(&mut self, physical_id: &str, api: ApiConfig) {
        self.apis
            .insert(physical_id.to_string(), self.model.cloud.apis.len());
        self.model.cloud.apis.push(api);
    }

    /// An API added before, by physical ID.
    pub fn api_mut(&mut self, physical_id: &str) -> Option<&mut ApiConfig> {
        let i = *self.apis.get(physical_id)?;
        self.model.cloud.apis.get_mut(i)
    }

    /// Sets an API's stage (name and variables) from a stage resource; the
    /// first stage of an API wins, as `requestContext.stage` names one.
    pub fn set_api_stage(
        &mut self,
        physical_id: &str,
        stage: &str,
        variables: BTreeMap<String, String>,
    ) -> bool {
        let Some(&i) = self.apis.get(physical_id) else {
            return false;
        };
        if self.staged.insert(i)
            && let Some(api) = self.model.cloud.apis.get_mut(i)
        {
            api.stage = stage.to_string();
            api.stage_variables = variables;
        }
        true
    }

    /// Records a REST API (for local URLs of outputs).
    pub fn add_rest_api(&mut self, api: &str) {
        self.model.rest_stages.entry(api.to_string()).or_default();
    }

    /// Records a REST API's stage names (for local URLs of outputs).
    pub fn add_rest_stage(&mut self, api: &str, stage: &str) {
        self.model
            .rest_stages
            .entry(api.to_string())
            .or_default()
            .push(stage.to_string());
    }

    /// Records an HTTP API (for local URLs of outputs).
    pub fn add_http_api(&mut self, api: &str) {
        self.model.http_apis.push(api.to_string());
    }

    /// Adds an alarm evaluated on the stage's metrics.
    pub fn add_alarm(&mut self, name: &str, properties: &Value) {
        self.model
            .alarms
            .push((name.to_string(), properties.clone()));
    }

    /// Adds a scheduled target.
    pub fn add_schedule(&mut self, s: ScheduledTarget) {
        self.model.schedules.push(s);
    }

    /// The live resources of one type.
    pub fn of_type(&self, ty: &'a str) -> impl Iterator<Item = LiveResource<'a>> + 'a {
        self.resources
            .iter()
            .filter(move |r| r.resource_type == ty)
            .filter_map(LiveResource::of)
    }
}

/// Builds the model of a stage from its live resources.
pub fn stage_model(
    resources: &[ResourceState],
    registry: &Registry,
    inputs: RealizeInputs<'_>,
) -> StageModel {
    let mut b = StageBuilder {
        model: StageModel {
            cloud: CloudConfig {
                region: inputs.region.to_string(),
                ..Default::default()
            },
            ..Default::default()
        },
        inputs,
        resources,
        layers: HashMap::new(),
        apis: HashMap::new(),
        staged: HashSet::new(),
    };
    let mut live: Vec<_> = resources
        .iter()
        .filter_map(LiveResource::of)
        .map(|r| (registry.get(r.resource_type), r))
        .collect();
    // Stable: within one type, resources keep their (logical ID) order.
    live.sort_by_key(|(ty, _)| ty.realize_order());
    for (ty, r) in live {
        ty.realize(&r, &mut b);
    }
    b.model
}

/// The target (a name of this stage) an integration URI or target ARN
/// invokes: the qualified name (`name:alias`, `name:3`) when the stage
/// runs it, else the function itself.
pub fn function_of_uri(uri: &str, known: &[String]) -> Option<String> {
    use lockgate_cloud::config::{function_name_of_arn, integration_arn};
    let (name, qualifier) = function_name_of_arn(integration_arn(uri));
    let qualified = qualifier.map(|q| format!("{name}:{q}"));
    known
        .iter()
        .find(|k| Some(k.as_str()) == qualified.as_deref())
        .or_else(|| known.iter().find(|k| k.as_str() == name))
        .cloned()
}
