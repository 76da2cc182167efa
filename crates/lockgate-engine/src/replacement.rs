//! Which property updates force CloudFormation to replace a resource
//! ("Update requires: Replacement" in the AWS resource reference).
//!
//! The engine asks a [`Catalog`]: the server's registry of resource types
//! answers for the types it implements (each in its own file), and falls
//! back to [`recorded_type_rules`] for types it only records.

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

/// What the engine needs to know about resource types.
pub trait Catalog: Send + Sync {
    /// The top-level properties of `resource_type` whose change needs
    /// replacement; `["*"]` means every property (immutable resources).
    fn replacing_properties(&self, resource_type: &str) -> &'static [&'static str];
}

/// A catalog of only [`recorded_type_rules`] (tests, and tools without a registry).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudFormationRules;

impl Catalog for CloudFormationRules {
    fn replacing_properties(&self, resource_type: &str) -> &'static [&'static str] {
        recorded_type_rules(resource_type)
    }
}

/// CloudFormation's replacement rules for common types that Lockgate
/// records without emulating them (the emulated types declare their own
/// rules beside their implementation). Unknown types update in place.
pub fn recorded_type_rules(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        "AWS::Lambda::Url" => &["TargetFunctionArn", "Qualifier"],
        "AWS::Lambda::EventInvokeConfig" => &["FunctionName", "Qualifier"],
        "AWS::ApiGateway::Resource" => &["ParentId", "PathPart", "RestApiId"],
        "AWS::ApiGateway::Method" => &["HttpMethod", "ResourceId", "RestApiId"],
        "AWS::ApiGateway::Authorizer" => &["RestApiId"],
        "AWS::ApiGateway::BasePathMapping" => &["DomainName", "Id"],
        "AWS::ApiGateway::DomainName" => &["DomainName"],
        "AWS::ApiGateway::ApiKey" => &["Name", "Value", "GenerateDistinctId"],
        "AWS::ApiGateway::UsagePlanKey" => &["*"],
        "AWS::ApiGatewayV2::Authorizer" => &["ApiId"],
        "AWS::ApiGatewayV2::DomainName" => &["DomainName"],
        "AWS::ApiGatewayV2::ApiMapping" => &["DomainName"],
        "AWS::IAM::User" => &[],
        "AWS::Scheduler::Schedule" => &["Name", "GroupName"],
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
pub fn recreation(catalog: &dyn Catalog, resource_type: &str, property: &str) -> Recreation {
    let props = catalog.replacing_properties(resource_type);
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
    fn named_properties_replace_and_others_do_not() {
        let c = CloudFormationRules;
        assert_eq!(
            recreation(&c, "AWS::SQS::Queue", "QueueName"),
            Recreation::Always
        );
        assert_eq!(
            recreation(&c, "AWS::SQS::Queue", "VisibilityTimeout"),
            Recreation::Never
        );
    }

    #[test]
    fn immutable_types_replace_on_any_change() {
        assert_eq!(
            recreation(
                &CloudFormationRules,
                "AWS::CodeDeploy::DeploymentConfig",
                "X"
            ),
            Recreation::Always
        );
    }

    #[test]
    fn unknown_types_update_in_place() {
        assert_eq!(
            recreation(&CloudFormationRules, "Custom::Thing", "Anything"),
            Recreation::Never
        );
    }
}
