use super::*;
use serde_json::json;

fn decl(v: Value) -> Parameter {
    Parameter::from_json("P", &v).expect("valid declaration")
}

fn decl_err(v: Value) -> Vec<ParamProblem> {
    Parameter::from_json("P", &v).expect_err("invalid declaration")
}

#[test]
fn types_parse() {
    assert_eq!(ParamType::parse("String"), Some(ParamType::String));
    assert_eq!(
        ParamType::parse("List<Number>"),
        Some(ParamType::NumberList)
    );
    assert_eq!(
        ParamType::parse("AWS::EC2::VPC::Id"),
        Some(ParamType::Aws("AWS::EC2::VPC::Id".into()))
    );
    assert_eq!(
        ParamType::parse("List<AWS::EC2::Subnet::Id>"),
        Some(ParamType::AwsList("AWS::EC2::Subnet::Id".into()))
    );
    assert_eq!(
        ParamType::parse("AWS::SSM::Parameter::Value<String>"),
        Some(ParamType::Ssm("String".into()))
    );
    assert!(
        ParamType::parse("AWS::SSM::Parameter::Value<List<String>>")
            .unwrap()
            .is_list()
    );
    assert_eq!(ParamType::parse("Strin"), None);
    assert_eq!(ParamType::parse("List<Foo>"), None);
}

#[test]
fn unknown_type_is_reported() {
    let p = decl_err(json!({"Type": "Strng"}));
    assert!(p[0].message.contains("unknown type `Strng`"));
    assert_eq!(p[0].property, Some("Type"));
}

#[test]
fn missing_type_is_reported() {
    assert!(decl_err(json!({}))[0].message.contains("has no `Type`"));
}

#[test]
fn non_map_declaration_is_reported() {
    assert!(
        decl_err(json!("String"))[0]
            .message
            .contains("must be a mapping")
    );
}

#[test]
fn unknown_property_is_reported() {
    assert!(
        decl_err(json!({"Type": "String", "Defualt": "x"}))[0]
            .message
            .contains("unknown property `Defualt`")
    );
}

#[test]
fn a_bad_pattern_does_not_refuse_the_declaration() {
    let p = Parameter::from_json(
        "P",
        &json!({"Type": "String", "AllowedPattern": "[a-", "Default": "x"}),
    )
    .expect("accepted: the loader warns instead");
    let pattern = p.allowed_pattern.as_ref().expect("kept");
    assert!(pattern.error.is_some());
    assert!(p.check("anything").is_empty());
}

#[test]
fn patterns_use_cloudformation_s_java_dialect() {
    let p = Parameter::from_json(
        "Pw",
        &json!({"Type": "String", "AllowedPattern": "(?=.*\\d)\\p{Alnum}{8,}+"}),
    )
    .expect("compiles");
    assert!(p.check("abcdefg1").is_empty());
    assert_eq!(p.check("abcdefgh").len(), 1);
}

#[test]
fn non_number_bounds_are_reported() {
    assert!(
        decl_err(json!({"Type": "Number", "MinValue": "x"}))[0]
            .message
            .contains("must be a number")
    );
}

#[test]
fn non_list_allowed_values_are_reported() {
    assert!(
        decl_err(json!({"Type": "String", "AllowedValues": "a"}))[0]
            .message
            .contains("must be a list")
    );
    assert!(
        decl_err(json!({"Type": "String", "AllowedValues": [[1]]}))[0]
            .message
            .contains("plain values")
    );
}

#[test]
fn non_scalar_default_is_reported() {
    assert!(
        decl_err(json!({"Type": "String", "Default": {"a": 1}}))[0]
            .message
            .contains("must be a plain value")
    );
}

#[test]
fn invalid_default_is_reported() {
    let p = decl_err(json!({"Type": "String", "Default": "c", "AllowedValues": ["a", "b"]}));
    assert!(
        p[0].message
            .starts_with("the default value of parameter `P` is invalid")
    );
    assert_eq!(p[0].property, Some("Default"));
}

#[test]
fn allowed_values() {
    let p = decl(json!({"Type": "String", "AllowedValues": ["dev", "prod"]}));
    assert!(p.check("dev").is_empty());
    let e = p.check("qa");
    assert_eq!(
        e[0].message,
        "parameter `P` has a value `qa` that is not allowed"
    );
    assert_eq!(e[0].help.as_deref(), Some("expected one of: dev, prod"));
}

