//! A policy document: parsed as IAM accepts it, and its statements matched
//! against a request.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::Request;
use crate::condition::{self, Condition};
use crate::error::PolicyError;
use crate::glob::{self, Tok};
use crate::vars::Template;

/// The policy language version that has policy variables.
const VERSION_2012: &str = "2012-10-17";
/// The older version, the default when `Version` is absent: `${...}` is
/// literal text.
const VERSION_2008: &str = "2008-10-17";

/// One parsed policy document (`Version`, `Statement` as one object or a
/// list).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    statements: Vec<Statement>,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub(crate) sid: Option<String>,
    pub(crate) effect: Effect,
    /// `true` for `NotAction`.
    not_action: bool,
    actions: Vec<Vec<Tok>>,
    /// `true` for `NotResource`.
    not_resource: bool,
    resources: Vec<Template>,
    conditions: Vec<Condition>,
}

impl Policy {
    /// Parses a policy document as IAM accepts it: the JSON value as it
    /// appears in a CloudFormation template's `PolicyDocument` once
    /// intrinsics are resolved.
    ///
    /// `Statement` may be one object or a list; `Action` / `NotAction` /
    /// `Resource` / `NotResource` a string or a list of strings; `Effect`
    /// `Allow` or `Deny`; `Sid` (ASCII letters and digits, unique in the
    /// policy) and `Condition` optional. `Principal` / `NotPrincipal` are
    /// ignored (this is an identity policy), as is the document's `Id`.
    /// What IAM refuses is an error naming the statement and the element:
    /// a missing `Effect`, both or neither of `Action` / `NotAction` (or of
    /// `Resource` / `NotResource`), an unknown `Effect`, an action without
    /// a service prefix, a resource that is neither `*` nor an ARN, an
    /// unknown element or condition operator, a `Version` other than
    /// `2012-10-17` / `2008-10-17`.
    ///
    /// The document may also be a JSON string holding it: CloudFormation
    /// takes one wherever a property is of type Json (an `AWS::IAM::Role`'s
    /// `Policies[].PolicyDocument`, an `AWS::IAM::Policy`'s or
    /// `AWS::IAM::ManagedPolicy`'s `PolicyDocument`), and IAM reads the
    /// text as it reads any document; text that is not JSON is
    /// [`PolicyError::InvalidJson`].
    pub fn parse(doc: &Value) -> Result<Policy, PolicyError> {
        if let Value::String(text) = doc {
            let parsed: Value =
                serde_json::from_str(text).map_err(|e| PolicyError::InvalidJson(e.to_string()))?;
            return Policy::parse_object(&parsed);
        }
        Policy::parse_object(doc)
    }

    fn parse_object(doc: &Value) -> Result<Policy, PolicyError> {
        let obj = doc.as_object().ok_or(PolicyError::NotAnObject)?;
        for key in obj.keys() {
            if !matches!(key.as_str(), "Version" | "Id" | "Statement") {
                return Err(PolicyError::UnknownPolicyElement {
                    element: key.clone(),
                });
            }
        }
        let variables = match obj.get("Version") {
            None => false,
            Some(Value::String(v)) if v == VERSION_2012 => true,
            Some(Value::String(v)) if v == VERSION_2008 => false,
            Some(other) => return Err(PolicyError::UnsupportedVersion(other.to_string())),
        };
        let statements: Vec<&Value> = match obj.get("Statement") {
            None => return Err(PolicyError::MissingStatement),
            Some(Value::Array(list)) => list.iter().collect(),
            Some(one @ Value::Object(_)) => vec![one],
            Some(_) => return Err(PolicyError::InvalidStatement),
        };
        let mut sids = HashSet::new();
        let mut parsed = Vec::with_capacity(statements.len());
        for (index, st) in statements.into_iter().enumerate() {
            let st = st
                .as_object()
                .ok_or(PolicyError::StatementNotAnObject { index })?;
            let statement = Statement::parse(index, st, variables)?;
            if let Some(sid) = statement.sid.as_deref().filter(|s| !s.is_empty())
                && !sids.insert(sid.to_string())
            {
                return Err(PolicyError::DuplicateSid {
                    index,
                    sid: sid.to_string(),
                });
            }
            parsed.push(statement);
        }
        Ok(Policy { statements: parsed })
    }

    /// How many statements the policy has.
    pub fn len(&self) -> usize {
        self.statements.len()
    }

