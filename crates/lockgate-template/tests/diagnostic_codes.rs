//! Every diagnostic code the engine can produce ([`lockgate_template::CODES`])
//! has a case here: a small template that produces it, through the public
//! API, at the expected line and column and with the expected words. A second
//! test checks that the sources use no code outside `CODES`, so a new code
//! cannot be added without a case.

use std::collections::BTreeSet;
use std::path::Path;

use lockgate_template::{
    CODES, Diagnostic, Diagnostics, DynamicRef, DynamicResolver, LoadOptions, Overrides,
    Unresolved, load, load_document, parse_bytes, transform,
};

/// How a case is run.
#[derive(Clone, Copy, Debug)]
enum Stage {
    /// `load` with default options (what `lockgate validate` does).
    Load,
    /// `load` with the given parameter overrides.
    LoadWith(&'static str),
    /// `load` requiring a value for every parameter (what a deploy does).
    LoadRequiringValues,
    /// `load`, then `evaluate` with nothing deployed.
    Evaluate,
    /// `load`, then `evaluate` with a dynamic-reference resolver that fails.
    EvaluateFailingDynamic,
    /// `transform` (what `lockgate transform` does).
    Transform,
    /// `load` with local paths relative to this test folder (as `load_file` sets them).
    LoadBesideTests,
    /// `parse_bytes` of the text written in Latin-1 (one byte a character), then `load_document`.
    LoadLatin1,
}

/// One case: the code, how to run it, the template, where and what.
struct Case {
    code: &'static str,
    stage: Stage,
    file: &'static str,
    text: &'static str,
    /// 1-based line and column of the diagnostic.
    at: (u32, u32),
    /// Words the message must contain.
    says: &'static str,
}

const fn case(
    code: &'static str,
    stage: Stage,
    file: &'static str,
    text: &'static str,
    at: (u32, u32),
    says: &'static str,
) -> Case {
    Case {
        code,
        stage,
        file,
        text,
        at,
        says,
    }
}

use Stage::*;

const CASES: &[Case] = &[
    // syntax: every way a file can fail to parse.
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: [1, 2\n",
        (2, 10),
        "while parsing a flow sequence",
    ),
    case(
        "duplicate-key",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y}\n  A: {Type: X::Y}\n",
        (3, 3),
        "`A` is given twice in this mapping",
    ),
    case(
        "syntax",
        LoadLatin1,
        "t.yaml",
        "Resources:\n  A: caf\u{e9}\n",
        (2, 9),
        "not UTF-8 text: byte 0xE9 at byte offset 19",
    ),
    case(
        "syntax",
        Load,
        "t.json",
        "{\"Resources\": {\"A\": {\"Type\": \"X::Y\"} \"B\": 1}}",
        (1, 38),
        "invalid JSON: expected `,` or `}`",
    ),
    case(
        "duplicate-key",
        Load,
        "t.json",
        "{\"Resources\": {\"A\": 1, \"A\": {\"Type\": \"X::Y\"}}}",
        (1, 24),
        "the later value (line 1) is used",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources: {}\n---\nResources: {}\n",
        (2, 1),
        "expected a single document",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: *nope\n",
        (2, 6),
        "unknown anchor",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  ? [a, b]\n  : 1\n",
        (2, 5),
        "unhashable key",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    <<: 1\n",
        (3, 5),
        "expected a mapping or list of mappings for merging",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    <<: [1]\n",
        (3, 10),
        "expected a mapping for merging",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: !!bool maybe\n",
        (2, 6),
        "`maybe` is not a boolean",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: !!int ten\n",
        (2, 6),
        "`ten` is not a number",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: !!python/name x\n",
        (2, 6),
        "could not determine a constructor",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: !<tag:example.com,2000:x> 1\n",
        (2, 6),
        "could not determine a constructor",
    ),
    case(
        "syntax",
        Load,
        "t.yaml",
        "Resources:\n  A: !<tag:example.com,2000:x> [1]\n",
        (2, 6),
        "could not determine a constructor",
    ),
    // structure
    case(
        "not-a-mapping",
        Load,
        "t.yaml",
        "- Resources\n",
        (1, 1),
        "must be a mapping of sections",
    ),
    case(
        "not-a-mapping",
        Transform,
        "t.yaml",
        "just text\n",
        (1, 1),
        "must be a mapping of sections",
    ),
    case(
        "unknown-section",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y}\nResource: {}\n",
        (3, 1),
        "`Resource` is not a template section",
    ),
    case(
        "invalid-format-version",
        Load,
        "t.yaml",
        "AWSTemplateFormatVersion: 2011-01-01\nResources:\n  A: {Type: X::Y}\n",
        (1, 27),
        "must be \"2010-09-09\"",
    ),
    case(
        "wrong-type",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y}\nOutputs: [1]\n",
        (3, 10),
        "`Outputs` must be a mapping",
    ),
    case(
        "wrong-type",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y, DependsOn: {B: 1}}\n",
        (2, 30),
        "`DependsOn` must be a resource name",
    ),
    case(
        "too-many-parameters",
        Load,
        "t.yaml",
        "",
        (1, 1),
        "Number of parameters, 201, is greater than maximum allowed, 200",
    ),
    case(
        "invalid-name",
        Load,
        "t.yaml",
        "Resources:\n  my-bucket: {Type: AWS::S3::Bucket}\n",
        (2, 3),
        "logical ID `my-bucket` is not alphanumeric",
    ),
    case(
        "invalid-name",
        Load,
        "t.yaml",
        "Parameters:\n  my_param: {Type: String}\nResources:\n  A: {Type: X::Y}\n",
        (2, 3),
        "parameter name `my_param`",
    ),
    case(
        "invalid-parameter",
        Load,
        "t.yaml",
        "Parameters:\n  P: {Type: Strng}\nResources:\n  A: {Type: X::Y}\n",
        (2, 13),
        "Strng",
    ),
    case(
        "invalid-parameter",
        Load,
        "t.yaml",
        "Parameters:\n  P: {Type: Number, Default: abc}\nResources:\n  A: {Type: X::Y}\n",
        (2, 30),
        "abc",
    ),
    case(
        "invalid-condition",
        Load,
        "t.yaml",
        "Conditions:\n  C: {Ref: P}\nParameters:\n  P: {Type: String}\nResources:\n  A: {Type: X::Y}\n",
        (2, 6),
        "not a condition function",
    ),
    case(
        "invalid-condition",
        Load,
        "t.yaml",
        "Conditions:\n  C: !And [yes-ish, !Equals [a, a]]\nResources:\n  A: {Type: X::Y}\n",
        (2, 12),
        "condition operand must be a condition function",
    ),
    case(
        "unknown-condition",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y, Condition: Nope}\n",
        (2, 30),
        "`Nope` is not a condition of this template",
    ),
    case(
        "unknown-condition",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !If [Nope, 1, 2]\n",
        (5, 15),
        "`Nope` is not a condition",
    ),
    case(
        "unknown-condition",
        Load,
        "t.yaml",
        "Conditions:\n  C: !Condition Nope\nResources:\n  A: {Type: X::Y}\n",
        (2, 17),
        "`Nope`",
    ),
    case(
        "condition-cycle",
        Load,
        "t.yaml",
        "Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n  R: {Type: X::Y}\n",
        (2, 6),
        "refer to each other in a cycle",
    ),
    case(
        "missing-resources",
        Load,
        "t.yaml",
        "Description: nothing\n",
        (1, 1),
        "no `Resources` section",
    ),
    case(
        "missing-resources",
        Load,
        "t.yaml",
        "Resources: {}\n",
        (1, 1),
        "`Resources` is empty",
    ),
    case(
        "missing-type",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Properties: {}\n",
        (2, 3),
        "the resource `A` has no `Type`",
    ),
    case(
        "invalid-type",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: Bucket}\n",
        (2, 13),
        "`Bucket` is not a resource type",
    ),
    case(
        "unknown-attribute",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y, Propertys: {}}\n",
        (2, 19),
        "`Propertys` is not a resource attribute",
    ),
    case(
        "unknown-attribute",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y}\nOutputs:\n  O: {Value: 1, Exprt: x}\n",
        (4, 17),
        "`Exprt` is not an output attribute",
    ),
    case(
        "invalid-policy",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y, DeletionPolicy: Keep}\n",
        (2, 35),
        "must be Delete, Retain",
    ),
    case(
        "missing-value",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y}\nOutputs:\n  O: {Description: d}\n",
        (4, 3),
        "the output `O` has no `Value`",
    ),
    case(
        "invalid-export",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y}\nOutputs:\n  O: {Value: 1, Export: x}\n",
        (4, 25),
        "needs a `Name`",
    ),
    // intrinsics
    case(
        "invalid-intrinsic",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: {Fn::Join: ['', [a]], Extra: 1}\n",
        (5, 11),
        "`Fn::Join` must be the only key",
    ),
    case(
        "invalid-argument",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !Join [a]\n",
        (5, 10),
        "`Fn::Join` has malformed arguments",
    ),
    case(
        "invalid-argument",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    DependsOn: [B]\n  B:\n    Type: X::Y\n    Properties:\n      P: !GetAtt A\n",
        (8, 10),
        "`Fn::GetAtt` has malformed arguments",
    ),
    case(
        "invalid-argument",
        Evaluate,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !Select [x, [a, b]]\n",
        (5, 10),
        "`Fn::Select` needs an index and a list",
    ),
    case(
        "invalid-argument",
        Evaluate,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !Cidr [10.0.0.0/40, 2, 8]\n",
        (5, 10),
        "`Fn::Cidr`",
    ),
    case(
        "unknown-reference",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !Ref Nope\n",
        (5, 15),
        "`Nope`",
    ),
    case(
        "unknown-reference",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !GetAtt Nope.Arn\n",
        (5, 18),
        "`Nope`",
    ),
    case(
        "unknown-reference",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !Sub 'arn:${Nope}'\n",
        (5, 20),
        "`${Nope}` in `Fn::Sub`",
    ),
    case(
        "unknown-dependency",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y, DependsOn: Nope}\n",
        (2, 30),
        "`DependsOn` names `Nope`",
    ),
    case(
        "dependency-cycle",
        Load,
        "t.yaml",
        "Resources:\n  A: {Type: X::Y, DependsOn: B}\n  B: {Type: X::Y, DependsOn: A}\n",
        (2, 3),
        "circular dependency between resources: `A`, `B`",
    ),
    case(
        "resource-in-condition",
        Load,
        "t.yaml",
        "Conditions:\n  C: !Equals [!Ref A, x]\nResources:\n  A: {Type: X::Y}\n",
        (2, 20),
        "conditions cannot refer to the resource `A`",
    ),
    case(
        "index-out-of-range",
        Evaluate,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !Select [5, [a, b]]\n",
        (5, 10),
        "index 5 is out of range for a list of 2",
    ),
    case(
        "unknown-mapping",
        Evaluate,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !FindInMap [Nope, a, b]\n",
        (5, 10),
        "`Nope` is not a mapping",
    ),
    case(
        "missing-mapping-key",
        Evaluate,
        "t.yaml",
        "Mappings:\n  M:\n    a: {b: c}\nResources:\n  A:\n    Type: X::Y\n    Properties:\n      P: !FindInMap [M, a, z]\n",
        (8, 10),
        "has no value for `a` / `z`",
    ),
    // parameters and their values
    case(
        "unknown-parameter",
        LoadWith("Nope=1"),
        "t.yaml",
        "Parameters:\n  P: {Type: String, Default: x}\nResources:\n  A: {Type: X::Y}\n",
        (1, 1),
        "`Nope`, which is not a parameter",
    ),
    case(
        "invalid-parameter-value",
        LoadWith("P=qa"),
        "t.yaml",
        "Parameters:\n  P: {Type: String, AllowedValues: [dev, prod]}\nResources:\n  A: {Type: X::Y}\n",
        (2, 3),
        "value `qa` that is not allowed",
    ),
    case(
        "invalid-parameter-value",
        LoadWith("P=abc"),
        "t.yaml",
        "Parameters:\n  P: {Type: Number}\nResources:\n  A: {Type: X::Y}\n",
        (2, 3),
        "abc",
    ),
    case(
        "missing-parameter-value",
        LoadRequiringValues,
        "t.yaml",
        "Parameters:\n  P: {Type: String}\nResources:\n  A: {Type: X::Y}\n",
        (2, 3),
        "parameter `P` has no value",
    ),
    // dynamic references
    case(
        "invalid-dynamic-reference",
        Load,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: '{{resolve:vault:x}}'\n",
        (5, 10),
        "vault",
    ),
    case(
        "unresolved-dynamic-reference",
        EvaluateFailingDynamic,
        "t.yaml",
        "Resources:\n  A:\n    Type: X::Y\n    Properties:\n      P: '{{resolve:ssm:/app/key}}'\n",
        (5, 10),
        "cannot resolve `{{resolve:ssm:/app/key}}`: access denied",
    ),
    // the SAM transform
    case(
        "sam-transform",
        Load,
        "t.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n",
        (3, 3),
        "Resource with id [Fn] is invalid",
    ),
    case(
        "sam-transform",
        Transform,
        "t.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      CodeUri: s3://b/k\n      Events:\n        E:\n          Type: Schedule\n",
        (10, 9),
        "Resource with id [FnE] is invalid. Missing required property 'Schedule'",
    ),
    case(
        "sam-transform",
        Transform,
        "t.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Runtime: python3.12\n      CodeUri: s3://b/k\n      Events:\n        Get:\n          Type: Api\n          Properties: {Path: /x, Method: get, RestApiId: Nope}\n",
        (10, 9),
        "Event with id [Get] is invalid",
    ),
    case(
        "invalid-pattern",
        Load,
        "t.yaml",
        "Parameters:\n  P:\n    Type: String\n    AllowedPattern: '[a-'\nResources:\n  A: {Type: X::Y}\n",
        (4, 21),
        "`AllowedPattern` of parameter `P` cannot be compiled",
    ),
    case(
        "unsupported-attribute",
        Load,
        "t.yaml",
        "Resources:\n  Q: {Type: AWS::SQS::Queue}\n  T:\n    Type: AWS::SNS::Topic\n    Properties: {DisplayName: !GetAtt Q.Url}\n",
        (5, 41),
        "resource `Q` (AWS::SQS::Queue) does not support attribute type `Url` in Fn::GetAtt",
    ),
    case(
        "too-many-resources",
        Load,
        "t.yaml",
        "",
        (1, 1),
        "Number of resources, 501, is greater than maximum allowed, 500",
    ),
    case(
        "too-many-outputs",
        Load,
        "t.yaml",
        "",
        (3, 1),
        "Number of outputs, 201, is greater than maximum allowed, 200",
    ),
    case(
        "too-many-mappings",
        Load,
        "t.yaml",
        "",
        (1, 1),
        "Number of mappings, 201, is greater than maximum allowed, 200",
    ),
    case(
        "missing-artifact",
        LoadBesideTests,
        "t.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: no-such-dir/\n      Handler: a.b\n      Runtime: python3.12\n",
        (6, 16),
        "`CodeUri` of `F` names `no-such-dir/`, which does not exist",
    ),
    case(
        "invalid-artifact",
        LoadBesideTests,
        "t.yaml",
        "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      Fn::Transform:\n        Name: AWS::Include\n        Parameters: {Location: no-such.yaml}\n",
        (5, 7),
        "cannot read `no-such.yaml`",
    ),
    case(
        "unsupported-locally",
        Load,
        "t.yaml",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      PackageType: Image\n      ImageUri: repo:latest\n",
        (7, 17),
        "function `F` is a container image",
    ),
];

