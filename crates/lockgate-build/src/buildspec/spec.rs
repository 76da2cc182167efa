//! Reading a `buildspec.yml` (version 0.2) with the line and column of
//! every key, so that every problem points at its place. Keys Lockgate does
//! not know are errors (a misspelt `post-build` must not silently skip a
//! phase); keys it knows but cannot honour here are warnings.

use std::fmt;
use std::path::PathBuf;

use lockgate_template::{Document, PathSeg, Span};
use serde_json::{Map, Value};

/// A problem found in a buildspec, with its place.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// What is wrong and what was expected.
    pub message: String,
}

/// A buildspec that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The buildspec is not valid.
    #[error("{}", render(file, problems))]
    Invalid {
        /// The file name.
        file: String,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

fn render(file: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{file}:{}:{}: {}", p.line, p.column, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The shell commands run in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    /// `/bin/sh` (CodeBuild's default on Linux).
    Sh,
    /// `bash`.
    Bash,
}

/// What a failed phase does to the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum OnFailure {
    /// CodeBuild's rules: a failed install or pre_build ends the build; a
    /// failed build still runs post_build; artifacts are uploaded after
    /// build and post_build.
    #[default]
    Abort,
    /// Go on with the next phase (the build is still failed).
    Continue,
}

/// The four command phases, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum PhaseName {
    /// `install`
    #[serde(rename = "INSTALL")]
    Install,
    /// `pre_build`
    #[serde(rename = "PRE_BUILD")]
    PreBuild,
    /// `build`
    #[serde(rename = "BUILD")]
    Build,
    /// `post_build`
    #[serde(rename = "POST_BUILD")]
    PostBuild,
}

impl PhaseName {
    /// All four, in order.
    pub const ALL: [PhaseName; 4] = [
        PhaseName::Install,
        PhaseName::PreBuild,
        PhaseName::Build,
        PhaseName::PostBuild,
    ];

    /// The key in a buildspec (`pre_build`).
    pub fn key(self) -> &'static str {
        match self {
            PhaseName::Install => "install",
            PhaseName::PreBuild => "pre_build",
            PhaseName::Build => "build",
            PhaseName::PostBuild => "post_build",
        }
    }

    /// CodeBuild's name (`PRE_BUILD`).
    pub fn upper(self) -> &'static str {
        match self {
            PhaseName::Install => "INSTALL",
            PhaseName::PreBuild => "PRE_BUILD",
            PhaseName::Build => "BUILD",
            PhaseName::PostBuild => "POST_BUILD",
        }
    }
}

impl fmt::Display for PhaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.upper())
    }
}

/// One phase.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Phase {
    /// Its commands, run in order until one fails.
    pub commands: Vec<String>,
    /// Run after `commands`, even when one failed.
    pub finally: Vec<String>,
    /// What a failure does.
    pub on_failure: OnFailure,
}

/// A secrets-manager reference: `secret-id:json-key:version-stage:version-id`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SecretRef {
    /// The secret's name or ARN.
    pub secret_id: String,
    /// A key of the secret's JSON value, if only that is wanted.
    pub json_key: Option<String>,
    /// A version stage (`AWSCURRENT`).
    pub version_stage: Option<String>,
    /// A version ID.
    pub version_id: Option<String>,
}

/// An artifact (the primary one, or a secondary one).
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ArtifactSpec {
    /// Globs of the files, relative to `base_directory` (`*` stays in one
    /// directory, `**` crosses directories).
    pub files: Vec<String>,
    /// The artifact's name.
    pub name: Option<String>,
    /// Keep file names only.
    pub discard_paths: bool,
    /// Where `files` are relative to (relative to the source directory).
    pub base_directory: Option<String>,
    /// Globs of files left out.
    pub exclude_paths: Vec<String>,
}

/// A test report group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReportSpec {
    /// The report group's name (or ARN).
    pub group: String,
    /// Globs of the report files.
    pub files: Vec<String>,
    /// Where `files` are relative to.
    pub base_directory: Option<String>,
    /// Keep file names only (no effect on reading them).
    pub discard_paths: bool,
    /// The format (`JUNITXML`, the default, is the one read).
    pub file_format: String,
}

/// Whether a cache is restored, saved, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheAction {
    /// Restore only.
    Restore,
    /// Save only.
    Save,
}

