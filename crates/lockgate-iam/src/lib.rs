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
//! - **Keys the caller cannot see** ([`evaluate_seeing`]): a caller that
//!   knows only part of the context AWS would have says which keys it
//!   knows to be absent; a statement reading any other missing key is
//!   left out of the decision and listed, rather than evaluated with IAM's
//!   missing-key rules (under which `StringNotEquals` on a key AWS does
//!   have would hold and a `Deny` would apply).
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

use policy::{Applies, Effect};

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
/// else the implicit deny. The request's context is taken to be all there
/// is: a key it does not hold is absent, as IAM treats a key missing from
/// the request.
pub fn evaluate(policies: &[(String, Policy)], request: &Request<'_>) -> Decision {
    evaluate_seeing(policies, request, &|_| true).decision
}

/// A statement that would apply to a request but for condition keys the
/// caller cannot see: it is left out of the decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotEvaluated {
    /// The name of the policy holding it, as the caller gave it.
    pub policy: String,
    /// Its `Sid`, if it has one.
    pub sid: Option<String>,
    /// Its place in the policy's `Statement` (from 0).
    pub index: usize,
    /// The keys it reads that the caller cannot see, as the policy spells
    /// them (`aws:PrincipalOrgID`).
    pub keys: Vec<String>,
}

/// What [`evaluate_seeing`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    /// The decision of the statements that could be evaluated.
    pub decision: Decision,
    /// `Deny` statements that would deny the request but for keys the
    /// caller cannot see (until the first explicit deny, which ends the
    /// evaluation).
    pub denies_not_evaluated: Vec<NotEvaluated>,
    /// `Allow` statements that would allow it but for keys the caller
    /// cannot see.
    pub allows_not_evaluated: Vec<NotEvaluated>,
}

