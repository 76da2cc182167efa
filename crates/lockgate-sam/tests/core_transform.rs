//! End-to-end checks of the translation flow on small templates (expected
//! values taken from the AWS SAM translator's outputs for the same inputs).

use lockgate_sam::transform;
use serde_json::json;

mod common;
use common::{err, opts};

#[test]
fn missing_resources_is_a_structure_error() {
    assert_eq!(
        err(json!({"Transform": "AWS::Serverless-2016-10-31"})),
        "Invalid Serverless Application Specification document. Number of errors found: 1. Structure of the SAM template is invalid. 'Resources' section is required"
    );
}

#[test]
fn non_map_globals_are_rejected() {
    assert_eq!(
        err(json!({"Globals": "x", "Resources": {"T": {"Type": "AWS::SNS::Topic"}}})),
        "Invalid Serverless Application Specification document. Number of errors found: 1. 'Globals' section is invalid. It must be a non-empty dictionary"
    );
}

#[test]
fn errors_are_reported_sorted_by_logical_id() {
    let fn_without_runtime = json!({"Type": "AWS::Serverless::Function", "Properties": {"Handler": "h", "CodeUri": "s3://b/k"}});
    let message =
        err(json!({"Resources": {"B": fn_without_runtime.clone(), "A": fn_without_runtime}}));
    assert_eq!(
        message,
        "Invalid Serverless Application Specification document. Number of errors found: 2. Resource with id [A] is invalid. Runtime and Handler needs to be present when PackageType is of type `Zip` Resource with id [B] is invalid. Runtime and Handler needs to be present when PackageType is of type `Zip`"
    );
}

#[test]
fn other_resources_pass_through_and_transform_is_removed() {
    let out = transform(
        &json!({
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}
        }),
        &opts(),
    )
    .unwrap();
    assert_eq!(
        out,
        json!({"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}}})
    );
}

#[test]
fn layer_gets_a_hashed_id_and_references_follow() {
    let out = transform(
        &json!({
            "Resources": {
                "Layer": {"Type": "AWS::Serverless::LayerVersion", "Properties": {"ContentUri": "s3://bucket/layer.zip"}},
                "Other": {"Type": "AWS::SNS::Topic", "DependsOn": "Layer", "Properties": {"TopicName": {"Ref": "Layer"}}}
            }
        }),
        &opts(),
    )
    .unwrap();
    let resources = out["Resources"].as_object().unwrap();
    let layer_id = resources
        .keys()
        .find(|k| k.starts_with("Layer"))
        .unwrap()
        .clone();
    assert_eq!(layer_id.len(), "Layer".len() + 10);
    assert_eq!(resources[&layer_id]["DeletionPolicy"], json!("Retain"));
    assert_eq!(
        resources[&layer_id]["Properties"]["LayerName"],
        json!("Layer")
    );
    assert_eq!(resources["Other"]["DependsOn"], json!(layer_id));
    assert_eq!(
        resources["Other"]["Properties"]["TopicName"],
        json!({"Ref": layer_id})
    );
}

#[test]
fn simple_table_defaults_to_an_id_hash_key() {
    let out = transform(
        &json!({"Resources": {"T": {"Type": "AWS::Serverless::SimpleTable"}}}),
        &opts(),
    )
    .unwrap();
    assert_eq!(
        out["Resources"]["T"],
        json!({"Type": "AWS::DynamoDB::Table", "Properties": {
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }})
    );
}
