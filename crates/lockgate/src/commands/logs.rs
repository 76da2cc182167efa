//! `lockgate logs`: a function's log lines on a stage; `--follow` keeps
//! printing new lines until stopped.

use std::io::Write;
use std::process::ExitCode;

use lockgate_api::{LogLine, LogsQuery};

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
        let on_line = |l: &LogLine| {
            let mut out = stdout.lock();
            let written = match output {
                // ndjson: one record per line, so a follower can read as they come.
                Format::Json => writeln!(out, "{}", serde_json::to_string(l).unwrap_or_default()),
                Format::Text => {
                    let line = l.line.trim_end_matches('\n');
                    // With every function's lines mixed, say whose each one is.
                    if all && !l.function.is_empty() {
                        writeln!(out, "[{}] {line}", l.function)
                    } else {
                        writeln!(out, "{line}")
                    }
                }
            };
            // Stop when stdout is gone (`lockgate logs -f | head`).
            written.and_then(|()| out.flush()).is_ok()
        };
        let query = LogsQuery {
            since: args.since,
            follow: args.follow,
        };
        client
            .logs(&app, &stage, args.function.as_deref(), &query, on_line)
            .await
    })
}
