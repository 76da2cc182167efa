//! `samconfig.toml`, read the way SAM CLI reads it: tables
//! `[<env>.<command>.parameters]`, with `parameter_overrides` as a string
//! (`"K=V K2='a b'"`) or a list of such strings.
//!
//! Lockgate looks a key up in `[<stage>.deploy.parameters]`, then
//! `[<stage>.global.parameters]`, then `[default.deploy.parameters]`, then
//! `[default.global.parameters]`: the first table that has the key wins
//! (SAM CLI reads one environment, chosen by `--config-env`; a stage is
//! Lockgate's environment, falling back to `default`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::client::ClientError;

/// A parsed samconfig file.
#[derive(Debug, Clone)]
pub struct SamConfig {
    path: PathBuf,
    table: toml::Table,
}

impl SamConfig {
    /// Reads and parses `path`.
    pub fn read(path: &Path) -> Result<SamConfig, ClientError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ClientError::Usage(format!("cannot read {}: {e}", path.display())))?;
        SamConfig::parse(path, &text)
    }

    /// Parses `text` (read from `path`, named in errors).
    pub fn parse(path: &Path, text: &str) -> Result<SamConfig, ClientError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            ClientError::Usage(format!("{} is not valid TOML: {e}", path.display()))
        })?;
        Ok(SamConfig {
            path: path.to_path_buf(),
            table,
        })
    }

    fn lookup(&self, env: &str, command: &str, key: &str) -> Option<&toml::Value> {
        self.table
            .get(env)?
            .get(command)?
            .get("parameters")?
            .get(key)
    }

    /// The first value of `key` in the stage's then the default environment.
    fn find(&self, stage: Option<&str>, key: &str) -> Option<(String, &toml::Value)> {
        let mut envs = Vec::new();
        if let Some(s) = stage {
            envs.push(s);
        }
        envs.push("default");
        for env in envs {
            for command in ["deploy", "global"] {
                if let Some(v) = self.lookup(env, command, key) {
                    return Some((format!("[{env}.{command}.parameters]"), v));
                }
            }
        }
        None
    }

    /// `stack_name` under `[default.deploy.parameters]` (or `[default.global.parameters]`).
    pub fn stack_name(&self) -> Option<String> {
        self.find(None, "stack_name")
            .and_then(|(_, v)| v.as_str().map(str::to_string))
            .filter(|s| !s.is_empty())
    }

    /// The stage's `parameter_overrides`, parsed into `KEY -> VALUE`.
    pub fn parameter_overrides(
        &self,
        stage: &str,
    ) -> Result<BTreeMap<String, String>, ClientError> {
        let Some((table, value)) = self.find(Some(stage), "parameter_overrides") else {
            return Ok(BTreeMap::new());
        };
        let items: Vec<String> = match value {
            toml::Value::String(s) => vec![s.clone()],
            toml::Value::Array(a) => {
                let mut out = Vec::new();
                for (i, item) in a.iter().enumerate() {
                    match item {
                        toml::Value::String(s) => out.push(s.clone()),
                        other => {
                            return Err(ClientError::Usage(format!(
                                "{}: {table} parameter_overrides[{i}] should be a string like \"Key=Value\", found {}",
                                self.path.display(),
                                other.type_str()
                            )));
                        }
                    }
                }
                out
            }
            other => {
                return Err(ClientError::Usage(format!(
                    "{}: {table} parameter_overrides should be a string (\"K=V K2=V2\") or a list of strings, found {}",
                    self.path.display(),
                    other.type_str()
                )));
            }
        };
        lockgate_template::Overrides::parse_args(&items)
            .map(|o| o.0.into_iter().collect())
            .map_err(|e| {
                ClientError::Usage(format!(
                    "{}: {table} parameter_overrides: {e}",
                    self.path.display()
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(text: &str) -> SamConfig {
        SamConfig::parse(Path::new("samconfig.toml"), text).unwrap()
    }

    #[test]
    fn stage_table_then_default() {
        let c = cfg(r#"
version = 0.1
[default.deploy.parameters]
stack_name = "todo"
parameter_overrides = "Stage=default Greeting='Hi there'"
[prod.deploy.parameters]
parameter_overrides = ["Stage=prod", "Greeting=Hello"]
"#);
        assert_eq!(c.stack_name().as_deref(), Some("todo"));
        let dev = c.parameter_overrides("dev").unwrap();
        assert_eq!(dev["Stage"], "default");
        assert_eq!(dev["Greeting"], "Hi there");
        let prod = c.parameter_overrides("prod").unwrap();
        assert_eq!(prod["Stage"], "prod");
        assert_eq!(prod["Greeting"], "Hello");
    }

    #[test]
    fn bad_shapes_name_the_table() {
        let c = cfg("[dev.deploy.parameters]\nparameter_overrides = 3\n");
        let e = c.parameter_overrides("dev").unwrap_err().to_string();
        assert!(
            e.contains("[dev.deploy.parameters]") && e.contains("integer"),
            "{e}"
        );
        let e = SamConfig::parse(Path::new("x.toml"), "[[")
            .unwrap_err()
            .to_string();
        assert!(e.contains("x.toml is not valid TOML"), "{e}");
        assert!(cfg("").parameter_overrides("dev").unwrap().is_empty());
    }
}
