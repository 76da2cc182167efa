//! The Java side that Lockgate's runtime and builds share.
//!
//! Lambda's Java functions are compiled against `aws-lambda-java-core`
//! (`Context`, `RequestHandler`, `RequestStreamHandler`…) and often
//! `aws-lambda-java-events` (`APIGatewayProxyRequestEvent`…), jars from
//! Maven Central, which Lockgate cannot assume it can reach. This crate
//! holds a **stand-in** for them ([`API`]): Java sources with the same
//! packages, class names and method signatures (the interfaces of
//! `aws-lambda-java-core`, `LambdaRuntime.getLogger()`, and the events
//! classes `APIGatewayProxyRequestEvent`, `APIGatewayProxyResponseEvent`,
//! `APIGatewayV2HTTPEvent`, `APIGatewayV2HTTPResponse`, `SQSEvent` and
//! `ScheduledEvent` as POJOs), written in Java 8 so that code for every
//! Java runtime compiles against them. `lockgate-cloud` compiles them with
//! its bootstrap and puts them first on every Java function's classpath;
//! `lockgate-build` compiles functions against them.
//!
//! It also finds the machine's JDK: [`java_home`], [`javac_of`],
//! [`major_version`], and runs `javac` ([`compile`]).

use std::path::{Path, PathBuf};
use std::process::Command;

/// One embedded Java source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// Its path relative to the source root (`com/amazonaws/…/Context.java`).
    pub path: &'static str,
    /// Its text.
    pub text: &'static str,
}

macro_rules! sources {
    ($($path:literal),* $(,)?) => {
        &[$(Source { path: $path, text: include_str!(concat!("../java/", $path)) }),*]
    };
}

/// The stand-in for `aws-lambda-java-core` and part of
/// `aws-lambda-java-events` (see the crate's documentation).
pub const API: &[Source] = sources![
    "com/amazonaws/services/lambda/runtime/Client.java",
    "com/amazonaws/services/lambda/runtime/ClientContext.java",
    "com/amazonaws/services/lambda/runtime/CognitoIdentity.java",
    "com/amazonaws/services/lambda/runtime/Context.java",
    "com/amazonaws/services/lambda/runtime/LambdaLogger.java",
    "com/amazonaws/services/lambda/runtime/LambdaRuntime.java",
    "com/amazonaws/services/lambda/runtime/RequestHandler.java",
    "com/amazonaws/services/lambda/runtime/RequestStreamHandler.java",
    "com/amazonaws/services/lambda/runtime/logging/LogLevel.java",
    "com/amazonaws/services/lambda/runtime/events/APIGatewayProxyRequestEvent.java",
    "com/amazonaws/services/lambda/runtime/events/APIGatewayProxyResponseEvent.java",
    "com/amazonaws/services/lambda/runtime/events/APIGatewayV2HTTPEvent.java",
    "com/amazonaws/services/lambda/runtime/events/APIGatewayV2HTTPResponse.java",
    "com/amazonaws/services/lambda/runtime/events/Describe.java",
    "com/amazonaws/services/lambda/runtime/events/SQSEvent.java",
    "com/amazonaws/services/lambda/runtime/events/ScheduledEvent.java",
];

/// Maven coordinates (`groupId:artifactId`) the stand-in takes the place
/// of: a `pom.xml` naming them needs no jar.
pub const PROVIDED_ARTIFACTS: &[&str] = &[
    "com.amazonaws:aws-lambda-java-core",
    "com.amazonaws:aws-lambda-java-events",
];

/// Why `javac` did not compile.
#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    /// A file or directory could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `javac` could not be started.
    #[error("cannot run {}: {source}", javac.display())]
    Start {
        /// The compiler.
        javac: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `javac` ran and failed.
    #[error("{} failed ({status}): {output}", javac.display())]
    Failed {
        /// The compiler.
        javac: PathBuf,
        /// How it ended.
        status: String,
        /// What it printed.
        output: String,
    },
}

/// Writes `sources` under `dir` (creating directories); answers the files
/// written, in order.
pub fn write_sources(sources: &[Source], dir: &Path) -> Result<Vec<PathBuf>, CompileError> {
    let mut written = Vec::with_capacity(sources.len());
    for s in sources {
        let path = dir.join(s.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| CompileError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, s.text).map_err(|source| CompileError::Io {
            path: path.clone(),
            source,
        })?;
        written.push(path);
    }
    Ok(written)
}

/// A stable fingerprint of `sources` and `extra` (64-bit FNV-1a, as 16 hex
/// digits): the same inputs give the same value on every machine and
/// Rust version.
pub fn fingerprint(sources: &[Source], extra: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes.iter().chain(&[0xff]) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for s in sources {
        eat(s.path.as_bytes());
        eat(s.text.as_bytes());
    }
    for e in extra {
        eat(e.as_bytes());
    }
    format!("{h:016x}")
}

