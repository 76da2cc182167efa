//! What `sam package` / `aws cloudformation package` do before a deploy:
//! every local path a template names — function code, layers, API and state
//! machine definitions, GraphQL schemas and resolver code, nested templates,
//! scripts — becomes an S3 location, and the files an
//! `Fn::Transform: AWS::Include` names are inlined.
//!
//! The general API works in three steps, so that the CLI can package on the
//! client side and upload, and the loader can use placeholders:
//!
//! 1. [`inline_includes`]: every `Fn::Transform` `AWS::Include` with a local
//!    `Location` is replaced by the file's content (YAML or JSON, short-form
//!    tags allowed), as CloudFormation does with the uploaded copy;
//! 2. [`local_artifacts`]: every other local path, with its [`ArtifactKind`]
//!    (directory, file, zip, nested template, image) and JSON pointer;
//! 3. [`rewrite_artifacts`]: each one replaced by what a caller-given closure
//!    returns ([`Packaged`]: an S3 location, written in the form the property
//!    takes, or inline content).
//!
//! [`package`] runs the three. Files are read through an [`ArtifactSource`]
//! ([`LocalDir`]: a template's directory). [`PACKAGEABLE`] lists every
//! property, in one place.
//!
//! [`package_local_paths`] is the older, code-only rewrite the deployer
//! uses; [`crate::load`] packages with [`crate::LoadOptions::code_locations`]
//! and falls back to [`local_location`] placeholders, as `sam validate` does.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// The bucket name that marks "local code" in S3 locations.
pub const LOCAL_BUCKET: &str = "lockgate-local";

fn is_local(s: &str) -> bool {
    !s.starts_with("s3://") && !s.starts_with("https://") && !s.starts_with("http://")
}

/// Splits `s3://bucket/key` into its parts.
fn split_s3(s: &str) -> Option<(&str, &str)> {
    s.strip_prefix("s3://")?.split_once('/')
}

/// Rewrites every local code path of a SAM / CloudFormation template
/// through `rewrite`, which returns an `s3://bucket/key` location:
///
/// - `CodeUri` of `AWS::Serverless::Function` and of `Globals.Function`
///   (a function with neither `CodeUri`, `InlineCode` nor `ImageUri` gets
///   the template directory, `.`, as SAM CLI does);
/// - `ContentUri` of `AWS::Serverless::LayerVersion`;
/// - a string `Code` of `AWS::Lambda::Function` and a string `Content` of
///   `AWS::Lambda::LayerVersion` (these become `{S3Bucket, S3Key}`).
///
/// Values that already are S3 locations or objects are left alone. For
/// every other packageable property see [`package`].
pub fn package_local_paths(template: &mut Value, mut rewrite: impl FnMut(&str) -> String) {
    let globals_code = template
        .pointer("/Globals/Function")
        .map(|g| g.get("CodeUri").is_some() || g.get("InlineCode").is_some())
        .unwrap_or(false);
    if let Some(Value::String(uri)) = template.pointer_mut("/Globals/Function/CodeUri")
        && is_local(uri)
    {
        *uri = rewrite(uri);
    }
    let Some(Value::Object(resources)) = template.get_mut("Resources") else {
        return;
    };
    for r in resources.values_mut() {
        let ty = r
            .get("Type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let Some(Value::Object(props)) = ensure_props(r) else {
            continue;
        };
        match ty.as_str() {
            "AWS::Serverless::Function" => {
                let image = is_image(props);
                let inline = props.contains_key("InlineCode");
                match props.get_mut("CodeUri") {
                    Some(Value::String(uri)) if is_local(uri) => *uri = rewrite(uri),
                    None if !image && !globals_code && !inline => {
                        props.insert("CodeUri".into(), Value::String(rewrite(".")));
                    }
                    _ => {}
                }
            }
            "AWS::Serverless::LayerVersion" => {
                if let Some(Value::String(uri)) = props.get_mut("ContentUri")
                    && is_local(uri)
                {
                    *uri = rewrite(uri);
                }
            }
            "AWS::Lambda::Function" => to_s3_object(props, "Code", &mut rewrite),
            "AWS::Lambda::LayerVersion" => to_s3_object(props, "Content", &mut rewrite),
            _ => {}
        }
    }
}

