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
        println!("Stop with Ctrl-C.");
        shutdown_signal().await;
        eprintln!("Stopping…");
        server.shutdown().await;
        ExitCode::SUCCESS
    })
}
