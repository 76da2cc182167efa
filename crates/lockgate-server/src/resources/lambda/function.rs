use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use lockgate_store::FunctionName;
use serde_json::json;

use crate::resource_type;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder, object};

resource_type! {
    /// A Lambda function. Its code (a directory uploaded by the CLI) is
    /// unpacked once per digest; the function runs as child processes that
    /// speak the Lambda Runtime API, with its runtime, handler, timeout,
    /// memory size, reserved concurrency, environment and layers. Container
    /// images (`PackageType: Image`) are refused: no container runtime here.
    /// A Lambda runtime this machine cannot run (`dotnet8`; `java21`
    /// without a JDK) deploys with a warning, and invoking the function answers
    /// `Runtime.Unavailable` saying so; a runtime Lambda does not know is
    /// refused as Lambda refuses it. `Ref` is the function name,
    /// `Fn::GetAtt Arn` its ARN.
    pub struct Function = "AWS::Lambda::Function";
}

/// Lambda's longest function name.
const MAX_NAME: usize = 64;

#[async_trait]
impl ResourceType for Function {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["FunctionName", "PackageType"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        _current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let runtime = p.str("Runtime").unwrap_or("");
        if p.str("PackageType") == Some("Image") {
            return Err(ProviderError::unsupported(
                "PackageType Image: container images cannot run locally without Docker; use a \
                 zip runtime (python3.x, nodejsNN.x, provided.al2023)",
            ));
        }
        // A runtime Lambda knows deploys even when this machine cannot run
        // it (its invocations then answer Runtime.Unavailable); one Lambda
        // does not know is refused as Lambda refuses it.
        if lockgate_cloud::Runtime::from_identifier(runtime).is_none() {
            return Err(ProviderError::invalid(format!(
                "1 validation error detected: Value '{runtime}' at 'runtime' failed to satisfy \
                 constraint: Member must satisfy enum value set: [{}]",
                lockgate_cloud::config::LAMBDA_RUNTIMES.join(", ")
            )));
        }
        if p.str("Handler").is_none() && !runtime.starts_with("provided") {
            return Err(ProviderError::invalid("Handler: required for this runtime"));
        }
        match p.get("Code") {
            Some(code) if code.get("ZipFile").is_some() => {}
            Some(code) => {
                cx.stage.code.fetch("Code", code).await?;
            }
            None => {
                return Err(ProviderError::invalid(
                    "Code: expected S3Bucket/S3Key or ZipFile",
                ));
            }
        }
        let name = match p.str("FunctionName") {
            Some(n) => {
                if n.len() > MAX_NAME || FunctionName::new(n).is_err() {
                    return Err(ProviderError::invalid(format!(
                        "FunctionName: `{n}` is not a valid function name: expected 1 to \
                         {MAX_NAME} letters, digits, hyphens or underscores"
                    )));
                }
                n.to_string()
            }
            None => cx.stage.physical_name(cx.id(), MAX_NAME),
        };
        cx.stage.set_function(&name, Some(p.map().clone()));
        Ok(Physical {
            attributes: object(json!({"Arn": cx.stage.function_arn(&name)})),
            physical_id: name,
        })
    }

    async fn delete(
        &self,
        cx: &Ctx<'_>,
        current: &Physical,
        _props: &Props<'_>,
    ) -> Result<(), ProviderError> {
        cx.stage.set_function(&current.physical_id, None);
        Ok(())
    }

    fn realize_order(&self) -> u8 {
        20
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        match super::function_config(r.logical_id, r.physical_id, r.properties, stage) {
            Ok(f) => {
                if let lockgate_cloud::Runtime::Unavailable { name, reason } = &f.runtime {
                    stage.warn(format!(
                        "{}: runtime {name} cannot run on this machine ({reason}): it is \
                         deployed, and invoking it answers Runtime.Unavailable",
                        r.logical_id
                    ));
                }
                stage.add_function(f)
            }
            Err(w) => stage.warn(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::testing::Harness;

    #[tokio::test]
    async fn names_code_and_validation() {
        let h = Harness::new().await;
        let code = h.code_dir("app.py", "def handler(e, c): return 1");
        let ok = json!({"Runtime": "python3.12", "Handler": "app.handler", "Code": code});
        let p = h.put(&Function, "Hello", &ok).await.unwrap();
        assert_eq!(p.physical_id, "app-dev-Hello");
        assert_eq!(
            p.attributes["Arn"],
            "arn:aws:lambda:us-east-1:123456789012:function:app-dev-Hello"
        );
        assert!(h.ctx.function("app-dev-Hello").is_some());

        let named =
            json!({"Runtime": "provided.al2023", "Code": code, "FunctionName": "../../tmp/x"});
        let e = h.put(&Function, "Bad", &named).await.unwrap_err();
        assert!(
            e.message
                .starts_with("FunctionName: `../../tmp/x` is not a valid function name"),
            "{e}"
        );
        let image = json!({"PackageType": "Image", "Runtime": "python3.12"});
        assert!(
            h.put(&Function, "I", &image)
                .await
                .unwrap_err()
                .message
                .contains("Docker")
        );
        // A Lambda runtime this machine cannot run deploys; an unknown one
        // is refused as Lambda refuses it.
        let dotnet = json!({"Runtime": "dotnet8", "Handler": "x", "Code": code});
        assert!(h.put(&Function, "D", &dotnet).await.is_ok());
        let unknown = json!({"Runtime": "cobol85", "Handler": "x", "Code": code});
        assert!(
            h.put(&Function, "U", &unknown)
                .await
                .unwrap_err()
                .message
                .contains("Value 'cobol85' at 'runtime' failed to satisfy constraint")
        );
        let no_handler = json!({"Runtime": "python3.12", "Code": code});
        assert_eq!(
            h.put(&Function, "N", &no_handler)
                .await
                .unwrap_err()
                .message,
            "Handler: required for this runtime"
        );
        let remote = json!({"Runtime": "python3.12", "Handler": "a.b",
                            "Code": {"S3Bucket": "my-bucket", "S3Key": "code.zip"}});
        assert!(
            h.put(&Function, "R", &remote)
                .await
                .unwrap_err()
                .message
                .contains("cannot be fetched locally")
        );
    }

    #[test]
    fn a_rename_replaces() {
        assert!(Function.replacing_properties().contains(&"FunctionName"));
        assert!(!Function.replacing_properties().contains(&"Code"));
    }
}
