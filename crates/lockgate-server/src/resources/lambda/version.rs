use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use lockgate_store::{Digest, FunctionName, NewFunctionVersion};
use serde_json::{Value, json};

use super::function_name_of;
use crate::resource_type;
use crate::resources::context::store_error;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object};

resource_type! {
    /// A published version of a function: a snapshot of the function's
    /// configuration and code digest, numbered 1, 2, … per function, that
    /// keeps running that code after the function changes. Immutable: any
    /// change publishes a new version. SAM's `AutoPublishAlias` makes one
    /// per code change (with `DeletionPolicy: Retain`, so old versions stay
    /// published). `Ref` is the qualified ARN, `Fn::GetAtt Version` the number.
    pub struct Version = "AWS::Lambda::Version";
}

#[async_trait]
impl ResourceType for Version {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["*"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        _current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let (function, _) = function_name_of(p.required_str("FunctionName")?);
        let config = cx.stage.function(&function).ok_or_else(|| {
            ProviderError::not_found(format!(
                "FunctionName: no function `{function}` in this stage"
            ))
        })?;
        let code = match config.get("Code") {
            Some(code) if code.get("ZipFile").is_none() => {
                cx.stage.code.fetch("Code", code).await?
            }
            other => Digest::of(serde_json::to_string(&other).unwrap_or_default().as_bytes()),
        };
        let fname = FunctionName::new(function.clone())
            .map_err(|e| ProviderError::invalid(format!("FunctionName: {e}")))?;
        let v = cx
            .stage
            .store
            .publish_version(
                &cx.stage.stage,
                NewFunctionVersion {
                    function: fname,
                    code,
                    config: Value::Object(config),
                    description: p.str("Description").map(str::to_string),
                },
            )
            .await
            .map_err(store_error)?;
        let arn = cx.stage.function_arn(&format!("{function}:{}", v.version));
        Ok(Physical {
            attributes: object(json!({"Version": v.version.to_string(), "FunctionArn": arn})),
            physical_id: arn,
        })
    }

    fn realize_order(&self) -> u8 {
        30
    }

    /// A published version runs the configuration it was published with.
    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let (name, Some(n)) = function_name_of(r.physical_id) else {
            return;
        };
        let Some(config) = n
            .parse::<u64>()
            .ok()
            .and_then(|v| stage.inputs().versions.get(&(name.clone(), v)))
            .cloned()
        else {
            return;
        };
        match super::function_config(r.logical_id, &name, &config, stage) {
            Ok(mut f) => {
                f.version = n;
                stage.add_function(f);
            }
            Err(w) => stage.warn(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::lambda::Function;
    use crate::resources::testing::Harness;

    #[tokio::test]
    async fn publishes_numbered_versions_of_a_function_of_the_stage() {
        let h = Harness::new().await;
        let code = h.code_dir("app.py", "x = 1");
        let f = json!({"Runtime": "python3.12", "Handler": "app.h", "Code": code});
        let name = h.put(&Function, "Fn", &f).await.unwrap().physical_id;
        let v1 = h
            .put(&Version, "V1", &json!({"FunctionName": name}))
            .await
            .unwrap();
        let v2 = h
            .put(&Version, "V2", &json!({"FunctionName": name}))
            .await
            .unwrap();
        assert_eq!(v1.attributes["Version"], "1");
        assert_eq!(v2.attributes["Version"], "2");
        assert!(v2.physical_id.ends_with(":app-dev-Fn:2"));
        let e = h
            .put(&Version, "V", &json!({"FunctionName": "missing"}))
            .await
            .unwrap_err();
        assert_eq!(
            e.message,
            "FunctionName: no function `missing` in this stage"
        );
        assert_eq!(e.kind, lockgate_engine::ErrorKind::NotFound);
    }

    #[test]
    fn versions_are_immutable() {
        assert_eq!(Version.replacing_properties(), ["*"]);
    }
}
