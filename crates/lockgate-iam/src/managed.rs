//! The AWS managed policies Lambda applications commonly attach, as AWS
//! publishes them (the default version of each in the AWS Managed Policy
//! Reference). `ReadOnlyAccess` is reduced to the services a serverless
//! application calls; every other document is whole.

use serde_json::Value;

use crate::Policy;

/// `(path after arn:aws:iam::aws:policy/, document)`.
const MANAGED: &[(&str, &str)] = &[
    (
        "service-role/AWSLambdaBasicExecutionRole",
        AWS_LAMBDA_BASIC_EXECUTION_ROLE,
    ),
    ("AWSLambdaExecute", AWS_LAMBDA_EXECUTE),
    (
        "service-role/AWSLambdaVPCAccessExecutionRole",
        AWS_LAMBDA_VPC_ACCESS_EXECUTION_ROLE,
    ),
    ("AWSXRayDaemonWriteAccess", AWS_XRAY_DAEMON_WRITE_ACCESS),
    ("AWSXrayWriteOnlyAccess", AWS_XRAY_WRITE_ONLY_ACCESS),
    ("AmazonSSMReadOnlyAccess", AMAZON_SSM_READ_ONLY_ACCESS),
    ("AmazonSSMFullAccess", AMAZON_SSM_FULL_ACCESS),
    ("AdministratorAccess", ADMINISTRATOR_ACCESS),
    ("PowerUserAccess", POWER_USER_ACCESS),
    ("ReadOnlyAccess", READ_ONLY_ACCESS),
    ("AmazonDynamoDBFullAccess", AMAZON_DYNAMODB_FULL_ACCESS),
    (
        "AmazonDynamoDBReadOnlyAccess",
        AMAZON_DYNAMODB_READ_ONLY_ACCESS,
    ),
    ("AmazonS3FullAccess", AMAZON_S3_FULL_ACCESS),
    ("AmazonS3ReadOnlyAccess", AMAZON_S3_READ_ONLY_ACCESS),
    (
        "service-role/AWSCodeDeployRoleForLambda",
        AWS_CODE_DEPLOY_ROLE_FOR_LAMBDA,
    ),
    ("CloudWatchFullAccess", CLOUDWATCH_FULL_ACCESS),
    ("CloudWatchLogsFullAccess", CLOUDWATCH_LOGS_FULL_ACCESS),
];

const PREFIX: &str = "arn:aws:iam::aws:policy/";

/// The document of an AWS managed policy by ARN, parsed; `None` for an
/// ARN this crate does not carry.
pub(crate) fn lookup(arn: &str) -> Option<Policy> {
    let path = arn.strip_prefix(PREFIX)?;
    let (_, doc) = MANAGED.iter().find(|(p, _)| *p == path)?;
    let value: Value = serde_json::from_str(doc).ok()?;
    Policy::parse(&value).ok()
}

/// The ARNs of every managed policy carried, in a stable order.
pub(crate) fn arns() -> impl Iterator<Item = String> {
    MANAGED.iter().map(|(path, _)| format!("{PREFIX}{path}"))
}

const AWS_LAMBDA_BASIC_EXECUTION_ROLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
      "Resource": "*"
    }
  ]
}"#;

const AWS_LAMBDA_EXECUTE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["logs:*"], "Resource": "arn:aws:logs:*:*:*" },
    { "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::*" }
  ]
}"#;

const AWS_LAMBDA_VPC_ACCESS_EXECUTION_ROLE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AWSLambdaVPCAccessExecutionPermissions",
      "Effect": "Allow",
      "Action": [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeSubnets",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses"
      ],
      "Resource": "*"
    }
  ]
}"#;

const AWS_XRAY_DAEMON_WRITE_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "AWSXRayDaemonWriteAccess",
      "Effect": "Allow",
      "Action": [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries"
      ],
      "Resource": ["*"]
    }
  ]
}"#;

const AWS_XRAY_WRITE_ONLY_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
        "xray:GetSamplingRules",
        "xray:GetSamplingTargets",
        "xray:GetSamplingStatisticSummaries"
      ],
      "Resource": ["*"]
    }
  ]
}"#;

