//! AWS IAM identity-based policies, evaluated the way IAM evaluates them,
//! so that Lockgate's local AWS APIs (SSM `GetParameter` and the others a
//! function calls) refuse what the function's role does not allow.
//!
//! # What is evaluated
//!
//! - **Documents** ([`Policy::parse`]) as IAM accepts them, as JSON or as
//!   JSON text (CloudFormation's Json-typed properties take either): `Version`
//!   (`2012-10-17`, or `2008-10-17` / absent, where `${...}` is literal
//!   text), `Statement` as one object or a list, `Sid`, `Effect`, `Action` /
//!   `NotAction`, `Resource` / `NotResource`, `Condition`. What IAM refuses
//!   is a [`PolicyError`] naming the statement and the element.
//! - **Actions**: case-insensitive, `*` and `?` wildcards, the service
//!   prefix matched on its own.
//! - **Resources**: case-sensitive ARN matching, `*` and `?` wildcards that
//!   span `/` and `:` in the resource part; policy variables
//!   (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, `${*}`,
//!   `${?}`, `${$}`) substituted from the request's context. A variable the
//!   context cannot resolve makes its statement not apply.
//! - **Conditions**: the `String*`, `Numeric*`, `Date*`, `Bool`,
//!   `BinaryEquals`, `IpAddress` / `NotIpAddress`, `Arn*` and `Null`
//!   operators, each `...IfExists` (but `Null`), the `ForAllValues:` /
//!   `ForAnyValue:` qualifiers, keys compared case-insensitively, and IAM's
//!   rules for keys absent from the request (see the `condition` module).
//! - **The decision** ([`evaluate`]): an explicit `Deny` in any policy
//!   wins, else an `Allow`, else the implicit deny.
//! - **AWS managed policies** ([`Policy::aws_managed`]) Lambda applications
//!   commonly attach, and **AccessDenied messages**
//!   ([`access_denied_message`]) in AWS's words.
//!
//! # What is not
//!
//! Only the principal's identity-based policies (inline and managed) take
//! part. Resource-based policies (bucket, key, queue, function policies),
//! permissions boundaries, service control and resource control policies
//! (AWS Organizations), session policies, VPC endpoint policies and role
//! trust policies are not evaluated, and neither is cross-account access:
//! a request this crate allows may still be refused by AWS for one of
//! those. `Principal` / `NotPrincipal` in a statement are ignored. Which
//! condition keys a request carries is the caller's business: this crate
//! knows no service's actions, resource types or keys.
//!
//! # Example
//!
//! ```
//! use std::collections::HashMap;
//! use lockgate_iam::{Decision, Policy, Request, evaluate};
//!
//! let inline = Policy::parse(&serde_json::json!({
//!     "Version": "2012-10-17",
//!     "Statement": {
//!         "Effect": "Allow",
//!         "Action": "ssm:GetParameter*",
//!         "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/dev/*"
//!     }
//! }))?;
//! let role = [("Inline".to_string(), inline)];
//! let context = HashMap::new();
//! let ask = |resource| evaluate(&role, &Request { action: "ssm:GetParameter", resource, context: &context });
//! assert_eq!(ask("arn:aws:ssm:us-east-1:123456789012:parameter/dev/db"), Decision::Allow);
//! assert_eq!(ask("arn:aws:ssm:us-east-1:123456789012:parameter/prod/db"), Decision::ImplicitDeny);
//! # Ok::<(), lockgate_iam::PolicyError>(())
//! ```

#![deny(clippy::print_stdout, clippy::print_stderr)]

mod condition;
mod error;
mod glob;
mod managed;
mod policy;
mod vars;

use std::collections::HashMap;

pub use error::PolicyError;
pub use policy::Policy;

use policy::Effect;

impl Policy {
    /// The document of an AWS managed policy by ARN
    /// (`arn:aws:iam::aws:policy/ReadOnlyAccess`,
    /// `arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole`),
    /// for the ones Lambda applications commonly attach; `None` for any
    /// other ARN. The path is matched exactly, as IAM does: a policy AWS
    /// publishes under `service-role/` is found only there.
    pub fn aws_managed(arn: &str) -> Option<Policy> {
        managed::lookup(arn)
    }

    /// The ARNs [`Policy::aws_managed`] knows.
    pub fn aws_managed_arns() -> impl Iterator<Item = String> {
        managed::arns()
    }
}

