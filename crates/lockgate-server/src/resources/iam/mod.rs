//! AWS IAM: roles and policies (recorded; a function's role is the stage's,
//! and its policies are evaluated on the local AWS APIs, see
//! `crate::permissions`). A policy document IAM would refuse fails the
//! resource, as IAM's `MalformedPolicyDocument` fails it on AWS.

mod managed_policy;
mod policy;
mod role;
mod role_policy;

pub use managed_policy::ManagedPolicy;
pub use policy::Policy;
pub use role::Role;
pub use role_policy::RolePolicy;

use lockgate_engine::ProviderError;
use serde_json::Value;

/// Checks the policy document `doc` (property `field`) as IAM does when it
/// is put: an object, or JSON text holding one (CloudFormation's Json-typed
/// properties take either), that IAM accepts.
pub(crate) fn check_policy_document(field: &str, doc: Option<&Value>) -> Result<(), ProviderError> {
    let Some(doc) = doc else {
        return Err(ProviderError::invalid(format!("{field}: required")));
    };
    crate::permissions::parse_policy_document(doc)
        .map(|_| ())
        .map_err(|e| ProviderError::invalid(format!("{field}: {e}")))
}

/// Checks a role's trust policy as far as its form: an object, or JSON
/// text holding one. (Its statements follow the trust policy grammar,
/// which Lockgate does not evaluate.)
pub(crate) fn check_trust_policy(doc: Option<&Value>) -> Result<(), ProviderError> {
    const FIELD: &str = "AssumeRolePolicyDocument";
    let parsed;
    let doc = match doc {
        None | Some(Value::Object(_)) => return Ok(()),
        Some(Value::String(text)) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                ProviderError::invalid(format!(
                    "{FIELD}: MalformedPolicyDocument: the policy document is not valid JSON: {e}"
                ))
            })?;
            &parsed
        }
        Some(other) => other,
    };
    if doc.is_object() {
        Ok(())
    } else {
        Err(ProviderError::invalid(format!(
            "{FIELD}: MalformedPolicyDocument: the policy document is not a JSON object"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::Harness;
    use serde_json::json;

    const DENY: &str = r#"{"Statement": [{"Effect": "Deny", "Action": "ssm:*", "Resource": "*"}]}"#;

    #[tokio::test]
    async fn policy_documents_as_json_text_are_accepted() {
        let h = Harness::new().await;
        let role = json!({
            "AssumeRolePolicyDocument": r#"{"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}"#,
            "Policies": [{"PolicyName": "NoSsm", "PolicyDocument": DENY}],
        });
        h.put(&Role, "R", &role).await.unwrap();
        h.put(
            &Policy,
            "P",
            &json!({"PolicyName": "P", "Roles": ["r"], "PolicyDocument": DENY}),
        )
        .await
        .unwrap();
        h.put(&ManagedPolicy, "M", &json!({"PolicyDocument": DENY}))
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn malformed_policy_documents_fail_as_iam_refuses_them() {
        let h = Harness::new().await;
        let no_effect = json!({"Statement": [{"Action": "ssm:*", "Resource": "*"}]});
        let e = h
            .put(
                &Role,
                "R",
                &json!({"Policies": [
                    {"PolicyName": "Ok", "PolicyDocument": DENY},
                    {"PolicyName": "Bad", "PolicyDocument": no_effect},
                ]}),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.message,
            "Policies[1].PolicyDocument: MalformedPolicyDocument: Statement[0] has no Effect"
        );
        assert_eq!(e.kind, lockgate_engine::ErrorKind::InvalidProperty);
        let e = h
            .put(
                &Policy,
                "P",
                &json!({"PolicyName": "P", "Roles": ["r"], "PolicyDocument": "{\"Statement\": "}),
            )
            .await
            .unwrap_err();
        assert!(
            e.message.starts_with(
                "PolicyDocument: MalformedPolicyDocument: the policy document is not valid JSON"
            ),
            "{}",
            e.message
        );
        let e = h
            .put(&ManagedPolicy, "M", &json!({"PolicyDocument": ["x"]}))
            .await
            .unwrap_err();
        assert_eq!(
            e.message,
            "PolicyDocument: MalformedPolicyDocument: the policy document is not a JSON object"
        );
        let e = h
            .put(&Policy, "P", &json!({"PolicyName": "P", "Roles": ["r"]}))
            .await
            .unwrap_err();
        assert_eq!(e.message, "PolicyDocument: required");
        let e = h
            .put(&Role, "R", &json!({"AssumeRolePolicyDocument": "nope"}))
            .await
            .unwrap_err();
        assert!(
            e.message
                .starts_with("AssumeRolePolicyDocument: MalformedPolicyDocument"),
            "{}",
            e.message
        );
    }
}
