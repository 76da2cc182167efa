//! Java functions: our bootstrap (`java/lockgate/runtime/*.java`), compiled
//! with the stand-in for `aws-lambda-java-core` and part of
//! `aws-lambda-java-events` (`lockgate-java`), and how the JVM is started.
//!
//! `javac` takes a second or two, so the bootstrap is compiled once per
//! runtime directory and JDK: into `<runtime_dir>/java-<fingerprint>/classes`,
//! where the fingerprint covers the embedded sources and the JDK
//! (its installation and major version). It is compiled into a temporary
//! directory renamed into place, under a process-wide lock, so concurrent
//! launches never see half a compilation; a second runtime directory of the
//! same process (every stage of a server has one) copies the classes
//! compiled for the first instead of running `javac` again.
//!
//! The JVM is started as Lambda starts it for a quick cold start (C1 only,
//! the serial collector, class-data sharing), its heap sized from the
//! function's memory, with Lambda's classpath: the bootstrap (with the
//! stand-in API), the code root (`/var/task`), `/var/task/lib/*`, jars at
//! the code root, and each layer's `java/lib/*` (Lambda's `/opt/java/lib/*`).

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use lockgate_java::Source;

use crate::config::{FunctionConfig, Runtime, RuntimeOptions};
use crate::error::CloudError;

/// The bootstrap's sources (package `lockgate.runtime`).
pub const BOOTSTRAP: &[Source] = &[
    Source {
        path: "lockgate/runtime/Bootstrap.java",
        text: include_str!("java/lockgate/runtime/Bootstrap.java"),
    },
    Source {
        path: "lockgate/runtime/Handler.java",
        text: include_str!("java/lockgate/runtime/Handler.java"),
    },
    Source {
        path: "lockgate/runtime/Json.java",
        text: include_str!("java/lockgate/runtime/Json.java"),
    },
    Source {
        path: "lockgate/runtime/LambdaContext.java",
        text: include_str!("java/lockgate/runtime/LambdaContext.java"),
    },
    Source {
        path: "lockgate/runtime/Mapper.java",
        text: include_str!("java/lockgate/runtime/Mapper.java"),
    },
    Source {
        path: "lockgate/runtime/RuntimeApi.java",
        text: include_str!("java/lockgate/runtime/RuntimeApi.java"),
    },
];

/// The bootstrap's main class.
pub const MAIN_CLASS: &str = "lockgate.runtime.Bootstrap";

/// Where a sandboxed instance sees the compiled bootstrap.
pub const SANDBOX_CLASSES: &str = "/var/runtime/java";

/// `javac`'s options for the bootstrap: string concatenation compiled
/// inline rather than through `invokedynamic`, whose method handles cost
/// about a fifth of the bootstrap's start (measured: ~110 ms of CPU per
/// cold start down to ~85 ms, of which ~42 ms is the bare JVM).
const JAVAC_ARGS: &[&str] = &["-XDstringConcat=inline"];

/// Every source compiled into the bootstrap's classes: the stand-in API and the bootstrap.
pub fn sources() -> Vec<Source> {
    lockgate_java::API
        .iter()
        .chain(BOOTSTRAP)
        .copied()
        .collect()
}

/// The JDK that runs Java functions: `java` and the `javac` of the same
/// installation (or on `PATH`), or why there is none.
pub fn jdk(opts: &RuntimeOptions) -> Result<(PathBuf, PathBuf), String> {
    let java = opts.java.clone();
    if lockgate_java::major_version(&java).is_none() {
        return Err(format!(
            "no runnable `{}` (install a JDK, e.g. Debian's default-jdk-headless)",
            java.display()
        ));
    }
    let javac = lockgate_java::javac_of(&java).ok_or_else(|| {
        format!(
            "`{}` has no `javac` beside it or on PATH to compile Lockgate's Java bootstrap \
             (install a JDK, not only a JRE: e.g. Debian's default-jdk-headless)",
            java.display()
        )
    })?;
    Ok((java, javac))
}

/// `f` as it can run here: a Java function on a machine without a JDK
/// becomes [`Runtime::Unavailable`] (it deploys, and its invocations
/// answer `Runtime.Unavailable` saying why); anything else is unchanged.
pub fn runnable(mut f: FunctionConfig, opts: &RuntimeOptions) -> FunctionConfig {
    if let Runtime::Java { name } = &f.runtime
        && let Err(reason) = jdk(opts)
    {
        f.runtime = Runtime::Unavailable {
            name: name.clone(),
            reason,
        };
    }
    f
}

