//! Roles as a SAM application gives its functions: SAM policy templates
//! after the transform (intrinsics resolved), inline policies, AWS managed
//! policies, evaluated as a local SSM / DynamoDB / S3 API would ask.

use std::collections::HashMap;

use lockgate_iam::{Decision, Policy, Request, access_denied_message, evaluate};
use serde_json::json;

const ACCOUNT: &str = "123456789012";

fn param(name: &str) -> String {
    format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/{name}")
}

fn ask(policies: &[(String, Policy)], action: &str, resource: &str) -> Decision {
    let context: HashMap<String, Vec<String>> = [(
        "aws:RequestedRegion".to_string(),
        vec!["us-east-1".to_string()],
    )]
    .into();
    evaluate(
        policies,
        &Request {
            action,
            resource,
            context: &context,
        },
    )
}

/// `Policies: [{SSMParameterReadPolicy: {ParameterName: dev/db}}]` once
/// SAM has expanded it and `Fn::Sub` is resolved: SAM's policy templates
/// carry no `Version`.
fn ssm_parameter_read_policy() -> Policy {
    Policy::parse(&json!({
        "Statement": [
            {"Action": ["ssm:DescribeParameters"], "Effect": "Allow", "Resource": "*"},
            {
                "Action": ["ssm:GetParameters", "ssm:GetParameter", "ssm:GetParametersByPath"],
                "Effect": "Allow",
                "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/dev/db"
            }
        ]
    }))
    .expect("SAM's expansion parses")
}