/// The `cache` section.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct CacheSpec {
    /// Globs of what is cached: relative to the source directory, or under
    /// the home directory (`~/`, `$HOME/`, `/root/`).
    pub paths: Vec<String>,
    /// The key (may use `${VAR}` and `$(codebuild-hash-files GLOB…)`).
    pub key: Option<String>,
    /// Keys tried, as prefixes, when `key` has no entry.
    pub fallback_keys: Vec<String>,
    /// Restore or save only.
    pub action: Option<CacheAction>,
}

/// A parsed buildspec.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Buildspec {
    /// The file name as given.
    pub file: String,
    /// The shell.
    pub shell: Shell,
    /// `env.variables`, in order.
    pub variables: Vec<(String, String)>,
    /// `env.parameter-store`: variable → parameter name.
    pub parameter_store: Vec<(String, String)>,
    /// `env.secrets-manager`: variable → secret reference.
    pub secrets_manager: Vec<(String, SecretRef)>,
    /// `env.exported-variables`.
    pub exported_variables: Vec<String>,
    /// The phases present.
    pub phases: Vec<(PhaseName, Phase)>,
    /// The primary artifact.
    pub artifacts: Option<ArtifactSpec>,
    /// Secondary artifacts by identifier.
    pub secondary_artifacts: Vec<(String, ArtifactSpec)>,
    /// The cache.
    pub cache: Option<CacheSpec>,
    /// Test report groups.
    pub reports: Vec<ReportSpec>,
}

impl Buildspec {
    /// The phase, if present.
    pub fn phase(&self, name: PhaseName) -> Option<&Phase> {
        self.phases.iter().find(|(n, _)| *n == name).map(|(_, p)| p)
    }
}

/// A parsed buildspec and the warnings about it.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The buildspec.
    pub spec: Buildspec,
    /// Keys Lockgate knows but does not honour here.
    pub warnings: Vec<Problem>,
}

struct Reader<'a> {
    doc: &'a Document,
    errors: Vec<Problem>,
    warnings: Vec<Problem>,
}

type P = Vec<PathSeg>;

fn join(p: &P, seg: impl Into<PathSeg>) -> P {
    let mut v = p.clone();
    v.push(seg.into());
    v
}

