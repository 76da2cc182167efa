//! `lockgate build`: build a template's functions and layers as `sam build`
//! does, into `.aws-sam/build/` (see `lockgate-build`).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use lockgate_build::{
    BuildError, BuildEvent, BuildOptions, BuildReport, Built, EventSink, Kind, SandboxMode,
};
use serde_json::{Value, json};

/// Output format of the build verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Output {
    /// Human-readable text.
    #[default]
    Text,
    /// One JSON document on stdout.
    Json,
}

/// The sandbox mode, as a flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Sandbox {
    /// Sandbox with bubblewrap when it runs here, else run unsandboxed and say so.
    Auto,
    /// Refuse to build without the sandbox.
    Required,
    /// Never sandbox (a clean environment only).
    Off,
}

impl From<Sandbox> for SandboxMode {
    fn from(s: Sandbox) -> SandboxMode {
        match s {
            Sandbox::Auto => SandboxMode::Auto,
            Sandbox::Required => SandboxMode::Required,
            Sandbox::Off => SandboxMode::Off,
        }
    }
}

/// Arguments of `lockgate build`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Functions or layers to build (default: all; a function's layers are built with it).
    #[arg(value_name = "FUNCTION")]
    pub functions: Vec<String>,
    /// The template (default: template.yaml, template.yml, then template.json in the current directory).
    #[arg(long, short = 't')]
    pub template: Option<PathBuf>,
    /// Reuse builds whose inputs are unchanged and cached dependencies (the default).
    #[arg(long = "use-cache", overrides_with = "no_cache")]
    pub use_cache: bool,
    /// Build everything afresh: no reused builds, dependencies or download caches.
    #[arg(long = "no-cache", overrides_with = "use_cache")]
    pub no_cache: bool,
    /// Where results go (default: .aws-sam/build beside the template).
    #[arg(long = "build-dir", short = 'b', value_name = "DIR")]
    pub build_dir: Option<PathBuf>,
    /// The build cache (default: $LOCKGATE_CACHE_DIR, else ~/.cache/lockgate/build).
    #[arg(long = "cache-dir", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Parameter values: `Key=Value` or `ParameterKey=Key,ParameterValue=Value`.
    #[arg(long = "parameter-overrides", num_args = 1.., value_name = "OVERRIDES")]
    pub parameter_overrides: Vec<String>,
    /// Sandbox build steps with bubblewrap.
    #[arg(long, value_enum, default_value_t = Sandbox::Auto, env = "LOCKGATE_SANDBOX")]
    pub sandbox: Sandbox,
    /// Time limit of one function's or layer's build, in seconds.
    #[arg(long, default_value_t = 1800, value_name = "SECONDS")]
    pub timeout: u64,
    /// Print every build's log lines as they come (on stderr).
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

fn template_path(given: &Option<PathBuf>) -> Result<PathBuf, String> {
    if let Some(p) = given {
        return Ok(p.clone());
    }
    ["template.yaml", "template.yml", "template.json"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            "no template given and none found: expected template.yaml, template.yml or template.json in the current directory (or pass --template)".into()
        })
}

/// A spinner per running build, on stderr when it is a terminal.
pub struct Progress {
    multi: MultiProgress,
    bars: Mutex<Vec<(String, ProgressBar)>>,
}

impl Progress {
    /// Progress on stderr (hidden when stderr is not a terminal).
    pub fn new() -> Arc<Progress> {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Arc::new(Progress {
            multi: MultiProgress::with_draw_target(target),
            bars: Mutex::new(Vec::new()),
        })
    }

    /// Starts a spinner.
    pub fn start(&self, key: &str, message: String) {
        let bar = self.multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.set_message(message);
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut b) = self.bars.lock() {
            b.push((key.to_string(), bar));
        }
    }

    /// Ends a spinner with a final line.
    pub fn finish(&self, key: &str, message: String) {
        if let Ok(mut b) = self.bars.lock()
            && let Some(i) = b.iter().position(|(k, _)| k == key)
        {
            let (_, bar) = b.remove(i);
            bar.finish_and_clear();
            if !message.is_empty() {
                self.println(&message);
            }
        }
    }

    /// The build events shown: a spinner per build that runs, ended by a
    /// `built …` (or `failed …`) line; builds taken from the cache show nothing.
    pub fn sink(self: &Arc<Self>) -> EventSink {
        let p = self.clone();
        Arc::new(move |e: &BuildEvent| match e {
            BuildEvent::Started {
                logical_ids,
                method,
            } => p.start(
                &logical_ids.join(","),
                format!("building {} ({method})", logical_ids.join(", ")),
            ),
            BuildEvent::Finished {
                logical_ids,
                cached: false,
                ok,
            } => p.finish(
                &logical_ids.join(","),
                format!(
                    "{} {}",
                    if *ok { "built" } else { "failed" },
                    logical_ids.join(", ")
                ),
            ),
            _ => {}
        })
    }

    /// Prints a line above the spinners (or plainly when hidden).
    pub fn println(&self, line: &str) {
        if self.multi.is_hidden() {
            eprintln!("{line}");
        } else {
            // Drawing failures only lose a progress line.
            let _ = self.multi.println(line);
        }
    }
}

