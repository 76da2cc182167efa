//! The implicit `ServerlessHttpApi` and `HttpApi` events, end to end through `transform`.

use lockgate_sam::{TransformOptions, transform};
use serde_json::{Value, json};

fn function(events: Value) -> Value {
    json!({
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "s3://bucket/code.zip",
            "Handler": "index.handler",
            "Runtime": "python3.12",
            "Events": events
        }
    })
}

fn run(resources: Value) -> Value {
    let template = json!({ "Transform": "AWS::Serverless-2016-10-31", "Resources": resources });
    transform(&template, &TransformOptions::default()).expect("template translates")
}

#[test]
fn event_without_path_makes_default_route_on_implicit_api() {
    let out = run(json!({ "Hello": function(json!({ "Any": { "Type": "HttpApi" } })) }));
    let res = &out["Resources"];
    assert_eq!(res["ServerlessHttpApi"]["Type"], "AWS::ApiGatewayV2::Api");
    let stage = &res["ServerlessHttpApiApiGatewayDefaultStage"];
    assert_eq!(stage["Type"], "AWS::ApiGatewayV2::Stage");
    assert_eq!(stage["Properties"]["StageName"], "$default");
    assert_eq!(stage["Properties"]["AutoDeploy"], true);

    let body = &res["ServerlessHttpApi"]["Properties"]["Body"];
    let route = &body["paths"]["$default"]["x-amazon-apigateway-any-method"];
    assert_eq!(route["isDefaultRoute"], true);
    let integration = &route["x-amazon-apigateway-integration"];
    assert_eq!(integration["payloadFormatVersion"], "2.0");
    assert_eq!(integration["type"], "aws_proxy");
    assert_eq!(
        integration["uri"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Hello.Arn}/invocations" })
    );

    let perm = &res["HelloAnyPermission"];
    assert_eq!(perm["Type"], "AWS::Lambda::Permission");
    assert_eq!(
        perm["Properties"]["SourceArn"],
        json!({ "Fn::Sub": [
            "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/*",
            { "__ApiId__": { "Ref": "ServerlessHttpApi" }, "__Stage__": "*" }
        ]})
    );
}

#[test]
fn route_options_reach_the_integration() {
    let out = run(json!({ "Hello": function(json!({
        "Get": { "Type": "HttpApi", "Properties": {
            "Path": "/items/{id}", "Method": "GET",
            "PayloadFormatVersion": "1.0", "TimeoutInMillis": 1500
        } }
    })) }));
    let res = &out["Resources"];
    let get = &res["ServerlessHttpApi"]["Properties"]["Body"]["paths"]["/items/{id}"]["get"];
    assert_eq!(
        get["x-amazon-apigateway-integration"]["payloadFormatVersion"],
        "1.0"
    );
    assert_eq!(
        get["x-amazon-apigateway-integration"]["timeoutInMillis"],
        1500
    );
    assert_eq!(
        get["parameters"],
        json!([{ "name": "id", "in": "path", "required": true }])
    );
    assert_eq!(
        res["HelloGetPermission"]["Properties"]["SourceArn"]["Fn::Sub"][0],
        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/GET/items/*"
    );
}

#[test]
fn conditional_functions_make_the_implicit_api_conditional() {
    let mut a = function(
        json!({ "A": { "Type": "HttpApi", "Properties": { "Path": "/a", "Method": "get" } } }),
    );
    a["Condition"] = json!("C1");
    let mut b = function(
        json!({ "B": { "Type": "HttpApi", "Properties": { "Path": "/b", "Method": "get" } } }),
    );
    b["Condition"] = json!("C2");
    let template = json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Conditions": { "C1": { "Fn::Equals": ["a", "a"] }, "C2": { "Fn::Equals": ["b", "b"] } },
        "Resources": { "A": a, "B": b }
    });
    let out = transform(&template, &TransformOptions::default()).expect("translates");
    assert_eq!(
        out["Resources"]["ServerlessHttpApi"]["Condition"],
        "ServerlessHttpApiCondition"
    );
    assert_eq!(
        out["Conditions"]["ServerlessHttpApiCondition"],
        json!({ "Fn::Or": [{ "Condition": "C1" }, { "Condition": "C2" }] })
    );
    let paths = &out["Resources"]["ServerlessHttpApi"]["Properties"]["Body"]["paths"];
    assert_eq!(paths["/a"]["Fn::If"][0], "C1");
    assert_eq!(paths["/b"]["Fn::If"][0], "C2");
}

#[test]
fn same_route_twice_is_rejected() {
    let template = json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "One": function(json!({ "E1": { "Type": "HttpApi" } })),
            "Two": function(json!({ "E2": { "Type": "HttpApi" } }))
        }
    });
    let err = transform(&template, &TransformOptions::default()).expect_err("duplicate route");
    assert_eq!(
        err.to_string(),
        "Invalid Serverless Application Specification document. Number of errors found: 1. Resource with id [Two] is invalid. Event with id [E2] is invalid. API method 'x-amazon-apigateway-any-method' defined multiple times for path '$default'."
    );
}

#[test]
fn event_properties_must_be_a_map() {
    let template = json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": { "Fn": function(json!({ "Bad": { "Type": "HttpApi", "Properties": "nope" } })) }
    });
    let err = transform(&template, &TransformOptions::default()).expect_err("invalid event");
    assert!(
        err.to_string()
            .ends_with("Resource with id [Fn] is invalid. Event with id [Bad] is invalid. Properties should be a map."),
        "{err}"
    );
}
