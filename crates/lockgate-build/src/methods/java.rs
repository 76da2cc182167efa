//! Java, without Maven or Gradle (their repository, Maven Central, is not
//! assumed reachable): the code's sources compiled with the JDK's `javac`
//! into Lambda's zip layout for Java — class files at the root, resources
//! beside them, dependency jars under `lib/` (a layer's under
//! `java/lib/`, its own classes as `java/lib/<LogicalId>.jar`).
//!
//! - Sources: `src/main/java/**/*.java` when the code directory has
//!   Maven's (and Gradle's) layout, with `src/main/resources` copied to
//!   the root; otherwise every `*.java` of the code directory (outside
//!   `target/`, `build/` and `.gradle/`), with its other files copied as
//!   they are.
//! - Classpath: Lockgate's stand-in for `aws-lambda-java-core` and part of
//!   `aws-lambda-java-events` (`lockgate-java`; compiled from source with
//!   `-implicit:none`, so none of it lands in the artifact: the runtime
//!   provides it), the code's `lib/*.jar`, and the jars a `pom.xml`
//!   declares (`compile`, `runtime` and `provided` scopes; test scope
//!   ignored) found in the local Maven repository
//!   (`~/.m2/repository/<group>/<artifact>/<version>/<artifact>-<version>.jar`).
//!   `com.amazonaws:aws-lambda-java-core` and `aws-lambda-java-events` need
//!   no jar. Any other declared dependency that is not there fails the
//!   build, naming it. Dependencies of dependencies are not read: declare
//!   them, or put their jars in `lib/`. A Gradle build file is not read.
//! - `--release` is the runtime's Java version (`8` for `java8.al2`), or
//!   the JDK's own when it is older (said in the log).
//!
//! `javac` runs in the build's sandbox like every tool: no network, the
//! workspace and its own directories writable.

use std::path::{Path, PathBuf};

use super::{Ctx, Step};
use crate::error::{BuildError, io_err};
use crate::fsutil;
use crate::template::Kind;

/// Directories of a code directory that hold build outputs, never sources.
fn is_output_dir(rel: &str) -> bool {
    matches!(rel, "target" | "build" | ".gradle")
}

/// Whether the code directory uses Maven's layout (`src/main/java`).
fn is_maven_layout(code: &Path) -> bool {
    code.join("src/main/java").is_dir()
}

/// The `.java` files to compile, relative to `code` (`/`-separated, sorted).
fn sources(code: &Path) -> Result<Vec<String>, BuildError> {
    let (root, prefix) = if is_maven_layout(code) {
        (code.join("src/main/java"), "src/main/java/")
    } else {
        (code.to_path_buf(), "")
    };
    let flat = prefix.is_empty();
    let skip = |rel: &str| super::skip_common(rel) || (flat && is_output_dir(rel));
    Ok(fsutil::walk_files(&root, &skip)?
        .into_iter()
        .filter(|f| f.rel.ends_with(".java"))
        .map(|f| format!("{prefix}{}", f.rel))
        .collect())
}

/// Whether the code directory holds Java sources to compile (else it is
/// taken as built: class files or jars, copied as they are).
pub(crate) fn has_sources(code: &Path) -> bool {
    sources(code).is_ok_and(|s| !s.is_empty())
}

/// The JDK's `javac`: the one beside `java` on `PATH`, else `javac` on `PATH`.
pub(crate) fn javac() -> Option<PathBuf> {
    let java = lockgate_java::find_on_path("java").unwrap_or_else(|| PathBuf::from("java"));
    lockgate_java::javac_of(&java)
}

/// One dependency a `pom.xml` declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dependency {
    pub group: String,
    pub artifact: String,
    /// `None` when the pom leaves it to a parent or a BOM.
    pub version: Option<String>,
    /// `compile` (the default), `runtime`, `provided`, `test`, `system`, `import`.
    pub scope: String,
}

impl Dependency {
    fn coordinates(&self) -> String {
        format!(
            "{}:{}:{}",
            self.group,
            self.artifact,
            self.version.as_deref().unwrap_or("(no version)")
        )
    }
}

