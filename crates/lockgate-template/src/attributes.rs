//! The attributes `Fn::GetAtt` can ask of each resource type, as
//! CloudFormation documents them (each type's "Return values"), for the
//! types Lockgate emulates and their usual neighbours. One table, for the
//! loader (which refuses a `Fn::GetAtt` of an attribute a type does not
//! have) and for whatever gives attributes their values.
//!
//! Types not listed here (and `Custom::*` / `AWS::CloudFormation::CustomResource`,
//! whose attributes are whatever the custom resource returns) are not
//! checked. `AWS::CloudFormation::Stack` takes `Outputs.NAME` for any output.

/// `(type, attributes)`, sorted by type.
const TABLE: &[(&str, &[&str])] = &[
    ("AWS::ApiGateway::ApiKey", &["APIKeyId"]),
    ("AWS::ApiGateway::Authorizer", &["AuthorizerId"]),
    ("AWS::ApiGateway::Deployment", &["DeploymentId"]),
    (
        "AWS::ApiGateway::DomainName",
        &[
            "DistributionDomainName",
            "DistributionHostedZoneId",
            "DomainNameArn",
            "RegionalDomainName",
            "RegionalHostedZoneId",
        ],
    ),
    ("AWS::ApiGateway::RequestValidator", &["RequestValidatorId"]),
    ("AWS::ApiGateway::Resource", &["ResourceId"]),
    ("AWS::ApiGateway::RestApi", &["RestApiId", "RootResourceId"]),
    ("AWS::ApiGateway::UsagePlan", &["Id"]),
    ("AWS::ApiGateway::UsagePlanKey", &["Id"]),
    ("AWS::ApiGatewayV2::Api", &["ApiEndpoint", "ApiId"]),
    ("AWS::ApiGatewayV2::ApiMapping", &["ApiMappingId"]),
    ("AWS::ApiGatewayV2::Authorizer", &["AuthorizerId"]),
    ("AWS::ApiGatewayV2::Deployment", &["DeploymentId"]),
    (
        "AWS::ApiGatewayV2::DomainName",
        &[
            "DomainNameArn",
            "RegionalDomainName",
            "RegionalHostedZoneId",
        ],
    ),
    ("AWS::ApiGatewayV2::Integration", &["IntegrationId"]),
    ("AWS::ApiGatewayV2::Route", &["RouteId"]),
    ("AWS::CloudWatch::Alarm", &["Arn"]),
    ("AWS::CodeDeploy::Application", &[]),
    ("AWS::CodeDeploy::DeploymentGroup", &[]),
    ("AWS::DynamoDB::Table", &["Arn", "StreamArn"]),
    ("AWS::Events::EventBus", &["Arn", "Name", "Policy"]),
    ("AWS::Events::Rule", &["Arn"]),
    (
        "AWS::IAM::ManagedPolicy",
        &[
            "AttachmentCount",
            "CreateDate",
            "DefaultVersionId",
            "IsAttachable",
            "PermissionsBoundaryUsageCount",
            "PolicyArn",
            "PolicyId",
            "UpdateDate",
        ],
    ),
    ("AWS::IAM::Policy", &["Id"]),
    ("AWS::IAM::Role", &["Arn", "RoleId"]),
    ("AWS::Kinesis::Stream", &["Arn"]),
    ("AWS::Lambda::Alias", &["AliasArn"]),
    (
        "AWS::Lambda::EventSourceMapping",
        &["EventSourceMappingArn", "Id"],
    ),
    (
        "AWS::Lambda::Function",
        &[
            "Arn",
            "SnapStartResponse",
            "SnapStartResponse.ApplyOn",
            "SnapStartResponse.OptimizationStatus",
        ],
    ),
    ("AWS::Lambda::LayerVersion", &["LayerVersionArn"]),
    ("AWS::Lambda::Permission", &["Id"]),
    ("AWS::Lambda::Url", &["FunctionArn", "FunctionUrl"]),
    ("AWS::Lambda::Version", &["FunctionArn", "Version"]),
    ("AWS::Logs::LogGroup", &["Arn"]),
    (
        "AWS::S3::Bucket",
        &[
            "Arn",
            "DomainName",
            "DualStackDomainName",
            "MetadataTableConfiguration.S3TablesDestination.TableArn",
            "MetadataTableConfiguration.S3TablesDestination.TableNamespace",
            "RegionalDomainName",
            "WebsiteURL",
        ],
    ),
    ("AWS::SNS::Topic", &["TopicArn", "TopicName"]),
    ("AWS::SQS::Queue", &["Arn", "QueueName", "QueueUrl"]),
    ("AWS::SSM::Parameter", &["Type", "Value"]),
    (
        "AWS::StepFunctions::StateMachine",
        &["Arn", "Name", "StateMachineRevisionId"],
    ),
];

/// The attributes `Fn::GetAtt` can ask of `resource_type`, when the table
/// knows the type (`Some(&[])`: it has none; `Ref` is all there is).
pub fn getatt_attributes(resource_type: &str) -> Option<&'static [&'static str]> {
    TABLE
        .binary_search_by(|(t, _)| t.cmp(&resource_type))
        .ok()
        .map(|i| TABLE[i].1)
}

/// Whether `resource_type` has `attribute`: `None` when that cannot be told
/// (a type the table does not know, or a custom resource).
pub fn has_attribute(resource_type: &str, attribute: &str) -> Option<bool> {
    if resource_type == "AWS::CloudFormation::Stack" {
        return Some(
            attribute
                .strip_prefix("Outputs.")
                .is_some_and(|o| !o.is_empty()),
        );
    }
    getatt_attributes(resource_type).map(|attrs| attrs.contains(&attribute))
}

/// Every type the table knows, sorted.
pub fn known_types() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(t, _)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_for_lookups() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn lookups() {
        assert_eq!(has_attribute("AWS::SQS::Queue", "Arn"), Some(true));
        assert_eq!(has_attribute("AWS::SQS::Queue", "Url"), Some(false));
        assert_eq!(
            has_attribute("AWS::CodeDeploy::Application", "Arn"),
            Some(false)
        );
        assert_eq!(has_attribute("Custom::Thing", "Anything"), None);
        assert_eq!(
            has_attribute("AWS::CloudFormation::Stack", "Outputs.Url"),
            Some(true)
        );
        assert_eq!(
            has_attribute("AWS::CloudFormation::Stack", "Arn"),
            Some(false)
        );
        assert_eq!(
            getatt_attributes("AWS::Lambda::Version"),
            Some(&["FunctionArn", "Version"][..])
        );
    }
}