/// What is asked.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The action, `service:Action` (`ssm:GetParameter`).
    pub action: &'a str,
    /// The resource's ARN
    /// (`arn:aws:ssm:us-east-1:123456789012:parameter/dev/x`), or `*` for
    /// an action on no particular resource.
    pub resource: &'a str,
    /// The condition keys known locally and their values
    /// (`aws:RequestedRegion` → `["us-east-1"]`, `ssm:Recursive`, …); keys
    /// are compared case-insensitively, as IAM does. A key with no value
    /// counts as absent.
    pub context: &'a HashMap<String, Vec<String>>,
}

/// IAM's answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    /// A statement allows it and none denies it.
    Allow,
    /// A `Deny` statement matches (an explicit deny wins over any allow).
    ExplicitDeny {
        /// The name of the policy holding the statement, as the caller
        /// gave it.
        policy: String,
        /// The statement's `Sid`, if it has one.
        sid: Option<String>,
    },
    /// Nothing allows it.
    ImplicitDeny,
}

impl Decision {
    /// Whether the request may proceed.
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// Evaluates `request` against named policies (`(name, policy)`, the name
/// used only in answers), in IAM's order: an explicit `Deny` in any of
/// them first (the first one found, in the order given), then an `Allow`,
/// else the implicit deny.
pub fn evaluate(policies: &[(String, Policy)], request: &Request<'_>) -> Decision {
    let mut allowed = false;
    for (name, policy) in policies {
        for statement in policy.statements() {
            if !statement.applies(request) {
                continue;
            }
            match statement.effect {
                Effect::Deny => {
                    return Decision::ExplicitDeny {
                        policy: name.clone(),
                        sid: statement.sid.clone(),
                    };
                }
                Effect::Allow => allowed = true,
            }
        }
    }
    if allowed {
        Decision::Allow
    } else {
        Decision::ImplicitDeny
    }
}

/// AWS's `AccessDeniedException` message for a denied call:
///
/// `User: arn:aws:sts::123456789012:assumed-role/MyRole/MyFunction is not
/// authorized to perform: ssm:GetParameter on resource:
/// arn:aws:ssm:us-east-1:123456789012:parameter/prod/secret because no
/// identity-based policy allows the ssm:GetParameter action`
///
/// and, for an explicit deny, `... with an explicit deny in an
/// identity-based policy`. AWS leaves out `on resource: ...` when the
/// action has no resource; so does this for an empty `resource`. For
/// [`Decision::Allow`] (no denial) the message has no reason clause.
pub fn access_denied_message(
    principal_arn: &str,
    action: &str,
    resource: &str,
    decision: &Decision,
) -> String {
    let on = if resource.is_empty() {
        String::new()
    } else {
        format!(" on resource: {resource}")
    };
    let head = format!("User: {principal_arn} is not authorized to perform: {action}{on}");
    match decision {
        Decision::ImplicitDeny => {
            format!("{head} because no identity-based policy allows the {action} action")
        }
        Decision::ExplicitDeny { .. } => {
            format!("{head} with an explicit deny in an identity-based policy")
        }
        Decision::Allow => head,
    }
}

/// A request context from `(key, values)` pairs, for the tests.
#[cfg(test)]
pub(crate) fn test_context(pairs: &[(&str, &[&str])]) -> HashMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy(doc: serde_json::Value) -> Policy {
        Policy::parse(&doc).expect("valid policy")
    }

    fn decide(policies: &[(String, Policy)], action: &str, resource: &str) -> Decision {
        let context = HashMap::new();
        evaluate(
            policies,
            &Request {
                action,
                resource,
                context: &context,
            },
        )
    }

    const SECRET: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/prod/secret";

