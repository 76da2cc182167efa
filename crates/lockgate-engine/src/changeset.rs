//! Change sets: what applying a template to a stack would do, resource by
//! resource and property by property, before anything changes.
//!
//! Like CloudFormation's, a change set names each resource's action (Add,
//! Modify, Remove), whether a Modify replaces the resource (True, False,
//! Conditional), and each changed top-level property with how it is carried
//! out. Values known only at apply time (a `Ref` or `Fn::GetAtt` of a
//! resource that is itself being added or replaced) are left as intrinsics
//! in the desired properties; a change that involves them is `Dynamic`.
//! Secret values (NoEcho parameters, SecureStrings) are never shown.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::replacement::{Catalog, Recreation, recreation};
use crate::resource::DeployedResource;

/// What the template asks for, per logical ID.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// `Type` in the new template.
    pub resource_type: String,
    /// Its properties, resolved as far as is known before apply.
    pub properties: Map<String, Value>,
}

/// The action on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Action {
    /// A new resource.
    Add,
    /// An existing resource changes (possibly by replacement).
    Modify,
    /// The resource is deleted.
    Remove,
}

/// Whether a Modify replaces the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Replacement {
    /// A new physical resource is created, then the old one deleted.
    True,
    /// Updated in place.
    False,
    /// Depends on values known only at apply time.
    Conditional,
}

/// Whether a property's new value is known now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Evaluation {
    /// Known now.
    Static,
    /// Known only at apply time.
    Dynamic,
}

/// One changed top-level property.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyChange {
    /// The property name.
    pub name: String,
    /// How its change is carried out.
    pub requires_recreation: Recreation,
    /// Whether the new value is known before apply.
    pub evaluation: Evaluation,
    /// The deployed value (redacted), absent when the property is new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The new value (redacted), absent when the property is removed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
}

/// The change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceChange {
    /// The resource's logical ID.
    pub logical_id: String,
    /// Its type (the new one for Add and Modify).
    pub resource_type: String,
    /// What happens to it.
    pub action: Action,
    /// For Modify: whether it is replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
    /// The properties that differ.
    pub details: Vec<PropertyChange>,
}

/// A whole change set; resources that do not change are not listed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChangeSet {
    /// The changes, in the desired template's order, removals last.
    pub changes: Vec<ResourceChange>,
}

impl ChangeSet {
    /// Whether applying would change nothing.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The change to one resource, if it changes.
    pub fn get(&self, logical_id: &str) -> Option<&ResourceChange> {
        self.changes.iter().find(|c| c.logical_id == logical_id)
    }
}

/// The mask shown in place of a secret.
pub const REDACTED: &str = "****";

/// Computes the change set from the deployed state to the desired one.
///
/// `desired` is in template order; `secrets` are values that must never be
/// shown (they are masked wherever they occur inside a string); `catalog`
/// says which property changes replace a resource.
pub fn diff(
    deployed: &BTreeMap<String, DeployedResource>,
    desired: &[(String, Desired)],
    secrets: &[String],
    catalog: &dyn Catalog,
) -> ChangeSet {
    let mut changes = Vec::new();
    for (id, want) in desired {
        match deployed.get(id) {
            None => changes.push(ResourceChange {
                logical_id: id.clone(),
                resource_type: want.resource_type.clone(),
                action: Action::Add,
                replacement: None,
                details: Vec::new(),
            }),
            Some(have) => {
                if let Some(change) = modify(id, have, want, secrets, catalog) {
                    changes.push(change);
                }
            }
        }
    }
    let wanted: std::collections::HashSet<&str> =
        desired.iter().map(|(id, _)| id.as_str()).collect();
    for (id, have) in deployed {
        if !wanted.contains(id.as_str()) {
            changes.push(ResourceChange {
                logical_id: id.clone(),
                resource_type: have.resource_type.clone(),
                action: Action::Remove,
                replacement: None,
                details: Vec::new(),
            });
        }
    }
    ChangeSet { changes }
}

