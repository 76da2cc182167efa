//! `lockgate deploy`: send a template to a stage of the server, show each
//! resource's progress live, then the stack's outputs and the stage's URL.
//! The request building and the progress display are shared with `plan` and `up`.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::{Common, Format, StageArgs, field, pretty, table, text_field};
use crate::client::{Client, ClientError, StreamItem, Uploaded};
use crate::package::CodePackage;
use lockgate_api::DeployRequest;

/// Arguments of `lockgate deploy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: StageArgs,
    /// Parameter values: `Key=Value` (or `ParameterKey=K,ParameterValue=V`), several per
    /// argument separated by spaces; they win over samconfig.toml's `parameter_overrides`.
    #[arg(long = "parameter-overrides", num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    /// Compute and show the change set without applying it (like `sam deploy --no-execute-changeset`).
    #[arg(long = "no-execute")]
    pub no_execute: bool,
    #[command(flatten)]
    pub common: Common,
}

/// A deploy request ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The template file (absolute).
    pub template: PathBuf,
    /// The request body.
    pub request: DeployRequest,
    /// The template's local code, packed; uploaded before the request.
    pub code: CodePackage,
}

/// Builds the deploy request: template text, the merged parameters
/// (samconfig.toml, then `overrides`), app and stage names, and the
/// template's local code packed for upload (its digests in `artifacts`).
pub fn prepare(
    target: &StageArgs,
    overrides: &[String],
    dir: &Path,
    execute: bool,
) -> Result<Prepared, ClientError> {
    let stage = target.stage()?;
    let template = target.template_path(dir)?;
    let base_dir = template
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| dir.to_path_buf());
    let app = target.app(&base_dir)?;
    let text = std::fs::read_to_string(&template).map_err(|e| {
        ClientError::Usage(format!(
            "cannot read the template {}: {e}",
            template.display()
        ))
    })?;
    let mut parameters: BTreeMap<String, String> = match target.samconfig(&base_dir)? {
        Some(cfg) => cfg.parameter_overrides(&stage)?,
        None => BTreeMap::new(),
    };
    let mut inline = Vec::new();
    for o in overrides {
        if let Some(file) = o.strip_prefix("file://") {
            let text = std::fs::read_to_string(file).map_err(|e| {
                ClientError::Usage(format!("cannot read the parameter file {file}: {e}"))
            })?;
            let parsed = lockgate_template::Overrides::from_json_str(&text)
                .map_err(|e| ClientError::Usage(format!("{file}: {e}")))?;
            parameters.extend(parsed.0);
        } else {
            inline.push(o.clone());
        }
    }
    let cli = lockgate_template::Overrides::parse_args(&inline)
        .map_err(|e| ClientError::Usage(format!("--parameter-overrides: {e}")))?;
    parameters.extend(cli.0);
    let template_path = template
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let code = CodePackage::of_template(&template, &text, &base_dir)?;
    let request = DeployRequest {
        template: text,
        template_path,
        parameters,
        stack: target.stack.clone(),
        execute,
        artifacts: code.artifacts(),
    };
    Ok(Prepared {
        app,
        stage,
        template,
        request,
        code,
    })
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let cwd = super::current_dir()?;
        let prepared = prepare(
            &args.target,
            &args.parameter_overrides,
            &cwd,
            !args.no_execute,
        )?;
        let client = Client::discover(&args.common.connect)?;
        if args.no_execute {
            return super::plan::show_plan(&client, &prepared, output).await;
        }
        let summary = deploy(&client, &prepared, output).await?;
        print_summary(&summary, output);
        Ok(())
    })
}

/// What a finished deploy reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// The app.
    pub app: String,
    /// The stage.
    pub stage: String,
    /// The server's final `result` (`DeployResult`: status, changes, outputs, url, warnings).
    pub result: Value,
    /// The events seen.
    pub events: Vec<Value>,
    /// Wall time from request to result, as the client saw it.
    pub elapsed: Duration,
    /// What was uploaded first (nothing when the server had all the code).
    pub uploaded: Uploaded,
}

