//! Every type without a file of its own.

use super::{Ctx, Meta, Props, ResourceType, shapes};
use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;

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
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let ty = cx.step.resource_type;
        // The name its properties give (`TableName`, `QueueName`…), else ours.
        let kind = ty.rsplit("::").next().unwrap_or("");
        let name = p
            .str(&format!("{kind}Name"))
            .or_else(|| p.str("Name"))
            .map(str::to_string)
            .unwrap_or_else(|| cx.stage.physical_name(cx.id(), 128));
        let place = |name: &str| {
            let at = shapes::Place {
                name,
                region: &cx.stage.region,
                account: &cx.stage.account,
            };
            (shapes::physical_id(ty, &at), shapes::attributes(ty, &at))
        };
        Ok(match current {
            // An update keeps what it was (recorded before shapes: filled in).
            Some(c) if !c.attributes.is_empty() => c.clone(),
            Some(c) => Physical {
                physical_id: c.physical_id.clone(),
                attributes: place(&c.physical_id).1,
            },
            None => {
                let (physical_id, attributes) = place(&name);
                Physical {
                    physical_id,
                    attributes,
                }
            }
        })
    }
}