fn modify(
    id: &str,
    have: &DeployedResource,
    want: &Desired,
    secrets: &[String],
    catalog: &dyn Catalog,
) -> Option<ResourceChange> {
    if have.resource_type != want.resource_type {
        // A type change can only be done by replacing the resource.
        return Some(ResourceChange {
            logical_id: id.to_string(),
            resource_type: want.resource_type.clone(),
            action: Action::Modify,
            replacement: Some(Replacement::True),
            details: Vec::new(),
        });
    }
    let mut names: Vec<&String> = have
        .properties
        .keys()
        .chain(want.properties.keys())
        .collect();
    names.sort();
    names.dedup();
    let mut details = Vec::new();
    for name in names {
        let before = have.properties.get(name.as_str());
        let after = want.properties.get(name.as_str());
        if before == after {
            continue;
        }
        let evaluation = if after.is_some_and(has_unresolved) {
            Evaluation::Dynamic
        } else {
            Evaluation::Static
        };
        let mut requires_recreation = recreation(catalog, &want.resource_type, name);
        if evaluation == Evaluation::Dynamic && requires_recreation == Recreation::Always {
            requires_recreation = Recreation::Conditionally;
        }
        details.push(PropertyChange {
            name: name.clone(),
            requires_recreation,
            evaluation,
            before: before.map(|v| redact(v, secrets)),
            after: after.map(|v| redact(v, secrets)),
        });
    }
    if details.is_empty() {
        return None;
    }
    let replacement = if details
        .iter()
        .any(|d| d.requires_recreation == Recreation::Always)
    {
        Replacement::True
    } else if details
        .iter()
        .any(|d| d.requires_recreation == Recreation::Conditionally)
    {
        Replacement::Conditional
    } else {
        Replacement::False
    };
    Some(ResourceChange {
        logical_id: id.to_string(),
        resource_type: want.resource_type.clone(),
        action: Action::Modify,
        replacement: Some(replacement),
        details,
    })
}

/// Whether a value still holds an intrinsic function (known only at apply time).
pub fn has_unresolved(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            (m.len() == 1
                && m.keys()
                    .next()
                    .is_some_and(|k| k == "Ref" || k.starts_with("Fn::")))
                || m.values().any(has_unresolved)
        }
        Value::Array(items) => items.iter().any(has_unresolved),
        _ => false,
    }
}

