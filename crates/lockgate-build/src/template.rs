//! What a template asks to build, and the built template that points at the results.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use lockgate_template::{LoadedTemplate, PathSeg, Unresolved};
use serde_json::{Map, Value};

use crate::error::BuildError;

/// A function or a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// `AWS::Serverless::Function` or `AWS::Lambda::Function`.
    Function,
    /// `AWS::Serverless::LayerVersion` or `AWS::Lambda::LayerVersion`.
    Layer,
}

/// How a function or layer is built.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Method {
    /// Python: the source, plus `requirements.txt` installed with pip (into
    /// `python/` for a layer). `version` is `3.12` for `python3.12`.
    Python {
        /// The runtime's Python version.
        version: String,
    },
    /// Node.js: the source, plus production dependencies (`npm ci` with a
    /// lock file, else `npm install`), into `nodejs/` for a layer. `major` is
    /// `20` for `nodejs20.x`.
    Node {
        /// The runtime's Node.js major version.
        major: String,
    },
    /// `make build-<LogicalId>` with `ARTIFACTS_DIR`, as the SAM CLI runs it.
    Makefile,
    /// `cargo build --release`, the binary copied as `bootstrap` (the SAM
    /// CLI's `rust-cargolambda`, built for this machine's architecture).
    Cargo {
        /// `BuildProperties.Binary`: which binary, when the package has several.
        binary: Option<String>,
    },
    /// Java: the sources compiled with `javac` against Lockgate's stand-in
    /// for the Lambda Java libraries, in Lambda's layout (classes at the
    /// root, jars in `lib/`). `version` is `17` for `java17`, `8` for
    /// `java8.al2`.
    Java {
        /// The runtime's Java version.
        version: String,
    },
    /// The code directory as it is (a `provided` runtime with a prebuilt
    /// `bootstrap` and no Makefile, a Java function already compiled).
    Copy,
}

impl Method {
    /// The method's name as reported (`python`, `node`, `makefile`, `cargo`, `java`, `copy`).
    pub fn name(&self) -> &'static str {
        match self {
            Method::Python { .. } => "python",
            Method::Node { .. } => "node",
            Method::Makefile => "makefile",
            Method::Cargo { .. } => "cargo",
            Method::Java { .. } => "java",
            Method::Copy => "copy",
        }
    }
}

/// One function or layer to build.
#[derive(Debug, Clone)]
pub struct Target {
    /// Its logical ID.
    pub logical_id: String,
    /// Function or layer.
    pub kind: Kind,
    /// The runtime (`python3.12`), or for a layer its `BuildMethod`.
    pub runtime: Option<String>,
    /// How it is built.
    pub method: Method,
    /// The code directory (absolute).
    pub code_dir: PathBuf,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// `Metadata.BuildProperties`, as written.
    pub build_properties: Value,
    /// Logical IDs of layers of this template it uses (`!Ref MyLayer`).
    pub layers: Vec<String>,
}

impl Target {
    /// Whether building changes its code: dependencies to install (a
    /// `requirements.txt` that names any, a `package.json` with production
    /// dependencies), a Makefile or cargo to run, or a layer to lay out under
    /// its runtime's folder (`python/`, `nodejs/`). Without any of these the
    /// build only copies the code directory, which deploys as it is.
    pub fn needs_build(&self) -> bool {
        let read = |name: &str| std::fs::read_to_string(self.code_dir.join(name)).ok();
        match &self.method {
            Method::Makefile | Method::Cargo { .. } | Method::Java { .. } => true,
            Method::Copy => false,
            _ if self.kind == Kind::Layer => true,
            Method::Python { .. } => read("requirements.txt")
                .is_some_and(|t| crate::methods::python::has_requirements(&t)),
            Method::Node { .. } => {
                read("package.json").is_some_and(|t| crate::methods::node::has_dependencies(&t))
            }
        }
    }
}

