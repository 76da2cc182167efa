//! `AWS::Serverless::StateMachine` and `AWS::Serverless::CapacityProvider`,
//! checked against the AWS SAM translator's output for the same templates
//! (corpus cases `state_machine_with_auto_publish_alias`, `capacity_provider_minimal`).

use lockgate_sam::transform;
use serde_json::json;

mod common;
use common::opts;

#[test]
fn state_machine_with_inline_definition_and_alias() {
    let template = json!({"Resources": {"MyStateMachine": {"Type": "AWS::Serverless::StateMachine", "Properties": {
        "Type": "STANDARD",
        "Definition": {"StartAt": "HelloWorld", "States": {"HelloWorld": {"Type": "Pass", "Result": 1, "End": true}}},
        "Role": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/doesNotExist"},
        "AutoPublishAlias": "test"
    }}}});
    let out = transform(&template, &opts()).unwrap();
    assert_eq!(
        out["Resources"],
        json!({
            "MyStateMachine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "DefinitionString": {"Fn::Join": ["\n", [
                    "{", "    \"StartAt\": \"HelloWorld\",", "    \"States\": {", "        \"HelloWorld\": {",
                    "            \"End\": true,", "            \"Result\": 1,", "            \"Type\": \"Pass\"",
                    "        }", "    }", "}"
                ]]},
                "RoleArn": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/doesNotExist"},
                "StateMachineType": "STANDARD",
                "Tags": [{"Key": "stateMachine:createdBy", "Value": "SAM"}]
            }},
            "MyStateMachineVersion": {
                "Type": "AWS::StepFunctions::StateMachineVersion",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "StateMachineArn": {"Ref": "MyStateMachine"},
                    "StateMachineRevisionId": {"Fn::GetAtt": ["MyStateMachine", "StateMachineRevisionId"]}
                }
            },
            "MyStateMachineAliastest": {"Type": "AWS::StepFunctions::StateMachineAlias", "Properties": {
                "Name": "test",
                "DeploymentPreference": {"Type": "ALL_AT_ONCE", "StateMachineVersionArn": {"Ref": "MyStateMachineVersion"}}
            }}
        })
    );
}

#[test]
fn intrinsics_in_definitions_become_substitutions() {
    let template = json!({"Resources": {"SM": {"Type": "AWS::Serverless::StateMachine", "Properties": {
        "Definition": {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": {"Fn::GetAtt": ["Fn", "Arn"]}, "End": true}}},
        "Policies": [{"LambdaInvokePolicy": {"FunctionName": "f"}}]
    }}}});
    let out = transform(&template, &opts()).unwrap();
    let sm = &out["Resources"]["SM"]["Properties"];
    assert_eq!(
        sm["DefinitionSubstitutions"],
        json!({"definition_substitution_1": {"Fn::GetAtt": ["Fn", "Arn"]}})
    );
    assert_eq!(sm["RoleArn"], json!({"Fn::GetAtt": ["SMRole", "Arn"]}));
    let role = &out["Resources"]["SMRole"]["Properties"];
    assert_eq!(role["Policies"][0]["PolicyName"], json!("SMRolePolicy0"));
}

#[test]
fn state_machine_needs_a_definition() {
    let template = json!({"Resources": {"SM": {"Type": "AWS::Serverless::StateMachine", "Properties": {"Role": "arn"}}}});
    assert!(
        transform(&template, &opts())
            .unwrap_err()
            .to_string()
            .ends_with("Resource with id [SM] is invalid. Either 'Definition' or 'DefinitionUri' property must be specified.")
    );
}

#[test]
fn capacity_provider_gets_an_operator_role() {
    let template = json!({"Resources": {"CP": {"Type": "AWS::Serverless::CapacityProvider", "Properties": {
        "VpcConfig": {"SubnetIds": ["subnet-1"]}
    }}}});
    let out = transform(&template, &opts()).unwrap();
    let r = &out["Resources"];
    assert_eq!(
        r["CP"]["Properties"],
        json!({
            "VpcConfig": {"SubnetIds": ["subnet-1"]},
            "PermissionsConfig": {"CapacityProviderOperatorRoleArn": {"Fn::GetAtt": ["CPOperatorRole", "Arn"]}},
            "Tags": [{"Key": "lambda:createdBy", "Value": "SAM"}]
        })
    );
    assert_eq!(
        r["CPOperatorRole"]["Properties"]["ManagedPolicyArns"],
        json!(["arn:aws:iam::aws:policy/AWSLambdaManagedEC2ResourceOperator"])
    );
}
