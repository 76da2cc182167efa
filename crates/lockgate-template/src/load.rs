//! Loading a template end to end: parse, validate, parameters, conditions,
//! the SAM transform when asked for, and the dependency graph.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Diagnostics};
use crate::document::{Document, parse};
use crate::eval::{
    ConditionValue, DynamicResolver, EvalError, Pseudo, Resolver, Scope, Unresolved,
    evaluate_conditions,
};
use crate::graph::{DependencyGraph, build_graph};
use crate::params::{Overrides, ParamType, Parameter, redact_json};
use crate::span::{Path, PathSeg};
use crate::validate::validate_structure;

/// The SAM transform's name.
pub const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// What the caller knows about the deployment.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Parameter values given by the user.
    pub overrides: Overrides,
    /// Region, account, stack name, … (`AWS::Region` defaults to us-east-1).
    pub pseudo: Pseudo,
    /// Whether every parameter must have a value (given or default): true to deploy, false to validate.
    pub require_parameter_values: bool,
    /// Whether to run the SAM transform for templates that ask for it.
    pub sam_transform: bool,
    /// Where local code paths (`CodeUri`, `ContentUri`, a string `Code`) are
    /// stored, as `s3://bucket/key`, keyed by the path as written; paths not
    /// listed get a placeholder ([`crate::package::local_location`]), as
    /// `sam validate` does. Every packageable property is looked up here
    /// (code, definitions, schemas, nested templates: see
    /// [`crate::package::PACKAGEABLE`]). See [`crate::package`].
    pub code_locations: std::collections::BTreeMap<String, String>,
    /// The directory local paths are relative to (the template's). When
    /// given, `Fn::Transform` `AWS::Include` files are read and inlined,
    /// a `.zip` / directory / file is told apart, and a local path that does
    /// not exist is a `missing-artifact` warning. [`load_file`] sets it to
    /// the template's directory when it is `None`.
    pub base_dir: Option<std::path::PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            overrides: Overrides::default(),
            pseudo: Pseudo::default(),
            require_parameter_values: false,
            sam_transform: true,
            code_locations: Default::default(),
            base_dir: None,
        }
    }
}

/// A template that parsed and validated: the source, the CloudFormation
/// template (after the SAM transform, intrinsics symbolic) and its model.
#[derive(Debug, Clone)]
pub struct LoadedTemplate {
    /// The parsed source document.
    pub document: Document,
    /// The CloudFormation template (long-form intrinsics, nothing evaluated).
    pub template: Value,
    /// Whether the SAM transform ran.
    pub transformed: bool,
    /// The declared parameters.
    pub parameters: Vec<Parameter>,
    /// Parameter name → what `Ref` gives, for parameters with a value (SSM-typed ones excluded).
    pub parameter_values: Map<String, Value>,
    /// SSM-typed parameter name → the SSM parameter name to read.
    pub ssm_parameters: Map<String, Value>,
    /// Condition values (`None`: depends on something known only at deploy time).
    pub conditions: HashMap<String, ConditionValue>,
    /// The resource dependency graph of `template`.
    pub graph: DependencyGraph,
    /// Pseudo parameters used.
    pub pseudo: Pseudo,
    /// Problems that do not make the template invalid.
    pub warnings: Diagnostics,
    param_names: HashSet<String>,
    mappings: Map<String, Value>,
}

/// Whether a template asks for the SAM transform (`Transform` names it, alone or in a list).
pub fn wants_sam_transform(template: &Value) -> bool {
    match template.get("Transform") {
        Some(Value::String(s)) => s == SAM_TRANSFORM,
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(SAM_TRANSFORM)),
        _ => false,
    }
}

/// Whether a template needs the SAM transform: it asks for it, or it
/// declares `AWS::Serverless::*` resources (as the translator's own test
/// templates do without a `Transform` line).
pub fn needs_sam_transform(template: &Value) -> bool {
    wants_sam_transform(template)
        || template
            .get("Resources")
            .and_then(Value::as_object)
            .is_some_and(|r| {
                r.values().any(|res| {
                    res.get("Type")
                        .and_then(Value::as_str)
                        .is_some_and(|t| t.starts_with("AWS::Serverless::"))
                })
            })
}

/// A diagnostic for a problem at `path` (a path in the source document, or
/// in the transformed template — then the nearest existing place is used).
pub fn diagnostic(
    doc: &Document,
    code: &'static str,
    path: Path,
    message: String,
    help: Option<String>,
    on_key: bool,
) -> Diagnostic {
    let d = Diagnostic::new(code, message);
    let d = if on_key {
        d.at(doc, path)
    } else {
        d.at_value(doc, path)
    };
    match help {
        Some(h) => d.with_help(h),
        None => d,
    }
}

