//! What IAM refuses in a policy document.

/// Why a policy document is not one IAM accepts. Statement indexes count
/// from 0 in the order of the `Statement` list (a single statement object
/// is `Statement[0]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The document is not a JSON object.
    #[error("the policy document is not a JSON object")]
    NotAnObject,
    /// The document is text that is not JSON.
    #[error("the policy document is not valid JSON: {0}")]
    InvalidJson(String),
    /// `Version` is not `2012-10-17` or `2008-10-17`.
    #[error("policy Version {0} is not one IAM accepts (2012-10-17 or 2008-10-17)")]
    UnsupportedVersion(String),
    /// The document has no `Statement`.
    #[error("the policy has no Statement")]
    MissingStatement,
    /// `Statement` is neither an object nor a list.
    #[error("Statement must be an object or a list of objects")]
    InvalidStatement,
    /// The document has an element IAM does not know.
    #[error("the policy has an unknown element {element:?}")]
    UnknownPolicyElement {
        /// The element's name.
        element: String,
    },
    /// A statement in the list is not an object.
    #[error("Statement[{index}] is not an object")]
    StatementNotAnObject {
        /// The statement's index.
        index: usize,
    },
    /// A statement has an element IAM does not know.
    #[error("Statement[{index}] has an unknown element {element:?}")]
    UnknownElement {
        /// The statement's index.
        index: usize,
        /// The element's name.
        element: String,
    },
    /// A required element is missing (`Effect`).
    #[error("Statement[{index}] has no {field}")]
    MissingField {
        /// The statement's index.
        index: usize,
        /// The missing element.
        field: &'static str,
    },
    /// Neither of two alternative elements is given (`Action` / `NotAction`,
    /// `Resource` / `NotResource`).
    #[error("Statement[{index}] has neither {field} nor {other}")]
    MissingEither {
        /// The statement's index.
        index: usize,
        /// The first alternative.
        field: &'static str,
        /// The second alternative.
        other: &'static str,
    },
    /// Both of two exclusive elements are given.
    #[error("Statement[{index}] has both {field} and {other}; IAM accepts only one")]
    Conflicting {
        /// The statement's index.
        index: usize,
        /// The first element.
        field: &'static str,
        /// The second element.
        other: &'static str,
    },
    /// `Effect` is neither `Allow` nor `Deny`.
    #[error("Statement[{index}] has Effect {value}, which is neither Allow nor Deny")]
    UnknownEffect {
        /// The statement's index.
        index: usize,
        /// The value as written (JSON).
        value: String,
    },
    /// An element has the wrong JSON type.
    #[error("Statement[{index}].{field} must be {expected}")]
    InvalidType {
        /// The statement's index.
        index: usize,
        /// The element.
        field: &'static str,
        /// What IAM accepts there.
        expected: &'static str,
    },
    /// `Action` / `NotAction` / `Resource` / `NotResource` is an empty list.
    #[error("Statement[{index}].{field} is empty")]
    Empty {
        /// The statement's index.
        index: usize,
        /// The element.
        field: &'static str,
    },
    /// An action is not `*` nor `service:action`.
    #[error(
        "Statement[{index}].{field} has {action:?}: an action must be \"*\" or prefixed by its service (\"ssm:GetParameter\")"
    )]
    InvalidAction {
        /// The statement's index.
        index: usize,
        /// `Action` or `NotAction`.
        field: &'static str,
        /// The action as written.
        action: String,
    },
    /// A resource is neither `*` nor an ARN.
    #[error("Statement[{index}].{field} has {resource:?}: a resource must be \"*\" or an ARN")]
    InvalidResource {
        /// The statement's index.
        index: usize,
        /// `Resource` or `NotResource`.
        field: &'static str,
        /// The resource as written.
        resource: String,
    },
    /// A `Sid` has a character other than ASCII letters and digits.
    #[error("Statement[{index}] has Sid {sid:?}: IAM accepts only ASCII letters and digits")]
    InvalidSid {
        /// The statement's index.
        index: usize,
        /// The Sid.
        sid: String,
    },
    /// Two statements share a `Sid`.
    #[error("Statement[{index}] repeats Sid {sid:?}: Sids must be unique within a policy")]
    DuplicateSid {
        /// The index of the second statement with this Sid.
        index: usize,
        /// The Sid.
        sid: String,
    },
    /// A condition operator IAM does not know (or a combination it refuses,
    /// such as `NullIfExists`).
    #[error("Statement[{index}].Condition has unknown condition operator {operator:?}")]
    UnknownConditionOperator {
        /// The statement's index.
        index: usize,
        /// The operator as written.
        operator: String,
    },
    /// A condition block IAM refuses: not an object, or a value that is not
    /// a string, number, boolean or a non-empty list of them.
    #[error("Statement[{index}].Condition.{operator}{}: {reason}", key.as_ref().map(|k| format!(".{k}")).unwrap_or_default())]
    InvalidCondition {
        /// The statement's index.
        index: usize,
        /// The operator.
        operator: String,
        /// The condition key, when the fault is in one key's values.
        key: Option<String>,
        /// What is wrong.
        reason: &'static str,
    },
}
