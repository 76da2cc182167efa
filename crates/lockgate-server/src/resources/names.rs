//! AWS's rules for the names a template gives its resources (`RoleName`,
//! a rule's `Name`, `LogGroupName`…): a name the service would refuse is
//! refused here with the service's kind of message, before anything is
//! made. Names are never paths; these rules keep them what AWS accepts.

use lockgate_engine::ProviderError;

/// One service's rule for one kind of name.
#[derive(Debug, Clone, Copy)]
pub struct NameRule {
    /// The property, as the template spells it (`RoleName`).
    pub field: &'static str,
    /// The member as the service's API names it (`roleName`), for the message.
    pub member: &'static str,
    /// The most characters the service takes (it takes at least one).
    pub max: usize,
    /// The characters it takes (checked one by one)…
    pub allowed: fn(char) -> bool,
    /// …as the pattern the service documents them (`None`: any character).
    pub pattern: Option<&'static str>,
}

/// IAM `RoleName`: 1–64 of `[\w+=,.@-]`.
pub const ROLE_NAME: NameRule = NameRule {
    field: "RoleName",
    member: "roleName",
    max: 64,
    allowed: iam_char,
    pattern: Some(r"[\w+=,.@-]+"),
};

/// EventBridge rule `Name`: 1–64 of `[\.\-_A-Za-z0-9]`.
pub const RULE_NAME: NameRule = NameRule {
    field: "Name",
    member: "name",
    max: 64,
    allowed: rule_char,
    pattern: Some(r"[\.\-_A-Za-z0-9]+"),
};

/// CloudWatch Logs `LogGroupName`: 1–512 of `[\.\-_/#A-Za-z0-9]`.
pub const LOG_GROUP_NAME: NameRule = NameRule {
    field: "LogGroupName",
    member: "logGroupName",
    max: 512,
    allowed: log_group_char,
    pattern: Some(r"[\.\-_/#A-Za-z0-9]+"),
};

/// Lambda `LayerName`: 1–140 of `[a-zA-Z0-9-_]` (or a layer ARN, see
/// [`layer_name`]).
pub const LAYER_NAME: NameRule = NameRule {
    field: "LayerName",
    member: "layerName",
    max: 140,
    allowed: word_or_hyphen,
    pattern: Some("[a-zA-Z0-9-_]+"),
};

/// CloudWatch `AlarmName`: 1–255 characters.
pub const ALARM_NAME: NameRule = NameRule {
    field: "AlarmName",
    member: "alarmName",
    max: 255,
    allowed: any_char,
    pattern: None,
};

/// API Gateway `StageName`: 1–128 letters, digits, hyphens and
/// underscores (an HTTP API's may also be `$default`).
pub const STAGE_NAME: NameRule = NameRule {
    field: "StageName",
    member: "stageName",
    max: 128,
    allowed: word_or_hyphen,
    pattern: Some("[a-zA-Z0-9-_]+"),
};

/// CodeDeploy `ApplicationName`: 1–100 characters.
pub const APPLICATION_NAME: NameRule = NameRule {
    field: "ApplicationName",
    member: "applicationName",
    max: 100,
    allowed: any_char,
    pattern: None,
};

/// CodeDeploy `DeploymentGroupName`: 1–100 characters.
pub const DEPLOYMENT_GROUP_NAME: NameRule = NameRule {
    field: "DeploymentGroupName",
    member: "deploymentGroupName",
    max: 100,
    allowed: any_char,
    pattern: None,
};

fn any_char(_: char) -> bool {
    true
}

fn iam_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

fn rule_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-".contains(c)
}

fn log_group_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._-/#".contains(c)
}

