//! One module per verb, and what the server verbs share: output format,
//! the async runtime, app/stage/template resolution and exit codes.

pub mod build;
pub mod buildspec;
pub mod deploy;
pub mod deployments;
pub mod destroy;
pub mod local;
pub mod logs;
pub mod outputs;
pub mod params;
pub mod plan;
pub mod server;
pub mod stacks;
pub mod transform;
pub mod up;
pub mod validate;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lockgate_names::{APP_OR_STAGE_RULE, MAX_APP_OR_STAGE_LEN, is_app_or_stage_name};

use crate::client::{ClientError, ConnectArgs};

/// Output format of the server verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON document on stdout (ndjson for streams that never end, such as `logs --follow`).
    Json,
}

/// Options every server verb takes: where the server is and the output format.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Common {
    #[command(flatten)]
    pub connect: ConnectArgs,
    /// Output format: human text, or JSON for machines.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

/// Which app and stage a verb acts on.
#[derive(Debug, Clone, clap::Args)]
pub struct StageArgs {
    /// The stage (dev, staging, prod, pr-42…): 1–32 lowercase letters, digits or hyphens, starting with a letter.
    #[arg(long, short = 's')]
    pub stage: String,
    /// The app (default: `stack_name` in samconfig.toml's [default.deploy.parameters],
    /// else the template directory's name).
    #[arg(long)]
    pub app: Option<String>,
    /// The template (default: template.yaml, template.yml, then template.json in the current directory).
    #[arg(long, short = 't')]
    pub template: Option<PathBuf>,
    /// The samconfig file (default: samconfig.toml next to the template).
    #[arg(long = "config-file", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Another stack of the stage than the app's own (which is named as the
    /// app); the stacks of a stage share its URL and its exports
    /// (`Fn::ImportValue`).
    #[arg(long)]
    pub stack: Option<String>,
}

/// Turns a directory name into a valid app name: lowercased, other
/// characters as hyphens, runs of hyphens collapsed, a letter first, at
/// most 32 characters. `None` when nothing usable is left.
pub fn app_name_from_dir(name: &str) -> Option<String> {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        let c = if c.is_ascii_lowercase() || c.is_ascii_digit() {
            c
        } else {
            '-'
        };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        if out.is_empty() && c.is_ascii_digit() {
            out.push_str("app-");
        }
        out.push(c);
    }
    out.truncate(MAX_APP_OR_STAGE_LEN);
    let out = out.trim_end_matches('-').to_string();
    is_app_or_stage_name(&out).then_some(out)
}

impl StageArgs {
    /// The template path (absolute), as given or the default in `dir`.
    pub fn template_path(&self, dir: &Path) -> Result<PathBuf, ClientError> {
        let path = match &self.template {
            Some(t) => dir.join(t),
            None => local::default_template(dir).ok_or_else(|| {
                ClientError::Usage(format!(
                    "no template given and none found in {}: expected template.yaml, template.yml or template.json (or pass --template)",
                    dir.display()
                ))
            })?,
        };
        std::path::absolute(&path)
            .map_err(|e| ClientError::Usage(format!("bad template path {}: {e}", path.display())))
    }

