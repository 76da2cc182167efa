//! `lockgate deployments`, `lockgate deployment show|promote|abort` and
//! `lockgate rollback`: releases (alias traffic shifts, what CodeDeploy
//! calls deployments) and the operator's controls over them.

use std::process::ExitCode;

use lockgate_api::Deployment;

use super::{Common, Format, pretty, table};
use crate::client::{Client, ClientError};

/// Arguments of `lockgate deployments`.
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Only this stage (default: every stage of the app).
    #[arg(long, short = 's')]
    pub stage: Option<String>,
    /// The app (default: samconfig.toml's `stack_name`, else the current directory's name).
    #[arg(long)]
    pub app: Option<String>,
    /// At most this many per stage, newest first.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    #[command(flatten)]
    pub common: Common,
}

/// `lockgate deployment …`.
#[derive(Debug, clap::Subcommand)]
pub enum DeploymentCommand {
    /// One release with its timeline: steps, weights, hook results, alarm states.
    Show(IdArgs),
    /// Skip the release's waits: all traffic moves to the new version now (hooks still run).
    Promote(IdArgs),
    /// Stop the release: all traffic back on the old version, its stack update rolled back.
    Abort(AbortArgs),
}

/// A deployment ID.
#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// The deployment ID (`d-00000000C`, as `lockgate deployments` lists them) or its number.
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of `lockgate deployment abort`.
#[derive(Debug, clap::Args)]
pub struct AbortArgs {
    /// The deployment ID (`d-00000000C`) or its number.
    pub id: String,
    /// Why (recorded as the release's error information).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Arguments of `lockgate rollback`.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The function (logical ID or physical name) whose release in progress to stop.
    pub function: String,
    /// The stage.
    #[arg(long, short = 's')]
    pub stage: String,
    /// The app (default: samconfig.toml's `stack_name`, else the current directory's name).
    #[arg(long)]
    pub app: Option<String>,
    /// Why (recorded as the release's error information).
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// The app of a verb run in an app's directory.
fn app_name(app: &Option<String>) -> Result<String, ClientError> {
    let target = super::StageArgs {
        stage: "dev".into(),
        app: app.clone(),
        template: None,
        config_file: None,
        stack: None,
    };
    let cwd = super::current_dir()?;
    target.app(&target.app_dir(&cwd))
}

fn percent(w: f64) -> String {
    format!("{:.0}%", w * 100.0)
}

/// Runs `lockgate deployments`.
pub fn list(args: ListArgs) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let app = app_name(&args.app)?;
        let client = Client::discover(&args.common.connect)?;
        let stages: Vec<String> = match &args.stage {
            Some(s) => vec![s.clone()],
            None => {
                let mut stages: Vec<String> = client
                    .apps()
                    .await?
                    .into_iter()
                    .filter(|a| a.app == app)
                    .flat_map(|a| a.stages.into_iter().map(|s| s.stage))
                    .collect();
                stages.sort();
                stages.dedup();
                stages
            }
        };
        let mut all: Vec<Deployment> = Vec::new();
        for stage in &stages {
            all.extend(client.deployments(&app, stage, Some(args.limit)).await?);
        }
        // Newest first across stages (IDs grow with time).
        all.sort_by(|a, b| b.create_time.cmp(&a.create_time));
        match output {
            Format::Json => println!("{}", pretty(&all)),
            Format::Text => {
                if all.is_empty() {
                    println!("No releases of {app} yet.");
                    return Ok(());
                }
                let rows: Vec<Vec<String>> = all
                    .iter()
                    .map(|d| {
                        vec![
                            d.deployment_id.clone(),
                            d.stage.clone(),
                            format!("{}:{}", d.function_name, d.alias),
                            format!("{} → {}", d.current_version, d.target_version),
                            d.status.clone(),
                            percent(d.traffic_weight),
                            d.deployment_config_name.clone(),
                            d.create_time.clone(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    table(
                        &[
                            "ID", "STAGE", "ALIAS", "VERSIONS", "STATUS", "TRAFFIC", "CONFIG",
                            "STARTED"
                        ],
                        &rows
                    )
                );
            }
        }
        Ok(())
    })
}

/// Runs `lockgate deployment …`.
pub fn run(cmd: DeploymentCommand) -> ExitCode {
    match cmd {
        DeploymentCommand::Show(a) => show(a),
        DeploymentCommand::Promote(a) => control(a.id, "promote", None, a.common),
        DeploymentCommand::Abort(a) => control(a.id, "abort", a.reason, a.common),
    }
}

fn show(args: IdArgs) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let client = Client::discover(&args.common.connect)?;
        let d = client.deployment(&args.id).await?;
        match output {
            Format::Json => println!("{}", pretty(&d)),
            Format::Text => {
                println!(
                    "{} {}:{} on {}/{}: version {} → {}, {} ({}), {} of traffic on version {}",
                    d.deployment_id,
                    d.function_name,
                    d.alias,
                    d.app,
                    d.stage,
                    d.current_version,
                    d.target_version,
                    d.status,
                    d.deployment_config_name,
                    percent(d.traffic_weight),
                    d.target_version
                );
                if let Some(e) = &d.error_information {
                    println!("{}: {}", e.code, e.message);
                }
                let rows: Vec<Vec<String>> = d
                    .timeline
                    .iter()
                    .flatten()
                    .map(|e| {
                        vec![
                            e.time.clone(),
                            e.kind.clone(),
                            e.weight.map(percent).unwrap_or_default(),
                            e.message.clone(),
                        ]
                    })
                    .collect();
                print!("{}", table(&["TIME", "STEP", "TRAFFIC", "WHAT"], &rows));
            }
        }
        Ok(())
    })
}

fn control(id: String, action: &str, reason: Option<String>, common: Common) -> ExitCode {
    let output = common.output;
    let action = action.to_string();
    super::run_async(output, async move {
        let client = Client::discover(&common.connect)?;
        let done = client.control_deployment(&id, &action, reason).await?;
        match output {
            Format::Json => println!("{}", pretty(&done)),
            Format::Text => {
                let what = if action == "promote" {
                    "promoted: all traffic moves to the new version now"
                } else {
                    "aborted: all traffic goes back to the old version and the stack update rolls back"
                };
                println!("{} {what}", done.deployment_ids.join(", "));
            }
        }
        Ok(())
    })
}

/// Runs `lockgate rollback`.
pub fn rollback(args: RollbackArgs) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let app = app_name(&args.app)?;
        if !lockgate_names::is_app_or_stage_name(&args.stage) {
            return Err(ClientError::Usage(format!(
                "invalid stage name `{}`",
                args.stage
            )));
        }
        let client = Client::discover(&args.common.connect)?;
        let done = client
            .rollback(&app, &args.stage, &args.function, args.reason)
            .await?;
        match output {
            Format::Json => println!("{}", pretty(&done)),
            Format::Text => println!(
                "Rolled back {}: {} stopped; all traffic goes back to the old version",
                args.function,
                done.deployment_ids.join(", ")
            ),
        }
        Ok(())
    })
}
