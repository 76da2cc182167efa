//! One provider per resource type over the local cloud and the store.
//!
//! A provider validates a resource's resolved properties, does what the
//! resource means locally (extract code, publish a version, point an alias,
//! write an SSM parameter) and answers its physical ID and attributes, so
//! `Ref` and `Fn::GetAtt` give what CloudFormation would. Routing, instances
//! and schedules are not started here: once a deployment commits, the
//! stage's runtime is rebuilt from the committed resources
//! ([`crate::realize`]), so a failed or interrupted deployment never serves
//! half of a change.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use lockgate_engine::apply::{BoxFuture, Physical, Provider, ProviderError, Providers};
use lockgate_store::{
    AliasName, AliasRouting, AliasSpec, ArtifactStore, Digest, FunctionName, NewFunctionVersion,
    NewParameterValue, ParameterName, PutParameter, StageRef, Store,
};
use serde_json::{Map, Value, json};

/// The S3 bucket name that marks code held in the artifact store.
pub const ARTIFACT_BUCKET: &str = "lockgate-artifacts";

/// The resource types handled locally, with how; any other type is
/// recorded only (and reported as "not emulated locally"). The types with
/// `K::Record` here are kept and shown for later work (IAM policies, alarms,
/// CodeDeploy) without a local effect of their own.
const TYPES: &[(&str, K)] = &[
    ("AWS::Lambda::Function", K::Function),
    ("AWS::Lambda::Version", K::Version),
    ("AWS::Lambda::Alias", K::Alias),
    ("AWS::Lambda::Permission", K::Record),
    ("AWS::Lambda::LayerVersion", K::Layer),
    ("AWS::Lambda::LayerVersionPermission", K::Record),
    ("AWS::ApiGateway::RestApi", K::RestApi),
    ("AWS::ApiGateway::Deployment", K::RandomId),
    ("AWS::ApiGateway::Stage", K::NamedBy("StageName")),
    ("AWS::ApiGatewayV2::Api", K::HttpApi),
    ("AWS::ApiGatewayV2::Route", K::RandomId),
    ("AWS::ApiGatewayV2::Integration", K::RandomId),
    ("AWS::ApiGatewayV2::Stage", K::NamedBy("StageName")),
    ("AWS::IAM::Role", K::Role),
    ("AWS::IAM::Policy", K::Record),
    ("AWS::IAM::ManagedPolicy", K::Record),
    ("AWS::SSM::Parameter", K::Parameter),
    ("AWS::Events::Rule", K::Rule),
    ("AWS::Logs::LogGroup", K::LogGroup),
    ("AWS::CloudWatch::Alarm", K::Record),
    ("AWS::CodeDeploy::Application", K::Record),
    ("AWS::CodeDeploy::DeploymentGroup", K::Record),
];

/// Whether a resource type is emulated locally (not just recorded).
pub fn is_emulated(resource_type: &str) -> bool {
    TYPES.iter().any(|(t, _)| *t == resource_type)
}

