use serde_json::json;

use super::*;
use crate::eval::DynamicRef;

fn opts(overrides: &[&str]) -> LoadOptions {
    LoadOptions {
        overrides: Overrides::parse_args(overrides).unwrap(),
        ..LoadOptions::default()
    }
}

fn ok(text: &str, overrides: &[&str]) -> LoadedTemplate {
    match load("template.yaml", text, &opts(overrides)) {
        Ok(t) => t,
        Err(d) => panic!("{}", d.render_plain(100)),
    }
}

fn fail(text: &str, overrides: &[&str]) -> Diagnostics {
    load("template.yaml", text, &opts(overrides)).expect_err("fails")
}

fn codes(d: &Diagnostics) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Env:
    Type: String
    AllowedValues: [dev, prod]
    Default: dev
  Password:
    Type: String
    NoEcho: true
    Default: s3cr3tpw
  Subnets:
    Type: CommaDelimitedList
    Default: "a,b"
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Condition: IsProd
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "${AWS::StackName}-${Env}-q"
      Tags:
        - Key: pw
          Value: !Ref Password
        - !If [IsProd, {Key: table, Value: !Ref Table}, !Ref AWS::NoValue]
      Memory: !FindInMap [Sizes, !Ref Env, Memory]
      First: !Select [0, !Ref Subnets]
  Consumer:
    Type: AWS::Lambda::Function
    DependsOn: [Queue, Table]
    Properties:
      Arn: !GetAtt Queue.Arn
Outputs:
  TableName:
    Condition: IsProd
    Value: !Ref Table
  QueueUrl:
    Value: !Ref Queue
    Export:
      Name: !Sub "${Env}-queue"
"#;

#[test]
fn loads_and_plans() {
    let t = ok(TEMPLATE, &[]);
    assert!(!t.transformed);
    assert_eq!(t.conditions["IsProd"], Some(false));
    assert_eq!(
        t.graph.levels(),
        vec![vec!["Table"], vec!["Queue"], vec!["Consumer"]]
    );
    let planned = t.evaluate(&Unresolved, &Unresolved).unwrap();
    assert_eq!(
        planned["Resources"],
        json!({
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {
                "QueueName": {"Fn::Sub": "${AWS::StackName}-dev-q"},
                "Tags": [{"Key": "pw", "Value": "s3cr3tpw"}],
                "Memory": 128,
                "First": "a",
            }},
            "Consumer": {"Type": "AWS::Lambda::Function", "DependsOn": ["Queue"], "Properties": {"Arn": {"Fn::GetAtt": ["Queue", "Arn"]}}},
        })
    );
    assert_eq!(
        planned["Outputs"],
        json!({"QueueUrl": {"Value": {"Ref": "Queue"}, "Export": {"Name": "dev-queue"}}})
    );
    assert_eq!(t.secrets(), ["s3cr3tpw"]);
    let redacted = t.redact(planned);
    assert!(!redacted.to_string().contains("s3cr3tpw"));
}

struct Deployed;
impl Resolver for Deployed {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        Some(json!(format!("phys-{id}")))
    }
    fn get_att(&self, id: &str, attr: &str) -> Option<Value> {
        Some(json!(format!("arn:{id}:{attr}")))
    }
}
impl DynamicResolver for Deployed {
    fn resolve(&self, _: &DynamicRef) -> Result<Option<String>, String> {
        Ok(None)
    }
}

#[test]
fn deploys_with_overrides_and_resolver() {
    let mut o = opts(&["Env=prod"]);
    o.pseudo.stack_name = Some("app".into());
    o.require_parameter_values = true;
    let t = load("template.yaml", TEMPLATE, &o).unwrap();
    let v = t.evaluate(&Deployed, &Deployed).unwrap();
    let q = &v["Resources"]["Queue"]["Properties"];
    assert_eq!(q["QueueName"], json!("app-prod-q"));
    assert_eq!(q["Tags"][1], json!({"Key": "table", "Value": "phys-Table"}));
    assert_eq!(q["Memory"], json!(1024));
    assert_eq!(
        v["Resources"]["Consumer"]["Properties"]["Arn"],
        json!("arn:Queue:Arn")
    );
    assert_eq!(v["Outputs"]["TableName"]["Value"], json!("phys-Table"));
}

