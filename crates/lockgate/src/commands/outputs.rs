//! `lockgate outputs`: a stage's stack outputs and URLs.

use std::process::ExitCode;

use lockgate_api::{StackOutput, StageResource};
use serde::Serialize;

use super::{Common, Format, StageArgs, pretty};
use crate::client::Client;

/// Arguments of `lockgate outputs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: StageArgs,
    #[command(flatten)]
    pub common: Common,
}

/// The document `outputs --output json` prints.
#[derive(Debug, Serialize)]
struct OutputsJson<'a> {
    app: &'a str,
    stage: &'a str,
    status: &'a str,
    status_reason: Option<&'a str>,
    version: u64,
    outputs: &'a [StackOutput],
    urls: &'a [String],
    resources: &'a [StageResource],
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let (app, stage) = args.target.app_and_stage()?;
        let client = Client::discover(&args.common.connect)?;
        let info = client
            .stage(&app, &stage, args.target.stack.as_deref())
            .await?;
        let urls: Vec<String> = info.url.iter().cloned().collect();
        match output {
            Format::Json => println!(
                "{}",
                pretty(&OutputsJson {
                    app: &app,
                    stage: &stage,
                    status: &info.status,
                    status_reason: info.status_reason.as_deref(),
                    version: info.version,
                    outputs: &info.outputs,
                    urls: &urls,
                    resources: &info.resources,
                })
            ),
            Format::Text => {
                match info.status_reason.as_deref() {
                    Some(r) if !r.is_empty() => println!("{app}/{stage}: {} ({r})", info.status),
                    _ => println!("{app}/{stage}: {}", info.status),
                }
                if info.outputs.is_empty() {
                    println!("No outputs.");
                }
                super::deploy::print_outputs(&info.outputs);
                for u in urls {
                    println!("URL: {u}");
                }
            }
        }
        Ok(())
    })
}
