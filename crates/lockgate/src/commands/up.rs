//! `lockgate up [DIR]`: the developer loop. A server in the foreground with
//! its data under DIR/.lockgate, the app deployed to stage `dev` through the
//! same HTTP client `deploy` uses, then redeployed on every saved change.

use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use super::deploy::{Prepared, Summary, deploy, prepare, print_summary};
use super::server::{init_tracing, shutdown_signal};
use super::{Format, StageArgs};
use crate::client::{Client, ClientError, Endpoint};
use lockgate_server::{Server, ServerOptions};

/// Arguments of `lockgate up`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The app's directory (default: the current directory).
    pub dir: Option<PathBuf>,
    /// The address of the server's HTTP API (default: 127.0.0.1 on a free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// The stage to deploy to.
    #[arg(long, short = 's', default_value = "dev")]
    pub stage: String,
    /// The app name (default: samconfig.toml's stack_name, else the directory's name).
    #[arg(long)]
    pub app: Option<String>,
    /// The template, relative to DIR (default: template.yaml, template.yml, then template.json).
    #[arg(long, short = 't')]
    pub template: Option<PathBuf>,
    /// Parameter values, as for `deploy`.
    #[arg(long = "parameter-overrides", num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    /// Deploy once, print the URLs, then stop the server and exit.
    #[arg(long)]
    pub once: bool,
    /// Output format of each deploy's summary.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub output: Format,
    /// Honour the functions' DeploymentPreference (canary, linear, hooks,
    /// alarms) as a stage of `lockgate server` does; by default the dev loop
    /// moves aliases all at once, as `sam sync` skips CodeDeploy.
    #[arg(long = "traffic-shifting")]
    pub traffic_shifting: bool,
    #[command(flatten)]
    pub time: super::server::TimeScaleArg,
}

/// Path components whose changes never trigger a redeploy.
const IGNORED: &[&str] = &[
    ".lockgate",
    ".git",
    "target",
    "node_modules",
    "__pycache__",
    ".aws-sam",
];