#[test]
fn sam_ssm_parameter_read_policy() {
    let role = [
        (
            "AWSLambdaBasicExecutionRole".to_string(),
            Policy::aws_managed("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                .unwrap(),
        ),
        (
            "FunctionRolePolicy0".to_string(),
            ssm_parameter_read_policy(),
        ),
    ];
    for action in [
        "ssm:GetParameter",
        "ssm:GetParameters",
        "ssm:GetParametersByPath",
    ] {
        assert_eq!(
            ask(&role, action, &param("dev/db")),
            Decision::Allow,
            "{action}"
        );
    }
    assert_eq!(
        ask(&role, "ssm:GetParameter", &param("dev/other")),
        Decision::ImplicitDeny
    );
    assert_eq!(
        ask(&role, "ssm:GetParameter", &param("prod/db")),
        Decision::ImplicitDeny
    );
    // The exact ARN: no prefix match, no child.
    assert_eq!(
        ask(&role, "ssm:GetParameter", &param("dev/db2")),
        Decision::ImplicitDeny
    );
    assert_eq!(
        ask(&role, "ssm:GetParameter", &param("dev/db/x")),
        Decision::ImplicitDeny
    );
    assert_eq!(ask(&role, "ssm:DescribeParameters", "*"), Decision::Allow);
    assert_eq!(
        ask(&role, "ssm:PutParameter", &param("dev/db")),
        Decision::ImplicitDeny
    );

    let denied = ask(&role, "ssm:GetParameter", &param("prod/db"));
    assert_eq!(
        access_denied_message(
            "arn:aws:sts::123456789012:assumed-role/app-FunctionRole-1A2B/app-Function-3C4D",
            "ssm:GetParameter",
            &param("prod/db"),
            &denied
        ),
        "User: arn:aws:sts::123456789012:assumed-role/app-FunctionRole-1A2B/app-Function-3C4D is not \
         authorized to perform: ssm:GetParameter on resource: \
         arn:aws:ssm:us-east-1:123456789012:parameter/prod/db because no identity-based policy allows the \
         ssm:GetParameter action"
    );
}

#[test]
fn managed_read_only_with_an_inline_deny() {
    let role = [
        (
            "ReadOnlyAccess".to_string(),
            Policy::aws_managed("arn:aws:iam::aws:policy/ReadOnlyAccess").unwrap(),
        ),
        (
            "NoProdSecrets".to_string(),
            Policy::parse(&json!({
                "Version": "2012-10-17",
                "Statement": {
                    "Sid": "DenyProd",
                    "Effect": "Deny",
                    "Action": "ssm:GetParameter*",
                    "Resource": "arn:aws:ssm:*:*:parameter/prod/*"
                }
            }))
            .unwrap(),
        ),
    ];
    assert_eq!(
        ask(&role, "ssm:GetParameter", &param("dev/db")),
        Decision::Allow
    );
    assert_eq!(
        ask(&role, "ssm:GetParametersByPath", &param("dev")),
        Decision::Allow
    );
    assert_eq!(ask(&role, "ssm:DescribeParameters", "*"), Decision::Allow);
    assert_eq!(
        ask(&role, "ssm:GetParameter", &param("prod/db")),
        Decision::ExplicitDeny {
            policy: "NoProdSecrets".into(),
            sid: Some("DenyProd".into())
        }
    );
    assert_eq!(
        ask(&role, "ssm:PutParameter", &param("dev/db")),
        Decision::ImplicitDeny
    );
    assert_eq!(
        ask(
            &role,
            "secretsmanager:GetSecretValue",
            "arn:aws:secretsmanager:us-east-1:1:secret:x"
        ),
        Decision::ImplicitDeny
    );
}

#[test]
fn managed_policies_grant_what_aws_publishes() {
    let one = |arn: &str| {
        [(
            arn.to_string(),
            Policy::aws_managed(arn).unwrap_or_else(|| panic!("{arn}")),
        )]
    };
    let table = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders";
    let object = "arn:aws:s3:::bucket/key";

    let admin = one("arn:aws:iam::aws:policy/AdministratorAccess");
    assert_eq!(ask(&admin, "iam:CreateUser", "*"), Decision::Allow);

    let power = one("arn:aws:iam::aws:policy/PowerUserAccess");
    assert_eq!(
        ask(&power, "ssm:PutParameter", &param("x")),
        Decision::Allow
    );
    assert_eq!(ask(&power, "iam:CreateUser", "*"), Decision::ImplicitDeny);
    assert_eq!(ask(&power, "iam:ListRoles", "*"), Decision::Allow);

    let ssm_ro = one("arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess");
    assert_eq!(
        ask(&ssm_ro, "ssm:GetParameter", &param("any/thing")),
        Decision::Allow
    );
    assert_eq!(
        ask(&ssm_ro, "ssm:PutParameter", &param("x")),
        Decision::ImplicitDeny
    );

    let ssm_full = one("arn:aws:iam::aws:policy/AmazonSSMFullAccess");
    assert_eq!(
        ask(&ssm_full, "ssm:PutParameter", &param("x")),
        Decision::Allow
    );

    let ddb_ro = one("arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess");
    assert_eq!(ask(&ddb_ro, "dynamodb:GetItem", table), Decision::Allow);
    assert_eq!(
        ask(&ddb_ro, "dynamodb:PutItem", table),
        Decision::ImplicitDeny
    );
    let ddb = one("arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess");
    assert_eq!(ask(&ddb, "dynamodb:PutItem", table), Decision::Allow);

    let s3_ro = one("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess");
    assert_eq!(ask(&s3_ro, "s3:GetObject", object), Decision::Allow);
    assert_eq!(ask(&s3_ro, "s3:PutObject", object), Decision::ImplicitDeny);
    let s3 = one("arn:aws:iam::aws:policy/AmazonS3FullAccess");
    assert_eq!(ask(&s3, "s3:PutObject", object), Decision::Allow);

    let execute = one("arn:aws:iam::aws:policy/AWSLambdaExecute");
    assert_eq!(ask(&execute, "s3:PutObject", object), Decision::Allow);
    assert_eq!(
        ask(&execute, "s3:DeleteObject", object),
        Decision::ImplicitDeny
    );

    let vpc = one("arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole");
    assert_eq!(
        ask(&vpc, "ec2:CreateNetworkInterface", "*"),
        Decision::Allow
    );

    let xray = one("arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess");
    assert_eq!(ask(&xray, "xray:PutTraceSegments", "*"), Decision::Allow);
    let xray_wo = one("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess");
    assert_eq!(
        ask(&xray_wo, "xray:PutTelemetryRecords", "*"),
        Decision::Allow
    );

    let codedeploy = one("arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda");
    assert_eq!(
        ask(
            &codedeploy,
            "lambda:InvokeFunction",
            "arn:aws:lambda:us-east-1:1:function:CodeDeployHook_pre"
        ),
        Decision::Allow
    );
    assert_eq!(
        ask(
            &codedeploy,
            "lambda:InvokeFunction",
            "arn:aws:lambda:us-east-1:1:function:other"
        ),
        Decision::ImplicitDeny
    );

    let cw = one("arn:aws:iam::aws:policy/CloudWatchFullAccess");
    assert_eq!(ask(&cw, "cloudwatch:PutMetricData", "*"), Decision::Allow);
    let cwl = one("arn:aws:iam::aws:policy/CloudWatchLogsFullAccess");
    assert_eq!(ask(&cwl, "logs:PutLogEvents", "*"), Decision::Allow);
    assert_eq!(
        ask(&cwl, "cloudwatch:PutMetricData", "*"),
        Decision::ImplicitDeny
    );

    assert!(Policy::aws_managed("arn:aws:iam::aws:policy/NotAPolicy").is_none());
    assert_eq!(Policy::aws_managed_arns().count(), 17);
}