/// Whether any function or layer of `template` (with parameter values
/// `overrides`) needs a build step ([`Target::needs_build`]). Reads the
/// template without the SAM transform: cheaper than a build's own load, for
/// a deploy deciding whether to build at all.
pub fn needs_build(
    template: &Path,
    overrides: &lockgate_template::Overrides,
) -> Result<bool, BuildError> {
    let opts = lockgate_template::LoadOptions {
        overrides: overrides.clone(),
        sam_transform: false,
        ..Default::default()
    };
    let loaded = match lockgate_template::load_file(template, &opts) {
        Ok(loaded) => loaded,
        // A template may name what only the SAM transform creates (an
        // output's `${ServerlessRestApi}`, as `sam init`'s templates do):
        // read it as the build itself does.
        Err(_) => lockgate_template::load_file(
            template,
            &lockgate_template::LoadOptions {
                overrides: overrides.clone(),
                ..Default::default()
            },
        )?,
    };
    let dir = template
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = std::fs::canonicalize(dir).map_err(|e| crate::error::io_err(dir, e))?;
    let (targets, _) = read_targets(&loaded, &template.display().to_string(), &dir)?;
    Ok(targets.iter().any(Target::needs_build))
}

/// A function or layer not built, and why.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skipped {
    /// Its logical ID.
    #[serde(rename = "logicalId")]
    pub logical_id: String,
    /// Why (`InlineCode`, `PackageType: Image`, no `BuildMethod`, …).
    pub reason: String,
}

const FUNCTION_TYPES: &[&str] = &["AWS::Serverless::Function", "AWS::Lambda::Function"];
const LAYER_TYPES: &[&str] = &["AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"];

/// The property holding local code, by resource type.
fn code_property(ty: &str) -> &'static str {
    match ty {
        "AWS::Serverless::Function" => "CodeUri",
        "AWS::Lambda::Function" => "Code",
        "AWS::Serverless::LayerVersion" => "ContentUri",
        _ => "Content",
    }
}

fn is_local(s: &str) -> bool {
    !(s.starts_with("s3://") || s.starts_with("https://") || s.starts_with("http://"))
}

struct Reader<'a> {
    loaded: &'a LoadedTemplate,
    file: &'a str,
}

impl Reader<'_> {
    fn error(&self, id: &str, message: String) -> BuildError {
        BuildError::Resource {
            file: self.file.to_string(),
            logical_id: id.to_string(),
            message,
        }
    }

    /// A property evaluated with the template's parameters, mappings and
    /// conditions (resource references stay symbolic).
    fn eval(
        &self,
        v: &Value,
        path: Vec<PathSeg>,
    ) -> Result<Option<Value>, lockgate_template::EvalError> {
        let resources: HashSet<String> = self
            .loaded
            .document
            .value()
            .get("Resources")
            .and_then(Value::as_object)
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        let scope = self.loaded.scope(&resources, &Unresolved, &Unresolved);
        scope.eval(v, &lockgate_template::Path(path))
    }

    fn string_prop(
        &self,
        id: &str,
        props: &Map<String, Value>,
        globals: Option<&Map<String, Value>>,
        name: &str,
    ) -> Result<Option<String>, BuildError> {
        let (v, from_globals) = match props.get(name) {
            Some(v) => (v, false),
            None => match globals.and_then(|g| g.get(name)) {
                Some(v) => (v, true),
                None => return Ok(None),
            },
        };
        let path: Vec<PathSeg> = if from_globals {
            vec!["Globals".into(), "Function".into(), name.into()]
        } else {
            vec![
                "Resources".into(),
                id.into(),
                "Properties".into(),
                name.into(),
            ]
        };
        match self.eval(v, path) {
            Ok(Some(Value::String(s))) => Ok(Some(s)),
            Ok(None) => Ok(None),
            Ok(Some(other)) if other.is_object() && lockgate_template::eval::is_symbolic(&other) => Err(self.error(
                id,
                format!("`{name}` is only known at deploy time ({other}); a build needs it from the template and its parameters"),
            )),
            Ok(Some(other)) => Ok(Some(match other {
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                o => o.to_string(),
            })),
            Err(e) => Err(self.error(id, format!("`{name}`: {e}"))),
        }
    }
}

