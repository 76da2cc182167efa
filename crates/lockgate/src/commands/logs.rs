//! `lockgate logs`: a function's log lines on a stage; `--follow` keeps
//! printing new lines until stopped.

use std::io::Write;
use std::process::ExitCode;

use serde_json::Value;

use super::{Common, Format, StageArgs};
use crate::client::Client;

/// Arguments of `lockgate logs`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The function's logical ID (as in the template) or physical name; all the stage's functions when left out.
    pub function: Option<String>,
    #[command(flatten)]
    pub target: StageArgs,
    /// Keep the stream open and print new lines as they are written.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Start after this cursor (as printed with `--output json`).
    #[arg(long, value_name = "CURSOR")]
    pub since: Option<u64>,
    #[command(flatten)]
    pub common: Common,
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let (app, stage) = args.target.app_and_stage()?;
        let client = Client::discover(&args.common.connect)?;
        let stdout = std::io::stdout();
        let all = args.function.is_none();
        let on_line = |v: &Value| {
            let mut out = stdout.lock();
            let written = match output {
                // ndjson: one record per line, so a follower can read as they come.
                Format::Json => writeln!(out, "{v}"),
                Format::Text => {
                    let line = v
                        .get("line")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string());
                    let line = line.trim_end_matches('\n');
                    // With every function's lines mixed, say whose each one is.
                    match v.get("function").and_then(Value::as_str) {
                        Some(f) if all && !f.is_empty() => writeln!(out, "[{f}] {line}"),
                        _ => writeln!(out, "{line}"),
                    }
                }
            };
            // Stop when stdout is gone (`lockgate logs -f | head`).
            written.and_then(|()| out.flush()).is_ok()
        };
        client
            .logs(
                &app,
                &stage,
                args.function.as_deref(),
                args.since,
                args.follow,
                on_line,
            )
            .await
    })
}