/// The compiled bootstrap for the JDK of `opts`, in its runtime directory:
/// compiled (or copied from another runtime directory of this process) the
/// first time it is asked for.
pub fn classes(opts: &RuntimeOptions) -> Result<PathBuf, CloudError> {
    static COMPILED: OnceLock<Mutex<HashMap<String, PathBuf>>> = OnceLock::new();
    let bad = |message: String| CloudError::BadFunction {
        function: "(Java bootstrap)".into(),
        message,
    };
    let (java, javac) = jdk(opts).map_err(bad)?;
    let home = lockgate_java::java_home(&java).unwrap_or_else(|| java.clone());
    let major = lockgate_java::major_version(&java).unwrap_or(0);
    let sources = sources();
    let fingerprint = lockgate_java::fingerprint(
        &sources,
        &[
            &home.to_string_lossy(),
            &major.to_string(),
            &JAVAC_ARGS.join(" "),
        ],
    );
    let dir = opts.runtime_dir.join(format!("java-{fingerprint}"));
    let classes = dir.join("classes");
    let main = classes.join(format!("{}.class", MAIN_CLASS.replace('.', "/")));
    let compiled = COMPILED.get_or_init(Mutex::default);
    let mut compiled = compiled.lock().unwrap_or_else(|e| e.into_inner());
    if main.is_file() {
        compiled.entry(fingerprint).or_insert(classes.clone());
        return Ok(classes);
    }
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CloudError::Io { path, source }
    };
    std::fs::create_dir_all(&opts.runtime_dir).map_err(io(&opts.runtime_dir))?;
    let tmp = opts.runtime_dir.join(format!(
        ".java-{fingerprint}.{}.{}",
        std::process::id(),
        fastrand::u64(..)
    ));
    let done = (|| {
        let tmp_classes = tmp.join("classes");
        match compiled.get(&fingerprint).filter(|c| c.is_dir()) {
            Some(from) => copy_tree(from, &tmp_classes)?,
            None => lockgate_java::compile(&javac, &sources, &[], JAVAC_ARGS, &tmp_classes)
                .map_err(|e| bad(format!("cannot compile Lockgate's Java bootstrap: {e}")))?,
        }
        if dir.exists() {
            // A directory without the main class is what an interrupted
            // process left: replaced.
            std::fs::remove_dir_all(&dir).map_err(io(&dir))?;
        }
        match std::fs::rename(&tmp, &dir) {
            Ok(()) => Ok(()),
            // Another process placed the same classes first.
            Err(_) if main.is_file() => Ok(()),
            Err(e) => Err(io(&dir)(e)),
        }
    })();
    if tmp.exists() {
        // Best effort: a leftover temporary directory only costs space.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    done?;
    compiled.insert(fingerprint, classes.clone());
    Ok(classes)
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), CloudError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CloudError::Io { path, source }
    };
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let entry = entry.map_err(io(from))?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().map_err(io(&src))?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).map_err(io(&src))?;
        }
    }
    Ok(())
}

/// The JVM's arguments for an instance of `f` as it sees itself (its code
/// and layers at the paths it sees them, `classes` the bootstrap's, `tmp`
/// its temporary directory).
pub fn jvm_args(f: &FunctionConfig, classes: &Path, tmp: &Path) -> Vec<OsString> {
    // Lambda gives the heap about 85% of the function's memory.
    let heap_mb = (u64::from(f.memory_mb) * 85 / 100).max(16);
    let mut classpath: Vec<PathBuf> = vec![
        classes.to_path_buf(),
        f.code_dir.clone(),
        f.code_dir.join("lib/*"),
        f.code_dir.join("*"),
    ];
    classpath.extend(f.layers.iter().map(|l| l.join("java/lib/*")));
    let mut joined = OsString::new();
    for (i, p) in classpath.iter().enumerate() {
        if i > 0 {
            joined.push(":");
        }
        joined.push(p);
    }
    let mut args: Vec<OsString> = [
        "-XX:+TieredCompilation",
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
        "-Xshare:auto",
        "-XX:-UsePerfData",
        "-Djava.net.preferIPv4Stack=true",
        "-Dfile.encoding=UTF-8",
    ]
    .iter()
    .map(OsString::from)
    .collect();
    args.push(format!("-Xmx{heap_mb}m").into());
    let mut tmpdir = OsString::from("-Djava.io.tmpdir=");
    tmpdir.push(tmp);
    args.push(tmpdir);
    args.push("-cp".into());
    args.push(joined);
    args.push(MAIN_CLASS.into());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jvm_starts_with_lambdas_classpath_and_flags() {
        let mut f = FunctionConfig::new(
            "J",
            Runtime::Java {
                name: "java17".into(),
            },
            "example.App::handleRequest",
            "/var/task",
        );
        f.memory_mb = 512;
        f.layers = vec!["/opt/layer-1".into(), "/opt/layer-2".into()];
        let args = jvm_args(&f, Path::new(SANDBOX_CLASSES), Path::new("/tmp"));
        let args: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let cp = &args[args.iter().position(|a| a == "-cp").unwrap() + 1];
        assert_eq!(
            cp,
            "/var/runtime/java:/var/task:/var/task/lib/*:/var/task/*:/opt/layer-1/java/lib/*:/opt/layer-2/java/lib/*"
        );
        assert!(args.contains(&"-Xmx435m".to_string()), "{args:?}");
        assert!(args.contains(&"-XX:TieredStopAtLevel=1".to_string()));
        assert!(args.contains(&"-Djava.io.tmpdir=/tmp".to_string()));
        assert_eq!(args.last().unwrap(), MAIN_CLASS);
    }

    #[test]
    fn every_bootstrap_source_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bootstrap/java/lockgate/runtime");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                format!(
                    "lockgate/runtime/{}",
                    e.unwrap().file_name().to_string_lossy()
                )
            })
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = BOOTSTRAP.iter().map(|s| s.path.to_string()).collect();
        assert_eq!(embedded, on_disk);
    }

    #[test]
    fn without_a_jdk_java_functions_are_unavailable() {
        let opts = RuntimeOptions {
            java: PathBuf::from("/nonexistent/bin/java"),
            ..RuntimeOptions::default()
        };
        let f = FunctionConfig::new(
            "J",
            Runtime::Java {
                name: "java21".into(),
            },
            "a.B",
            "/code",
        );
        match runnable(f, &opts).runtime {
            Runtime::Unavailable { name, reason } => {
                assert_eq!(name, "java21");
                assert!(reason.contains("/nonexistent/bin/java"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