/// Whether a change at `path` (under `root`) should trigger a redeploy.
pub fn is_relevant(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let ignored = rel.components().any(|c| match c {
        Component::Normal(n) => {
            let n = n.to_string_lossy();
            IGNORED.contains(&n.as_ref())
        }
        _ => false,
    });
    if ignored {
        return false;
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // Editors' swap, backup and temporary files.
    !(name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with(".pyc")
        || name.starts_with(".#")
        || name == "4913")
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    init_tracing();
    super::run_async(args.output, up(args))
}

async fn up(args: Args) -> Result<(), ClientError> {
    let output = args.output;
    let cwd = super::current_dir()?;
    let dir = match &args.dir {
        Some(d) => cwd.join(d),
        None => cwd,
    };
    if !dir.is_dir() {
        return Err(ClientError::Usage(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| ClientError::Usage(format!("cannot resolve {}: {e}", dir.display())))?;
    let target = StageArgs {
        stage: args.stage.clone(),
        app: args.app.clone(),
        template: args.template.clone(),
        config_file: None,
        stack: None,
    };
    // Check what can be checked before starting anything.
    let first = prepare(&target, &args.parameter_overrides, &dir, true)?;

    // Lockgate's own directory, which code packing always leaves out.
    let data_dir = dir.join(lockgate_artifact::NEVER_PACKED);
    let mut opts = ServerOptions::new(data_dir.clone());
    opts.listen = args.listen.clone().unwrap_or_else(|| "127.0.0.1:0".into());
    opts.clock = args.time.clock().map_err(ClientError::Usage)?;
    opts.shifting = if args.traffic_shifting {
        lockgate_server::rollout::Shifting::Honour
    } else {
        let dev = lockgate_server::rollout::StageRef::parse(&first.app, &first.stage)
            .map_err(|e| ClientError::Usage(e.to_string()))?;
        lockgate_server::rollout::Shifting::AllAtOnceOn(vec![dev])
    };
    let server = Server::start(opts).await.map_err(|e| {
        ClientError::Server(format!(
            "cannot start the server with data under {}: {e}",
            data_dir.display()
        ))
    })?;
    let token_file = server.token_file();
    let token = std::fs::read_to_string(&token_file).map(|t| t.trim().to_string());
    let token = match token {
        Ok(t) => t,
        Err(e) => {
            server.shutdown().await;
            return Err(ClientError::Server(format!(
                "cannot read the admin token {}: {e}",
                token_file.display()
            )));
        }
    };
    let client = Client::new(Endpoint {
        url: server.url(),
        token: Some(token),
        source: "lockgate up".into(),
    })?;
    if output == Format::Text {
        eprintln!(
            "Lockgate server on {} (data in {}, admin token in {})",
            server.url(),
            data_dir.display(),
            token_file.display()
        );
        if let Some(why) = server.isolation_note() {
            eprintln!(
                "warning: functions are not isolated from each other or from the server ({why})"
            );
        }
        if args.traffic_shifting {
            eprintln!("Traffic shifting on: releases follow each function's DeploymentPreference.");
        } else {
            eprintln!(
                "Traffic shifting off on {}: aliases move to new versions all at once, as `sam \
                 sync` does (--traffic-shifting honours each DeploymentPreference there too).",
                first.stage
            );
        }
        if let Some(n) = args.time.notice() {
            eprintln!("{n}");
        }
    }

    let first_result = tokio::select! {
        r = deploy(&client, &first, output) => Some(r),
        _ = shutdown_signal() => None,
    };
    let Some(first_result) = first_result else {
        server.shutdown().await;
        return Ok(());
    };
    let first_failed = match first_result {
        Ok(s) => {
            print_summary(&s, output);
            None
        }
        Err(e) => Some(e),
    };
    if args.once {
        server.shutdown().await;
        return first_failed.map_or(Ok(()), Err);
    }
    if let Some(e) = &first_failed {
        // Reported now; `up` keeps watching, so the exit code is not this one.
        let _ = super::finish(output, Err(clone_err(e)));
    }

    let result = watch_loop(&client, &target, &args.parameter_overrides, &dir, output).await;
    if output == Format::Text {
        eprintln!("Stopping…");
    }
    server.shutdown().await;
    result
}

fn clone_err(e: &ClientError) -> ClientError {
    match e {
        ClientError::Unreachable(m) => ClientError::Unreachable(m.clone()),
        ClientError::Server(m) => ClientError::Server(m.clone()),
        ClientError::Usage(m) => ClientError::Usage(m.clone()),
        ClientError::Refused {
            status,
            code,
            message,
            diagnostics,
        } => ClientError::Refused {
            status: *status,
            code: code.clone(),
            message: message.clone(),
            diagnostics: diagnostics.clone(),
        },
    }
}

/// Watches `dir` and redeploys after each burst of relevant changes, until stopped.
async fn watch_loop(
    client: &Client,
    target: &StageArgs,
    overrides: &[String],
    dir: &Path,
    output: Format,
) -> Result<(), ClientError> {
    let (tx, mut rx) = mpsc::unbounded_channel::<PathBuf>();
    let root = dir.to_path_buf();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res {
            if matches!(ev.kind, EventKind::Access(_)) {
                return;
            }
            for p in ev.paths {
                if is_relevant(&root, &p) {
                    // The loop that receives has ended: `up` is stopping.
                    let _ = tx.send(p);
                }
            }
        }
    })
    .map_err(|e| ClientError::Server(format!("cannot watch {}: {e}", dir.display())))?;
    watcher
        .watch(dir, RecursiveMode::Recursive)
        .map_err(|e| ClientError::Server(format!("cannot watch {}: {e}", dir.display())))?;
    if output == Format::Text {
        eprintln!("Watching {} for changes; Ctrl-C to stop.", dir.display());
    }
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        let first = tokio::select! {
            p = rx.recv() => p,
            _ = &mut stop => return Ok(()),
        };
        let Some(first) = first else {
            return Ok(());
        };
        // Debounce: wait for ~100 ms of quiet.
        let mut changed = vec![first];
        loop {
            tokio::select! {
                p = tokio::time::timeout(Duration::from_millis(100), rx.recv()) => match p {
                    Ok(Some(p)) => changed.push(p),
                    Ok(None) | Err(_) => break,
                },
                _ = &mut stop => return Ok(()),
            }
        }
        changed.sort();
        changed.dedup();
        if output == Format::Text {
            let names: Vec<String> = changed
                .iter()
                .take(3)
                .map(|p| p.strip_prefix(dir).unwrap_or(p).display().to_string())
                .collect();
            let more = if changed.len() > 3 {
                format!(" and {} more", changed.len() - 3)
            } else {
                String::new()
            };
            eprintln!("Changed: {}{more}; redeploying…", names.join(", "));
        }
        let prepared: Result<Prepared, ClientError> = prepare(target, overrides, dir, true);
        let outcome: Result<Summary, ClientError> = match prepared {
            Ok(p) => tokio::select! {
                r = deploy(client, &p, output) => r,
                _ = &mut stop => return Ok(()),
            },
            Err(e) => Err(e),
        };
        match outcome {
            Ok(s) => print_summary(&s, output),
            Err(e) => {
                // Reported now; `up` keeps watching, so the exit code is not this one.
                let _ = super::finish(output, Err(e));
                if output == Format::Text {
                    eprintln!("The previous version keeps serving; fix and save to retry.");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_state_vcs_build_and_editor_files() {
        let root = Path::new("/app");
        assert!(is_relevant(root, Path::new("/app/template.yaml")));
        assert!(is_relevant(root, Path::new("/app/src/hello.py")));
        assert!(!is_relevant(root, Path::new("/app/.lockgate/state.db-wal")));
        assert!(!is_relevant(root, Path::new("/app/.git/index")));
        assert!(!is_relevant(root, Path::new("/app/src/__pycache__/x.pyc")));
        assert!(!is_relevant(root, Path::new("/app/node_modules/a/b.js")));
        assert!(!is_relevant(root, Path::new("/app/target/debug/x")));
        assert!(!is_relevant(root, Path::new("/app/src/.hello.py.swp")));
    }
}