fn is_image(props: &Map<String, Value>) -> bool {
    props.get("PackageType").and_then(Value::as_str) == Some("Image")
        || props.contains_key("ImageUri")
}

fn ensure_props(r: &mut Value) -> Option<&mut Value> {
    let obj = r.as_object_mut()?;
    Some(
        obj.entry("Properties")
            .or_insert_with(|| Value::Object(Map::new())),
    )
}

/// Rewrites a local path in `props[key]` to `{S3Bucket, S3Key}`.
fn to_s3_object(
    props: &mut Map<String, Value>,
    key: &str,
    rewrite: &mut impl FnMut(&str) -> String,
) {
    if let Some(Value::String(path)) = props.get(key)
        && is_local(path)
    {
        let location = rewrite(path);
        if let Some((bucket, k)) = split_s3(&location) {
            props.insert(key.into(), json!({ "S3Bucket": bucket, "S3Key": k }));
        }
    }
}

/// The placeholder location of a local path: `s3://lockgate-local/<path as written>`.
pub fn local_location(path: &str) -> String {
    let trimmed = path.strip_prefix("./").unwrap_or(path);
    format!(
        "s3://{LOCAL_BUCKET}/{}",
        if trimmed.is_empty() { "." } else { trimmed }
    )
}

// ---------------------------------------------------------------------------
// The general packager.

/// What `sam package` does with a packageable property's local path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Packaging {
    /// Code: a directory is zipped, a `.zip` / `.jar` is used as it is, another
    /// single file is zipped alone.
    Code,
    /// A file uploaded as it is (an OpenAPI body, an ASL definition, a schema, code of an AppSync resolver, a script).
    File,
    /// A nested template, packaged itself and then uploaded.
    Template,
}

/// How a packaged location is written into the property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationForm {
    /// `s3://bucket/key`.
    Uri,
    /// A map of the bucket and the key, under these two names (`{S3Bucket, S3Key}`, `{Bucket, Key}`).
    Object(&'static str, &'static str),
    /// `https://s3.amazonaws.com/bucket/key` (nested templates).
    Url,
}

/// One packageable property of a resource type.
#[derive(Debug, Clone, Copy)]
pub struct Packageable {
    /// The resource type.
    pub resource_type: &'static str,
    /// The property: a path under `Properties`, `/`-separated, where `*`
    /// stands for every key of a map (`Resolvers/*/*/CodeUri`).
    pub property: &'static str,
    /// What a local path there holds.
    pub packaging: Packaging,
    /// How its S3 location is written.
    pub form: LocationForm,
}

const fn pk(
    resource_type: &'static str,
    property: &'static str,
    packaging: Packaging,
    form: LocationForm,
) -> Packageable {
    Packageable {
        resource_type,
        property,
        packaging,
        form,
    }
}

use LocationForm::{Object, Uri, Url};
use Packaging::{Code, File, Template};