fn eval_diag(doc: &Document, e: EvalError) -> Diagnostic {
    let d = diagnostic(doc, e.code, e.path, e.message, e.help, false);
    match e.subject {
        Some(s) => d.narrow_to(&s),
        None => d,
    }
}

/// Parses, validates and (for SAM templates) transforms a template. Every problem found is returned.
pub fn load(
    file_name: &str,
    text: &str,
    opts: &LoadOptions,
) -> Result<LoadedTemplate, Diagnostics> {
    let document = parse(file_name, text).map_err(|e| Diagnostics::from(Diagnostic::from(e)))?;
    load_document(document, opts)
}

/// [`load`] for an already parsed document.
pub fn load_document(
    document: Document,
    opts: &LoadOptions,
) -> Result<LoadedTemplate, Diagnostics> {
    let doc = &document;
    let mut warnings = Diagnostics(doc.warnings().to_vec());
    let mut diags = Diagnostics::default();
    let packaged = package_document(doc, opts, &mut warnings, &mut diags);
    let value = &packaged;
    let sam = needs_sam_transform(value);
    for p in validate_structure(value, sam) {
        let d = diagnostic(doc, p.code, p.path, p.message, p.help, p.on_key);
        if p.warning {
            warnings.push(d.warning());
        } else {
            diags.push(d);
        }
    }
    let structure_ok = diags.is_empty();

    // Parameters and their values.
    let mut parameters = Vec::new();
    let mut parameter_values = Map::new();
    let mut ssm_parameters = Map::new();
    let decls = value.get("Parameters").and_then(Value::as_object);
    let param_names: HashSet<String> = decls
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default();
    for (key, _) in &opts.overrides.0 {
        if !param_names.contains(key) {
            let d = Diagnostic::new(
                "unknown-parameter",
                format!("a value was given for `{key}`, which is not a parameter of this template"),
            );
            let d = match decls {
                Some(_) => d.at(doc, crate::path!["Parameters"]),
                None => d,
            };
            warnings.push(d.warning().with_help(format!(
                "the value is ignored; the template declares: {}",
                if param_names.is_empty() {
                    "no parameters".to_string()
                } else {
                    decls
                        .map(|d| d.keys().cloned().collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                }
            )));
        }
    }
    for (name, decl) in decls.into_iter().flatten() {
        let Ok(param) = Parameter::from_json(name, decl) else {
            continue; // reported by validation
        };
        if let Some(pattern) = &param.allowed_pattern
            && let Some(why) = &pattern.error
        {
            warnings.push(
                diagnostic(
                    doc,
                    "invalid-pattern",
                    crate::path!["Parameters", name.as_str(), "AllowedPattern"],
                    format!("the `AllowedPattern` of parameter `{name}` cannot be compiled, so values are not checked against it: {why}"),
                    Some("expected a regular expression in CloudFormation's (Java) dialect".into()),
                    false,
                )
                .warning(),
            );
        }
        let given = opts.overrides.get(name);
        let value_text = given.map(str::to_string).or_else(|| param.default.clone());
        match &value_text {
            Some(v) => {
                if given.is_some() {
                    for pr in param.check(v) {
                        diags.push(diagnostic(
                            doc,
                            "invalid-parameter-value",
                            crate::path!["Parameters", name.as_str()],
                            pr.message,
                            pr.help,
                            true,
                        ));
                    }
                }
                if matches!(param.ty, ParamType::Ssm(_)) {
                    ssm_parameters.insert(name.clone(), Value::String(v.clone()));
                } else {
                    parameter_values.insert(name.clone(), param.ref_value(v));
                }
            }
            None if opts.require_parameter_values => diags.push(diagnostic(
                doc,
                "missing-parameter-value",
                crate::path!["Parameters", name.as_str()],
                format!("parameter `{name}` has no value"),
                Some(format!(
                    "give it with --parameter-overrides {name}=VALUE, or add a Default"
                )),
                true,
            )),
            None => {}
        }
        parameters.push(param);
    }
    if !structure_ok {
        return Err(diags);
    }

    let (template, transformed) = match transform_packaged(doc, packaged.clone(), sam, opts) {
        Ok(t) => t,
        Err(sam_errors) => {
            diags.0.extend(sam_errors.0);
            return Err(diags);
        }
    };

    // Conditions (of the resulting template: the transform may add some).
    let mappings = template
        .get("Mappings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let empty_conditions = HashMap::new();
    // Resource IDs are known here so that a condition naming one is told
    // `resource-in-condition`, not `unknown-reference`.
    let resource_ids: HashSet<String> = template
        .get("Resources")
        .and_then(Value::as_object)
        .map(|r| r.keys().cloned().collect())
        .unwrap_or_default();
    let base = Scope {
        params: &parameter_values,
        ssm_params: &ssm_parameters,
        param_names: &param_names,
        pseudo: &opts.pseudo,
        mappings: &mappings,
        conditions: &empty_conditions,
        resources: &resource_ids,
        resolver: &Unresolved,
        dynamic: &Unresolved,
        in_condition: true,
    };
    let conditions = match template.get("Conditions").and_then(Value::as_object) {
        Some(c) => {
            let (values, errors) = evaluate_conditions(c, &base);
            diags
                .0
                .extend(errors.into_iter().map(|e| eval_diag(doc, e)));
            values
        }
        None => HashMap::new(),
    };

    // CloudFormation's quotas, counted as it counts them: after transforms.
    for (section, code, limit) in [
        ("Resources", "too-many-resources", 500usize),
        ("Outputs", "too-many-outputs", 200),
        ("Mappings", "too-many-mappings", 200),
    ] {
        let n = template
            .get(section)
            .and_then(Value::as_object)
            .map_or(0, Map::len);
        if n > limit {
            let what = section.to_ascii_lowercase();
            let counted = if transformed && section == "Resources" {
                " (counted after the SAM transform, as CloudFormation counts them)"
            } else {
                ""
            };
            diags.push(diagnostic(
                doc,
                code,
                crate::path![section],
                format!("Number of {what}, {n}, is greater than maximum allowed, {limit}{counted}"),
                Some(format!("a CloudFormation stack holds at most {limit} {what}: split the template into nested stacks")),
                true,
            ));
        }
    }

    // References and the dependency graph. A problem in a value the SAM
    // transform carried elsewhere (from `Globals`, into generated resources)
    // is reported once, where it is written.
    let (graph, errors) = build_graph(&template, &param_names);
    for e in errors {
        let on_key = e.code == "dependency-cycle";
        let path = match &e.subject {
            Some(s) if transformed && doc.span_of(&e.path).is_none() => {
                relocate(doc.value(), &e.path, s).unwrap_or(e.path)
            }
            _ => e.path,
        };
        let d = diagnostic(doc, e.code, path, e.message, e.help, on_key);
        let d = match e.subject {
            Some(s) => d.narrow_to(&s),
            None => d,
        };
        if !diags
            .iter()
            .any(|o| o.code == d.code && o.message == d.message && o.span == d.span)
        {
            diags.push(d);
        }
    }
    if !diags.is_empty() {
        return Err(diags);
    }
    Ok(LoadedTemplate {
        document,
        template,
        transformed,
        parameters,
        parameter_values,
        ssm_parameters,
        conditions,
        graph,
        pseudo: opts.pseudo.clone(),
        warnings,
        param_names,
        mappings,
    })
}

/// The place in the source where the reference the transformed template
/// holds at `path` was written: the occurrence (in `Globals`, or anywhere
/// else) of the same intrinsic naming `subject` whose path shares the
/// longest tail with `path`.
fn relocate(source: &Value, path: &Path, subject: &str) -> Option<Path> {
    let function = path.iter().rev().find_map(|s| match s {
        PathSeg::Key(k) if k == "Ref" || k.starts_with("Fn::") => Some(k.as_str()),
        _ => None,
    })?;
    let mut found = Vec::new();
    let mut at = Vec::new();
    find_intrinsics(source, function, subject, &mut at, &mut found);
    let tail = |p: &Path| {
        p.iter()
            .rev()
            .zip(path.iter().rev())
            .take_while(|(a, b)| a == b)
            .count()
    };
    found.into_iter().max_by_key(|p| tail(p))
}

fn find_intrinsics(
    v: &Value,
    function: &str,
    subject: &str,
    at: &mut Vec<PathSeg>,
    out: &mut Vec<Path>,
) {
    match v {
        Value::Object(m) => {
            if let Some(arg) = m.get(function).filter(|_| m.len() == 1) {
                let names = match (function, arg) {
                    ("Ref", Value::String(s)) => s == subject,
                    ("Fn::GetAtt", Value::Array(items)) => {
                        items.first().and_then(Value::as_str) == Some(subject)
                            || items.get(1).and_then(Value::as_str) == Some(subject)
                    }
                    ("Fn::GetAtt", Value::String(s)) => s.split('.').any(|p| p == subject),
                    ("Fn::Sub", Value::String(s)) => s.contains(subject),
                    ("Fn::Sub", Value::Array(items)) => items
                        .first()
                        .and_then(Value::as_str)
                        .is_some_and(|s| s.contains(subject)),
                    _ => false,
                };
                if names {
                    let mut p = at.clone();
                    p.push(PathSeg::Key(function.to_string()));
                    out.push(Path(p));
                }
            }
            for (k, x) in m {
                at.push(PathSeg::Key(k.clone()));
                find_intrinsics(x, function, subject, at, out);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                at.push(PathSeg::Index(i));
                find_intrinsics(x, function, subject, at, out);
                at.pop();
            }
        }
        _ => {}
    }
}

mod files;
mod sam;
mod secrets;

pub use files::{LoadError, load_file, transform_file};
use sam::*;
pub use sam::{Transformed, transform, transform_document};

impl LoadedTemplate {
    /// Logical IDs of the resources whose condition is not known to be false.
    pub fn active_resources(&self) -> HashSet<String> {
        let mut out = HashSet::new();
        if let Some(resources) = self.template.get("Resources").and_then(Value::as_object) {
            for (id, r) in resources {
                if !self.condition_false(r.get("Condition")) {
                    out.insert(id.clone());
                }
            }
        }
        out
    }

    fn condition_false(&self, c: Option<&Value>) -> bool {
        c.and_then(Value::as_str)
            .and_then(|c| self.conditions.get(c).copied().flatten())
            == Some(false)
    }

    /// A scope for evaluating intrinsics of this template with `resolver` and `dynamic`.
    pub fn scope<'a>(
        &'a self,
        resources: &'a HashSet<String>,
        resolver: &'a dyn Resolver,
        dynamic: &'a dyn DynamicResolver,
    ) -> Scope<'a> {
        Scope {
            params: &self.parameter_values,
            ssm_params: &self.ssm_parameters,
            param_names: &self.param_names,
            pseudo: &self.pseudo,
            mappings: &self.mappings,
            conditions: &self.conditions,
            resources,
            resolver,
            dynamic,
            in_condition: false,
        }
    }

    /// The template with conditions applied (resources and outputs whose
    /// condition is false removed, `Fn::If` chosen, `AWS::NoValue` dropped) and
    /// every intrinsic evaluated as far as `resolver` and `dynamic` allow.
    /// With [`Unresolved`] this is the planning view.
    pub fn evaluate(
        &self,
        resolver: &dyn Resolver,
        dynamic: &dyn DynamicResolver,
    ) -> Result<Value, Diagnostics> {
        let active = self.active_resources();
        let scope = self.scope(&active, resolver, dynamic);
        let mut diags = Diagnostics::default();
        let mut out = Map::new();
        let Some(root) = self.template.as_object() else {
            return Ok(self.template.clone());
        };
        for (section, body) in root {
            let evaluated = match (section.as_str(), body) {
                ("Resources", Value::Object(resources)) => {
                    let mut m = Map::new();
                    for (id, r) in resources {
                        if !active.contains(id) {
                            continue;
                        }
                        m.insert(
                            id.clone(),
                            self.eval_resource(&scope, id, r, &active, &mut diags),
                        );
                    }
                    Value::Object(m)
                }
                ("Outputs", Value::Object(outputs)) => {
                    let mut m = Map::new();
                    for (name, o) in outputs {
                        if self.condition_false(o.get("Condition")) {
                            continue;
                        }
                        let path = crate::path!["Outputs", name.as_str()];
                        match scope.eval(o, &path) {
                            Ok(Some(v)) => {
                                m.insert(name.clone(), v);
                            }
                            Ok(None) => {}
                            Err(e) => diags.push(eval_diag(&self.document, e)),
                        }
                    }
                    Value::Object(m)
                }
                _ => body.clone(),
            };
            out.insert(section.clone(), evaluated);
        }
        if diags.is_empty() {
            Ok(Value::Object(out))
        } else {
            Err(diags)
        }
    }

    fn eval_resource(
        &self,
        scope: &Scope<'_>,
        id: &str,
        r: &Value,
        active: &HashSet<String>,
        diags: &mut Diagnostics,
    ) -> Value {
        let Some(obj) = r.as_object() else {
            return r.clone();
        };
        let mut m = Map::new();
        for (k, v) in obj {
            let value = match k.as_str() {
                "Type" | "Condition" => Some(v.clone()),
                "DependsOn" => match v {
                    Value::Array(items) => Some(Value::Array(
                        items
                            .iter()
                            .filter(|i| i.as_str().is_some_and(|s| active.contains(s)))
                            .cloned()
                            .collect(),
                    )),
                    Value::String(s) if !active.contains(s) => None,
                    other => Some(other.clone()),
                },
                _ => {
                    let path = Path(vec![
                        PathSeg::Key("Resources".into()),
                        PathSeg::Key(id.to_string()),
                        PathSeg::Key(k.clone()),
                    ]);
                    match scope.eval(v, &path) {
                        Ok(v) => v,
                        Err(e) => {
                            diags.push(eval_diag(&self.document, e));
                            None
                        }
                    }
                }
            };
            if let Some(v) = value {
                m.insert(k.clone(), v);
            }
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests;