/// What providers of one stage share.
pub struct StageCtx {
    /// The stage.
    pub stage: StageRef,
    /// What physical names start with: `{stack}-{stage}`.
    pub prefix: String,
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`.
    pub account: String,
    /// The state store.
    pub store: Arc<dyn Store>,
    /// Code blobs.
    pub artifacts: Arc<ArtifactStore>,
    /// Where code is unpacked: `<code_root>/<digest>/`.
    pub code_root: PathBuf,
    /// Who deploys (for the audit log).
    pub actor: String,
    /// Function physical name → its current properties (for `Version`).
    pub functions: Mutex<HashMap<String, Map<String, Value>>>,
}

impl StageCtx {
    /// `{stack}-{stage}-{logical id}` (the app's own stack is named as the
    /// app: `greeter-dev-HelloFunction`), cut to `max` characters.
    pub fn physical_name(&self, logical_id: &str, max: usize) -> String {
        let s = format!("{}-{}", self.prefix, logical_id);
        if s.len() <= max {
            return s;
        }
        // Cut, with a hash of the whole so two long names never collide.
        use sha2::Digest as _;
        let hash = hex::encode(sha2::Sha256::digest(s.as_bytes()));
        let mut cut = max.saturating_sub(11);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}-{}", &s[..cut], &hash[..10])
    }

    fn arn(&self, service: &str, rest: &str) -> String {
        format!("arn:aws:{service}:{}:{}:{rest}", self.region, self.account)
    }

    /// The ARN of a function (optionally qualified).
    pub fn function_arn(&self, name: &str) -> String {
        self.arn("lambda", &format!("function:{name}"))
    }
}

fn err(msg: impl Into<String>) -> ProviderError {
    ProviderError(msg.into())
}

fn str_prop<'a>(p: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    p.get(key).and_then(Value::as_str)
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A short random ID like API Gateway's (10 lowercase letters and digits).
pub fn random_id() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// The function name inside a function ARN or name (`name`, `name:qual`,
/// ARN), owned.
pub fn function_name_of(name_or_arn: &str) -> (String, Option<String>) {
    let (name, qualifier) = lockgate_cloud::config::function_name_of_arn(name_or_arn);
    (name.to_string(), qualifier.map(str::to_string))
}

/// The code a function or layer property points at: an artifact digest.
pub fn code_digest(code: Option<&Value>) -> Result<Option<Digest>, ProviderError> {
    let Some(code) = code else { return Ok(None) };
    if code.get("ZipFile").is_some() {
        return Ok(None);
    }
    let bucket = code.get("S3Bucket").and_then(Value::as_str).unwrap_or("");
    let key = code.get("S3Key").and_then(Value::as_str).unwrap_or("");
    if bucket != ARTIFACT_BUCKET {
        return Err(err(format!(
            "code at s3://{bucket}/{key} cannot be fetched locally: expected a local CodeUri \
             (a directory beside the template)"
        )));
    }
    key.parse::<Digest>()
        .map(Some)
        .map_err(|e| err(format!("bad artifact key `{key}`: {e}")))
}

/// Every provider of a stage, by type, with a recording fallback.
pub fn providers(ctx: Arc<StageCtx>) -> Providers {
    let record: Arc<dyn Provider> = Arc::new(Kind {
        ctx: ctx.clone(),
        kind: K::Record,
    });
    let mut p = Providers::new(Some(record));
    for (ty, kind) in TYPES {
        p.insert(
            ty,
            Arc::new(Kind {
                ctx: ctx.clone(),
                kind: *kind,
            }),
        );
    }
    p
}

#[derive(Clone, Copy, Debug)]
enum K {
    Record,
    Function,
    Version,
    Alias,
    Layer,
    RestApi,
    HttpApi,
    RandomId,
    NamedBy(&'static str),
    Role,
    Parameter,
    Rule,
    LogGroup,
}

struct Kind {
    ctx: Arc<StageCtx>,
    kind: K,
}

impl Provider for Kind {
    fn create<'a>(
        &'a self,
        logical_id: &'a str,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move { self.put(logical_id, None, properties).await })
    }

    fn update<'a>(
        &'a self,
        logical_id: &'a str,
        current: &'a Physical,
        _old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move { self.put(logical_id, Some(current), new).await })
    }

    fn delete<'a>(
        &'a self,
        _logical_id: &'a str,
        current: &'a Physical,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move { self.remove(current, properties).await })
    }
}

impl Kind {
    async fn put(
        &self,
        id: &str,
        current: Option<&Physical>,
        p: &Map<String, Value>,
    ) -> Result<Physical, ProviderError> {
        let ctx = &self.ctx;
        let keep_or = |f: &dyn Fn() -> String| -> String {
            current.map(|c| c.physical_id.clone()).unwrap_or_else(f)
        };
        match self.kind {
            K::Record => Ok(Physical {
                physical_id: keep_or(&|| ctx.physical_name(id, 128)),
                attributes: Map::new(),
            }),
            K::RandomId => Ok(Physical {
                physical_id: keep_or(&random_id),
                attributes: Map::new(),
            }),
            K::NamedBy(key) => Ok(Physical {
                physical_id: str_prop(p, key)
                    .map(str::to_string)
                    .unwrap_or_else(|| keep_or(&random_id)),
                attributes: Map::new(),
            }),
            K::Function => self.function(id, p).await,
            K::Version => self.version(p).await,
            K::Alias => self.alias(p).await,
            K::Layer => {
                let digest = code_digest(p.get("Content"))?;
                if let Some(d) = digest {
                    self.extract(&d).await?;
                }
                let name = str_prop(p, "LayerName")
                    .map(str::to_string)
                    .unwrap_or_else(|| ctx.physical_name(id, 140));
                let arn = ctx.arn("lambda", &format!("layer:{name}:1"));
                Ok(Physical {
                    physical_id: arn.clone(),
                    attributes: json!({"LayerVersionArn": arn})
                        .as_object()
                        .cloned()
                        .unwrap_or_default(),
                })
            }
            K::RestApi => {
                if let Some(body) = p.get("Body")
                    && !body.is_object()
                {
                    return Err(err(
                        "Body: expected an OpenAPI (swagger) document as a mapping",
                    ));
                }
                let api = keep_or(&random_id);
                Ok(Physical {
                    attributes: obj(json!({
                        "RootResourceId": current
                            .and_then(|c| c.attributes.get("RootResourceId").cloned())
                            .unwrap_or_else(|| Value::String(random_id())),
                        "RestApiId": api,
                    })),
                    physical_id: api,
                })
            }
            K::HttpApi => {
                if let Some(body) = p.get("Body")
                    && !body.is_object()
                {
                    return Err(err("Body: expected an OpenAPI document as a mapping"));
                }
                let api = keep_or(&random_id);
                Ok(Physical {
                    attributes: obj(json!({
                        "ApiId": api,
                        "ApiEndpoint": format!("https://{api}.execute-api.{}.amazonaws.com", ctx.region),
                    })),
                    physical_id: api,
                })
            }
            K::Role => {
                let name = str_prop(p, "RoleName")
                    .map(str::to_string)
                    .unwrap_or_else(|| keep_or(&|| ctx.physical_name(id, 64)));
                Ok(Physical {
                    attributes: obj(json!({
                        "Arn": format!("arn:aws:iam::{}:role/{name}", ctx.account),
                        "RoleId": current
                            .and_then(|c| c.attributes.get("RoleId").cloned())
                            .unwrap_or_else(|| Value::String(format!("AROA{}", random_id().to_uppercase()))),
                    })),
                    physical_id: name,
                })
            }
            K::Parameter => self.parameter(id, current, p).await,
            K::Rule => {
                if let Some(expr) = str_prop(p, "ScheduleExpression") {
                    crate::schedule::Schedule::parse(expr)
                        .map_err(|e| err(format!("ScheduleExpression: {e}")))?;
                }
                let name = str_prop(p, "Name")
                    .map(str::to_string)
                    .unwrap_or_else(|| keep_or(&|| ctx.physical_name(id, 64)));
                Ok(Physical {
                    attributes: obj(json!({"Arn": ctx.arn("events", &format!("rule/{name}"))})),
                    physical_id: name,
                })
            }
            K::LogGroup => {
                let name = str_prop(p, "LogGroupName")
                    .map(str::to_string)
                    .unwrap_or_else(|| keep_or(&|| ctx.physical_name(id, 512)));
                Ok(Physical {
                    attributes: obj(
                        json!({"Arn": ctx.arn("logs", &format!("log-group:{name}:*"))}),
                    ),
                    physical_id: name,
                })
            }
        }
    }

    async fn remove(
        &self,
        current: &Physical,
        p: &Map<String, Value>,
    ) -> Result<(), ProviderError> {
        let ctx = &self.ctx;
        match self.kind {
            K::Function => {
                if let Ok(mut f) = ctx.functions.lock() {
                    f.remove(&current.physical_id);
                }
                Ok(())
            }
            K::Alias => {
                let (function, _) = function_name_of(str_prop(p, "FunctionName").unwrap_or(""));
                let (Ok(function), Ok(name)) = (
                    FunctionName::new(function),
                    AliasName::new(str_prop(p, "Name").unwrap_or("")),
                ) else {
                    return Ok(());
                };
                ctx.store
                    .delete_alias(&ctx.stage, &function, &name)
                    .await
                    .map(|_| ())
                    .map_err(|e| err(e.to_string()))
            }
            K::Parameter => {
                let Ok(name) = ParameterName::new(current.physical_id.clone()) else {
                    return Ok(());
                };
                ctx.store
                    .delete_parameter(&ctx.actor, &name)
                    .await
                    .map(|_| ())
                    .map_err(|e| err(e.to_string()))
            }
            // Versions are kept (SAM sets `DeletionPolicy: Retain`); the rest
            // lives only in the committed state.
            _ => Ok(()),
        }
    }

    async fn extract(&self, digest: &Digest) -> Result<PathBuf, ProviderError> {
        let dir = self.ctx.code_root.join(digest.to_string());
        if dir.is_dir() {
            return Ok(dir);
        }
        let artifacts = self.ctx.artifacts.clone();
        let d = *digest;
        let target = dir.clone();
        tokio::task::spawn_blocking(move || {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| err(format!("cannot create {}: {e}", parent.display())))?;
            }
            let tmp = target.with_extension(format!("tmp-{}", random_id()));
            artifacts
                .extract_dir(&d, &tmp)
                .map_err(|e| err(format!("cannot unpack code {d}: {e}")))?;
            match std::fs::rename(&tmp, &target) {
                Ok(()) => Ok(()),
                // Another deploy unpacked the same code first.
                Err(_) if target.is_dir() => {
                    let _ = std::fs::remove_dir_all(&tmp);
                    Ok(())
                }
                Err(e) => Err(err(format!("cannot place code {d}: {e}"))),
            }
        })
        .await
        .map_err(|e| err(format!("code unpacking stopped: {e}")))??;
        Ok(dir)
    }

    async fn function(&self, id: &str, p: &Map<String, Value>) -> Result<Physical, ProviderError> {
        let ctx = &self.ctx;
        let runtime = str_prop(p, "Runtime").unwrap_or("");
        let image = str_prop(p, "PackageType") == Some("Image");
        if image {
            return Err(err(
                "PackageType Image: container images cannot run locally without Docker; \
                 use a zip runtime (python3.x, nodejsNN.x, provided.al2023)",
            ));
        }
        if lockgate_cloud::Runtime::from_identifier(runtime).is_none() {
            return Err(err(format!(
                "Runtime `{runtime}` cannot run locally: expected python3.x, nodejsNN.x, \
                 provided, provided.al2 or provided.al2023"
            )));
        }
        if str_prop(p, "Handler").is_none() && !runtime.starts_with("provided") {
            return Err(err("Handler: required for this runtime"));
        }
        match code_digest(p.get("Code"))? {
            Some(d) => {
                self.extract(&d).await?;
            }
            None if p.get("Code").and_then(|c| c.get("ZipFile")).is_some() => {}
            None => return Err(err("Code: expected S3Bucket/S3Key or ZipFile")),
        }
        let name = str_prop(p, "FunctionName")
            .map(str::to_string)
            .unwrap_or_else(|| ctx.physical_name(id, 64));
        if let Ok(mut f) = ctx.functions.lock() {
            f.insert(name.clone(), p.clone());
        }
        Ok(Physical {
            attributes: obj(json!({"Arn": ctx.function_arn(&name)})),
            physical_id: name,
        })
    }

    async fn version(&self, p: &Map<String, Value>) -> Result<Physical, ProviderError> {
        let ctx = &self.ctx;
        let (function, _) = function_name_of(
            str_prop(p, "FunctionName").ok_or_else(|| err("FunctionName: required"))?,
        );
        let config = ctx
            .functions
            .lock()
            .ok()
            .and_then(|f| f.get(&function).cloned())
            .ok_or_else(|| {
                err(format!(
                    "FunctionName: no function `{function}` in this stage"
                ))
            })?;
        let code = match code_digest(config.get("Code"))? {
            Some(d) => d,
            None => Digest::of(
                serde_json::to_string(&config.get("Code"))
                    .unwrap_or_default()
                    .as_bytes(),
            ),
        };
        let fname = FunctionName::new(function.clone()).map_err(|e| err(e.to_string()))?;
        let v = ctx
            .store
            .publish_version(
                &ctx.stage,
                NewFunctionVersion {
                    function: fname,
                    code,
                    config: Value::Object(config),
                    description: str_prop(p, "Description").map(str::to_string),
                },
            )
            .await
            .map_err(|e| err(e.to_string()))?;
        let arn = ctx.function_arn(&format!("{function}:{}", v.version));
        Ok(Physical {
            attributes: obj(json!({"Version": v.version.to_string(), "FunctionArn": arn})),
            physical_id: arn,
        })
    }

    async fn alias(&self, p: &Map<String, Value>) -> Result<Physical, ProviderError> {
        let ctx = &self.ctx;
        let (function, _) = function_name_of(
            str_prop(p, "FunctionName").ok_or_else(|| err("FunctionName: required"))?,
        );
        let name = str_prop(p, "Name").ok_or_else(|| err("Name: required"))?;
        let version_text = p
            .get("FunctionVersion")
            .and_then(scalar)
            .ok_or_else(|| err("FunctionVersion: required"))?;
        if version_text == "$LATEST" {
            let arn = ctx.function_arn(&format!("{function}:{name}"));
            return Ok(Physical {
                physical_id: arn,
                attributes: Map::new(),
            });
        }
        let version: u64 = version_text.parse().map_err(|_| {
            err(format!(
                "FunctionVersion: expected a published version number, got `{version_text}`"
            ))
        })?;
        let mut routing = AliasRouting::default();
        if let Some(Value::Array(weights)) = p
            .get("RoutingConfig")
            .and_then(|r| r.get("AdditionalVersionWeights"))
        {
            for w in weights {
                let v = w.get("FunctionVersion").and_then(scalar);
                let wt = w.get("FunctionWeight").and_then(Value::as_f64);
                match (v.and_then(|v| v.parse::<u64>().ok()), wt) {
                    (Some(v), Some(wt)) => {
                        routing.additional_version_weights.insert(v, wt);
                    }
                    _ => {
                        return Err(err("RoutingConfig.AdditionalVersionWeights: expected \
                             [{FunctionVersion, FunctionWeight}]"));
                    }
                }
            }
        }
        let spec = AliasSpec {
            function: FunctionName::new(function.clone()).map_err(|e| err(e.to_string()))?,
            name: AliasName::new(name).map_err(|e| err(e.to_string()))?,
            version,
            routing,
            description: str_prop(p, "Description").map(str::to_string),
        };
        ctx.store
            .put_alias(&ctx.stage, spec)
            .await
            .map_err(|e| err(e.to_string()))?;
        Ok(Physical {
            physical_id: ctx.function_arn(&format!("{function}:{name}")),
            attributes: Map::new(),
        })
    }

    async fn parameter(
        &self,
        id: &str,
        current: Option<&Physical>,
        p: &Map<String, Value>,
    ) -> Result<Physical, ProviderError> {
        let ctx = &self.ctx;
        let name = str_prop(p, "Name").map(str::to_string).unwrap_or_else(|| {
            current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| format!("CFN-{id}-{}", random_id()))
        });
        let ty = str_prop(p, "Type").unwrap_or("String");
        let value = p
            .get("Value")
            .and_then(scalar)
            .ok_or_else(|| err("Value: required, a string"))?;
        let text = value.clone();
        let value = match ty {
            "String" => NewParameterValue::String(value.clone()),
            "StringList" => {
                NewParameterValue::StringList(value.split(',').map(str::to_string).collect())
            }
            other => {
                return Err(err(format!(
                    "Type: expected String or StringList (CloudFormation cannot create `{other}`)"
                )));
            }
        };
        let pname = ParameterName::new(name.clone()).map_err(|e| err(e.to_string()))?;
        ctx.store
            .put_parameter(PutParameter {
                name: pname,
                value,
                description: str_prop(p, "Description").map(str::to_string),
                overwrite: current.is_some(),
                actor: ctx.actor.clone(),
            })
            .await
            .map_err(|e| err(e.to_string()))?;
        Ok(Physical {
            attributes: obj(json!({"Type": ty, "Value": text})),
            physical_id: name,
        })
    }
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
