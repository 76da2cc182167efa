use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use super::*;

struct Fixture {
    params: Map<String, Value>,
    ssm: Map<String, Value>,
    names: HashSet<String>,
    pseudo: Pseudo,
    mappings: Map<String, Value>,
    conditions: HashMap<String, ConditionValue>,
    resources: HashSet<String>,
}

fn fixture() -> Fixture {
    let params = json!({"Env": "prod", "Subnets": ["s1", "s2"], "Count": "3"});
    let mappings = json!({"RegionMap": {"us-east-1": {"Ami": "ami-1"}}});
    Fixture {
        params: params.as_object().unwrap().clone(),
        ssm: json!({"Latest": "/ami/latest"})
            .as_object()
            .unwrap()
            .clone(),
        names: ["Env", "Subnets", "Count", "Unset", "Latest"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        pseudo: Pseudo::default(),
        mappings: mappings.as_object().unwrap().clone(),
        conditions: [
            ("IsProd".to_string(), Some(true)),
            ("IsDev".to_string(), Some(false)),
            ("Later".to_string(), None),
        ]
        .into_iter()
        .collect(),
        resources: ["Bucket", "Fn"].iter().map(|s| s.to_string()).collect(),
    }
}

struct Deployed;

impl Resolver for Deployed {
    fn resource_ref(&self, id: &str) -> Option<Value> {
        Some(json!(format!("{id}-physical")))
    }
    fn get_att(&self, id: &str, attr: &str) -> Option<Value> {
        Some(json!(format!("{id}.{attr}-value")))
    }
    fn import_value(&self, name: &str) -> Option<Value> {
        Some(json!(format!("export:{name}")))
    }
    fn ssm_parameter(&self, name: &str) -> Option<String> {
        Some(format!("ssm:{name}"))
    }
}

struct Secrets;

impl DynamicResolver for Secrets {
    fn resolve(&self, r: &DynamicRef) -> Result<Option<String>, String> {
        match r {
            DynamicRef::Ssm { name, .. } if name == "missing" => Err("no such parameter".into()),
            DynamicRef::Ssm { name, .. } => Ok(Some(format!("<{name}>"))),
            _ => Ok(None),
        }
    }
}

fn with<T>(
    resolver: &dyn Resolver,
    dynamic: &dyn DynamicResolver,
    f: impl FnOnce(&Scope<'_>) -> T,
) -> T {
    let fx = fixture();
    let scope = Scope {
        params: &fx.params,
        ssm_params: &fx.ssm,
        param_names: &fx.names,
        pseudo: &fx.pseudo,
        mappings: &fx.mappings,
        conditions: &fx.conditions,
        resources: &fx.resources,
        resolver,
        dynamic,
        in_condition: false,
    };
    f(&scope)
}

fn plan(v: Value) -> Option<Value> {
    with(&Unresolved, &Unresolved, |s| s.eval(&v, &Path::root())).expect("evaluates")
}

fn plan_err(v: Value) -> EvalError {
    with(&Unresolved, &Unresolved, |s| {
        s.eval(&v, &Path::parse("Resources/R/Properties/P"))
    })
    .expect_err("fails")
}

fn deploy(v: Value) -> Option<Value> {
    with(&Deployed, &Secrets, |s| s.eval(&v, &Path::root())).expect("evaluates")
}

#[test]
fn refs() {
    assert_eq!(plan(json!({"Ref": "Env"})), Some(json!("prod")));
    assert_eq!(
        plan(json!({"Ref": "AWS::Region"})),
        Some(json!("us-east-1"))
    );
    assert_eq!(
        plan(json!({"Ref": "AWS::AccountId"})),
        Some(json!({"Ref": "AWS::AccountId"}))
    );
    assert_eq!(
        plan(json!({"Ref": "Bucket"})),
        Some(json!({"Ref": "Bucket"}))
    );
    assert_eq!(
        deploy(json!({"Ref": "Bucket"})),
        Some(json!("Bucket-physical"))
    );
    assert_eq!(plan(json!({"Ref": "Unset"})), Some(json!({"Ref": "Unset"})));
    assert_eq!(
        plan(json!({"Ref": "Latest"})),
        Some(json!({"Ref": "Latest"}))
    );
    assert_eq!(
        deploy(json!({"Ref": "Latest"})),
        Some(json!("ssm:/ami/latest"))
    );
    assert_eq!(plan(json!({"Ref": "AWS::NoValue"})), None);
}

#[test]
fn ref_errors() {
    let e = plan_err(json!({"Ref": "Nope"}));
    assert_eq!(e.code, "unknown-reference");
    assert_eq!(e.path.to_string(), "Resources/R/Properties/P/Ref");
    assert_eq!(plan_err(json!({"Ref": ["x"]})).code, "invalid-argument");
}

#[test]
fn get_att() {
    assert_eq!(
        plan(json!({"Fn::GetAtt": "Fn.Arn"})),
        Some(json!({"Fn::GetAtt": ["Fn", "Arn"]}))
    );
    assert_eq!(
        deploy(json!({"Fn::GetAtt": ["Fn", "Arn"]})),
        Some(json!("Fn.Arn-value"))
    );
    assert_eq!(
        plan_err(json!({"Fn::GetAtt": ["Nope", "Arn"]})).code,
        "unknown-reference"
    );
    assert_eq!(
        plan_err(json!({"Fn::GetAtt": "NoDot"})).code,
        "invalid-argument"
    );
}

#[test]
fn sub() {
    assert_eq!(
        plan(json!({"Fn::Sub": "${AWS::Region}-${Env}-${!Lit}"})),
        Some(json!("us-east-1-prod-${Lit}"))
    );
    assert_eq!(
        plan(json!({"Fn::Sub": "arn:${AWS::Partition}:${Bucket}/${Fn.Arn}/${!X}"})),
        Some(json!({"Fn::Sub": "arn:aws:${Bucket}/${Fn.Arn}/${!X}"}))
    );
    assert_eq!(
        deploy(json!({"Fn::Sub": "${Bucket}:${Fn.Arn}"})),
        Some(json!("Bucket-physical:Fn.Arn-value"))
    );
    assert_eq!(
        plan(json!({"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "Env"}, "B": {"Ref": "Bucket"}}]})),
        Some(json!({"Fn::Sub": ["prod-${B}", {"B": {"Ref": "Bucket"}}]}))
    );
    assert_eq!(
        plan_err(json!({"Fn::Sub": "${Nope}"})).code,
        "unknown-reference"
    );
    assert_eq!(
        plan_err(json!({"Fn::Sub": "${Subnets}"})).code,
        "invalid-argument"
    );
    assert_eq!(plan_err(json!({"Fn::Sub": 3})).code, "invalid-argument");
}

#[test]
fn conditional_values() {
    assert_eq!(
        plan(json!({"Fn::If": ["IsProd", "a", "b"]})),
        Some(json!("a"))
    );
    assert_eq!(
        plan(json!({"Fn::If": ["IsDev", "a", {"Ref": "AWS::NoValue"}]})),
        None
    );
    assert_eq!(
        plan(
            json!({"x": [1, {"Fn::If": ["IsDev", 2, {"Ref": "AWS::NoValue"}]}, 3], "y": {"Fn::If": ["IsDev", 1, {"Ref": "AWS::NoValue"}]}})
        ),
        Some(json!({"x": [1, 3]}))
    );
    assert_eq!(
        plan(json!({"Fn::If": ["Later", "a", {"Ref": "Env"}]})),
        Some(json!({"Fn::If": ["Later", "a", "prod"]}))
    );
    assert_eq!(
        plan_err(json!({"Fn::If": ["Nope", 1, 2]})).code,
        "unknown-condition"
    );
    assert_eq!(
        plan_err(json!({"Fn::If": ["IsProd", 1]})).code,
        "invalid-argument"
    );
}

#[test]
fn lists_and_strings() {
    assert_eq!(
        plan(json!({"Fn::Join": ["-", ["a", {"Ref": "Env"}, 3]]})),
        Some(json!("a-prod-3"))
    );
    assert_eq!(
        plan(json!({"Fn::Join": [",", {"Ref": "Subnets"}]})),
        Some(json!("s1,s2"))
    );
    assert_eq!(
        plan(json!({"Fn::Join": ["", ["a", {"Ref": "Bucket"}]]})),
        Some(json!({"Fn::Join": ["", ["a", {"Ref": "Bucket"}]]}))
    );
    assert_eq!(
        plan(json!({"Fn::Select": ["1", {"Ref": "Subnets"}]})),
        Some(json!("s2"))
    );
    assert_eq!(
        plan_err(json!({"Fn::Select": [5, ["a"]]})).code,
        "index-out-of-range"
    );
    assert_eq!(
        plan_err(json!({"Fn::Select": ["x", ["a"]]})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan(json!({"Fn::Split": [",", "a,b"]})),
        Some(json!(["a", "b"]))
    );
    assert_eq!(
        plan_err(json!({"Fn::Split": ["", "a"]})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan_err(json!({"Fn::Join": ["-", [{"a": 1}]]})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan(json!({"Fn::Length": {"Ref": "Subnets"}})),
        Some(json!(2))
    );
    assert_eq!(
        plan_err(json!({"Fn::Length": "x"})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan(json!({"Fn::ToJsonString": {"a": [1]}})),
        Some(json!("{\"a\":[1]}"))
    );
    assert_eq!(
        plan_err(json!({"Fn::ToJsonString": "x"})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan(json!({"Fn::Base64": "hello!"})),
        Some(json!("aGVsbG8h"))
    );
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"a"), "YQ==");
}

#[test]
fn find_in_map() {
    assert_eq!(
        plan(json!({"Fn::FindInMap": ["RegionMap", {"Ref": "AWS::Region"}, "Ami"]})),
        Some(json!("ami-1"))
    );
    assert_eq!(
        plan(
            json!({"Fn::FindInMap": ["RegionMap", "eu-west-1", "Ami", {"DefaultValue": "ami-0"}]})
        ),
        Some(json!("ami-0"))
    );
    assert_eq!(
        plan_err(json!({"Fn::FindInMap": ["Nope", "a", "b"]})).code,
        "unknown-mapping"
    );
    assert_eq!(
        plan_err(json!({"Fn::FindInMap": ["RegionMap", "x", "Ami"]})).code,
        "missing-mapping-key"
    );
    assert_eq!(
        plan_err(json!({"Fn::FindInMap": ["RegionMap", "x"]})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan_err(json!({"Fn::FindInMap": ["RegionMap", "x", "y", 1]})).code,
        "invalid-argument"
    );
}

#[test]
fn cidr_azs_imports() {
    assert_eq!(
        plan(json!({"Fn::Cidr": ["10.0.0.0/16", 2, 8]})),
        Some(json!(["10.0.0.0/24", "10.0.1.0/24"]))
    );
    assert_eq!(
        plan_err(json!({"Fn::Cidr": ["10.0.0.0/16", 0, 8]})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan(json!({"Fn::GetAZs": ""})),
        Some(json!(["us-east-1a", "us-east-1b", "us-east-1c"]))
    );
    assert_eq!(
        plan(json!({"Fn::GetAZs": {"Ref": "AWS::Region"}})).unwrap()[0],
        json!("us-east-1a")
    );
    assert_eq!(
        plan(json!({"Fn::ImportValue": "Shared"})),
        Some(json!({"Fn::ImportValue": "Shared"}))
    );
    assert_eq!(
        deploy(json!({"Fn::ImportValue": {"Fn::Sub": "${Env}-Vpc"}})),
        Some(json!("export:prod-Vpc"))
    );
    assert_eq!(
        plan_err(json!({"Fn::ImportValue": ["x"]})).code,
        "invalid-argument"
    );
}

#[test]
fn condition_functions() {
    assert_eq!(
        plan(json!({"Fn::Equals": [{"Ref": "Env"}, "prod"]})),
        Some(json!(true))
    );
    assert_eq!(
        plan(json!({"Fn::Not": [{"Condition": "IsProd"}]})),
        Some(json!(false))
    );
    assert_eq!(
        plan(json!({"Fn::And": [{"Condition": "IsProd"}, {"Condition": "IsDev"}]})),
        Some(json!(false))
    );
    assert_eq!(
        plan(json!({"Fn::Or": [{"Condition": "IsDev"}, {"Fn::Equals": ["1", 1]}]})),
        Some(json!(true))
    );
    assert_eq!(
        plan_err(json!({"Fn::And": [{"Condition": "IsProd"}]})).code,
        "invalid-argument"
    );
    assert_eq!(
        plan_err(json!({"Fn::Or": ["x", "y"]})).code,
        "invalid-condition"
    );
}

#[test]
fn dynamic_references() {
    assert_eq!(
        plan(json!("{{resolve:ssm:/a}}")),
        Some(json!("{{resolve:ssm:/a}}"))
    );
    assert_eq!(
        deploy(json!("x-{{resolve:ssm:/a}}-y")),
        Some(json!("x-</a>-y"))
    );
    assert_eq!(
        deploy(json!({"Fn::Sub": "{{resolve:ssm:/${Env}}}"})),
        Some(json!("</prod>"))
    );
    assert_eq!(
        plan_err(json!("{{resolve:ssm:}}")).code,
        "invalid-dynamic-reference"
    );
    let e = with(&Deployed, &Secrets, |s| {
        s.eval(&json!("{{resolve:ssm:missing}}"), &Path::root())
    })
    .unwrap_err();
    assert_eq!(e.code, "unresolved-dynamic-reference");
}

#[test]
fn conditions_section() {
    let fx = fixture();
    let empty = HashMap::new();
    let scope = Scope {
        params: &fx.params,
        ssm_params: &fx.ssm,
        param_names: &fx.names,
        pseudo: &fx.pseudo,
        mappings: &fx.mappings,
        conditions: &empty,
        resources: &fx.resources,
        resolver: &Unresolved,
        dynamic: &Unresolved,
        in_condition: false,
    };
    let conds = json!({
        "Both": {"Fn::And": [{"Condition": "IsProd"}, {"Condition": "InUs"}]},
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "InUs": {"Fn::Equals": [{"Fn::Select": [0, {"Fn::Split": ["-", {"Ref": "AWS::Region"}]}]}, "us"]},
        "Acct": {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "1"]},
    });
    let (values, errors) = conditions::evaluate_conditions(conds.as_object().unwrap(), &scope);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(values["Both"], Some(true));
    assert_eq!(values["Acct"], None);

    let bad = json!({
        "A": {"Fn::Not": [{"Condition": "B"}]},
        "B": {"Fn::Not": [{"Condition": "A"}]},
        "C": {"Condition": "Missing"},
        "D": "yes",
        "E": {"Fn::Equals": [{"Ref": "Bucket"}, "x"]},
    });
    let (_, errors) = conditions::evaluate_conditions(bad.as_object().unwrap(), &scope);
    let codes: Vec<&str> = errors.iter().map(|e| e.code).collect();
    assert_eq!(
        codes,
        [
            "unknown-condition",
            "condition-cycle",
            "invalid-condition",
            "resource-in-condition"
        ]
    );
    assert_eq!(
        errors[1].message,
        "the conditions `A` → `B` → `A` refer to each other in a cycle"
    );
}

#[test]
fn no_value_as_required_argument() {
    let e = plan_err(json!({"Fn::Join": [",", {"Ref": "AWS::NoValue"}]}));
    assert_eq!(e.code, "invalid-argument");
    assert!(e.message.contains("cannot be `AWS::NoValue`"), "{e}");
}