/// The build a deploy makes (`deploy`, `plan` and `up` call it): when a
/// function or layer of `template` needs a build step, builds them all as
/// `lockgate build` does (unchanged ones from the cache) and answers the
/// report, whose built template is then what is deployed — so code with
/// dependencies runs on every stage, each stage getting the same digest.
/// `None` when the code deploys as it is, or when the template does not
/// load (the server then reports why, against the user's file).
pub fn for_deploy(
    template: &Path,
    parameters: &BTreeMap<String, String>,
) -> Result<Option<BuildReport>, String> {
    let overrides = lockgate_template::Overrides(
        parameters
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    );
    match lockgate_build::needs_build(template, &overrides) {
        Ok(true) => {}
        // Nothing to build, or a template that does not load: the server
        // reports why, against the user's file.
        Ok(false) | Err(_) => return Ok(None),
    }
    let mut opts = BuildOptions::new(template);
    opts.overrides = overrides;
    opts.events = Some(Progress::new().sink());
    match lockgate_build::build_template(&opts) {
        Ok(report) => {
            for w in &report.warnings {
                eprintln!("warning: {w}");
            }
            if let Some(note) = &report.sandbox_note {
                eprintln!("warning: {note}");
            }
            Ok(Some(report))
        }
        Err(e) => {
            let mut message = format!("the build failed: {e}");
            if let BuildError::StepFailed { tail, .. } = &e {
                for l in tail {
                    message.push_str(&format!("\n  | {l}"));
                }
            }
            Err(message)
        }
    }
}

/// Runs `lockgate build`.
pub fn run(args: Args) -> ExitCode {
    let template = match template_path(&args.template) {
        Ok(t) => t,
        Err(e) => return usage(args.output, &e),
    };
    let overrides = match lockgate_template::Overrides::parse_args(&args.parameter_overrides) {
        Ok(o) => o,
        Err(e) => return usage(args.output, &format!("--parameter-overrides: {e}")),
    };
    let mut opts = BuildOptions::new(&template);
    opts.only = args.functions.clone();
    opts.use_cache = !args.no_cache;
    opts.build_dir = args.build_dir.clone();
    opts.cache_dir = args.cache_dir.clone();
    opts.overrides = overrides;
    opts.sandbox = args.sandbox.into();
    opts.timeout = Duration::from_secs(args.timeout);
    let progress = Progress::new();
    if args.output == Output::Text {
        opts.events = Some(progress.sink());
    }
    if args.verbose {
        let p = progress.clone();
        opts.log = Some(Arc::new(move |l: &lockgate_build::LogLine| {
            p.println(&format!("[{}] {}", l.source, l.text))
        }));
    }
    match lockgate_build::build_template(&opts) {
        Ok(report) => {
            match args.output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report_json(&report)).unwrap_or_default()
                ),
                Output::Text => print!("{}", report_text(&report)),
            }
            ExitCode::SUCCESS
        }
        Err(e) => failure(args.output, &e),
    }
}

fn usage(output: Output, message: &str) -> ExitCode {
    match output {
        Output::Json => println!(
            "{}",
            serde_json::to_string_pretty(&json!({"error": {"kind": "usage", "message": message}}))
                .unwrap_or_default()
        ),
        Output::Text => eprintln!("error: {message}"),
    }
    ExitCode::from(2)
}

