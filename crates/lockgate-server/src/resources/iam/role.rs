use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::{Value, json};

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType, object, random_id};

resource_type! {
    /// An IAM role (a function's execution role). Recorded with its
    /// policies, which are enforced: a function with this role gets
    /// credentials of its own, and its calls to the local AWS APIs (SSM,
    /// CloudWatch, the CodeDeploy hook API) are allowed only as IAM would
    /// allow them (`lockgate deploy --permissions report` logs instead). A
    /// policy document may be JSON text; one IAM would refuse fails the
    /// resource (`MalformedPolicyDocument`). `Ref` is the role name,
    /// `Fn::GetAtt Arn` / `RoleId` its ARN and ID.
    pub struct Role = "AWS::IAM::Role";
}

#[async_trait]
impl ResourceType for Role {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["RoleName", "Path", "PermissionsBoundary"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        // IAM refuses a malformed policy when the role is put.
        super::check_trust_policy(p.get("AssumeRolePolicyDocument"))?;
        if let Some(policies) = p.get("Policies") {
            let Some(policies) = policies.as_array() else {
                return Err(ProviderError::invalid(
                    "Policies: expected a list of {PolicyName, PolicyDocument}",
                ));
            };
            for (i, policy) in policies.iter().enumerate() {
                super::check_policy_document(
                    &format!("Policies[{i}].PolicyDocument"),
                    policy.get("PolicyDocument"),
                )?;
            }
        }
        if let Some(n) = p.str("RoleName") {
            crate::resources::names::ROLE_NAME.check(n)?;
        }
        let name = p.str("RoleName").map(str::to_string).unwrap_or_else(|| {
            current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 64))
        });
        let path = p.str("Path").unwrap_or("/");
        Ok(Physical {
            attributes: object(json!({
                "Arn": format!("arn:aws:iam::{}:role{path}{name}", cx.stage.account),
                "RoleId": current
                    .and_then(|c| c.attributes.get("RoleId").cloned())
                    .unwrap_or_else(|| Value::String(format!("AROA{}", random_id().to_uppercase()))),
            })),
            physical_id: name,
        })
    }
}
