//! `lockgate local invoke` and `lockgate local start-api`: the template
//! served as a deployed stage serves it (`lockgate_server::local`), from an
//! ephemeral state, with code run in place.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use lockgate_cloud::{ApiKind, InvokeError, InvokeRequest, LogLine, LogSink};
use lockgate_server::local::{LocalOptions, LocalStage};

use crate::client::ClientError;

/// A problem of a local run: always on this side, exit code 1.
fn local_error(message: impl Into<String>) -> ClientError {
    ClientError::Usage(message.into())
}

/// The `local` verbs.
#[derive(Debug, clap::Subcommand)]
pub enum LocalCommand {
    /// Run one invocation of a function and print its response (logs go to stderr).
    Invoke(InvokeArgs),
    /// Serve the template's API routes and the Lambda Invoke API until stopped.
    StartApi(StartApiArgs),
}

/// Options shared by the `local` verbs.
#[derive(Debug, clap::Args)]
pub struct TemplateArgs {
    /// The template (default: .aws-sam/build/template.yaml when `lockgate build` made one, as
    /// `sam local` does; else template.yaml, then template.yml, then template.json).
    #[arg(short, long)]
    pub template: Option<PathBuf>,
    /// Parameter values: KEY=VALUE (or ParameterKey=K,ParameterValue=V), several allowed.
    #[arg(long, num_args = 1..)]
    pub parameter_overrides: Vec<String>,
    /// The region functions see.
    #[arg(long, env = "AWS_REGION", default_value = lockgate_cloud::DEFAULT_REGION)]
    pub region: String,
}

/// Arguments of `lockgate local invoke`.
#[derive(Debug, clap::Args)]
pub struct InvokeArgs {
    /// The function's logical ID (optional when the template has one function).
    pub function: Option<String>,
    /// The event: a JSON file, or `-` for stdin (default: `{}`).
    #[arg(short, long)]
    pub event: Option<PathBuf>,
    #[command(flatten)]
    pub template: TemplateArgs,
}

/// Arguments of `lockgate local start-api`.
#[derive(Debug, clap::Args)]
pub struct StartApiArgs {
    /// The port to listen on.
    #[arg(short, long, default_value_t = 3000)]
    pub port: u16,
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    #[command(flatten)]
    pub template: TemplateArgs,
}

/// Runs the verb.
pub fn run(cmd: LocalCommand) -> ExitCode {
    // Fails only when a subscriber is already installed, which then serves.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&local_error(format!("cannot start the async runtime: {e}"))),
    };
    let result = rt.block_on(async move {
        match cmd {
            LocalCommand::Invoke(args) => invoke(args).await,
            LocalCommand::StartApi(args) => start_api(args).await,
        }
    });
    result.unwrap_or_else(|e| fail(&e))
}

fn fail(e: &ClientError) -> ExitCode {
    e.report();
    ExitCode::from(e.exit_code())
}

fn stderr_sink() -> LogSink {
    Arc::new(|line: &LogLine<'_>| {
        let mut err = std::io::stderr().lock();
        // A log line that cannot reach a closed stderr has nowhere else to go.
        let _ = writeln!(err, "{}", line.line);
    })
}