/// A dynamic-reference resolver that always fails.
struct Failing;

impl DynamicResolver for Failing {
    fn resolve(&self, _: &DynamicRef) -> Result<Option<String>, String> {
        Err("access denied".into())
    }
}

/// The text of a case (the 201-parameter template is built, not written out).
fn text_of(c: &Case) -> String {
    match c.code {
        "too-many-resources" => {
            let mut t = String::from("Resources:\n");
            for i in 0..501 {
                t.push_str(&format!("  Q{i}: {{Type: AWS::SQS::Queue}}\n"));
            }
            return t;
        }
        "too-many-outputs" => {
            let mut t = String::from("Resources:\n  A: {Type: X::Y}\nOutputs:\n");
            for i in 0..201 {
                t.push_str(&format!("  O{i}: {{Value: x}}\n"));
            }
            return t;
        }
        "too-many-mappings" => {
            let mut t = String::from("Mappings:\n");
            for i in 0..201 {
                t.push_str(&format!("  M{i}: {{a: {{b: c}}}}\n"));
            }
            t.push_str("Resources:\n  A: {Type: X::Y}\n");
            return t;
        }
        _ => {}
    }
    if c.code == "too-many-parameters" {
        let mut t = String::from("Parameters:\n");
        for i in 0..201 {
            t.push_str(&format!("  P{i}: {{Type: String, Default: x}}\n"));
        }
        t.push_str("Resources:\n  A: {Type: X::Y}\n");
        return t;
    }
    c.text.to_string()
}

