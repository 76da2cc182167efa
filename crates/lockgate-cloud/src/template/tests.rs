use super::*;
use serde_json::json;

fn ctx() -> TemplateContext {
    TemplateContext {
        parameters: BTreeMap::from([("Stage".to_string(), "dev".to_string())]),
        region: "eu-west-1".into(),
        base_dir: PathBuf::from("/app"),
        inline_dir: std::env::temp_dir()
            .join(format!("lockgate-inline-test-{}", std::process::id())),
    }
}

fn uri(f: &str) -> Value {
    json!({"Fn::Sub": format!("arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{f}.Arn}}/invocations")})
}

#[test]
fn functions_and_rest_api_from_a_transformed_template() {
    let t = json!({
        "Parameters": {"Greeting": {"Type": "String", "Default": "hello"}},
        "Resources": {
            "Hello": {"Type": "AWS::Lambda::Function", "Properties": {
                "Code": {"S3Bucket": "lockgate-local", "S3Key": "hello_world/"},
                "Handler": "app.lambda_handler", "Runtime": "python3.12", "Timeout": 7, "MemorySize": "512",
                "ReservedConcurrentExecutions": 3, "Architectures": ["arm64"],
                "Environment": {"Variables": {"GREETING": {"Ref": "Greeting"}, "STAGE": {"Ref": "Stage"}, "REGION": {"Fn::Sub": "${AWS::Region}"}, "T": {"Fn::GetAtt": ["Table", "Arn"]}}},
                "Layers": [{"Ref": "Libs"}, "arn:aws:lambda:eu-west-1:123:layer:x:1"]
            }},
            "Libs": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": {"S3Bucket": "lockgate-local", "S3Key": "libs"}}},
            "ServerlessRestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {"swagger": "2.0", "paths": {
                "/hello": {"get": {"x-amazon-apigateway-integration": {"httpMethod": "POST", "type": "aws_proxy", "uri": uri("Hello")}}},
                "/{proxy+}": {"x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {"httpMethod": "POST", "type": "aws_proxy", "uri": uri("Hello")}}},
                "/mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}
            }, "x-amazon-apigateway-binary-media-types": ["image~1png"]}}},
            "ServerlessRestApiProdStage": {"Type": "AWS::ApiGateway::Stage", "Properties": {"RestApiId": {"Ref": "ServerlessRestApi"}, "StageName": "Prod"}}
        }
    });
    let out = cloud_config(&t, &ctx()).unwrap();
    let f = &out.config.functions[0];
    assert_eq!(f.name, "Hello");
    assert_eq!(f.code_dir, PathBuf::from("/app/hello_world/"));
    assert_eq!(
        (f.timeout, f.memory_mb, f.reserved_concurrency),
        (Duration::from_secs(7), 512, Some(3))
    );
    assert_eq!(f.architecture, "arm64");
    assert_eq!(
        f.environment.get("GREETING").map(String::as_str),
        Some("hello")
    );
    assert_eq!(f.environment.get("STAGE").map(String::as_str), Some("dev"));
    assert_eq!(
        f.environment.get("REGION").map(String::as_str),
        Some("eu-west-1")
    );
    assert_eq!(f.layers, vec![PathBuf::from("/app/libs")]);
    let api = &out.config.apis[0];
    assert_eq!((api.kind, api.stage.as_str()), (ApiKind::Rest, "Prod"));
    assert_eq!(api.binary_media_types, vec!["image/png"]);
    assert_eq!(
        api.routes,
        vec![
            Route {
                method: Some("GET".into()),
                path: "/hello".into(),
                function: "Hello".into(),
                payload: PayloadVersion::V1
            },
            Route {
                method: None,
                path: "/{proxy+}".into(),
                function: "Hello".into(),
                payload: PayloadVersion::V1
            },
        ]
    );
    assert!(
        out.warnings.iter().any(|w| w.contains("mock")),
        "{:?}",
        out.warnings
    );
    assert!(
        out.warnings.iter().any(|w| w.contains("layer")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn http_api_body_and_route_resources() {
    let t = json!({"Resources": {
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"Code": {"S3Bucket": "lockgate-local", "S3Key": "."}, "Handler": "index.handler", "Runtime": "nodejs20.x"}},
        "Named": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": "my-named", "Code": {"S3Bucket": "lockgate-local", "S3Key": "."}, "Handler": "index.handler", "Runtime": "nodejs20.x"}},
        "HttpApi": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"Body": {"openapi": "3.0.1", "paths": {
            "$default": {"x-amazon-apigateway-any-method": {"isDefaultRoute": true, "x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "payloadFormatVersion": "2.0",
                "uri": {"Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}}}},
            "/v1": {"post": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "payloadFormatVersion": "1.0", "uri": uri("Fn")}}}
        }}}},
        "Stage": {"Type": "AWS::ApiGatewayV2::Stage", "Properties": {"ApiId": {"Ref": "HttpApi"}, "StageName": "$default"}},
        "Raw": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "HTTP", "Name": "raw"}},
        "RawInt": {"Type": "AWS::ApiGatewayV2::Integration", "Properties": {"ApiId": {"Ref": "Raw"}, "IntegrationType": "AWS_PROXY",
            "IntegrationUri": "arn:aws:lambda:eu-west-1:123456789012:function:my-named", "PayloadFormatVersion": "2.0"}},
        "RawRoute": {"Type": "AWS::ApiGatewayV2::Route", "Properties": {"ApiId": {"Ref": "Raw"}, "RouteKey": "GET /items/{id}", "Target": {"Fn::Join": ["/", ["integrations", {"Ref": "RawInt"}]]}}}
    }});
    let out = cloud_config(&t, &ctx()).unwrap();
    let http = out
        .config
        .apis
        .iter()
        .find(|a| a.name == "HttpApi")
        .unwrap();
    assert_eq!(http.stage, "$default");
    assert_eq!(
        http.routes[0],
        Route {
            method: None,
            path: "$default".into(),
            function: "Fn".into(),
            payload: PayloadVersion::V2
        }
    );
    assert_eq!(
        http.routes[1],
        Route {
            method: Some("POST".into()),
            path: "/v1".into(),
            function: "Fn".into(),
            payload: PayloadVersion::V1
        }
    );
    let raw = out.config.apis.iter().find(|a| a.name == "Raw").unwrap();
    assert_eq!(
        raw.routes,
        vec![Route {
            method: Some("GET".into()),
            path: "/items/{id}".into(),
            function: "Named".into(),
            payload: PayloadVersion::V2
        }]
    );
}