fn word_or_hyphen(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl NameRule {
    /// `Ok` when `value` is a name the service takes; else the service's
    /// validation message, naming the property.
    pub fn check(&self, value: &str) -> Result<(), ProviderError> {
        self.check_as(value, value)
    }

    /// [`NameRule::check`] of `value`, a part of the property's value
    /// `given`: the message quotes the value given whole, as the service
    /// does (and never only a part of it: what a deploy masks in a message,
    /// where the value derives from a secret, is the property's value).
    fn check_as(&self, value: &str, given: &str) -> Result<(), ProviderError> {
        let fail = |constraint: String| {
            Err(ProviderError::invalid(format!(
                "{}: 1 validation error detected: Value '{given}' at '{}' failed to satisfy \
                 constraint: {constraint}",
                self.field, self.member
            )))
        };
        let len = value.chars().count();
        if len == 0 {
            return fail("Member must have length greater than or equal to 1".into());
        }
        if len > self.max {
            return fail(format!(
                "Member must have length less than or equal to {}",
                self.max
            ));
        }
        if let Some(pattern) = self.pattern
            && !value.chars().all(self.allowed)
        {
            return fail(format!(
                "Member must satisfy regular expression pattern: {pattern}"
            ));
        }
        Ok(())
    }
}

/// The layer's name from a `LayerName` that is a name or a layer ARN
/// (`arn:aws:lambda:us-east-1:123456789012:layer:my-layer`), checked.
pub fn layer_name(value: &str) -> Result<&str, ProviderError> {
    let name = match value.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.split(':').collect();
            match parts.as_slice() {
                [partition, "lambda", region, account, "layer", name]
                    if !partition.is_empty()
                        && !region.is_empty()
                        && account.len() == 12
                        && account.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    *name
                }
                _ => {
                    return Err(ProviderError::invalid(format!(
                        "LayerName: `{value}` is neither a layer name nor a layer ARN \
                         (arn:aws:lambda:REGION:ACCOUNT:layer:NAME)"
                    )));
                }
            }
        }
        None => value,
    };
    LAYER_NAME.check_as(name, value)?;
    Ok(name)
}

/// Checks a Lambda alias `Name`: 1–128 letters, digits, hyphens and
/// underscores, not all digits (that would be a version).
pub fn check_alias_name(value: &str) -> Result<(), ProviderError> {
    const ALIAS_NAME: NameRule = NameRule {
        field: "Name",
        member: "name",
        max: 128,
        allowed: word_or_hyphen,
        pattern: Some("(?!^[0-9]+$)([a-zA-Z0-9-_]+)"),
    };
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ProviderError::invalid(format!(
            "Name: 1 validation error detected: Value '{value}' at 'name' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)"
        )));
    }
    ALIAS_NAME.check(value)
}

