//! Packaging a template's local artifacts and running the SAM transform
//! on it, with the translator's errors turned into diagnostics at their
//! source.

use super::*;

/// The packaged template through the SAM transform if `sam` and
/// [`LoadOptions::sam_transform`]; with whether the transform ran.
pub(super) fn transform_packaged(
    doc: &Document,
    packaged: Value,
    sam: bool,
    opts: &LoadOptions,
) -> Result<(Value, bool), Diagnostics> {
    if !(sam && opts.sam_transform) {
        return Ok((packaged, false));
    }
    match run_sam(&packaged, opts) {
        Ok(t) => Ok((t, true)),
        Err(items) => {
            let mut out: Vec<Diagnostic> = Vec::new();
            for d in items.into_iter().map(|i| sam_diag(doc, i)) {
                if !out
                    .iter()
                    .any(|o| o.message == d.message && o.span == d.span)
                {
                    out.push(d);
                }
            }
            Err(Diagnostics(out))
        }
    }
}

/// Top-level sections that may be given empty (`Parameters:` with nothing
/// under it): read as absent, as SAM CLI and CloudFormation read them.
const OPTIONAL_SECTIONS: &[&str] = &[
    "Parameters",
    "Mappings",
    "Conditions",
    "Outputs",
    "Metadata",
    "Rules",
    "Globals",
    "Transform",
];

/// What `sam package` makes of the document: empty sections dropped,
/// `AWS::Include` files inlined (with [`LoadOptions::base_dir`]), every
/// local path rewritten to its location in [`LoadOptions::code_locations`]
/// or a placeholder. Problems go to `warnings` (missing paths, container
/// images) and `errors` (includes that cannot be read).
pub(super) fn package_document(
    doc: &Document,
    opts: &LoadOptions,
    warnings: &mut Diagnostics,
    errors: &mut Diagnostics,
) -> Value {
    use crate::package::{
        ArtifactKind, ArtifactSource, LocalDir, NoFiles, Packaged, S3Location, inline_includes,
        local_artifacts, rewrite_artifacts,
    };
    let mut value = doc.value().clone();
    if let Value::Object(root) = &mut value {
        root.retain(|k, v| !(v.is_null() && OPTIONAL_SECTIONS.contains(&k.as_str())));
        if let Some(Value::Object(g)) = root.get_mut("Globals") {
            g.retain(|_, v| !v.is_null());
        }
        if root
            .get("Globals")
            .is_some_and(|g| g.as_object().is_some_and(Map::is_empty))
        {
            root.shift_remove("Globals");
        }
    }
    let local;
    let files: &dyn ArtifactSource = match &opts.base_dir {
        Some(dir) => {
            local = LocalDir::new(dir);
            &local
        }
        None => &NoFiles,
    };
    if opts.base_dir.is_some()
        && let Err(problems) = inline_includes(&mut value, files)
    {
        for p in problems {
            let path = crate::package::Artifact {
                pointer: p.pointer().to_string(),
                resource: None,
                resource_type: None,
                property: String::new(),
                path: String::new(),
                kind: ArtifactKind::Include,
                exists: false,
                form: crate::package::LocationForm::Uri,
            }
            .path_in_document();
            errors.push(diagnostic(
                doc,
                "invalid-artifact",
                path,
                p.to_string(),
                Some("expected a YAML or JSON file beside the template (`Location` is relative to the template's directory)".into()),
                true,
            ));
        }
    }
    let artifacts = local_artifacts(&value, files);
    for a in &artifacts {
        let at = a.path_in_document();
        let what = a.resource.as_deref().unwrap_or("Globals");
        if a.kind == ArtifactKind::Image {
            warnings.push(
                diagnostic(
                    doc,
                    "unsupported-locally",
                    at,
                    format!("function `{what}` is a container image (`{}`): Lockgate has no container runtime, so it can be validated and transformed but not run here", a.path),
                    Some("give it `CodeUri` and a `Runtime` to run it locally".into()),
                    false,
                )
                .warning(),
            );
        } else if !a.exists && opts.base_dir.is_some() {
            warnings.push(
                diagnostic(
                    doc,
                    "missing-artifact",
                    at,
                    format!(
                        "`{}` of `{what}` names `{}`, which does not exist beside the template",
                        a.property.rsplit('/').next().unwrap_or_default(),
                        a.path
                    ),
                    Some("`sam package` and a deploy need it: paths are relative to the template's directory".into()),
                    false,
                )
                .warning(),
            );
        }
    }
    let rewritten = rewrite_artifacts(&mut value, &artifacts, |a| {
        Ok::<_, std::convert::Infallible>(match a.kind {
            ArtifactKind::Image | ArtifactKind::Include => Packaged::Keep,
            _ => Packaged::Location(
                opts.code_locations
                    .get(&a.path)
                    .and_then(|l| S3Location::from_value(&Value::String(l.clone())))
                    .unwrap_or_else(|| S3Location::placeholder(&a.path)),
            ),
        })
    });
    // The closure never fails.
    let _ = rewritten;
    value
}

#[cfg(feature = "sam")]
pub(super) fn run_sam(
    value: &Value,
    opts: &LoadOptions,
) -> Result<Value, Vec<lockgate_sam::ErrorItem>> {
    let t = lockgate_sam::TransformOptions {
        region: opts.pseudo.region.clone(),
        partition: opts.pseudo.partition().to_string(),
        account_id: opts.pseudo.account_id.clone(),
        parameter_values: opts.overrides.to_map(),
        ..Default::default()
    };
    lockgate_sam::transform(value, &t).map_err(|e| e.errors)
}

