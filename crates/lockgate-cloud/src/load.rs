//! Loading a template file into the local cloud's configuration: parse,
//! package local code paths, apply the SAM transform, read the result.
//! This is the only module that knows about the template crates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::CloudError;
use crate::template::{self, FromTemplate, TemplateContext};

/// What to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The template file.
    pub template: PathBuf,
    /// The region.
    pub region: String,
    /// `--parameter-overrides`.
    pub parameters: BTreeMap<String, String>,
    /// Where inline code is written (a fresh temp dir by default).
    pub inline_dir: PathBuf,
}

impl LoadOptions {
    /// Options for a template with the default region and no overrides.
    pub fn new(template: impl Into<PathBuf>) -> LoadOptions {
        LoadOptions {
            template: template.into(),
            region: "us-east-1".into(),
            parameters: BTreeMap::new(),
            inline_dir: std::env::temp_dir()
                .join(format!("lockgate-inline-{}", std::process::id())),
        }
    }
}

/// The default template of a directory: `template.yaml`, then `template.yml`, then `template.json`.
pub fn default_template(dir: &Path) -> Option<PathBuf> {
    ["template.yaml", "template.yml", "template.json"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Reads, packages and transforms a template, then builds the configuration.
pub fn load_template(opts: &LoadOptions) -> Result<(FromTemplate, Value), CloudError> {
    let text = std::fs::read_to_string(&opts.template).map_err(|source| CloudError::Io {
        path: opts.template.clone(),
        source,
    })?;
    let name = opts.template.display().to_string();
    let doc = lockgate_template::parse(&name, &text)
        .map_err(|e| CloudError::Template(format!("{name}: {e}")))?;
    let mut value = doc.to_json();
    lockgate_template::package::package_local_paths(
        &mut value,
        lockgate_template::package::local_location,
    );
    let transformed = if lockgate_sam::wants_sam_transform(&value) {
        let mut parameter_values = Map::new();
        for (k, v) in &opts.parameters {
            parameter_values.insert(k.clone(), Value::String(v.clone()));
        }
        let topts = lockgate_sam::TransformOptions {
            region: opts.region.clone(),
            parameter_values,
            ..Default::default()
        };
        lockgate_sam::transform(&value, &topts).map_err(|e| CloudError::Transform(e.to_string()))?
    } else {
        value
    };
    let base_dir = opts
        .template
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    let base_dir = std::fs::canonicalize(&base_dir).unwrap_or(base_dir);
    let ctx = TemplateContext {
        parameters: opts.parameters.clone(),
        region: opts.region.clone(),
        base_dir,
        inline_dir: opts.inline_dir.clone(),
    };
    let out = template::cloud_config(&transformed, &ctx)?;
    Ok((out, transformed))
}

#[cfg(test)]
mod tests {
    #[test]
    fn local_bucket_matches_the_packager() {
        assert_eq!(
            crate::template::LOCAL_BUCKET,
            lockgate_template::package::LOCAL_BUCKET
        );
    }
}
