//! Explicit `AWS::Serverless::Api` resources: stages, authorizers, CORS,
//! OpenAPI 3 (expected values from the AWS SAM translator's output).

use lockgate_sam::transform;
use serde_json::{Value, json};

mod common;
use common::{opts, resources};

fn authorized_api() -> Value {
    json!({"Resources": {
        "MyApi": {"Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "v1-beta", "OpenApiVersion": "3.0.1",
            "Cors": {"AllowOrigin": "'https://example.com'", "AllowHeaders": "'Content-Type'"},
            "Auth": {"DefaultAuthorizer": "TokenAuth", "Authorizers": {
                "TokenAuth": {"FunctionArn": {"Fn::GetAtt": ["AuthFn", "Arn"]}, "Identity": {"ReauthorizeEvery": 60}},
                "Pool": {"UserPoolArn": "arn:aws:cognito-idp:ap-southeast-1:123456789012:userpool/x"}}}}},
        "AuthFn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://b/k", "Handler": "h", "Runtime": "python3.12"}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "s3://b/k", "Handler": "h", "Runtime": "python3.12",
            "Events": {
                "Open": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "MyApi"}, "Path": "/open", "Method": "get", "Auth": {"Authorizer": "NONE"}}},
                "Secure": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "MyApi"}, "Path": "/secure", "Method": "post", "Auth": {"Authorizer": "Pool"}}}}}}
    },
    "Outputs": {"Stage": {"Value": {"Ref": "MyApi.Stage"}}}})
}

#[test]
fn stage_names_that_are_not_alphanumeric_get_hashed_ids() {
    let out = transform(&authorized_api(), &opts()).expect("template translates");
    let res = resources(&out);
    assert!(res.contains_key("MyApiStage2817521297"));
    assert!(res.contains_key("FnOpenPermission2817521297"));
    assert!(res.contains_key("FnSecurePermission2817521297"));
    assert_eq!(
        out["Outputs"]["Stage"]["Value"],
        json!({"Ref": "MyApiStage2817521297"})
    );
    // OpenApiVersion drops the extra "Stage" stage of the deployment.
    let (_, deployment) = res
        .iter()
        .find(|(k, _)| k.starts_with("MyApiDeployment"))
        .expect("a deployment");
    assert!(deployment["Properties"].get("StageName").is_none());
}

#[test]
fn lambda_authorizers_get_a_permission_and_security_schemes() {
    let out = transform(&authorized_api(), &opts()).expect("template translates");
    let res = resources(&out);
    assert_eq!(
        res["MyApiTokenAuthAuthorizerPermission"]["Properties"],
        json!({"Action": "lambda:InvokeFunction", "FunctionName": {"Fn::GetAtt": ["AuthFn", "Arn"]},
            "Principal": "apigateway.amazonaws.com", "SourceArn": {"Fn::Sub": [
                "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*",
                {"__ApiId__": {"Ref": "MyApi"}}]}})
    );
    assert!(!res.contains_key("MyApiPoolAuthorizerPermission"));
    let body = &res["MyApi"]["Properties"]["Body"];
    assert_eq!(body["openapi"], json!("3.0.1"));
    assert!(body.get("securityDefinitions").is_none());
    let schemes = &body["components"]["securitySchemes"];
    assert_eq!(
        schemes["TokenAuth"]["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"],
        json!(60)
    );
    assert_eq!(
        schemes["Pool"]["x-amazon-apigateway-authtype"],
        json!("cognito_user_pools")
    );
    assert_eq!(
        body["paths"]["/secure"]["post"]["security"],
        json!([{"Pool": []}])
    );
    assert_eq!(
        body["paths"]["/open"]["get"]["security"],
        json!([{"NONE": []}])
    );
}

#[test]
fn cors_adds_an_options_method_per_path() {
    let out = transform(&authorized_api(), &opts()).expect("template translates");
    let options = &resources(&out)["MyApi"]["Properties"]["Body"]["paths"]["/secure"]["options"];
    let params =
        &options["x-amazon-apigateway-integration"]["responses"]["default"]["responseParameters"];
    assert_eq!(
        params["method.response.header.Access-Control-Allow-Origin"],
        json!("'https://example.com'")
    );
    assert_eq!(
        params["method.response.header.Access-Control-Allow-Methods"],
        json!("'OPTIONS,POST'")
    );
    assert_eq!(options["security"], json!([{"TokenAuth": []}]));
    // OpenAPI 3: no consumes/produces, header types wrapped in a schema.
    assert!(options.get("consumes").is_none());
    assert!(
        options["responses"]["200"]["headers"]["Access-Control-Allow-Origin"]["schema"].is_object()
    );
}

#[test]
fn definition_uri_becomes_body_s3_location() {
    let template = json!({"Resources": {"Api": {"Type": "AWS::Serverless::Api", "Properties": {
        "StageName": "Prod", "DefinitionUri": "s3://bucket/spec.yaml?versionId=3"}}}});
    let out = transform(&template, &opts()).expect("template translates");
    assert_eq!(
        resources(&out)["Api"]["Properties"]["BodyS3Location"],
        json!({"Bucket": "bucket", "Key": "spec.yaml", "Version": "3"})
    );
}

#[test]
fn events_on_a_plain_cloudformation_rest_api_only_get_permissions() {
    let template = json!({"Resources": {
        "CfnApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "x"}},
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "FunctionName": "named", "CodeUri": "s3://b/k", "Handler": "h", "Runtime": "python3.12",
            "Events": {"E": {"Type": "Api", "Properties": {"RestApiId": {"Ref": "CfnApi"}, "Path": "/x", "Method": "get"}}}}}
    }});
    let out = transform(&template, &opts()).expect("template translates");
    let res = resources(&out);
    assert_eq!(
        res["CfnApi"],
        json!({"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "x"}})
    );
    // Without a StageName to read, the permission is named after the "Stage" suffix.
    assert!(res.contains_key("FnEPermissionStage"));
}
