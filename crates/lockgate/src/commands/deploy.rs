//! `lockgate deploy`: send a template to a stage of the server, show each
//! resource's progress live, then the stack's outputs and the stage's URL.
//! The request building and the progress display are shared with `plan` and `up`.

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use lockgate_api::{Change, DeployRequest, DeployResult, ProgressEvent, StackOutput};
use serde::Serialize;
use serde_json::Value;

use super::{Common, Format, StageArgs, pretty, table};
use crate::client::{Client, ClientError, Uploaded};
use crate::package::CodePackage;

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
    /// Return as soon as an alias's traffic shift (a canary or linear
    /// release) has started, instead of waiting for it; the deploy goes on
    /// on the server (follow it with `lockgate deployment show ID`).
    #[arg(long = "no-wait")]
    pub no_wait: bool,
    /// How the stage treats its functions' calls to Lockgate's AWS APIs
    /// that their roles do not allow: `enforce` (AccessDeniedException, as
    /// AWS) or `report` (logged and allowed). The stage keeps the mode
    /// until a deploy names another; `enforce` at first.
    #[arg(long, value_name = "enforce|report", value_parser = parse_permissions)]
    pub permissions: Option<lockgate_api::PermissionsMode>,
    #[command(flatten)]
    pub common: Common,
}