const AMAZON_SSM_READ_ONLY_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "Action": ["ssm:Describe*", "ssm:Get*", "ssm:List*"], "Resource": "*" }
  ]
}"#;

const AMAZON_SSM_FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "cloudwatch:PutMetricData",
        "ds:CreateComputer",
        "ds:DescribeDirectories",
        "ec2:DescribeInstanceStatus",
        "logs:*",
        "ssm:*",
        "ec2messages:*"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": "iam:CreateServiceLinkedRole",
      "Resource": "arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*",
      "Condition": { "StringLike": { "iam:AWSServiceName": "ssm.amazonaws.com" } }
    },
    {
      "Effect": "Allow",
      "Action": ["iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"],
      "Resource": "arn:aws:iam::*:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM*"
    },
    {
      "Effect": "Allow",
      "Action": [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel"
      ],
      "Resource": "*"
    }
  ]
}"#;

const ADMINISTRATOR_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [ { "Effect": "Allow", "Action": "*", "Resource": "*" } ]
}"#;

const POWER_USER_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*" },
    {
      "Effect": "Allow",
      "Action": [
        "account:GetAccountInformation",
        "account:GetGovCloudAccountInformation",
        "account:GetPrimaryEmail",
        "account:ListRegions",
        "iam:CreateServiceLinkedRole",
        "iam:DeleteServiceLinkedRole",
        "iam:ListRoles",
        "organizations:DescribeEffectivePolicy",
        "organizations:DescribeOrganization"
      ],
      "Resource": "*"
    }
  ]
}"#;

/// Reduced: the read-only actions of the services a serverless application
/// uses, as the published policy lists them (which grants, for example,
/// `ssm:Get*` but no `secretsmanager:GetSecretValue`).
const READ_ONLY_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "apigateway:GET",
        "application-autoscaling:Describe*",
        "cloudformation:Describe*",
        "cloudformation:Detect*",
        "cloudformation:Estimate*",
        "cloudformation:Get*",
        "cloudformation:List*",
        "cloudwatch:Describe*",
        "cloudwatch:Get*",
        "cloudwatch:List*",
        "codedeploy:BatchGet*",
        "codedeploy:Get*",
        "codedeploy:List*",
        "dynamodb:BatchGet*",
        "dynamodb:Describe*",
        "dynamodb:Get*",
        "dynamodb:List*",
        "dynamodb:Query",
        "dynamodb:Scan",
        "ec2:Describe*",
        "ec2:Get*",
        "events:Describe*",
        "events:List*",
        "events:Test*",
        "iam:Generate*",
        "iam:Get*",
        "iam:List*",
        "iam:Simulate*",
        "kinesis:Describe*",
        "kinesis:Get*",
        "kinesis:List*",
        "kms:Describe*",
        "kms:Get*",
        "kms:List*",
        "lambda:Get*",
        "lambda:List*",
        "logs:Describe*",
        "logs:FilterLogEvents",
        "logs:Get*",
        "logs:ListTagsLogGroup",
        "logs:StartQuery",
        "logs:StopQuery",
        "logs:TestMetricFilter",
        "s3:DescribeJob",
        "s3:Get*",
        "s3:List*",
        "secretsmanager:Describe*",
        "secretsmanager:GetResourcePolicy",
        "secretsmanager:List*",
        "sns:Check*",
        "sns:Get*",
        "sns:List*",
        "sqs:Get*",
        "sqs:List*",
        "sqs:Receive*",
        "ssm:Describe*",
        "ssm:Get*",
        "ssm:List*",
        "states:Describe*",
        "states:GetExecutionHistory",
        "states:List*",
        "sts:GetAccessKeyInfo",
        "sts:GetCallerIdentity",
        "sts:GetSessionToken",
        "tag:Get*",
        "xray:BatchGet*",
        "xray:Get*"
      ],
      "Resource": "*"
    }
  ]
}"#;

