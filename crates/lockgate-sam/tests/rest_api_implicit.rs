//! The implicit `ServerlessRestApi` built from functions' `Api` events
//! (expected values from the AWS SAM translator's output for the same inputs).

use lockgate_sam::transform;
use serde_json::{Value, json};

mod common;
use common::{opts, resources};

fn function(events: Value) -> Value {
    json!({"Type": "AWS::Serverless::Function", "Properties": {
        "CodeUri": "s3://b/k", "Handler": "h", "Runtime": "python3.12", "Events": events}})
}

fn find_prefixed<'a>(out: &'a Value, prefix: &str) -> (&'a String, &'a Value) {
    resources(out)
        .iter()
        .find(|(k, _)| k.starts_with(prefix))
        .unwrap_or_else(|| panic!("no resource starting with {prefix}"))
}

#[test]
fn api_events_make_a_rest_api_with_permissions_and_a_prod_stage() {
    let template = json!({"Resources": {"Fn": function(json!({
        "Add": {"Type": "Api", "Properties": {"Path": "/add", "Method": "post"}},
        "Proxy": {"Type": "Api", "Properties": {"Path": "/{proxy+}", "Method": "any"}}
    }))}});
    let out = transform(&template, &opts()).expect("template translates");
    let res = resources(&out);
    assert_eq!(
        res["ServerlessRestApi"]["Type"],
        json!("AWS::ApiGateway::RestApi")
    );
    let body = &res["ServerlessRestApi"]["Properties"]["Body"];
    assert_eq!(body["swagger"], json!("2.0"));
    assert_eq!(
        body["paths"]["/add"]["post"]["x-amazon-apigateway-integration"],
        json!({"type": "aws_proxy", "httpMethod": "POST", "uri": {"Fn::Sub":
            "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}})
    );
    assert!(body["paths"]["/{proxy+}"]["x-amazon-apigateway-any-method"].is_object());
    assert_eq!(
        res["FnAddPermissionProd"]["Properties"],
        json!({"Action": "lambda:InvokeFunction", "FunctionName": {"Ref": "Fn"},
            "Principal": "apigateway.amazonaws.com", "SourceArn": {"Fn::Sub": [
                "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/POST/add",
                {"__ApiId__": {"Ref": "ServerlessRestApi"}, "__Stage__": "*"}]}})
    );
    assert_eq!(
        res["FnProxyPermissionProd"]["Properties"]["SourceArn"]["Fn::Sub"][0],
        json!("arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/*/*")
    );
    let (deployment_id, deployment) = find_prefixed(&out, "ServerlessRestApiDeployment");
    assert_eq!(
        deployment_id.len(),
        "ServerlessRestApiDeployment".len() + 10
    );
    assert_eq!(deployment["Properties"]["StageName"], json!("Stage"));
    assert_eq!(
        res["ServerlessRestApiProdStage"]["Properties"],
        json!({"DeploymentId": {"Ref": deployment_id}, "RestApiId": {"Ref": "ServerlessRestApi"}, "StageName": "Prod"})
    );
}

#[test]
fn no_api_events_means_no_implicit_api() {
    let template = json!({"Resources": {"Fn": function(json!({}))}});
    let out = transform(&template, &opts()).expect("template translates");
    assert!(!resources(&out).contains_key("ServerlessRestApi"));
}

#[test]
fn conditions_of_functions_combine_on_the_api_and_its_paths() {
    let mut a = function(
        json!({"Get": {"Type": "Api", "Properties": {"Path": "/items/{id}", "Method": "get"}}}),
    );
    a["Condition"] = json!("C1");
    let mut b = function(
        json!({"Post": {"Type": "Api", "Properties": {"Path": "/items/{id}", "Method": "ANY"}}}),
    );
    b["Condition"] = json!("C2");
    b["Properties"]["AutoPublishAlias"] = json!("live");
    let template = json!({
        "Conditions": {"C1": {"Fn::Equals": ["a", "a"]}, "C2": {"Fn::Equals": ["a", "b"]}},
        "Resources": {"A": a, "B": b}
    });
    let out = transform(&template, &opts()).expect("template translates");
    let or = json!({"Fn::Or": [{"Condition": "C1"}, {"Condition": "C2"}]});
    assert_eq!(out["Conditions"]["ServerlessRestApiCondition"], or);
    assert_eq!(
        out["Conditions"]["ServerlessRestApiSLASHitemsSLASHOBidCBPathCondition"],
        or
    );
    let res = resources(&out);
    assert_eq!(
        res["ServerlessRestApi"]["Condition"],
        json!("ServerlessRestApiCondition")
    );
    assert_eq!(
        res["ServerlessRestApiProdStage"]["Condition"],
        json!("ServerlessRestApiCondition")
    );
    // The alias is what API Gateway invokes when AutoPublishAlias is set.
    assert_eq!(
        res["BPostPermissionProd"]["Properties"]["FunctionName"],
        json!({"Ref": "BAliaslive"})
    );
    assert_eq!(res["BPostPermissionProd"]["Condition"], json!("C2"));
    let item = &res["ServerlessRestApi"]["Properties"]["Body"]["paths"]["/items/{id}"];
    assert_eq!(
        item["Fn::If"][0],
        json!("ServerlessRestApiSLASHitemsSLASHOBidCBPathCondition")
    );
    let any = &item["Fn::If"][1]["x-amazon-apigateway-any-method"]["Fn::If"];
    assert_eq!(any[0], json!("C2"));
    assert_eq!(
        any[1]["x-amazon-apigateway-integration"]["uri"]["Fn::If"][1],
        json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${BAliaslive}/invocations"})
    );
}

#[test]
fn the_same_method_twice_on_a_path_is_rejected() {
    let template = json!({"Resources": {
        "Function1": function(json!({"AddItem": {"Type": "Api", "Properties": {"Path": "/add", "Method": "post"}}})),
        "Function2": function(json!({"GetHtml": {"Type": "Api", "Properties": {"Path": "/add", "Method": "post"}}}))
    }});
    let err = transform(&template, &opts())
        .expect_err("duplicate method")
        .to_string();
    assert_eq!(
        err,
        "Invalid Serverless Application Specification document. Number of errors found: 1. Resource with id [Function2] is invalid. Event with id [GetHtml] is invalid. API method \"post\" defined multiple times for path \"/add\"."
    );
}

#[test]
fn events_without_path_or_method_are_rejected_by_the_plugin() {
    let template = json!({"Resources": {
        "NoMethod": function(json!({"E": {"Type": "Api", "Properties": {"Path": "/"}}})),
        "NoPath": function(json!({"E": {"Type": "Api", "Properties": {"Method": "get"}}})),
        "NotMap": function(json!({"E": {"Type": "Api", "Properties": "/hello"}}))
    }});
    let err = transform(&template, &opts())
        .expect_err("invalid events")
        .to_string();
    assert_eq!(
        err,
        "Invalid Serverless Application Specification document. Number of errors found: 3. Resource with id [NoMethod] is invalid. Event with id [E] is invalid. Property 'Method' is required. Resource with id [NoPath] is invalid. Event with id [E] is invalid. Property 'Path' is required. Resource with id [NotMap] is invalid. Event with id [E] is invalid. Properties should be a map."
    );
}
