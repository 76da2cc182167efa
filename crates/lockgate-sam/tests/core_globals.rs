//! The `Globals` section: merging rules and errors, as the translator applies them.

use lockgate_sam::transform;
use serde_json::json;

mod common;
use common::opts;

#[test]
fn function_globals_merge_into_functions() {
    let template = json!({
        "Globals": {"Function": {
            "Runtime": "python3.12", "Handler": "index.handler", "MemorySize": 256,
            "Environment": {"Variables": {"A": "1"}}, "Tags": {"team": "x"}
        }},
        "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
            "InlineCode": "x", "MemorySize": 512, "Environment": {"Variables": {"B": "2"}}
        }}}
    });
    let out = transform(&template, &opts()).unwrap();
    let p = &out["Resources"]["F"]["Properties"];
    assert_eq!(p["MemorySize"], json!(512));
    assert_eq!(p["Runtime"], json!("python3.12"));
    assert_eq!(p["Environment"], json!({"Variables": {"A": "1", "B": "2"}}));
    assert_eq!(
        p["Tags"],
        json!([{"Key": "lambda:createdBy", "Value": "SAM"}, {"Key": "team", "Value": "x"}])
    );
    assert!(out.get("Globals").is_none());
}

#[test]
fn ignore_globals_skips_the_named_properties() {
    let template = json!({
        "Globals": {"Function": {"Runtime": "python3.12", "Timeout": 30}},
        "Resources": {"F": {"Type": "AWS::Serverless::Function", "IgnoreGlobals": ["Timeout"], "Properties": {
            "InlineCode": "x", "Handler": "h"
        }}}
    });
    let out = transform(&template, &opts()).unwrap();
    assert!(out["Resources"]["F"]["Properties"].get("Timeout").is_none());
    assert_eq!(
        out["Resources"]["F"]["Properties"]["Runtime"],
        json!("python3.12")
    );
}

#[test]
fn unsupported_global_property_is_rejected() {
    let template = json!({
        "Globals": {"Function": {"FunctionName": "x"}},
        "Resources": {"T": {"Type": "AWS::SNS::Topic"}}
    });
    let message = transform(&template, &opts()).unwrap_err().to_string();
    assert!(message.starts_with(
        "Invalid Serverless Application Specification document. Number of errors found: 1. 'Globals' section is invalid. 'FunctionName' is not a supported property of 'Function'. Must be one of the following values - ['Handler', 'Runtime',"
    ));
}
