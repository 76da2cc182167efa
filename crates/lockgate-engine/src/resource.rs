//! A resource as the engine sees it: its type, properties, physical
//! identity, and the resource attributes that travel with it
//! (`DependsOn`, `DeletionPolicy`, `UpdateReplacePolicy`, `UpdatePolicy`).

use serde_json::{Map, Value};

/// A resource as it exists: its physical ID and the attributes `Fn::GetAtt` reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Physical {
    /// What `Ref` returns for most types (a name, an ID, an ARN).
    pub physical_id: String,
    /// `Fn::GetAtt` attributes by name.
    pub attributes: Map<String, Value>,
}

/// What happens to a physical resource when it leaves the stack:
/// CloudFormation's `DeletionPolicy` (removed from the template, or the
/// stack deleted) and `UpdateReplacePolicy` (the old copy of a replaced
/// resource).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum RemovalPolicy {
    /// Deleted (CloudFormation's default).
    #[default]
    Delete,
    /// Kept: it leaves the stack but is not deleted (`DELETE_SKIPPED`).
    Retain,
    /// Kept, like `Retain`, except when the operation that created it is
    /// rolled back: then it is deleted.
    RetainExceptOnCreate,
    /// A final snapshot is recorded, then it is deleted.
    Snapshot,
}

impl RemovalPolicy {
    /// Parses a policy as written in a template.
    pub fn parse(text: &str) -> Option<RemovalPolicy> {
        match text {
            "Delete" => Some(RemovalPolicy::Delete),
            "Retain" => Some(RemovalPolicy::Retain),
            "RetainExceptOnCreate" => Some(RemovalPolicy::RetainExceptOnCreate),
            "Snapshot" => Some(RemovalPolicy::Snapshot),
            _ => None,
        }
    }

    /// Whether the physical resource is kept when it leaves the stack
    /// outside a rollback of its own creation.
    pub fn keeps(self) -> bool {
        matches!(
            self,
            RemovalPolicy::Retain | RemovalPolicy::RetainExceptOnCreate
        )
    }
}

/// The resource attributes that change how the engine treats a resource.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Policies {
    /// `DeletionPolicy`.
    pub deletion: RemovalPolicy,
    /// `UpdateReplacePolicy`.
    pub update_replace: RemovalPolicy,
    /// `UpdatePolicy`, as written (resolved at apply time with the
    /// resource's properties): e.g. `CodeDeployLambdaAliasUpdate`, which
    /// hands an alias update to a rollout strategy.
    pub update: Option<Value>,
}

/// A resource attribute that is not one CloudFormation accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{logical_id}.{attribute}: `{value}` is not a valid policy; expected Delete, Retain, RetainExceptOnCreate or Snapshot"
)]
pub struct PolicyError {
    /// The resource.
    pub logical_id: String,
    /// `DeletionPolicy` or `UpdateReplacePolicy`.
    pub attribute: &'static str,
    /// What was written.
    pub value: String,
}

impl Policies {
    /// Reads the policies of a template resource (`{"Type": …, "DeletionPolicy": …}`).
    pub fn of_template_resource(logical_id: &str, resource: &Value) -> Result<Self, PolicyError> {
        let read = |attribute: &'static str| -> Result<RemovalPolicy, PolicyError> {
            match resource.get(attribute) {
                None | Some(Value::Null) => Ok(RemovalPolicy::Delete),
                Some(v) => v
                    .as_str()
                    .and_then(RemovalPolicy::parse)
                    .ok_or_else(|| PolicyError {
                        logical_id: logical_id.to_string(),
                        attribute,
                        value: match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        },
                    }),
            }
        };
        Ok(Policies {
            deletion: read("DeletionPolicy")?,
            update_replace: read("UpdateReplacePolicy")?,
            update: resource.get("UpdatePolicy").cloned(),
        })
    }
}

/// One resource of the stack as it is deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct DeployedResource {
    /// Its type.
    pub resource_type: String,
    /// Its resolved properties.
    pub properties: Map<String, Value>,
    /// Its physical identity.
    pub physical: Physical,
    /// Its policies, as the template that deployed it says.
    pub policies: Policies,
}

/// One resource of the desired template, as apply needs it: what it
/// depends on and its policies (its properties are resolved at apply time
/// by a [`crate::apply::Resolver`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedResource {
    /// Its type.
    pub resource_type: String,
    /// Logical IDs it depends on (Ref, GetAtt, Sub, DependsOn).
    pub depends_on: Vec<String>,
    /// Its policies.
    pub policies: Policies,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policies_default_to_delete_and_parse_every_value() {
        let p = Policies::of_template_resource("A", &json!({"Type": "T"})).unwrap();
        assert_eq!(p, Policies::default());
        let p = Policies::of_template_resource(
            "A",
            &json!({"Type": "T", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Snapshot",
                    "UpdatePolicy": {"CodeDeployLambdaAliasUpdate": {}}}),
        )
        .unwrap();
        assert_eq!(p.deletion, RemovalPolicy::Retain);
        assert_eq!(p.update_replace, RemovalPolicy::Snapshot);
        assert!(p.update.is_some());
        let e =
            Policies::of_template_resource("A", &json!({"DeletionPolicy": "Keep"})).unwrap_err();
        assert_eq!(
            e.to_string(),
            "A.DeletionPolicy: `Keep` is not a valid policy; expected Delete, Retain, RetainExceptOnCreate or Snapshot"
        );
        assert!(RemovalPolicy::RetainExceptOnCreate.keeps());
        assert!(!RemovalPolicy::Snapshot.keeps());
    }
}