/// Runs a case and returns every diagnostic it gave (errors and warnings).
fn run(c: &Case) -> Diagnostics {
    let text = text_of(c);
    let mut opts = LoadOptions::default();
    match c.stage {
        LoadWith(o) => opts.overrides = Overrides::parse_args(&[o]).expect("valid overrides"),
        LoadRequiringValues => opts.require_parameter_values = true,
        LoadBesideTests => {
            opts.base_dir = Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))
        }
        _ => {}
    }
    match c.stage {
        LoadLatin1 => {
            let bytes: Vec<u8> = text.chars().map(|ch| ch as u8).collect();
            match parse_bytes(c.file, &bytes) {
                Err(e) => Diagnostics::from(Diagnostic::from(e)),
                Ok(doc) => match load_document(doc, &opts) {
                    Ok(t) => t.warnings,
                    Err(d) => d,
                },
            }
        }
        Transform => match transform(c.file, &text, &opts) {
            Ok(_) => Diagnostics::default(),
            Err(d) => d,
        },
        Evaluate | EvaluateFailingDynamic => {
            let t = load(c.file, &text, &opts)
                .unwrap_or_else(|d| panic!("`{}` case should load:\n{d}", c.code));
            let r = match c.stage {
                Evaluate => t.evaluate(&Unresolved, &Unresolved),
                _ => t.evaluate(&Unresolved, &Failing),
            };
            r.err().unwrap_or_default()
        }
        Load | LoadWith(_) | LoadRequiringValues | LoadBesideTests => {
            match load(c.file, &text, &opts) {
                Ok(t) => t.warnings,
                Err(d) => d,
            }
        }
    }
}