/// Checks an API Gateway stage name; `$default` only for an HTTP API.
pub fn check_stage_name(value: &str, http_api: bool) -> Result<(), ProviderError> {
    if http_api && value == "$default" {
        return Ok(());
    }
    STAGE_NAME.check(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type that takes a name from its template checks it before it
    /// makes anything; a good name is made as given.
    #[tokio::test]
    async fn explicit_names_are_checked_by_every_type() {
        use crate::resources::testing::Harness;
        use crate::resources::{ResourceType, cloudwatch};
        use crate::resources::{apigateway, apigatewayv2, codedeploy, events, iam, lambda, logs};
        use serde_json::json;
        let h = Harness::new().await;
        let code = h.code_dir("lib.txt", "x");
        type Case<'a> = (&'a dyn ResourceType, serde_json::Value, &'a str);
        let cases: Vec<Case> = vec![
            (
                &events::Rule,
                json!({"Name": "../x", "ScheduleExpression": "rate(1 minute)"}),
                "Name: 1 validation error detected: Value '../x' at 'name'",
            ),
            (
                &iam::Role,
                json!({"RoleName": "../../tmp/x", "AssumeRolePolicyDocument": {}}),
                "RoleName: 1 validation error detected: Value '../../tmp/x' at 'roleName'",
            ),
            (
                &logs::LogGroup,
                json!({"LogGroupName": "a b"}),
                "LogGroupName: 1 validation error detected",
            ),
            (
                &lambda::LayerVersion,
                json!({"LayerName": "../deps", "Content": code}),
                "LayerName: 1 validation error detected",
            ),
            (
                &apigateway::Stage,
                json!({"RestApiId": "abc", "StageName": "$default"}),
                "StageName: 1 validation error detected",
            ),
            (
                &apigatewayv2::Stage,
                json!({"ApiId": "abc", "StageName": "v/1"}),
                "StageName: 1 validation error detected",
            ),
            (
                &cloudwatch::Alarm,
                json!({"AlarmName": "a".repeat(256)}),
                "AlarmName: 1 validation error detected",
            ),
            (
                &codedeploy::Application,
                json!({"ApplicationName": "a".repeat(101)}),
                "ApplicationName: 1 validation error detected",
            ),
            (
                &codedeploy::DeploymentGroup,
                json!({"ApplicationName": "app", "DeploymentGroupName": ""}),
                "DeploymentGroupName: 1 validation error detected",
            ),
            (
                &lambda::Alias,
                json!({"FunctionName": "f", "FunctionVersion": "$LATEST", "Name": "7"}),
                "Name: 1 validation error detected: Value '7'",
            ),
        ];
        for (ty, props, expected) in cases {
            let e = h.put(ty, "Named", &props).await.unwrap_err();
            assert!(
                e.message.starts_with(expected),
                "{}: {}",
                ty.type_name(),
                e.message
            );
        }
        let rule = json!({"Name": "Nightly.Job-1", "ScheduleExpression": "rate(1 minute)"});
        let made = h.put(&events::Rule, "Named", &rule).await.unwrap();
        assert_eq!(made.physical_id, "Nightly.Job-1");
        let arn = json!({
            "LayerName": "arn:aws:lambda:us-east-1:123456789012:layer:deps",
            "Content": code,
        });
        let layer = h.put(&lambda::LayerVersion, "L", &arn).await.unwrap();
        assert_eq!(
            layer.physical_id,
            "arn:aws:lambda:us-east-1:123456789012:layer:deps:1"
        );
    }

    fn message(r: Result<(), ProviderError>) -> String {
        r.expect_err("expected a refusal").to_string()
    }

    #[test]
    fn names_aws_takes_are_taken() {
        ROLE_NAME.check("my-role_1+=,.@").unwrap();
        RULE_NAME.check("Nightly.Job-1_x").unwrap();
        LOG_GROUP_NAME.check("/aws/lambda/my-fn#1").unwrap();
        ALARM_NAME.check("p99 latency > 2s (prod)").unwrap();
        APPLICATION_NAME.check("my app").unwrap();
        DEPLOYMENT_GROUP_NAME.check(&"g".repeat(100)).unwrap();
        check_stage_name("prod_v2-1", false).unwrap();
        check_stage_name("$default", true).unwrap();
        check_alias_name("live").unwrap();
        check_alias_name("v2").unwrap();
        assert_eq!(layer_name("deps").unwrap(), "deps");
        assert_eq!(
            layer_name("arn:aws:lambda:us-east-1:123456789012:layer:deps").unwrap(),
            "deps"
        );
    }

    #[test]
    fn names_aws_refuses_are_refused_with_the_rule() {
        let m = message(ROLE_NAME.check("../../tmp/x"));
        assert_eq!(
            m,
            "RoleName: 1 validation error detected: Value '../../tmp/x' at 'roleName' failed to \
             satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
        );
        assert!(message(ROLE_NAME.check(&"r".repeat(65))).contains("less than or equal to 64"));
        assert!(message(RULE_NAME.check("a/b")).contains(r"[\.\-_A-Za-z0-9]+"));
        assert!(message(RULE_NAME.check("")).contains("greater than or equal to 1"));
        assert!(message(LOG_GROUP_NAME.check("a b")).contains("logGroupName"));
        assert!(message(ALARM_NAME.check(&"a".repeat(256))).contains("255"));
        assert!(message(check_stage_name("$default", false)).contains("stageName"));
        assert!(message(check_stage_name("v 1", true)).contains("[a-zA-Z0-9-_]+"));
        assert!(
            layer_name("arn:aws:lambda:us-east-1:123:layer:deps")
                .unwrap_err()
                .to_string()
                .contains("layer ARN")
        );
        assert!(
            layer_name("a.b")
                .unwrap_err()
                .to_string()
                .contains("layerName")
        );
        // An ARN's name refused: the message quotes the value given whole.
        let arn = "arn:aws:lambda:us-east-1:123456789012:layer:a.b";
        assert!(
            layer_name(arn)
                .unwrap_err()
                .to_string()
                .contains(&format!("Value '{arn}' at 'layerName'"))
        );
        assert!(message(check_alias_name("12")).contains("(?!^[0-9]+$)"));
        assert!(message(check_alias_name("a:b")).contains("at 'name'"));
        assert!(message(APPLICATION_NAME.check(&"a".repeat(101))).contains("100"));
    }
}
