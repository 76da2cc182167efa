//! Typed configuration of the local cloud: functions and API routes.
//!
//! The core knows nothing about templates; the server's resource types
//! build these values from a stage's resources.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// How a function's code is started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// `python3.x`: our Python bootstrap, run by the machine's `python3`.
    Python {
        /// The runtime identifier the template names, e.g. `python3.12`.
        name: String,
    },
    /// `nodejsNN.x`: our Node bootstrap, run by the machine's `node`.
    Node {
        /// The runtime identifier the template names, e.g. `nodejs20.x`.
        name: String,
    },
    /// `ruby3.x`: our Ruby bootstrap, run by the machine's `ruby`.
    Ruby {
        /// The runtime identifier the template names, e.g. `ruby3.3`.
        name: String,
    },
    /// `java8`, `java8.al2`, `java11`, `java17`, `java21`: our Java
    /// bootstrap (compiled once with the JDK's `javac`, see
    /// [`crate::bootstrap::java`]), run by the machine's `java`.
    Java {
        /// The runtime identifier the template names, e.g. `java17`.
        name: String,
    },
    /// `provided`, `provided.al2`, `provided.al2023`: the code's own `bootstrap`.
    Provided {
        /// The runtime identifier the template names.
        name: String,
    },
    /// A Lambda runtime this machine cannot run (`dotnet8`, `go1.x`, a
    /// Java runtime on a machine without a JDK…):
    /// the function deploys, and invoking it answers
    /// `Runtime.Unavailable` saying why.
    Unavailable {
        /// The runtime identifier the template names.
        name: String,
        /// Why it cannot run here.
        reason: String,
    },
}

/// Lambda's runtime identifiers, current and deprecated (the values its
/// `Runtime` property accepts).
pub const LAMBDA_RUNTIMES: &[&str] = &[
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "java8",
    "java8.al2",
    "java11",
    "java17",
    "java21",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet6",
    "dotnet8",
    "go1.x",
    "ruby2.5",
    "ruby2.7",
    "ruby3.2",
    "ruby3.3",
    "ruby3.4",
    "provided",
    "provided.al2",
    "provided.al2023",
];

impl Runtime {
    /// Maps a Lambda runtime identifier: how it runs here, or
    /// [`Runtime::Unavailable`] for a Lambda runtime this machine cannot
    /// run; `None` for an identifier Lambda does not know.
    pub fn from_identifier(id: &str) -> Option<Runtime> {
        let name = id.to_string();
        if id.starts_with("python3") {
            Some(Runtime::Python { name })
        } else if id.starts_with("nodejs") {
            Some(Runtime::Node { name })
        } else if id == "provided" || id.starts_with("provided.") {
            Some(Runtime::Provided { name })
        } else if id.starts_with("ruby3") {
            Some(Runtime::Ruby { name })
        } else if id.starts_with("java") && LAMBDA_RUNTIMES.contains(&id) {
            Some(Runtime::Java { name })
        } else if LAMBDA_RUNTIMES.contains(&id) {
            let reason = if id.starts_with("dotnet") {
                "Lockgate does not run .NET functions"
            } else if id == "go1.x" {
                "go1.x is retired: build the Go function as a `provided.al2023` bootstrap"
            } else {
                "this runtime is retired"
            };
            Some(Runtime::Unavailable {
                name,
                reason: reason.into(),
            })
        } else {
            None
        }
    }

    /// The identifier as the template wrote it.
    pub fn identifier(&self) -> &str {
        match self {
            Runtime::Python { name }
            | Runtime::Node { name }
            | Runtime::Ruby { name }
            | Runtime::Java { name }
            | Runtime::Provided { name }
            | Runtime::Unavailable { name, .. } => name,
        }
    }
}

