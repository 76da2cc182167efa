use super::*;
use serde_json::json;

fn codes(t: Value, sam: bool) -> Vec<(&'static str, String)> {
    validate_structure(&t, sam)
        .into_iter()
        .map(|p| (p.code, p.path.to_string()))
        .collect()
}

fn one(t: Value) -> (&'static str, String) {
    let c = codes(t, false);
    assert_eq!(c.len(), 1, "{c:?}");
    c[0].clone()
}

fn res(r: Value) -> Value {
    json!({"Resources": {"R": r}})
}

#[test]
fn valid_template_has_no_problems() {
    let t = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "d",
        "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
        "Mappings": {"M": {"a": {"b": "c"}}},
        "Conditions": {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Resources": {"B": {"Type": "AWS::S3::Bucket", "Condition": "IsProd", "DeletionPolicy": "Retain",
            "Properties": {"BucketName": {"Fn::If": ["IsProd", {"Fn::Sub": "${Env}-b"}, {"Ref": "AWS::NoValue"}]}}}},
        "Outputs": {"O": {"Value": {"Ref": "B"}, "Export": {"Name": "e"}, "Condition": "IsProd"}},
    });
    assert_eq!(codes(t, false), vec![]);
}

#[test]
fn not_a_mapping() {
    assert_eq!(one(json!([1])).0, "not-a-mapping");
}

#[test]
fn unknown_section() {
    assert_eq!(
        one(json!({"Resources": {"R": {"Type": "A::B"}}, "Resource": {}})),
        ("unknown-section", "Resource".into())
    );
    assert_eq!(
        codes(
            json!({"Resources": {"R": {"Type": "A::B"}}, "Globals": {}}),
            true
        ),
        vec![]
    );
    assert_eq!(
        one(json!({"Resources": {"R": {"Type": "A::B"}}, "Globals": {}})).0,
        "unknown-section"
    );
}

#[test]
fn format_version() {
    assert_eq!(
        one(
            json!({"AWSTemplateFormatVersion": "2010-09-10", "Resources": {"R": {"Type": "A::B"}}})
        )
        .0,
        "invalid-format-version"
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        one(json!({"Description": 1, "Resources": {"R": {"Type": "A::B"}}})).0,
        "wrong-type"
    );
    assert_eq!(
        one(json!({"Transform": 1, "Resources": {"R": {"Type": "A::B"}}})).0,
        "wrong-type"
    );
    assert_eq!(
        one(json!({"Metadata": 1, "Resources": {"R": {"Type": "A::B"}}})).0,
        "wrong-type"
    );
    assert_eq!(
        one(json!({"Parameters": [], "Resources": {"R": {"Type": "A::B"}}})).0,
        "wrong-type"
    );
    assert_eq!(
        one(json!({"Mappings": {"M": {"a": 1}}, "Resources": {"R": {"Type": "A::B"}}})),
        ("wrong-type", "Mappings/M/a".into())
    );
    assert_eq!(one(json!({"Resources": []})).0, "wrong-type");
    assert_eq!(
        one(res(json!({"Type": 3}))),
        ("wrong-type", "Resources/R/Type".into())
    );
    assert_eq!(
        one(res(json!({"Type": "A::B", "Properties": []}))).0,
        "wrong-type"
    );
    assert_eq!(
        one(res(json!({"Type": "A::B", "DependsOn": [1]}))).0,
        "wrong-type"
    );
    assert_eq!(
        one(res(json!({"Type": "A::B", "Condition": 1}))).0,
        "wrong-type"
    );
    assert_eq!(one(res(json!("x"))).0, "wrong-type");
}

#[test]
fn resources_required() {
    assert_eq!(one(json!({})).0, "missing-resources");
    assert_eq!(one(json!({"Resources": {}})).0, "missing-resources");
}