#[test]
fn parameter_value_errors() {
    let d = fail(TEMPLATE, &["Env=qa", "Nope=1"]);
    assert_eq!(codes(&d), ["invalid-parameter-value"]);
    let e = &d.0[0];
    assert_eq!(
        e.message,
        "parameter `Env` has a value `qa` that is not allowed"
    );
    assert_eq!(e.help.as_deref(), Some("expected one of: dev, prod"));
    assert_eq!(e.span.map(|s| s.line), Some(3));
}

#[test]
fn unknown_override_is_a_warning() {
    let t = ok(TEMPLATE, &["Nope=1"]);
    assert_eq!(codes(&t.warnings), ["unknown-parameter"]);
    assert_eq!(t.warnings.0[0].severity, crate::Severity::Warning);
}

#[test]
fn missing_required_parameter() {
    let text =
        "Parameters:\n  Name:\n    Type: String\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n";
    ok(text, &[]);
    let mut o = opts(&[]);
    o.require_parameter_values = true;
    let d = load("template.yaml", text, &o).err().unwrap();
    assert_eq!(codes(&d), ["missing-parameter-value"]);
    assert_eq!(
        d.0[0].help.as_deref(),
        Some("give it with --parameter-overrides Name=VALUE, or add a Default")
    );
}

#[test]
fn no_echo_never_printed_in_errors() {
    let text = "Parameters:\n  Pw:\n    Type: String\n    NoEcho: true\n    MinLength: 12\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n";
    let d = fail(text, &["Pw=hunter2"]);
    let rendered = d.render_plain(100) + &d.to_json().to_string();
    assert!(!rendered.contains("hunter2"), "{rendered}");
}

#[test]
fn reference_errors_point_at_their_place() {
    let text = "Resources:\n  A:\n    Type: AWS::SQS::Queue\n    DependsOn: Ghost\n    Properties:\n      X: !Ref Nope\n";
    let d = fail(text, &[]);
    assert_eq!(codes(&d), ["unknown-dependency", "unknown-reference"]);
    let spans: Vec<(u32, u32)> = d
        .iter()
        .map(|d| (d.span.unwrap().line, d.span.unwrap().column))
        .collect();
    assert_eq!(spans, [(4, 16), (6, 15)]);
}

#[test]
fn condition_errors() {
    let text = "Conditions:\n  A: !Not [!Condition B]\n  B: !Not [!Condition A]\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n";
    assert_eq!(codes(&fail(text, &[])), ["condition-cycle"]);
}

#[test]
fn cycle_errors() {
    let text = "Resources:\n  A:\n    Type: X::Y::Z\n    Properties: {P: !Ref B}\n  B:\n    Type: X::Y::Z\n    Properties: {P: !GetAtt A.Arn}\n";
    let d = fail(text, &[]);
    assert_eq!(
        d.0[0].message,
        "circular dependency between resources: `A`, `B`"
    );
}

#[test]
fn all_structure_errors_at_once() {
    let text = "Foo: 1\nResources:\n  A:\n    Typo: X\n  B:\n    Type: AWS::SQS::Queue\n    Properties: {P: !If [Missing, 1, 2]}\n";
    assert_eq!(
        codes(&fail(text, &[])),
        ["unknown-section", "missing-type", "unknown-condition"]
    );
}

#[test]
fn unknown_resource_attributes_are_warnings() {
    let text = "Resources:
  A:
    Type: AWS::SQS::Queue
    Description: a queue
    Dependson: B
  B:
    Type: AWS::SQS::Queue
";
    let t = ok(text, &[]);
    assert_eq!(codes(&t.warnings), ["unknown-attribute"]);
    assert_eq!(
        t.warnings.0[0]
            .help
            .as_deref()
            .map(|h| h.starts_with("did you mean `DependsOn`?")),
        Some(true)
    );
}

#[test]
fn syntax_error_is_a_diagnostic() {
    let d = fail("Resources:\n  A: [\n", &[]);
    assert_eq!(codes(&d), ["syntax"]);
}

#[test]
fn wants_sam() {
    assert!(wants_sam_transform(
        &json!({"Transform": "AWS::Serverless-2016-10-31"})
    ));
    assert!(wants_sam_transform(
        &json!({"Transform": ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]})
    ));
    assert!(!wants_sam_transform(&json!({})));
}