/// A copy of `v` with every secret masked.
pub fn redact(v: &Value, secrets: &[String]) -> Value {
    match v {
        Value::String(s) => {
            let mut out = s.clone();
            for secret in secrets.iter().filter(|s| !s.is_empty()) {
                if out.contains(secret.as_str()) {
                    out = out.replace(secret.as_str(), REDACTED);
                }
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| redact(i, secrets)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), redact(v, secrets)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn props(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    fn deployed(entries: &[(&str, &str, Value)]) -> BTreeMap<String, DeployedResource> {
        entries
            .iter()
            .map(|(id, ty, p)| {
                (
                    id.to_string(),
                    DeployedResource {
                        resource_type: ty.to_string(),
                        properties: props(p.clone()),
                        physical: Default::default(),
                        policies: Default::default(),
                    },
                )
            })
            .collect()
    }

    /// Test rules: a function is replaced when renamed, an alias when it
    /// moves to another function.
    struct Rules;

    impl Catalog for Rules {
        fn replacing_properties(&self, resource_type: &str) -> &'static [&'static str] {
            match resource_type {
                FN => &["FunctionName"],
                "AWS::Lambda::Alias" => &["Name", "FunctionName"],
                _ => &[],
            }
        }
    }

    fn plan(
        deployed: &BTreeMap<String, DeployedResource>,
        desired: &[(String, Desired)],
        secrets: &[String],
    ) -> ChangeSet {
        diff(deployed, desired, secrets, &Rules)
    }

    fn desired(entries: &[(&str, &str, Value)]) -> Vec<(String, Desired)> {
        entries
            .iter()
            .map(|(id, ty, p)| {
                (
                    id.to_string(),
                    Desired {
                        resource_type: ty.to_string(),
                        properties: props(p.clone()),
                    },
                )
            })
            .collect()
    }

    const FN: &str = "AWS::Lambda::Function";

    #[test]
    fn unchanged_stack_has_an_empty_change_set() {
        let p = json!({"Handler": "app.handler", "Runtime": "python3.11"});
        let cs = plan(
            &deployed(&[("Fn", FN, p.clone())]),
            &desired(&[("Fn", FN, p)]),
            &[],
        );
        assert!(cs.is_empty());
    }

    #[test]
    fn add_modify_remove_are_reported() {
        let cs = plan(
            &deployed(&[
                ("Fn", FN, json!({"Handler": "a.h"})),
                ("Old", FN, json!({})),
            ]),
            &desired(&[
                ("Fn", FN, json!({"Handler": "b.h"})),
                ("New", FN, json!({})),
            ]),
            &[],
        );
        let actions: Vec<(&str, Action)> = cs
            .changes
            .iter()
            .map(|c| (c.logical_id.as_str(), c.action))
            .collect();
        assert_eq!(
            actions,
            vec![
                ("Fn", Action::Modify),
                ("New", Action::Add),
                ("Old", Action::Remove)
            ]
        );
        let fn_change = cs.get("Fn").unwrap();
        assert_eq!(fn_change.replacement, Some(Replacement::False));
        assert_eq!(fn_change.details[0].name, "Handler");
        assert_eq!(fn_change.details[0].before, Some(json!("a.h")));
    }

    #[test]
    fn renaming_a_function_replaces_it() {
        let cs = plan(
            &deployed(&[("Fn", FN, json!({"FunctionName": "a"}))]),
            &desired(&[("Fn", FN, json!({"FunctionName": "b"}))]),
            &[],
        );
        assert_eq!(cs.get("Fn").unwrap().replacement, Some(Replacement::True));
    }

    #[test]
    fn a_type_change_replaces() {
        let cs = plan(
            &deployed(&[("X", FN, json!({}))]),
            &desired(&[("X", "AWS::SQS::Queue", json!({}))]),
            &[],
        );
        assert_eq!(cs.get("X").unwrap().replacement, Some(Replacement::True));
    }

    #[test]
    fn values_known_only_at_apply_time_are_dynamic_and_conditional() {
        let cs = plan(
            &deployed(&[(
                "Alias",
                "AWS::Lambda::Alias",
                json!({"FunctionName": "fn-1", "Name": "live"}),
            )]),
            &desired(&[(
                "Alias",
                "AWS::Lambda::Alias",
                json!({"FunctionName": {"Ref": "NewFn"}, "Name": "live"}),
            )]),
            &[],
        );
        let change = cs.get("Alias").unwrap();
        assert_eq!(change.replacement, Some(Replacement::Conditional));
        assert_eq!(change.details[0].evaluation, Evaluation::Dynamic);
        assert_eq!(
            change.details[0].requires_recreation,
            Recreation::Conditionally
        );
    }

    #[test]
    fn secrets_are_never_shown() {
        let secret = "hunter2-very-secret".to_string();
        let cs = plan(
            &deployed(&[(
                "Fn",
                FN,
                json!({"Environment": {"Variables": {"PW": "old"}}}),
            )]),
            &desired(&[(
                "Fn",
                FN,
                json!({"Environment": {"Variables": {"PW": "x-hunter2-very-secret"}}}),
            )]),
            std::slice::from_ref(&secret),
        );
        let shown = serde_json::to_string(&cs).unwrap();
        assert!(!shown.contains(&secret), "{shown}");
        assert!(shown.contains("x-****"));
    }
}
