//! Change sets: what applying a template to a stack would do, resource by
//! resource and property by property, before anything changes.
//!
//! Like CloudFormation's, a change set names each resource's action (Add,
//! Modify, Remove), whether a Modify replaces the resource (True, False,
//! Conditional), and each changed top-level property with how it is carried
//! out. Values known only at apply time (a `Ref` or `Fn::GetAtt` of a
//! resource that is itself being added or replaced) are left as intrinsics
//! in the desired properties; a change that involves them is `Dynamic`.
//!
//! Values derived from a secret (a NoEcho parameter, directly or through
//! any intrinsic function) are never shown: the caller, which evaluates the
//! template, says where they are ([`Secrets`], by provenance), and each is
//! shown as [`REDACTED`] whole. A secret's text is never searched for: a
//! short one occurs in values that have nothing to do with it, and a value
//! derived from one (its base64, a piece of it) need not contain it.

use std::collections::{BTreeMap, BTreeSet};

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
    /// The deployed value (secrets masked), absent when the property is new.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The new value (secrets masked), absent when the property is removed.
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

/// The mask shown in place of a secret (CloudFormation's).
pub const REDACTED: &str = "****";

/// Where resources' properties hold values derived from a secret, by
/// logical ID: JSON pointers (RFC 6901) into the resource's `Properties`
/// (`/Environment/Variables/PASSWORD`). The value at each is shown as
/// [`REDACTED`] whole; the pointer `""` masks every property.
pub type SecretPaths = BTreeMap<String, BTreeSet<String>>;

/// Where the values a change set shows derive from secrets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Secrets {
    /// In the desired properties.
    pub desired: SecretPaths,
    /// In the deployed properties, as recorded when they were deployed.
    pub deployed: SecretPaths,
}

/// Computes the change set from the deployed state to the desired one.
///
/// `desired` is in template order; `secrets` says which values are derived
/// from secrets: a deployed value is masked where either side says so (the
/// old value of a secret that changed is a secret too), a desired value
/// where the desired side says so; `catalog` says which property changes
/// replace a resource.
pub fn diff(
    deployed: &BTreeMap<String, DeployedResource>,
    desired: &[(String, Desired)],
    secrets: &Secrets,
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
    secrets: &Secrets,
    catalog: &dyn Catalog,
) -> Option<ResourceChange> {
    let in_desired = secrets.desired.get(id);
    let in_deployed = secrets.deployed.get(id);
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
            before: before.map(|v| {
                mask_property(v, name, in_deployed.into_iter().chain(in_desired).flatten())
            }),
            after: after.map(|v| mask_property(v, name, in_desired.into_iter().flatten())),
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

/// The value of the top-level property `name`, masked at every pointer of
/// `pointers` (into the whole `Properties`) that falls in it.
fn mask_property<'a>(v: &Value, name: &str, pointers: impl Iterator<Item = &'a String>) -> Value {
    let mut out = v.clone();
    for p in pointers {
        let tokens = tokens(p);
        match tokens.split_first() {
            None => return Value::String(REDACTED.into()),
            Some((first, rest)) if first == name => mask_at(&mut out, rest),
            Some(_) => {}
        }
    }
    out
}

/// A copy of `v` with the value at each of `pointers` (JSON pointers into
/// `v`) masked whole. Where `v` has a plain value on the way (it was an
/// intrinsic when the pointer was found, and is resolved now) that value
/// is masked; where it has nothing at all there is nothing to mask.
pub fn mask<'a>(v: &Value, pointers: impl IntoIterator<Item = &'a str>) -> Value {
    let mut out = v.clone();
    for p in pointers {
        mask_at(&mut out, &tokens(p));
    }
    out
}

fn mask_at(v: &mut Value, tokens: &[String]) {
    let Some((first, rest)) = tokens.split_first() else {
        *v = Value::String(REDACTED.into());
        return;
    };
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get_mut(first) {
                mask_at(x, rest);
            }
        }
        Value::Array(items) => {
            if let Some(x) = first.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                mask_at(x, rest);
            }
        }
        other => *other = Value::String(REDACTED.into()),
    }
}

