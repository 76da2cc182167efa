//! Builds the local cloud's typed configuration from a *transformed*
//! CloudFormation template (JSON): `AWS::Lambda::Function`s, REST APIs
//! (`AWS::ApiGateway::RestApi` bodies and stages) and HTTP APIs
//! (`AWS::ApiGatewayV2::Api` bodies, or `Route` + `Integration` resources).

pub mod intrinsics;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::{
    ApiConfig, ApiKind, CloudConfig, FunctionConfig, PayloadVersion, Route, Runtime,
    function_name_of_arn, integration_arn, routes_from_body,
};
use crate::error::CloudError;
pub use intrinsics::Scope;

/// The S3 bucket name that marks "local code" in a packaged template:
/// `lockgate_template::package` rewrites local code paths to
/// `s3://lockgate-local/<path>` before the SAM transform.
pub const LOCAL_BUCKET: &str = "lockgate-local";

/// What the template's code locations mean locally.
#[derive(Debug, Clone)]
pub struct TemplateContext {
    /// Parameter values as given (`--parameter-overrides`); template defaults fill the rest.
    pub parameters: BTreeMap<String, String>,
    /// The region.
    pub region: String,
    /// The directory relative code paths are in (the template's).
    pub base_dir: PathBuf,
    /// Where inline code (`Code.ZipFile`) is written.
    pub inline_dir: PathBuf,
}

/// The configuration and what was skipped or guessed on the way.
#[derive(Debug, Clone)]
pub struct FromTemplate {
    /// The configuration.
    pub config: CloudConfig,
    /// Things worth telling the user (ignored layers, unresolved variables…).
    pub warnings: Vec<String>,
}

/// Builds the configuration from a transformed template.
pub fn cloud_config(template: &Value, ctx: &TemplateContext) -> Result<FromTemplate, CloudError> {
    let resources = template
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut parameters = Map::new();
    if let Some(Value::Object(ps)) = template.get("Parameters") {
        for (name, p) in ps {
            if let Some(d) = p.get("Default") {
                parameters.insert(name.clone(), d.clone());
            }
        }
    }
    for (k, v) in &ctx.parameters {
        parameters.insert(k.clone(), Value::String(v.clone()));
    }
    let scope = Scope {
        parameters,
        region: ctx.region.clone(),
        account_id: "123456789012".into(),
        resources: resources.clone(),
    };
    let mut warnings = Vec::new();
    let mut functions = Vec::new();
    for (id, r) in &resources {
        if r.get("Type").and_then(Value::as_str) == Some("AWS::Lambda::Function") {
            functions.push(function(
                id,
                r.get("Properties").unwrap_or(&Value::Null),
                &scope,
                ctx,
                &mut warnings,
            )?);
        }
    }
    let mut apis = Vec::new();
    for (id, r) in &resources {
        let props = r.get("Properties").unwrap_or(&Value::Null);
        match r.get("Type").and_then(Value::as_str) {
            Some("AWS::ApiGateway::RestApi") => {
                apis.push(rest_api(id, props, &resources, &scope, &mut warnings)?)
            }
            Some("AWS::ApiGatewayV2::Api") => {
                if props.get("ProtocolType").and_then(Value::as_str) == Some("WEBSOCKET") {
                    warnings.push(format!("API {id}: WebSocket APIs are not served locally"));
                    continue;
                }
                apis.push(http_api(id, props, &resources, &scope, &mut warnings)?);
            }
            _ => {}
        }
    }
    Ok(FromTemplate {
        config: CloudConfig {
            functions,
            aliases: Vec::new(),
            apis,
            region: ctx.region.clone(),
        },
        warnings,
    })
}

fn prop_str(props: &Value, key: &str, scope: &Scope) -> Option<String> {
    props
        .get(key)
        .and_then(|v| scope.resolve(v))
        .and_then(|v| intrinsics::scalar(&v))
}

fn prop_u64(props: &Value, key: &str, scope: &Scope) -> Option<u64> {
    prop_str(props, key, scope)
        .and_then(|s| s.parse::<f64>().ok())
        .map(|f| f as u64)
}

