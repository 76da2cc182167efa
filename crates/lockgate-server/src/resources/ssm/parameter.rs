use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use lockgate_store::{NewParameterValue, ParameterName, PutParameter};
use serde_json::json;

use crate::resource_type;
use crate::resources::context::store_error;
use crate::resources::{Ctx, Props, ResourceType, object, random_id};

resource_type! {
    /// An SSM parameter (`String` or `StringList`; CloudFormation cannot
    /// create a `SecureString`), written to the server's parameter store, so
    /// functions read it through the SSM API and other templates through
    /// `{{resolve:ssm:…}}`. `Ref` is the name; `Fn::GetAtt Type` / `Value`.
    pub struct Parameter = "AWS::SSM::Parameter";
}

#[async_trait]
impl ResourceType for Parameter {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["Name"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let name = p.str("Name").map(str::to_string).unwrap_or_else(|| {
            current
                .map(|c| c.physical_id.clone())
                .unwrap_or_else(|| format!("CFN-{}-{}", cx.id(), random_id()))
        });
        let ty = p.str("Type").unwrap_or("String");
        let text = p
            .text("Value")
            .ok_or_else(|| ProviderError::invalid("Value: required, a string"))?;
        let value = match ty {
            "String" => NewParameterValue::String(text.clone()),
            "StringList" => {
                NewParameterValue::StringList(text.split(',').map(str::to_string).collect())
            }
            other => {
                return Err(ProviderError::invalid(format!(
                    "Type: expected String or StringList (CloudFormation cannot create `{other}`)"
                )));
            }
        };
        let pname = ParameterName::new(name.clone())
            .map_err(|e| ProviderError::invalid(format!("Name: {e}")))?;
        cx.stage
            .store
            .put_parameter(PutParameter {
                name: pname,
                value,
                description: p.str("Description").map(str::to_string),
                overwrite: current.is_some(),
                actor: cx.stage.actor.clone(),
            })
            .await
            .map_err(store_error)?;
        Ok(Physical {
            attributes: object(json!({"Type": ty, "Value": text})),
            physical_id: name,
        })
    }

    async fn delete(
        &self,
        cx: &Ctx<'_>,
        current: &Physical,
        _p: &Props<'_>,
    ) -> Result<(), ProviderError> {
        let Ok(name) = ParameterName::new(current.physical_id.clone()) else {
            // A name the store refuses was never written.
            return Ok(());
        };
        cx.stage
            .store
            .delete_parameter(&cx.stage.actor, &name)
            .await
            .map(drop)
            .map_err(store_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::Harness;

    #[tokio::test]
    async fn writes_and_deletes_the_parameter() {
        let h = Harness::new().await;
        let p = h
            .put(
                &Parameter,
                "P",
                &json!({"Name": "/dev/color", "Type": "String", "Value": "blue"}),
            )
            .await
            .unwrap();
        let name = ParameterName::new("/dev/color").unwrap();
        assert!(
            h.ctx
                .store
                .get_parameter(&name, None)
                .await
                .unwrap()
                .is_some()
        );
        assert_eq!(p.attributes["Value"], "blue");
        let e = h
            .put(
                &Parameter,
                "S",
                &json!({"Name": "/dev/s", "Type": "SecureString", "Value": "x"}),
            )
            .await
            .unwrap_err();
        assert!(e.message.contains("cannot create `SecureString`"));
        h.delete(&Parameter, "P", &p, &json!({})).await.unwrap();
        assert!(
            h.ctx
                .store
                .get_parameter(&name, None)
                .await
                .unwrap()
                .is_none()
        );
    }
}
