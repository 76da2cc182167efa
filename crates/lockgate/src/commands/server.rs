//! `lockgate server`: the long-running server in the foreground, until
//! Ctrl-C or SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use lockgate_server::{Server, ServerOptions, default_data_dir};

/// Arguments of `lockgate server`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where the server keeps its state, artifacts, admin token and server.json
    /// (default: $LOCKGATE_DATA_DIR, else $XDG_DATA_HOME/lockgate, else ~/.local/share/lockgate).
    #[arg(long = "data-dir", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The address of the HTTP API (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:4610", value_name = "ADDR")]
    pub listen: String,
    #[command(flatten)]
    pub time: TimeScaleArg,
}

/// `--time-scale N`: how fast release time runs.
#[derive(Debug, Clone, clap::Args)]
pub struct TimeScaleArg {
    /// Run release time N times faster: deployment waits, alarm periods and
    /// hook timeouts (60: a minute is a second), for demos and tests.
    #[arg(
        long = "time-scale",
        env = "LOCKGATE_TIME_SCALE",
        default_value_t = 1.0,
        value_name = "N"
    )]
    pub time_scale: f64,
}

impl TimeScaleArg {
    /// The clock, or the usage error naming the flag.
    pub fn clock(&self) -> Result<lockgate_server::rollout::Clock, String> {
        lockgate_server::rollout::Clock::new(self.time_scale)
            .map_err(|e| format!("--time-scale: {e}"))
    }

    /// The line that says the scale is on, when it is.
    pub fn notice(&self) -> Option<String> {
        (self.time_scale != 1.0).then(|| {
            format!(
                "Time scale {}: release waits, alarm periods and hook timeouts run {} times faster \
                 (a minute takes {:.1} s).",
                self.time_scale,
                self.time_scale,
                60.0 / self.time_scale
            )
        })
    }
}

/// Sets up logging for the in-process server (RUST_LOG, default `warn`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Fails only when a subscriber is already installed, which then serves.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter)
        .try_init();
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

/// Runs the verb.
pub fn run(args: Args) -> ExitCode {
    init_tracing();
    let rt = match super::runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    rt.block_on(async move {
        let data_dir = args.data_dir.unwrap_or_else(default_data_dir);
        let mut opts = ServerOptions::new(data_dir.clone());
        opts.listen = args.listen.clone();
        opts.clock = match args.time.clock() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(1);
            }
        };
        let server = match Server::start(opts).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!(
                    "error: cannot start the server (data dir {}, listen {}): {e}",
                    data_dir.display(),
                    args.listen
                );
                return ExitCode::from(2);
            }
        };
        println!("Lockgate server listening on {}", server.url());
        println!("Admin token: {}", server.token_file().display());
        println!("Data: {}", data_dir.display());
        if let Some(why) = server.isolation_note() {
            eprintln!(
                "warning: functions are not isolated from each other or from the server ({why})"
            );
        }
        if let Some(n) = args.time.notice() {
            println!("{n}");
        }
        println!("Stop with Ctrl-C.");
        shutdown_signal().await;
        eprintln!("Stopping…");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}
