//! Planning a stack update: the change set from the deployed state to a
//! template, with CloudFormation's replacement cascade, secret masking and
//! removal order.
//!
//! The template itself is evaluated by the caller (the engine knows no
//! template language): [`Evaluate`] turns it into desired resources given
//! the physical resources known so far.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::changeset::{self, Action, ChangeSet, Desired, REDACTED, Replacement, ResourceChange};
use crate::replacement::Catalog;
use crate::resource::{DeployedResource, Physical};

/// One evaluation of a template: the caller's view and the desired resources.
#[derive(Debug, Clone)]
pub struct Evaluated<V> {
    /// What the caller wants back besides the desired resources.
    pub view: V,
    /// The template's resources, in template order.
    pub desired: Vec<(String, Desired)>,
}

/// Evaluates a template against the physical resources known so far.
pub trait Evaluate {
    /// What the caller wants back besides the desired resources (e.g. the
    /// evaluated template, to check its outputs).
    type View;
    /// Why evaluation failed.
    type Error;
    /// The template's resources, in template order, with every `Ref` /
    /// `Fn::GetAtt` of a resource in `known` resolved and the others left
    /// as intrinsics (known only at apply time).
    fn evaluate(
        &self,
        known: &HashMap<String, Physical>,
    ) -> Result<Evaluated<Self::View>, Self::Error>;
}

/// What a plan is computed against.
pub struct PlanInputs<'a> {
    /// The stack's committed resources, by logical ID.
    pub deployed: &'a BTreeMap<String, DeployedResource>,
    /// Values never to show (the new template's NoEcho values and secure strings).
    pub secrets: &'a [String],
    /// Whether an old value was a secret of the last deploy (its NoEcho
    /// values), so it is masked even where the new template no longer
    /// treats it as one.
    pub was_secret: &'a dyn Fn(&str) -> bool,
    /// The deployed template's logical IDs in dependency order
    /// (dependencies first); removals are listed in this order and
    /// carried out in reverse.
    pub removal_order: &'a [String],
    /// Which property changes replace a resource.
    pub catalog: &'a dyn Catalog,
}

/// A computed plan.
#[derive(Debug, Clone)]
pub struct Planned<V> {
    /// The evaluator's view of the final evaluation.
    pub view: V,
    /// The change set.
    pub changes: ChangeSet,
}

/// Plans an update: evaluates the template with what is deployed, diffs,
/// and evaluates again without the physical IDs of resources that would
/// be replaced — so what refers to them changes too (their new values are
/// known only at apply time) — until nothing more is replaced. Old values
/// of secrets are masked; removals come last, in dependency order.
pub fn plan<E: Evaluate>(eval: &E, inputs: PlanInputs<'_>) -> Result<Planned<E::View>, E::Error> {
    let mut known: HashMap<String, Physical> = inputs
        .deployed
        .iter()
        .map(|(id, r)| (id.clone(), r.physical.clone()))
        .collect();
    let mut rounds = 0;
    let (view, mut changes) = loop {
        let Evaluated { view, desired } = eval.evaluate(&known)?;
        let changes = changeset::diff(inputs.deployed, &desired, inputs.secrets, inputs.catalog);
        let replaced: Vec<String> = changes
            .changes
            .iter()
            .filter(|c| {
                c.action == Action::Modify
                    && c.replacement != Some(Replacement::False)
                    && known.contains_key(&c.logical_id)
            })
            .map(|c| c.logical_id.clone())
            .collect();
        rounds += 1;
        // Each round removes at least one known ID, so this ends.
        if replaced.is_empty() || rounds > desired.len() {
            break (view, changes);
        }
        for id in replaced {
            known.remove(&id);
        }
    };
    mask_old_secrets(&mut changes, inputs.was_secret);
    order_removals(&mut changes, inputs.removal_order);
    Ok(Planned { view, changes })
}

/// The change set that removes every deployed resource (a stack delete),
/// in dependency order (carried out in reverse).
pub fn removal(
    deployed: &BTreeMap<String, DeployedResource>,
    removal_order: &[String],
) -> ChangeSet {
    let mut changes = ChangeSet {
        changes: deployed
            .iter()
            .map(|(id, r)| ResourceChange {
                logical_id: id.clone(),
                resource_type: r.resource_type.clone(),
                action: Action::Remove,
                replacement: None,
                details: Vec::new(),
            })
            .collect(),
    };
    order_removals(&mut changes, removal_order);
    changes
}

/// The deployed side of a change holds old values, which the secrets of
/// the new template do not name: masks every old value whose new value is
/// masked (a NoEcho parameter that changed), and every old value that
/// `was_secret`.
fn mask_old_secrets(changes: &mut ChangeSet, was_secret: &dyn Fn(&str) -> bool) {
    fn by_test(v: &mut Value, was_secret: &dyn Fn(&str) -> bool) {
        match v {
            Value::String(s) if was_secret(s) => *s = REDACTED.into(),
            Value::Object(m) => m.values_mut().for_each(|x| by_test(x, was_secret)),
            Value::Array(a) => a.iter_mut().for_each(|x| by_test(x, was_secret)),
            _ => {}
        }
    }
    fn walk(before: &mut Value, after: &Value) {
        match (before, after) {
            (Value::Object(b), Value::Object(a)) => {
                for (k, v) in b.iter_mut() {
                    if let Some(av) = a.get(k) {
                        walk(v, av);
                    }
                }
            }
            (Value::Array(b), Value::Array(a)) => {
                for (v, av) in b.iter_mut().zip(a) {
                    walk(v, av);
                }
            }
            (b, Value::String(a)) if a.contains(REDACTED) => {
                *b = Value::String(REDACTED.into());
            }
            _ => {}
        }
    }
    for c in &mut changes.changes {
        for d in &mut c.details {
            if let (Some(before), Some(after)) = (d.before.as_mut(), d.after.as_ref()) {
                walk(before, after);
            }
            if let Some(before) = d.before.as_mut() {
                by_test(before, was_secret);
            }
        }
    }
}

