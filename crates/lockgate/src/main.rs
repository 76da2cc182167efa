//! The `lockgate` command line: argument parsing and dispatch only; every
//! verb is a thin call into the library crates or the server's HTTP API.

mod client;
mod commands;
mod package;
mod samconfig;

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
    /// Run the long-running server: HTTP API, stage gateways, parameter store, scheduler.
    Server(commands::server::Args),
    /// The developer loop: a server in the foreground, the app deployed to `dev` and redeployed on every save.
    Up(commands::up::Args),
    /// Deploy a template to a stage, showing each resource's progress.
    Deploy(commands::deploy::Args),
    /// Show the change set a deploy to a stage would apply.
    Plan(commands::plan::Args),
    /// Delete a stage's stack and all its resources.
    Destroy(commands::destroy::Args),
    /// List apps and their stages on the server.
    Stacks(commands::stacks::Args),
    /// Show a stage's stack outputs and URLs.
    Outputs(commands::outputs::Args),
    /// Manage the parameter store (SSM-like: String, StringList, SecureString).
    #[command(subcommand)]
    Params(commands::params::ParamsCommand),
    /// Print a function's logs on a stage.
    Logs(commands::logs::Args),
    /// List releases (alias traffic shifts) of the app, newest first.
    Deployments(commands::deployments::ListArgs),
    /// Show, promote or abort one release.
    #[command(subcommand)]
    Deployment(commands::deployments::DeploymentCommand),
    /// Stop a function's release in progress: all its traffic back on the old version.
    Rollback(commands::deployments::RollbackArgs),
    /// Build a template's functions and layers into .aws-sam/build, as `sam build` does.
    Build(commands::build::Args),
    /// Run a CodeBuild buildspec.yml in a fresh, sandboxed workspace.
    #[command(subcommand)]
    Buildspec(commands::buildspec::BuildspecCommand),
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate(args) => commands::validate::run(args),
        Command::Transform(args) => commands::transform::run(args),
        Command::Local(cmd) => commands::local::run(cmd),
        Command::Server(args) => commands::server::run(args),
        Command::Up(args) => commands::up::run(args),
        Command::Deploy(args) => commands::deploy::run(args),
        Command::Plan(args) => commands::plan::run(args),
        Command::Destroy(args) => commands::destroy::run(args),
        Command::Stacks(args) => commands::stacks::run(args),
        Command::Outputs(args) => commands::outputs::run(args),
        Command::Params(cmd) => commands::params::run(cmd),
        Command::Logs(args) => commands::logs::run(args),
        Command::Deployments(args) => commands::deployments::list(args),
        Command::Deployment(cmd) => commands::deployments::run(cmd),
        Command::Rollback(args) => commands::deployments::rollback(args),
        Command::Build(args) => commands::build::run(args),
        Command::Buildspec(cmd) => commands::buildspec::run(cmd),
    }
}

/// Rust ignores SIGPIPE, so `println!` into a closed pipe (`lockgate … | head`)
/// would panic; restore the default, under which the process ends quietly as
/// other command-line tools do.
fn restore_sigpipe() {
    // SAFETY: setting a signal's disposition to SIG_DFL at start, before any
    // thread exists, has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
