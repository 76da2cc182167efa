use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::json;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType, object};

resource_type! {
    /// A customer-managed IAM policy. Recorded; enforced on the roles that
    /// attach it. A `PolicyDocument` IAM would refuse fails the resource
    /// (`MalformedPolicyDocument`). `Ref` is its ARN
    /// (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`), as on AWS.
    pub struct ManagedPolicy = "AWS::IAM::ManagedPolicy";
}

#[async_trait]
impl ResourceType for ManagedPolicy {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["ManagedPolicyName", "Path"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        super::check_policy_document("PolicyDocument", p.get("PolicyDocument"))?;
        if let Some(c) = current {
            return Ok(c.clone());
        }
        let name = p
            .str("ManagedPolicyName")
            .map(str::to_string)
            .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128));
        let path = p.str("Path").unwrap_or("/");
        let arn = format!("arn:aws:iam::{}:policy{path}{name}", cx.stage.account);
        Ok(Physical {
            attributes: object(json!({"PolicyArn": arn})),
            physical_id: arn,
        })
    }
}