#[test]
fn load_file_errors() {
    match load_file(
        std::path::Path::new("/nonexistent/template.yaml"),
        &LoadOptions::default(),
    ) {
        Err(LoadError::Io { path, .. }) => assert_eq!(path, "/nonexistent/template.yaml"),
        other => panic!("{other:?}"),
    }
}

fn rendered(text: &str, overrides: &[&str]) -> String {
    fail(text, overrides).render_plain(80)
}

fn rendered_warnings(text: &str, overrides: &[&str]) -> String {
    ok(text, overrides).warnings.render_plain(80)
}

#[test]
fn snapshot_unknown_reference() {
    insta::assert_snapshot!(rendered(
        "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties:\n      Role: !GetAtt MissingRole.Arn\n      Name: !Sub '${AWS::StackName}-${Stage}'\n",
        &[]
    ));
}

#[test]
fn snapshot_duplicate_key() {
    insta::assert_snapshot!(rendered_warnings(
        "Resources:\n  A:\n    Type: AWS::SQS::Queue\n  A:\n    Type: AWS::SNS::Topic\n",
        &[]
    ));
}

#[test]
fn snapshot_unknown_attribute_warning() {
    insta::assert_snapshot!(rendered_warnings(
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Propertes:\n      BucketName: x\n",
        &[]
    ));
}

#[test]
fn snapshot_parameter_value() {
    insta::assert_snapshot!(rendered(
        "Parameters:\n  Stage:\n    Type: String\n    AllowedPattern: '[a-z]+'\n    ConstraintDescription: lower-case letters only\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n",
        &["Stage=Prod1"]
    ));
}

#[test]
fn snapshot_structure() {
    insta::assert_snapshot!(rendered(
        "AWSTemplateFormatVersion: 2010-09-10\nResources:\n  Bucket:\n    Type: AWS::S3::Bucket\n    Propertes:\n      BucketName: x\n  Queue:\n    Properties: {}\n",
        &[]
    ));
}

#[test]
fn snapshot_json_syntax() {
    let d = load("template.json", "{\n  \"Resources\": {\n    \"A\": {\"Type\": \"AWS::SQS::Queue\",}\n    \"B\": 1\n  }\n}\n", &LoadOptions::default())
        .err()
        .unwrap();
    insta::assert_snapshot!(d.render_plain(80));
}

#[test]
fn transform_is_lenient_and_redacts() {
    let text = "Parameters:\n  Pw:\n    Type: String\n    NoEcho: true\n    Default: topsecretvalue\nResources:\n  A:\n    Type: AWS::SQS::Queue\n    Properties:\n      X: !Ref Nope\n";
    let t = transform("t.yaml", text, &opts(&[])).unwrap();
    assert!(!t.transformed);
    assert_eq!(
        t.template["Resources"]["A"]["Properties"]["X"],
        json!({"Ref": "Nope"})
    );
    assert_eq!(t.redacted()["Parameters"]["Pw"]["Default"], json!("****"));
    let e = transform("t.yaml", "- a\n", &opts(&[])).unwrap_err();
    assert_eq!(codes(&e), ["not-a-mapping"]);
    let e = transform("t.yaml", "a: [\n", &opts(&[])).unwrap_err();
    assert_eq!(codes(&e), ["syntax"]);
}

const GLOBALS_TYPO: &str = "Transform: AWS::Serverless-2016-10-31
Parameters:
  StageName:
    Type: String
    Default: dev
Globals:
  Function:
    Runtime: python3.12
    Handler: app.handler
    Environment:
      Variables:
        STAGE: !Ref StageNmae
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: x
  B:
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: y
";

#[test]
fn a_problem_carried_by_globals_is_reported_once_where_it_is_written() {
    let d = fail(GLOBALS_TYPO, &[]);
    assert_eq!(codes(&d), ["unknown-reference"]);
    let span = d.0[0].span.expect("placed");
    assert_eq!((span.line, span.column), (12, 21));
    assert!(
        d.0[0]
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("did you mean `StageName`?")),
        "{:?}",
        d.0[0].help
    );
}