/// One function version the local cloud can run.
///
/// Two configurations that compare equal start identical instances, which
/// is what [`crate::Cloud::new_reusing`] relies on to keep a function warm
/// across redeploys: give new code a new `code_dir` (e.g. one directory per
/// artifact hash) so that changed code never compares equal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionConfig {
    /// The function's name (the template's logical ID locally, the physical
    /// name such as `greeter-dev-Hello` on a server).
    pub name: String,
    /// How to start it.
    pub runtime: Runtime,
    /// `_HANDLER` (e.g. `app.lambda_handler`); ignored by most `provided` bootstraps.
    pub handler: String,
    /// The unpacked code: `LAMBDA_TASK_ROOT` and the working directory.
    pub code_dir: PathBuf,
    /// Layer directories (their content is made visible like `/opt`).
    pub layers: Vec<PathBuf>,
    /// The invocation timeout (Lambda's default is 3 s).
    pub timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MB (Lambda's default is 128).
    pub memory_mb: u32,
    /// The function's own environment variables.
    pub environment: BTreeMap<String, String>,
    /// `ReservedConcurrentExecutions`: the most instances at once.
    pub reserved_concurrency: Option<u32>,
    /// `x86_64` or `arm64` (informational locally).
    pub architecture: String,
    /// The version: `$LATEST`, or a published version number (`1`, `2`…).
    pub version: String,
    /// `EphemeralStorage.Size`: the size of each instance's `/tmp` in MB
    /// (Lambda's default is 512), enforced when instances are sandboxed.
    pub ephemeral_storage_mb: u32,
}

impl FunctionConfig {
    /// A function with Lambda's defaults for everything but the essentials.
    pub fn new(
        name: impl Into<String>,
        runtime: Runtime,
        handler: impl Into<String>,
        code_dir: impl Into<PathBuf>,
    ) -> Self {
        FunctionConfig {
            name: name.into(),
            runtime,
            handler: handler.into(),
            code_dir: code_dir.into(),
            layers: Vec::new(),
            timeout: Duration::from_secs(3),
            memory_mb: 128,
            environment: BTreeMap::new(),
            reserved_concurrency: None,
            architecture: "x86_64".into(),
            version: "$LATEST".into(),
            ephemeral_storage_mb: 512,
        }
    }

    /// The key the function is known by in a [`CloudConfig`]: its name for
    /// `$LATEST`, `name:version` for a published version.
    pub fn key(&self) -> String {
        if self.version.is_empty() || self.version == "$LATEST" {
            self.name.clone()
        } else {
            format!("{}:{}", self.name, self.version)
        }
    }
}

/// A Lambda alias: a name that routes each invocation to one of its
/// targets, chosen at random by weight (Lambda's weighted alias routing).
#[derive(Debug, Clone, PartialEq)]
pub struct AliasConfig {
    /// The alias as callers name it: `function:alias`, e.g. `greeter-dev-Hello:live`.
    pub name: String,
    /// `(function key, weight)` pairs: keys as [`FunctionConfig::key`]
    /// gives them (`greeter-dev-Hello:3`), weights any non-negative numbers
    /// (they are normalised; `[("f:3", 0.9), ("f:4", 0.1)]` sends one call
    /// in ten to version 4).
    pub targets: Vec<(String, f64)>,
}

/// The kind of API a route belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKind {
    /// `AWS::ApiGateway::RestApi` (payload 1.0, 403 on no route).
    Rest,
    /// `AWS::ApiGatewayV2::Api` of protocol HTTP (404 on no route).
    Http,
}

/// The Lambda proxy payload format of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadVersion {
    /// Format 1.0 (REST APIs; HTTP APIs that ask for it).
    V1,
    /// Format 2.0 (HTTP APIs' default).
    V2,
}

impl PayloadVersion {
    /// The payload format API Gateway uses for a Lambda proxy integration of
    /// an API of `kind` whose `payloadFormatVersion` is `format`: REST APIs
    /// always send 1.0; HTTP APIs send 1.0 when asked to, 2.0 otherwise.
    pub fn for_api(kind: ApiKind, format: Option<&str>) -> PayloadVersion {
        match (kind, format) {
            (ApiKind::Rest, _) | (ApiKind::Http, Some("1.0")) => PayloadVersion::V1,
            (ApiKind::Http, _) => PayloadVersion::V2,
        }
    }
}

/// The methods an OpenAPI operation may be declared under (lower case).
const BODY_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "delete",
    "patch",
    "head",
    "options",
    "x-amazon-apigateway-any-method",
    "any",
];

