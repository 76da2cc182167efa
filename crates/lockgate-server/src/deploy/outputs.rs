//! Phase 6, outputs: a stack's outputs once its resources exist, those
//! derived from a NoEcho parameter masked whole (their exports keep the
//! real value, sealed at rest), and as clients see them (API URLs pointing
//! at the stage).

use std::collections::{HashMap, HashSet};

use lockgate_engine::apply::Physical;
use lockgate_engine::changeset::REDACTED;
use lockgate_store::{ExportName, Output, StageRef};
use serde_json::Value;

use super::error::{DeployError, diag_error};
use super::resolve::Evaluator;
use super::{Deployer, OutputView};

impl Deployer {
    /// The template's outputs with every resource in `known`: each derived
    /// from a NoEcho parameter (`derived_from_secrets`, by
    /// [`Provenance::outputs`]) is `****`, whatever its text, and when
    /// exported keeps its real value for `Fn::ImportValue`; every other is
    /// shown exactly, whatever the secrets' texts.
    ///
    /// [`Provenance::outputs`]: super::provenance::Provenance::outputs
    pub(crate) fn outputs(
        &self,
        eval: &Evaluator<'_>,
        derived_from_secrets: &HashSet<String>,
        known: &HashMap<String, Physical>,
    ) -> Result<Vec<Output>, DeployError> {
        let view = eval.view(known).map_err(diag_error)?;
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
            let export = match o.pointer("/Export/Name").and_then(Value::as_str) {
                Some(n) => Some(ExportName::new(n).map_err(|e| {
                    DeployError::invalid(format!("Outputs.{key}.Export.Name: {e}"))
                })?),
                None => None,
            };
            let (value, export_value) = if derived_from_secrets.contains(key) {
                let real = export.is_some().then_some(value);
                (REDACTED.to_string(), real)
            } else {
                (value, None)
            };
            out.push(Output {
                key: key.clone(),
                value,
                export_value,
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
    use std::collections::BTreeMap;

    use crate::deploy::testing::{Fixture, fixture, request, stack};

    /// The value of each output of the stack `name`, by key.
    async fn outputs_of(f: &Fixture, name: &str) -> BTreeMap<String, String> {
        let stack = lockgate_store::StackRef::parse("app", "dev", name).unwrap();
        let snap = f.store.stack_snapshot(&stack).await.unwrap().unwrap();
        snap.outputs.into_iter().map(|o| (o.key, o.value)).collect()
    }

    fn base64(s: &str) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    /// A one-character NoEcho value masks what derives from it, and nothing
    /// else: not the region, an ARN or another parameter that happen to
    /// contain (or be) its text. An overridden NoEcho default is no secret
    /// any more; the value given is.
    #[tokio::test]
    async fn a_short_no_echo_value_masks_only_what_derives_from_it() {
        let f = fixture().await;
        let t = r#"
Parameters:
  Short:
    Type: String
    NoEcho: true
    Default: "1"
  Given:
    Type: String
    NoEcho: true
    Default: "e"
  Plain:
    Type: String
    Default: "1"
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: orders
Outputs:
  Region:
    Value: !Ref AWS::Region
    Export:
      Name: region
  Arn:
    Value: !GetAtt Q.Arn
  PlainRef:
    Value: !Ref Plain
  Direct:
    Value: !Ref Short
  Sub:
    Value: !Sub "${AWS::Region}-${Short}"
    Export:
      Name: short-sub
  FromGiven:
    Value: !Sub "x-${Given}"
"#;
        let mut req = request(t);
        req.parameters.insert("Given".into(), "given-secret".into());
        let r = f.deploy_request(&req).await.unwrap();
        let shown: BTreeMap<String, String> =
            r.outputs.into_iter().map(|o| (o.key, o.value)).collect();
        let expected: BTreeMap<String, String> = [
            ("Region", "us-east-1"),
            ("Arn", "arn:aws:sqs:us-east-1:123456789012:orders"),
            ("PlainRef", "1"),
            ("Direct", "****"),
            ("Sub", "****"),
            ("FromGiven", "****"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(shown, expected);
        assert_eq!(outputs_of(&f, "app").await, expected);
        // Exports give the real values.
        let exports: BTreeMap<String, String> = f
            .store
            .list_exports(&stack().stage_ref())
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.name.to_string(), e.value))
            .collect();
        assert_eq!(exports["region"], "us-east-1");
        assert_eq!(exports["short-sub"], "us-east-1-1");
    }

    /// However intrinsics carry a NoEcho value into an output, the output
    /// is masked whole; where they do not (a branch not taken, a variable
    /// map that shadows the parameter, `${!Literal}`), it is shown.
    #[tokio::test]
    async fn outputs_are_masked_by_provenance_through_every_intrinsic() {
        let f = fixture().await;
        let t = r#"
Parameters:
  Pw:
    Type: String
    NoEcho: true
    Default: hunter2secret
  Stage:
    Type: String
    Default: dev
Conditions:
  IsDev: !Equals [!Ref Stage, dev]
  PwIsKnown: !Equals [!Ref Pw, hunter2secret]
  PwAndDev: !And [!Condition IsDev, !Condition PwIsKnown]
Resources:
  Named:
    Type: AWS::SSM::Parameter
    Properties:
      Name: !Sub "/dev/${Pw}"
      Type: String
      Value: v
  Tagged:
    Type: AWS::SQS::Queue
    Properties:
      Tags:
        - Key: pw
          Value: !Base64 {Ref: Pw}
Outputs:
  B64:
    Value: !Base64 {Ref: Pw}
  Joined:
    Value: !Join ["-", ["a", !Ref Pw]]
  Picked:
    Value: !Select [1, !Split ["t", !Ref Pw]]
  SubMap:
    Value: !Sub ["v=${V}", {V: !Base64 {Ref: Pw}}]
  Nested:
    Value: !Join ["", [!Select [0, !Split ["2", !Base64 {"Fn::Sub": "${Pw}"}]]]]
  TakenBranch:
    Value: !If [IsDev, !Ref Pw, plain]
  OtherBranch:
    Value: !If [IsDev, plain, !Ref Pw]
  OnSecretCondition:
    Value: !If [PwAndDev, "yes", "no"]
  Shadowed:
    Value: !Sub ["${Pw}", {Pw: shadow}]
  Literal:
    Value: !Sub "${!Pw} stays"
  NamedRef:
    Value: !Ref Named
  NamedAttr:
    Value: !GetAtt Named.Value
  TaggedAttr:
    Value: !GetAtt Tagged.Arn
  TaggedRef:
    Value: !Ref Tagged
  Region:
    Value: !Sub "plain-${AWS::Region}"
"#;
        f.deploy(t).await.unwrap();
        let got = outputs_of(&f, "app").await;
        for k in [
            "B64",
            "Joined",
            "Picked",
            "SubMap",
            "Nested",
            "TakenBranch",
            "OnSecretCondition",
            // Named by the secret: its physical ID is derived from it.
            "NamedRef",
            // Attributes of a resource built from the secret.
            "NamedAttr",
            "TaggedAttr",
        ] {
            assert_eq!(got[k], "****", "{k}: {got:?}");
        }
        assert_eq!(got["OtherBranch"], "plain");
        assert_eq!(got["Shadowed"], "shadow");
        assert_eq!(got["Literal"], "${Pw} stays");
        assert_eq!(got["Region"], "plain-us-east-1");
        // A tag does not name the queue: its URL is shown.
        assert!(
            got["TaggedRef"].starts_with("https://sqs.us-east-1.amazonaws.com/"),
            "{got:?}"
        );
    }

    /// An export derived from a NoEcho value gives the importing stack the
    /// real value (the exporter shows it masked), also after a rollback of
    /// the exporter puts its outputs back; what the importer derives from
    /// it is masked in turn.
    #[tokio::test]
    async fn a_secret_export_gives_importers_the_real_value() {
        let f = fixture().await;
        let exporter = r#"
Parameters:
  Pw:
    Type: String
    NoEcho: true
    Default: hunter2secret
Resources:
  P:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /dev/exporter
      Type: String
      Value: v
Outputs:
  Token:
    Value: !Base64 {Ref: Pw}
    Export:
      Name: token
  Plain:
    Value: plain
    Export:
      Name: plain-export
"#;
        f.deploy(exporter).await.unwrap();
        assert_eq!(outputs_of(&f, "app").await["Token"], "****");
        let importer = r#"
Resources:
  I:
    Type: AWS::SSM::Parameter
    Properties:
      Name: /dev/imported
      Type: String
      Value: !ImportValue token
Outputs:
  Imported:
    Value: !ImportValue token
  Joined:
    Value: !Join ["", ["x", !ImportValue token]]
  PlainImported:
    Value: !ImportValue plain-export
"#;
        let mut req = request(importer);
        req.stack = Some("other".into());
        f.deploy_request(&req).await.unwrap();
        assert_eq!(
            f.parameter("/dev/imported").await.as_deref(),
            Some(base64("hunter2secret").as_str())
        );
        let other = outputs_of(&f, "other").await;
        assert_eq!(other["Imported"], "****");
        assert_eq!(other["Joined"], "****");
        assert_eq!(other["PlainImported"], "plain");

        // A failed update of the exporter rolls back: its exports are put
        // back from the previous state with their real values.
        let broken = exporter.replace(
            "Outputs:",
            "  Bad:\n    Type: AWS::SSM::Parameter\n    Properties:\n      Name: /dev/bad\n      Type: SecureString\n      Value: x\nOutputs:",
        );
        f.deploy(&broken).await.unwrap_err();
        let exports = f.store.list_exports(&stack().stage_ref()).await.unwrap();
        let token = exports.iter().find(|e| e.name.as_str() == "token").unwrap();
        assert_eq!(token.value, base64("hunter2secret"));
        // And another stack deploying now still imports the real value.
        let again = importer.replace("/dev/imported", "/dev/imported-again");
        let mut req = request(&again);
        req.stack = Some("third".into());
        f.deploy_request(&req).await.unwrap();
        assert_eq!(
            f.parameter("/dev/imported-again").await.as_deref(),
            Some(base64("hunter2secret").as_str())
        );
    }

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