const AMAZON_DYNAMODB_FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": [
        "dynamodb:*",
        "dax:*",
        "application-autoscaling:DeleteScalingPolicy",
        "application-autoscaling:DeregisterScalableTarget",
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingActivities",
        "application-autoscaling:DescribeScalingPolicies",
        "application-autoscaling:PutScalingPolicy",
        "application-autoscaling:RegisterScalableTarget",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarmHistory",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DescribeAlarmsForMetric",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "cloudwatch:PutMetricAlarm",
        "cloudwatch:GetMetricData",
        "datapipeline:ActivatePipeline",
        "datapipeline:CreatePipeline",
        "datapipeline:DeletePipeline",
        "datapipeline:DescribeObjects",
        "datapipeline:DescribePipelines",
        "datapipeline:GetPipelineDefinition",
        "datapipeline:ListPipelines",
        "datapipeline:PutPipelineDefinition",
        "datapipeline:QueryObjects",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "iam:GetRole",
        "iam:ListRoles",
        "kms:DescribeKey",
        "kms:ListAliases",
        "sns:CreateTopic",
        "sns:DeleteTopic",
        "sns:ListSubscriptions",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTopics",
        "sns:Subscribe",
        "sns:Unsubscribe",
        "sns:SetTopicAttributes",
        "lambda:CreateFunction",
        "lambda:ListFunctions",
        "lambda:ListEventSourceMappings",
        "lambda:CreateEventSourceMapping",
        "lambda:DeleteEventSourceMapping",
        "lambda:GetFunctionConfiguration",
        "lambda:DeleteFunction",
        "resource-groups:ListGroups",
        "resource-groups:ListGroupResources",
        "resource-groups:GetGroup",
        "resource-groups:GetGroupQuery",
        "resource-groups:DeleteGroup",
        "resource-groups:CreateGroup",
        "tag:GetResources",
        "kinesis:ListStreams",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary"
      ],
      "Effect": "Allow",
      "Resource": "*"
    },
    {
      "Action": "cloudwatch:GetInsightRuleReport",
      "Effect": "Allow",
      "Resource": "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*"
    },
    {
      "Action": ["iam:PassRole"],
      "Effect": "Allow",
      "Resource": "*",
      "Condition": {
        "StringLike": {
          "iam:PassedToService": [
            "application-autoscaling.amazonaws.com",
            "application-autoscaling.amazonaws.com.cn",
            "dax.amazonaws.com"
          ]
        }
      }
    },
    {
      "Effect": "Allow",
      "Action": ["iam:CreateServiceLinkedRole"],
      "Resource": "*",
      "Condition": {
        "StringEquals": {
          "iam:AWSServiceName": [
            "replication.dynamodb.amazonaws.com",
            "dax.amazonaws.com",
            "dynamodb.application-autoscaling.amazonaws.com",
            "contributorinsights.dynamodb.amazonaws.com",
            "kinesisreplication.dynamodb.amazonaws.com"
          ]
        }
      }
    }
  ]
}"#;

const AMAZON_DYNAMODB_READ_ONLY_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "GeneralReadOnlyAccess",
      "Action": [
        "application-autoscaling:DescribeScalableTargets",
        "application-autoscaling:DescribeScalingActivities",
        "application-autoscaling:DescribeScalingPolicies",
        "cloudwatch:DescribeAlarmHistory",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:DescribeAlarmsForMetric",
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:ListMetrics",
        "cloudwatch:GetMetricData",
        "datapipeline:DescribeObjects",
        "datapipeline:DescribePipelines",
        "datapipeline:GetPipelineDefinition",
        "datapipeline:ListPipelines",
        "datapipeline:QueryObjects",
        "dynamodb:BatchGetItem",
        "dynamodb:Describe*",
        "dynamodb:List*",
        "dynamodb:GetItem",
        "dynamodb:GetResourcePolicy",
        "dynamodb:Query",
        "dynamodb:Scan",
        "dynamodb:PartiQLSelect",
        "dax:Describe*",
        "dax:List*",
        "dax:GetItem",
        "dax:BatchGetItem",
        "dax:Query",
        "dax:Scan",
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "iam:GetRole",
        "iam:ListRoles",
        "kms:DescribeKey",
        "kms:ListAliases",
        "sns:ListSubscriptionsByTopic",
        "sns:ListTopics",
        "lambda:ListFunctions",
        "lambda:ListEventSourceMappings",
        "lambda:GetFunctionConfiguration",
        "resource-groups:ListGroups",
        "resource-groups:ListGroupResources",
        "resource-groups:GetGroup",
        "resource-groups:GetGroupQuery",
        "tag:GetResources",
        "kinesis:ListStreams",
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary"
      ],
      "Effect": "Allow",
      "Resource": "*"
    },
    {
      "Sid": "CCIAccess",
      "Action": "cloudwatch:GetInsightRuleReport",
      "Effect": "Allow",
      "Resource": "arn:aws:cloudwatch:*:*:insight-rule/DynamoDBContributorInsights*"
    }
  ]
}"#;

