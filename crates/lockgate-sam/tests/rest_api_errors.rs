//! REST API templates the translator rejects, with its wording.

use serde_json::{Value, json};

mod common;
use common::err;

const PREFIX: &str =
    "Invalid Serverless Application Specification document. Number of errors found: 1. ";

fn api(props: Value) -> Value {
    json!({"Resources": {"Api": {"Type": "AWS::Serverless::Api", "Properties": props}}})
}

#[test]
fn credentials_need_an_explicit_origin() {
    let message = err(api(
        json!({"StageName": "Prod", "Cors": {"AllowCredentials": true}}),
    ));
    assert_eq!(
        message,
        format!(
            "{PREFIX}Resource with id [Api] is invalid. Unable to add Cors configuration because 'AllowCredentials' can not be true when 'AllowOrigin' is \"'*'\" or not set"
        )
    );
}

#[test]
fn default_authorizer_must_be_defined() {
    let message = err(api(json!({"StageName": "Prod", "Auth": {
        "DefaultAuthorizer": "NotThere",
        "Authorizers": {"A": {"UserPoolArn": "arn"}}}})));
    assert_eq!(
        message,
        format!(
            "{PREFIX}Resource with id [Api] is invalid. Unable to set DefaultAuthorizer because 'NotThere' was not defined in 'Authorizers'."
        )
    );
}

#[test]
fn open_api_version_is_checked() {
    let message = err(api(json!({"StageName": "Prod", "OpenApiVersion": "5.0"})));
    assert_eq!(
        message,
        format!(
            "{PREFIX}Resource with id [Api] is invalid. The OpenApiVersion value must be of the format '3.0.0'."
        )
    );
}

#[test]
fn rest_api_id_must_name_an_api_of_the_template() {
    let message = err(
        json!({"Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": "s3://b/k", "Handler": "h", "Runtime": "python3.12",
        "Events": {"E": {"Type": "Api", "Properties": {"RestApiId": "Nope", "Path": "/", "Method": "get"}}}}}}}),
    );
    assert_eq!(
        message,
        format!(
            "{PREFIX}Resource with id [Fn] is invalid. Event with id [E] is invalid. RestApiId must be a valid reference to an 'AWS::Serverless::Api' resource in same template."
        )
    );
}

#[test]
fn a_method_authorizer_needs_api_authorizers() {
    let message = err(json!({"Resources": {
        "Api": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "Prod"}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "CodeUri": "s3://b/k", "Handler": "h", "Runtime": "python3.12",
            "Events": {"E": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "Api"}, "Path": "/", "Method": "get",
                "Auth": {"Authorizer": "MyAuth"}}}}}}}}));
    assert_eq!(
        message,
        format!(
            "{PREFIX}Resource with id [Fn] is invalid. Event with id [E] is invalid. Unable to set Authorizer [MyAuth] on API method [get] for path [/] because the related API does not define any Authorizers."
        )
    );
}

#[test]
fn gateway_response_status_codes_are_numeric() {
    let message = err(api(
        json!({"StageName": "Prod", "GatewayResponses": {"DEFAULT_4XX": {"StatusCode": "4xx"}}}),
    ));
    assert_eq!(
        message,
        format!("{PREFIX}Resource with id [Api] is invalid. Property 'StatusCode' must be numeric")
    );
}
