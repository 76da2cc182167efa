use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType};

resource_type! {
    /// An inline IAM policy attached to roles, users or groups. Recorded;
    /// enforced on the roles it names. A `PolicyDocument` IAM would refuse
    /// fails the resource (`MalformedPolicyDocument`). `Ref` is its
    /// physical ID.
    pub struct Policy = "AWS::IAM::Policy";
}

#[async_trait]
impl ResourceType for Policy {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &[]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        super::check_policy_document("PolicyDocument", p.get("PolicyDocument"))?;
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128)),
            attributes: Map::new(),
        })
    }
}