#[test]
fn resource_problems() {
    assert_eq!(one(res(json!({}))), ("missing-type", "Resources/R".into()));
    assert_eq!(one(res(json!({"Type": "Bucket"}))).0, "invalid-type");
    assert_eq!(
        one(res(json!({"Type": "A::B", "Propertes": {}}))),
        ("unknown-attribute", "Resources/R/Propertes".into())
    );
    assert_eq!(
        codes(res(json!({"Type": "A::B", "Connectors": {}})), true),
        vec![]
    );
    assert_eq!(
        one(res(json!({"Type": "A::B", "DeletionPolicy": "Keep"}))).0,
        "invalid-policy"
    );
    assert_eq!(
        one(json!({"Resources": {"My-R": {"Type": "A::B"}}})).0,
        "invalid-name"
    );
    assert_eq!(
        one(res(json!({"Type": "A::B", "Condition": "Nope"}))),
        ("unknown-condition", "Resources/R/Condition".into())
    );
}

#[test]
fn parameter_problems() {
    let t = json!({"Parameters": {"P": {"Type": "Strin"}, "bad_name": {"Type": "String"}}, "Resources": {"R": {"Type": "A::B"}}});
    assert_eq!(
        codes(t, false),
        vec![
            ("invalid-parameter", "Parameters/P/Type".to_string()),
            ("invalid-name", "Parameters/bad_name".to_string())
        ]
    );
}

#[test]
fn condition_problems() {
    let t = json!({"Conditions": {"C": "yes"}, "Resources": {"R": {"Type": "A::B"}}});
    assert_eq!(one(t), ("invalid-condition", "Conditions/C".into()));
    assert_eq!(
        one(res(
            json!({"Type": "A::B", "Properties": {"P": {"Fn::If": ["Nope", 1, 2]}}})
        )),
        (
            "unknown-condition",
            "Resources/R/Properties/P/Fn::If/0".into()
        )
    );
}

#[test]
fn output_problems() {
    let t = json!({"Resources": {"R": {"Type": "A::B"}}, "Outputs": {"O": {"Description": "x", "Exports": 1, "Export": {"Value": 1}}}});
    let c: Vec<&str> = codes(t, false).into_iter().map(|c| c.0).collect();
    assert_eq!(c, ["missing-value", "unknown-attribute", "invalid-export"]);
    assert_eq!(
        one(json!({"Resources": {"R": {"Type": "A::B"}}, "Outputs": {"O-1": {"Value": 1}}})).0,
        "invalid-name"
    );
    assert_eq!(one(json!({"Resources": {"R": {"Type": "A::B"}}, "Outputs": {"O": {"Value": 1, "Condition": "X"}}})).0, "unknown-condition");
}

#[test]
fn intrinsic_shapes() {
    for bad in [
        json!({"Ref": 1}),
        json!({"Fn::GetAtt": "NoDot"}),
        json!({"Fn::Sub": [1, 2]}),
        json!({"Fn::If": ["C", 1]}),
        json!({"Fn::Join": "x"}),
        json!({"Fn::Select": [1]}),
        json!({"Fn::Split": [1]}),
        json!({"Fn::FindInMap": ["a"]}),
        json!({"Fn::Cidr": [1]}),
        json!({"Fn::Equals": [1]}),
        json!({"Fn::And": [1]}),
        json!({"Fn::Not": []}),
    ] {
        let c = one(res(
            json!({"Type": "A::B", "Properties": {"P": bad.clone()}}),
        ));
        assert_eq!(c.0, "invalid-argument", "{bad}");
    }
    assert_eq!(
        one(res(
            json!({"Type": "A::B", "Properties": {"P": {"Fn::Join": ["", []], "Other": 1}}})
        ))
        .0,
        "invalid-intrinsic"
    );
    assert_eq!(
        one(res(
            json!({"Type": "A::B", "Properties": {"P": "{{resolve:ssm:}}"}})
        ))
        .0,
        "invalid-dynamic-reference"
    );
}

#[test]
fn too_many_parameters() {
    let mut params = serde_json::Map::new();
    for i in 0..201 {
        params.insert(format!("P{i}"), json!({"Type": "String"}));
    }
    let t = json!({"Parameters": params, "Resources": {"R": {"Type": "A::B"}}});
    assert_eq!(one(t).0, "too-many-parameters");
}
