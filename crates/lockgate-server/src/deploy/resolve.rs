//! The one way a deploy evaluates its template: against what is deployed
//! so far ([`Known`]) and what was read from the store before it began
//! ([`Lookups`]) — for the plan (the whole template), for each resource as
//! it is applied, and for the outputs once everything exists.

use std::collections::{HashMap, HashSet};

use lockgate_engine::ResolveError;
use lockgate_engine::apply::{Physical, Resolved, Resolver as ApplyResolver};
use lockgate_engine::changeset::Desired;
use lockgate_engine::plan::{Evaluate, Evaluated};
use lockgate_template::{
    Diagnostics, DynamicRef, DynamicResolver, LoadedTemplate, Path, PathSeg, Resolver,
};
use serde_json::{Map, Value};

/// Values read from the store before a deploy (evaluation is synchronous).
#[derive(Debug, Default)]
pub struct Lookups {
    /// Exports of the stage, by name.
    pub exports: HashMap<String, String>,
    /// The stack exporting each export of the stage.
    pub exporters: HashMap<String, String>,
    /// `{{resolve:ssm:name[:version]}}` values.
    pub ssm: HashMap<(String, Option<String>), String>,
}

impl DynamicResolver for Lookups {
    fn resolve(&self, r: &DynamicRef) -> Result<Option<String>, String> {
        match r {
            DynamicRef::Ssm { name, version } => {
                Ok(self.ssm.get(&(name.clone(), version.clone())).cloned())
            }
            // Secure values are never put into properties or the state; the
            // other kinds are not emulated. Both stay as written.
            _ => Ok(None),
        }
    }
}

/// `Ref` / `Fn::GetAtt` over what is deployed so far.
pub struct Known<'a> {
    known: &'a HashMap<String, Physical>,
    lookups: &'a Lookups,
}

impl<'a> Known<'a> {
    /// Resolves over `known`, with exports and SSM values from `lookups`.
    pub(crate) fn new(known: &'a HashMap<String, Physical>, lookups: &'a Lookups) -> Self {
        Known { known, lookups }
    }
}

impl Resolver for Known<'_> {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        self.known
            .get(id)
            .map(|p| Value::String(p.physical_id.clone()))
    }

    fn get_att(&self, id: &str, attribute: &str) -> Option<Value> {
        let p = self.known.get(id)?;
        if let Some(v) = p.attributes.get(attribute) {
            return Some(v.clone());
        }
        // Attributes not modelled locally answer a stand-in, so real
        // templates still deploy.
        Some(Value::String(format!("{}.{attribute}", p.physical_id)))
    }

    fn import_value(&self, name: &str) -> Option<Value> {
        self.lookups
            .exports
            .get(name)
            .map(|v| Value::String(v.clone()))
    }

    fn ssm_parameter(&self, name: &str) -> Option<String> {
        self.lookups.ssm.get(&(name.to_string(), None)).cloned()
    }
}

/// A deploy's template, evaluated as each phase needs it.
pub struct Evaluator<'a> {
    loaded: &'a LoadedTemplate,
    lookups: &'a Lookups,
    active: HashSet<String>,
}

impl<'a> Evaluator<'a> {
    /// The template it evaluates.
    pub fn loaded(&self) -> &LoadedTemplate {
        self.loaded
    }

    /// The evaluator of `loaded` with values from `lookups`.
    pub fn new(loaded: &'a LoadedTemplate, lookups: &'a Lookups) -> Self {
        Evaluator {
            loaded,
            lookups,
            active: loaded.active_resources(),
        }
    }

    /// Logical IDs of the resources whose condition holds.
    pub fn active(&self) -> &HashSet<String> {
        &self.active
    }

    /// The whole template, conditions applied, evaluated with `known`.
    pub fn view(&self, known: &HashMap<String, Physical>) -> Result<Value, Diagnostics> {
        self.loaded
            .evaluate(&Known::new(known, self.lookups), self.lookups)
    }