    /// Whether the policy has no statement (it then allows nothing).
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    pub(crate) fn statements(&self) -> &[Statement] {
        &self.statements
    }
}

impl Statement {
    fn parse(
        index: usize,
        st: &Map<String, Value>,
        variables: bool,
    ) -> Result<Statement, PolicyError> {
        for key in st.keys() {
            if !matches!(
                key.as_str(),
                "Sid"
                    | "Effect"
                    | "Action"
                    | "NotAction"
                    | "Resource"
                    | "NotResource"
                    | "Condition"
                    | "Principal"
                    | "NotPrincipal"
            ) {
                return Err(PolicyError::UnknownElement {
                    index,
                    element: key.clone(),
                });
            }
        }
        let sid = match st.get("Sid") {
            None => None,
            Some(Value::String(s)) => {
                if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(PolicyError::InvalidSid {
                        index,
                        sid: s.clone(),
                    });
                }
                Some(s.clone())
            }
            Some(_) => {
                return Err(PolicyError::InvalidType {
                    index,
                    field: "Sid",
                    expected: "a string",
                });
            }
        };
        let effect = match st.get("Effect") {
            None => {
                return Err(PolicyError::MissingField {
                    index,
                    field: "Effect",
                });
            }
            Some(Value::String(e)) if e == "Allow" => Effect::Allow,
            Some(Value::String(e)) if e == "Deny" => Effect::Deny,
            Some(other) => {
                return Err(PolicyError::UnknownEffect {
                    index,
                    value: other.to_string(),
                });
            }
        };
        let (not_action, action_field, raw_actions) = either(index, st, "Action", "NotAction")?;
        let mut actions = Vec::with_capacity(raw_actions.len());
        for a in raw_actions {
            let prefixed = a
                .split_once(':')
                .is_some_and(|(service, _)| !service.is_empty());
            if a != "*" && !prefixed {
                return Err(PolicyError::InvalidAction {
                    index,
                    field: action_field,
                    action: a,
                });
            }
            actions.push(glob::pattern(&a));
        }
        let (not_resource, resource_field, raw_resources) =
            either(index, st, "Resource", "NotResource")?;
        let mut resources = Vec::with_capacity(raw_resources.len());
        for r in raw_resources {
            if r != "*" && !r.starts_with("arn:") {
                return Err(PolicyError::InvalidResource {
                    index,
                    field: resource_field,
                    resource: r,
                });
            }
            resources.push(Template::parse(&r, variables));
        }
        let conditions = match st.get("Condition") {
            None => Vec::new(),
            Some(block) => condition::parse_block(index, block, variables)?,
        };
        Ok(Statement {
            sid,
            effect,
            not_action,
            actions,
            not_resource,
            resources,
            conditions,
        })
    }

    /// Whether this statement applies to the request: its action, its
    /// resource and every condition match. A policy variable the request
    /// cannot resolve makes the statement not apply (IAM: "this might
    /// cause the entire statement to be invalid").
    #[cfg(test)]
    pub(crate) fn applies(&self, request: &Request<'_>) -> bool {
        self.applies_seeing(request, &|_| false) == Applies::Yes
    }

    /// [`Statement::applies`] when some context keys are ones the caller
    /// cannot see (`unseen`: their value on AWS is not known): what the
    /// seen keys decide is decided (a mismatched action or resource, a
    /// condition that fails, an unresolvable variable: [`Applies::No`]);
    /// a statement that would apply but for a condition key (or a variable
    /// of its `Resource` or condition values) that is unseen is
    /// [`Applies::Unknown`], with those keys.
    pub(crate) fn applies_seeing(
        &self,
        request: &Request<'_>,
        unseen: &dyn Fn(&str) -> bool,
    ) -> Applies {
        let action_listed = self
            .actions
            .iter()
            .any(|p| action_matches(p, request.action));
        if action_listed == self.not_action {
            return Applies::No;
        }
        let mut unknown: Vec<String> = Vec::new();
        let mut resource_listed = false;
        for template in &self.resources {
            let hidden: Vec<&str> = template.variables().filter(|k| unseen(k)).collect();
            if !hidden.is_empty() {
                for k in hidden {
                    if !unknown.iter().any(|u| u.eq_ignore_ascii_case(k)) {
                        unknown.push(k.to_string());
                    }
                }
                continue;
            }
            let Some(toks) = template.resolve(request.context) else {
                return Applies::No;
            };
            resource_listed |= glob::arn_glob(&toks, request.resource);
        }
        if unknown.is_empty() {
            if resource_listed == self.not_resource {
                return Applies::No;
            }
        } else if resource_listed && self.not_resource {
            // Listed in `NotResource`: whatever the unseen variables are.
            return Applies::No;
        }
        // Else a resource whose variable is unseen leaves it undecided
        // (even when another matches: IAM invalidates the whole statement
        // if a variable does not resolve).
        for c in &self.conditions {
            if c.holds_seeing(request.context, unseen, &mut unknown) != Some(true) {
                return Applies::No;
            }
        }
        if unknown.is_empty() {
            Applies::Yes
        } else {
            Applies::Unknown(unknown)
        }
    }
}