/// [`evaluate`] for a caller that knows only part of the request context
/// AWS would hold: the keys in `request.context` are present, and
/// `known_absent(key)` says which others are known to be absent from the
/// request on AWS (a key of another service, `aws:SourceArn` for a direct
/// call…). Any other key is one the caller cannot see: its value on AWS
/// is unknown (`aws:SourceIp`, `aws:PrincipalOrgID`…), and so is whether a
/// statement reading it applies — IAM's rules for a missing key (a negated
/// operator, `...IfExists` and `Null: true` hold) would be wrong for a key
/// that AWS does have.
///
/// A statement that reads such a key in its `Condition` (or in a policy
/// variable of its `Resource` or condition values) and would otherwise
/// apply is not evaluated: it neither denies nor allows, and is listed in
/// [`Evaluation::denies_not_evaluated`] or
/// [`Evaluation::allows_not_evaluated`] for the caller to say so and
/// decide. A statement whose other parts already do not match (action,
/// resource, a condition on a key it sees) is decided without it.
pub fn evaluate_seeing(
    policies: &[(String, Policy)],
    request: &Request<'_>,
    known_absent: &dyn Fn(&str) -> bool,
) -> Evaluation {
    let unseen = |key: &str| !vars::in_context(request.context, key) && !known_absent(key);
    let mut allowed = false;
    let mut denies_not_evaluated = Vec::new();
    let mut allows_not_evaluated = Vec::new();
    for (name, policy) in policies {
        for (index, statement) in policy.statements().iter().enumerate() {
            match (statement.applies_seeing(request, &unseen), statement.effect) {
                (Applies::No, _) => {}
                (Applies::Yes, Effect::Deny) => {
                    return Evaluation {
                        decision: Decision::ExplicitDeny {
                            policy: name.clone(),
                            sid: statement.sid.clone(),
                        },
                        denies_not_evaluated,
                        allows_not_evaluated,
                    };
                }
                (Applies::Yes, Effect::Allow) => allowed = true,
                (Applies::Unknown(keys), effect) => {
                    let skipped = NotEvaluated {
                        policy: name.clone(),
                        sid: statement.sid.clone(),
                        index,
                        keys,
                    };
                    match effect {
                        Effect::Deny => denies_not_evaluated.push(skipped),
                        Effect::Allow => allows_not_evaluated.push(skipped),
                    }
                }
            }
        }
    }
    Evaluation {
        decision: if allowed {
            Decision::Allow
        } else {
            Decision::ImplicitDeny
        },
        denies_not_evaluated,
        allows_not_evaluated,
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

    /// What a caller sees of a request: `aws:ResourceAccount` and
    /// `aws:PrincipalAccount` present, `aws:SourceArn` known absent, any
    /// other key unseen.
    fn seeing(policies: &[(String, Policy)]) -> Evaluation {
        let context = test_context(&[
            ("aws:ResourceAccount", &["123456789012"]),
            ("aws:PrincipalAccount", &["123456789012"]),
        ]);
        evaluate_seeing(
            policies,
            &Request {
                action: "ssm:GetParameter",
                resource: SECRET,
                context: &context,
            },
            &|k| k.eq_ignore_ascii_case("aws:SourceArn"),
        )
    }

    #[test]
    fn statements_on_keys_the_caller_cannot_see_are_not_evaluated() {
        let p = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
            // A data perimeter on keys seen: holds, no deny.
            {"Sid": "Account", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}},
            // On keys unseen: not evaluated, whatever the operator.
            {"Sid": "Org", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}},
            {"Sid": "Vpce", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"Null": {"aws:SourceVpce": "true"}}},
            {"Sid": "Ip", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"},
                           "StringEquals": {"aws:PrincipalAccount": "123456789012"}}},
            // A condition seen that fails decides: not listed.
            {"Sid": "Other", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"StringNotEquals": {"aws:SourceIp": "10.0.0.1"},
                           "StringEquals": {"aws:PrincipalAccount": "999999999999"}}},
            // So does an action that does not match.
            {"Sid": "Put", "Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "*",
             "Condition": {"Null": {"aws:SourceIp": "true"}}},
        ]}));
        let e = seeing(&[("p".to_string(), p)]);
        assert_eq!(e.decision, Decision::Allow);
        let skipped: Vec<_> = e
            .denies_not_evaluated
            .iter()
            .map(|n| (n.sid.as_deref().unwrap_or(""), n.index, n.keys.clone()))
            .collect();
        assert_eq!(
            skipped,
            vec![
                ("Org", 2, vec!["aws:PrincipalOrgID".to_string()]),
                ("Vpce", 3, vec!["aws:SourceVpce".to_string()]),
                ("Ip", 4, vec!["aws:SourceIp".to_string()]),
            ]
        );
        assert!(e.allows_not_evaluated.is_empty());
        // The same document with every key taken as absent (evaluate):
        // the negated operators and Null hold, and the deny applies.
        let p = policy(
            json!({"Statement": {"Sid": "Org", "Effect": "Deny", "Action": "*",
            "Resource": "*", "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}}}}),
        );
        assert!(matches!(
            decide(&[("p".to_string(), p)], "ssm:GetParameter", SECRET),
            Decision::ExplicitDeny { .. }
        ));
    }

    #[test]
    fn keys_known_absent_follow_iams_rules_for_missing_keys() {
        let p = policy(
            json!({"Statement": {"Sid": "Direct", "Effect": "Deny", "Action": "*",
            "Resource": "*", "Condition": {"Null": {"aws:SourceArn": "true"}}}}),
        );
        let e = seeing(&[("p".to_string(), p)]);
        assert_eq!(
            e.decision,
            Decision::ExplicitDeny {
                policy: "p".into(),
                sid: Some("Direct".into())
            }
        );
        assert!(e.denies_not_evaluated.is_empty());
    }

    #[test]
    fn allows_on_keys_unseen_are_listed_not_granted() {
        let p = policy(json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Vpce", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},
            {"Sid": "Tagged", "Effect": "Allow", "Action": "ssm:GetParameter",
             "Resource": "arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}/*"},
            {"Sid": "Wrong", "Effect": "Allow", "Action": "ssm:PutParameter", "Resource": "*",
             "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1"}}},
        ]}));
        let e = seeing(&[("p".to_string(), p)]);
        assert_eq!(e.decision, Decision::ImplicitDeny);
        let listed: Vec<_> = e
            .allows_not_evaluated
            .iter()
            .map(|n| (n.sid.clone().unwrap(), n.keys.clone()))
            .collect();
        assert_eq!(
            listed,
            vec![
                ("Vpce".to_string(), vec!["aws:SourceVpce".to_string()]),
                (
                    "Tagged".to_string(),
                    vec!["aws:PrincipalTag/team".to_string()]
                ),
            ]
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
