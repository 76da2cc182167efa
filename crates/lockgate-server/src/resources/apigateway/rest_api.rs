use async_trait::async_trait;
use lockgate_cloud::{ApiConfig, ApiKind, PayloadVersion};
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::{Value, json};

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object, random_id};

resource_type! {
    /// A REST API. Its OpenAPI (swagger) `Body` gives the routes: every
    /// operation with an `aws_proxy` integration of a function of the stage
    /// is served by the stage's gateway with API Gateway's proxy payload 1.0
    /// (other integration types are reported, not served); binary media
    /// types come from `BinaryMediaTypes` and the body's
    /// `x-amazon-apigateway-binary-media-types`. `Ref` is the API ID.
    pub struct RestApi = "AWS::ApiGateway::RestApi";
}

#[async_trait]
impl ResourceType for RestApi {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &[]
    }

    async fn put(
        &self,
        _cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        if let Some(body) = p.get("Body")
            && !body.is_object()
        {
            return Err(ProviderError::invalid(
                "Body: expected an OpenAPI (swagger) document as a mapping",
            ));
        }
        let api = current
            .map(|c| c.physical_id.clone())
            .unwrap_or_else(random_id);
        Ok(Physical {
            attributes: object(json!({
                "RootResourceId": current
                    .and_then(|c| c.attributes.get("RootResourceId").cloned())
                    .unwrap_or_else(|| Value::String(random_id())),
                "RestApiId": api,
            })),
            physical_id: api,
        })
    }

    fn realize_order(&self) -> u8 {
        50
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        if r.properties.get("Body").is_none() && r.properties.get("BodyS3Location").is_some() {
            stage.warn(format!(
                "API {}: its definition is in S3 (BodyS3Location), so it has no local routes",
                r.logical_id
            ));
        }
        let body = r.properties.get("Body").unwrap_or(&Value::Null);
        let mut warnings = Vec::new();
        let routes = lockgate_cloud::config::routes_from_body(
            r.logical_id,
            body,
            &|u| u.as_str().and_then(|u| stage.target_of(u)),
            &|v| PayloadVersion::for_api(ApiKind::Rest, v.and_then(Value::as_str)),
            &mut warnings,
        );
        for w in warnings {
            stage.warn(w);
        }
        let binary_media_types = [
            r.properties.get("BinaryMediaTypes"),
            body.get("x-amazon-apigateway-binary-media-types"),
        ]
        .into_iter()
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_str)
        // `~1` is how CloudFormation writes `/` in these media types.
        .map(|s| s.replace("~1", "/"))
        .collect();
        stage.add_api(
            r.physical_id,
            ApiConfig {
                name: r.logical_id.to_string(),
                kind: ApiKind::Rest,
                stage: "Prod".into(),
                stage_variables: Default::default(),
                routes,
                binary_media_types,
            },
        );
        // A REST API's URL has its stage in the path; none known yet.
        stage.add_rest_api(r.physical_id);
    }
}