    /// One part of one resource (`Properties`, `UpdatePolicy`), evaluated
    /// with `known`; an intrinsic left over is an error naming it.
    fn part(
        &self,
        logical_id: &str,
        part: &str,
        known: &HashMap<String, Physical>,
    ) -> Result<Option<Value>, ResolveError> {
        let Some(raw) = self
            .loaded
            .template
            .get("Resources")
            .and_then(|r| r.get(logical_id))
            .and_then(|r| r.get(part))
        else {
            return Ok(None);
        };
        let resolver = Known::new(known, self.lookups);
        let scope = self.loaded.scope(&self.active, &resolver, self.lookups);
        let path = Path(vec![
            PathSeg::Key("Resources".into()),
            PathSeg::Key(logical_id.to_string()),
            PathSeg::Key(part.to_string()),
        ]);
        let v = scope
            .eval(raw, &path)
            .map_err(|e| ResolveError::Evaluation(e.to_string()))?;
        if let Some(v) = &v
            && let Some((path, function)) = first_symbolic(v, String::new())
        {
            return Err(ResolveError::Unknown { path, function });
        }
        Ok(v)
    }
}

impl Evaluate for Evaluator<'_> {
    type View = Value;
    type Error = Diagnostics;

    fn evaluate(&self, known: &HashMap<String, Physical>) -> Result<Evaluated<Value>, Diagnostics> {
        let view = self.view(known)?;
        let desired = view
            .get("Resources")
            .and_then(Value::as_object)
            .map(|r| {
                r.iter()
                    .map(|(id, v)| {
                        (
                            id.clone(),
                            Desired {
                                resource_type: v
                                    .get("Type")
                                    .and_then(Value::as_str)
                                    .unwrap_or("")
                                    .to_string(),
                                properties: v
                                    .get("Properties")
                                    .and_then(Value::as_object)
                                    .cloned()
                                    .unwrap_or_default(),
                            },
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Evaluated { view, desired })
    }
}

impl ApplyResolver for Evaluator<'_> {
    fn resolve(
        &self,
        logical_id: &str,
        known: &HashMap<String, Physical>,
    ) -> Result<Resolved, ResolveError> {
        let properties = match self.part(logical_id, "Properties", known)? {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let update_policy = self.part(logical_id, "UpdatePolicy", known)?;
        Ok(Resolved {
            properties,
            update_policy,
        })
    }
}

/// Resolves nothing: properties are already resolved (a recovery's
/// putting back of committed resources).
pub struct AsCommitted<'a>(pub &'a HashMap<String, Map<String, Value>>);

impl ApplyResolver for AsCommitted<'_> {
    fn resolve(
        &self,
        logical_id: &str,
        _known: &HashMap<String, Physical>,
    ) -> Result<Resolved, ResolveError> {
        Ok(Resolved {
            properties: self.0.get(logical_id).cloned().unwrap_or_default(),
            update_policy: None,
        })
    }
}

/// The path and function of the first intrinsic left in `v` (never a value).
fn first_symbolic(v: &Value, at: String) -> Option<(String, String)> {
    if let Some((f, _)) = lockgate_template::eval::as_intrinsic(v) {
        return Some((if at.is_empty() { ".".into() } else { at }, f.to_string()));
    }
    match v {
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            first_symbolic(
                x,
                if at.is_empty() {
                    k.clone()
                } else {
                    format!("{at}.{k}")
                },
            )
        }),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| first_symbolic(x, format!("{at}[{i}]"))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn what_is_left_unresolved_is_named_with_its_path() {
        let v =
            json!({"Environment": {"Variables": {"A": "x", "B": {"Fn::GetAtt": ["T", "Arn"]}}}});
        assert_eq!(
            first_symbolic(&v, String::new()),
            Some(("Environment.Variables.B".into(), "Fn::GetAtt".into()))
        );
        assert_eq!(
            first_symbolic(&json!({"L": [1, {"Ref": "X"}]}), String::new()),
            Some(("L[1]".into(), "Ref".into()))
        );
        assert_eq!(first_symbolic(&json!({"A": [1, "b"]}), String::new()), None);
    }

    #[test]
    fn stand_ins_answer_attributes_not_modelled_locally() {
        let known = HashMap::from([(
            "T".to_string(),
            Physical {
                physical_id: "tbl".into(),
                attributes: serde_json::Map::new(),
            },
        )]);
        let lookups = Lookups::default();
        let k = Known {
            known: &known,
            lookups: &lookups,
        };
        assert_eq!(k.resource_ref("T"), Some(json!("tbl")));
        assert_eq!(k.get_att("T", "StreamArn"), Some(json!("tbl.StreamArn")));
        assert_eq!(k.get_att("Nope", "Arn"), None);
    }
}
