//! `lockgate outputs`: a stage's stack outputs and URLs.

use std::process::ExitCode;

use serde_json::Value;

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

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let (app, stage) = args.target.app_and_stage()?;
        let client = Client::discover(&args.common.connect)?;
        let info = client
            .stage(&app, &stage, args.target.stack.as_deref())
            .await?;
        let urls = super::deploy::urls_of(&info);
        let outputs = info
            .get("outputs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        match output {
            Format::Json => println!(
                "{}",
                pretty(&serde_json::json!({
                    "app": app,
                    "stage": stage,
                    "status": info.get("status"),
                    "status_reason": info.get("status_reason"),
                    "version": info.get("version"),
                    "outputs": outputs,
                    "urls": urls,
                    "resources": info.get("resources").cloned().unwrap_or(Value::Array(vec![])),
                }))
            ),
            Format::Text => {
                if let Some(s) = info.get("status").and_then(Value::as_str) {
                    match info.get("status_reason").and_then(Value::as_str) {
                        Some(r) if !r.is_empty() => println!("{app}/{stage}: {s} ({r})"),
                        _ => println!("{app}/{stage}: {s}"),
                    }
                }
                if outputs.is_empty() {
                    println!("No outputs.");
                }
                super::deploy::print_outputs(&outputs);
                for u in urls {
                    println!("URL: {u}");
                }
            }
        }
        Ok(())
    })
}