impl Reader<'_> {
    fn place(&self, path: &P, key: bool) -> Span {
        let s = if key {
            self.doc.key_span_of(path)
        } else {
            None
        };
        s.or_else(|| self.doc.span_of(path))
            .unwrap_or_else(|| self.doc.nearest_span(path))
    }

    fn problem(&self, path: &P, key: bool, message: String) -> Problem {
        let s = self.place(path, key);
        Problem {
            line: s.line.max(1),
            column: s.column.max(1),
            message,
        }
    }

    fn error(&mut self, path: &P, key: bool, message: String) {
        let p = self.problem(path, key, message);
        self.errors.push(p);
    }

    fn warn(&mut self, path: &P, message: String) {
        let p = self.problem(path, true, message);
        self.warnings.push(p);
    }

    fn map<'v>(&mut self, v: &'v Value, path: &P, what: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            Value::Null => None,
            _ => {
                self.error(path, false, format!("`{what}` must be a mapping"));
                None
            }
        }
    }

    /// Checks keys: unknown ones are errors, unsupported ones warnings.
    fn keys(
        &mut self,
        m: &Map<String, Value>,
        path: &P,
        what: &str,
        known: &[&str],
        unsupported: &[(&str, &str)],
    ) {
        for k in m.keys() {
            if let Some((_, why)) = unsupported.iter().find(|(u, _)| u == k) {
                self.warn(
                    &join(path, k.as_str()),
                    format!("`{k}` is not supported here and is ignored: {why}"),
                );
            } else if !known.contains(&k.as_str()) {
                let all: Vec<&str> = known
                    .iter()
                    .copied()
                    .chain(unsupported.iter().map(|(u, _)| *u))
                    .collect();
                self.error(
                    &join(path, k.as_str()),
                    true,
                    format!(
                        "unknown key `{k}` in {what}: expected one of {}",
                        all.join(", ")
                    ),
                );
            }
        }
    }

    fn scalar(&mut self, v: &Value, path: &P, what: &str) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            // A plain `true`, `yes` or `1.0` is a string as written (a
            // command `- true` runs `true`), whatever YAML typing made of it.
            Value::Number(_) | Value::Bool(_) => {
                Some(self.source_text(path).unwrap_or_else(|| match v {
                    Value::Bool(b) => b.to_string(),
                    other => other.to_string(),
                }))
            }
            _ => {
                self.error(path, false, format!("`{what}` must be a string"));
                None
            }
        }
    }

    /// The text of the scalar at `path` as written in the file.
    fn source_text(&self, path: &P) -> Option<String> {
        let span = self.doc.span_of(path)?;
        let text = self
            .doc
            .source()
            .text
            .get(span.offset..span.offset + span.len)?;
        let text = text.trim();
        (!text.is_empty()).then(|| text.trim_matches(['"', '\'']).to_string())
    }

    fn strings(&mut self, v: &Value, path: &P, what: &str) -> Vec<String> {
        match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.scalar(item, &join(path, i), what))
                .collect(),
            Value::Null => Vec::new(),
            other => self.scalar(other, path, what).into_iter().collect(),
        }
    }

    fn yes_no(&mut self, v: &Value, path: &P, what: &str) -> bool {
        match v {
            Value::Bool(b) => *b,
            Value::String(s) if s.eq_ignore_ascii_case("yes") || s == "true" => true,
            Value::String(s) if s.eq_ignore_ascii_case("no") || s == "false" => false,
            _ => {
                self.error(path, false, format!("`{what}` must be yes or no"));
                false
            }
        }
    }

    fn pairs(&mut self, v: &Value, path: &P, what: &str) -> Vec<(String, String)> {
        let Some(m) = self.map(v, path, what) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, val) in m {
            if let Some(s) = self.scalar(val, &join(path, k.as_str()), &format!("{what}.{k}")) {
                out.push((k.clone(), s));
            }
        }
        out
    }

    fn artifact(
        &mut self,
        v: &Value,
        path: &P,
        what: &str,
        secondary: bool,
    ) -> Option<ArtifactSpec> {
        let m = self.map(v, path, what)?;
        let mut known = vec![
            "files",
            "name",
            "discard-paths",
            "base-directory",
            "exclude-paths",
        ];
        if !secondary {
            known.push("secondary-artifacts");
        }
        self.keys(
            m,
            path,
            what,
            &known,
            &[
                (
                    "s3-prefix",
                    "artifacts are written to a local directory, not S3",
                ),
                (
                    "enable-symlinks",
                    "symbolic links are followed: artifacts hold the files they point at",
                ),
            ],
        );
        let mut a = ArtifactSpec::default();
        for (k, val) in m {
            let p = join(path, k.as_str());
            match k.as_str() {
                "files" => a.files = self.strings(val, &p, "files"),
                "name" => a.name = self.scalar(val, &p, "name"),
                "discard-paths" => a.discard_paths = self.yes_no(val, &p, "discard-paths"),
                "base-directory" => a.base_directory = self.scalar(val, &p, "base-directory"),
                "exclude-paths" => a.exclude_paths = self.strings(val, &p, "exclude-paths"),
                _ => {}
            }
        }
        if a.files.is_empty() {
            self.error(
                path,
                true,
                format!("`{what}` needs `files`: the globs of the files to keep (`**/*` for all)"),
            );
        }
        Some(a)
    }
}

