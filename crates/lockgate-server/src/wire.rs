//! Domain values as the wire types of `lockgate-api` (which depends on
//! neither the engine nor the store, so the conversions live here).

use lockgate_engine::changeset::{self, ResourceChange};
use lockgate_engine::replacement::Recreation;

/// A change of the engine's change set as the API sends it.
pub fn change(c: &ResourceChange, emulated: bool) -> lockgate_api::Change {
    lockgate_api::Change {
        logical_id: c.logical_id.clone(),
        resource_type: c.resource_type.clone(),
        action: match c.action {
            changeset::Action::Add => lockgate_api::Action::Add,
            changeset::Action::Modify => lockgate_api::Action::Modify,
            changeset::Action::Remove => lockgate_api::Action::Remove,
        },
        replacement: c.replacement.map(|r| match r {
            changeset::Replacement::True => lockgate_api::Replacement::True,
            changeset::Replacement::False => lockgate_api::Replacement::False,
            changeset::Replacement::Conditional => lockgate_api::Replacement::Conditional,
        }),
        details: c
            .details
            .iter()
            .map(|d| lockgate_api::PropertyChange {
                name: d.name.clone(),
                requires_recreation: match d.requires_recreation {
                    Recreation::Never => lockgate_api::Recreation::Never,
                    Recreation::Conditionally => lockgate_api::Recreation::Conditionally,
                    Recreation::Always => lockgate_api::Recreation::Always,
                },
                evaluation: match d.evaluation {
                    changeset::Evaluation::Static => lockgate_api::Evaluation::Static,
                    changeset::Evaluation::Dynamic => lockgate_api::Evaluation::Dynamic,
                },
                before: d.before.clone(),
                after: d.after.clone(),
            })
            .collect(),
        emulated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lockgate_engine::changeset::{Action, Evaluation, PropertyChange, Replacement};
    use serde_json::json;

    /// The wire shape is exactly the engine's serialization plus `emulated`
    /// (what `plan --output json` always printed).
    #[test]
    fn a_change_keeps_the_engines_shape() {
        let c = ResourceChange {
            logical_id: "Fn".into(),
            resource_type: "AWS::Lambda::Function".into(),
            action: Action::Modify,
            replacement: Some(Replacement::Conditional),
            details: vec![
                PropertyChange {
                    name: "Code".into(),
                    requires_recreation: Recreation::Conditionally,
                    evaluation: Evaluation::Dynamic,
                    before: Some(json!({"S3Key": "a"})),
                    after: None,
                },
                PropertyChange {
                    name: "Role".into(),
                    requires_recreation: Recreation::Always,
                    evaluation: Evaluation::Static,
                    before: None,
                    after: Some(json!(null)),
                },
            ],
        };
        let mut engine = serde_json::to_value(&c).unwrap();
        engine["emulated"] = json!(true);
        assert_eq!(serde_json::to_value(change(&c, true)).unwrap(), engine);
        for (action, replacement) in [
            (Action::Add, None),
            (Action::Remove, None),
            (Action::Modify, Some(Replacement::True)),
            (Action::Modify, Some(Replacement::False)),
        ] {
            let c = ResourceChange {
                action,
                replacement,
                ..c.clone()
            };
            let mut engine = serde_json::to_value(&c).unwrap();
            engine["emulated"] = json!(false);
            assert_eq!(serde_json::to_value(change(&c, false)).unwrap(), engine);
        }
    }
}
