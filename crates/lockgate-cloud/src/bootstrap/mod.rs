//! How each runtime is started: our embedded Python, Node, Ruby and Java
//! bootstraps, the interpreters the machine has, and the Lambda environment.

pub mod java;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use crate::config::{FunctionConfig, Runtime, RuntimeOptions};
use crate::error::CloudError;
use crate::instance::Launch;

/// The Python bootstrap, written to the runtime dir.
pub const PYTHON_BOOTSTRAP: &str = include_str!("python.py");
/// The Node bootstrap, written to the runtime dir.
pub const NODE_BOOTSTRAP: &str = include_str!("node.cjs");
/// The Ruby bootstrap, written to the runtime dir.
pub const RUBY_BOOTSTRAP: &str = include_str!("ruby.rb");

const PYTHON_FILE: &str = "lockgate_bootstrap.py";
const NODE_FILE: &str = "lockgate_bootstrap.cjs";
const RUBY_FILE: &str = "lockgate_bootstrap.rb";

/// The gate program of sandboxes made ahead of need, in the runtime
/// directory (see `lockgate_sandbox::GATE_PROGRAM`).
pub const GATE_FILE: &str = "lockgate-gate";

/// Writes the bootstraps and the gate program into `dir` (created if needed). A file that
/// already holds the right text is left alone (every redeploy calls this),
/// and a changed one is replaced by a rename, so an instance starting at
/// that moment never reads a half-written bootstrap.
pub fn install(dir: &Path) -> Result<(), CloudError> {
    use std::os::unix::fs::PermissionsExt;
    let io = |source| CloudError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    for (name, bytes, mode) in [
        (PYTHON_FILE, PYTHON_BOOTSTRAP.as_bytes(), 0o644),
        (NODE_FILE, NODE_BOOTSTRAP.as_bytes(), 0o644),
        (RUBY_FILE, RUBY_BOOTSTRAP.as_bytes(), 0o644),
        (GATE_FILE, lockgate_sandbox::GATE_PROGRAM, 0o755),
    ] {
        let path = dir.join(name);
        if std::fs::read(&path).is_ok_and(|have| have == bytes) {
            continue;
        }
        let tmp = dir.join(format!(".{name}.{}", std::process::id()));
        std::fs::write(&tmp, bytes)
            .and_then(|()| std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode)))
            .and_then(|()| std::fs::rename(&tmp, &path))
            .map_err(|source| {
                // Tidying the temp file is best effort: the error that matters is `source`.
                let _ = std::fs::remove_file(&tmp);
                CloudError::Io { path, source }
            })?;
    }
    Ok(())
}

/// The `major.minor` of the interpreter a runtime needs (`python3.12` → `3.12`, `nodejs20.x` → `20`).
pub fn wanted_version(runtime: &Runtime) -> Option<String> {
    match runtime {
        Runtime::Python { name } => name.strip_prefix("python").map(str::to_string),
        Runtime::Node { name } => name
            .strip_prefix("nodejs")
            .map(|v| v.trim_end_matches(".x").to_string()),
        Runtime::Ruby { name } => name.strip_prefix("ruby").map(str::to_string),
        Runtime::Java { name } => lockgate_java::runtime_major(name).map(|v| v.to_string()),
        Runtime::Provided { .. } | Runtime::Unavailable { .. } => None,
    }
}

/// The interpreter's real executable (`sys.executable` / `process.execPath`),
/// so that instances skip wrappers such as pyenv's shims, which cost
/// 100+ ms a start (for Java: `java` with its symlinks resolved, in its
/// installation's `bin`).
pub fn real_interpreter(runtime: &Runtime, opts: &RuntimeOptions) -> Option<PathBuf> {
    let (program, args): (&Path, &[&str]) = match runtime {
        Runtime::Java { .. } => {
            let java = lockgate_java::java_home(&opts.java)?.join("bin/java");
            return java.is_file().then_some(java);
        }
        Runtime::Python { .. } => (&opts.python, &["-c", "import sys;print(sys.executable)"]),
        Runtime::Node { .. } => (&opts.node, &["-p", "process.execPath"]),
        Runtime::Ruby { .. } => (&opts.ruby, &["-e", "print RbConfig.ruby"]),
        Runtime::Provided { .. } | Runtime::Unavailable { .. } => return None,
    };
    let path = PathBuf::from(ask(program, args)?);
    (path.is_absolute() && path.is_file()).then_some(path)
}

