//! `lockgate buildspec run`: run a CodeBuild `buildspec.yml` (version 0.2)
//! in a fresh, sandboxed workspace (see `lockgate_build::buildspec`).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use lockgate_build::buildspec::{
    self, BuildRun, PhaseEvent, PhaseStatus, RunOptions, SpecError, StaticSecrets,
};
use serde_json::json;

use super::build::{Output, Progress, Sandbox};

/// `lockgate buildspec …`
#[derive(Debug, clap::Subcommand)]
pub enum BuildspecCommand {
    /// Run a buildspec: exit 0 when the build SUCCEEDED, 1 when it FAILED
    /// (or timed out), 2 when the buildspec cannot be read.
    Run(RunArgs),
}

/// Arguments of `lockgate buildspec run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// The buildspec (default: buildspec.yml in the source directory).
    pub file: Option<PathBuf>,
    /// The source directory, copied into a fresh working copy (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub source: Option<PathBuf>,
    /// Where the primary artifact's files go, as CodeBuild would upload them;
    /// secondary artifacts go in sub-folders named by their identifier.
    #[arg(long = "artifacts-dir", value_name = "DIR")]
    pub artifacts_dir: Option<PathBuf>,
    /// An environment variable for the build (overrides the buildspec's `variables`).
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,
    /// A parameter-store value: `NAME=VALUE` (the build's `env.parameter-store` reads these).
    #[arg(long = "parameter", value_name = "NAME=VALUE")]
    pub parameters: Vec<String>,
    /// A secrets-manager secret: `SECRET_ID=VALUE` (the build's `env.secrets-manager` reads these).
    #[arg(long = "secret", value_name = "ID=VALUE")]
    pub secrets: Vec<String>,
    /// Let commands use the network (off by default).
    #[arg(long)]
    pub network: bool,
    /// The build's time limit, in minutes (CodeBuild's default: 60).
    #[arg(long, default_value_t = 60, value_name = "MINUTES")]
    pub timeout: u64,
    /// Neither restore nor save the buildspec's `cache`.
    #[arg(long = "no-cache")]
    pub no_cache: bool,
    /// The build cache (default: $LOCKGATE_CACHE_DIR, else ~/.cache/lockgate/build).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Sandbox the commands with bubblewrap.
    #[arg(long, value_enum, default_value_t = Sandbox::Auto, env = "LOCKGATE_SANDBOX")]
    pub sandbox: Sandbox,
    /// Output format (with json the log is not streamed; its path is in the document).
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// Runs `lockgate buildspec …`.
pub fn run(cmd: BuildspecCommand) -> ExitCode {
    match cmd {
        BuildspecCommand::Run(args) => run_buildspec(args),
    }
}

fn pairs(items: &[String], flag: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|s| {
            s.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("{flag} `{s}`: expected NAME=VALUE"))
        })
        .collect()
}

fn unreadable(output: Output, e: &SpecError) -> ExitCode {
    match output {
        Output::Json => {
            let problems = match e {
                SpecError::Invalid { file, problems } => {
                    problems.iter().map(|p| json!({"file": file, "line": p.line, "column": p.column, "message": p.message})).collect()
                }
                SpecError::Io { .. } => Vec::new(),
            };
            println!("{}", serde_json::to_string_pretty(&json!({"error": {"kind": "buildspec", "message": e.to_string(), "problems": problems}})).unwrap_or_default());
        }
        Output::Text => eprintln!("{e}"),
    }
    ExitCode::from(2)
}

fn run_buildspec(args: RunArgs) -> ExitCode {
    let source = args.source.clone().unwrap_or_else(|| PathBuf::from("."));
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| source.join("buildspec.yml"));
    let parsed = match buildspec::read(&file) {
        Ok(p) => p,
        Err(e) => return unreadable(args.output, &e),
    };
    let (env, params, secrets) = match (
        pairs(&args.env, "--env"),
        pairs(&args.parameters, "--parameter"),
        pairs(&args.secrets, "--secret"),
    ) {
        (Ok(a), Ok(b), Ok(c)) => (a, b, c),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let warnings: Vec<String> = parsed
        .warnings
        .iter()
        .map(|w| {
            format!(
                "{}:{}:{}: {}",
                parsed.spec.file, w.line, w.column, w.message
            )
        })
        .collect();
    let mut opts = RunOptions::new(&source);
    opts.artifacts_dir = args.artifacts_dir.clone();
    opts.cache_dir = args.cache_dir.clone();
    opts.use_cache = !args.no_cache;
    opts.env = env;
    opts.secrets = Some(Arc::new(StaticSecrets {
        parameters: params.into_iter().collect(),
        secrets: secrets.into_iter().collect(),
    }));
    opts.timeout = Duration::from_secs(args.timeout * 60);
    opts.network = args.network;
    opts.sandbox = args.sandbox.into();
    let text = args.output == Output::Text;
    let progress = Progress::new();
    if text {
        let p = progress.clone();
        opts.log = Some(Arc::new(move |l: &lockgate_build::LogLine| {
            match l.stream {
                lockgate_build::Stream::System => p.println(&format!("[Container] {}", l.text)),
                lockgate_build::Stream::Output => p.println(&l.text),
            }
        }));
        let p = progress.clone();
        opts.events = Some(Arc::new(move |e: &PhaseEvent| match e.status {
            None => p.start(e.phase, e.phase.to_string()),
            Some(_) => p.finish(e.phase, String::new()),
        }));
    }
    let run = match buildspec::run(&parsed.spec, &warnings, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    match args.output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&run).unwrap_or_default()),
        Output::Text => print!("{}", summary(&run)),
    }
    if run.status == PhaseStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The summary printed after a build.
pub fn summary(r: &BuildRun) -> String {
    let mut out = format!(
        "\nBuild {} (#{}): {} in {:.2} s\n",
        r.id,
        r.number,
        r.status.as_str(),
        r.duration.as_secs_f64()
    );
    for p in &r.phases {
        out.push_str(&format!(
            "  {:<17} {:<10} {:>8.2} s\n",
            p.phase,
            p.status.as_str(),
            p.duration.as_secs_f64()
        ));
    }
    for a in &r.artifacts {
        out.push_str(&format!(
            "Artifact {}: {} file{}, sha256:{}{}\n",
            a.identifier.as_deref().unwrap_or("primary"),
            a.files.len(),
            if a.files.len() == 1 { "" } else { "s" },
            a.digest,
            a.directory
                .as_ref()
                .map(|d| format!(" in {}", d.display()))
                .unwrap_or_default()
        ));
    }
    for s in &r.reports {
        out.push_str(&format!(
            "Report {}: {} ({} tests: {} succeeded, {} failed, {} error, {} skipped)\n",
            s.group,
            s.status(),
            s.total,
            s.succeeded,
            s.failed,
            s.error,
            s.skipped
        ));
        for f in &s.failures {
            out.push_str(&format!(
                "  {} {}.{}: {}\n",
                f.status, f.suite, f.name, f.message
            ));
        }
    }
    for (k, v) in &r.exported_variables {
        out.push_str(&format!("Exported {k}={v}\n"));
    }
    if let Some(note) = &r.sandbox_note {
        out.push_str(&format!("warning: {note}\n"));
    }
    out.push_str(&format!("Log: {}\n", r.log.display()));
    out
}
