use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use crate::resource_type;
use crate::resources::{Ctx, Props, ResourceType};

resource_type! {
    /// A resource-based permission on a function (who may invoke it, e.g.
    /// API Gateway or EventBridge). Its function must exist, as Lambda
    /// requires (a typo in `FunctionName` fails the deploy and rolls it
    /// back); recorded and shown otherwise: the local gateway and scheduler
    /// invoke a stage's own functions whatever it says. Immutable: any
    /// change replaces it. `Ref` is its physical ID.
    pub struct Permission = "AWS::Lambda::Permission";
}

#[async_trait]
impl ResourceType for Permission {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["*"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let (function, _) = super::function_name_of(p.required_str("FunctionName")?);
        if cx.stage.function(&function).is_none() {
            return Err(ProviderError::not_found(format!(
                "FunctionName: Function not found: {} (no function `{function}` in this stage)",
                cx.stage.function_arn(&function)
            )));
        }
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128)),
            attributes: Map::new(),
        })
    }
}
