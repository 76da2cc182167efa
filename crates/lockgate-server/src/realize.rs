//! From a stage's committed resources to what the local cloud runs: the
//! functions, the API routes and the schedules.
//!
//! This is the one place that reads resource properties as the local cloud
//! needs them; it runs after a deployment commits and at server start, so
//! what serves is always a committed state.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use lockgate_cloud::{
    ApiConfig, ApiKind, CloudConfig, FunctionConfig, PayloadVersion, Route, Runtime,
};
use lockgate_store::{Digest, ResourceState};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use lockgate_cloud::config::{function_name_of_arn, integration_arn, routes_from_body};

use crate::providers::{ARTIFACT_BUCKET, function_name_of};

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
    /// Functions and routes.
    pub cloud: CloudConfig,
    /// Scheduled targets.
    pub schedules: Vec<ScheduledTarget>,
    /// REST API physical ID → its stage names (for local URLs).
    pub rest_stages: BTreeMap<String, Vec<String>>,
    /// HTTP API physical IDs.
    pub http_apis: Vec<String>,
    /// Things that were left out, for the deploy's report.
    pub warnings: Vec<String>,
}

/// Builds the model of a stage from its committed resources. `env` is added
/// to every function's environment (endpoints and credentials of the stage);
/// `versions` holds the configuration each published version was made from,
/// by (function name, version).
pub fn stage_model(
    resources: &[ResourceState],
    code_root: &Path,
    region: &str,
    env: &BTreeMap<String, String>,
    versions: &HashMap<(String, u64), Value>,
) -> StageModel {
    let mut m = StageModel {
        cloud: CloudConfig {
            region: region.to_string(),
            ..Default::default()
        },
        ..Default::default()
    };
    let by_type = |ty: &'static str| {
        resources
            .iter()
            .filter(move |r| r.resource_type == ty && r.physical_id.is_some())
    };
    let layers: HashMap<String, PathBuf> = by_type("AWS::Lambda::LayerVersion")
        .filter_map(|r| {
            let d = digest_of(r.properties.get("Content"))?;
            Some((r.physical_id.clone()?, code_root.join(d.to_string())))
        })
        .collect();
    for r in by_type("AWS::Lambda::Function") {
        match function_config(r, &r.properties, code_root, &layers, env) {
            Ok(f) => m.cloud.functions.push(f),
            Err(w) => m.warnings.push(w),
        }
    }
    // Published versions run the configuration they were published with.
    for r in by_type("AWS::Lambda::Version") {
        let arn = r.physical_id.clone().unwrap_or_default();
        let (name, Some(n)) = function_name_of(&arn) else {
            continue;
        };
        let Some(config) = n
            .parse::<u64>()
            .ok()
            .and_then(|v| versions.get(&(name.clone(), v)))
        else {
            continue;
        };
        let mut as_function = r.clone();
        as_function.physical_id = Some(name);
        match function_config(&as_function, config, code_root, &layers, env) {
            Ok(mut f) => {
                f.version = n;
                m.cloud.functions.push(f);
            }
            Err(w) => m.warnings.push(w),
        }
    }
    let keys: Vec<String> = m.cloud.functions.iter().map(|f| f.key()).collect();
    for r in by_type("AWS::Lambda::Alias") {
        let p = &r.properties;
        let (function, _) =
            function_name_of(p.get("FunctionName").and_then(Value::as_str).unwrap_or(""));
        let alias = p.get("Name").and_then(Value::as_str).unwrap_or("");
        let main = p.get("FunctionVersion").map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        let key_of = |v: &str| {
            if v == "$LATEST" {
                function.clone()
            } else {
                format!("{function}:{v}")
            }
        };
        let mut targets = Vec::new();
        let mut extra = 0.0;
        for w in p
            .pointer("/RoutingConfig/AdditionalVersionWeights")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let v = w.get("FunctionVersion").map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
            let weight = w
                .get("FunctionWeight")
                .and_then(Value::as_f64)
                .unwrap_or(0.0);
            if let Some(v) = v {
                extra += weight;
                targets.push((key_of(&v), weight));
            }
        }
        if let Some(main) = main {
            targets.insert(0, (key_of(&main), (1.0 - extra).max(0.0)));
        }
        if let Some((missing, _)) = targets.iter().find(|(k, _)| !keys.contains(k)) {
            m.warnings.push(format!(
                "{}: version {missing} is not known; alias not served",
                r.logical_id
            ));
            continue;
        }
        m.cloud.aliases.push(lockgate_cloud::AliasConfig {
            name: format!("{function}:{alias}"),
            targets,
        });
    }
    let mut known: Vec<String> = keys;
    known.extend(m.cloud.aliases.iter().map(|a| a.name.clone()));

    // REST APIs: routes from the swagger body, stage names from Stage resources.
    for r in by_type("AWS::ApiGateway::RestApi") {
        let id = r.physical_id.clone().unwrap_or_default();
        let stages: Vec<String> = by_type("AWS::ApiGateway::Stage")
            .filter(|s| s.properties.get("RestApiId").and_then(Value::as_str) == Some(&id))
            .filter_map(|s| s.physical_id.clone())
            .collect();
        let routes = body_routes(&r.logical_id, r, ApiKind::Rest, &known, &mut m.warnings);
        m.cloud.apis.push(ApiConfig {
            name: r.logical_id.clone(),
            kind: ApiKind::Rest,
            stage: stages.first().cloned().unwrap_or_else(|| "Prod".into()),
            routes,
            binary_media_types: r
                .properties
                .get("BinaryMediaTypes")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
        });
        m.rest_stages.insert(id, stages);
    }

    // HTTP APIs: routes from the body and from Route + Integration resources.
    for r in by_type("AWS::ApiGatewayV2::Api") {
        if r.properties.get("ProtocolType").and_then(Value::as_str) == Some("WEBSOCKET") {
            m.warnings.push(format!(
                "{}: WebSocket APIs are not served locally",
                r.logical_id
            ));
            continue;
        }
        let id = r.physical_id.clone().unwrap_or_default();
        let mut routes = body_routes(&r.logical_id, r, ApiKind::Http, &known, &mut m.warnings);
        for route in by_type("AWS::ApiGatewayV2::Route")
            .filter(|x| x.properties.get("ApiId").and_then(Value::as_str) == Some(&id))
        {
            let key = route
                .properties
                .get("RouteKey")
                .and_then(Value::as_str)
                .unwrap_or("");
            let target = route
                .properties
                .get("Target")
                .and_then(Value::as_str)
                .unwrap_or("");
            let integration_id = target.strip_prefix("integrations/").unwrap_or(target);
            let Some(integration) = by_type("AWS::ApiGatewayV2::Integration")
                .find(|i| i.physical_id.as_deref() == Some(integration_id))
            else {
                m.warnings
                    .push(format!("{}: no integration `{target}`", route.logical_id));
                continue;
            };
            let uri = integration
                .properties
                .get("IntegrationUri")
                .and_then(Value::as_str)
                .unwrap_or("");
            let Some(function) = function_of_uri(uri, &known) else {
                m.warnings.push(format!(
                    "{}: integration {uri} is not a function of this stage",
                    route.logical_id
                ));
                continue;
            };
            let payload = PayloadVersion::for_api(
                ApiKind::Http,
                integration
                    .properties
                    .get("PayloadFormatVersion")
                    .and_then(Value::as_str),
            );
            let (method, path) = split_route_key(key);
            routes.push(Route {
                method,
                path,
                function,
                payload,
            });
        }
        let stage = by_type("AWS::ApiGatewayV2::Stage")
            .find(|s| s.properties.get("ApiId").and_then(Value::as_str) == Some(&id))
            .and_then(|s| s.physical_id.clone())
            .unwrap_or_else(|| "$default".into());
        m.cloud.apis.push(ApiConfig {
            name: r.logical_id.clone(),
            kind: ApiKind::Http,
            stage,
            routes,
            binary_media_types: Vec::new(),
        });
        m.http_apis.push(id);
    }

    // Schedules.
    for r in by_type("AWS::Events::Rule") {
        let Some(expr) = r
            .properties
            .get("ScheduleExpression")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if r.properties.get("State").and_then(Value::as_str) == Some("DISABLED") {
            continue;
        }
        for t in r
            .properties
            .get("Targets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let arn = t.get("Arn").and_then(Value::as_str).unwrap_or("");
            match function_of_uri(arn, &known) {
                Some(function) => m.schedules.push(ScheduledTarget {
                    rule: r.physical_id.clone().unwrap_or_default(),
                    expression: expr.to_string(),
                    function,
                    input: t.get("Input").and_then(Value::as_str).map(str::to_string),
                }),
                None => m.warnings.push(format!(
                    "{}: target {arn} is not a function of this stage; not scheduled",
                    r.logical_id
                )),
            }
        }
    }
    m
}