/// Every property `sam package` and `aws cloudformation package` package.
/// (`Globals.Function.CodeUri` and `Fn::Transform` `AWS::Include` are handled
/// besides.)
pub const PACKAGEABLE: &[Packageable] = &[
    pk("AWS::Serverless::Function", "CodeUri", Code, Uri),
    pk("AWS::Serverless::LayerVersion", "ContentUri", Code, Uri),
    pk("AWS::Serverless::Api", "DefinitionUri", File, Uri),
    pk("AWS::Serverless::HttpApi", "DefinitionUri", File, Uri),
    pk(
        "AWS::Serverless::StateMachine",
        "DefinitionUri",
        File,
        Object("Bucket", "Key"),
    ),
    pk("AWS::Serverless::GraphQLApi", "SchemaUri", File, Uri),
    pk(
        "AWS::Serverless::GraphQLApi",
        "Functions/*/CodeUri",
        File,
        Uri,
    ),
    pk(
        "AWS::Serverless::GraphQLApi",
        "Resolvers/*/*/CodeUri",
        File,
        Uri,
    ),
    pk("AWS::Serverless::Application", "Location", Template, Url),
    pk(
        "AWS::Lambda::Function",
        "Code",
        Code,
        Object("S3Bucket", "S3Key"),
    ),
    pk(
        "AWS::Lambda::LayerVersion",
        "Content",
        Code,
        Object("S3Bucket", "S3Key"),
    ),
    pk(
        "AWS::StepFunctions::StateMachine",
        "DefinitionS3Location",
        File,
        Object("Bucket", "Key"),
    ),
    pk(
        "AWS::ApiGateway::RestApi",
        "BodyS3Location",
        File,
        Object("Bucket", "Key"),
    ),
    pk(
        "AWS::ApiGatewayV2::Api",
        "BodyS3Location",
        File,
        Object("Bucket", "Key"),
    ),
    pk(
        "AWS::AppSync::GraphQLSchema",
        "DefinitionS3Location",
        File,
        Uri,
    ),
    pk(
        "AWS::AppSync::Resolver",
        "RequestMappingTemplateS3Location",
        File,
        Uri,
    ),
    pk(
        "AWS::AppSync::Resolver",
        "ResponseMappingTemplateS3Location",
        File,
        Uri,
    ),
    pk("AWS::AppSync::Resolver", "CodeS3Location", File, Uri),
    pk(
        "AWS::AppSync::FunctionConfiguration",
        "RequestMappingTemplateS3Location",
        File,
        Uri,
    ),
    pk(
        "AWS::AppSync::FunctionConfiguration",
        "ResponseMappingTemplateS3Location",
        File,
        Uri,
    ),
    pk(
        "AWS::AppSync::FunctionConfiguration",
        "CodeS3Location",
        File,
        Uri,
    ),
    pk("AWS::CloudFormation::Stack", "TemplateURL", Template, Url),
    pk("AWS::Glue::Job", "Command/ScriptLocation", File, Uri),
    pk(
        "AWS::ElasticBeanstalk::ApplicationVersion",
        "SourceBundle",
        Code,
        Object("S3Bucket", "S3Key"),
    ),
    pk(
        "AWS::CodeCommit::Repository",
        "Code/S3",
        Code,
        Object("Bucket", "Key"),
    ),
];

/// What a local artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A directory (zipped when uploaded).
    Directory,
    /// A single file.
    File,
    /// A `.zip` (or `.jar`) archive, used as it is: prebuilt code.
    Zip,
    /// A nested template (`AWS::Serverless::Application` `Location`,
    /// `AWS::CloudFormation::Stack` `TemplateURL`).
    Template,
    /// A file whose content replaces the `Fn::Transform` `AWS::Include` naming it.
    Include,
    /// A container image (`ImageUri` of a `PackageType: Image` function):
    /// not a local path, and not runnable here (no container runtime).
    Image,
}

/// One local artifact of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// JSON pointer of the value that names it (`/Resources/Fn/Properties/CodeUri`).
    pub pointer: String,
    /// The logical ID of the resource it belongs to (none for `Globals`, and
    /// for an include outside `Resources`).
    pub resource: Option<String>,
    /// That resource's type.
    pub resource_type: Option<String>,
    /// The property as [`PACKAGEABLE`] names it (`CodeUri`,
    /// `Resolvers/*/*/CodeUri`, `Fn::Transform`, …).
    pub property: String,
    /// The path (or image) as written.
    pub path: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// Whether the path exists (always true for images).
    pub exists: bool,
    /// How a location is written back.
    pub form: LocationForm,
}

impl Artifact {
    /// The pointer as a [`crate::Path`] into the document.
    pub fn path_in_document(&self) -> crate::Path {
        crate::Path(
            self.pointer
                .split('/')
                .skip(1)
                .map(|s| crate::PathSeg::Key(s.replace("~1", "/").replace("~0", "~")))
                .collect(),
        )
    }
}