/// What `program args` prints (trimmed), when it succeeds. Answers are
/// kept for the process's life while the program's file is unchanged
/// (same modification time): every redeploy of a stage asks, and starting
/// an interpreter costs tens of milliseconds.
fn ask(program: &Path, args: &[&str]) -> Option<String> {
    type Answers = HashMap<(PathBuf, Vec<String>), (Option<SystemTime>, Option<String>)>;
    static ANSWERS: OnceLock<Mutex<Answers>> = OnceLock::new();
    let key = (
        program.to_path_buf(),
        args.iter().map(|a| a.to_string()).collect(),
    );
    let stamp = std::fs::metadata(program).and_then(|m| m.modified()).ok();
    let answers = ANSWERS.get_or_init(Mutex::default);
    if let Some((at, answer)) = answers.lock().unwrap_or_else(|e| e.into_inner()).get(&key)
        && *at == stamp
        && answer.is_some()
    {
        return answer.clone();
    }
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .ok()?;
    let answer = out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string());
    answers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, (stamp, answer.clone()));
    answer
}

/// Asks an interpreter for its version (`3.11` for Python, `20` for Node,
/// `17` for Java).
pub fn interpreter_version(runtime: &Runtime, opts: &RuntimeOptions) -> Option<String> {
    let (program, args): (&Path, &[&str]) = match runtime {
        Runtime::Java { .. } => {
            return lockgate_java::major_version(&opts.java).map(|v| v.to_string());
        }
        Runtime::Python { .. } => (
            &opts.python,
            &["-c", "import sys;print('%d.%d' % sys.version_info[:2])"],
        ),
        Runtime::Node { .. } => (&opts.node, &["-p", "process.versions.node.split('.')[0]"]),
        Runtime::Ruby { .. } => (&opts.ruby, &["-e", "print RUBY_VERSION[/\\A\\d+\\.\\d+/]"]),
        Runtime::Provided { .. } | Runtime::Unavailable { .. } => return None,
    };
    ask(program, args)
}

/// A warning when the machine's interpreter differs from the runtime's, or
/// an error when there is none. The interpreter is asked once per process
/// (see `ask`), so calling this for every function of a stage is cheap.
pub fn check_interpreter(
    f: &FunctionConfig,
    opts: &RuntimeOptions,
) -> Result<Option<String>, CloudError> {
    if let Runtime::Unavailable { name, reason } = &f.runtime {
        return Ok(Some(format!(
            "function {}: runtime {name} cannot run on this machine ({reason}): it deploys, \
             and invoking it answers Runtime.Unavailable",
            f.name
        )));
    }
    let Some(wanted) = wanted_version(&f.runtime) else {
        return Ok(None);
    };
    let program = match f.runtime {
        Runtime::Python { .. } => &opts.python,
        Runtime::Ruby { .. } => &opts.ruby,
        Runtime::Java { .. } => &opts.java,
        _ => &opts.node,
    };
    version_verdict(f, program, &wanted, interpreter_version(&f.runtime, opts))
}

fn version_verdict(
    f: &FunctionConfig,
    program: &Path,
    wanted: &str,
    have: Option<String>,
) -> Result<Option<String>, CloudError> {
    match have {
        None => Err(CloudError::BadFunction {
            function: f.name.clone(),
            message: format!(
                "runtime {} needs `{}`, which is not runnable on this machine",
                f.runtime.identifier(),
                program.display()
            ),
        }),
        Some(have) if have != wanted => Ok(Some(format!(
            "function {}: runtime {} runs on the local {} {have}",
            f.name,
            f.runtime.identifier(),
            program.display()
        ))),
        Some(_) => Ok(None),
    }
}

