//! Which property updates force CloudFormation to replace a resource
//! ("Update requires: Replacement" in the AWS resource reference).

/// How an update of one property is carried out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Recreation {
    /// Updated in place.
    Never,
    /// Replaced only in some cases (e.g. a value known only at apply time).
    Conditionally,
    /// Always replaced: a new physical resource is created, then the old one deleted.
    Always,
}

/// The properties of a resource type whose change needs replacement.
/// `["*"]` means every property (immutable resources).
pub fn replacing_properties(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "AWS::Lambda::Function" => &["FunctionName", "PackageType"],
        "AWS::Lambda::Version" => &["*"],
        "AWS::Lambda::Alias" => &["Name", "FunctionName"],
        "AWS::Lambda::Permission" => &["*"],
        "AWS::Lambda::LayerVersion" => &["*"],
        "AWS::Lambda::LayerVersionPermission" => &["*"],
        "AWS::Lambda::EventSourceMapping" => &[
            "EventSourceArn",
            "StartingPosition",
            "StartingPositionTimestamp",
            "SelfManagedEventSource",
            "Topics",
            "Queues",
        ],
        "AWS::Lambda::Url" => &["TargetFunctionArn", "Qualifier"],
        "AWS::Lambda::EventInvokeConfig" => &["FunctionName", "Qualifier"],
        "AWS::ApiGateway::RestApi" => &[],
        "AWS::ApiGateway::Deployment" => &["RestApiId", "DeploymentCanarySettings"],
        "AWS::ApiGateway::Stage" => &["RestApiId", "StageName"],
        "AWS::ApiGateway::Resource" => &["ParentId", "PathPart", "RestApiId"],
        "AWS::ApiGateway::Method" => &["HttpMethod", "ResourceId", "RestApiId"],
        "AWS::ApiGateway::Authorizer" => &["RestApiId"],
        "AWS::ApiGateway::BasePathMapping" => &["DomainName", "Id"],
        "AWS::ApiGateway::DomainName" => &["DomainName"],
        "AWS::ApiGateway::ApiKey" => &["Name", "Value", "GenerateDistinctId"],
        "AWS::ApiGateway::UsagePlanKey" => &["*"],
        "AWS::ApiGatewayV2::Api" => &["ProtocolType"],
        "AWS::ApiGatewayV2::Route" => &["ApiId"],
        "AWS::ApiGatewayV2::Integration" => &["ApiId"],
        "AWS::ApiGatewayV2::Stage" => &["ApiId", "StageName"],
        "AWS::ApiGatewayV2::Authorizer" => &["ApiId"],
        "AWS::ApiGatewayV2::DomainName" => &["DomainName"],
        "AWS::ApiGatewayV2::ApiMapping" => &["DomainName"],
        "AWS::IAM::Role" => &["RoleName", "Path", "PermissionsBoundary"],
        "AWS::IAM::Policy" => &[],
        "AWS::IAM::ManagedPolicy" => &["ManagedPolicyName", "Path"],
        "AWS::IAM::User" => &[],
        "AWS::SSM::Parameter" => &["Name"],
        "AWS::Events::Rule" => &["Name", "EventBusName"],
        "AWS::Scheduler::Schedule" => &["Name", "GroupName"],
        "AWS::Logs::LogGroup" => &["LogGroupName", "LogGroupClass"],
        "AWS::CloudWatch::Alarm" => &["AlarmName"],
        "AWS::CodeDeploy::Application" => &["ApplicationName", "ComputePlatform"],
        "AWS::CodeDeploy::DeploymentGroup" => &["ApplicationName", "DeploymentGroupName"],
        "AWS::CodeDeploy::DeploymentConfig" => &["*"],
        "AWS::DynamoDB::Table" => &["TableName", "KeySchema", "LocalSecondaryIndexes"],
        "AWS::S3::Bucket" => &["BucketName", "ObjectLockEnabled"],
        "AWS::SQS::Queue" => &["QueueName", "FifoQueue"],
        "AWS::SNS::Topic" => &["TopicName", "FifoTopic"],
        "AWS::SNS::Subscription" => &["Endpoint", "Protocol", "TopicArn"],
        "AWS::Kinesis::Stream" => &["Name"],
        "AWS::SecretsManager::Secret" => &["Name"],
        "AWS::KMS::Key" => &["KeySpec", "MultiRegion"],
        "AWS::Route53::RecordSetGroup" => &[],
        "AWS::StepFunctions::StateMachine" => &["StateMachineName", "StateMachineType"],
        _ => &[],
    }
}

/// How a change of `property` (a top-level property name) of `resource_type` is carried out.
pub fn recreation(resource_type: &str, property: &str) -> Recreation {
    let props = replacing_properties(resource_type);
    if props.contains(&"*") || props.contains(&property) {
        Recreation::Always
    } else {
        Recreation::Never
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_name_replaces_but_code_does_not() {
        assert_eq!(
            recreation("AWS::Lambda::Function", "FunctionName"),
            Recreation::Always
        );
        assert_eq!(
            recreation("AWS::Lambda::Function", "Code"),
            Recreation::Never
        );
    }

    #[test]
    fn versions_are_immutable() {
        assert_eq!(
            recreation("AWS::Lambda::Version", "Description"),
            Recreation::Always
        );
    }

    #[test]
    fn unknown_types_update_in_place() {
        assert_eq!(recreation("Custom::Thing", "Anything"), Recreation::Never);
    }
}