fn function(
    id: &str,
    props: &Value,
    scope: &Scope,
    ctx: &TemplateContext,
    warnings: &mut Vec<String>,
) -> Result<FunctionConfig, CloudError> {
    let bad = |message: String| CloudError::BadFunction {
        function: id.to_string(),
        message,
    };
    if prop_str(props, "PackageType", scope).as_deref() == Some("Image") {
        return Err(bad(
            "container image functions (PackageType: Image) are not supported locally".into(),
        ));
    }
    let runtime_id =
        prop_str(props, "Runtime", scope).ok_or_else(|| bad("has no Runtime".into()))?;
    let runtime =
        Runtime::from_identifier(&runtime_id).ok_or_else(|| CloudError::UnsupportedRuntime {
            function: id.to_string(),
            runtime: runtime_id.clone(),
        })?;
    let handler = prop_str(props, "Handler", scope).unwrap_or_default();
    if handler.is_empty() && !matches!(runtime, Runtime::Provided { .. }) {
        return Err(bad("has no Handler".into()));
    }
    let code_dir = code_location(id, props.get("Code"), &runtime, scope, ctx)?;
    let mut f = FunctionConfig::new(id, runtime, handler, code_dir);
    if let Some(t) = prop_u64(props, "Timeout", scope) {
        f.timeout = Duration::from_secs(t.max(1));
    }
    if let Some(m) = prop_u64(props, "MemorySize", scope) {
        f.memory_mb = m as u32;
    }
    f.reserved_concurrency =
        prop_u64(props, "ReservedConcurrentExecutions", scope).map(|c| c as u32);
    if let Some(arch) = props
        .get("Architectures")
        .and_then(|a| scope.resolve(a))
        .and_then(|a| a.get(0).and_then(intrinsics::scalar))
    {
        f.architecture = arch;
    }
    if let Some(Value::Object(vars)) = props.get("Environment").and_then(|e| e.get("Variables")) {
        for (k, v) in vars {
            match scope.resolve(v).as_ref().and_then(intrinsics::scalar) {
                Some(s) => {
                    f.environment.insert(k.clone(), s);
                }
                None => warnings.push(format!("function {id}: environment variable {k} cannot be resolved locally; it is left unset")),
            }
        }
    }
    if let Some(Value::Array(layers)) = props.get("Layers") {
        for l in layers {
            match layer_dir(l, scope, ctx) {
                Some(d) => f.layers.push(d),
                None => warnings.push(format!(
                    "function {id}: layer {l} is not local and is ignored"
                )),
            }
        }
    }
    Ok(f)
}

fn code_location(
    id: &str,
    code: Option<&Value>,
    runtime: &Runtime,
    scope: &Scope,
    ctx: &TemplateContext,
) -> Result<PathBuf, CloudError> {
    let bad = |message: String| CloudError::BadFunction {
        function: id.to_string(),
        message,
    };
    let code = code.ok_or_else(|| bad("has no Code".into()))?;
    if let Some(zip) = code.get("ZipFile") {
        let text = scope
            .resolve(zip)
            .as_ref()
            .and_then(intrinsics::scalar)
            .ok_or_else(|| bad("inline ZipFile code cannot be resolved".into()))?;
        let file = match runtime {
            Runtime::Python { .. } => "index.py",
            Runtime::Node { .. } => "index.js",
            Runtime::Provided { .. } => "bootstrap",
        };
        let dir = ctx.inline_dir.join(id);
        let path = dir.join(file);
        std::fs::create_dir_all(&dir)
            .and_then(|_| std::fs::write(&path, text))
            .map_err(|source| CloudError::Io {
                path: path.clone(),
                source,
            })?;
        return Ok(dir);
    }
    local_dir(code, "S3Bucket", "S3Key", scope, ctx).ok_or_else(|| {
        bad(format!(
            "code {code} is not local (only code next to the template can run locally)"
        ))
    })
}

fn local_dir(
    v: &Value,
    bucket_key: &str,
    key_key: &str,
    scope: &Scope,
    ctx: &TemplateContext,
) -> Option<PathBuf> {
    let bucket = v
        .get(bucket_key)
        .and_then(|b| scope.resolve(b))
        .and_then(|b| intrinsics::scalar(&b))?;
    let key = v
        .get(key_key)
        .and_then(|k| scope.resolve(k))
        .and_then(|k| intrinsics::scalar(&k))?;
    (bucket == LOCAL_BUCKET).then(|| resolve_dir(&ctx.base_dir, &key))
}