/// Where a sandboxed instance sees its code (Lambda's `LAMBDA_TASK_ROOT`).
pub const TASK_ROOT: &str = "/var/task";
/// Where a sandboxed instance sees our bootstraps (Lambda's `LAMBDA_RUNTIME_DIR`).
pub const RUNTIME_ROOT: &str = "/var/runtime";

/// Builds how an instance of `f` is started. Sandboxed, the instance sees
/// the paths Lambda gives it: its code at `/var/task`, the bootstraps at
/// `/var/runtime`, a single layer at `/opt` (several at `/opt/layer-1`,
/// `/opt/layer-2`… in order) and its own `/tmp`.
pub fn launch(
    f: &FunctionConfig,
    opts: &RuntimeOptions,
    region: &str,
    instance_tmp: &Path,
) -> Result<Launch, CloudError> {
    let bad = |message: String| CloudError::BadFunction {
        function: f.name.clone(),
        message,
    };
    if !f.code_dir.is_dir() {
        return Err(bad(format!(
            "code directory {} does not exist",
            f.code_dir.display()
        )));
    }
    // The `bootstrap` of a `provided` runtime: the code's, else a layer's.
    let provided = match &f.runtime {
        Runtime::Provided { .. } => {
            let found = std::iter::once(&f.code_dir)
                .chain(f.layers.iter())
                .position(|d| d.join("bootstrap").is_file());
            match found {
                Some(i) => Some(i),
                None => {
                    return Err(bad(format!(
                        "runtime {} needs an executable `bootstrap` in {} (or a layer)",
                        f.runtime.identifier(),
                        f.code_dir.display()
                    )));
                }
            }
        }
        _ => None,
    };
    // The compiled Java bootstrap (compiled the first time it is asked for).
    let java_classes = match f.runtime {
        Runtime::Java { .. } => Some(java::classes(opts).map_err(|e| match e {
            CloudError::BadFunction { message, .. } => bad(message),
            other => other,
        })?),
        _ => None,
    };
    if !opts.sandbox.is_sandboxed() {
        let java = java_classes.as_deref().map(|c| (c, instance_tmp));
        let (program, args) = command(f, opts, provided, java);
        return Ok(Launch {
            program,
            args,
            cwd: f.code_dir.clone(),
            env: environment(f, opts, region, instance_tmp),
            confined: None,
        });
    }
    // The same function and options as the instance sees them.
    let mut seen = f.clone();
    seen.code_dir = PathBuf::from(TASK_ROOT);
    seen.layers = (1..=f.layers.len())
        .map(|i| match f.layers.len() {
            1 => PathBuf::from("/opt"),
            _ => PathBuf::from(format!("/opt/layer-{i}")),
        })
        .collect();
    let mut seen_opts = opts.clone();
    seen_opts.runtime_dir = PathBuf::from(RUNTIME_ROOT);
    let java = java_classes
        .as_ref()
        .map(|_| (Path::new(java::SANDBOX_CLASSES), Path::new("/tmp")));
    let (program, args) = command(&seen, &seen_opts, provided, java);
    let env = environment(&seen, &seen_opts, region, Path::new("/tmp"));
    let mut mapped = vec![(f.code_dir.clone(), seen.code_dir.clone())];
    mapped.extend(f.layers.iter().cloned().zip(seen.layers.iter().cloned()));
    if let Some(classes) = java_classes {
        mapped.push((classes, PathBuf::from(java::SANDBOX_CLASSES)));
    }
    // Only the bootstrap this runtime runs.
    let bootstrap = match f.runtime {
        Runtime::Python { .. } => Some(PYTHON_FILE),
        Runtime::Node { .. } => Some(NODE_FILE),
        Runtime::Ruby { .. } => Some(RUBY_FILE),
        Runtime::Java { .. } | Runtime::Provided { .. } | Runtime::Unavailable { .. } => None,
    };
    if let Some(file) = bootstrap {
        mapped.push((
            opts.runtime_dir.join(file),
            seen_opts.runtime_dir.join(file),
        ));
    }
    let jail = jail(f, opts, &program, &env, mapped);
    // Wrapped at each start (`Launch::confined`).
    Ok(Launch {
        program,
        args,
        cwd: f.code_dir.clone(),
        env,
        confined: Some(crate::instance::Confined {
            sandbox: opts.sandbox.clone(),
            jail,
            gate: Some(opts.runtime_dir.join(GATE_FILE)),
        }),
    })
}

