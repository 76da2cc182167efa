//! `lockgate destroy`: delete a stage's stack, its resources in reverse
//! dependency order, with live progress.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use lockgate_api::{DeployResult, ProgressEvent};
use serde::Serialize;

use super::deploy::Progress;
use super::{Common, Format, StageArgs, pretty};
use crate::client::{Client, ClientError};

/// Arguments of `lockgate destroy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: StageArgs,
    /// Do not ask for confirmation (it is asked only when stdin is a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub common: Common,
}

/// The document `destroy --output json` prints.
#[derive(Debug, Serialize)]
struct DestroyJson<'a> {
    app: &'a str,
    stage: &'a str,
    result: &'a DeployResult,
    events: &'a [ProgressEvent],
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let (app, stage) = args.target.app_and_stage()?;
        let client = Client::discover(&args.common.connect)?;
        if !args.yes && output == Format::Text && std::io::stdin().is_terminal() {
            eprint!("Delete stage {app}/{stage} and all its resources? [y/N] ");
            // An unflushed prompt still leaves the question answerable.
            let _ = std::io::stderr().flush();
            let mut answer = String::new();
            // An unreadable answer stays empty, which cancels: the safe side.
            let _ = std::io::stdin().lock().read_line(&mut answer);
            if !matches!(answer.trim(), "y" | "Y" | "yes") {
                return Err(ClientError::Usage("destroy cancelled".into()));
            }
        }
        let mut progress = Progress::new(output == Format::Text);
        let mut events = Vec::new();
        let res = client
            .destroy(&app, &stage, args.target.stack.as_deref(), |e| {
                progress.event(e);
                events.push(e.clone());
            })
            .await;
        progress.finish();
        let result = res?;
        match output {
            Format::Json => println!(
                "{}",
                pretty(&DestroyJson {
                    app: &app,
                    stage: &stage,
                    result: &result,
                    events: &events,
                })
            ),
            Format::Text => println!("Destroyed {app}/{stage}."),
        }
        Ok(())
    })
}