/// The dependencies `pom.xml` declares, with `${…}` properties of the pom
/// (and `project.version`, `project.groupId`) resolved.
pub(crate) fn pom_dependencies(text: &str) -> Result<Vec<Dependency>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("not valid XML: {e}"))?;
    let project = doc.root_element();
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
        n.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
    }
    let text_of = |n: Option<roxmltree::Node<'_, '_>>| {
        n.and_then(|n| n.text())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
    };
    let mut props: Vec<(String, String)> = Vec::new();
    if let Some(p) = child(project, "properties") {
        for c in p.children().filter(|c| c.is_element()) {
            if let Some(v) = text_of(Some(c)) {
                props.push((c.tag_name().name().to_string(), v));
            }
        }
    }
    let parent = child(project, "parent");
    for (key, own) in [("version", "version"), ("groupId", "groupId")] {
        let v =
            text_of(child(project, own)).or_else(|| text_of(parent.and_then(|p| child(p, own))));
        if let Some(v) = v {
            props.push((format!("project.{key}"), v.clone()));
            props.push((format!("pom.{key}"), v));
        }
    }
    let resolve = |s: String| -> Option<String> {
        let mut out = s;
        for _ in 0..8 {
            let Some(start) = out.find("${") else {
                return Some(out);
            };
            let end = start + out[start..].find('}')?;
            let name = &out[start + 2..end];
            let value = props.iter().find(|(k, _)| k == name)?.1.clone();
            out.replace_range(start..=end, &value);
        }
        (!out.contains("${")).then_some(out)
    };
    let Some(deps) = child(project, "dependencies") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for d in deps
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "dependency")
    {
        let field = |name: &str| text_of(child(d, name));
        let (Some(group), Some(artifact)) = (field("groupId"), field("artifactId")) else {
            return Err("a <dependency> without groupId or artifactId".into());
        };
        out.push(Dependency {
            group: resolve(group.clone()).unwrap_or(group),
            artifact: resolve(artifact.clone()).unwrap_or(artifact),
            version: field("version").and_then(resolve),
            scope: field("scope").unwrap_or_else(|| "compile".into()),
        });
    }
    Ok(out)
}

/// The local Maven repository: `~/.m2/repository`.
fn maven_repository() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".m2/repository"))
}

/// A dependency's jar in the local repository, if it is there.
fn local_jar(repo: &Path, d: &Dependency) -> Option<PathBuf> {
    let version = d.version.as_deref()?;
    let jar = repo
        .join(d.group.replace('.', "/"))
        .join(&d.artifact)
        .join(version)
        .join(format!("{}-{version}.jar", d.artifact));
    jar.is_file().then_some(jar)
}

/// The jars of the pom's dependencies: `(jar, packed into the artifact)`.
fn pom_jars(ctx: &Ctx<'_>, pom: &Path) -> Result<Vec<(PathBuf, bool)>, BuildError> {
    let file = pom.display().to_string();
    let text = std::fs::read_to_string(pom).map_err(|e| io_err(pom, e))?;
    let deps = pom_dependencies(&text).map_err(|why| ctx.error(&file, why))?;
    let repo = maven_repository();
    let mut jars = Vec::new();
    let mut missing = Vec::new();
    for d in deps {
        if matches!(d.scope.as_str(), "test" | "import") {
            continue;
        }
        let ga = format!("{}:{}", d.group, d.artifact);
        if lockgate_java::PROVIDED_ARTIFACTS.contains(&ga.as_str()) {
            ctx.log.system(
                Some("javac"),
                &format!("{ga}: Lockgate's stand-in (the runtime provides it)"),
            );
            continue;
        }
        match repo.as_deref().and_then(|r| local_jar(r, &d)) {
            Some(jar) => {
                ctx.log.system(
                    Some("javac"),
                    &format!("{}: {}", d.coordinates(), jar.display()),
                );
                jars.push((jar, d.scope != "provided"));
            }
            None => missing.push(d),
        }
    }
    if missing.is_empty() {
        return Ok(jars);
    }
    let names: Vec<String> = missing.iter().map(Dependency::coordinates).collect();
    let where_ = repo
        .map(|r| r.display().to_string())
        .unwrap_or_else(|| "~/.m2/repository".into());
    Err(ctx.error(
        &file,
        format!(
            "dependenc{} {} {} not in the local Maven repository ({where_}), and Maven Central \
             is not reachable from here: put the jar{} in lib/ of the code directory ({}), or \
             install {} into the local repository",
            if names.len() > 1 { "ies" } else { "y" },
            names.join(", "),
            if names.len() > 1 { "are" } else { "is" },
            if names.len() > 1 { "s" } else { "" },
            ctx.target.code_dir.join("lib").display(),
            if names.len() > 1 { "them" } else { "it" },
        ),
    ))
}

/// The jars of the code's `lib/`, sorted.
fn lib_jars(code: &Path) -> Result<Vec<PathBuf>, BuildError> {
    let lib = code.join("lib");
    if !lib.is_dir() {
        return Ok(Vec::new());
    }
    Ok(fsutil::walk_files(&lib, &|_| false)?
        .into_iter()
        .filter(|f| !f.rel.contains('/') && f.rel.ends_with(".jar"))
        .map(|f| f.path)
        .collect())
}