/// The program and arguments of an instance of `f`: the interpreter and
/// our bootstrap, or the `provided` bootstrap of the code (`Some(0)`) or
/// of layer `i` (`Some(i)`). `java` is where a Java instance sees the
/// compiled bootstrap and its temporary directory.
fn command(
    f: &FunctionConfig,
    opts: &RuntimeOptions,
    provided: Option<usize>,
    java: Option<(&Path, &Path)>,
) -> (PathBuf, Vec<std::ffi::OsString>) {
    match (&f.runtime, provided) {
        (Runtime::Java { .. }, _) => {
            let (classes, tmp) =
                java.unwrap_or((Path::new(java::SANDBOX_CLASSES), Path::new("/tmp")));
            (opts.java.clone(), java::jvm_args(f, classes, tmp))
        }
        (Runtime::Python { .. }, _) => (
            opts.python.clone(),
            vec![opts.runtime_dir.join(PYTHON_FILE).into_os_string()],
        ),
        (Runtime::Node { .. }, _) => (
            opts.node.clone(),
            vec![opts.runtime_dir.join(NODE_FILE).into_os_string()],
        ),
        (Runtime::Ruby { .. }, _) => (
            opts.ruby.clone(),
            vec![opts.runtime_dir.join(RUBY_FILE).into_os_string()],
        ),
        (Runtime::Provided { .. }, i) => {
            let dir = match i {
                Some(i) if i > 0 => &f.layers[i - 1],
                _ => &f.code_dir,
            };
            (dir.join("bootstrap"), Vec::new())
        }
        // Never started: its invocations answer Runtime.Unavailable.
        (Runtime::Unavailable { .. }, _) => (PathBuf::from("/bin/false"), Vec::new()),
    }
}

/// What an instance of `f` may see: its code, layers and our bootstraps at
/// Lambda's paths (`mapped`), its interpreter's installation and the
/// toolchains on its `PATH`, read-only; a fresh `/tmp` of `EphemeralStorage`
/// size; the network (as Lambda has it: loopback to the Runtime API and
/// Lockgate's AWS APIs, and outbound). Not the data directory, other
/// functions' code, the home directory or anything of the server.
fn jail(
    f: &FunctionConfig,
    opts: &RuntimeOptions,
    program: &Path,
    env: &[(String, String)],
    mapped: Vec<(PathBuf, PathBuf)>,
) -> lockgate_sandbox::Jail {
    let mut readable = Vec::new();
    // The interpreter's installation (`<prefix>/bin/python3` → `<prefix>`),
    // through a symlink too (a virtualenv's base).
    if !matches!(f.runtime, Runtime::Provided { .. }) {
        let resolved = std::fs::canonicalize(program).ok();
        for exe in std::iter::once(program).chain(resolved.as_deref()) {
            if let Some(prefix) = exe.parent().and_then(Path::parent) {
                readable.push(prefix.to_path_buf());
            }
        }
    }
    if let Some((_, path)) = env.iter().find(|(k, _)| k == "PATH") {
        for dir in lockgate_sandbox::toolchain_dirs(path.as_ref()) {
            // pyenv's shims need pyenv itself.
            if dir.ends_with(".pyenv/shims")
                && let Some(root) = dir.parent()
            {
                readable.push(root.to_path_buf());
            }
            readable.push(dir);
        }
    }
    // Never the home directory or the root as a whole.
    let home = std::env::var_os("HOME").map(PathBuf::from);
    readable.retain(|r| r.parent().is_some() && Some(r) != home.as_ref());
    let mut deny = opts.private_dirs.clone();
    deny.push(opts.runtime_dir.clone());
    if opts.hide_state_in_code {
        for (host, _) in &mapped {
            deny.extend(lockgate_artifact::state_dirs_under(host));
        }
        // The template's own `.lockgate` is a private directory already.
        deny.sort();
        deny.dedup();
    }
    lockgate_sandbox::Jail {
        readable,
        mapped,
        writable: Vec::new(),
        tmp: lockgate_sandbox::Tmp::Fresh(u64::from(f.ephemeral_storage_mb.max(1)) << 20),
        deny,
        network: true,
    }
}