#[test]
fn snapshot_globals_typo() {
    insta::assert_snapshot!(rendered(GLOBALS_TYPO, &[]));
}

#[test]
fn get_att_of_an_attribute_the_type_lacks_is_refused() {
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Handler: a.b\n      Runtime: python3.12\nOutputs:\n  Arn:\n    Value: !GetAtt Fn.Arnn\n  Url:\n    Value: !Sub '${Fn.FunctionUrl}'\n";
    let d = fail(text, &[]);
    assert_eq!(
        codes(&d),
        ["unsupported-attribute", "unsupported-attribute"]
    );
    assert_eq!(
        d.0[0].message,
        "resource `Fn` (AWS::Lambda::Function) does not support attribute type `Arnn` in Fn::GetAtt"
    );
    assert!(
        d.0[0]
            .help
            .as_deref()
            .is_some_and(|h| h.starts_with("did you mean `Arn`?"))
    );
    assert!(
        d.0[1]
            .help
            .as_deref()
            .is_some_and(|h| h.contains("SnapStartResponse"))
    );
    // Generated attributes SAM documents (an alias, a nested stack's outputs) and custom resources pass.
    let ok_text = "Resources:\n  S:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: https://s3.amazonaws.com/b/k}\n  C:\n    Type: Custom::Thing\n    Properties: {ServiceToken: x}\nOutputs:\n  A: {Value: !GetAtt S.Outputs.Url}\n  B: {Value: !GetAtt C.Anything}\n";
    ok(ok_text, &[]);
}

#[test]
fn quotas_are_cloudformation_s() {
    let mut text = String::from("Resources:\n");
    for i in 0..501 {
        text.push_str(&format!("  Q{i}:\n    Type: AWS::SQS::Queue\n"));
    }
    let d = fail(&text, &[]);
    assert_eq!(codes(&d), ["too-many-resources"]);
    assert_eq!(
        d.0[0].message,
        "Number of resources, 501, is greater than maximum allowed, 500"
    );
    // Counted after the SAM transform: 250 functions are 500 resources (function + role).
    let mut sam = String::from("Transform: AWS::Serverless-2016-10-31\nResources:\n");
    for i in 0..251 {
        sam.push_str(&format!(
            "  F{i}:\n    Type: AWS::Serverless::Function\n    Properties: {{InlineCode: x, Handler: a.b, Runtime: python3.12}}\n"
        ));
    }
    let d = fail(&sam, &[]);
    assert_eq!(codes(&d), ["too-many-resources"]);
    assert!(d.0[0].message.contains("502"), "{}", d.0[0].message);
}

#[test]
fn empty_sections_are_read_as_absent() {
    let text = "Transform: AWS::Serverless-2016-10-31\nGlobals:\nParameters:\nMappings:\nConditions:\nOutputs:\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n";
    let t = ok(text, &[]);
    assert!(t.template.get("Outputs").is_none());
    assert_eq!(codes(&fail("Resources:\n", &[])), ["missing-resources"]);
}

#[test]
fn an_allowed_pattern_that_cannot_compile_is_a_warning_naming_the_parameter() {
    let text = "Parameters:\n  Name:\n    Type: String\n    Default: x\n    AllowedPattern: '(?<=a'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n";
    let t = ok(text, &["Name=anything"]);
    assert_eq!(codes(&t.warnings), ["invalid-pattern"]);
    assert!(t.warnings.0[0].message.contains("parameter `Name`"));
    // Java's dialect: lookahead and a possessive quantifier.
    let java = "Parameters:\n  Pw:\n    Type: String\n    AllowedPattern: '(?=.*[0-9])[a-z0-9]{8,}+'\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n";
    ok(java, &["Pw=abcdefg1"]);
    assert_eq!(
        codes(&fail(java, &["Pw=abcdefgh"])),
        ["invalid-parameter-value"]
    );
}

#[test]
fn a_near_miss_sam_property_gets_a_suggestion() {
    let text = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      InlineCode: x\n      Handler: a.b\n      Runtme: python3.12\n";
    let d = fail(text, &[]);
    assert_eq!(codes(&d), ["sam-transform"]);
    assert_eq!(d.0[0].help.as_deref(), Some("did you mean `Runtime`?"));
}