fn digest_of(code: Option<&Value>) -> Option<Digest> {
    let code = code?;
    if code.get("S3Bucket").and_then(Value::as_str) != Some(ARTIFACT_BUCKET) {
        return None;
    }
    code.get("S3Key")?.as_str()?.parse().ok()
}

fn function_config(
    r: &ResourceState,
    p: &Value,
    code_root: &Path,
    layers: &HashMap<String, PathBuf>,
    env: &BTreeMap<String, String>,
) -> Result<FunctionConfig, String> {
    let name = r.physical_id.clone().unwrap_or_default();
    let rt = p.get("Runtime").and_then(Value::as_str).unwrap_or("");
    let runtime = Runtime::from_identifier(rt)
        .ok_or_else(|| format!("{}: runtime `{rt}` cannot run locally", r.logical_id))?;
    let code_dir = match (digest_of(p.get("Code")), p.pointer("/Code/ZipFile")) {
        (Some(d), _) => code_root.join(d.to_string()),
        (None, Some(Value::String(src))) => inline_code(code_root, &runtime, src)
            .map_err(|e| format!("{}: cannot write inline code: {e}", r.logical_id))?,
        _ => return Err(format!("{}: no code this machine can run", r.logical_id)),
    };
    let handler = p
        .get("Handler")
        .and_then(Value::as_str)
        .unwrap_or("bootstrap");
    let mut f = FunctionConfig::new(name, runtime, handler, code_dir);
    if let Some(t) = p.get("Timeout").and_then(num) {
        f.timeout = Duration::from_secs(t.max(1));
    }
    if let Some(m) = p.get("MemorySize").and_then(num) {
        f.memory_mb = m as u32;
    }
    if let Some(c) = p.get("ReservedConcurrentExecutions").and_then(num) {
        f.reserved_concurrency = Some(c as u32);
    }
    if let Some(a) = p.pointer("/Architectures/0").and_then(Value::as_str) {
        f.architecture = a.to_string();
    }
    f.environment = env.clone();
    if let Some(vars) = p
        .pointer("/Environment/Variables")
        .and_then(Value::as_object)
    {
        for (k, v) in vars {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            f.environment.insert(k.clone(), text);
        }
    }
    for l in p
        .get("Layers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(dir) = l.as_str().and_then(|arn| layers.get(arn)) {
            f.layers.push(dir.clone());
        }
    }
    Ok(f)
}

