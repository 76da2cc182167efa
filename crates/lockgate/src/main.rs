//! The `lockgate` command line: argument parsing and dispatch only; every
//! verb is a thin call into the library crates.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build, check, deploy, run and release serverless applications on one machine.
#[derive(Debug, Parser)]
#[command(name = "lockgate", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a SAM / CloudFormation template and report every problem found.
    Validate(commands::validate::Args),
    /// Print the CloudFormation template a SAM template becomes, as JSON.
    Transform(commands::transform::Args),
    /// Run functions and APIs straight from a template, as `sam local` does.
    #[command(subcommand)]
    Local(commands::local::LocalCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Transform(args) => commands::transform::run(args),
        Command::Local(cmd) => commands::local::run(cmd),
    }
}