fn resolve_dir(base: &Path, key: &str) -> PathBuf {
    let p = Path::new(key);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn layer_dir(l: &Value, scope: &Scope, ctx: &TemplateContext) -> Option<PathBuf> {
    let id = l.get("Ref")?.as_str()?;
    let layer = scope.resources.get(id)?;
    if layer.get("Type")?.as_str()? != "AWS::Lambda::LayerVersion" {
        return None;
    }
    local_dir(
        layer.get("Properties")?.get("Content")?,
        "S3Bucket",
        "S3Key",
        scope,
        ctx,
    )
}

/// The function an `aws_proxy` integration URI invokes (its logical ID).
pub fn integration_function(uri: &Value, scope: &Scope) -> Option<String> {
    let uri = intrinsics::scalar(&scope.resolve(uri)?)?;
    let (name, _) = function_name_of_arn(integration_arn(&uri));
    // A FunctionName property names the function; map it back to the logical ID.
    for (id, r) in &scope.resources {
        if r.get("Type").and_then(Value::as_str) == Some("AWS::Lambda::Function")
            && (id == name
                || r.get("Properties")
                    .and_then(|p| p.get("FunctionName"))
                    .and_then(|n| scope.resolve(n))
                    .and_then(|n| intrinsics::scalar(&n))
                    .as_deref()
                    == Some(name))
        {
            return Some(id.clone());
        }
    }
    // An alias or version (AutoPublishAlias routes to `FnAliaslive`) runs
    // its function's code locally, as SAM CLI does.
    let r = scope.resources.get(name)?;
    match r.get("Type").and_then(Value::as_str) {
        Some("AWS::Lambda::Alias" | "AWS::Lambda::Version") => {
            let target = r.get("Properties")?.get("FunctionName")?;
            integration_function(target, scope).filter(|f| f != name)
        }
        _ => None,
    }
}

fn body_routes(
    api: &str,
    body: &Value,
    kind: ApiKind,
    scope: &Scope,
    warnings: &mut Vec<String>,
) -> Vec<Route> {
    routes_from_body(
        api,
        body,
        &|uri| integration_function(uri, scope),
        &|format| {
            let format = format
                .and_then(|v| scope.resolve(v))
                .and_then(|v| intrinsics::scalar(&v));
            PayloadVersion::for_api(kind, format.as_deref())
        },
        warnings,
    )
}

/// The `StageName` of the first stage resource of type `ty` whose
/// `api_prop` refers to the API `id`.
fn stage_name(
    resources: &Map<String, Value>,
    ty: &str,
    api_prop: &str,
    id: &str,
    scope: &Scope,
) -> Option<String> {
    resources
        .values()
        .filter(|r| r.get("Type").and_then(Value::as_str) == Some(ty))
        .filter_map(|r| r.get("Properties"))
        .find(|p| refers_to(p.get(api_prop), id))
        .and_then(|p| prop_str(p, "StageName", scope))
}

fn refers_to(v: Option<&Value>, id: &str) -> bool {
    v.and_then(|v| v.get("Ref")).and_then(Value::as_str) == Some(id)
}

fn rest_api(
    id: &str,
    props: &Value,
    resources: &Map<String, Value>,
    scope: &Scope,
    warnings: &mut Vec<String>,
) -> Result<ApiConfig, CloudError> {
    if props.get("Body").is_none() && props.get("BodyS3Location").is_some() {
        warnings.push(format!(
            "API {id}: its definition is in S3 (BodyS3Location), so it has no local routes"
        ));
    }
    let body = props.get("Body").unwrap_or(&Value::Null);
    let routes = body_routes(id, body, ApiKind::Rest, scope, warnings);
    let mut binary = Vec::new();
    for list in [
        props.get("BinaryMediaTypes"),
        body.get("x-amazon-apigateway-binary-media-types"),
    ]
    .into_iter()
    .flatten()
    {
        if let Some(Value::Array(items)) = scope.resolve(list) {
            binary.extend(
                items
                    .iter()
                    .filter_map(intrinsics::scalar)
                    .map(|s| s.replace("~1", "/")),
            );
        }
    }
    let stage = stage_name(resources, "AWS::ApiGateway::Stage", "RestApiId", id, scope)
        .unwrap_or_else(|| "Prod".into());
    Ok(ApiConfig {
        name: id.to_string(),
        kind: ApiKind::Rest,
        stage,
        routes,
        binary_media_types: binary,
    })
}

fn http_api(
    id: &str,
    props: &Value,
    resources: &Map<String, Value>,
    scope: &Scope,
    warnings: &mut Vec<String>,
) -> Result<ApiConfig, CloudError> {
    let mut routes = props
        .get("Body")
        .map(|b| body_routes(id, b, ApiKind::Http, scope, warnings))
        .unwrap_or_default();
    // Routes declared as resources.
    for r in resources
        .values()
        .filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::ApiGatewayV2::Route"))
    {
        let Some(p) = r.get("Properties") else {
            continue;
        };
        if !refers_to(p.get("ApiId"), id) {
            continue;
        }
        let Some(key) = prop_str(p, "RouteKey", scope) else {
            continue;
        };
        let Some(target) = prop_str(p, "Target", scope) else {
            continue;
        };
        let Some(integration) = target
            .strip_prefix("integrations/")
            .and_then(|i| resources.get(i))
            .and_then(|i| i.get("Properties"))
        else {
            continue;
        };
        let Some(function) = integration
            .get("IntegrationUri")
            .and_then(|u| integration_function(u, scope))
        else {
            continue;
        };
        let payload = match prop_str(integration, "PayloadFormatVersion", scope).as_deref() {
            Some("1.0") => PayloadVersion::V1,
            _ => PayloadVersion::V2,
        };
        let (method, path) = match key.split_once(' ') {
            Some((m, p)) => (
                if m == "ANY" {
                    None
                } else {
                    Some(m.to_string())
                },
                p.to_string(),
            ),
            None => (None, key.clone()),
        };
        routes.push(Route {
            method,
            path,
            function,
            payload,
        });
    }
    let stage = stage_name(resources, "AWS::ApiGatewayV2::Stage", "ApiId", id, scope)
        .unwrap_or_else(|| "$default".into());
    Ok(ApiConfig {
        name: id.to_string(),
        kind: ApiKind::Http,
        stage,
        routes,
        binary_media_types: Vec::new(),
    })
}

#[cfg(test)]
mod tests;