/// The routes of an OpenAPI/Swagger API definition (`Body` of an
/// `AWS::ApiGateway::RestApi` or `AWS::ApiGatewayV2::Api`): one per
/// operation under `paths` with an `aws_proxy`
/// `x-amazon-apigateway-integration`.
///
/// - `function_of` maps the integration's `uri` (as written: a string or an
///   intrinsic) to the function the route invokes (see
///   [`function_name_of_arn`] and [`integration_arn`]), or `None` when it
///   is not one this cloud runs;
/// - `payload_of` maps its `payloadFormatVersion` (absent: `None`) to the
///   payload format (see [`PayloadVersion::for_api`]).
///
/// Operations that are skipped (another integration type, or a function
/// `function_of` does not know) add a line to `warnings`, prefixed
/// `API {api}: `. `x-amazon-apigateway-any-method` and `any` give an ANY
/// route (`method: None`).
pub fn routes_from_body(
    api: &str,
    body: &serde_json::Value,
    function_of: &dyn Fn(&serde_json::Value) -> Option<String>,
    payload_of: &dyn Fn(Option<&serde_json::Value>) -> PayloadVersion,
    warnings: &mut Vec<String>,
) -> Vec<Route> {
    use serde_json::Value;
    let mut routes = Vec::new();
    let Some(paths) = body.get("paths").and_then(Value::as_object) else {
        return routes;
    };
    for (path, ops) in paths {
        let Some(ops) = ops.as_object() else { continue };
        for (method, op) in ops {
            let lower = method.to_ascii_lowercase();
            if !BODY_METHODS.contains(&lower.as_str()) {
                continue;
            }
            let Some(integration) = op.get("x-amazon-apigateway-integration") else {
                continue;
            };
            let ty = integration
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !ty.eq_ignore_ascii_case("aws_proxy") {
                warnings.push(format!(
                    "API {api}: {} {path} has a `{ty}` integration, which is not served locally",
                    method.to_ascii_uppercase()
                ));
                continue;
            }
            let uri = integration.get("uri").unwrap_or(&Value::Null);
            let Some(function) = function_of(uri) else {
                let uri = match uri {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                warnings.push(format!(
                    "API {api}: {} {path}: integration {uri} does not invoke a function of this stack",
                    method.to_ascii_uppercase()
                ));
                continue;
            };
            let any = lower == "x-amazon-apigateway-any-method" || lower == "any";
            routes.push(Route {
                method: (!any).then(|| lower.to_ascii_uppercase()),
                path: path.clone(),
                function,
                payload: payload_of(integration.get("payloadFormatVersion")),
            });
        }
    }
    routes
}

/// The function ARN inside an API Gateway integration URI
/// (`arn:…:apigateway:…:lambda:path/2015-03-31/functions/<function ARN>/invocations`),
/// or `uri` itself when it is not one.
pub fn integration_arn(uri: &str) -> &str {
    match uri.split_once("/functions/") {
        Some((_, rest)) => rest.strip_suffix("/invocations").unwrap_or(rest),
        None => uri,
    }
}

/// Splits what Lambda accepts as a function name into name and qualifier:
/// `name`, `name:qualifier`, a full ARN
/// (`arn:aws:lambda:REGION:ACCOUNT:function:name[:qualifier]`) or a partial
/// one (`ACCOUNT:function:name[:qualifier]`). The qualifier (version,
/// alias or `$LATEST`) is `None` when absent; `name:` gives `Some("")`.
pub fn function_name_of_arn(name_or_arn: &str) -> (&str, Option<&str>) {
    // A plain name (the gateway's usual target) without a substring search.
    if !name_or_arn.contains(':') {
        return (name_or_arn, None);
    }
    let rest = match name_or_arn.split_once(":function:") {
        Some((_, r)) => r,
        None => name_or_arn,
    };
    match rest.split_once(':') {
        Some((name, q)) => (name, Some(q)),
        None => (rest, None),
    }
}

/// One route: method + path template → function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Upper-case method, or `None` for ANY.
    pub method: Option<String>,
    /// The path template (`/items/{id}`, `/{proxy+}`), or `$default`.
    pub path: String,
    /// The function invoked: a function key, `name:qualifier`, or an alias name.
    pub function: String,
    /// The payload format.
    pub payload: PayloadVersion,
}