/// "did you mean …?" for a SAM property the transform does not know
/// (`property Runtme not defined for resource of type AWS::Serverless::Function`).
#[cfg(feature = "sam")]
pub(super) fn property_hint(message: &str) -> Option<String> {
    let rest = message.split_once("property ")?.1;
    let (name, ty) = rest.split_once(" not defined for resource of type ")?;
    let known = lockgate_sam::props::known_properties(ty.trim_end_matches('.'))?;
    crate::suggest::did_you_mean(name, &known)
}

#[cfg(feature = "sam")]
pub(super) fn sam_diag(doc: &Document, item: lockgate_sam::ErrorItem) -> Diagnostic {
    let message = item.to_string();
    let d = Diagnostic::new("sam-transform", message.clone());
    let d = match property_hint(&message) {
        Some(h) => d.with_help(h),
        None => d,
    };
    let resources = doc.value().get("Resources").and_then(Value::as_object);
    if let (Some(id), Some(resources)) = (item.logical_id(), resources) {
        // The resource as written, or the one that generated `id` (`FnRole`, `FnMyEvent`, …).
        let owner = if resources.contains_key(id) {
            Some(id)
        } else {
            resources
                .keys()
                .map(String::as_str)
                .filter(|k| id.starts_with(k))
                .max_by_key(|k| k.len())
        };
        if let Some(owner) = owner {
            // The event the message names, or the one the generated ID ends with.
            let events = resources
                .get(owner)
                .and_then(|r| r.pointer("/Properties/Events"))
                .and_then(Value::as_object);
            let named = message
                .split_once("Event with id [")
                .and_then(|(_, rest)| rest.split_once(']'))
                .map(|(e, _)| e);
            let event = named
                .into_iter()
                .chain(id.get(owner.len()..).filter(|e| !e.is_empty()))
                .find(|e| events.is_some_and(|m| m.contains_key(*e)));
            return match event {
                Some(e) => d.at(
                    doc,
                    crate::path!["Resources", owner, "Properties", "Events", e],
                ),
                None => d.at(doc, crate::path!["Resources", owner]),
            };
        }
        return d.at(doc, crate::path!["Resources", id]);
    }
    if let lockgate_sam::ErrorItem::InvalidEvent { event_id, .. } = &item
        && let Some(resources) = doc.value().get("Resources").and_then(Value::as_object)
    {
        for (id, r) in resources {
            if r.pointer(&format!(
                "/Properties/Events/{}",
                event_id.replace('~', "~0").replace('/', "~1")
            ))
            .is_some()
            {
                return d.at(
                    doc,
                    crate::path![
                        "Resources",
                        id.as_str(),
                        "Properties",
                        "Events",
                        event_id.as_str()
                    ],
                );
            }
        }
    }
    d
}

#[cfg(not(feature = "sam"))]
pub(super) fn run_sam(_: &Value, _: &LoadOptions) -> Result<Value, Vec<String>> {
    Err(vec![
        "this build has no SAM transform (feature `sam` is off)".to_string(),
    ])
}

#[cfg(not(feature = "sam"))]
pub(super) fn sam_diag(_: &Document, message: String) -> Diagnostic {
    Diagnostic::new("sam-transform", message)
}

/// A template after the SAM transform alone (see [`transform`]).
#[derive(Debug, Clone)]
pub struct Transformed {
    /// The parsed source document.
    pub document: Document,
    /// The CloudFormation template: the SAM translator's output, or the document itself.
    pub template: Value,
    /// Whether the SAM transform ran.
    pub transformed: bool,
    /// Problems that do not stop the transform (duplicate keys, missing local paths, …).
    pub warnings: Diagnostics,
    secrets: Vec<String>,
}

impl Transformed {
    /// The template with NoEcho parameter values (defaults and given values) replaced by `****`.
    pub fn redacted(&self) -> Value {
        let mut v = self.template.clone();
        if !self.secrets.is_empty() {
            let s: Vec<&str> = self.secrets.iter().map(String::as_str).collect();
            redact_json(&mut v, &s);
        }
        v
    }
}

/// Parses a template and runs the SAM transform when it needs it, checking
/// nothing else: what the SAM translator does, for `lockgate transform`.
/// Use [`load`] to validate the template as CloudFormation would.
pub fn transform(
    file_name: &str,
    text: &str,
    opts: &LoadOptions,
) -> Result<Transformed, Diagnostics> {
    let document = parse(file_name, text).map_err(|e| Diagnostics::from(Diagnostic::from(e)))?;
    transform_document(document, opts)
}

/// [`transform`] for an already parsed document.
pub fn transform_document(
    document: Document,
    opts: &LoadOptions,
) -> Result<Transformed, Diagnostics> {
    let value = document.value();
    if !value.is_object() {
        return Err(diagnostic(
            &document,
            "not-a-mapping",
            Path::root(),
            "the template must be a mapping of sections".into(),
            Some("expected e.g. `Resources:` at the top level".into()),
            false,
        )
        .into());
    }
    let mut secrets = Vec::new();
    if let Some(decls) = value.get("Parameters").and_then(Value::as_object) {
        for (name, decl) in decls {
            let no_echo = decl
                .get("NoEcho")
                .and_then(crate::params::scalar_text)
                .is_some_and(|s| s.eq_ignore_ascii_case("true"));
            if no_echo {
                secrets.extend(decl.get("Default").and_then(crate::params::scalar_text));
                secrets.extend(opts.overrides.get(name).map(str::to_string));
            }
        }
    }
    let mut warnings = Diagnostics(document.warnings().to_vec());
    let mut errors = Diagnostics::default();
    let packaged = package_document(&document, opts, &mut warnings, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let sam = needs_sam_transform(&packaged);
    let (template, transformed) = transform_packaged(&document, packaged, sam, opts)?;
    Ok(Transformed {
        document,
        template,
        transformed,
        warnings,
        secrets,
    })
}