impl Summary {
    /// Whether the deploy changed nothing.
    pub fn unchanged(&self) -> bool {
        field(&self.result, &["status"]) == Some("UNCHANGED") || self.changed() == 0
    }

    /// How many resources changed.
    pub fn changed(&self) -> usize {
        match self.result.get("changes").and_then(Value::as_array) {
            Some(c) => c.len(),
            None => {
                let mut seen = std::collections::BTreeSet::new();
                for e in &self.events {
                    if let (Some(id), Some(status)) = (event_id(e), field(e, &["status"]))
                        && status.ends_with("_COMPLETE")
                    {
                        seen.insert(id.to_string());
                    }
                }
                seen.len()
            }
        }
    }

    /// The stage's URLs.
    pub fn urls(&self) -> Vec<String> {
        urls_of(&self.result)
    }

    /// The stack's outputs.
    pub fn outputs(&self) -> Vec<Value> {
        self.result
            .get("outputs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// The server's warnings.
    pub fn warnings(&self) -> Vec<String> {
        strings(self.result.get("warnings"))
    }

    /// The JSON document printed by `--output json`.
    pub fn to_json(&self) -> Value {
        json!({
            "app": self.app,
            "stage": self.stage,
            "status": field(&self.result, &["status"]),
            "changes": self.result.get("changes").cloned().unwrap_or(json!([])),
            "outputs": self.outputs(),
            "urls": self.urls(),
            "warnings": self.warnings(),
            "events": self.events,
            "elapsed_ms": self.elapsed.as_millis() as u64,
            "uploaded": self.uploaded,
        })
    }
}

/// The strings of a JSON array (empty for anything else).
pub fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// The URLs of a stage document: `url` (one) or `urls` (strings or `{url}` objects).
pub fn urls_of(v: &Value) -> Vec<String> {
    if let Some(u) = v.get("url").and_then(Value::as_str) {
        return vec![u.to_string()];
    }
    v.get("urls")
        .and_then(Value::as_array)
        .map(|urls| {
            urls.iter()
                .filter_map(|u| {
                    u.as_str()
                        .map(str::to_string)
                        .or_else(|| field(u, &["url"]).map(str::to_string))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The logical ID of an event.
pub fn event_id(e: &Value) -> Option<&str> {
    field(e, &["logical_id", "logicalId", "LogicalResourceId"])
}

/// Deploys with live progress; returns the summary, or the refusal/failure.
pub async fn deploy(
    client: &Client,
    prepared: &Prepared,
    output: Format,
) -> Result<Summary, ClientError> {
    let started = Instant::now();
    if output == Format::Text {
        eprintln!(
            "Deploying {} to {}/{}…",
            prepared.template.display(),
            prepared.app,
            prepared.stage
        );
    }
    let uploaded = client.upload(&prepared.code).await?;
    let mut progress = Progress::new(output == Format::Text);
    let mut events = Vec::new();
    let res = client
        .deploy(&prepared.app, &prepared.stage, &prepared.request, |item| {
            if let StreamItem::Event(e) = item {
                progress.event(e);
                events.push(e.clone());
            }
        })
        .await;
    progress.finish();
    let result = res?;
    Ok(Summary {
        app: prepared.app.clone(),
        stage: prepared.stage.clone(),
        result,
        events,
        elapsed: started.elapsed(),
        uploaded,
    })
}

/// Prints a finished deploy: outputs and URLs (text), or the JSON document.
pub fn print_summary(s: &Summary, output: Format) {
    match output {
        Format::Json => println!("{}", pretty(&s.to_json())),
        Format::Text => {
            for w in s.warnings() {
                eprintln!("warning: {w}");
            }
            if s.unchanged() {
                println!(
                    "No changes: {}/{} is up to date ({} ms).",
                    s.app,
                    s.stage,
                    s.elapsed.as_millis()
                );
            } else {
                println!(
                    "Deployed {}/{} in {} ms: {} resource(s) changed.",
                    s.app,
                    s.stage,
                    s.elapsed.as_millis(),
                    s.changed()
                );
            }
            print_outputs(&s.outputs());
            for u in s.urls() {
                println!("URL: {u}");
            }
        }
    }
}

/// Prints stack outputs as a table (nothing when there are none); the
/// Description and Export columns only when some output has one.
pub fn print_outputs(outputs: &[Value]) {
    if outputs.is_empty() {
        return;
    }
    let cols: [(&str, &[&str]); 4] = [
        ("Key", &["key", "OutputKey"]),
        ("Value", &["value", "OutputValue"]),
        ("Description", &["description", "Description"]),
        ("Export", &["export", "ExportName"]),
    ];
    let cells: Vec<Vec<String>> = outputs
        .iter()
        .map(|o| cols.iter().map(|(_, keys)| text_field(o, keys)).collect())
        .collect();
    let keep: Vec<usize> = (0..cols.len())
        .filter(|&i| i < 2 || cells.iter().any(|r| !r[i].is_empty()))
        .collect();
    let header: Vec<&str> = keep.iter().map(|&i| cols[i].0).collect();
    let rows: Vec<Vec<String>> = cells
        .iter()
        .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
        .collect();
    println!("Outputs");
    print!("{}", table(&header, &rows));
}

/// Live progress of resource events on stderr: a spinner per resource on a
/// terminal, one plain line per event otherwise; nothing for JSON output.
pub struct Progress {
    mode: Mode,
}

enum Mode {
    Off,
    Plain,
    Bars {
        multi: MultiProgress,
        bars: HashMap<String, ProgressBar>,
    },
}

impl Progress {
    /// A progress display; `human` false turns it off.
    pub fn new(human: bool) -> Progress {
        let mode = if !human {
            Mode::Off
        } else if std::io::stderr().is_terminal() {
            Mode::Bars {
                multi: MultiProgress::new(),
                bars: HashMap::new(),
            }
        } else {
            Mode::Plain
        };
        Progress { mode }
    }

    /// Shows one event.
    pub fn event(&mut self, e: &Value) {
        let id = event_id(e).unwrap_or("?").to_string();
        let status = field(e, &["status", "ResourceStatus"])
            .unwrap_or("?")
            .to_string();
        let rtype = field(e, &["resource_type", "type", "ResourceType"]).unwrap_or("");
        let reason = field(e, &["reason", "ResourceStatusReason"]).unwrap_or("");
        let line = format!(
            "{status:<20} {rtype:<34} {id}{}",
            if reason.is_empty() {
                String::new()
            } else {
                format!("  {reason}")
            }
        );
        match &mut self.mode {
            Mode::Off => {}
            Mode::Plain => eprintln!("{}", line.trim_end()),
            Mode::Bars { multi, bars } => {
                let done = !status.ends_with("_IN_PROGRESS");
                let bar = bars.entry(id.clone()).or_insert_with(|| {
                    let b = multi.add(ProgressBar::new_spinner());
                    b.set_style(
                        ProgressStyle::with_template("{spinner:.cyan} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    b.enable_steady_tick(Duration::from_millis(80));
                    b
                });
                if done {
                    let mark = if status.contains("FAILED") {
                        "✗"
                    } else if status.contains("ROLLBACK") {
                        "↺"
                    } else {
                        "✓"
                    };
                    bar.set_style(
                        ProgressStyle::with_template("{msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.finish_with_message(format!("{mark} {}", line.trim_end()));
                    bars.remove(&id);
                } else {
                    bar.set_message(line.trim_end().to_string());
                }
            }
        }
    }

    /// Ends the display (clears spinners still running).
    pub fn finish(&mut self) {
        if let Mode::Bars { bars, .. } = &mut self.mode {
            for (_, b) in bars.drain() {
                b.abandon();
            }
        }
    }
}
