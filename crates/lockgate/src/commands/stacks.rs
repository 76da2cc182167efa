//! `lockgate stacks`: every app and its stages on the server.

use std::process::ExitCode;

use lockgate_api::AppSummary;

use super::{Common, Format, pretty, table};
use crate::client::Client;

/// Arguments of `lockgate stacks`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Also list deleted stacks (status DELETE_COMPLETE).
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    let output = args.common.output;
    super::run_async(output, async move {
        let client = Client::discover(&args.common.connect)?;
        let apps = client.apps().await?;
        // Said on every listing: a team must not take isolation for granted.
        if let Ok(lockgate_api::Health {
            unisolated: Some(why),
            ..
        }) = client.health().await
        {
            eprintln!("warning: functions on this server are not isolated ({why})");
        }
        match output {
            Format::Json => println!("{}", pretty(&apps)),
            Format::Text => print!("{}", render(&apps, args.all)),
        }
        Ok(())
    })
}

/// The text table of `GET /v1/apps`; deleted stacks only with `all`.
pub fn render(apps: &[AppSummary], all: bool) -> String {
    let mut rows = Vec::new();
    for a in apps {
        for s in &a.stages {
            if !all && s.status == "DELETE_COMPLETE" {
                continue;
            }
            rows.push(vec![
                a.app.clone(),
                s.stage.clone(),
                s.status.clone(),
                s.version.to_string(),
                utc_time(s.updated_at),
                s.url.clone().unwrap_or_default(),
            ]);
        }
    }
    if rows.is_empty() {
        return "No stacks deployed.\n".into();
    }
    table(
        &["App", "Stage", "Status", "Version", "Updated", "URL"],
        &rows,
    )
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM:SS` UTC.
pub fn utc_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc() {
        assert_eq!(utc_time(0), "1970-01-01 00:00:00");
        assert_eq!(utc_time(1_795_000_000_000), "2026-11-18 11:06:40");
        assert_eq!(utc_time(951_782_400_000), "2000-02-29 00:00:00");
    }
}
