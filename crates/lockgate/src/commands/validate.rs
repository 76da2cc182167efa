//! `lockgate validate`: check a template and report every problem found.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lockgate_template::{Diagnostics, LoadError, LoadOptions, LoadedTemplate, Overrides, Pseudo};

/// Output format of `lockgate validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Human-readable diagnostics with source snippets.
    Text,
    /// One JSON document on stdout.
    Json,
}

/// Options shared by the template verbs.
#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The template (default: template.yaml, template.yml, then template.json in the current directory).
    pub template: Option<PathBuf>,
    /// Parameter values: `Key=Value` or `ParameterKey=Key,ParameterValue=Value`, several per
    /// argument separated by spaces; `file://params.json` reads a JSON parameter file.
    #[arg(long = "parameter-overrides", num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    /// The region (`AWS::Region`).
    #[arg(long, default_value = lockgate_cloud::DEFAULT_REGION, env = "AWS_REGION")]
    pub region: String,
    /// The account ID (`AWS::AccountId`); stays symbolic when not given.
    #[arg(long = "account-id")]
    pub account_id: Option<String>,
    /// The stack name (`AWS::StackName`); stays symbolic when not given.
    #[arg(long = "stack-name")]
    pub stack_name: Option<String>,
}

/// Arguments of `lockgate validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: TemplateArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// A usage problem: exit code 2.
pub struct UsageError(pub String);

impl TemplateArgs {
    /// The template path: as given, or the first default that exists.
    pub fn template_path(&self) -> Result<PathBuf, UsageError> {
        if let Some(p) = &self.template {
            return Ok(p.clone());
        }
        for name in ["template.yaml", "template.yml", "template.json"] {
            if Path::new(name).is_file() {
                return Ok(PathBuf::from(name));
            }
        }
        Err(UsageError(
            "no template given and none found: expected template.yaml, template.yml or template.json in the current directory".into(),
        ))
    }

    /// Load options from the flags.
    pub fn load_options(&self) -> Result<LoadOptions, UsageError> {
        let mut overrides = Overrides::default();
        let mut inline = Vec::new();
        for arg in &self.parameter_overrides {
            if let Some(file) = arg.strip_prefix("file://") {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| UsageError(format!("cannot read parameter file {file}: {e}")))?;
                let from_file = Overrides::from_json_str(&text)
                    .map_err(|e| UsageError(format!("{file}: {e}")))?;
                overrides.0.extend(from_file.0);
            } else {
                inline.push(arg.as_str());
            }
        }
        let parsed = Overrides::parse_args(&inline).map_err(|e| UsageError(e.to_string()))?;
        overrides.0.extend(parsed.0);
        Ok(LoadOptions {
            overrides,
            pseudo: Pseudo {
                region: self.region.clone(),
                account_id: self.account_id.clone(),
                stack_name: self.stack_name.clone(),
                ..Pseudo::default()
            },
            ..LoadOptions::default()
        })
    }

    /// Loads the template: `Ok(Ok(t))` loaded, `Ok(Err(d))` invalid, `Err` usage problem.
    pub fn load(&self) -> Result<(PathBuf, Result<LoadedTemplate, Diagnostics>), UsageError> {
        let path = self.template_path()?;
        let opts = self.load_options()?;
        match lockgate_template::load_file(&path, &opts) {
            Ok(t) => Ok((path, Ok(t))),
            Err(LoadError::Invalid(d)) => Ok((path, Err(d))),
            Err(e @ LoadError::Io { .. }) => Err(UsageError(e.to_string())),
        }
    }
}

/// Renders diagnostics for stderr: colors only on a terminal without NO_COLOR.
pub fn render_for_stderr(d: &Diagnostics) -> String {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    d.render(color, width)
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let (path, result) = match args.common.load() {
        Ok(x) => x,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    let shown = path.display().to_string();
    match (args.output, result) {
        (Output::Text, Ok(t)) => {
            if !t.warnings.is_empty() {
                eprint!("{}", render_for_stderr(&t.warnings));
            }
            let kind = if t.transformed {
                "SAM template"
            } else {
                "template"
            };
            println!(
                "{shown} is a valid {kind}: {} resource(s)",
                t.graph.resources().len()
            );
            ExitCode::SUCCESS
        }
        (Output::Text, Err(d)) => {
            eprint!("{}", render_for_stderr(&d));
            eprintln!("error: {shown} has {} problem(s)", d.len());
            ExitCode::from(1)
        }
        (Output::Json, r) => {
            let (valid, diagnostics) = match &r {
                Ok(t) => (true, t.warnings.to_json()),
                Err(d) => (false, d.to_json()),
            };
            let doc =
                serde_json::json!({"template": shown, "valid": valid, "diagnostics": diagnostics});
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
            if valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
    }
}
