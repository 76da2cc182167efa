//! Intrinsic function evaluation.
//!
//! Values known before deployment (parameters, pseudo parameters, mappings,
//! conditions) are computed; values known only after deployment (a
//! resource's `Ref` and attributes, exports, dynamic references) come from a
//! [`Resolver`] and a [`DynamicResolver`]. When those answer `None` (planning)
//! the intrinsic stays in the result, its arguments evaluated as far as they go.

pub mod cidr;
pub mod conditions;
pub mod dynamic;
mod functions;
pub mod pseudo;
pub mod sub;

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::span::{Path, PathSeg};
pub use conditions::evaluate_conditions;
pub use dynamic::{DynamicRef, DynamicRefError, DynamicResolver};
pub use functions::base64;
pub use pseudo::{PSEUDO_PARAMETERS, Pseudo};

/// Values that exist only once resources are deployed.
///
/// Every method answers `None` for "not known (yet)": the intrinsic then
/// stays symbolic. The deploy engine implements this with physical IDs.
pub trait Resolver {
    /// What `Ref` of a resource gives (usually its physical ID).
    fn resource_ref(&self, logical_id: &str) -> Option<Value> {
        let _ = logical_id;
        None
    }

    /// What `Fn::GetAtt` of a resource attribute gives.
    fn get_att(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        let _ = (logical_id, attribute);
        None
    }

    /// The value of an export, for `Fn::ImportValue`.
    fn import_value(&self, export_name: &str) -> Option<Value> {
        let _ = export_name;
        None
    }

    /// The value of an SSM parameter, for `AWS::SSM::Parameter::Value<…>` parameters.
    fn ssm_parameter(&self, name: &str) -> Option<String> {
        let _ = name;
        None
    }
}

/// The planning resolver: nothing deployed is known, everything stays symbolic.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unresolved;

impl Resolver for Unresolved {}

impl DynamicResolver for Unresolved {
    fn resolve(&self, _: &DynamicRef) -> Result<Option<String>, String> {
        Ok(None)
    }
}

/// An intrinsic function that could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// Kebab-case kind, e.g. `unknown-reference`.
    pub code: &'static str,
    /// Where in the template.
    pub path: Path,
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub help: Option<String>,
    /// The name at fault (narrows the reported span to it when it appears there).
    pub subject: Option<String>,
}

/// Names of the intrinsic functions (keys of single-key maps).
pub const INTRINSICS: &[&str] = &[
    "Ref",
    "Condition",
    "Fn::And",
    "Fn::Base64",
    "Fn::Cidr",
    "Fn::Equals",
    "Fn::FindInMap",
    "Fn::GetAZs",
    "Fn::GetAtt",
    "Fn::If",
    "Fn::ImportValue",
    "Fn::Join",
    "Fn::Length",
    "Fn::Not",
    "Fn::Or",
    "Fn::Select",
    "Fn::Split",
    "Fn::Sub",
    "Fn::ToJsonString",
    "Fn::Transform",
];

/// The intrinsic a value is, when it is a single-key map with an intrinsic name.
pub fn as_intrinsic(v: &Value) -> Option<(&str, &Value)> {
    let map = v.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (k, arg) = map.iter().next()?;
    if k == "Condition" && !arg.is_string() {
        return None;
    }
    INTRINSICS
        .contains(&k.as_str())
        .then_some((k.as_str(), arg))
}

/// Whether `v` still holds an intrinsic function anywhere.
pub fn is_symbolic(v: &Value) -> bool {
    match v {
        Value::Object(m) => as_intrinsic(v).is_some() || m.values().any(is_symbolic),
        Value::Array(items) => items.iter().any(is_symbolic),
        _ => false,
    }
}

/// A known condition value, or `None` when it depends on something not known yet.
pub type ConditionValue = Option<bool>;