/// The default template of a directory: `template.yaml`, then `template.yml`, then `template.json`.
pub fn default_template(dir: &Path) -> Option<PathBuf> {
    ["template.yaml", "template.yml", "template.json"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Serves the template as a stage serves it, on `host:port`.
async fn start_local(
    args: &TemplateArgs,
    host: &str,
    port: u16,
) -> Result<LocalStage, ClientError> {
    let template = match &args.template {
        Some(t) => t.clone(),
        None => {
            let cwd = super::current_dir()?;
            // As `sam local` does: what `lockgate build` made, when it is there.
            let built = cwd.join(".aws-sam/build/template.yaml");
            if built.is_file() {
                eprintln!(
                    "using the built template .aws-sam/build/template.yaml (run `lockgate build` after changing the code, or pass --template)"
                );
                built
            } else {
                default_template(&cwd).ok_or_else(|| {
                    local_error(
                        "no template.yaml, template.yml or template.json here; pass --template",
                    )
                })?
            }
        }
    };
    let parameters = lockgate_template::Overrides::parse_args(&args.parameter_overrides)
        .map_err(|e| local_error(format!("--parameter-overrides: {e}")))?
        .0
        .into_iter()
        .collect();
    let opts = LocalOptions {
        template,
        parameters,
        region: args.region.clone(),
        host: host.to_string(),
        port,
    };
    let local = LocalStage::start(&opts, stderr_sink())
        .await
        .map_err(|e| local_error(e.to_string()))?;
    for w in local.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(local)
}

async fn invoke(args: InvokeArgs) -> Result<ExitCode, ClientError> {
    let payload = match &args.event {
        None => b"{}".to_vec(),
        Some(p) if p.as_os_str() == "-" => {
            let mut buf = Vec::new();
            if std::io::stdin().is_terminal() {
                eprintln!("reading the event from stdin (end with Ctrl-D)");
            }
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| local_error(format!("reading stdin: {e}")))?;
            buf
        }
        Some(p) => std::fs::read(p).map_err(|e| local_error(format!("{}: {e}", p.display())))?,
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&payload) {
        return Err(local_error(format!("the event is not JSON: {e}")));
    }
    let local = start_local(&args.template, "127.0.0.1", 0).await?;
    let Some(cloud) = local.cloud().await else {
        local.shutdown().await;
        return Err(local_error(
            "the template has no function that runs locally",
        ));
    };
    let names: Vec<String> = cloud
        .functions()
        .filter(|(_, f)| f.config().version == "$LATEST")
        .map(|(k, _)| k.to_string())
        .collect();
    let function = match args.function {
        Some(f) => f,
        None if names.len() == 1 => names[0].clone(),
        None => {
            local.shutdown().await;
            return Err(local_error(format!(
                "the template has {} functions; name one: {}",
                names.len(),
                names.join(", ")
            )));
        }
    };
    if cloud.target_key(&function).is_none() {
        local.shutdown().await;
        return Err(local_error(format!(
            "no function named `{function}`; available: {}",
            if names.is_empty() {
                "(none)".into()
            } else {
                names.join(", ")
            }
        )));
    }
    let outcome = cloud
        .invoke(
            &function,
            InvokeRequest {
                payload: payload.into(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| local_error(e.to_string()));
    drop(cloud);
    local.shutdown().await;
    match outcome? {
        Ok(o) => {
            let mut out = std::io::stdout().lock();
            out.write_all(&o.body)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| local_error(format!("writing the response: {e}")))?;
            Ok(if o.function_error.is_some() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(InvokeError::Throttled) => Err(local_error("throttled")),
        Err(InvokeError::Start(m)) => Err(local_error(m)),
    }
}

async fn start_api(args: StartApiArgs) -> Result<ExitCode, ClientError> {
    let local = start_local(&args.template, &args.host, args.port).await?;
    let (Some(cloud), Some(base)) = (local.cloud().await, local.url().map(str::to_string)) else {
        local.shutdown().await;
        return Err(local_error(
            "the template has no function that runs locally",
        ));
    };
    let list = lockgate_cloud::gateway::RouteTable::new(cloud.apis()).list();
    if list.is_empty() {
        eprintln!("warning: the template has no API routes; only the Lambda Invoke API is served");
    }
    for (method, path, function, kind) in list {
        let kind = if kind == ApiKind::Rest {
            "REST"
        } else {
            "HTTP"
        };
        println!("Mounted {function} at {base}{path} [{method}] ({kind} API)");
    }
    println!("Lambda Invoke API: {base}/2015-03-31/functions/{{name}}/invocations");
    println!("Running on {base}/ (Ctrl-C to stop)");
    // stdout is a pipe for tools that wait for the lines above.
    std::io::stdout()
        .flush()
        .map_err(|e| local_error(format!("writing to stdout: {e}")))?;
    drop(cloud);
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| local_error(format!("cannot wait for Ctrl-C: {e}")))?;
    eprintln!("stopping");
    local.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