/// Parses a buildspec. Errors (exit 2 for `lockgate buildspec run`) list
/// every problem with its line and column.
pub fn parse(file: &str, text: &str) -> Result<Parsed, SpecError> {
    let doc = lockgate_template::parse(file, text).map_err(|e| SpecError::Invalid {
        file: file.to_string(),
        problems: vec![Problem {
            line: e.line(),
            column: e.column(),
            message: e.message.clone(),
        }],
    })?;
    let mut r = Reader {
        doc: &doc,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    let root_path: P = Vec::new();
    let empty = Map::new();
    let root = match doc.value() {
        Value::Object(m) => m,
        _ => {
            r.error(
                &root_path,
                false,
                "a buildspec must be a mapping with `version` and `phases`".into(),
            );
            &empty
        }
    };
    r.keys(
        root,
        &root_path,
        "the buildspec",
        &["version", "env", "phases", "artifacts", "cache", "reports"],
        &[
            ("run-as", "commands run as the user running Lockgate"),
            ("proxy", "there is no build proxy here"),
            ("batch", "batch builds are not run"),
        ],
    );
    match root.get("version") {
        None if doc.value().is_object() => r.error(
            &root_path,
            false,
            "missing `version`: expected `version: 0.2`".into(),
        ),
        None => {}
        Some(v) => {
            let text = match v {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => String::new(),
            };
            if text != "0.2" {
                r.error(
                    &vec!["version".into()],
                    false,
                    format!("unsupported buildspec version `{text}`: expected 0.2"),
                );
            }
        }
    }
    let mut spec = Buildspec {
        file: file.to_string(),
        shell: Shell::Sh,
        variables: Vec::new(),
        parameter_store: Vec::new(),
        secrets_manager: Vec::new(),
        exported_variables: Vec::new(),
        phases: Vec::new(),
        artifacts: None,
        secondary_artifacts: Vec::new(),
        cache: None,
        reports: Vec::new(),
    };
    if let Some(env) = root.get("env") {
        let p: P = vec!["env".into()];
        if let Some(m) = r.map(env, &p, "env") {
            r.keys(
                m,
                &p,
                "env",
                &[
                    "shell",
                    "variables",
                    "parameter-store",
                    "exported-variables",
                    "secrets-manager",
                ],
                &[(
                    "git-credential-helper",
                    "git uses the machine's own credentials",
                )],
            );
            for (k, v) in m {
                let kp = join(&p, k.as_str());
                match k.as_str() {
                    "shell" => match r.scalar(v, &kp, "shell").as_deref() {
                        Some("bash" | "/bin/bash") => spec.shell = Shell::Bash,
                        Some("sh" | "/bin/sh") => spec.shell = Shell::Sh,
                        Some(other) => r.error(
                            &kp,
                            false,
                            format!("unsupported shell `{other}`: expected bash or /bin/sh"),
                        ),
                        None => {}
                    },
                    "variables" => spec.variables = r.pairs(v, &kp, "variables"),
                    "parameter-store" => spec.parameter_store = r.pairs(v, &kp, "parameter-store"),
                    "exported-variables" => {
                        spec.exported_variables = r.strings(v, &kp, "exported-variables")
                    }
                    "secrets-manager" => {
                        for (name, reference) in r.pairs(v, &kp, "secrets-manager") {
                            let parts: Vec<&str> = split_secret_ref(&reference);
                            let opt = |i: usize| {
                                parts
                                    .get(i)
                                    .filter(|s| !s.is_empty())
                                    .map(|s| s.to_string())
                            };
                            spec.secrets_manager.push((
                                name,
                                SecretRef {
                                    secret_id: parts[0].to_string(),
                                    json_key: opt(1),
                                    version_stage: opt(2),
                                    version_id: opt(3),
                                },
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    match root.get("phases") {
        None if doc.value().is_object() => r.error(
            &root_path,
            false,
            "missing `phases`: expected install, pre_build, build and/or post_build".into(),
        ),
        None => {}
        Some(phases) => {
            let p: P = vec!["phases".into()];
            if let Some(m) = r.map(phases, &p, "phases") {
                let names: Vec<&str> = PhaseName::ALL.iter().map(|n| n.key()).collect();
                r.keys(m, &p, "phases", &names, &[]);
                for name in PhaseName::ALL {
                    let Some(v) = m.get(name.key()) else { continue };
                    let pp = join(&p, name.key());
                    let Some(pm) = r.map(v, &pp, name.key()) else {
                        spec.phases.push((name, Phase::default()));
                        continue;
                    };
                    let mut unsupported =
                        vec![("run-as", "commands run as the user running Lockgate")];
                    if name == PhaseName::Install {
                        unsupported.push((
                            "runtime-versions",
                            "the machine's own toolchains are used (whatever is on PATH)",
                        ));
                    }
                    r.keys(
                        pm,
                        &pp,
                        name.key(),
                        &["commands", "finally", "on-failure"],
                        &unsupported,
                    );
                    let mut phase = Phase::default();
                    for (k, val) in pm {
                        let kp = join(&pp, k.as_str());
                        match k.as_str() {
                            "commands" => phase.commands = r.strings(val, &kp, "commands"),
                            "finally" => phase.finally = r.strings(val, &kp, "finally"),
                            "on-failure" => match r.scalar(val, &kp, "on-failure").as_deref() {
                                Some("ABORT") => phase.on_failure = OnFailure::Abort,
                                Some("CONTINUE") => phase.on_failure = OnFailure::Continue,
                                Some(other) => r.error(&kp, false, format!("unsupported on-failure `{other}`: expected ABORT or CONTINUE")),
                                None => {}
                            },
                            _ => {}
                        }
                    }
                    spec.phases.push((name, phase));
                }
            }
        }
    }
    if let Some(v) = root.get("artifacts") {
        let p: P = vec!["artifacts".into()];
        spec.artifacts = r.artifact(v, &p, "artifacts", false);
        if let Some(Value::Object(sec)) = v.get("secondary-artifacts") {
            let sp = join(&p, "secondary-artifacts");
            for (id, a) in sec {
                if let Some(spec_a) = r.artifact(
                    a,
                    &join(&sp, id.as_str()),
                    &format!("secondary artifact `{id}`"),
                    true,
                ) {
                    spec.secondary_artifacts.push((id.clone(), spec_a));
                }
            }
        }
    }
    if let Some(v) = root.get("cache") {
        let p: P = vec!["cache".into()];
        if let Some(m) = r.map(v, &p, "cache") {
            r.keys(
                m,
                &p,
                "cache",
                &["paths", "key", "fallback-keys", "action"],
                &[],
            );
            let mut c = CacheSpec::default();
            for (k, val) in m {
                let kp = join(&p, k.as_str());
                match k.as_str() {
                    "paths" => {
                        c.paths = r.strings(val, &kp, "paths");
                        for (i, path) in c.paths.iter().enumerate() {
                            if path.starts_with('/') && !path.starts_with("/root/") {
                                let problem = r.problem(&join(&kp, i), false, format!("cache path `{path}` is outside the source and home directories, which are all a build can write: use a path relative to the source, or under ~/"));
                                r.errors.push(problem);
                            }
                        }
                    }
                    "key" => c.key = r.scalar(val, &kp, "key"),
                    "fallback-keys" => c.fallback_keys = r.strings(val, &kp, "fallback-keys"),
                    "action" => match r.scalar(val, &kp, "action").as_deref() {
                        Some("restore") => c.action = Some(CacheAction::Restore),
                        Some("save") => c.action = Some(CacheAction::Save),
                        Some(other) => r.error(
                            &kp,
                            false,
                            format!("unsupported cache action `{other}`: expected restore or save"),
                        ),
                        None => {}
                    },
                    _ => {}
                }
            }
            spec.cache = Some(c);
        }
    }
    if let Some(v) = root.get("reports") {
        let p: P = vec!["reports".into()];
        if let Some(m) = r.map(v, &p, "reports") {
            for (group, g) in m {
                let gp = join(&p, group.as_str());
                let Some(gm) = r.map(g, &gp, group) else {
                    continue;
                };
                r.keys(
                    gm,
                    &gp,
                    &format!("report group `{group}`"),
                    &["files", "base-directory", "discard-paths", "file-format"],
                    &[],
                );
                let mut rs = ReportSpec {
                    group: group.clone(),
                    files: Vec::new(),
                    base_directory: None,
                    discard_paths: false,
                    file_format: "JUNITXML".into(),
                };
                for (k, val) in gm {
                    let kp = join(&gp, k.as_str());
                    match k.as_str() {
                        "files" => rs.files = r.strings(val, &kp, "files"),
                        "base-directory" => {
                            rs.base_directory = r.scalar(val, &kp, "base-directory")
                        }
                        "discard-paths" => rs.discard_paths = r.yes_no(val, &kp, "discard-paths"),
                        "file-format" => {
                            if let Some(f) = r.scalar(val, &kp, "file-format") {
                                if f != "JUNITXML" {
                                    r.warn(&kp, format!("report file format `{f}` is not read here (only JUNITXML is): the files are listed but not summarised"));
                                }
                                rs.file_format = f;
                            }
                        }
                        _ => {}
                    }
                }
                if rs.files.is_empty() {
                    r.error(&gp, true, format!("report group `{group}` needs `files`"));
                }
                spec.reports.push(rs);
            }
        }
    }
    if r.errors.is_empty() {
        Ok(Parsed {
            spec,
            warnings: r.warnings,
        })
    } else {
        let mut problems = r.errors;
        problems.sort_by_key(|p| (p.line, p.column));
        Err(SpecError::Invalid {
            file: file.to_string(),
            problems,
        })
    }
}

/// Splits `secret-id:json-key:version-stage:version-id`, where the secret ID
/// may be an ARN (which has colons of its own: `arn:aws:secretsmanager:region:account:secret:name`).
fn split_secret_ref(s: &str) -> Vec<&str> {
    if s.starts_with("arn:") {
        // The ARN is the first seven colon-separated fields.
        let idx = s.match_indices(':').nth(6).map(|(i, _)| i);
        match idx {
            Some(i) => {
                let mut v = vec![&s[..i]];
                v.extend(s[i + 1..].split(':'));
                v
            }
            None => vec![s],
        }
    } else {
        s.split(':').collect()
    }
}

/// Reads and parses a buildspec file.
pub fn read(path: &std::path::Path) -> Result<Parsed, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&path.display().to_string(), &text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_full_buildspec() {
        let text = r#"version: 0.2
env:
  shell: bash
  variables:
    STAGE: dev
    COUNT: 3
  parameter-store:
    DB_HOST: /dev/dbHost
  secrets-manager:
    TOKEN: prod/token:api:AWSCURRENT
    ARN: arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:password
  exported-variables: [STAGE, BUILT]
phases:
  install:
    runtime-versions:
      python: 3.12
    commands:
      - echo install
  build:
    on-failure: CONTINUE
    commands:
      - make
    finally:
      - echo done
artifacts:
  files: ["**/*"]
  base-directory: dist
  discard-paths: yes
  secondary-artifacts:
    docs:
      files: [docs/*.html]
cache:
  key: pip-$(codebuild-hash-files requirements.txt)
  fallback-keys: [pip-]
  paths: ["~/.cache/pip/**/*"]
reports:
  unit:
    files: ["reports/*.xml"]
"#;
        let p = parse("buildspec.yml", text).unwrap();
        let s = &p.spec;
        assert_eq!(s.shell, Shell::Bash);
        assert_eq!(
            s.variables,
            [("STAGE".into(), "dev".into()), ("COUNT".into(), "3".into())]
        );
        assert_eq!(s.secrets_manager[0].1.json_key.as_deref(), Some("api"));
        assert_eq!(
            s.secrets_manager[1].1.secret_id,
            "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
        );
        assert_eq!(s.secrets_manager[1].1.json_key.as_deref(), Some("password"));
        assert_eq!(
            s.phase(PhaseName::Build).unwrap().on_failure,
            OnFailure::Continue
        );
        assert_eq!(s.phase(PhaseName::Build).unwrap().finally, ["echo done"]);
        assert!(s.artifacts.as_ref().unwrap().discard_paths);
        assert_eq!(s.secondary_artifacts[0].0, "docs");
        assert_eq!(s.reports[0].group, "unit");
        assert_eq!(p.warnings.len(), 1);
        assert_eq!((p.warnings[0].line, p.warnings[0].column), (15, 5));
        assert!(p.warnings[0].message.contains("runtime-versions"));
    }

    #[test]
    fn unknown_keys_and_bad_values_point_at_their_place() {
        let text = "version: 0.2\nphases:\n  build:\n    commands: [make]\n  post-build:\n    commands: [echo]\n  install:\n    on-failure: RETRY\n";
        let e = parse("buildspec.yml", text).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("buildspec.yml:5:3: unknown key `post-build` in phases"),
            "{msg}"
        );
        assert!(
            msg.contains("buildspec.yml:8:17: unsupported on-failure `RETRY`"),
            "{msg}"
        );
        let e = parse("b.yml", "version: 0.1\nphases: {}\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("b.yml:1:10: unsupported buildspec version `0.1`"),
            "{e}"
        );
        let e = parse(
            "b.yml",
            "version: 0.2\nphases:\n  build:\n    commands: [\n",
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("b.yml:"), "{e}");
    }
}
