use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, random_id};

resource_type! {
    /// A stage of a REST API: its name is `requestContext.stage` and the
    /// last part of the API's URL, its `Variables` are the events'
    /// `stageVariables`. (A Lockgate stage serves all of a stack's APIs on
    /// its one URL.) `Ref` is the stage name.
    pub struct Stage = "AWS::ApiGateway::Stage";
}

#[async_trait]
impl ResourceType for Stage {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["RestApiId", "StageName"]
    }

    async fn put(
        &self,
        _cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(n) = p.str("StageName") {
            crate::resources::names::check_stage_name(n, false)?;
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
        let Some(api) = r.str("RestApiId") else {
            return;
        };
        let variables = super::stage_variables(r.properties.get("Variables"));
        if stage.set_api_stage(api, r.physical_id, variables) {
            stage.add_rest_stage(api, r.physical_id);
        }
    }
}