fn failure(output: Output, e: &BuildError) -> ExitCode {
    let (kind, code) = match e {
        BuildError::UnknownNames { .. } => ("usage", 2),
        BuildError::Template(_) => ("template", 1),
        BuildError::StepFailed { .. } => ("build", 1),
        BuildError::Resource { .. } => ("resource", 1),
        BuildError::SandboxUnavailable(_) => ("sandbox", 1),
        _ => ("io", 1),
    };
    match output {
        Output::Json => {
            let mut err = json!({"kind": kind, "message": e.to_string()});
            if let BuildError::StepFailed {
                logical_id,
                step,
                tail,
                log,
                ..
            } = e
            {
                err["logicalId"] = json!(logical_id);
                err["step"] = json!(step);
                err["logTail"] = json!(tail);
                err["log"] = json!(log.display().to_string());
            }
            if let BuildError::Template(lockgate_template::LoadError::Invalid(d)) = e {
                err["diagnostics"] = d.to_json();
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({"error": err})).unwrap_or_default()
            );
        }
        Output::Text => match e {
            BuildError::Template(lockgate_template::LoadError::Invalid(d)) => {
                eprint!("{}", d.render_plain(100))
            }
            BuildError::StepFailed { tail, .. } => {
                eprintln!("error: {e}");
                for l in tail {
                    eprintln!("  | {l}");
                }
            }
            _ => eprintln!("error: {e}"),
        },
    }
    ExitCode::from(code)
}

fn secs(d: Duration) -> f64 {
    (d.as_secs_f64() * 1000.0).round() / 1000.0
}

fn item_json(b: &Built) -> Value {
    json!({
        "logicalId": b.logical_id,
        "runtime": b.runtime,
        "method": b.method,
        "digest": b.digest.to_hex(),
        "size": b.zipped_bytes,
        "unzippedSize": b.unzipped_bytes,
        "cached": b.cached,
        "duration": secs(b.duration),
        "sharedWith": b.shared_with,
        "directory": b.directory.display().to_string(),
        "sizeWarning": b.size_warning,
    })
}

/// The JSON document of `lockgate build --output json`.
pub fn report_json(r: &BuildReport) -> Value {
    let of = |k: Kind| {
        r.built
            .iter()
            .filter(|b| b.kind == k)
            .map(item_json)
            .collect::<Vec<_>>()
    };
    json!({
        "template": r.template.display().to_string(),
        "buildDir": r.build_dir.display().to_string(),
        "builtTemplate": r.built_template.display().to_string(),
        "functions": of(Kind::Function),
        "layers": of(Kind::Layer),
        "skipped": r.skipped,
        "warnings": r.warnings,
        "sandboxed": r.sandboxed,
        "duration": secs(r.duration),
    })
}

fn size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

/// The text of `lockgate build`.
pub fn report_text(r: &BuildReport) -> String {
    let mut out = String::new();
    let cached = r.built.iter().filter(|b| b.cached).count();
    let cwd = std::env::current_dir().unwrap_or_default();
    let shown = |p: &std::path::Path| p.strip_prefix(&cwd).unwrap_or(p).display().to_string();
    let count = |k: Kind, one: &str, many: &str| {
        let n = r.built.iter().filter(|b| b.kind == k).count();
        format!("{n} {}", if n == 1 { one } else { many })
    };
    out.push_str(&format!(
        "Built {} and {} in {:.2} s ({cached} unchanged) into {}\n",
        count(Kind::Function, "function", "functions"),
        count(Kind::Layer, "layer", "layers"),
        r.duration.as_secs_f64(),
        shown(&r.build_dir)
    ));
    let mut rows = vec![
        ["logical ID", "runtime", "digest", "size", "cached", "time"]
            .map(String::from)
            .to_vec(),
    ];
    for b in &r.built {
        let mut time = format!("{:.2} s", b.duration.as_secs_f64());
        if let Some(s) = &b.shared_with {
            time = format!("(built with {s})");
        }
        rows.push(vec![
            b.logical_id.clone(),
            b.runtime.clone().unwrap_or_default(),
            b.digest.short(),
            size(b.zipped_bytes),
            if b.cached { "yes" } else { "no" }.into(),
            time,
        ]);
    }
    let widths: Vec<usize> = (0..6)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut line = String::from(" ");
        for (i, cell) in row.iter().enumerate() {
            line.push(' ');
            line.push_str(cell);
            if i + 1 < row.len() {
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 1,
                ));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    for s in &r.skipped {
        out.push_str(&format!("Not built: {} ({})\n", s.logical_id, s.reason));
    }
    for w in &r.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&format!("Built template: {}\n", shown(&r.built_template)));
    out
}
