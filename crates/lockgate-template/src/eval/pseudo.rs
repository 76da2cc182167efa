//! Pseudo parameters (`AWS::Region`, `AWS::AccountId`, …).

use serde_json::Value;

/// What is known about the deployment: fills in pseudo parameters.
#[derive(Debug, Clone)]
pub struct Pseudo {
    /// `AWS::Region`.
    pub region: String,
    /// `AWS::AccountId`, when known.
    pub account_id: Option<String>,
    /// `AWS::StackName`, when known.
    pub stack_name: Option<String>,
    /// `AWS::StackId`, when known.
    pub stack_id: Option<String>,
    /// `AWS::NotificationARNs`.
    pub notification_arns: Vec<String>,
}

impl Default for Pseudo {
    fn default() -> Self {
        Pseudo {
            region: "us-east-1".into(),
            account_id: None,
            stack_name: None,
            stack_id: None,
            notification_arns: Vec::new(),
        }
    }
}

/// The names of all pseudo parameters.
pub const PSEUDO_PARAMETERS: &[&str] = &[
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
];

/// The partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for `us-gov-*`, else `aws`.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

impl Pseudo {
    /// `AWS::Partition`.
    pub fn partition(&self) -> &'static str {
        partition_of(&self.region)
    }

    /// `AWS::URLSuffix`.
    pub fn url_suffix(&self) -> &'static str {
        if self.partition() == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        }
    }

    /// The value of a pseudo parameter: `Some(Some(v))` when known,
    /// `Some(None)` when it is a pseudo parameter whose value is not known yet,
    /// `None` when `name` is not a pseudo parameter. `AWS::NoValue` is handled by the evaluator.
    pub fn get(&self, name: &str) -> Option<Option<Value>> {
        let s = |v: &str| Some(Value::String(v.to_string()));
        Some(match name {
            "AWS::Region" => s(&self.region),
            "AWS::Partition" => s(self.partition()),
            "AWS::URLSuffix" => s(self.url_suffix()),
            "AWS::AccountId" => self.account_id.as_deref().and_then(s),
            "AWS::StackName" => self.stack_name.as_deref().and_then(s),
            "AWS::StackId" => self.stack_id.as_deref().and_then(s),
            "AWS::NotificationARNs" => Some(Value::Array(
                self.notification_arns
                    .iter()
                    .map(|a| Value::String(a.clone()))
                    .collect(),
            )),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_and_suffixes() {
        let mut p = Pseudo::default();
        assert_eq!((p.partition(), p.url_suffix()), ("aws", "amazonaws.com"));
        p.region = "cn-north-1".into();
        assert_eq!(
            (p.partition(), p.url_suffix()),
            ("aws-cn", "amazonaws.com.cn")
        );
        p.region = "us-gov-west-1".into();
        assert_eq!(
            (p.partition(), p.url_suffix()),
            ("aws-us-gov", "amazonaws.com")
        );
    }

    #[test]
    fn known_and_unknown() {
        let p = Pseudo {
            account_id: Some("123456789012".into()),
            ..Pseudo::default()
        };
        assert_eq!(
            p.get("AWS::AccountId"),
            Some(Some(Value::String("123456789012".into())))
        );
        assert_eq!(p.get("AWS::StackName"), Some(None));
        assert_eq!(p.get("AWS::Nope"), None);
    }
}