pub(crate) fn build(ctx: &Ctx<'_>, version: &str, out: &Path) -> Result<(), BuildError> {
    let code = ctx.target.code_dir.clone();
    let code_file = code.display().to_string();
    let files = sources(&code)?;
    let pom = code.join("pom.xml");
    let deps = if pom.is_file() {
        pom_jars(ctx, &pom)?
    } else {
        Vec::new()
    };
    let java = lockgate_java::find_on_path("java").unwrap_or_else(|| PathBuf::from("java"));
    let javac = javac().ok_or_else(|| {
        ctx.error(
            &code_file,
            format!(
                "runtime java{version} needs a JDK's `javac` on PATH to compile the function \
                 (Debian: apt-get install default-jdk-headless)"
            ),
        )
    })?;
    let home = javac.parent().and_then(Path::parent).map(Path::to_path_buf);
    let jdk_major = home
        .as_ref()
        .map(|h| h.join("bin/java"))
        .filter(|j| j.is_file())
        .and_then(|j| lockgate_java::major_version(&j))
        .or_else(|| lockgate_java::major_version(&java));
    let wanted: u32 = version.parse().unwrap_or(8);
    let release = match jdk_major {
        Some(have) if have < wanted => {
            ctx.log.system(
                Some("javac"),
                &format!(
                    "runtime java{version}: this machine's JDK is Java {have}; compiling for Java {have}"
                ),
            );
            Some(have)
        }
        // `--release` exists since Java 9.
        Some(have) if have < 9 => None,
        _ => Some(wanted),
    };

    let lib = lib_jars(&code)?;
    let ws = ctx.workspace()?;
    let javac_dir = ctx.work.join("javac");
    let api = javac_dir.join("api");
    lockgate_java::write_sources(lockgate_java::API, &api).map_err(|e| match e {
        lockgate_java::CompileError::Io { path, source } => io_err(&path, source),
        other => ctx.error(&code_file, other.to_string()),
    })?;
    // The pom's jars are copied beside the API: visible in the sandbox.
    let deps_dir = javac_dir.join("deps");
    fsutil::create_dir(&deps_dir)?;
    let mut classpath: Vec<PathBuf> = lib
        .iter()
        .map(|j| ws.join("lib").join(j.file_name().unwrap_or_default()))
        .collect();
    let mut packed: Vec<PathBuf> = Vec::new();
    for (jar, pack) in &deps {
        let name = jar.file_name().unwrap_or_default();
        let copy = deps_dir.join(name);
        std::fs::copy(jar, &copy).map_err(|e| io_err(jar, e))?;
        classpath.push(copy.clone());
        if *pack {
            packed.push(copy);
        }
    }
    let classes = ctx.work.join("classes");
    fsutil::create_dir(&classes)?;
    let list = javac_dir.join("sources.txt");
    let quoted: Vec<String> = files
        .iter()
        .map(|f| {
            format!(
                "\"{}\"",
                ws.join(f).display().to_string().replace('\\', "\\\\")
            )
        })
        .collect();
    std::fs::write(&list, quoted.join("\n")).map_err(|e| io_err(&list, e))?;
    if !files.is_empty() {
        let mut args: Vec<std::ffi::OsString> = vec![
            "-d".into(),
            classes.clone().into_os_string(),
            "-encoding".into(),
            "UTF-8".into(),
            "-sourcepath".into(),
            api.clone().into_os_string(),
            "-implicit:none".into(),
        ];
        if let Some(r) = release {
            args.push("--release".into());
            args.push(r.to_string().into());
        }
        if !classpath.is_empty() {
            let joined = std::env::join_paths(&classpath).map_err(|e| {
                ctx.error(&code_file, format!("a classpath entry holds a `:`: {e}"))
            })?;
            args.push("-cp".into());
            args.push(joined);
        }
        let mut at = std::ffi::OsString::from("@");
        at.push(&list);
        args.push(at);
        ctx.run(
            Step {
                name: "javac",
                program: javac.display().to_string(),
                args,
                cwd: ws.clone(),
                env: Vec::new(),
                writable: vec![classes.clone(), javac_dir.clone()],
                readable: home.into_iter().collect(),
                network: false,
            },
            &mut |_| true,
        )?;
    }

    // Lambda's layout: classes and resources at the root, jars in lib/.
    // Resources first, so that fresh classes win over stale ones beside
    // the sources.
    let content = ctx.work.join("content");
    fsutil::create_dir(&content)?;
    if is_maven_layout(&code) {
        let resources = code.join("src/main/resources");
        if resources.is_dir() {
            fsutil::copy_tree(&resources, &content, &super::skip_common)?;
        }
    } else {
        // The code's other files (resources, prebuilt classes), not its
        // sources, build files or outputs; jars of lib/ go with the others.
        let skip = |rel: &str| {
            super::skip_common(rel)
                || is_output_dir(rel)
                || rel == "lib"
                || rel.ends_with(".java")
                || matches!(
                    rel,
                    "pom.xml" | "build.gradle" | "build.gradle.kts" | "settings.gradle" | "gradlew"
                )
        };
        fsutil::copy_tree(&code, &content, &skip)?;
    }
    fsutil::copy_tree(&classes, &content, &|_| false)?;
    let (root, jars_dir) = match ctx.target.kind {
        Kind::Function => (out.to_path_buf(), out.join("lib")),
        Kind::Layer => (out.join("java/lib"), out.join("java/lib")),
    };
    match ctx.target.kind {
        Kind::Function => {
            fsutil::copy_tree(&content, &root, &|_| false)?;
        }
        Kind::Layer => {
            fsutil::create_dir(&root)?;
            if !fsutil::walk_files(&content, &|_| false)?.is_empty() {
                let jar = root.join(format!("{}.jar", ctx.target.logical_id));
                crate::archive::zip_dir(&content, &jar)?;
            }
        }
    }
    fsutil::create_dir(&jars_dir)?;
    for jar in lib.iter().chain(&packed) {
        let to = jars_dir.join(jar.file_name().unwrap_or_default());
        std::fs::copy(jar, &to).map_err(|e| io_err(jar, e))?;
    }
    if fsutil::walk_files(&jars_dir, &|_| false)?.is_empty() {
        // An empty lib/ is no part of a zip; leave none behind.
        let _ = std::fs::remove_dir(&jars_dir);
    }
    ctx.log.system(
        Some("javac"),
        &format!(
            "compiled {} source file{} for Java {}; {} jar{} in lib/",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            release.map_or_else(|| "(the JDK's default)".to_string(), |r| r.to_string()),
            lib.len() + packed.len(),
            if lib.len() + packed.len() == 1 {
                ""
            } else {
                "s"
            },
        ),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poms_name_their_dependencies() {
        let pom = r#"<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <groupId>helloworld</groupId>
  <artifactId>HelloWorld</artifactId>
  <version>1.0</version>
  <properties><jackson.version>2.17.0</jackson.version></properties>
  <dependencies>
    <dependency>
      <groupId>com.amazonaws</groupId>
      <artifactId>aws-lambda-java-core</artifactId>
      <version>1.2.2</version>
    </dependency>
    <dependency>
      <groupId>com.fasterxml.jackson.core</groupId>
      <artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>shared</artifactId>
      <version>${project.version}</version>
      <scope>provided</scope>
    </dependency>
    <dependency>
      <groupId>junit</groupId>
      <artifactId>junit</artifactId>
      <version>4.13.2</version>
      <scope>test</scope>
    </dependency>
    <dependency>
      <groupId>org.example</groupId>
      <artifactId>managed</artifactId>
    </dependency>
  </dependencies>
</project>"#;
        let deps = pom_dependencies(pom).unwrap();
        let shown: Vec<String> = deps
            .iter()
            .map(|d| format!("{} {}", d.coordinates(), d.scope))
            .collect();
        assert_eq!(
            shown,
            [
                "com.amazonaws:aws-lambda-java-core:1.2.2 compile",
                "com.fasterxml.jackson.core:jackson-databind:2.17.0 compile",
                "helloworld:shared:1.0 provided",
                "junit:junit:4.13.2 test",
                "org.example:managed:(no version) compile",
            ]
        );
        assert!(pom_dependencies("<project>").is_err());
        assert_eq!(pom_dependencies("<project/>").unwrap(), Vec::new());
    }

    #[test]
    fn sources_by_layout() {
        let t = tempfile::tempdir().unwrap();
        let flat = t.path().join("flat");
        std::fs::create_dir_all(flat.join("pkg")).unwrap();
        std::fs::create_dir_all(flat.join("target/classes")).unwrap();
        std::fs::write(flat.join("pkg/App.java"), "").unwrap();
        std::fs::write(flat.join("target/Old.java"), "").unwrap();
        std::fs::write(flat.join("app.properties"), "").unwrap();
        assert_eq!(sources(&flat).unwrap(), ["pkg/App.java"]);
        assert!(has_sources(&flat));
        let maven = t.path().join("maven");
        std::fs::create_dir_all(maven.join("src/main/java/h")).unwrap();
        std::fs::create_dir_all(maven.join("src/test/java/h")).unwrap();
        std::fs::write(maven.join("src/main/java/h/App.java"), "").unwrap();
        std::fs::write(maven.join("src/test/java/h/AppTest.java"), "").unwrap();
        assert_eq!(sources(&maven).unwrap(), ["src/main/java/h/App.java"]);
        let built = t.path().join("built");
        std::fs::create_dir_all(built.join("h")).unwrap();
        std::fs::write(built.join("h/App.class"), "").unwrap();
        assert!(!has_sources(&built));
    }
}
