use async_trait::async_trait;
use lockgate_cloud::{ApiConfig, ApiKind, PayloadVersion};
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::{Value, json};

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object, random_id};

resource_type! {
    /// An HTTP API. Routes come from its OpenAPI `Body` and from its
    /// `AWS::ApiGatewayV2::Route` resources; each `aws_proxy` integration of
    /// a function of the stage is served with payload 2.0 (or 1.0 when the
    /// integration asks for it). WebSocket APIs are recorded, not served.
    /// `Ref` is the API ID, `Fn::GetAtt ApiEndpoint` its AWS URL (outputs
    /// show the stage's local URL instead).
    pub struct Api = "AWS::ApiGatewayV2::Api";
}

#[async_trait]
impl ResourceType for Api {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["ProtocolType"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(body) = p.get("Body")
            && !body.is_object()
        {
            return Err(ProviderError::invalid(
                "Body: expected an OpenAPI document as a mapping",
            ));
        }
        let api = current
            .map(|c| c.physical_id.clone())
            .unwrap_or_else(random_id);
        Ok(Physical {
            attributes: object(json!({
                "ApiId": api,
                "ApiEndpoint": format!("https://{api}.execute-api.{}.amazonaws.com", cx.stage.region),
            })),
            physical_id: api,
        })
    }

    fn realize_order(&self) -> u8 {
        50
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        if r.str("ProtocolType") == Some("WEBSOCKET") {
            stage.warn(format!(
                "{}: WebSocket APIs are not served locally",
                r.logical_id
            ));
            return;
        }
        let mut warnings = Vec::new();
        let routes = match r.properties.get("Body") {
            Some(body) => lockgate_cloud::config::routes_from_body(
                r.logical_id,
                body,
                &|u| u.as_str().and_then(|u| stage.target_of(u)),
                &|v| PayloadVersion::for_api(ApiKind::Http, v.and_then(Value::as_str)),
                &mut warnings,
            ),
            None => Vec::new(),
        };
        for w in warnings {
            stage.warn(w);
        }
        stage.add_api(
            r.physical_id,
            ApiConfig {
                name: r.logical_id.to_string(),
                kind: ApiKind::Http,
                stage: "$default".into(),
                stage_variables: Default::default(),
                routes,
                binary_media_types: Vec::new(),
            },
        );
        stage.add_http_api(r.physical_id);
    }
}