/// An S3 location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key.
    pub key: String,
}

impl S3Location {
    /// The placeholder location of a local path (bucket [`LOCAL_BUCKET`], key the path as written).
    pub fn placeholder(path: &str) -> S3Location {
        let trimmed = path.strip_prefix("./").unwrap_or(path);
        S3Location {
            bucket: LOCAL_BUCKET.into(),
            key: if trimmed.is_empty() { "." } else { trimmed }.into(),
        }
    }

    /// The location written in `form`.
    pub fn to_value(&self, form: LocationForm) -> Value {
        match form {
            LocationForm::Uri => Value::String(format!("s3://{}/{}", self.bucket, self.key)),
            LocationForm::Object(b, k) => json!({ b: self.bucket, k: self.key }),
            LocationForm::Url => Value::String(format!(
                "https://s3.amazonaws.com/{}/{}",
                self.bucket, self.key
            )),
        }
    }

    /// Reads a location in any of the forms packaging writes: `s3://b/k`,
    /// `{S3Bucket, S3Key}`, `{Bucket, Key}`, or an S3 `https://` URL (path
    /// style, `https://s3[.region].amazonaws.com/b/k`).
    pub fn from_value(v: &Value) -> Option<S3Location> {
        let loc = |b: &str, k: &str| {
            Some(S3Location {
                bucket: b.to_string(),
                key: k.to_string(),
            })
        };
        match v {
            Value::String(s) => {
                if let Some((b, k)) = split_s3(s) {
                    return loc(b, k);
                }
                let rest = s.strip_prefix("https://")?;
                let (host, path) = rest.split_once('/')?;
                let s3_host = host.starts_with("s3.") || host.starts_with("s3-");
                if !s3_host || !host.ends_with(".amazonaws.com") {
                    return None;
                }
                let (b, k) = path.split_once('/')?;
                loc(b, k)
            }
            Value::Object(m) => {
                let get = |a: &str, b: &str| {
                    m.get(a)
                        .or_else(|| m.get(b))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                };
                Some(S3Location {
                    bucket: get("S3Bucket", "Bucket")?,
                    key: get("S3Key", "Key")?,
                })
            }
            _ => None,
        }
    }
}

/// What a local artifact becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Packaged {
    /// Uploaded there; written in the property's [`LocationForm`].
    Location(S3Location),
    /// This value replaces the path (an include's content, an inlined body).
    Inline(Value),
    /// Left as written.
    Keep,
}

/// What is at a local path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A directory.
    Directory,
    /// A file.
    File,
    /// Nothing.
    Missing,
}

/// Where packaging reads local files: paths are as written in the template.
pub trait ArtifactSource {
    /// What `path` is.
    fn entry(&self, path: &str) -> Entry;
    /// The bytes of the file at `path`.
    fn read(&self, path: &str) -> std::io::Result<Vec<u8>>;
}

/// Files relative to a template's directory (absolute paths as they are).
#[derive(Debug, Clone)]
pub struct LocalDir {
    base: PathBuf,
}

impl LocalDir {
    /// Paths relative to `base`.
    pub fn new(base: impl Into<PathBuf>) -> Self {
        LocalDir { base: base.into() }
    }

    /// The file system path of a path as written.
    pub fn resolve(&self, path: &str) -> PathBuf {
        let p = Path::new(path);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }
}

impl ArtifactSource for LocalDir {
    fn entry(&self, path: &str) -> Entry {
        match std::fs::metadata(self.resolve(path)) {
            Ok(m) if m.is_dir() => Entry::Directory,
            Ok(_) => Entry::File,
            Err(_) => Entry::Missing,
        }
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        std::fs::read(self.resolve(path))
    }
}

/// No files: every path is missing (what is known of a template given as text alone).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl ArtifactSource for NoFiles {
    fn entry(&self, _: &str) -> Entry {
        Entry::Missing
    }

    fn read(&self, path: &str) -> std::io::Result<Vec<u8>> {
        Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("{path}: no files to read from"),
        ))
    }
}