/// Everything intrinsic evaluation may consult.
pub struct Scope<'a> {
    /// Parameter name → what `Ref` gives (absent: not known, stays symbolic).
    pub params: &'a Map<String, Value>,
    /// Parameters of SSM types: name → the SSM parameter name to read.
    pub ssm_params: &'a Map<String, Value>,
    /// All declared parameter names (known or not).
    pub param_names: &'a HashSet<String>,
    /// Pseudo parameters.
    pub pseudo: &'a Pseudo,
    /// The `Mappings` section.
    pub mappings: &'a Map<String, Value>,
    /// Condition values.
    pub conditions: &'a HashMap<String, ConditionValue>,
    /// Logical IDs of the resources (after conditions).
    pub resources: &'a HashSet<String>,
    /// Deployed values.
    pub resolver: &'a dyn Resolver,
    /// Dynamic references.
    pub dynamic: &'a dyn DynamicResolver,
    /// Evaluating a `Conditions` entry: resource references are errors there.
    pub in_condition: bool,
}

impl Scope<'_> {
    /// Evaluates `v` found at `path`. `Ok(None)` is `AWS::NoValue` (remove the item).
    pub fn eval(&self, v: &Value, path: &Path) -> Result<Option<Value>, EvalError> {
        let mut stack = path.0.clone();
        self.eval_at(v, &mut stack)
    }

    /// Evaluates `v`; `path` is its location and is restored on return.
    pub(crate) fn eval_at(
        &self,
        v: &Value,
        path: &mut Vec<PathSeg>,
    ) -> Result<Option<Value>, EvalError> {
        match v {
            Value::Object(map) => {
                if let Some((name, arg)) = as_intrinsic(v) {
                    path.push(PathSeg::Key(name.to_string()));
                    let r = self.call(name, arg, path);
                    path.pop();
                    return r;
                }
                let mut out = Map::with_capacity(map.len());
                for (k, item) in map {
                    path.push(PathSeg::Key(k.clone()));
                    let r = self.eval_at(item, path);
                    path.pop();
                    if let Some(x) = r? {
                        out.insert(k.clone(), x);
                    }
                }
                Ok(Some(Value::Object(out)))
            }
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    let r = self.eval_at(item, path);
                    path.pop();
                    if let Some(x) = r? {
                        out.push(x);
                    }
                }
                Ok(Some(Value::Array(out)))
            }
            Value::String(s) if s.contains("{{resolve:") => self.resolve_dynamic(s, path).map(Some),
            other => Ok(Some(other.clone())),
        }
    }

    /// Evaluates a required argument: `AWS::NoValue` there is an error.
    pub(crate) fn arg(
        &self,
        v: &Value,
        path: &mut Vec<PathSeg>,
        what: &str,
    ) -> Result<Value, EvalError> {
        match self.eval_at(v, path)? {
            Some(x) => Ok(x),
            None => Err(self.error(
                "invalid-argument",
                path,
                format!("{what} cannot be `AWS::NoValue`"),
                None,
            )),
        }
    }

    /// Builds an error at `path`.
    pub(crate) fn error(
        &self,
        code: &'static str,
        path: &[PathSeg],
        message: String,
        help: Option<String>,
    ) -> EvalError {
        EvalError {
            code,
            path: Path(path.to_vec()),
            message,
            help,
            subject: None,
        }
    }

    /// Replaces the dynamic references of `s` whose values are known.
    pub(crate) fn resolve_dynamic(&self, s: &str, path: &[PathSeg]) -> Result<Value, EvalError> {
        let found = dynamic::find_dynamic(s);
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        for (range, parsed) in found {
            let r = parsed.map_err(|e| {
                self.error("invalid-dynamic-reference", path, e.message, Some(e.help))
            })?;
            let value = self.dynamic.resolve(&r).map_err(|e| {
                self.error(
                    "unresolved-dynamic-reference",
                    path,
                    format!("cannot resolve `{r}`: {e}"),
                    None,
                )
            })?;
            out.push_str(&s[last..range.start]);
            match value {
                Some(v) => out.push_str(&v),
                None => out.push_str(&s[range.clone()]),
            }
            last = range.end;
        }
        out.push_str(&s[last..]);
        Ok(Value::String(out))
    }
}

#[cfg(test)]
mod tests;
