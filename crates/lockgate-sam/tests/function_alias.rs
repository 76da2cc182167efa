//! `AWS::Serverless::Function` translations checked against the AWS SAM
//! translator's output for the same templates (corpus case `function_with_alias`).

use lockgate_sam::transform;
use serde_json::json;

mod common;
use common::opts;

#[test]
fn auto_publish_alias_makes_a_hashed_version_and_an_alias() {
    let template = json!({"Resources": {"MinimalFunction": {"Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": "s3://sam-demo-bucket/hello.zip", "Handler": "hello.handler", "Runtime": "python2.7",
        "AutoPublishAlias": "live", "VersionDescription": "sam-testing"
    }}}});
    let out = transform(&template, &opts()).unwrap();
    let expected = json!({
        "MinimalFunction": {"Type": "AWS::Lambda::Function", "Properties": {
            "Code": {"S3Bucket": "sam-demo-bucket", "S3Key": "hello.zip"},
            "Handler": "hello.handler",
            "Role": {"Fn::GetAtt": ["MinimalFunctionRole", "Arn"]},
            "Runtime": "python2.7",
            "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}]
        }},
        "MinimalFunctionVersion640128d35d": {"Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain", "Properties": {
            "Description": "sam-testing", "FunctionName": {"Ref": "MinimalFunction"}
        }},
        "MinimalFunctionAliaslive": {"Type": "AWS::Lambda::Alias", "Properties": {
            "Name": "live",
            "FunctionName": {"Ref": "MinimalFunction"},
            "FunctionVersion": {"Fn::GetAtt": ["MinimalFunctionVersion640128d35d", "Version"]}
        }},
        "MinimalFunctionRole": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}}]},
            "ManagedPolicyArns": ["arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
            "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}]
        }}
    });
    assert_eq!(out["Resources"], expected);
}

#[test]
fn alias_references_resolve_to_the_generated_alias() {
    let template = json!({
        "Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
            "InlineCode": "x", "Handler": "h", "Runtime": "python3.12", "AutoPublishAlias": "live"
        }}},
        "Outputs": {"A": {"Value": {"Ref": "F.Alias"}}, "V": {"Value": {"Fn::GetAtt": ["F.Version", "Version"]}}}
    });
    let out = transform(&template, &opts()).unwrap();
    assert_eq!(out["Outputs"]["A"]["Value"], json!({"Ref": "FAliaslive"}));
    let version = out["Outputs"]["V"]["Value"]["Fn::GetAtt"][0]
        .as_str()
        .unwrap();
    assert!(version.starts_with("FVersion") && version.len() == "FVersion".len() + 10);
}

#[test]
fn policy_templates_and_pull_events_shape_the_role() {
    let template = json!({"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x", "Handler": "h", "Runtime": "python3.12",
        "Policies": [{"SQSPollerPolicy": {"QueueName": "q"}}, "AmazonDynamoDBFullAccess"],
        "Events": {"Q": {"Type": "SQS", "Properties": {"Queue": "arn:aws:sqs:us-east-1:1:q"}}}
    }}}});
    let out = transform(&template, &opts()).unwrap();
    let role = &out["Resources"]["FRole"]["Properties"];
    assert_eq!(
        role["ManagedPolicyArns"],
        json!([
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
            "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
        ])
    );
    assert_eq!(role["Policies"][0]["PolicyName"], json!("FRolePolicy0"));
    assert_eq!(
        out["Resources"]["FQ"]["Type"],
        json!("AWS::Lambda::EventSourceMapping")
    );
    assert_eq!(
        out["Resources"]["FQ"]["Properties"]["FunctionName"],
        json!({"Ref": "F"})
    );
}

#[test]
fn unknown_policy_template_parameters_are_reported() {
    let template = json!({"Resources": {"MyFunction": {"Type": "AWS::Serverless::Function", "Properties": {
        "InlineCode": "x", "Handler": "h", "Runtime": "python3.12",
        "Policies": [{"LambdaInvokePolicy": {}}]
    }}}});
    let message = transform(&template, &opts()).unwrap_err().to_string();
    assert!(message.ends_with(
        "Resource with id [MyFunction] is invalid. Following required parameters of template 'LambdaInvokePolicy' don't have values: ['FunctionName']"
    ));
}