    #[test]
    fn explicit_deny_wins_regardless_of_order() {
        let allow = policy(
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}}),
        );
        let deny = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "NoProd", "Effect": "Deny", "Action": "ssm:GetParameter*", "Resource": "arn:aws:ssm:*:*:parameter/prod/*"}
        ]}));
        let expected = Decision::ExplicitDeny {
            policy: "deny-prod".into(),
            sid: Some("NoProd".into()),
        };
        let both = [
            ("allow-all".to_string(), allow.clone()),
            ("deny-prod".to_string(), deny.clone()),
        ];
        assert_eq!(decide(&both, "ssm:GetParameter", SECRET), expected);
        let reversed = [
            ("deny-prod".to_string(), deny),
            ("allow-all".to_string(), allow),
        ];
        assert_eq!(decide(&reversed, "ssm:GetParameter", SECRET), expected);
        assert_eq!(
            decide(
                &reversed,
                "ssm:GetParameter",
                "arn:aws:ssm:us-east-1:123456789012:parameter/dev/x"
            ),
            Decision::Allow
        );
    }

    #[test]
    fn deny_and_allow_in_one_policy() {
        let p = policy(json!({"Statement": [
            {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssm:*", "Resource": SECRET},
        ]}));
        let named = [("inline".to_string(), p)];
        assert_eq!(
            decide(&named, "ssm:GetParameter", SECRET),
            Decision::ExplicitDeny {
                policy: "inline".into(),
                sid: None
            }
        );
    }

    #[test]
    fn nothing_allows() {
        assert_eq!(
            decide(&[], "ssm:GetParameter", SECRET),
            Decision::ImplicitDeny
        );
        let logs = [(
            "basic".to_string(),
            Policy::aws_managed("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
                .unwrap(),
        )];
        assert_eq!(
            decide(&logs, "ssm:GetParameter", SECRET),
            Decision::ImplicitDeny
        );
        assert_eq!(
            decide(
                &logs,
                "logs:PutLogEvents",
                "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:*"
            ),
            Decision::Allow
        );
        assert!(!Decision::ImplicitDeny.is_allowed());
        assert!(Decision::Allow.is_allowed());
    }

    #[test]
    fn a_deny_whose_condition_fails_does_not_deny() {
        let p = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"},
            {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}},
        ]}));
        let named = [("p".to_string(), p)];
        let east: HashMap<String, Vec<String>> = [(
            "aws:RequestedRegion".to_string(),
            vec!["us-east-1".to_string()],
        )]
        .into();
        let west: HashMap<String, Vec<String>> = [(
            "aws:RequestedRegion".to_string(),
            vec!["eu-west-1".to_string()],
        )]
        .into();
        let ask = |context: &HashMap<String, Vec<String>>| {
            evaluate(
                &named,
                &Request {
                    action: "ssm:GetParameter",
                    resource: SECRET,
                    context,
                },
            )
        };
        assert_eq!(ask(&east), Decision::Allow);
        assert_eq!(
            ask(&west),
            Decision::ExplicitDeny {
                policy: "p".into(),
                sid: None
            }
        );
        // Absent key: a negated operator holds, so the deny applies.
        assert_eq!(
            ask(&HashMap::new()),
            Decision::ExplicitDeny {
                policy: "p".into(),
                sid: None
            }
        );
    }

    #[test]
    fn messages_in_aws_words() {
        let who = "arn:aws:sts::123456789012:assumed-role/MyRole/MyFunction";
        assert_eq!(
            access_denied_message(who, "ssm:GetParameter", SECRET, &Decision::ImplicitDeny),
            "User: arn:aws:sts::123456789012:assumed-role/MyRole/MyFunction is not authorized to perform: \
             ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/prod/secret \
             because no identity-based policy allows the ssm:GetParameter action"
        );
        let deny = Decision::ExplicitDeny {
            policy: "p".into(),
            sid: None,
        };
        assert_eq!(
            access_denied_message(who, "ssm:GetParameter", SECRET, &deny),
            "User: arn:aws:sts::123456789012:assumed-role/MyRole/MyFunction is not authorized to perform: \
             ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/prod/secret \
             with an explicit deny in an identity-based policy"
        );
        assert_eq!(
            access_denied_message(who, "ssm:DescribeParameters", "", &Decision::ImplicitDeny),
            "User: arn:aws:sts::123456789012:assumed-role/MyRole/MyFunction is not authorized to perform: \
             ssm:DescribeParameters because no identity-based policy allows the ssm:DescribeParameters action"
        );
        assert_eq!(
            access_denied_message(who, "ssm:GetParameter", SECRET, &Decision::Allow),
            "User: arn:aws:sts::123456789012:assumed-role/MyRole/MyFunction is not authorized to perform: \
             ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/prod/secret"
        );
    }

    #[test]
    fn decision_serializes_with_a_tag() {
        let d = Decision::ExplicitDeny {
            policy: "p".into(),
            sid: Some("S".into()),
        };
        let v = serde_json::to_value(&d).unwrap();
        assert_eq!(
            v,
            json!({"decision": "explicit_deny", "policy": "p", "sid": "S"})
        );
        assert_eq!(
            serde_json::to_value(Decision::Allow).unwrap(),
            json!({"decision": "allow"})
        );
        assert_eq!(serde_json::from_value::<Decision>(v).unwrap(), d);
    }
}
