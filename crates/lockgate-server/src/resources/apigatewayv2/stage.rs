use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, random_id};

resource_type! {
    /// A stage of an HTTP API (`$default` or named): its name is
    /// `requestContext.stage`, its `StageVariables` the events'
    /// `stageVariables`. `Ref` is the stage name.
    pub struct Stage = "AWS::ApiGatewayV2::Stage";
}

#[async_trait]
impl ResourceType for Stage {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["ApiId", "StageName"]
    }

    async fn put(
        &self,
        _cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(n) = p.str("StageName") {
            crate::resources::names::check_stage_name(n, true)?;
        }
        Ok(Physical {
            physical_id: p.str("StageName").map(str::to_string).unwrap_or_else(|| {
                current
                    .map(|c| c.physical_id.clone())
                    .unwrap_or_else(random_id)
            }),
            attributes: Map::new(),
        })
    }

    fn realize_order(&self) -> u8 {
        60
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let Some(api) = r.str("ApiId") else { return };
        let variables =
            crate::resources::apigateway::stage_variables(r.properties.get("StageVariables"));
        stage.set_api_stage(api, r.physical_id, variables);
    }
}