#[test]
fn unsupported_runtime_is_named() {
    let t = json!({"Resources": {"J": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "java21", "Handler": "x", "Code": {"S3Bucket": "lockgate-local", "S3Key": "."}}}}});
    let err = cloud_config(&t, &ctx()).unwrap_err().to_string();
    assert!(
        err.contains("java21") && err.contains("function J"),
        "{err}"
    );
    let t = json!({"Resources": {"S": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "x.y", "Code": {"S3Bucket": "other", "S3Key": "k.zip"}}}}});
    assert!(
        cloud_config(&t, &ctx())
            .unwrap_err()
            .to_string()
            .contains("not local")
    );
}

#[test]
fn inline_code_is_written_out() {
    let t = json!({"Resources": {"I": {"Type": "AWS::Lambda::Function", "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"}}}}});
    let c = ctx();
    let out = cloud_config(&t, &c).unwrap();
    let dir = &out.config.functions[0].code_dir;
    assert_eq!(
        std::fs::read_to_string(dir.join("index.py")).unwrap(),
        "def handler(e, c):\n    return 1\n"
    );
    let _ = std::fs::remove_dir_all(&c.inline_dir);
}

#[test]
fn routes_to_an_alias_run_its_function() {
    let alias_uri = json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${HelloAliaslive}/invocations"});
    let t = json!({
        "Resources": {
            "Hello": {"Type": "AWS::Lambda::Function", "Properties": {
                "Code": {"S3Bucket": "lockgate-local", "S3Key": "hello/"},
                "Handler": "app.handler", "Runtime": "python3.12"}},
            "HelloVersion1a2b3c": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Hello"}}},
            "HelloAliaslive": {"Type": "AWS::Lambda::Alias", "Properties": {
                "FunctionName": {"Ref": "Hello"},
                "FunctionVersion": {"Fn::GetAtt": ["HelloVersion1a2b3c", "Version"]}, "Name": "live"}},
            "ServerlessRestApi": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Body": {"swagger": "2.0", "paths": {
                "/hello": {"get": {"x-amazon-apigateway-integration": {"httpMethod": "POST", "type": "aws_proxy", "uri": alias_uri}}}
            }}}}
        }
    });
    let out = cloud_config(&t, &ctx()).unwrap();
    let routes = &out.config.apis[0].routes;
    assert_eq!(routes.len(), 1, "{:?}", out.warnings);
    assert_eq!(routes[0].function, "Hello");
}
