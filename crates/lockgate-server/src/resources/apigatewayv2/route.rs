use async_trait::async_trait;
use lockgate_cloud::{ApiKind, PayloadVersion};
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, random_id};

resource_type! {
    /// A route of an HTTP API: `RouteKey` (`GET /items/{id}`, `ANY /{proxy+}`,
    /// `$default`) and `Target` (`integrations/<id>`). Served by the stage's
    /// gateway when its integration invokes a function of the stage.
    /// `Ref` is the route ID.
    pub struct Route = "AWS::ApiGatewayV2::Route";
}

#[async_trait]
impl ResourceType for Route {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["ApiId"]
    }

    async fn put(
        &self,
        _cx: &Ctx<'_>,
        current: Option<&Physical>,
        _p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(random_id),
            attributes: Map::new(),
        })
    }

    fn realize_order(&self) -> u8 {
        60
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let (Some(api), Some(key)) = (r.str("ApiId"), r.str("RouteKey")) else {
            return;
        };
        let target = r.str("Target").unwrap_or("");
        let integration_id = target.strip_prefix("integrations/").unwrap_or(target);
        let Some(integration) = stage
            .of_type(super::Integration::TYPE)
            .find(|i| i.physical_id == integration_id)
        else {
            stage.warn(format!("{}: no integration `{target}`", r.logical_id));
            return;
        };
        let uri = integration.str("IntegrationUri").unwrap_or("");
        let Some(function) = stage.target_of(uri) else {
            stage.warn(format!(
                "{}: integration {uri} is not a function of this stage",
                r.logical_id
            ));
            return;
        };
        let payload =
            PayloadVersion::for_api(ApiKind::Http, integration.str("PayloadFormatVersion"));
        let (method, path) = match key.split_once(' ') {
            Some((m, p)) if m != "ANY" => (Some(m.to_ascii_uppercase()), p.to_string()),
            Some((_, p)) => (None, p.to_string()),
            None => (None, key.to_string()),
        };
        let route = lockgate_cloud::Route {
            method,
            path,
            function,
            payload,
        };
        match stage.api_mut(api) {
            Some(a) => a.routes.push(route),
            None => stage.warn(format!("{}: API {api} is not served", r.logical_id)),
        }
    }
}
