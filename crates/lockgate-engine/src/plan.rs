//! Planning a stack update: the change set from the deployed state to a
//! template, with CloudFormation's replacement cascade, secret masking (by
//! provenance: the caller says where secrets went) and removal order.
//!
//! The template itself is evaluated by the caller (the engine knows no
//! template language): [`Evaluate`] turns it into desired resources given
//! the physical resources known so far.

use std::collections::{BTreeMap, HashMap};

use crate::changeset::{
    self, Action, ChangeSet, Desired, Replacement, ResourceChange, SecretPaths, Secrets,
};
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
    /// Where the desired properties, evaluated with the given physical
    /// resources, hold values derived from a secret (a NoEcho parameter,
    /// through any intrinsic): the evaluator's to say, it knows the template.
    pub desired_secrets: &'a dyn Fn(&HashMap<String, Physical>) -> SecretPaths,
    /// Where the committed properties hold values derived from a secret, as
    /// recorded when they were deployed: masked even where the new template
    /// no longer derives them from one.
    pub deployed_secrets: &'a SecretPaths,
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
/// known only at apply time) — until nothing more is replaced. Values
/// derived from secrets are masked, on the deployed side where either the
/// record or the new template says so; removals come last, in dependency
/// order.
pub fn plan<E: Evaluate>(eval: &E, inputs: PlanInputs<'_>) -> Result<Planned<E::View>, E::Error> {
    let mut known: HashMap<String, Physical> = inputs
        .deployed
        .iter()
        .map(|(id, r)| (id.clone(), r.physical.clone()))
        .collect();
    let mut rounds = 0;
    let (view, mut changes) = loop {
        let Evaluated { view, desired } = eval.evaluate(&known)?;
        let secrets = Secrets {
            desired: (inputs.desired_secrets)(&known),
            deployed: inputs.deployed_secrets.clone(),
        };
        let changes = changeset::diff(inputs.deployed, &desired, &secrets, inputs.catalog);
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
    use serde_json::{Map, Value, json};

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
        // `Env` derives from a secret, now and at the last deploy; the
        // evaluator says so for every set of known resources.
        let env: SecretPaths = [("Fn".to_string(), ["/Env".to_string()].into())].into();
        let asked = std::cell::Cell::new(0);
        let desired_secrets = |_: &HashMap<String, Physical>| {
            asked.set(asked.get() + 1);
            env.clone()
        };
        let planned = plan(
            &Template {
                name: "b",
                secret: "new-pw",
            },
            PlanInputs {
                deployed: &state,
                desired_secrets: &desired_secrets,
                deployed_secrets: &SecretPaths::new(),
                removal_order: &["Gone".into(), "Fn".into(), "Perm".into()],
                catalog: &Rules,
            },
        )
        .unwrap();
        // The second evaluation ran without `Fn`'s physical ID.
        assert_eq!(planned.view, 2);
        assert_eq!(asked.get(), 2, "secrets are asked for with each evaluation");
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