fn num(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Writes `ZipFile` code as CloudFormation does (`index.py` / `index.js`).
fn inline_code(code_root: &Path, runtime: &Runtime, src: &str) -> std::io::Result<PathBuf> {
    let hash = hex::encode(Sha256::digest(src.as_bytes()));
    let dir = code_root.join(format!("inline-{}", &hash[..16]));
    let file = match runtime {
        Runtime::Python { .. } => "index.py",
        Runtime::Node { .. } => "index.js",
        Runtime::Provided { .. } => "bootstrap",
    };
    if !dir.join(file).is_file() {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(file), src)?;
        if file == "bootstrap" {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir.join(file), std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(dir)
}

/// The function (a name of this stage) an integration URI or target ARN
/// invokes: the qualified name (`name:alias`, `name:3`) when the stage runs
/// it, else the function itself.
pub fn function_of_uri(uri: &str, known: &[String]) -> Option<String> {
    let (name, qualifier) = function_name_of_arn(integration_arn(uri));
    let qualified = qualifier.map(|q| format!("{name}:{q}"));
    known
        .iter()
        .find(|k| Some(k.as_str()) == qualified.as_deref())
        .or_else(|| known.iter().find(|k| k.as_str() == name))
        .cloned()
}

fn split_route_key(key: &str) -> (Option<String>, String) {
    match key.split_once(' ') {
        Some((m, p)) if m != "ANY" => (Some(m.to_ascii_uppercase()), p.to_string()),
        Some((_, p)) => (None, p.to_string()),
        None => (None, key.to_string()),
    }
}

/// The routes of an API resource's OpenAPI `Body`.
fn body_routes(
    api: &str,
    r: &ResourceState,
    kind: ApiKind,
    known: &[String],
    warnings: &mut Vec<String>,
) -> Vec<Route> {
    let Some(body) = r.properties.get("Body") else {
        return Vec::new();
    };
    routes_from_body(
        api,
        body,
        &|u| u.as_str().and_then(|u| function_of_uri(u, known)),
        &|v| PayloadVersion::for_api(kind, v.and_then(Value::as_str)),
        warnings,
    )
}
