//! Explicit `AWS::Serverless::HttpApi` resources: auth, CORS, stages and errors.

use lockgate_sam::{TransformOptions, transform};
use serde_json::{Value, json};

fn template(api_props: Value, event_props: Value) -> Value {
    json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "MyApi": { "Type": "AWS::Serverless::HttpApi", "Properties": api_props },
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "InlineCode": "x", "Handler": "index.handler", "Runtime": "nodejs20.x",
                    "Events": { "Get": { "Type": "HttpApi", "Properties": event_props } }
                }
            }
        }
    })
}

#[test]
fn authorizers_become_security_schemes_and_permissions() {
    let t = template(
        json!({
            "StageName": "prod",
            "Auth": {
                "DefaultAuthorizer": "Jwt",
                "Authorizers": {
                    "Jwt": {
                        "JwtConfiguration": { "Issuer": "https://issuer", "Audience": ["a"] },
                        "IdentitySource": "$request.header.Authorization",
                        "AuthorizationScopes": ["read"]
                    },
                    "Lambda": {
                        "FunctionArn": { "Fn::GetAtt": ["AuthFn", "Arn"] },
                        "AuthorizerPayloadFormatVersion": "2.0",
                        "EnableFunctionDefaultPermissions": true,
                        "Identity": { "Headers": ["X-Token"] }
                    }
                }
            }
        }),
        json!({ "ApiId": { "Ref": "MyApi" }, "Path": "/items", "Method": "get" }),
    );
    let out = transform(&t, &TransformOptions::default()).expect("translates");
    let res = &out["Resources"];
    assert_eq!(res["MyApiprodStage"]["Type"], "AWS::ApiGatewayV2::Stage");
    let perm = &res["MyApiLambdaAuthorizerPermission"];
    assert_eq!(
        perm["Properties"]["FunctionName"],
        json!({ "Fn::GetAtt": ["AuthFn", "Arn"] })
    );
    let body = &res["MyApi"]["Properties"]["Body"];
    let schemes = &body["components"]["securitySchemes"];
    assert_eq!(
        schemes["Jwt"]["x-amazon-apigateway-authorizer"]["jwtConfiguration"]["issuer"],
        "https://issuer"
    );
    assert_eq!(
        schemes["Lambda"]["x-amazon-apigateway-authorizer"]["identitySource"],
        json!(["$request.header.X-Token"])
    );
    assert_eq!(
        body["paths"]["/items"]["get"]["security"],
        json!([{ "Jwt": ["read"] }])
    );
    assert_eq!(
        body["tags"],
        json!([{ "name": "httpapi:createdBy", "x-amazon-apigateway-tag-value": "SAM" }])
    );
}

#[test]
fn cors_configuration_goes_into_the_body() {
    let t = template(
        json!({ "CorsConfiguration": { "AllowOrigins": ["https://x"], "MaxAge": 60 } }),
        json!({ "ApiId": { "Ref": "MyApi" } }),
    );
    let out = transform(&t, &TransformOptions::default()).expect("translates");
    let cors = &out["Resources"]["MyApi"]["Properties"]["Body"]["x-amazon-apigateway-cors"];
    assert_eq!(
        cors,
        &json!({ "allowOrigins": ["https://x"], "maxAge": 60 })
    );
}

#[test]
fn unknown_event_authorizer_is_rejected() {
    let t = template(
        json!({ "Auth": { "Authorizers": { "A": { "FunctionArn": "arn", "AuthorizerPayloadFormatVersion": "2.0" } } } }),
        json!({ "ApiId": { "Ref": "MyApi" }, "Auth": { "Authorizer": "Missing" } }),
    );
    let err = transform(&t, &TransformOptions::default()).expect_err("bad authorizer");
    assert!(
        err.to_string().ends_with(
            "Event with id [Get] is invalid. Unable to set Authorizer [Missing] on API method [x-amazon-apigateway-any-method] for path [$default] because it wasn't defined in the API's Authorizers."
        ),
        "{err}"
    );
}

#[test]
fn cors_needs_an_inline_body() {
    let t = template(
        json!({ "DefinitionUri": "s3://bucket/api.yaml", "CorsConfiguration": true }),
        json!({ "ApiId": { "Ref": "MyApi" } }),
    );
    let err = transform(&t, &TransformOptions::default()).expect_err("cors with uri");
    assert!(
        err.to_string()
            .ends_with("Resource with id [MyApi] is invalid. Cors works only with inline OpenApi specified in 'DefinitionBody' property."),
        "{err}"
    );
}

#[test]
fn invalid_openapi_body_stops_the_transform_alone() {
    // The translator's InvalidDocumentException drops the causes collected so far.
    let t = json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "B": { "Type": "AWS::Serverless::HttpApi", "Properties": {
                "DefinitionBody": { "info": {} }, "DisableExecuteApiEndpoint": true
            } },
            "C": { "Type": "AWS::Serverless::Function", "Properties": {
                "InlineCode": "x", "Handler": "h", "Runtime": "python3.12",
                "Events": { "E": { "Type": "Schedule", "Properties": { "Foo": 1 } } }
            } }
        }
    });
    let err = transform(&t, &TransformOptions::default()).expect_err("invalid body");
    assert_eq!(
        err.to_string(),
        "Invalid Serverless Application Specification document. Number of errors found: 1. Structure of the SAM template is invalid. Invalid OpenApi document. Invalid values or missing keys for 'openapi' or 'paths' in 'DefinitionBody'."
    );
}