/// Whether a statement applies to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Applies {
    Yes,
    No,
    /// It would, but for these keys, which the caller cannot see.
    Unknown(Vec<String>),
}

/// `Action` matching: case-insensitive, `*` and `?` wildcards, the service
/// prefix matched on its own (`ssm:*` is no `ssmmessages:` action).
fn action_matches(pattern: &[Tok], action: &str) -> bool {
    if let [Tok::Star] = pattern {
        return true;
    }
    let Some(colon) = pattern.iter().position(|t| *t == Tok::Lit(':')) else {
        return false;
    };
    let Some((service, name)) = action.split_once(':') else {
        return false;
    };
    glob::glob(&pattern[..colon], service, true) && glob::glob(&pattern[colon + 1..], name, true)
}

/// Reads the one of two exclusive string-or-list elements the statement
/// has: (`true` if it is the second, its name, its strings).
fn either(
    index: usize,
    st: &Map<String, Value>,
    field: &'static str,
    other: &'static str,
) -> Result<(bool, &'static str, Vec<String>), PolicyError> {
    let (negated, name, value) = match (st.get(field), st.get(other)) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::Conflicting {
                index,
                field,
                other,
            });
        }
        (None, None) => {
            return Err(PolicyError::MissingEither {
                index,
                field,
                other,
            });
        }
        (Some(v), None) => (false, field, v),
        (None, Some(v)) => (true, other, v),
    };
    let invalid = || PolicyError::InvalidType {
        index,
        field: name,
        expected: "a string or a list of strings",
    };
    let strings = match value {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(invalid))
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(invalid()),
    };
    if strings.is_empty() || strings.iter().any(String::is_empty) {
        return Err(PolicyError::Empty { index, field: name });
    }
    Ok((negated, name, strings))
}