fn parse_permissions(s: &str) -> Result<lockgate_api::PermissionsMode, String> {
    lockgate_api::PermissionsMode::parse(s)
        .ok_or_else(|| format!("`{s}`: expected enforce or report"))
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
    let bytes = std::fs::read(&template).map_err(|e| {
        ClientError::Usage(format!(
            "cannot read the template {}: {e}",
            template.display()
        ))
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        // The template engine's diagnostic: the first bad byte's offset,
        // line and column.
        let name = template.display().to_string();
        match lockgate_template::parse_bytes(&name, e.as_bytes()) {
            Err(parse) => ClientError::Usage(format!("{name}: {}", parse.message)),
            Ok(_) => ClientError::Usage(format!(
                "{name}: the template is UTF-16 or UTF-32 text; save it as UTF-8 to deploy it"
            )),
        }
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
    // Code with dependencies (or a Makefile, or cargo) is built first, as
    // `lockgate build` builds it; what the build made is deployed.
    let (text, template_path, code) = match super::build::for_deploy(&template, &parameters)
        .map_err(ClientError::Usage)?
    {
        Some(report) => {
            let text = std::fs::read_to_string(&report.built_template).map_err(|e| {
                ClientError::Usage(format!(
                    "cannot read the built template {}: {e}",
                    report.built_template.display()
                ))
            })?;
            let code = CodePackage::of_template(&report.built_template, &text, &report.build_dir)?;
            let name = report
                .built_template
                .strip_prefix(&base_dir)
                .unwrap_or(&report.built_template)
                .display()
                .to_string();
            (text, name, code)
        }
        None => {
            let name = template
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let code = CodePackage::of_template(&template, &text, &base_dir)?;
            (text, name, code)
        }
    };
    let request = DeployRequest {
        template: text,
        template_path,
        parameters,
        stack: target.stack.clone(),
        execute,
        artifacts: code.artifacts(),
        permissions: None,
        client_token: None,
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
        let mut prepared = prepare(
            &args.target,
            &args.parameter_overrides,
            &cwd,
            !args.no_execute,
        )?;
        prepared.request.permissions = args.permissions;
        let client = Client::discover(&args.common.connect)?;
        if args.no_execute {
            return super::plan::show_plan(&client, &prepared, output).await;
        }
        let detached = deploy_until(&client, &prepared, output, !args.no_wait).await?;
        match detached {
            Deployed::Done(summary) => print_summary(&summary, output),
            Deployed::Releasing { deployment_id } => match output {
                Format::Json => println!(
                    "{}",
                    pretty(&serde_json::json!({
                        "app": prepared.app,
                        "stage": prepared.stage,
                        "status": "UPDATE_IN_PROGRESS",
                        "deploymentId": deployment_id,
                    }))
                ),
                Format::Text => println!(
                    "Release {deployment_id} of {}/{} started; the deploy goes on on the server. \
                     Follow it with `lockgate deployment show {deployment_id}`.",
                    prepared.app, prepared.stage
                ),
            },
        }
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
    /// The server's final result (status, changes, outputs, url, warnings).
    pub result: DeployResult,
    /// The events seen.
    pub events: Vec<ProgressEvent>,
    /// Wall time from request to result, as the client saw it.
    pub elapsed: Duration,
    /// What was uploaded first (nothing when the server had all the code).
    pub uploaded: Uploaded,
}

/// The document `deploy --output json` prints.
#[derive(Debug, Serialize)]
struct SummaryJson<'a> {
    app: &'a str,
    stage: &'a str,
    status: &'a str,
    changes: &'a [Change],
    outputs: &'a [StackOutput],
    urls: Vec<String>,
    warnings: &'a [String],
    events: &'a [ProgressEvent],
    elapsed_ms: u64,
    uploaded: Uploaded,
}

impl Summary {
    /// Whether the deploy changed nothing (an update of outputs or
    /// parameters alone changes no resource, and is not this).
    pub fn unchanged(&self) -> bool {
        self.result.status == "UNCHANGED"
    }

    /// The line a finished deploy begins with.
    pub fn headline(&self) -> String {
        let (app, stage, ms) = (&self.app, &self.stage, self.elapsed.as_millis());
        match self.changed() {
            _ if self.unchanged() => format!("No changes: {app}/{stage} is up to date ({ms} ms)."),
            0 => format!(
                "Deployed {app}/{stage} in {ms} ms: no resource changed, its outputs or parameters did."
            ),
            n => format!("Deployed {app}/{stage} in {ms} ms: {n} resource(s) changed."),
        }
    }

    /// How many resources changed.
    pub fn changed(&self) -> usize {
        self.result.changes.len()
    }

    /// The stage's URLs.
    pub fn urls(&self) -> Vec<String> {
        self.result.url.iter().cloned().collect()
    }

    /// The JSON document printed by `--output json`.
    pub fn to_json(&self) -> Value {
        let doc = SummaryJson {
            app: &self.app,
            stage: &self.stage,
            status: &self.result.status,
            changes: &self.result.changes,
            outputs: &self.result.outputs,
            urls: self.urls(),
            warnings: &self.result.warnings,
            events: &self.events,
            elapsed_ms: self.elapsed.as_millis() as u64,
            uploaded: self.uploaded,
        };
        // Strings, numbers and the API's own types: always serializable.
        serde_json::to_value(doc).unwrap_or_default()
    }
}

/// How a deploy that may detach ended.
pub enum Deployed {
    /// It finished.
    Done(Box<Summary>),
    /// A traffic shift started and the client stopped following.
    Releasing {
        /// The release's deployment ID.
        deployment_id: String,
    },
}

/// Deploys with live progress; returns the summary, or the refusal/failure.
pub async fn deploy(
    client: &Client,
    prepared: &Prepared,
    output: Format,
) -> Result<Summary, ClientError> {
    match deploy_until(client, prepared, output, true).await? {
        Deployed::Done(s) => Ok(*s),
        Deployed::Releasing { deployment_id } => Err(ClientError::Server(format!(
            "the deploy stream ended during release {deployment_id}"
        ))),
    }
}

/// Deploys with live progress; with `wait` false, stops following once
/// an alias's traffic shift has started.
pub async fn deploy_until(
    client: &Client,
    prepared: &Prepared,
    output: Format,
    wait: bool,
) -> Result<Deployed, ClientError> {
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
    let mut release = None;
    let res = client
        .deploy_until(
            &prepared.app,
            &prepared.stage,
            &prepared.request,
            |e| {
                progress.event(e);
                events.push(e.clone());
            },
            |e| match &e.rollout {
                Some(step) if !wait && step.kind == "Start" => {
                    release = Some(step.deployment_id.clone());
                    true
                }
                _ => false,
            },
        )
        .await;
    progress.finish();
    let Some(result) = res? else {
        return Ok(Deployed::Releasing {
            deployment_id: release.unwrap_or_default(),
        });
    };
    Ok(Deployed::Done(Box::new(Summary {
        app: prepared.app.clone(),
        stage: prepared.stage.clone(),
        result,
        events,
        elapsed: started.elapsed(),
        uploaded,
    })))
}

/// Prints a finished deploy: outputs and URLs (text), or the JSON document.
pub fn print_summary(s: &Summary, output: Format) {
    match output {
        Format::Json => println!("{}", pretty(&s.to_json())),
        Format::Text => {
            for w in &s.result.warnings {
                eprintln!("warning: {w}");
            }
            println!("{}", s.headline());
            print_outputs(&s.result.outputs);
            for u in s.urls() {
                println!("URL: {u}");
            }
        }
    }
}

/// Prints stack outputs as a table (nothing when there are none); the
/// Description and Export columns only when some output has one.
pub fn print_outputs(outputs: &[StackOutput]) {
    if outputs.is_empty() {
        return;
    }
    let header = ["Key", "Value", "Description", "Export"];
    let cells: Vec<[String; 4]> = outputs
        .iter()
        .map(|o| {
            [
                o.key.clone(),
                o.value.clone(),
                o.description.clone().unwrap_or_default(),
                o.export.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| i < 2 || cells.iter().any(|r| !r[i].is_empty()))
        .collect();
    let header: Vec<&str> = keep.iter().map(|&i| header[i]).collect();
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

/// A traffic share as a bar: `[##--------]  20%`.
fn traffic_bar(weight: f64) -> String {
    let filled = (weight.clamp(0.0, 1.0) * 10.0).round() as usize;
    format!(
        "[{}{}] {:>3.0}%",
        "#".repeat(filled),
        "-".repeat(10 - filled),
        weight * 100.0
    )
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
    pub fn event(&mut self, e: &ProgressEvent) {
        let id = e.logical_id.clone();
        let status = e.status.clone();
        let rtype = &e.resource_type;
        let reason = match &e.rollout {
            Some(step) => format!(
                "{} {}",
                traffic_bar(step.weight),
                e.reason.as_deref().unwrap_or("")
            ),
            None => e.reason.clone().unwrap_or_default(),
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(status: &str, changes: Vec<Change>) -> Summary {
        Summary {
            app: "shop".into(),
            stage: "dev".into(),
            result: DeployResult {
                app: "shop".into(),
                stage: "dev".into(),
                status: status.into(),
                changes,
                outputs: Vec::new(),
                url: None,
                warnings: Vec::new(),
                elapsed_ms: 3,
                settings_change: false,
            },
            events: Vec::new(),
            elapsed: Duration::from_millis(5),
            uploaded: Uploaded::default(),
        }
    }

    /// An update of outputs or parameters alone is told as a deploy, not
    /// as "no changes".
    #[test]
    fn the_headline_says_what_changed() {
        assert_eq!(
            summary("UNCHANGED", Vec::new()).headline(),
            "No changes: shop/dev is up to date (5 ms)."
        );
        assert_eq!(
            summary("UPDATE_COMPLETE", Vec::new()).headline(),
            "Deployed shop/dev in 5 ms: no resource changed, its outputs or parameters did."
        );
    }
}
