//! AWS's shapes for the types Lockgate only records: what `Ref` answers (a
//! name, an ARN or a URL, as the type's documentation says) and the
//! attributes `Fn::GetAtt` reads most (`Arn`, `StreamArn`, `QueueUrl`,
//! `DomainName`…), so expressions that take them apart — `!Select [3,
//! !Split [":", !GetAtt Table.StreamArn]]` — work as on AWS.

use serde_json::{Map, Value, json};

/// Where a recorded resource lives: its name, the stage's region and account.
pub struct Place<'a> {
    /// The physical name Lockgate gave it (or the name its properties give).
    pub name: &'a str,
    /// The region.
    pub region: &'a str,
    /// The account ID.
    pub account: &'a str,
}

/// `Ref` of a recorded resource of `resource_type`: its ARN for the types
/// whose `Ref` is an ARN, its URL for a queue, else its name.
pub fn physical_id(resource_type: &str, at: &Place<'_>) -> String {
    match resource_type {
        "AWS::SNS::Topic"
        | "AWS::StepFunctions::StateMachine"
        | "AWS::SecretsManager::Secret"
        | "AWS::StepFunctions::Activity" => arn(resource_type, at),
        "AWS::SQS::Queue" => format!(
            "https://sqs.{}.amazonaws.com/{}/{}",
            at.region, at.account, at.name
        ),
        _ => at.name.to_string(),
    }
}

