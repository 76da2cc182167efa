use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType};

resource_type! {
    /// A CodeDeploy deployment group: how an alias's traffic shifts
    /// (`DeploymentConfigName`), which alarms stop it
    /// (`AlarmConfiguration`) and when it rolls back
    /// (`AutoRollbackConfiguration`). Read by the rollout of an alias whose
    /// update policy names it. `Ref` is its name.
    pub struct DeploymentGroup = "AWS::CodeDeploy::DeploymentGroup";
}

#[async_trait]
impl ResourceType for DeploymentGroup {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["ApplicationName", "DeploymentGroupName"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(n) = p.str("DeploymentGroupName") {
            crate::resources::names::DEPLOYMENT_GROUP_NAME.check(n)?;
        }
        Ok(Physical {
            physical_id: p
                .str("DeploymentGroupName")
                .map(str::to_string)
                .unwrap_or_else(|| {
                    current
                        .map(|c| c.physical_id.clone())
                        .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 100))
                }),
            attributes: Map::new(),
        })
    }
}