/// One API: its kind, stage and routes.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The API's logical ID.
    pub name: String,
    /// REST or HTTP.
    pub kind: ApiKind,
    /// The stage name put into `requestContext.stage`.
    pub stage: String,
    /// The stage's variables (`stageVariables` of the events).
    pub stage_variables: BTreeMap<String, String>,
    /// Its routes.
    pub routes: Vec<Route>,
    /// Media types sent to functions base64-encoded (REST `binaryMediaTypes`).
    pub binary_media_types: Vec<String>,
}

/// Everything the local cloud runs.
#[derive(Debug, Clone, Default)]
pub struct CloudConfig {
    /// The functions (each key, see [`FunctionConfig::key`], at most once).
    pub functions: Vec<FunctionConfig>,
    /// Aliases; routes and the Invoke API may name them like functions.
    pub aliases: Vec<AliasConfig>,
    /// The APIs.
    pub apis: Vec<ApiConfig>,
    /// The region (`AWS_REGION`).
    pub region: String,
}

/// Tunables of the instance manager.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeOptions {
    /// The most instances per function when it has no reserved concurrency
    /// (besides the account's pool they all share, [`account_pool`]).
    pub default_concurrency: u32,
    /// How long an invocation waits for a concurrency slot (instances busy
    /// or starting) before it is throttled (`TooManyRequestsException`).
    pub queue_timeout: Duration,
    /// How long an idle instance is kept warm before it is stopped.
    pub idle_timeout: Duration,
    /// How long a new instance may take to ask for its first event.
    pub init_timeout: Duration,
    /// Where our bootstraps (the Java one compiled) and instances' temp dirs go.
    pub runtime_dir: PathBuf,
    /// The `python3` to run Python functions with.
    pub python: PathBuf,
    /// The `node` to run Node functions with.
    pub node: PathBuf,
    /// The `ruby` to run Ruby functions with.
    pub ruby: PathBuf,
    /// The `java` to run Java functions with; the bootstrap is compiled
    /// with the `javac` of the same installation (else the one on `PATH`).
    pub java: PathBuf,
    /// The account ID used in ARNs.
    pub account_id: String,
    /// How instances are confined (bubblewrap when it runs here; see
    /// `lockgate-sandbox`). Detected once per process from
    /// `LOCKGATE_SANDBOX` by [`RuntimeOptions::default`].
    pub sandbox: lockgate_sandbox::Sandbox,
    /// Directories no instance may see even where a visible directory
    /// holds them (the server's data directory).
    pub private_dirs: Vec<PathBuf>,
    /// Whether functions run their code in place (`lockgate local`), where
    /// a server's state may sit inside it: every `.lockgate` found under a
    /// function's code and layers when its version is made is hidden from
    /// it too. Off for deployed code, which never holds one.
    pub hide_state_in_code: bool,
    /// Whether each sandboxed function keeps the next instance's sandbox
    /// made ahead (a standby: bubblewrap's namespaces and mounts ready, the
    /// runtime not started), so that a cold start does not wait for it.
    /// On by default (`LOCKGATE_STANDBY=off` turns it off for
    /// [`RuntimeOptions::default`]); it costs three idle processes per
    /// function version.
    pub standby: bool,
}

/// The AWS account ID every ARN, event and request context names: one
/// account per Lockgate server, as the AWS documentation's examples use.
pub const ACCOUNT_ID: &str = "123456789012";

/// The region a stage runs in when none is given (`AWS_REGION` unset).
pub const DEFAULT_REGION: &str = "us-east-1";

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            default_concurrency: account_pool_size(),
            queue_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(300),
            init_timeout: Duration::from_secs(10),
            runtime_dir: std::env::temp_dir()
                .join(format!("lockgate-runtime-{}", std::process::id())),
            python: PathBuf::from("python3"),
            node: PathBuf::from("node"),
            ruby: PathBuf::from("ruby"),
            java: PathBuf::from("java"),
            account_id: ACCOUNT_ID.into(),
            sandbox: default_sandbox(),
            private_dirs: Vec::new(),
            hide_state_in_code: false,
            standby: std::env::var_os("LOCKGATE_STANDBY").is_none_or(|v| v != "off"),
        }
    }
}

/// Lambda's default account concurrency: every function without reserved
/// concurrency shares this many instances.
const LAMBDA_ACCOUNT_CONCURRENCY: u32 = 1000;

