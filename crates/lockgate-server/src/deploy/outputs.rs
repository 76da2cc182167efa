//! Phase 6, outputs: a stack's outputs once its resources exist, secrets
//! masked, and as clients see them (API URLs pointing at the stage).

use std::collections::HashMap;

use lockgate_engine::apply::Physical;
use lockgate_store::{ExportName, Output, StageRef};
use serde_json::Value;

use super::error::{DeployError, diag_error};
use super::resolve::Evaluator;
use super::{Deployer, OutputView};

impl Deployer {
    /// The template's outputs with every resource in `known`.
    pub(crate) fn outputs(
        &self,
        eval: &Evaluator<'_>,
        secrets: &[String],
        known: &HashMap<String, Physical>,
    ) -> Result<Vec<Output>, DeployError> {
        let view = eval.view(known).map_err(diag_error)?;
        let derived_from_secrets = eval.loaded().secret_outputs();
        let mut out = Vec::new();
        for (key, o) in view
            .get("Outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let value = match o.get("Value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(","),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let value = if derived_from_secrets.contains(key) {
                "****".to_string()
            } else {
                lockgate_engine::changeset::redact(&Value::String(value), secrets)
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            let export = match o.pointer("/Export/Name").and_then(Value::as_str) {
                Some(n) => Some(ExportName::new(n).map_err(|e| {
                    DeployError::invalid(format!("Outputs.{key}.Export.Name: {e}"))
                })?),
                None => None,
            };
            out.push(Output {
                key: key.clone(),
                value,
                description: o
                    .get("Description")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                export_name: export,
            });
        }
        Ok(out)
    }

    /// Outputs with API Gateway URLs pointing at the stage's local gateway.
    pub async fn outputs_view(&self, stage: &StageRef, outputs: &[Output]) -> Vec<OutputView> {
        let mut out = Vec::with_capacity(outputs.len());
        for o in outputs {
            out.push(OutputView {
                key: o.key.clone(),
                value: self.stages.local_urls(stage, &o.value).await,
                description: o.description.clone(),
                export: o.export_name.as_ref().map(|e| e.to_string()),
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::deploy::testing::{fixture, stack};

    #[tokio::test]
    async fn outputs_resolve_refs_and_never_show_a_secret() {
        let f = fixture().await;
        let t = "Parameters:\n  Pw:\n    Type: String\n    NoEcho: true\n    Default: hunter2secret\nResources:\n  P:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/o\n      Type: String\n      Value: v\nOutputs:\n  Name:\n    Value: !Ref P\n    Export:\n      Name: the-name\n  Leak:\n    Value: !Sub 'pw=${Pw}'\n";
        f.deploy(t).await.unwrap();
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        let get = |k: &str| snap.outputs.iter().find(|o| o.key == k).unwrap().clone();
        assert_eq!(get("Name").value, "/dev/o");
        assert_eq!(get("Name").export_name.unwrap().as_str(), "the-name");
        assert_eq!(get("Leak").value, "****");
    }

    /// A NoEcho value never reaches the database in clear (resource
    /// properties are sealed at rest), and an output derived from it is
    /// masked whole, however a function turned it.
    #[tokio::test]
    async fn no_echo_values_are_sealed_at_rest_and_masked_when_derived() {
        let f = fixture().await;
        let t = r#"
Parameters:
  Pw:
    Type: String
    NoEcho: true
    Default: hunter2secret
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: pw
          Value: !Ref Pw
Outputs:
  B64:
    Value: !Base64 {Ref: Pw}
  Joined:
    Value: !Join ["-", ["a", !Ref Pw]]
  Picked:
    Value: !Select [1, !Split ["t", !Ref Pw]]
  Through:
    Value: !Sub "${Q.Arn}"
  Shown:
    Value: !Sub "plain-${AWS::Region}"
"#;
        f.deploy(t).await.unwrap();
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        let get = |k: &str| {
            snap.outputs
                .iter()
                .find(|o| o.key == k)
                .unwrap()
                .value
                .clone()
        };
        for k in ["B64", "Joined", "Picked", "Through"] {
            assert_eq!(get(k), "****", "{k}");
        }
        assert_eq!(get("Shown"), "plain-us-east-1");
        // The store reads the sealed properties back.
        let q = snap.resources.iter().find(|r| r.logical_id == "Q").unwrap();
        assert_eq!(q.properties["Tags"][0]["Value"], "hunter2secret");
        // No file of the data directory holds the value in clear.
        for entry in std::fs::read_dir(f._dir.path()).unwrap().flatten() {
            if entry.path().is_file() {
                let bytes = std::fs::read(entry.path()).unwrap();
                assert!(
                    !bytes.windows(13).any(|w| w == b"hunter2secret"),
                    "{} holds the NoEcho value in clear",
                    entry.path().display()
                );
            }
        }
    }

    /// Recorded types answer `Ref` and `Fn::GetAtt` in AWS's shapes, so
    /// expressions that take an ARN apart work as on AWS.
    #[tokio::test]
    async fn recorded_types_have_aws_shaped_refs_and_attributes() {
        let f = fixture().await;
        let t = r#"
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
  Queue:
    Type: AWS::SQS::Queue
  Bucket:
    Type: AWS::S3::Bucket
Outputs:
  Region:
    Value: !Select [3, !Split [":", !GetAtt Table.StreamArn]]
  TableArn:
    Value: !GetAtt Table.Arn
  QueueUrl:
    Value: !Ref Queue
  Domain:
    Value: !GetAtt Bucket.DomainName
"#;
        f.deploy(t).await.unwrap();
        let snap = f.store.stack_snapshot(&stack()).await.unwrap().unwrap();
        let get = |k: &str| {
            snap.outputs
                .iter()
                .find(|o| o.key == k)
                .unwrap()
                .value
                .clone()
        };
        assert_eq!(get("Region"), "us-east-1");
        assert_eq!(
            get("TableArn"),
            "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
        );
        assert!(
            get("QueueUrl").starts_with("https://sqs.us-east-1.amazonaws.com/123456789012/"),
            "{}",
            get("QueueUrl")
        );
        assert!(
            get("Domain").ends_with(".s3.amazonaws.com"),
            "{}",
            get("Domain")
        );
    }
}
