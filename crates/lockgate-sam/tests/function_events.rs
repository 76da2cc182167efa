//! Event sources of `AWS::Serverless::Function`, checked against the AWS SAM
//! translator's output for the same templates (corpus cases `s3`, `sns_sqs`,
//! `function_with_deployment_preference`).

use lockgate_sam::transform;
use serde_json::{Value, json};

mod common;
use common::opts;

fn function(props: Value) -> Value {
    let mut base = json!({"InlineCode": "x", "Handler": "index.handler", "Runtime": "nodejs12.x"});
    if let (Value::Object(b), Value::Object(p)) = (&mut base, props) {
        b.extend(p);
    }
    json!({"Type": "AWS::Serverless::Function", "Properties": base})
}

#[test]
fn s3_event_adds_a_notification_and_a_dependency_to_the_bucket() {
    let template = json!({"Resources": {
        "ThumbnailFunction": function(json!({"Events": {"ImageBucket": {"Type": "S3", "Properties": {
            "Bucket": {"Ref": "Images"}, "Events": "s3:ObjectCreated:*"
        }}}})),
        "Images": {"Type": "AWS::S3::Bucket"}
    }});
    let out = transform(&template, &opts()).unwrap();
    assert_eq!(
        out["Resources"]["Images"],
        json!({
            "Type": "AWS::S3::Bucket",
            "DependsOn": ["ThumbnailFunctionImageBucketPermission"],
            "Properties": {"NotificationConfiguration": {"LambdaConfigurations": [
                {"Function": {"Fn::GetAtt": ["ThumbnailFunction", "Arn"]}, "Event": "s3:ObjectCreated:*"}
            ]}}
        })
    );
    assert_eq!(
        out["Resources"]["ThumbnailFunctionImageBucketPermission"]["Properties"],
        json!({
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": "ThumbnailFunction"},
            "Principal": "s3.amazonaws.com",
            "SourceAccount": {"Ref": "AWS::AccountId"}
        })
    );
}

#[test]
fn s3_event_outside_the_template_is_rejected() {
    let template = json!({"Resources": {"Function": function(json!({"Events": {"ImageBucket": {
        "Type": "S3", "Properties": {"Bucket": "some-bucket", "Events": "s3:ObjectCreated:*"}
    }}}))}});
    assert_eq!(
        transform(&template, &opts()).unwrap_err().to_string(),
        "Invalid Serverless Application Specification document. Number of errors found: 1. Resource with id [Function] is invalid. Event with id [ImageBucket] is invalid. S3 events must reference an S3 bucket in the same template."
    );
}

#[test]
fn sns_sqs_subscription_creates_queue_policy_and_mapping() {
    let template = json!({"Resources": {"F": function(json!({"Events": {"N": {"Type": "SNS", "Properties": {
        "Topic": "arn:aws:sns:us-east-1:123456789012:notifications", "SqsSubscription": true
    }}}}))}});
    let out = transform(&template, &opts()).unwrap();
    let r = &out["Resources"];
    assert_eq!(
        r["FNQueue"],
        json!({"Type": "AWS::SQS::Queue", "Properties": {}})
    );
    assert_eq!(r["FN"]["Properties"]["Protocol"], json!("sqs"));
    assert_eq!(
        r["FN"]["Properties"]["Endpoint"],
        json!({"Fn::GetAtt": ["FNQueue", "Arn"]})
    );
    assert_eq!(
        r["FNEventSourceMapping"]["Properties"],
        json!({"BatchSize": 10, "Enabled": true, "EventSourceArn": {"Fn::GetAtt": ["FNQueue", "Arn"]}, "FunctionName": {"Ref": "F"}})
    );
    assert_eq!(
        r["FNQueuePolicy"]["Properties"]["Queues"],
        json!([{"Ref": "FNQueue"}])
    );
    let arns = r["FRole"]["Properties"]["ManagedPolicyArns"]
        .as_array()
        .unwrap();
    assert!(arns.contains(&json!(
        "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"
    )));
}

#[test]
fn schedule_with_generated_dead_letter_queue() {
    let template = json!({"Resources": {"F": function(json!({"Events": {"S": {"Type": "Schedule", "Properties": {
        "Schedule": "rate(1 minute)", "DeadLetterConfig": {"Type": "SQS"}
    }}}}))}});
    let out = transform(&template, &opts()).unwrap();
    let r = &out["Resources"];
    assert_eq!(
        r["FS"]["Properties"]["Targets"],
        json!([{"Arn": {"Fn::GetAtt": ["F", "Arn"]}, "Id": "FSLambdaTarget", "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["FSQueue", "Arn"]}}}])
    );
    assert_eq!(r["FSQueue"]["Type"], json!("AWS::SQS::Queue"));
    assert_eq!(r["FSQueuePolicy"]["Type"], json!("AWS::SQS::QueuePolicy"));
    assert_eq!(
        r["FSPermission"]["Properties"]["SourceArn"],
        json!({"Fn::GetAtt": ["FS", "Arn"]})
    );
}

#[test]
fn deployment_preference_adds_codedeploy_resources_and_update_policy() {
    let template = json!({"Resources": {"F": function(json!({
        "AutoPublishAlias": "live",
        "DeploymentPreference": {"Type": "Linear10PercentEvery3Minutes"}
    }))}});
    let out = transform(&template, &opts()).unwrap();
    let r = &out["Resources"];
    assert_eq!(
        r["ServerlessDeploymentApplication"],
        json!({"Type": "AWS::CodeDeploy::Application", "Properties": {"ComputePlatform": "Lambda"}})
    );
    assert_eq!(r["CodeDeployServiceRole"]["Type"], json!("AWS::IAM::Role"));
    assert_eq!(
        r["FDeploymentGroup"]["Properties"]["DeploymentConfigName"],
        json!({"Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}", {"ConfigName": "Linear10PercentEvery3Minutes"}]})
    );
    assert_eq!(
        r["FAliaslive"]["UpdatePolicy"],
        json!({"CodeDeployLambdaAliasUpdate": {
            "ApplicationName": {"Ref": "ServerlessDeploymentApplication"},
            "DeploymentGroupName": {"Ref": "FDeploymentGroup"}
        }})
    );
}

#[test]
fn deployment_preference_without_alias_is_rejected() {
    let template = json!({"Resources": {"F": function(json!({
        "DeploymentPreference": {"Type": "AllAtOnce"}
    }))}});
    assert!(
        transform(&template, &opts())
            .unwrap_err()
            .to_string()
            .ends_with("Resource with id [F] is invalid. 'DeploymentPreference' requires AutoPublishAlias property to be specified.")
    );
}
