use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::names::{NameRule, ROLE_NAME};
use crate::resources::{Ctx, Props, ResourceType};

resource_type! {
    /// An inline IAM policy embedded in one role (`RoleName`). Recorded;
    /// enforced on that role. A `PolicyDocument` IAM would refuse fails the
    /// resource (`MalformedPolicyDocument`), as do a `RoleName` or
    /// `PolicyName` IAM would refuse. `Ref` is its physical ID.
    pub struct RolePolicy = "AWS::IAM::RolePolicy";
}

/// IAM `PolicyName`: 1–128 of `[\w+=,.@-]`.
pub(crate) const POLICY_NAME: NameRule = NameRule {
    field: "PolicyName",
    member: "policyName",
    max: 128,
    allowed: iam_char,
    pattern: Some(r"[\w+=,.@-]+"),
};

fn iam_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

#[async_trait]
impl ResourceType for RolePolicy {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["PolicyName", "RoleName"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let role = p
            .str("RoleName")
            .ok_or_else(|| ProviderError::invalid("RoleName: required"))?;
        ROLE_NAME.check(role)?;
        let name = p
            .str("PolicyName")
            .ok_or_else(|| ProviderError::invalid("PolicyName: required"))?;
        POLICY_NAME.check(name)?;
        super::check_policy_document("PolicyDocument", p.get("PolicyDocument"))?;
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128)),
            attributes: Map::new(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::Harness;
    use serde_json::json;

    const DENY: &str = r#"{"Statement": [{"Effect": "Deny", "Action": "ssm:*", "Resource": "*"}]}"#;

    #[tokio::test]
    async fn a_role_policy_is_checked_as_iam_checks_it() {
        let h = Harness::new().await;
        let ok = json!({"PolicyName": "NoSsm", "RoleName": "app-dev-R", "PolicyDocument": DENY});
        h.put(&RolePolicy, "P", &ok).await.unwrap();
        let cases = [
            (
                json!({"PolicyName": "P", "RoleName": "r",
                       "PolicyDocument": {"Statement": [{"Action": "ssm:*", "Resource": "*"}]}}),
                "PolicyDocument: MalformedPolicyDocument: Statement[0] has no Effect",
            ),
            (
                json!({"PolicyName": "P", "RoleName": "r", "PolicyDocument": "{\"Statement\": "}),
                "PolicyDocument: MalformedPolicyDocument: the policy document is not valid JSON",
            ),
            (
                json!({"PolicyName": "P", "RoleName": "r"}),
                "PolicyDocument: required",
            ),
            (
                json!({"PolicyName": "P", "RoleName": "../x", "PolicyDocument": DENY}),
                "RoleName: 1 validation error detected: Value '../x' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
            ),
            (
                json!({"PolicyName": "P", "PolicyDocument": DENY}),
                "RoleName: required",
            ),
            (
                json!({"PolicyName": "a b", "RoleName": "r", "PolicyDocument": DENY}),
                "PolicyName: 1 validation error detected: Value 'a b' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
            ),
            (
                json!({"PolicyName": "p".repeat(129), "RoleName": "r", "PolicyDocument": DENY}),
                "PolicyName: 1 validation error detected",
            ),
            (
                json!({"PolicyName": "", "RoleName": "r", "PolicyDocument": DENY}),
                "PolicyName: 1 validation error detected: Value '' at 'policyName' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ),
        ];
        for (props, expected) in cases {
            let e = h.put(&RolePolicy, "P", &props).await.unwrap_err();
            assert!(e.message.starts_with(expected), "{props}: {}", e.message);
            assert_eq!(e.kind, lockgate_engine::ErrorKind::InvalidProperty);
        }
        // IAM's characters, up to 128 of them.
        let long = json!({"PolicyName": format!("a+=,.@-_{}", "p".repeat(120)),
                          "RoleName": "r", "PolicyDocument": DENY});
        h.put(&RolePolicy, "P", &long).await.unwrap();
    }

    #[test]
    fn it_is_a_registered_type() {
        let registry = crate::resources::registry::standard();
        assert!(registry.is_emulated("AWS::IAM::RolePolicy"));
        assert_eq!(
            registry.get("AWS::IAM::RolePolicy").type_name(),
            RolePolicy::TYPE
        );
    }
}