/// The Lambda environment of an instance of `f`, the function's own
/// variables last (they win, as on Lambda, except for reserved names).
pub fn environment(
    f: &FunctionConfig,
    opts: &RuntimeOptions,
    region: &str,
    tmp: &Path,
) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = Vec::new();
    let mut set = |k: &str, v: String| env.push((k.to_string(), v));
    let parent_path = std::env::var("PATH").unwrap_or_default();
    // The machine's PATH first (its interpreters are the ones we checked),
    // then Lambda's defaults and the layers' `bin` directories (Lambda's /opt/bin).
    let mut dirs: Vec<String> = parent_path
        .split(':')
        .filter(|d| !d.is_empty())
        .map(str::to_string)
        .collect();
    for d in ["/usr/local/bin", "/usr/bin", "/bin"] {
        if !dirs.iter().any(|x| x == d) {
            dirs.push(d.to_string());
        }
    }
    dirs.extend(
        f.layers
            .iter()
            .map(|l| l.join("bin").to_string_lossy().into_owned()),
    );
    let path = dirs.join(":");
    set("PATH", path);
    set("LANG", "en_US.UTF-8".into());
    set("TZ", ":UTC".into());
    set("TMPDIR", tmp.to_string_lossy().into_owned());
    set("HOME", tmp.to_string_lossy().into_owned());
    set("_HANDLER", f.handler.clone());
    set(
        "LAMBDA_TASK_ROOT",
        f.code_dir.to_string_lossy().into_owned(),
    );
    set(
        "LAMBDA_RUNTIME_DIR",
        opts.runtime_dir.to_string_lossy().into_owned(),
    );
    set("AWS_LAMBDA_FUNCTION_NAME", f.name.clone());
    set("AWS_LAMBDA_FUNCTION_VERSION", f.version.clone());
    set("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", f.memory_mb.to_string());
    set(
        "AWS_LAMBDA_LOG_GROUP_NAME",
        format!("/aws/lambda/{}", f.name),
    );
    set("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name(&f.version));
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".into());
    set("AWS_REGION", region.to_string());
    set("AWS_DEFAULT_REGION", region.to_string());
    set(
        "AWS_EXECUTION_ENV",
        format!("AWS_Lambda_{}", f.runtime.identifier()),
    );
    match f.runtime {
        Runtime::Python { .. } => {
            set("PYTHONUNBUFFERED", "1".into());
            let mut paths: Vec<String> = f
                .layers
                .iter()
                .map(|l| l.join("python").to_string_lossy().into_owned())
                .collect();
            paths.push(f.code_dir.to_string_lossy().into_owned());
            set("PYTHONPATH", paths.join(":"));
        }
        Runtime::Node { .. } => {
            let mut paths: Vec<String> = f
                .layers
                .iter()
                .map(|l| l.join("nodejs/node_modules").to_string_lossy().into_owned())
                .collect();
            paths.push(
                f.code_dir
                    .join("node_modules")
                    .to_string_lossy()
                    .into_owned(),
            );
            set("NODE_PATH", paths.join(":"));
        }
        Runtime::Ruby { ref name } => {
            // Lambda's RUBYLIB and GEM_PATH: the code, then the layers'
            // `ruby/lib` and `ruby/gems/X.Y.0`.
            let version = format!("{}.0", name.trim_start_matches("ruby"));
            let mut lib: Vec<String> = vec![f.code_dir.to_string_lossy().into_owned()];
            lib.extend(
                f.layers
                    .iter()
                    .map(|l| l.join("ruby/lib").to_string_lossy().into_owned()),
            );
            set("RUBYLIB", lib.join(":"));
            let mut gems: Vec<String> = vec![
                f.code_dir
                    .join("vendor/bundle/ruby")
                    .join(&version)
                    .to_string_lossy()
                    .into_owned(),
            ];
            gems.extend(f.layers.iter().map(|l| {
                l.join("ruby/gems")
                    .join(&version)
                    .to_string_lossy()
                    .into_owned()
            }));
            set("GEM_PATH", gems.join(":"));
        }
        Runtime::Java { .. } | Runtime::Provided { .. } | Runtime::Unavailable { .. } => {}
    }
    // Credentials of the caller, as SAM CLI passes them.
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        if let Ok(v) = std::env::var(k) {
            set(k, v);
        }
    }
    const RESERVED: &[&str] = &[
        "_HANDLER",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    ];
    for (k, v) in &f.environment {
        if !RESERVED.contains(&k.as_str()) {
            env.retain(|(ek, _)| ek != k);
            env.push((k.clone(), v.clone()));
        }
    }
    env
}