/// The tokens of a JSON pointer (`""` has none).
fn tokens(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// `at` extended by one token.
fn child(at: &str, token: &str) -> String {
    format!("{at}/{}", token.replace('~', "~0").replace('/', "~1"))
}

/// Where `real` differs from `other`, as JSON pointers into `real`: the
/// deepest places whose values differ (a whole list when its length
/// differs; a key `other` lacks; nothing for a key only `other` has, which
/// `real` does not show). Evaluating a value
/// again with every secret replaced by a stand-in, the places that differ
/// are those derived from a secret.
pub fn differences(real: &Value, other: &Value) -> BTreeSet<String> {
    fn walk(real: &Value, other: &Value, at: &str, out: &mut BTreeSet<String>) {
        if real == other {
            return;
        }
        match (real, other) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, x) in a {
                    match b.get(k) {
                        Some(y) => walk(x, y, &child(at, k), out),
                        None => {
                            out.insert(child(at, k));
                        }
                    }
                }
            }
            (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(x, y, &child(at, &i.to_string()), out);
                }
            }
            _ => {
                out.insert(at.to_string());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(real, other, "", &mut out);
    out
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
        secrets: &Secrets,
    ) -> ChangeSet {
        diff(deployed, desired, secrets, &Rules)
    }

    fn paths(entries: &[(&str, &[&str])]) -> SecretPaths {
        entries
            .iter()
            .map(|(id, ps)| (id.to_string(), ps.iter().map(|p| p.to_string()).collect()))
            .collect()
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
            &Secrets::default(),
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
            &Secrets::default(),
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
            &Secrets::default(),
        );
        assert_eq!(cs.get("Fn").unwrap().replacement, Some(Replacement::True));
    }

    #[test]
    fn a_type_change_replaces() {
        let cs = plan(
            &deployed(&[("X", FN, json!({}))]),
            &desired(&[("X", "AWS::SQS::Queue", json!({}))]),
            &Secrets::default(),
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
            &Secrets::default(),
        );
        let change = cs.get("Alias").unwrap();
        assert_eq!(change.replacement, Some(Replacement::Conditional));
        assert_eq!(change.details[0].evaluation, Evaluation::Dynamic);
        assert_eq!(
            change.details[0].requires_recreation,
            Recreation::Conditionally
        );
    }

    /// What derives from a secret is masked whole, by where it is, not by
    /// its text: a one-character secret leaves every other value intact.
    #[test]
    fn secrets_are_masked_by_provenance_not_by_text() {
        let cs = plan(
            &deployed(&[(
                "Fn",
                FN,
                json!({"Environment": {"Variables": {"PW": "old-1", "REGION": "us-east-1"}}, "Tags": ["a"]}),
            )]),
            &desired(&[(
                "Fn",
                FN,
                json!({"Environment": {"Variables": {"PW": "aHVudGVyMg==", "REGION": "us-east-2"}}, "Tags": ["1"]}),
            )]),
            &Secrets {
                desired: paths(&[("Fn", &["/Environment/Variables/PW"])]),
                deployed: SecretPaths::new(),
            },
        );
        let shown = serde_json::to_string(&cs).unwrap();
        assert!(
            !shown.contains("aHVudGVyMg==") && !shown.contains("old-1"),
            "{shown}"
        );
        let env = &cs.get("Fn").unwrap().details[0];
        assert_eq!(
            env.after,
            Some(json!({"Variables": {"PW": "****", "REGION": "us-east-2"}}))
        );
        // The old value at the same place is masked too (a changed secret).
        assert_eq!(
            env.before,
            Some(json!({"Variables": {"PW": "****", "REGION": "us-east-1"}}))
        );
        // `1` is the secret's text, perhaps, but not derived from it: shown.
        assert_eq!(cs.get("Fn").unwrap().details[1].after, Some(json!(["1"])));
    }

    /// A deployed value recorded as derived from a secret stays masked when
    /// the new template no longer derives it from one; the new value shows.
    #[test]
    fn a_recorded_secret_stays_masked_on_the_deployed_side() {
        let cs = plan(
            &deployed(&[("Fn", FN, json!({"Description": "c2VjcmV0", "Handler": "a"}))]),
            &desired(&[(
                "Fn",
                FN,
                json!({"Description": "plain now", "Handler": "b"}),
            )]),
            &Secrets {
                desired: SecretPaths::new(),
                deployed: paths(&[("Fn", &["/Description"])]),
            },
        );
        let d = &cs.get("Fn").unwrap().details;
        assert_eq!(d[0].before, Some(json!("****")));
        assert_eq!(d[0].after, Some(json!("plain now")));
        assert_eq!(d[1].before, Some(json!("a")));
        // The root pointer masks every property.
        let cs = plan(
            &deployed(&[("Fn", FN, json!({"Description": "x", "Handler": "a"}))]),
            &desired(&[("Fn", FN, json!({"Description": "y", "Handler": "b"}))]),
            &Secrets {
                desired: SecretPaths::new(),
                deployed: paths(&[("Fn", &[""])]),
            },
        );
        let shown = serde_json::to_string(&cs).unwrap();
        assert!(
            !shown.contains("\"x\"") && !shown.contains("\"a\""),
            "{shown}"
        );
    }

    #[test]
    fn masks_follow_pointers_as_far_as_the_value_goes() {
        let v = json!({"a/b": {"c": [1, {"d": "s"}]}, "e": "k"});
        assert_eq!(
            mask(&v, ["/a~1b/c/1/d"]),
            json!({"a/b": {"c": [1, {"d": "****"}]}, "e": "k"})
        );
        // An intrinsic then, a plain value now: the plain value is masked.
        assert_eq!(
            mask(&json!({"e": "resolved"}), ["/e/Fn::Join/1/0"]),
            json!({"e": "****"})
        );
        // Nothing there: nothing to mask.
        assert_eq!(mask(&v, ["/x/y", "/a~1b/c/7"]), v);
        assert_eq!(mask(&v, [""]), json!("****"));
    }

    #[test]
    fn differences_are_the_deepest_places_that_differ() {
        let real = json!({"A": "x", "B": {"C": ["1", "s1"], "D": "same"}, "E": [1, 2], "F": "only here", "a/b": "s"});
        let other = json!({"A": "x", "B": {"C": ["1", "s2"], "D": "same"}, "E": [1], "G": "only there", "a/b": "t"});
        let d: Vec<String> = differences(&real, &other).into_iter().collect();
        assert_eq!(d, ["/B/C/1", "/E", "/F", "/a~1b"]);
        assert!(differences(&real, &real).is_empty());
        assert_eq!(
            differences(&json!("a"), &json!({"Fn::Base64": "b"})),
            [String::new()].into()
        );
        // What they name is what `mask` masks.
        assert_eq!(
            mask(&real, d.iter().map(String::as_str)),
            json!({"A": "x", "B": {"C": ["1", "****"], "D": "same"}, "E": "****", "F": "****", "a/b": "****"})
        );
    }
}