#[test]
fn pattern_is_anchored() {
    let p = decl(
        json!({"Type": "String", "AllowedPattern": "[a-z]+", "ConstraintDescription": "lower case only"}),
    );
    assert!(p.check("abc").is_empty());
    let e = p.check("abc1");
    assert_eq!(
        e[0].message,
        "parameter `P` does not match its allowed pattern"
    );
    assert_eq!(
        e[0].help.as_deref(),
        Some("lower case only (expected a value matching `[a-z]+`, got `abc1`)")
    );
}

#[test]
fn lengths_and_numbers() {
    let p = decl(json!({"Type": "String", "MinLength": 2, "MaxLength": 3}));
    assert!(p.check("a")[0].message.contains("too short"));
    assert!(p.check("abcd")[0].message.contains("too long"));
    let n = decl(json!({"Type": "Number", "MinValue": 1, "MaxValue": 10}));
    assert!(n.check("5").is_empty());
    assert!(n.check("0")[0].message.contains("below its minimum"));
    assert!(n.check("11")[0].message.contains("above its maximum"));
    assert!(n.check("x")[0].message.contains("must be a number"));
    let l = decl(json!({"Type": "List<Number>"}));
    assert!(l.check("1,2, 3").is_empty());
    assert!(!l.check("1,a").is_empty());
}

#[test]
fn no_echo_values_are_never_shown() {
    let p = decl(
        json!({"Type": "String", "NoEcho": true, "AllowedPattern": "[0-9]+", "AllowedValues": ["1"]}),
    );
    let all: String = p
        .check("hunter2")
        .iter()
        .map(|e| format!("{} {:?}", e.message, e.help))
        .collect();
    assert!(!all.contains("hunter2"), "{all}");
    assert_eq!(p.display_value("hunter2"), "****");
}

#[test]
fn ref_values() {
    let l = decl(json!({"Type": "CommaDelimitedList"}));
    assert_eq!(l.ref_value("a, b,c"), json!(["a", "b", "c"]));
    assert_eq!(decl(json!({"Type": "Number"})).ref_value("3"), json!("3"));
}

#[test]
fn overrides_sam_style() {
    let o =
        Overrides::parse_args(&["A=1 B='x y'", "ParameterKey=C,ParameterValue=p,q", "D="]).unwrap();
    assert_eq!(
        o.0,
        vec![
            ("A".into(), "1".into()),
            ("B".into(), "x y".into()),
            ("C".into(), "p,q".into()),
            ("D".into(), String::new())
        ]
    );
    assert_eq!(o.get("C"), Some("p,q"));
}

#[test]
fn overrides_errors() {
    assert!(
        Overrides::parse_args(&["A"])
            .unwrap_err()
            .message
            .contains("expected `KEY=VALUE`")
    );
    assert!(
        Overrides::parse_args(&["ParameterKey=A"])
            .unwrap_err()
            .message
            .contains("ParameterValue")
    );
    assert!(
        Overrides::parse_args(&["A-b=1"])
            .unwrap_err()
            .message
            .contains("alphanumeric")
    );
    assert!(
        Overrides::parse_args(&["A='x"])
            .unwrap_err()
            .message
            .contains("unbalanced quote")
    );
}

#[test]
fn overrides_from_json() {
    let o = Overrides::from_json_str(r#"[{"ParameterKey": "A", "ParameterValue": "1"}]"#).unwrap();
    assert_eq!(o.get("A"), Some("1"));
    let o = Overrides::from_json_str(r#"{"A": 2, "B": ["x", "y"]}"#).unwrap();
    assert_eq!(o.get("A"), Some("2"));
    assert_eq!(o.get("B"), Some("x,y"));
    assert!(Overrides::from_json_str("[1]").is_err());
    assert!(Overrides::from_json_str("{").is_err());
    assert!(Overrides::from_json_str("3").is_err());
    assert!(Overrides::from_json_str(r#"{"A": {}}"#).is_err());
}

#[test]
fn redaction() {
    assert_eq!(redact("pw=secret!", &["secret"]), "pw=****!");
    let mut v = json!({"a": ["xsecretx", 1, "ab"], "b": "ok", "c": "xabx"});
    redact_json(&mut v, &["secret", "", "ab"]);
    assert_eq!(
        v,
        json!({"a": ["x****x", 1, "****"], "b": "ok", "c": "xabx"})
    );
}