const AMAZON_S3_FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [ { "Effect": "Allow", "Action": ["s3:*", "s3-object-lambda:*"], "Resource": "*" } ]
}"#;

const AMAZON_S3_READ_ONLY_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "s3:Get*",
        "s3:List*",
        "s3:Describe*",
        "s3-object-lambda:Get*",
        "s3-object-lambda:List*"
      ],
      "Resource": "*"
    }
  ]
}"#;

const AWS_CODE_DEPLOY_ROLE_FOR_LAMBDA: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Action": [
        "cloudwatch:DescribeAlarms",
        "lambda:UpdateAlias",
        "lambda:GetAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "sns:Publish"
      ],
      "Resource": "*",
      "Effect": "Allow"
    },
    {
      "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": "arn:aws:s3:::*/CodeDeploy/*",
      "Effect": "Allow"
    },
    {
      "Action": ["s3:GetObject", "s3:GetObjectVersion"],
      "Resource": "*",
      "Condition": { "StringEquals": { "s3:ExistingObjectTag/UseWithCodeDeploy": "true" } },
      "Effect": "Allow"
    },
    {
      "Action": ["lambda:InvokeFunction"],
      "Resource": "arn:aws:lambda:*:*:function:CodeDeployHook_*",
      "Effect": "Allow"
    }
  ]
}"#;

const CLOUDWATCH_FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "autoscaling:Describe*",
        "cloudwatch:*",
        "logs:*",
        "sns:*",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetRole",
        "oam:ListSinks"
      ],
      "Resource": "*"
    },
    {
      "Effect": "Allow",
      "Action": "iam:CreateServiceLinkedRole",
      "Resource": "arn:aws:iam::*:role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents*",
      "Condition": { "StringLike": { "iam:AWSServiceName": "events.amazonaws.com" } }
    },
    { "Effect": "Allow", "Action": ["oam:ListAttachedLinks"], "Resource": "arn:aws:oam:*:*:sink/*" }
  ]
}"#;

const CLOUDWATCH_LOGS_FULL_ACCESS: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "CloudWatchLogsFullAccess",
      "Effect": "Allow",
      "Action": ["logs:*", "cloudwatch:GenerateQuery", "cloudwatch:GenerateQueryResultsSummary"],
      "Resource": "*"
    }
  ]
}"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_document_parses() {
        for (path, doc) in MANAGED {
            let value: Value = serde_json::from_str(doc).unwrap_or_else(|e| panic!("{path}: {e}"));
            let policy = Policy::parse(&value).unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(!policy.is_empty(), "{path}");
        }
        assert_eq!(arns().count(), MANAGED.len());
        for arn in arns() {
            assert!(lookup(&arn).is_some(), "{arn}");
        }
    }

    #[test]
    fn paths_are_exact() {
        assert!(
            lookup("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole").is_some()
        );
        // AWSLambdaBasicExecutionRole lives under service-role/ only.
        assert!(lookup("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole").is_none());
        assert!(lookup("arn:aws:iam::aws:policy/service-role/AdministratorAccess").is_none());
        assert!(lookup("arn:aws:iam::aws:policy/administratoraccess").is_none());
        assert!(lookup("arn:aws:iam::123456789012:policy/AdministratorAccess").is_none());
        assert!(lookup("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
        assert!(lookup("AdministratorAccess").is_none());
    }
}