/// Puts removals last, in `order` (the old template's dependency order);
/// apply deletes them in reverse: dependents first.
fn order_removals(changes: &mut ChangeSet, order: &[String]) {
    let rank: HashMap<&str, usize> = order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let (mut removals, rest): (Vec<_>, Vec<_>) = changes
        .changes
        .drain(..)
        .partition(|c| c.action == Action::Remove);
    removals.sort_by_key(|c| {
        rank.get(c.logical_id.as_str())
            .copied()
            .unwrap_or(usize::MAX)
    });
    changes.changes = rest;
    changes.changes.extend(removals);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replacement::Catalog;
    use serde_json::{Map, json};

    struct Rules;

    impl Catalog for Rules {
        fn replacing_properties(&self, resource_type: &str) -> &'static [&'static str] {
            match resource_type {
                "Fn" => &["FunctionName"],
                _ => &[],
            }
        }
    }

    /// A two-resource template: `Fn` (named by `name`) and `Perm`, whose
    /// `FunctionName` is a `Ref` to `Fn`.
    struct Template {
        name: &'static str,
        secret: &'static str,
    }

    impl Evaluate for Template {
        type View = usize;
        type Error = ();
        fn evaluate(&self, known: &HashMap<String, Physical>) -> Result<Evaluated<usize>, ()> {
            let perm_target = match known.get("Fn") {
                Some(p) => json!(p.physical_id),
                None => json!({"Ref": "Fn"}),
            };
            let obj = |v: Value| v.as_object().cloned().unwrap_or_default();
            Ok(Evaluated {
                view: known.len(),
                desired: vec![
                    (
                        "Fn".into(),
                        Desired {
                            resource_type: "Fn".into(),
                            properties: obj(json!({"FunctionName": self.name, "Env": self.secret})),
                        },
                    ),
                    (
                        "Perm".into(),
                        Desired {
                            resource_type: "Perm".into(),
                            properties: obj(json!({"FunctionName": perm_target})),
                        },
                    ),
                ],
            })
        }
    }

    fn deployed(id: &str, ty: &str, props: Value, physical: &str) -> (String, DeployedResource) {
        (
            id.to_string(),
            DeployedResource {
                resource_type: ty.to_string(),
                properties: props.as_object().cloned().unwrap_or_else(Map::new),
                physical: Physical {
                    physical_id: physical.to_string(),
                    attributes: Map::new(),
                },
                policies: Default::default(),
            },
        )
    }

    #[test]
    fn a_replacement_cascades_to_what_refers_to_it() {
        let state: BTreeMap<String, DeployedResource> = [
            deployed(
                "Fn",
                "Fn",
                json!({"FunctionName": "a", "Env": "old-pw"}),
                "a",
            ),
            deployed("Perm", "Perm", json!({"FunctionName": "a"}), "perm-1"),
            deployed("Gone", "Perm", json!({}), "gone-1"),
        ]
        .into();
        let secrets = vec!["new-pw".to_string()];
        let planned = plan(
            &Template {
                name: "b",
                secret: "new-pw",
            },
            PlanInputs {
                deployed: &state,
                secrets: &secrets,
                was_secret: &|s| s == "old-pw",
                removal_order: &["Gone".into(), "Fn".into(), "Perm".into()],
                catalog: &Rules,
            },
        )
        .unwrap();
        // The second evaluation ran without `Fn`'s physical ID.
        assert_eq!(planned.view, 2);
        let c = &planned.changes;
        assert_eq!(c.get("Fn").unwrap().replacement, Some(Replacement::True));
        let perm = c.get("Perm").unwrap();
        assert_eq!(perm.action, Action::Modify);
        assert_eq!(perm.replacement, Some(Replacement::False));
        assert_eq!(perm.details[0].after, Some(json!({"Ref": "Fn"})));
        assert_eq!(c.changes.last().unwrap().logical_id, "Gone");
        let shown = serde_json::to_string(c).unwrap();
        assert!(
            !shown.contains("old-pw") && !shown.contains("new-pw"),
            "{shown}"
        );
    }

    #[test]
    fn removal_lists_everything_in_dependency_order() {
        let state: BTreeMap<String, DeployedResource> = [
            deployed("A", "T", json!({}), "a"),
            deployed("B", "T", json!({}), "b"),
        ]
        .into();
        let c = removal(&state, &["B".into(), "A".into()]);
        let ids: Vec<&str> = c.changes.iter().map(|c| c.logical_id.as_str()).collect();
        assert_eq!(ids, ["B", "A"]);
        assert!(c.changes.iter().all(|c| c.action == Action::Remove));
    }
}