/// A `HashMap` alias the tests share.
#[cfg(test)]
pub(crate) type Context = std::collections::HashMap<String, Vec<String>>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn err(doc: Value) -> PolicyError {
        Policy::parse(&doc).unwrap_err()
    }

    fn applies(doc: Value, action: &str, resource: &str, context: &Context) -> bool {
        let policy = Policy::parse(&doc).expect("valid policy");
        let request = Request {
            action,
            resource,
            context,
        };
        policy.statements().iter().any(|s| s.applies(&request))
    }

    fn allow(action: Value, resource: Value) -> Value {
        json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": action, "Resource": resource}})
    }

    const PARAM: &str = "arn:aws:ssm:us-east-1:123456789012:parameter/dev/x";

    #[test]
    fn statement_as_object_or_list() {
        let one = Policy::parse(&allow(json!("ssm:GetParameter"), json!("*"))).unwrap();
        assert_eq!(one.len(), 1);
        let many = Policy::parse(&json!({
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "A1", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": ["*"]},
                {"Sid": "B2", "Effect": "Deny", "NotAction": "ssm:*", "NotResource": "arn:aws:ssm:*"},
            ],
        }))
        .unwrap();
        assert_eq!(many.len(), 2);
        assert!(Policy::parse(&json!({"Statement": []})).unwrap().is_empty());
    }

    #[test]
    fn documents_as_json_text() {
        // As CloudFormation passes a Json-typed property written as a
        // string: the same document, Deny and all.
        let text = json!(
            r#"{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "ssm:*", "Resource": "*"},
                {"Effect": "Deny", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/dev/x"}]}"#
        );
        let policy = Policy::parse(&text).expect("a JSON string is a document");
        assert_eq!(policy.len(), 2);
        let request = Request {
            action: "ssm:GetParameter",
            resource: PARAM,
            context: &Context::new(),
        };
        assert!(policy.statements()[1].applies(&request));
        assert!(matches!(
            err(json!("{not json")),
            PolicyError::InvalidJson(_)
        ));
        assert_eq!(err(json!("[1]")), PolicyError::NotAnObject);
        // Only one level: a string holding a string is not a document.
        assert_eq!(err(json!("\"{}\"")), PolicyError::NotAnObject);
        assert_eq!(
            err(json!(
                r#"{"Statement": {"Action": "s3:*", "Resource": "*"}}"#
            )),
            PolicyError::MissingField {
                index: 0,
                field: "Effect"
            }
        );
    }

    #[test]
    fn refused_documents() {
        assert_eq!(err(json!([])), PolicyError::NotAnObject);
        assert_eq!(
            err(json!({"Version": "2012-10-17"})),
            PolicyError::MissingStatement
        );
        assert_eq!(
            err(json!({"Statement": "x"})),
            PolicyError::InvalidStatement
        );
        assert_eq!(
            err(json!({"Version": "2012-10-18", "Statement": []})),
            PolicyError::UnsupportedVersion("\"2012-10-18\"".into())
        );
        assert_eq!(
            err(json!({"Statement": [], "Extra": 1})),
            PolicyError::UnknownPolicyElement {
                element: "Extra".into()
            }
        );
        assert_eq!(
            err(json!({"Statement": ["x"]})),
            PolicyError::StatementNotAnObject { index: 0 }
        );
    }

    #[test]
    fn refused_statements() {
        let ok = json!({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"});
        let with = |k: &str, v: Value| {
            let mut st = ok.clone();
            st[k] = v;
            json!({"Statement": [ok.clone(), st]})
        };
        let without = |k: &str| {
            let mut st = ok.clone();
            st.as_object_mut().unwrap().remove(k);
            json!({"Statement": [ok.clone(), st]})
        };
        assert_eq!(
            err(without("Effect")),
            PolicyError::MissingField {
                index: 1,
                field: "Effect"
            }
        );
        assert_eq!(
            err(with("Effect", json!("allow"))),
            PolicyError::UnknownEffect {
                index: 1,
                value: "\"allow\"".into()
            }
        );
        assert_eq!(
            err(with("Effect", json!("Permit"))),
            PolicyError::UnknownEffect {
                index: 1,
                value: "\"Permit\"".into()
            }
        );
        assert_eq!(
            err(with("NotAction", json!("s3:*"))),
            PolicyError::Conflicting {
                index: 1,
                field: "Action",
                other: "NotAction"
            }
        );
        assert_eq!(
            err(without("Action")),
            PolicyError::MissingEither {
                index: 1,
                field: "Action",
                other: "NotAction"
            }
        );
        assert_eq!(
            err(without("Resource")),
            PolicyError::MissingEither {
                index: 1,
                field: "Resource",
                other: "NotResource"
            }
        );
        assert_eq!(
            err(with("NotResource", json!("*"))),
            PolicyError::Conflicting {
                index: 1,
                field: "Resource",
                other: "NotResource"
            }
        );
        assert_eq!(
            err(with("Action", json!([]))),
            PolicyError::Empty {
                index: 1,
                field: "Action"
            }
        );
        assert_eq!(
            err(with("Resource", json!(""))),
            PolicyError::Empty {
                index: 1,
                field: "Resource"
            }
        );
        assert!(matches!(
            err(with("Action", json!(7))),
            PolicyError::InvalidType {
                index: 1,
                field: "Action",
                ..
            }
        ));
        assert!(matches!(
            err(with("Resource", json!(["*", 1]))),
            PolicyError::InvalidType {
                index: 1,
                field: "Resource",
                ..
            }
        ));
        assert_eq!(
            err(with("Action", json!("GetObject"))),
            PolicyError::InvalidAction {
                index: 1,
                field: "Action",
                action: "GetObject".into()
            }
        );
        assert_eq!(
            err(with("Action", json!(":GetObject"))),
            PolicyError::InvalidAction {
                index: 1,
                field: "Action",
                action: ":GetObject".into()
            }
        );
        assert_eq!(
            err(with("Resource", json!("my-bucket"))),
            PolicyError::InvalidResource {
                index: 1,
                field: "Resource",
                resource: "my-bucket".into()
            }
        );
        assert_eq!(
            err(with("Sid", json!("has-dash"))),
            PolicyError::InvalidSid {
                index: 1,
                sid: "has-dash".into()
            }
        );
        assert_eq!(
            err(with("Effects", json!("Allow"))),
            PolicyError::UnknownElement {
                index: 1,
                element: "Effects".into()
            }
        );
        assert_eq!(
            err(with("Condition", json!({"StringEqualz": {"a:b": "c"}}))),
            PolicyError::UnknownConditionOperator {
                index: 1,
                operator: "StringEqualz".into()
            }
        );
        let dup = json!({"Statement": [
            {"Sid": "Same", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
            {"Sid": "Same", "Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"},
        ]});
        assert_eq!(
            err(dup),
            PolicyError::DuplicateSid {
                index: 1,
                sid: "Same".into()
            }
        );
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            err(json!({"Statement": {"Action": "s3:*", "Resource": "*"}})).to_string(),
            "Statement[0] has no Effect"
        );
        assert_eq!(
            err(json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"}}))
                .to_string(),
            "Statement[0] has both Action and NotAction; IAM accepts only one"
        );
        assert_eq!(
            err(json!({"Statement": {"Effect": "Allow", "Resource": "*"}})).to_string(),
            "Statement[0] has neither Action nor NotAction"
        );
        assert_eq!(
            err(json!({"Statement": {"Effect": "Alow", "Action": "s3:*", "Resource": "*"}}))
                .to_string(),
            "Statement[0] has Effect \"Alow\", which is neither Allow nor Deny"
        );
        assert_eq!(
            err(
                json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*",
                "Condition": {"StringEquals": {"a:b": []}}}})
            )
            .to_string(),
            "Statement[0].Condition.StringEquals.a:b: has no value"
        );
    }

    #[test]
    fn principal_is_ignored() {
        let doc = json!({"Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:*", "Resource": "*"}});
        assert!(applies(
            doc,
            "s3:GetObject",
            "arn:aws:s3:::b/k",
            &Context::new()
        ));
    }

    #[test]
    fn action_matching() {
        let c = Context::new();
        let on = |action: &str, pattern: &str| {
            applies(allow(json!(pattern), json!("*")), action, PARAM, &c)
        };
        assert!(on("ssm:GetParameter", "ssm:GetParameter"));
        assert!(on("ssm:GetParameter", "SSM:getparameter"));
        assert!(on("SSM:GETPARAMETER", "ssm:GetParameter"));
        assert!(on("ssm:GetParameter", "ssm:Get*"));
        assert!(on("ssm:GetParametersByPath", "ssm:Get*"));
        assert!(on("ssm:GetParameter", "ssm:Get?arameter"));
        assert!(on("ssm:GetParameter", "ssm:*"));
        assert!(on("ssm:GetParameter", "*"));
        assert!(on("ssm:GetParameter", "*:*"));
        assert!(on("ssm:GetParameter", "s?m:*"));
        assert!(!on("ssm:PutParameter", "ssm:Get*"));
        assert!(!on("ssm:GetParameter", "ssm:GetParameters"));
        assert!(!on("ssmmessages:OpenDataChannel", "ssm:*"));
        assert!(!on("ssm:GetParameter", "s3:*"));
        assert!(!on("GetParameter", "ssm:*"));
        assert!(on("GetParameter", "*"));
    }

    #[test]
    fn not_action() {
        let c = Context::new();
        let doc = json!({"Statement": {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}});
        assert!(applies(doc.clone(), "ssm:GetParameter", PARAM, &c));
        assert!(!applies(doc.clone(), "iam:CreateUser", "*", &c));
        assert!(!applies(doc, "organizations:ListAccounts", "*", &c));
    }

    #[test]
    fn resource_matching() {
        let c = Context::new();
        let on = |resource: &str, pattern: &str| {
            applies(
                allow(json!("ssm:*"), json!(pattern)),
                "ssm:GetParameter",
                resource,
                &c,
            )
        };
        assert!(on(PARAM, "*"));
        assert!(on(PARAM, PARAM));
        assert!(on(
            PARAM,
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/*"
        ));
        assert!(on(PARAM, "arn:aws:ssm:*:*:parameter/*"));
        assert!(on(PARAM, "arn:aws:ssm:*:*:*"));
        assert!(on(
            PARAM,
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/?"
        ));
        assert!(on(
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/a/b/c",
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/*"
        ));
        assert!(on(
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/a/b/c",
            "arn:aws:ssm:us-east-1:123456789012:parameter/*/c"
        ));
        assert!(!on(
            PARAM,
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/*"
        ));
        assert!(!on(
            PARAM,
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/X"
        ));
        assert!(!on(
            PARAM,
            "arn:aws:ssm:us-east-1:123456789012:Parameter/dev/x"
        ));
        assert!(!on(
            PARAM,
            "arn:aws:ssm:eu-west-1:123456789012:parameter/dev/x"
        ));
        assert!(!on(
            PARAM,
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/??"
        ));
    }

    #[test]
    fn not_resource() {
        let c = Context::new();
        let doc = json!({"Statement": {"Effect": "Allow", "Action": "ssm:*",
            "NotResource": "arn:aws:ssm:*:*:parameter/prod/*"}});
        assert!(applies(doc.clone(), "ssm:GetParameter", PARAM, &c));
        assert!(!applies(
            doc,
            "ssm:GetParameter",
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/x",
            &c
        ));
    }

    #[test]
    fn variables_in_resources() {
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ssm:GetParameter",
            "Resource": "arn:aws:ssm:*:*:parameter/${aws:PrincipalTag/team}/*"}});
        let blue: Context = [(
            "aws:PrincipalTag/team".to_string(),
            vec!["blue".to_string()],
        )]
        .into();
        let red: Context = [("aws:principaltag/TEAM".to_string(), vec!["red".to_string()])].into();
        let blue_param = "arn:aws:ssm:us-east-1:1:parameter/blue/db";
        assert!(applies(doc.clone(), "ssm:GetParameter", blue_param, &blue));
        assert!(!applies(doc.clone(), "ssm:GetParameter", blue_param, &red));
        // Key absent: the statement does not match.
        assert!(!applies(
            doc.clone(),
            "ssm:GetParameter",
            blue_param,
            &Context::new()
        ));
        // A value with a wildcard is literal.
        let star: Context = [("aws:PrincipalTag/team".to_string(), vec!["*".to_string()])].into();
        assert!(!applies(doc, "ssm:GetParameter", blue_param, &star));
        // An unresolvable variable in NotResource: the statement does not
        // apply either.
        let not = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ssm:*",
            "NotResource": "arn:aws:ssm:*:*:parameter/${aws:username}"}});
        assert!(!applies(
            not,
            "ssm:GetParameter",
            blue_param,
            &Context::new()
        ));
    }

    #[test]
    fn special_variables_and_versions() {
        let c = Context::new();
        let lit = "arn:aws:s3:::b/a*b";
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/a${*}b"}});
        assert!(applies(doc.clone(), "s3:GetObject", lit, &c));
        assert!(!applies(doc, "s3:GetObject", "arn:aws:s3:::b/axxb", &c));
        // Without Version 2012-10-17, ${...} is literal text.
        let old = json!({"Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:username}"}});
        let alice: Context = [("aws:username".to_string(), vec!["alice".to_string()])].into();
        assert!(!applies(
            old.clone(),
            "s3:GetObject",
            "arn:aws:s3:::b/alice",
            &alice
        ));
        assert!(applies(
            old,
            "s3:GetObject",
            "arn:aws:s3:::b/${aws:username}",
            &alice
        ));
        let v2008 = json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::b/${aws:username}"}});
        assert!(!applies(
            v2008,
            "s3:GetObject",
            "arn:aws:s3:::b/alice",
            &alice
        ));
    }

    #[test]
    fn conditions_gate_the_statement() {
        let doc = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "ssm:GetParameter",
            "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "us-east-1"}}}});
        let east: Context = [(
            "aws:RequestedRegion".to_string(),
            vec!["us-east-1".to_string()],
        )]
        .into();
        let west: Context = [(
            "aws:RequestedRegion".to_string(),
            vec!["us-west-2".to_string()],
        )]
        .into();
        assert!(applies(doc.clone(), "ssm:GetParameter", PARAM, &east));
        assert!(!applies(doc.clone(), "ssm:GetParameter", PARAM, &west));
        assert!(!applies(doc, "ssm:GetParameter", PARAM, &Context::new()));
    }
}