/// Why a local artifact could not be packaged.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// An include's file could not be read.
    #[error(
        "cannot read `{path}` (the Location of `Fn::Transform` AWS::Include at {pointer}): {source}"
    )]
    Read {
        /// Where the include is.
        pointer: String,
        /// The path as written.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An include's file is not a YAML or JSON snippet.
    #[error(
        "`{path}` (the Location of `Fn::Transform` AWS::Include at {pointer}) is not valid YAML or JSON: {message}"
    )]
    Parse {
        /// Where the include is.
        pointer: String,
        /// The path as written.
        path: String,
        /// The parser's message, with line and column in that file.
        message: String,
    },
}

impl PackageError {
    /// The JSON pointer of the place at fault.
    pub fn pointer(&self) -> &str {
        match self {
            PackageError::Read { pointer, .. } | PackageError::Parse { pointer, .. } => pointer,
        }
    }
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Whether `v` is `{"Fn::Transform": {"Name": "AWS::Include", "Parameters": {"Location": LOCAL}}}`'s
/// argument, giving the location.
fn include_location(arg: &Value) -> Option<&str> {
    let name = arg.get("Name").and_then(Value::as_str)?;
    if name != "AWS::Include" {
        return None;
    }
    let loc = arg
        .pointer("/Parameters/Location")
        .and_then(Value::as_str)?;
    is_local(loc).then_some(loc)
}

/// Replaces every `Fn::Transform` `AWS::Include` whose `Location` is a local
/// path with the file's content, as CloudFormation does with the uploaded
/// copy: a value `{"Fn::Transform": …}` becomes the snippet; a
/// `Fn::Transform` key beside other keys (e.g. in `Resources`) merges the
/// snippet's keys into that map. Returns the includes inlined (kind
/// [`ArtifactKind::Include`]); snippets may hold includes of their own
/// (relative to the same directory), up to a depth of 8.
pub fn inline_includes(
    template: &mut Value,
    files: &dyn ArtifactSource,
) -> Result<Vec<Artifact>, Vec<PackageError>> {
    let mut done = Vec::new();
    let mut errors = Vec::new();
    let mut pointer = String::new();
    walk_includes(template, files, &mut pointer, 0, &mut done, &mut errors);
    if errors.is_empty() {
        Ok(done)
    } else {
        Err(errors)
    }
}

fn read_snippet(
    files: &dyn ArtifactSource,
    path: &str,
    pointer: &str,
) -> Result<Value, PackageError> {
    let bytes = files.read(path).map_err(|source| PackageError::Read {
        pointer: pointer.to_string(),
        path: path.to_string(),
        source,
    })?;
    let doc = crate::document::parse_bytes(path, &bytes).map_err(|e| PackageError::Parse {
        pointer: pointer.to_string(),
        path: path.to_string(),
        message: format!("line {}, column {}: {}", e.line(), e.column(), e.message),
    })?;
    Ok(doc.into_json())
}

fn walk_includes(
    v: &mut Value,
    files: &dyn ArtifactSource,
    pointer: &mut String,
    depth: usize,
    done: &mut Vec<Artifact>,
    errors: &mut Vec<PackageError>,
) {
    match v {
        Value::Object(m) => {
            let loc = m
                .get("Fn::Transform")
                .and_then(include_location)
                .map(str::to_string);
            if let Some(loc) = loc
                && depth < 8
            {
                let at = format!("{pointer}/Fn::Transform");
                match read_snippet(files, &loc, &at) {
                    Ok(mut snippet) => {
                        let len = pointer.len();
                        walk_includes(&mut snippet, files, pointer, depth + 1, done, errors);
                        pointer.truncate(len);
                        done.push(Artifact {
                            pointer: at,
                            resource: resource_of(pointer),
                            resource_type: None,
                            property: "Fn::Transform".into(),
                            path: loc,
                            kind: ArtifactKind::Include,
                            exists: true,
                            form: LocationForm::Uri,
                        });
                        if m.len() == 1 {
                            *v = snippet;
                            return;
                        }
                        m.shift_remove("Fn::Transform");
                        if let Value::Object(extra) = snippet {
                            for (k, x) in extra {
                                m.insert(k, x);
                            }
                        }
                    }
                    Err(e) => errors.push(e),
                }
            }
            for (k, x) in m.iter_mut() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&escape(k));
                walk_includes(x, files, pointer, depth, done, errors);
                pointer.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter_mut().enumerate() {
                let len = pointer.len();
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk_includes(x, files, pointer, depth, done, errors);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

/// The logical ID a pointer under `/Resources/ID/…` belongs to.
fn resource_of(pointer: &str) -> Option<String> {
    let rest = pointer.strip_prefix("/Resources/")?;
    let id = rest.split('/').next()?;
    (!id.is_empty()).then(|| id.replace("~1", "/").replace("~0", "~"))
}

fn kind_of(packaging: Packaging, path: &str, entry: Entry) -> ArtifactKind {
    let lower = path.to_ascii_lowercase();
    let archive = lower.ends_with(".zip") || lower.ends_with(".jar");
    match (packaging, entry) {
        (Packaging::Template, _) => ArtifactKind::Template,
        (_, Entry::Directory) => ArtifactKind::Directory,
        (Packaging::Code, _) if archive => ArtifactKind::Zip,
        (Packaging::Code, Entry::Missing) => ArtifactKind::Directory,
        _ => ArtifactKind::File,
    }
}

/// Every local artifact of `template` (after [`inline_includes`]): the
/// local paths of every [`PACKAGEABLE`] property and of
/// `Globals.Function.CodeUri`, and the image of every `PackageType: Image`
/// function. A function with no code of its own (no `CodeUri`,
/// `InlineCode` or `ImageUri`, none in `Globals`) has the template's
/// directory, `.`, as SAM CLI gives it (pointer to the `CodeUri` it will
/// have). In template order.
pub fn local_artifacts(template: &Value, files: &dyn ArtifactSource) -> Vec<Artifact> {
    let mut out = Vec::new();
    let globals_code = template
        .pointer("/Globals/Function")
        .is_some_and(|g| g.get("CodeUri").is_some() || g.get("InlineCode").is_some());
    if let Some(Value::String(uri)) = template.pointer("/Globals/Function/CodeUri")
        && is_local(uri)
    {
        let entry = files.entry(uri);
        out.push(Artifact {
            pointer: "/Globals/Function/CodeUri".into(),
            resource: None,
            resource_type: None,
            property: "CodeUri".into(),
            path: uri.clone(),
            kind: kind_of(Packaging::Code, uri, entry),
            exists: entry != Entry::Missing,
            form: LocationForm::Uri,
        });
    }
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for (id, r) in resources {
        let Some(ty) = r.get("Type").and_then(Value::as_str) else {
            continue;
        };
        let empty = Map::new();
        let props = r
            .get("Properties")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let base = format!("/Resources/{}/Properties", escape(id));
        if ty == "AWS::Serverless::Function" {
            if is_image(props) {
                if let Some(Value::String(image)) = props.get("ImageUri") {
                    out.push(Artifact {
                        pointer: format!("{base}/ImageUri"),
                        resource: Some(id.clone()),
                        resource_type: Some(ty.to_string()),
                        property: "ImageUri".into(),
                        path: image.clone(),
                        kind: ArtifactKind::Image,
                        exists: true,
                        form: LocationForm::Uri,
                    });
                }
                continue;
            }
            if !props.contains_key("CodeUri") && !props.contains_key("InlineCode") && !globals_code
            {
                let entry = files.entry(".");
                out.push(Artifact {
                    pointer: format!("{base}/CodeUri"),
                    resource: Some(id.clone()),
                    resource_type: Some(ty.to_string()),
                    property: "CodeUri".into(),
                    path: ".".into(),
                    kind: kind_of(Packaging::Code, ".", entry),
                    exists: entry != Entry::Missing,
                    form: LocationForm::Uri,
                });
                continue;
            }
        }
        for p in PACKAGEABLE.iter().filter(|p| p.resource_type == ty) {
            let segs: Vec<&str> = p.property.split('/').collect();
            let mut found = Vec::new();
            collect_at(
                &Value::Object(props.clone()),
                &segs,
                base.clone(),
                &mut found,
            );
            for (pointer, path) in found {
                let entry = files.entry(&path);
                out.push(Artifact {
                    pointer,
                    resource: Some(id.clone()),
                    resource_type: Some(ty.to_string()),
                    property: p.property.to_string(),
                    kind: kind_of(p.packaging, &path, entry),
                    exists: entry != Entry::Missing,
                    path,
                    form: p.form,
                });
            }
        }
    }
    out
}

/// The local string paths at `segs` (`*`: every key) under `v`.
fn collect_at(v: &Value, segs: &[&str], pointer: String, out: &mut Vec<(String, String)>) {
    let Some((first, rest)) = segs.split_first() else {
        if let Value::String(s) = v
            && is_local(s)
            && !s.is_empty()
        {
            out.push((pointer, s.clone()));
        }
        return;
    };
    let Some(m) = v.as_object() else { return };
    if *first == "*" {
        for (k, x) in m {
            collect_at(x, rest, format!("{pointer}/{}", escape(k)), out);
        }
    } else if let Some(x) = m.get(*first) {
        collect_at(x, rest, format!("{pointer}/{}", escape(first)), out);
    }
}

/// Replaces each of `artifacts` in `template` with what `package` returns
/// for it. A function's missing `CodeUri` (see [`local_artifacts`]) is
/// added. The first error `package` returns stops the rewrite.
pub fn rewrite_artifacts<E>(
    template: &mut Value,
    artifacts: &[Artifact],
    mut package: impl FnMut(&Artifact) -> Result<Packaged, E>,
) -> Result<(), E> {
    for a in artifacts {
        let value = match package(a)? {
            Packaged::Location(loc) => loc.to_value(a.form),
            Packaged::Inline(v) => v,
            Packaged::Keep => continue,
        };
        if let Some(slot) = template.pointer_mut(&a.pointer) {
            *slot = value;
        } else if let Some((parent, key)) = a.pointer.rsplit_once('/') {
            // The implicit `CodeUri: .` of a function without code.
            if let Some(Value::Object(props)) = ensure_pointer(template, parent) {
                props.insert(key.replace("~1", "/").replace("~0", "~"), value);
            }
        }
    }
    Ok(())
}

/// The map at `pointer`, created (as an empty map) when only its last step is missing.
fn ensure_pointer<'v>(template: &'v mut Value, pointer: &str) -> Option<&'v mut Value> {
    if template.pointer(pointer).is_none() {
        let (parent, key) = pointer.rsplit_once('/')?;
        if let Some(Value::Object(m)) = template.pointer_mut(parent) {
            m.insert(key.to_string(), Value::Object(Map::new()));
        }
    }
    template.pointer_mut(pointer)
}

/// All of it: includes inlined, then every other local artifact rewritten
/// through `package`. Returns every artifact met (includes first).
pub fn package<E>(
    template: &mut Value,
    files: &dyn ArtifactSource,
    package: impl FnMut(&Artifact) -> Result<Packaged, E>,
) -> Result<Vec<Artifact>, PackageFailure<E>> {
    let mut all = inline_includes(template, files).map_err(PackageFailure::Includes)?;
    let artifacts = local_artifacts(template, files);
    rewrite_artifacts(template, &artifacts, package).map_err(PackageFailure::Packaging)?;
    all.extend(artifacts);
    Ok(all)
}

/// Why [`package`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PackageFailure<E> {
    /// Includes could not be read or parsed.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Includes(Vec<PackageError>),
    /// The caller's packaging failed.
    #[error("{0}")]
    Packaging(E),
}

#[cfg(test)]
mod tests;
