//! Custom domains (REST and HTTP) sharing Route 53 record set groups, and usage plans.

use lockgate_sam::{TransformOptions, transform};
use serde_json::{Value, json};

// sha1("api.example.com")[:10], sha1("rest.example.com")[:10], sha1("Z123456")[:10]
const HTTP_DOMAIN: &str = "ApiGatewayDomainNameV21bc412bb08";
const REST_DOMAIN: &str = "ApiGatewayDomainName52781f864e";
const RECORD_SET_GROUP: &str = "RecordSetGroup1bf22aee6c";

fn fn_with(event: Value) -> Value {
    json!({
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "InlineCode": "x", "Handler": "index.handler", "Runtime": "nodejs20.x",
            "Events": { "E": event }
        }
    })
}

fn domain_template() -> Value {
    json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "Http": { "Type": "AWS::Serverless::HttpApi", "Properties": {
                "Domain": { "DomainName": "api.example.com", "CertificateArn": "arn:cert",
                    "BasePath": ["/v1"], "Route53": { "HostedZoneId": "Z123456", "IpV6": true } }
            } },
            "Rest": { "Type": "AWS::Serverless::Api", "Properties": {
                "StageName": "prod",
                "Domain": { "DomainName": "rest.example.com", "CertificateArn": "arn:cert",
                    "Route53": { "HostedZoneId": "Z123456" } }
            } },
            "F1": fn_with(json!({ "Type": "HttpApi", "Properties": { "ApiId": { "Ref": "Http" } } })),
            "F2": fn_with(json!({ "Type": "Api", "Properties": { "RestApiId": { "Ref": "Rest" }, "Path": "/", "Method": "get" } }))
        }
    })
}

#[test]
fn domains_share_one_record_set_group_per_hosted_zone() {
    let out = transform(&domain_template(), &TransformOptions::default()).expect("translates");
    let res = &out["Resources"];
    assert_eq!(res[HTTP_DOMAIN]["Type"], "AWS::ApiGatewayV2::DomainName");
    assert_eq!(res[REST_DOMAIN]["Type"], "AWS::ApiGateway::DomainName");
    assert_eq!(res["Httpv1ApiMapping"]["Properties"]["ApiMappingKey"], "v1");
    assert_eq!(
        res["Httpv1ApiMapping"]["Properties"]["Stage"],
        json!({ "Ref": "HttpApiGatewayDefaultStage" })
    );
    assert_eq!(
        res["RestBasePathMapping"]["Properties"]["Stage"],
        json!({ "Ref": "RestprodStage" })
    );
    let records = res[RECORD_SET_GROUP]["Properties"]["RecordSets"]
        .as_array()
        .expect("records");
    let names: Vec<(&str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["Name"].as_str().unwrap_or(""),
                r["Type"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        names,
        vec![
            ("api.example.com", "A"),
            ("api.example.com", "AAAA"),
            ("rest.example.com", "A")
        ]
    );
}

#[test]
fn route53_needs_a_hosted_zone() {
    let mut t = domain_template();
    t["Resources"]["Rest"]["Properties"]["Domain"]["Route53"] =
        json!({ "EvaluateTargetHealth": true });
    let err = transform(&t, &TransformOptions::default()).expect_err("no zone");
    assert!(
        err.to_string().ends_with(
            "Resource with id [Rest] is invalid. HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains."
        ),
        "{err}"
    );
}

#[test]
fn http_domains_are_regional_only() {
    let mut t = domain_template();
    t["Resources"]["Http"]["Properties"]["Domain"]["EndpointConfiguration"] = json!("EDGE");
    let err = transform(&t, &TransformOptions::default()).expect_err("edge http domain");
    assert!(
        err.to_string().ends_with(
            "Resource with id [Http] is invalid. EndpointConfiguration for Custom Domains must be one of ['REGIONAL']."
        ),
        "{err}"
    );
}

#[test]
fn shared_usage_plan_collects_every_api() {
    let api = |name: &str| {
        json!({ "Type": "AWS::Serverless::Api", "Properties": {
            "StageName": "prod",
            "Auth": { "ApiKeyRequired": true, "UsagePlan": { "CreateUsagePlan": "SHARED" } },
            "DefinitionBody": { "swagger": "2.0", "info": { "title": name }, "paths": {} }
        } })
    };
    let t = json!({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": { "A": api("a"), "B": api("b") }
    });
    let out = transform(&t, &TransformOptions::default()).expect("translates");
    let plan = &out["Resources"]["ServerlessUsagePlan"];
    assert_eq!(plan["DependsOn"], json!(["A", "B"]));
    assert_eq!(
        plan["Properties"]["ApiStages"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        out["Resources"]["ServerlessApiKey"]["Properties"]["StageKeys"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        out["Resources"]["ServerlessUsagePlanKey"]["Properties"]["KeyType"],
        "API_KEY"
    );
}