/// Compiles `sources` with `javac` into `dest` (created): `-d dest
/// -encoding UTF-8`, `classpath` as `-cp`, then `args` (e.g. `--release
/// 11`). The sources are written beside `dest` (`<dest>.src`) and removed
/// afterwards.
pub fn compile(
    javac: &Path,
    sources: &[Source],
    classpath: &[PathBuf],
    args: &[&str],
    dest: &Path,
) -> Result<(), CompileError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| CompileError::Io { path, source }
    };
    let mut src_name = dest.file_name().unwrap_or_default().to_os_string();
    src_name.push(".src");
    let src = dest.with_file_name(src_name);
    std::fs::create_dir_all(dest).map_err(io(dest))?;
    let files = write_sources(sources, &src)?;
    let mut cmd = Command::new(javac);
    cmd.arg("-d")
        .arg(dest)
        .args(["-encoding", "UTF-8", "-nowarn"]);
    if !classpath.is_empty() {
        cmd.arg("-cp").arg(
            std::env::join_paths(classpath).map_err(|e| CompileError::Io {
                path: dest.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidInput, e),
            })?,
        );
    }
    cmd.args(args).args(&files);
    let out = cmd.output();
    // Tidying the sources is best effort: what matters is javac's answer.
    let _ = std::fs::remove_dir_all(&src);
    let out = out.map_err(|source| CompileError::Start {
        javac: javac.to_path_buf(),
        source,
    })?;
    if out.status.success() {
        return Ok(());
    }
    let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stdout));
    Err(CompileError::Failed {
        javac: javac.to_path_buf(),
        status: out.status.to_string(),
        output: output.trim().to_string(),
    })
}

/// The Java major version a Lambda runtime identifier stands for:
/// `java17` → 17, `java8.al2` → 8; `None` for another runtime.
pub fn runtime_major(id: &str) -> Option<u32> {
    let rest = id.strip_prefix("java")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The first executable named `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// The JDK (or JRE) installation `java` belongs to: the directory above
/// the `bin` of its real executable (`/usr/bin/java` →
/// `/usr/lib/jvm/java-17-openjdk-amd64` on Debian). `java` may be a bare
/// name, looked up on `PATH`.
pub fn java_home(java: &Path) -> Option<PathBuf> {
    let found = if java.components().count() == 1 {
        find_on_path(&java.to_string_lossy())?
    } else {
        java.to_path_buf()
    };
    let real = std::fs::canonicalize(found).ok()?;
    let bin = real.parent()?;
    (bin.file_name()? == "bin").then(|| bin.parent().map(Path::to_path_buf))?
}

/// The `javac` of the same installation as `java`, else `javac` on `PATH`
/// (a JRE has no compiler).
pub fn javac_of(java: &Path) -> Option<PathBuf> {
    java_home(java)
        .map(|h| h.join("bin/javac"))
        .filter(|p| p.is_file())
        .or_else(|| find_on_path("javac"))
}

/// The major version of the Java that `java` runs (`17`; `8` for
/// `1.8.0_…`): from the installation's `release` file, else from what
/// `java -XshowSettings:properties -version` says.
pub fn major_version(java: &Path) -> Option<u32> {
    if let Some(home) = java_home(java)
        && let Ok(text) = std::fs::read_to_string(home.join("release"))
        && let Some(v) = text.lines().find_map(|l| l.strip_prefix("JAVA_VERSION="))
        && let Some(major) = parse_major(v.trim_matches('"'))
    {
        return Some(major);
    }
    let out = Command::new(java)
        .args(["-XshowSettings:properties", "-version"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let v = text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "java.specification.version").then(|| v.trim().to_string())
    })?;
    parse_major(&v)
}

/// `17.0.15` → 17, `1.8.0_392` → 8, `21` → 21.
fn parse_major(v: &str) -> Option<u32> {
    let mut parts = v.split(['.', '_', '-', '+']);
    let first: u32 = parts.next()?.parse().ok()?;
    if first == 1 {
        parts.next()?.parse().ok()
    } else {
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_identifiers_and_versions() {
        assert_eq!(runtime_major("java17"), Some(17));
        assert_eq!(runtime_major("java8.al2"), Some(8));
        assert_eq!(runtime_major("java21"), Some(21));
        assert_eq!(runtime_major("python3.12"), None);
        assert_eq!(parse_major("17.0.15"), Some(17));
        assert_eq!(parse_major("1.8.0_392"), Some(8));
        assert_eq!(parse_major("21"), Some(21));
        assert_eq!(parse_major("x"), None);
    }

    #[test]
    fn fingerprints_are_stable_and_sensitive() {
        let a = fingerprint(API, &["javac 17"]);
        assert_eq!(a, fingerprint(API, &["javac 17"]));
        assert_ne!(a, fingerprint(API, &["javac 21"]));
        assert_ne!(a, fingerprint(&API[1..], &["javac 17"]));
        assert_eq!(a.len(), 16);
    }

    #[test]
    fn every_source_declares_its_path() {
        for s in API {
            let (dir, file) = s.path.rsplit_once('/').unwrap();
            let package = format!("package {};", dir.replace('/', "."));
            assert!(s.text.starts_with(&package), "{}", s.path);
            let class = file.trim_end_matches(".java");
            assert!(
                s.text.contains(&format!("class {class}"))
                    || s.text.contains(&format!("interface {class}"))
                    || s.text.contains(&format!("enum {class}")),
                "{}",
                s.path
            );
        }
    }

    /// The stand-in compiles as Java 8 (every Java runtime's code compiles
    /// against it), where a JDK is installed.
    #[test]
    fn the_stand_in_compiles_as_java_8() {
        let Some(javac) = find_on_path("javac") else {
            eprintln!("the_stand_in_compiles_as_java_8: skipped: no javac on PATH");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("classes");
        compile(&javac, API, &[], &["--release", "8"], &dest).unwrap();
        assert!(
            dest.join("com/amazonaws/services/lambda/runtime/events/APIGatewayProxyRequestEvent$ProxyRequestContext.class")
                .is_file()
        );
        assert!(!dir.path().join("classes.src").exists());
        let java = find_on_path("java").unwrap();
        assert!(java_home(&java).is_some_and(|h| h.join("bin").is_dir()));
        assert!(major_version(&java).is_some_and(|v| v >= 8));
        assert!(javac_of(&java).is_some());
    }
}
