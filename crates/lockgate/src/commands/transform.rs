//! `lockgate transform`: print the CloudFormation template a SAM template becomes.

use std::process::ExitCode;

use lockgate_template::Diagnostics;

use super::validate::{TemplateArgs, UsageError, render_for_stderr};

/// Arguments of `lockgate transform`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub common: TemplateArgs,
}

/// Runs the verb: pretty JSON on stdout (intrinsics kept symbolic, NoEcho
/// values redacted), checking only what the SAM translator checks (`lockgate
/// validate` checks the rest); diagnostics on stderr and exit 1 on problems;
/// exit 2 on usage errors.
pub fn run(args: Args) -> ExitCode {
    let loaded = args.common.template_path().and_then(|path| {
        let opts = args.common.load_options()?;
        match lockgate_template::transform_file(&path, &opts) {
            Ok(t) => Ok(Ok(t)),
            Err(lockgate_template::LoadError::Invalid(d)) => Ok(Err(d)),
            Err(e @ lockgate_template::LoadError::Io { .. }) => Err(UsageError(e.to_string())),
        }
    });
    let result: Result<_, Diagnostics> = match loaded {
        Ok(r) => r,
        Err(UsageError(msg)) => {
            eprintln!("error: {msg}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(t) => match serde_json::to_string_pretty(&t.redacted()) {
            Ok(s) => {
                println!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot print the template: {e}");
                ExitCode::from(1)
            }
        },
        Err(d) => {
            eprint!("{}", render_for_stderr(&d));
            ExitCode::from(1)
        }
    }
}