/// The functions and layers of a loaded template that can be built, and
/// those that are not built (with the reason). `file` names the template in
/// messages; `dir` is its directory (code paths are relative to it).
pub fn read_targets(
    loaded: &LoadedTemplate,
    file: &str,
    dir: &Path,
) -> Result<(Vec<Target>, Vec<Skipped>), BuildError> {
    let r = Reader { loaded, file };
    let source = loaded.document.value();
    let globals = source
        .pointer("/Globals/Function")
        .and_then(Value::as_object);
    let mut targets = Vec::new();
    let mut skipped = Vec::new();
    let Some(resources) = source.get("Resources").and_then(Value::as_object) else {
        return Ok((targets, skipped));
    };
    for (id, res) in resources {
        let ty = res.get("Type").and_then(Value::as_str).unwrap_or("");
        let kind = if FUNCTION_TYPES.contains(&ty) {
            Kind::Function
        } else if LAYER_TYPES.contains(&ty) {
            Kind::Layer
        } else {
            continue;
        };
        if let Some(cond) = res.get("Condition").and_then(Value::as_str)
            && loaded.conditions.get(cond).copied().flatten() == Some(false)
        {
            skipped.push(Skipped {
                logical_id: id.clone(),
                reason: format!("its condition `{cond}` is false"),
            });
            continue;
        }
        let empty = Map::new();
        let props = res
            .get("Properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let metadata = res
            .get("Metadata")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let sam = ty.starts_with("AWS::Serverless::");
        let g = if sam && kind == Kind::Function {
            globals
        } else {
            None
        };
        let skip = |reason: &str| Skipped {
            logical_id: id.clone(),
            reason: reason.to_string(),
        };
        if metadata.get("SkipBuild").is_some_and(|v| {
            v == &Value::Bool(true) || v.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
        }) {
            skipped.push(skip("Metadata: SkipBuild is true"));
            continue;
        }
        if kind == Kind::Function {
            let image = r.string_prop(id, props, g, "PackageType")?.as_deref() == Some("Image")
                || props.contains_key("ImageUri");
            if image {
                skipped.push(skip("a container image function (PackageType: Image) is built with Docker, which Lockgate does not run"));
                continue;
            }
            if props.contains_key("InlineCode")
                || (!props.contains_key("CodeUri")
                    && g.is_some_and(|g| g.contains_key("InlineCode")))
            {
                skipped.push(skip("InlineCode: the code is in the template"));
                continue;
            }
        }
        let prop = code_property(ty);
        let code = match props.get(prop).or_else(|| g.and_then(|g| g.get(prop))) {
            None if sam && kind == Kind::Function => Some(".".to_string()),
            None => None,
            Some(Value::String(_)) => r.string_prop(id, props, g, prop)?,
            Some(v) => match r.eval(
                v,
                vec![
                    "Resources".into(),
                    id.as_str().into(),
                    "Properties".into(),
                    prop.into(),
                ],
            ) {
                Ok(Some(Value::String(s))) => Some(s),
                _ => None,
            },
        };
        let Some(code) = code.filter(|c| is_local(c)) else {
            skipped.push(skip(&format!("its `{prop}` is not a local path")));
            continue;
        };
        let code_dir = dir.join(&code);
        if !code_dir.is_dir() {
            return Err(r.error(
                id,
                format!(
                    "`{prop}: {code}` is not a directory ({} does not exist or is a file)",
                    code_dir.display()
                ),
            ));
        }
        let code_dir =
            std::fs::canonicalize(&code_dir).map_err(|e| crate::error::io_err(&code_dir, e))?;
        let build_method = metadata
            .get("BuildMethod")
            .and_then(Value::as_str)
            .map(str::to_string);
        let build_properties = metadata
            .get("BuildProperties")
            .cloned()
            .unwrap_or(Value::Null);
        let architecture = match props
            .get("Architectures")
            .or_else(|| g.and_then(|g| g.get("Architectures")))
        {
            Some(v) => match r.eval(
                v,
                vec![
                    "Resources".into(),
                    id.as_str().into(),
                    "Properties".into(),
                    "Architectures".into(),
                ],
            ) {
                Ok(Some(Value::Array(a))) => a
                    .first()
                    .and_then(Value::as_str)
                    .unwrap_or("x86_64")
                    .to_string(),
                _ => "x86_64".into(),
            },
            None => metadata
                .get("BuildArchitecture")
                .and_then(Value::as_str)
                .unwrap_or("x86_64")
                .to_string(),
        };
        let (runtime, method) = match kind {
            Kind::Function => {
                let runtime = r.string_prop(id, props, g, "Runtime")?;
                let method = function_method(
                    &r,
                    id,
                    runtime.as_deref(),
                    build_method.as_deref(),
                    &code_dir,
                    &build_properties,
                )?;
                (runtime, method)
            }
            Kind::Layer => {
                let Some(bm) = build_method else {
                    skipped.push(skip(
                        "a layer without Metadata: BuildMethod is used as it is",
                    ));
                    continue;
                };
                let method = method_of(&bm, None).ok_or_else(|| {
                    r.error(id, format!("Metadata: BuildMethod `{bm}` is not a method Lockgate builds layers with: expected a python3.x, nodejsNN.x or javaNN runtime, or makefile"))
                })?;
                if matches!(method, Method::Cargo { .. }) {
                    return Err(r.error(id, "a layer cannot be built with rust-cargolambda".into()));
                }
                (Some(bm), method)
            }
        };
        let mut layers = Vec::new();
        if let Some(Value::Array(items)) = props.get("Layers") {
            for l in items {
                if let Some(Value::String(name)) = l.get("Ref") {
                    layers.push(name.clone());
                }
            }
        }
        targets.push(Target {
            logical_id: id.clone(),
            kind,
            runtime,
            method,
            code_dir,
            architecture,
            build_properties,
            layers,
        });
    }
    Ok((targets, skipped))
}

/// The method a `BuildMethod` or runtime name stands for.
fn method_of(name: &str, binary: Option<String>) -> Option<Method> {
    if let Some(v) = name.strip_prefix("python") {
        return Some(Method::Python {
            version: v.to_string(),
        });
    }
    if let Some(v) = name.strip_prefix("nodejs") {
        return Some(Method::Node {
            major: v.trim_end_matches(".x").to_string(),
        });
    }
    if let Some(major) = lockgate_java::runtime_major(name) {
        return Some(Method::Java {
            version: major.to_string(),
        });
    }
    match name {
        "makefile" => Some(Method::Makefile),
        "rust-cargolambda" => Some(Method::Cargo { binary }),
        _ => None,
    }
}

fn function_method(
    r: &Reader<'_>,
    id: &str,
    runtime: Option<&str>,
    build_method: Option<&str>,
    code_dir: &Path,
    props: &Value,
) -> Result<Method, BuildError> {
    let binary = props
        .get("Binary")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(bm) = build_method {
        return method_of(bm, binary).ok_or_else(|| {
            r.error(id, format!("Metadata: BuildMethod `{bm}` is not supported: expected makefile, rust-cargolambda, or a python3.x / nodejsNN.x / javaNN runtime (esbuild and dotnet builds need their own tools)"))
        });
    }
    let Some(rt) = runtime else {
        return Err(r.error(id, "it has no `Runtime` (in its Properties or Globals): a build needs one, or Metadata: BuildMethod".into()));
    };
    if rt.starts_with("python") || rt.starts_with("nodejs") {
        return Ok(method_of(rt, None).unwrap_or(Method::Copy));
    }
    if rt.starts_with("provided") {
        return Ok(if code_dir.join("Makefile").is_file() {
            Method::Makefile
        } else {
            Method::Copy
        });
    }
    if rt.starts_with("ruby") && !code_dir.join("Gemfile").is_file() {
        return Ok(Method::Copy);
    }
    if rt.starts_with("java")
        && let Some(method) = method_of(rt, None)
    {
        // Code already compiled (class files, jars) deploys as it is; so
        // do sources on a machine without a JDK, where they could not run
        // either (the build warns, see `uncompiled_java`).
        return Ok(
            if crate::methods::java::has_sources(code_dir)
                && crate::methods::java::javac().is_some()
            {
                method
            } else {
                Method::Copy
            },
        );
    }
    Err(r.error(id, format!("building runtime `{rt}` is not supported: add `Metadata: BuildMethod: makefile` and a Makefile with a `build-{id}` target")))
}

/// The warning for a Java function whose sources this machine cannot
/// compile (no JDK), copied as they are; `None` for any other target.
pub(crate) fn uncompiled_java(t: &Target) -> Option<String> {
    let rt = t.runtime.as_deref()?;
    (t.kind == Kind::Function
        && rt.starts_with("java")
        && t.method == Method::Copy
        && crate::methods::java::has_sources(&t.code_dir))
    .then(|| {
        format!(
            "{}: runtime {rt}: no JDK (`javac`) on this machine, so its sources are copied \
             uncompiled: it deploys, and runs nowhere until built where a JDK is installed \
             (Debian: apt-get install default-jdk-headless)",
            t.logical_id
        )
    })
}

/// Relative path from directory `base` to `target` (both absolute).
pub fn relative(target: &Path, base: &Path) -> PathBuf {
    let t: Vec<_> = target.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = t.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &t[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// Local file paths the built template must point at from its new place,
/// by resource type (the SAM CLI rewrites the same ones).
const PATH_PROPERTIES: &[(&str, &str)] = &[
    ("AWS::Serverless::Function", "CodeUri"),
    ("AWS::Serverless::Api", "DefinitionUri"),
    ("AWS::Serverless::HttpApi", "DefinitionUri"),
    ("AWS::Serverless::StateMachine", "DefinitionUri"),
    ("AWS::Serverless::LayerVersion", "ContentUri"),
    ("AWS::Serverless::Application", "Location"),
    ("AWS::Serverless::GraphQLApi", "SchemaUri"),
    ("AWS::Lambda::Function", "Code"),
    ("AWS::Lambda::LayerVersion", "Content"),
    ("AWS::ApiGateway::RestApi", "BodyS3Location"),
    ("AWS::ApiGatewayV2::Api", "BodyS3Location"),
    ("AWS::StepFunctions::StateMachine", "DefinitionS3Location"),
    ("AWS::AppSync::GraphQLSchema", "DefinitionS3Location"),
    ("AWS::AppSync::Resolver", "RequestMappingTemplateS3Location"),
    (
        "AWS::AppSync::Resolver",
        "ResponseMappingTemplateS3Location",
    ),
    ("AWS::AppSync::Resolver", "CodeS3Location"),
    (
        "AWS::AppSync::FunctionConfiguration",
        "RequestMappingTemplateS3Location",
    ),
    (
        "AWS::AppSync::FunctionConfiguration",
        "ResponseMappingTemplateS3Location",
    ),
    ("AWS::AppSync::FunctionConfiguration", "CodeS3Location"),
    ("AWS::CloudFormation::Stack", "TemplateURL"),
];

/// The built template: the source template with each built function's or
/// layer's code property set to its folder (a path relative to `build_dir`,
/// as the SAM CLI writes it), and every other local path rewritten to
/// point at the same file from `build_dir`.
pub fn built_template(
    source: &Value,
    template_dir: &Path,
    build_dir: &Path,
    built: &BTreeMap<String, String>,
) -> Value {
    let mut out = source.clone();
    let rewrite = |s: &mut String| {
        if is_local(s) && !s.is_empty() {
            let abs = template_dir.join(&*s);
            *s = relative(&abs, build_dir).display().to_string();
        }
    };
    if let Some(Value::String(s)) = out.pointer_mut("/Globals/Function/CodeUri") {
        rewrite(s);
    }
    let Some(Value::Object(resources)) = out.get_mut("Resources") else {
        return out;
    };
    for (id, res) in resources.iter_mut() {
        let ty = res
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(obj) = res.as_object_mut() else {
            continue;
        };
        if let Some(folder) = built.get(id) {
            let props = obj
                .entry("Properties")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(p) = props.as_object_mut() {
                p.insert(code_property(&ty).into(), Value::String(folder.clone()));
            }
            continue;
        }
        for (t, prop) in PATH_PROPERTIES {
            if *t == ty
                && let Some(Value::String(s)) =
                    obj.get_mut("Properties").and_then(|p| p.get_mut(*prop))
            {
                rewrite(s);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(dir: &Path, kind: Kind, method: Method) -> Target {
        Target {
            logical_id: "Fn".into(),
            kind,
            runtime: None,
            method,
            code_dir: dir.to_path_buf(),
            architecture: "x86_64".into(),
            build_properties: Value::Null,
            layers: Vec::new(),
        }
    }

    #[test]
    fn a_build_is_needed_only_where_it_changes_the_code() {
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path();
        let python = || Method::Python {
            version: "3.11".into(),
        };
        let node = || Method::Node { major: "20".into() };
        assert!(
            !target(d, Kind::Function, python()).needs_build(),
            "no requirements.txt"
        );
        std::fs::write(d.join("requirements.txt"), "# nothing yet\n").unwrap();
        assert!(
            !target(d, Kind::Function, python()).needs_build(),
            "nothing named"
        );
        std::fs::write(d.join("requirements.txt"), "six==1.16.0\n").unwrap();
        assert!(target(d, Kind::Function, python()).needs_build());
        std::fs::write(d.join("package.json"), r#"{"name": "x"}"#).unwrap();
        assert!(
            !target(d, Kind::Function, node()).needs_build(),
            "no dependencies"
        );
        std::fs::write(d.join("package.json"), r#"{"dependencies": {"a": "1"}}"#).unwrap();
        assert!(target(d, Kind::Function, node()).needs_build());
        let empty = tempfile::tempdir().unwrap();
        assert!(
            target(empty.path(), Kind::Layer, python()).needs_build(),
            "a layer is laid out under python/"
        );
        assert!(target(empty.path(), Kind::Function, Method::Makefile).needs_build());
        assert!(!target(empty.path(), Kind::Function, Method::Copy).needs_build());
    }
    use serde_json::json;

    fn targets(text: &str) -> Result<(Vec<Target>, Vec<Skipped>), BuildError> {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("src")).unwrap();
        let loaded = lockgate_template::load("template.yaml", text, &Default::default()).unwrap();
        read_targets(&loaded, "template.yaml", t.path())
    }

    #[test]
    fn conditions_metadata_and_package_types_decide_what_is_built() {
        let (built, skipped) = targets(
            "Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: src/, Runtime: python3.12, Handler: a.h, Architectures: [arm64]}
  ProdOnly:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {CodeUri: src/, Runtime: python3.12, Handler: a.h}
  Skip:
    Type: AWS::Serverless::Function
    Metadata: {SkipBuild: true}
    Properties: {CodeUri: src/, Runtime: python3.12, Handler: a.h}
  Img:
    Type: AWS::Serverless::Function
    Properties: {PackageType: Image, ImageUri: repo:tag}
  Made:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: makefile}
    Properties: {CodeUri: src/, Handler: a.h, Runtime: provided.al2023}
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: src/}
",
        )
        .unwrap();
        let ids: Vec<&str> = built.iter().map(|t| t.logical_id.as_str()).collect();
        assert_eq!(ids, ["Fn", "Made"]);
        assert_eq!(
            built[0].method,
            Method::Python {
                version: "3.12".into()
            }
        );
        assert_eq!(built[0].architecture, "arm64");
        assert_eq!(built[1].method, Method::Makefile);
        let reasons: Vec<String> = skipped
            .iter()
            .map(|s| format!("{}: {}", s.logical_id, s.reason))
            .collect();
        assert_eq!(reasons.len(), 4, "{reasons:?}");
        assert!(
            reasons[0].starts_with("ProdOnly: its condition `IsProd` is false"),
            "{reasons:?}"
        );
    }

    /// `sam init`'s templates name `ServerlessRestApi` in their outputs,
    /// which only the SAM transform creates: still read.
    #[test]
    fn needs_build_reads_templates_that_name_what_the_transform_creates() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("src/main/java/h")).unwrap();
        std::fs::write(t.path().join("src/main/java/h/App.java"), "package h;").unwrap();
        let template = t.path().join("template.yaml");
        std::fs::write(
            &template,
            "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Runtime: java17
      Handler: h.App::handleRequest
      Events:
        Hello: {Type: Api, Properties: {Path: /hello, Method: get}}
Outputs:
  Api:
    Value: !Sub https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/hello/
",
        )
        .unwrap();
        assert!(needs_build(&template, &Default::default()).unwrap());
    }

    #[test]
    fn java_code_with_sources_is_compiled_and_compiled_code_is_copied() {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        std::fs::create_dir_all(d.join("src/main/java/h")).unwrap();
        std::fs::write(d.join("src/main/java/h/App.java"), "package h;").unwrap();
        std::fs::create_dir_all(d.join("built/h")).unwrap();
        std::fs::write(d.join("built/h/App.class"), "").unwrap();
        let text = "Transform: AWS::Serverless-2016-10-31
Resources:
  Src:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Runtime: java21, Handler: h.App::handleRequest}
  Built:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: built/, Runtime: java8.al2, Handler: h.App}
  Deps:
    Type: AWS::Serverless::LayerVersion
    Metadata: {BuildMethod: java17}
    Properties: {ContentUri: built/}
";
        let loaded = lockgate_template::load("template.yaml", text, &Default::default()).unwrap();
        let (built, _) = read_targets(&loaded, "template.yaml", d).unwrap();
        let method = |id: &str| {
            built
                .iter()
                .find(|t| t.logical_id == id)
                .unwrap()
                .method
                .clone()
        };
        assert_eq!(
            method("Src"),
            Method::Java {
                version: "21".into()
            }
        );
        assert_eq!(method("Built"), Method::Copy);
        assert_eq!(
            method("Deps"),
            Method::Java {
                version: "17".into()
            }
        );
        assert!(target(d, Kind::Function, method("Src")).needs_build());
        // Without a JDK, sources are copied, with a warning saying so.
        let mut uncompiled = target(d, Kind::Function, Method::Copy);
        uncompiled.runtime = Some("java21".into());
        let warning = uncompiled_java(&uncompiled).unwrap();
        assert!(
            warning.starts_with("Fn: runtime java21: no JDK"),
            "{warning}"
        );
        let mut built = target(&d.join("built"), Kind::Function, Method::Copy);
        built.runtime = Some("java21".into());
        assert_eq!(uncompiled_java(&built), None, "compiled code: no warning");
    }

    #[test]
    fn unbuildable_runtimes_name_the_resource_and_the_way_out() {
        let e = targets("Resources:\n  D:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: src/, Handler: x, Runtime: dotnet8}\n").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("template.yaml: D: building runtime `dotnet8` is not supported"),
            "{text}"
        );
        assert!(text.contains("build-D"), "{text}");
        let e = targets("Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: nowhere/, Handler: x, Runtime: python3.12}\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("`CodeUri: nowhere/` is not a directory"),
            "{e}"
        );
    }

    #[test]
    fn relative_paths() {
        assert_eq!(
            relative(Path::new("/a/b/api.yaml"), Path::new("/a/b/.aws-sam/build")),
            Path::new("../../api.yaml")
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b")),
            Path::new(".")
        );
    }

    #[test]
    fn the_built_template_points_at_the_folders() {
        let src = json!({
            "Globals": {"Function": {"CodeUri": "src/"}},
            "Resources": {
                "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "a.h"}},
                "Api": {"Type": "AWS::Serverless::Api", "Properties": {"DefinitionUri": "api.yaml"}},
                "Remote": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://b/k.zip"}}
            }
        });
        let mut built = BTreeMap::new();
        built.insert("Fn".to_string(), "Fn".to_string());
        let out = built_template(
            &src,
            Path::new("/app"),
            Path::new("/app/.aws-sam/build"),
            &built,
        );
        assert_eq!(out["Resources"]["Fn"]["Properties"]["CodeUri"], "Fn");
        assert_eq!(
            out["Resources"]["Api"]["Properties"]["DefinitionUri"],
            "../../api.yaml"
        );
        assert_eq!(
            out["Resources"]["Remote"]["Properties"]["CodeUri"],
            "s3://b/k.zip"
        );
        assert_eq!(out["Globals"]["Function"]["CodeUri"], "../../src");
    }
}