/// The attributes of a recorded resource, in AWS's shapes.
pub fn attributes(resource_type: &str, at: &Place<'_>) -> Map<String, Value> {
    let (region, account, name) = (at.region, at.account, at.name);
    let arn = arn(resource_type, at);
    let mut a = json!({ "Arn": arn });
    match resource_type {
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => {
            a["StreamArn"] = json!(format!("{arn}/stream/{}", stream_label()));
        }
        "AWS::Kinesis::Stream" => {}
        "AWS::SQS::Queue" => {
            a["QueueName"] = json!(name);
            a["QueueUrl"] = json!(format!(
                "https://sqs.{region}.amazonaws.com/{account}/{name}"
            ));
        }
        "AWS::SNS::Topic" => {
            a["TopicName"] = json!(name);
            a["TopicArn"] = json!(arn);
        }
        "AWS::S3::Bucket" => {
            a["DomainName"] = json!(format!("{name}.s3.amazonaws.com"));
            a["RegionalDomainName"] = json!(format!("{name}.s3.{region}.amazonaws.com"));
            a["DualStackDomainName"] = json!(format!("{name}.s3.dualstack.{region}.amazonaws.com"));
            a["WebsiteURL"] = json!(format!("http://{name}.s3-website-{region}.amazonaws.com"));
        }
        "AWS::StepFunctions::StateMachine" => {
            a["Name"] = json!(name);
        }
        "AWS::Events::EventBus" => {
            a["Name"] = json!(name);
        }
        "AWS::Logs::LogGroup" => {}
        "AWS::KMS::Key" => {
            a["KeyId"] = json!(key_id(name));
        }
        "AWS::Cognito::UserPool" => {
            a["ProviderName"] = json!(format!(
                "cognito-idp.{region}.amazonaws.com/{region}_{}",
                short(name)
            ));
            a["ProviderURL"] = json!(format!(
                "https://cognito-idp.{region}.amazonaws.com/{region}_{}",
                short(name)
            ));
        }
        _ => {}
    }
    match a {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The ARN of a recorded resource: the service from its type, the
/// resource part in the form that service uses.
pub fn arn(resource_type: &str, at: &Place<'_>) -> String {
    let (region, account, name) = (at.region, at.account, at.name);
    let mut parts = resource_type.split("::");
    let _aws = parts.next();
    let service = parts.next().unwrap_or("").to_ascii_lowercase();
    let kind = parts.next().unwrap_or("");
    let service = match service.as_str() {
        "stepfunctions" => "states".to_string(),
        "cloudwatch" => "cloudwatch".to_string(),
        "elasticloadbalancingv2" => "elasticloadbalancing".to_string(),
        "cognito" => "cognito-idp".to_string(),
        other => other.to_string(),
    };
    let resource = match resource_type {
        "AWS::S3::Bucket" => return format!("arn:aws:s3:::{name}"),
        "AWS::IAM::Role"
        | "AWS::IAM::User"
        | "AWS::IAM::Group"
        | "AWS::IAM::ManagedPolicy"
        | "AWS::IAM::InstanceProfile" => {
            let path = match kind {
                "ManagedPolicy" => "policy",
                "InstanceProfile" => "instance-profile",
                "Role" => "role",
                "User" => "user",
                _ => "group",
            };
            return format!("arn:aws:iam::{account}:{path}/{name}");
        }
        "AWS::SQS::Queue" | "AWS::SNS::Topic" => name.to_string(),
        "AWS::DynamoDB::Table" | "AWS::DynamoDB::GlobalTable" => format!("table/{name}"),
        "AWS::Kinesis::Stream" => format!("stream/{name}"),
        "AWS::Events::Rule" => format!("rule/{name}"),
        "AWS::Events::EventBus" => format!("event-bus/{name}"),
        "AWS::Logs::LogGroup" => format!("log-group:{name}:*"),
        "AWS::StepFunctions::StateMachine" => format!("stateMachine:{name}"),
        "AWS::StepFunctions::Activity" => format!("activity:{name}"),
        "AWS::SecretsManager::Secret" => format!("secret:{name}-{}", short(name)),
        "AWS::KMS::Key" => format!("key/{}", key_id(name)),
        "AWS::Cognito::UserPool" => format!("userpool/{region}_{}", short(name)),
        "AWS::ECR::Repository" => format!("repository/{name}"),
        _ => format!("{}/{name}", kind.to_ascii_lowercase()),
    };
    format!("arn:aws:{service}:{region}:{account}:{resource}")
}

/// A stream label as DynamoDB writes it (`2026-12-02T16:00:00.000`).
fn stream_label() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string()
}

/// Six characters derived from the name (Secrets Manager's suffix, a user
/// pool's ID): stable for the same name.
fn short(name: &str) -> String {
    use sha2::Digest as _;
    let h = sha2::Sha256::digest(name.as_bytes());
    h.iter().take(6).map(|b| (b'a' + b % 26) as char).collect()
}

/// A KMS key ID (a UUID) derived from the name.
fn key_id(name: &str) -> String {
    use sha2::Digest as _;
    let h = hex::encode(sha2::Sha256::digest(name.as_bytes()));
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(name: &str) -> Place<'_> {
        Place {
            name,
            region: "us-east-1",
            account: "123456789012",
        }
    }

    #[test]
    fn arns_have_their_service_s_form() {
        assert_eq!(
            arn("AWS::DynamoDB::Table", &at("t")),
            "arn:aws:dynamodb:us-east-1:123456789012:table/t"
        );
        assert_eq!(arn("AWS::S3::Bucket", &at("b")), "arn:aws:s3:::b");
        assert_eq!(
            arn("AWS::SQS::Queue", &at("q")),
            "arn:aws:sqs:us-east-1:123456789012:q"
        );
        assert_eq!(
            arn("AWS::StepFunctions::StateMachine", &at("m")),
            "arn:aws:states:us-east-1:123456789012:stateMachine:m"
        );
        assert_eq!(
            arn("AWS::Logs::LogGroup", &at("g")),
            "arn:aws:logs:us-east-1:123456789012:log-group:g:*"
        );
    }

    #[test]
    fn a_stream_arn_splits_as_on_aws() {
        let a = attributes("AWS::DynamoDB::Table", &at("t"));
        let stream = a["StreamArn"].as_str().unwrap();
        let parts: Vec<&str> = stream.split(':').collect();
        assert_eq!(parts[2], "dynamodb");
        assert_eq!(parts[3], "us-east-1");
        assert!(parts[5].starts_with("table/t/stream/"), "{stream}");
        assert_eq!(
            physical_id("AWS::SQS::Queue", &at("q")),
            "https://sqs.us-east-1.amazonaws.com/123456789012/q"
        );
        assert_eq!(
            physical_id("AWS::SNS::Topic", &at("n")),
            "arn:aws:sns:us-east-1:123456789012:n"
        );
    }
}