fn describe(d: &Diagnostic) -> String {
    format!(
        "{} at {}: {}",
        d.code,
        d.location().unwrap_or_else(|| "-".into()),
        d.message
    )
}

#[test]
fn every_case_gives_its_code_at_its_place() {
    let mut failures = Vec::new();
    for (i, c) in CASES.iter().enumerate() {
        let got = run(c);
        let found = got.iter().find(|d| d.code == c.code);
        let Some(d) = found else {
            failures.push(format!(
                "case {i} ({}): not produced; got [{}]",
                c.code,
                got.iter().map(describe).collect::<Vec<_>>().join("; ")
            ));
            continue;
        };
        let span = d.span.expect("every diagnostic here has a place");
        let mut wrong = Vec::new();
        if (span.line, span.column) != c.at {
            wrong.push(format!(
                "at {}:{}, want {}:{}",
                span.line, span.column, c.at.0, c.at.1
            ));
        }
        if !d.message.contains(c.says) {
            wrong.push(format!("message lacks {:?}", c.says));
        }
        if d.file() != Some(c.file) {
            wrong.push(format!("file {:?}", d.file()));
        }
        // Every diagnostic renders with its snippet and carries its code.
        let rendered = Diagnostics::from(d.clone()).render_plain(100);
        if !rendered.contains(c.code) || !rendered.contains(&format!("[{}:", c.file)) {
            wrong.push(format!(
                "rendering lacks the code or the place:\n{rendered}"
            ));
        }
        if !wrong.is_empty() {
            failures.push(format!(
                "case {i} ({}): {} — {}",
                c.code,
                wrong.join(", "),
                describe(d)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_code_has_a_case() {
    let listed: BTreeSet<&str> = CODES.iter().map(|(c, _)| *c).collect();
    assert_eq!(listed.len(), CODES.len(), "a code is listed twice");
    let tested: BTreeSet<&str> = CASES.iter().map(|c| c.code).collect();
    let untested: Vec<_> = listed.difference(&tested).collect();
    let unknown: Vec<_> = tested.difference(&listed).collect();
    assert!(untested.is_empty(), "codes without a case: {untested:?}");
    assert!(
        unknown.is_empty(),
        "cases for codes not in CODES: {unknown:?}"
    );
}

/// Kebab-case string literals in the sources that are not diagnostic codes.
const NOT_CODES: &[&str] = &[
    "aws-cn",
    "aws-us-gov",
    "ssm-secure",
    "lockgate-local",
    // A character class in the Java-regex rewriter.
    "a-z",
];

#[test]
fn sources_use_only_listed_codes() {
    let listed: BTreeSet<&str> = CODES.iter().map(|(c, _)| *c).collect();
    let re = regex::Regex::new(r#""([a-z]+(?:-[a-z]+)+)""#).expect("valid regex");
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    let mut unknown = BTreeSet::new();
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !name.ends_with(".rs") || name == "tests.rs" {
                continue;
            }
            files += 1;
            let text = std::fs::read_to_string(&p).expect("read source");
            // Unit tests at the end of a file are not the engine.
            let body = text.split("#[cfg(test)]").next().unwrap_or_default();
            for cap in re.captures_iter(body) {
                let lit = cap.get(1).map(|m| m.as_str()).unwrap_or_default();
                if !listed.contains(lit) && !NOT_CODES.contains(&lit) {
                    unknown.insert(format!("{}: {lit}", p.display()));
                }
            }
        }
    }
    assert!(files > 10, "sources not found");
    assert!(
        unknown.is_empty(),
        "codes used in the sources but missing from CODES (add them, with a case here): {unknown:?}"
    );
}