    /// The directory holding the app: the template's directory when one is
    /// given or found, else `dir`.
    pub fn app_dir(&self, dir: &Path) -> PathBuf {
        match self.template_path(dir) {
            Ok(t) => t
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| dir.into()),
            Err(_) => dir.to_path_buf(),
        }
    }

    /// The samconfig file in use, if it exists.
    pub fn samconfig(
        &self,
        app_dir: &Path,
    ) -> Result<Option<crate::samconfig::SamConfig>, ClientError> {
        let path = match &self.config_file {
            Some(p) => p.clone(),
            None => app_dir.join("samconfig.toml"),
        };
        if self.config_file.is_none() && !path.is_file() {
            return Ok(None);
        }
        crate::samconfig::SamConfig::read(&path).map(Some)
    }

    /// The stage name, checked.
    pub fn stage(&self) -> Result<String, ClientError> {
        if is_app_or_stage_name(&self.stage) {
            Ok(self.stage.clone())
        } else {
            Err(ClientError::Usage(format!(
                "invalid stage name `{}`: expected {APP_OR_STAGE_RULE}",
                self.stage
            )))
        }
    }

    /// The app name: `--app`, else samconfig's `stack_name`, else the app directory's name.
    pub fn app(&self, app_dir: &Path) -> Result<String, ClientError> {
        let check = |name: String, from: &str| {
            if is_app_or_stage_name(&name) {
                Ok(name)
            } else {
                Err(ClientError::Usage(format!(
                    "invalid app name `{name}` ({from}): expected {APP_OR_STAGE_RULE}"
                )))
            }
        };
        if let Some(a) = &self.app {
            return check(a.clone(), "from --app");
        }
        if let Some(cfg) = self.samconfig(app_dir)?
            && let Some(name) = cfg.stack_name()
        {
            return check(name, "samconfig.toml's stack_name");
        }
        let dir_name = app_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        app_name_from_dir(&dir_name).ok_or_else(|| {
            ClientError::Usage(format!(
                "cannot make an app name from the directory name `{dir_name}`: pass --app NAME"
            ))
        })
    }

    /// App and stage, resolved against the current directory.
    pub fn app_and_stage(&self) -> Result<(String, String), ClientError> {
        let cwd = current_dir()?;
        let stage = self.stage()?;
        let app = self.app(&self.app_dir(&cwd))?;
        Ok((app, stage))
    }
}

/// The current directory.
pub fn current_dir() -> Result<PathBuf, ClientError> {
    std::env::current_dir()
        .map_err(|e| ClientError::Usage(format!("cannot read the current directory: {e}")))
}

/// A multi-threaded runtime for a verb, or the exit code of failing to make one.
pub fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            ExitCode::from(2)
        })
}

/// Runs an async verb body on a fresh runtime and maps its error to an exit code.
pub fn run_async<F>(output: Format, body: F) -> ExitCode
where
    F: Future<Output = Result<(), ClientError>>,
{
    match runtime() {
        Ok(rt) => finish(output, rt.block_on(body)),
        Err(code) => code,
    }
}

/// Prints an error (as JSON on stdout with `--output json`, else on stderr) and picks the exit code.
pub fn finish(output: Format, result: Result<(), ClientError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            match output {
                Format::Json => {
                    println!("{}", pretty(&e.to_json()));
                    if let ClientError::Refused {
                        diagnostics: Some(d),
                        ..
                    } = &e
                    {
                        eprint!("{d}");
                    }
                }
                Format::Text => e.report(),
            }
            ExitCode::from(e.exit_code())
        }
    }
}

/// Pretty JSON of a document.
pub fn pretty<T: serde::Serialize + ?Sized>(v: &T) -> String {
    // Documents of strings, numbers and the API's types always serialize.
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// Renders rows as left-aligned columns separated by two spaces (the last column unpadded).
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (i, c) in cells.iter().enumerate() {
            l.push_str(c);
            if i + 1 < cells.len() {
                let pad = width
                    .get(i)
                    .copied()
                    .unwrap_or(0)
                    .saturating_sub(c.chars().count())
                    + 2;
                l.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(app_name_from_dir("Greeter").as_deref(), Some("greeter"));
        assert_eq!(app_name_from_dir("My_App v2").as_deref(), Some("my-app-v2"));
        assert_eq!(
            app_name_from_dir("42things").as_deref(),
            Some("app-42things")
        );
        assert_eq!(app_name_from_dir("___"), None);
        assert_eq!(app_name_from_dir(&"x".repeat(40)).unwrap().len(), 32);
    }

    #[test]
    fn tables_align() {
        let t = table(&["A", "Long header"], &[vec!["value".into(), "x".into()]]);
        assert_eq!(t, "A      Long header\nvalue  x\n");
    }
}
