//! `lockgate local invoke` and `lockgate local start-api`: thin wrappers
//! over `lockgate-cloud`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use lockgate_cloud::load::{self, LoadOptions};
use lockgate_cloud::{
    ApiKind, Cloud, CloudConfig, Gateway, InvokeError, InvokeRequest, LogLine, LogSink,
    RuntimeOptions,
};

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
    /// The template (default: template.yaml, then template.yml, then template.json).
    #[arg(short, long)]
    pub template: Option<PathBuf>,
    /// Parameter values: KEY=VALUE (or ParameterKey=K,ParameterValue=V), several allowed.
    #[arg(long, num_args = 1..)]
    pub parameter_overrides: Vec<String>,
    /// The region functions see.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1")]
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
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .try_init();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    let result = rt.block_on(async move {
        match cmd {
            LocalCommand::Invoke(args) => invoke(args).await,
            LocalCommand::StartApi(args) => start_api(args).await,
        }
    });
    result.unwrap_or_else(|e| fail(&e))
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

fn stderr_sink() -> LogSink {
    Arc::new(|line: &LogLine<'_>| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "{}", line.line);
    })
}

fn load_config(args: &TemplateArgs) -> Result<CloudConfig, String> {
    let template = match &args.template {
        Some(t) => t.clone(),
        None => {
            let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
            load::default_template(&cwd)
                .ok_or("no template.yaml, template.yml or template.json here; pass --template")?
        }
    };
    let mut opts = LoadOptions::new(template);
    opts.region = args.region.clone();
    opts.parameters = lockgate_template::Overrides::parse_args(&args.parameter_overrides)
        .map_err(|e| format!("--parameter-overrides: {e}"))?
        .0
        .into_iter()
        .collect();
    let (out, _) = load::load_template(&opts).map_err(|e| e.to_string())?;
    for w in &out.warnings {
        eprintln!("warning: {w}");
    }
    Ok(out.config)
}

fn start_cloud(config: CloudConfig) -> Result<Arc<Cloud>, String> {
    let cloud =
        Cloud::new(config, RuntimeOptions::default(), stderr_sink()).map_err(|e| e.to_string())?;
    for w in cloud.warnings() {
        eprintln!("warning: {w}");
    }
    Ok(cloud)
}

async fn invoke(args: InvokeArgs) -> Result<ExitCode, String> {
    let config = load_config(&args.template)?;
    let names: Vec<String> = config.functions.iter().map(|f| f.name.clone()).collect();
    let function = match args.function {
        Some(f) => f,
        None if names.len() == 1 => names[0].clone(),
        None => {
            return Err(format!(
                "the template has {} functions; name one: {}",
                names.len(),
                names.join(", ")
            ));
        }
    };
    if !names.contains(&function) {
        return Err(format!(
            "no function named `{function}`; available: {}",
            if names.is_empty() {
                "(none)".into()
            } else {
                names.join(", ")
            }
        ));
    }
    let payload = match &args.event {
        None => b"{}".to_vec(),
        Some(p) if p.as_os_str() == "-" => {
            let mut buf = Vec::new();
            if std::io::stdin().is_terminal() {
                eprintln!("reading the event from stdin (end with Ctrl-D)");
            }
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("reading stdin: {e}"))?;
            buf
        }
        Some(p) => std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?,
    };
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&payload) {
        return Err(format!("the event is not JSON: {e}"));
    }
    let cloud = start_cloud(config)?;
    let outcome = cloud
        .invoke(
            &function,
            InvokeRequest {
                payload: payload.into(),
                ..Default::default()
            },
        )
        .await
        .map_err(|e| e.to_string())?;
    cloud.shutdown();
    match outcome {
        Ok(o) => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&o.body);
            let _ = out.write_all(b"\n");
            Ok(if o.function_error.is_some() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(InvokeError::Throttled) => Err("throttled".into()),
        Err(InvokeError::Start(m)) => Err(m),
    }
}

async fn start_api(args: StartApiArgs) -> Result<ExitCode, String> {
    let config = load_config(&args.template)?;
    let cloud = start_cloud(config)?;
    let addr = format!("{}:{}", args.host, args.port);
    let gateway = Gateway::start(cloud.clone(), &addr, stderr_sink())
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", gateway.addr());
    let list = gateway.routes();
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
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    eprintln!("stopping");
    gateway.stop().await;
    cloud.shutdown();
    Ok(ExitCode::SUCCESS)
}