/// A log stream name like Lambda's: `2024/01/31/[$LATEST]<32 hex>`.
fn log_stream_name(version: &str) -> String {
    let days = crate::timefmt::civil(SystemTime::now());
    format!(
        "{:04}/{:02}/{:02}/[{version}]{}",
        days.year,
        days.month,
        days.day,
        uuid::Uuid::new_v4().simple()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_identifiers() {
        assert_eq!(
            wanted_version(&Runtime::Python {
                name: "python3.12".into()
            })
            .as_deref(),
            Some("3.12")
        );
        assert_eq!(
            wanted_version(&Runtime::Node {
                name: "nodejs20.x".into()
            })
            .as_deref(),
            Some("20")
        );
        assert_eq!(
            wanted_version(&Runtime::Java {
                name: "java17".into()
            })
            .as_deref(),
            Some("17")
        );
        assert_eq!(
            wanted_version(&Runtime::Java {
                name: "java8.al2".into()
            })
            .as_deref(),
            Some("8")
        );
        assert_eq!(
            wanted_version(&Runtime::Provided {
                name: "provided.al2".into()
            }),
            None
        );
    }

    #[test]
    fn environment_is_lambdas() {
        let mut f = FunctionConfig::new(
            "Fn",
            Runtime::Python {
                name: "python3.12".into(),
            },
            "app.handler",
            "/code",
        );
        f.environment.insert("TZ".into(), "Europe/Paris".into());
        f.environment.insert("_HANDLER".into(), "evil".into());
        let env = environment(
            &f,
            &RuntimeOptions::default(),
            "eu-west-1",
            Path::new("/tmp/x"),
        );
        let get = |k: &str| env.iter().find(|(ek, _)| ek == k).map(|(_, v)| v.as_str());
        assert_eq!(get("_HANDLER"), Some("app.handler"));
        assert_eq!(get("TZ"), Some("Europe/Paris"));
        assert_eq!(get("AWS_REGION"), Some("eu-west-1"));
        assert_eq!(get("AWS_LAMBDA_LOG_GROUP_NAME"), Some("/aws/lambda/Fn"));
        assert_eq!(get("AWS_EXECUTION_ENV"), Some("AWS_Lambda_python3.12"));
        assert!(get("AWS_LAMBDA_LOG_STREAM_NAME").is_some_and(|s| s.contains("[$LATEST]")));
    }
}
