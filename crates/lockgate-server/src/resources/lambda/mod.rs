//! AWS Lambda: functions, versions, aliases, permissions, layers and
//! event source mappings.

mod alias;
mod event_source_mapping;
mod function;
mod layer_version;
mod layer_version_permission;
mod permission;
mod version;

use std::path::PathBuf;
use std::time::Duration;

use lockgate_cloud::{FunctionConfig, Runtime};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub use alias::Alias;
pub use event_source_mapping::EventSourceMapping;
pub use function::Function;
pub use layer_version::LayerVersion;
pub use layer_version_permission::LayerVersionPermission;
pub use permission::Permission;
pub use version::Version;

use super::StageBuilder;

/// The function name inside a function ARN or name (`name`, `name:qual`,
/// ARN), owned.
pub fn function_name_of(name_or_arn: &str) -> (String, Option<String>) {
    let (name, qualifier) = lockgate_cloud::config::function_name_of_arn(name_or_arn);
    (name.to_string(), qualifier.map(str::to_string))
}

/// What the local cloud runs for a function's (or a published version's)
/// properties `p`, under the name `name`.
fn function_config(
    logical_id: &str,
    name: &str,
    p: &Value,
    stage: &StageBuilder<'_>,
) -> Result<FunctionConfig, String> {
    let rt = p.get("Runtime").and_then(Value::as_str).unwrap_or("");
    let runtime = Runtime::from_identifier(rt)
        .ok_or_else(|| format!("{logical_id}: runtime `{rt}` cannot run locally"))?;
    let code = p.get("Code").unwrap_or(&Value::Null);
    let code_dir = match (code.get("ZipFile"), stage.inputs().code.dir(code)) {
        (Some(Value::String(src)), _) => {
            inline_code(stage.inputs().code.inline_root(), &runtime, src)
                .map_err(|e| format!("{logical_id}: cannot write inline code: {e}"))?
        }
        (_, Some(dir)) => dir,
        _ => return Err(format!("{logical_id}: no code this machine can run")),
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
        f.memory_mb = u32::try_from(m).unwrap_or(u32::MAX);
    }
    if let Some(c) = p.get("ReservedConcurrentExecutions").and_then(num) {
        f.reserved_concurrency = Some(u32::try_from(c).unwrap_or(u32::MAX));
    }
    if let Some(m) = p.pointer("/EphemeralStorage/Size").and_then(num) {
        f.ephemeral_storage_mb = u32::try_from(m).unwrap_or(u32::MAX);
    }
    if let Some(a) = p.pointer("/Architectures/0").and_then(Value::as_str) {
        f.architecture = a.to_string();
    }
    f.environment = stage.inputs().env.clone();
    // A function with a role calls Lockgate's AWS APIs as that role, whose
    // policies are then evaluated (crate::permissions).
    if let Some(role) = p.get("Role").and_then(Value::as_str) {
        let role = crate::permissions::role_name(role);
        f.environment.extend((stage.inputs().role_env)(role, name));
    }
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
        if let Some(dir) = l.as_str().and_then(|arn| stage.layer_dir(arn)) {
            f.layers.push(dir.clone());
        }
    }
    Ok(f)
}

fn num(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().map(|f| f as u64)),
        Value::String(s) => s
            .parse::<u64>()
            .ok()
            .or_else(|| s.parse::<f64>().ok().map(|f| f as u64)),
        _ => None,
    }
}

/// Writes `ZipFile` code as CloudFormation does (`index.py` / `index.js`),
/// once per content.
fn inline_code(root: &std::path::Path, runtime: &Runtime, src: &str) -> std::io::Result<PathBuf> {
    let hash = hex::encode(Sha256::digest(src.as_bytes()));
    let dir = root.join(format!("inline-{}", &hash[..16]));
    let file = match runtime {
        Runtime::Python { .. } => "index.py",
        Runtime::Node { .. } => "index.js",
        Runtime::Ruby { .. } => "index.rb",
        // CloudFormation takes inline code for Node and Python only; kept as given.
        Runtime::Java { .. } => "index",
        Runtime::Provided { .. } => "bootstrap",
        // Kept as given: it never runs here.
        Runtime::Unavailable { .. } => "index",
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
