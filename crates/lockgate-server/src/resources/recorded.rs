//! Every type without a file of its own.

use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use serde_json::Map;

use super::{Ctx, Meta, Props, ResourceType};

/// Any resource type Lockgate does not emulate: it is kept in the stack's
/// state (so `Ref` and `Fn::GetAtt` answer and the stack stays whole) and
/// reported as "recorded but not emulated locally". Its replacement rules
/// are CloudFormation's, where known.
#[derive(Debug, Default, Clone, Copy)]
pub struct Recorded;

impl Meta for Recorded {
    fn type_name(&self) -> &'static str {
        "*"
    }

    fn doc(&self) -> &'static str {
        "Any other type: recorded in the stack's state, not emulated."
    }
}

#[async_trait]
impl ResourceType for Recorded {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &[]
    }

    fn emulated(&self) -> bool {
        false
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        _p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        Ok(Physical {
            physical_id: current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128)),
            attributes: Map::new(),
        })
    }
}