/// The size of the account's concurrency pool on this machine: as many
/// 128 MB instances (Lambda's smallest) as its memory holds, at most
/// Lambda's default account limit (1000), at least 10.
pub fn account_pool_size() -> u32 {
    static SIZE: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        let total_mb = std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|m| {
                let line = m.lines().find(|l| l.starts_with("MemTotal:"))?;
                line.split_whitespace().nth(1)?.parse::<u64>().ok()
            })
            .map(|kb| kb / 1024)
            .unwrap_or(1280);
        u32::try_from(total_mb / 128)
            .unwrap_or(u32::MAX)
            .clamp(10, LAMBDA_ACCOUNT_CONCURRENCY)
    })
}

/// The account's concurrency pool, shared by every function without
/// reserved concurrency in this process (all stages alike, as one AWS
/// account's functions share one pool).
pub fn account_pool() -> std::sync::Arc<crate::slots::Slots> {
    static POOL: std::sync::OnceLock<std::sync::Arc<crate::slots::Slots>> =
        std::sync::OnceLock::new();
    POOL.get_or_init(|| crate::slots::Slots::new(account_pool_size() as usize))
        .clone()
}

/// The sandbox `LOCKGATE_SANDBOX` asks for (`auto` when unset); where it
/// is `required` and unavailable, none, with the reason as its note (the
/// server refuses to start in that case before it builds options).
pub fn default_sandbox() -> lockgate_sandbox::Sandbox {
    let mode = lockgate_sandbox::SandboxMode::from_env().unwrap_or_default();
    lockgate_sandbox::Sandbox::detect(mode).unwrap_or_else(|e| lockgate_sandbox::Sandbox::off(&e.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn java_runtimes_run_and_dotnet_does_not() {
        for id in ["java8", "java8.al2", "java11", "java17", "java21"] {
            assert_eq!(
                Runtime::from_identifier(id),
                Some(Runtime::Java { name: id.into() })
            );
        }
        assert!(matches!(
            Runtime::from_identifier("dotnet8"),
            Some(Runtime::Unavailable { .. })
        ));
        assert_eq!(Runtime::from_identifier("java99"), None);
    }

    #[test]
    fn names_and_arns_split_like_lambda() {
        assert_eq!(function_name_of_arn("f"), ("f", None));
        assert_eq!(function_name_of_arn("f:live"), ("f", Some("live")));
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:eu-west-1:123456789012:function:f"),
            ("f", None)
        );
        assert_eq!(
            function_name_of_arn("arn:aws:lambda:eu-west-1:123456789012:function:f:3"),
            ("f", Some("3"))
        );
        assert_eq!(function_name_of_arn("123456789012:function:f"), ("f", None));
        assert_eq!(
            integration_arn(
                "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:1:function:f/invocations"
            ),
            "arn:aws:lambda:eu-west-1:1:function:f"
        );
        assert_eq!(integration_arn("f"), "f");
    }

    #[test]
    fn body_routes_keep_proxy_integrations() {
        let body = json!({"paths": {
            "/a": {
                "get": {"x-amazon-apigateway-integration": {"type": "AWS_PROXY", "uri": "A"}},
                "parameters": [],
                "post": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": "Nope"}}
            },
            "/{proxy+}": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration":
                {"type": "aws_proxy", "uri": "A", "payloadFormatVersion": "1.0"}}},
            "/mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}
        }});
        let mut warnings = Vec::new();
        let routes = routes_from_body(
            "Api",
            &body,
            &|uri| (uri.as_str() == Some("A")).then(|| "Fn".to_string()),
            &|v| PayloadVersion::for_api(ApiKind::Http, v.and_then(Value::as_str)),
            &mut warnings,
        );
        assert_eq!(
            routes,
            vec![
                Route {
                    method: Some("GET".into()),
                    path: "/a".into(),
                    function: "Fn".into(),
                    payload: PayloadVersion::V2,
                },
                Route {
                    method: None,
                    path: "/{proxy+}".into(),
                    function: "Fn".into(),
                    payload: PayloadVersion::V1,
                },
            ]
        );
        assert_eq!(
            warnings,
            vec![
                "API Api: POST /a: integration Nope does not invoke a function of this stack",
                "API Api: GET /mock has a `mock` integration, which is not served locally",
            ]
        );
        assert_eq!(
            PayloadVersion::for_api(ApiKind::Rest, Some("2.0")),
            PayloadVersion::V1
        );
    }
}
