//! Structural validation in the spirit of CloudFormation: known sections,
//! well-formed resources, outputs, conditions and intrinsic arguments.
//! Every problem is reported, each with its path.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::eval::dynamic::find_dynamic;
use crate::eval::{INTRINSICS, as_intrinsic};
use crate::params::Parameter;
use crate::span::{Path, PathSeg};

/// One structural problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Kebab-case kind.
    pub code: &'static str,
    /// Where.
    pub path: Path,
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub help: Option<String>,
    /// Point at the entry's key rather than its value.
    pub on_key: bool,
    /// Worth knowing, but the template is still valid.
    pub warning: bool,
}

/// The top-level sections CloudFormation knows.
pub const SECTIONS: &[&str] = &[
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
];

/// The attributes CloudFormation takes at resource level (`Description`
/// and `Version` are accepted and ignored by it).
pub const RESOURCE_ATTRIBUTES: &[&str] = &[
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "Metadata",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "UpdatePolicy",
    "CreationPolicy",
    "Description",
    "Version",
];

const SAM_RESOURCE_ATTRIBUTES: &[&str] = &["Connectors", "IgnoreGlobals"];

struct Checker {
    problems: Vec<Problem>,
    path: Vec<PathSeg>,
    conditions: HashSet<String>,
}

fn p(segs: &[&str]) -> Vec<PathSeg> {
    segs.iter()
        .map(|s| PathSeg::Key((*s).to_string()))
        .collect()
}

fn alphanumeric(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric())
}

impl Checker {
    fn push(
        &mut self,
        code: &'static str,
        path: Vec<PathSeg>,
        message: String,
        help: Option<&str>,
        on_key: bool,
    ) {
        self.problems.push(Problem {
            code,
            path: Path(path),
            message,
            help: help.map(str::to_string),
            on_key,
            warning: false,
        });
    }

    fn map<'v>(
        &mut self,
        v: &'v Value,
        path: Vec<PathSeg>,
        what: &str,
    ) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.push(
                    "wrong-type",
                    path,
                    format!("{what} must be a mapping"),
                    Some("expected a mapping of names to values"),
                    false,
                );
                None
            }
        }
    }

    fn top(&mut self, root: &Map<String, Value>, sam: bool) {
        for key in root.keys() {
            let known = SECTIONS.contains(&key.as_str()) || (sam && key == "Globals");
            if !known {
                let help = if key == "Globals" {
                    "`Globals` is a SAM section: add `Transform: AWS::Serverless-2016-10-31`"
                        .to_string()
                } else {
                    crate::suggest::help_for(
                        key,
                        SECTIONS,
                        &format!("expected one of: {}", SECTIONS.join(", ")),
                    )
                };
                self.problems.push(Problem {
                    code: "unknown-section",
                    path: Path(p(&[key])),
                    message: format!("`{key}` is not a template section"),
                    help: Some(help),
                    on_key: true,
                    warning: false,
                });
            }
        }
        if let Some(v) = root.get("AWSTemplateFormatVersion")
            && v.as_str() != Some("2010-09-09")
        {
            self.push(
                "invalid-format-version",
                p(&["AWSTemplateFormatVersion"]),
                format!("`AWSTemplateFormatVersion` must be \"2010-09-09\", not {v}"),
                Some("expected AWSTemplateFormatVersion: \"2010-09-09\""),
                false,
            );
        }
        if let Some(v) = root.get("Description")
            && !v.is_string()
        {
            self.push(
                "wrong-type",
                p(&["Description"]),
                "`Description` must be a string".into(),
                None,
                false,
            );
        }
        if let Some(v) = root.get("Transform") {
            let ok = match v {
                Value::String(_) => true,
                Value::Array(items) => items.iter().all(|i| i.is_string() || i.is_object()),
                Value::Object(m) => m.contains_key("Name"),
                _ => false,
            };
            if !ok {
                self.push(
                    "wrong-type",
                    p(&["Transform"]),
                    "`Transform` must be a transform name or a list of them".into(),
                    Some("expected e.g. Transform: AWS::Serverless-2016-10-31"),
                    false,
                );
            }
        }
        for section in ["Metadata", "Rules", "Globals"] {
            if let Some(v) = root.get(section) {
                self.map(v, p(&[section]), &format!("`{section}`"));
            }
        }
    }

    fn parameters(&mut self, root: &Map<String, Value>) {
        let Some(v) = root.get("Parameters") else {
            return;
        };
        let Some(params) = self.map(v, p(&["Parameters"]), "`Parameters`") else {
            return;
        };
        if params.len() > 200 {
            self.push(
                "too-many-parameters",
                p(&["Parameters"]),
                format!(
                    "Number of parameters, {}, is greater than maximum allowed, 200",
                    params.len()
                ),
                Some("a CloudFormation stack takes at most 200 parameters: group values into mappings or split the stack"),
                true,
            );
        }
        for (name, decl) in params {
            if !alphanumeric(name) {
                self.push(
                    "invalid-name",
                    p(&["Parameters", name]),
                    format!("the parameter name `{name}` is not alphanumeric"),
                    Some("names may use A-Z, a-z and 0-9 only"),
                    true,
                );
            }
            if let Err(problems) = Parameter::from_json(name, decl) {
                for pr in problems {
                    let mut path = p(&["Parameters", name]);
                    if let Some(prop) = pr.property {
                        path.push(PathSeg::Key(prop.to_string()));
                    }
                    self.problems.push(Problem {
                        code: "invalid-parameter",
                        path: Path(path),
                        message: pr.message,
                        help: pr.help,
                        on_key: pr.property.is_none(),
                        warning: false,
                    });
                }
            }
        }
    }

    fn mappings(&mut self, root: &Map<String, Value>) {
        let Some(v) = root.get("Mappings") else {
            return;
        };
        let Some(maps) = self.map(v, p(&["Mappings"]), "`Mappings`") else {
            return;
        };
        for (name, m) in maps {
            let Some(top) = self.map(m, p(&["Mappings", name]), &format!("the mapping `{name}`"))
            else {
                continue;
            };
            for (k, second) in top {
                self.map(
                    second,
                    p(&["Mappings", name, k]),
                    &format!("the entry `{k}` of mapping `{name}`"),
                );
            }
        }
    }

    fn conditions_section(&mut self, root: &Map<String, Value>) {
        let Some(v) = root.get("Conditions") else {
            return;
        };
        let Some(conds) = self.map(v, p(&["Conditions"]), "`Conditions`") else {
            return;
        };
        for (name, body) in conds {
            let ok = matches!(as_intrinsic(body), Some((f, _)) if matches!(f, "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition"));
            if !ok {
                self.push(
                    "invalid-condition",
                    p(&["Conditions", name]),
                    format!("the condition `{name}` is not a condition function"),
                    Some("expected Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition"),
                    false,
                );
            }
        }
    }

    fn condition_help(&self, c: &str) -> String {
        let names: Vec<&str> = self.conditions.iter().map(String::as_str).collect();
        crate::suggest::help_for(
            c,
            &names,
            "expected the name of an entry in the Conditions section",
        )
    }

    fn condition_attr(&mut self, v: &Value, path: Vec<PathSeg>) {
        match v.as_str() {
            Some(c) if self.conditions.contains(c) => {}
            Some(c) => {
                let help = self.condition_help(c);
                self.push(
                    "unknown-condition",
                    path,
                    format!("`{c}` is not a condition of this template"),
                    Some(&help),
                    false,
                );
            }
            None => self.push(
                "wrong-type",
                path,
                "`Condition` must be the name of a condition".into(),
                None,
                false,
            ),
        }
    }

    fn resources(&mut self, root: &Map<String, Value>, sam: bool) {
        let Some(v) = root.get("Resources") else {
            self.push(
                "missing-resources",
                Vec::new(),
                "the template has no `Resources` section".into(),
                Some("a template must declare at least one resource under `Resources`"),
                false,
            );
            return;
        };
        if v.is_null() {
            self.push(
                "missing-resources",
                p(&["Resources"]),
                "`Resources` is empty".into(),
                Some("a template must declare at least one resource"),
                true,
            );
            return;
        }
        let Some(resources) = self.map(v, p(&["Resources"]), "`Resources`") else {
            return;
        };
        if resources.is_empty() {
            self.push(
                "missing-resources",
                p(&["Resources"]),
                "`Resources` is empty".into(),
                Some("a template must declare at least one resource"),
                true,
            );
        }
        for (id, res) in resources {
            if !alphanumeric(id) {
                self.push(
                    "invalid-name",
                    p(&["Resources", id]),
                    format!("the logical ID `{id}` is not alphanumeric"),
                    Some("logical IDs may use A-Z, a-z and 0-9 only"),
                    true,
                );
            }
            let Some(obj) = self.map(res, p(&["Resources", id]), &format!("the resource `{id}`"))
            else {
                continue;
            };
            match obj.get("Type") {
                None => self.push(
                    "missing-type",
                    p(&["Resources", id]),
                    format!("the resource `{id}` has no `Type`"),
                    Some("expected e.g. Type: AWS::S3::Bucket"),
                    true,
                ),
                Some(Value::String(t)) if t.contains("::") => {}
                Some(Value::String(t)) => self.push(
                    "invalid-type",
                    p(&["Resources", id, "Type"]),
                    format!("`{t}` is not a resource type"),
                    Some("expected a type such as AWS::S3::Bucket or Custom::Name"),
                    false,
                ),
                Some(_) => self.push(
                    "wrong-type",
                    p(&["Resources", id, "Type"]),
                    format!("the `Type` of resource `{id}` must be a string"),
                    None,
                    false,
                ),
            }
            for key in obj.keys() {
                let known = RESOURCE_ATTRIBUTES.contains(&key.as_str())
                    || (sam && SAM_RESOURCE_ATTRIBUTES.contains(&key.as_str()));
                if !known {
                    let mut candidates: Vec<&str> = RESOURCE_ATTRIBUTES.to_vec();
                    if sam {
                        candidates.extend(SAM_RESOURCE_ATTRIBUTES);
                    }
                    let help = crate::suggest::help_for(
                        key,
                        &candidates,
                        "expected Type, Properties, DependsOn, Condition, Metadata, DeletionPolicy, UpdateReplacePolicy, UpdatePolicy, CreationPolicy or Description",
                    );
                    self.problems.push(Problem {
                        code: "unknown-attribute",
                        path: Path(p(&["Resources", id, key])),
                        message: format!(
                            "`{key}` is not a resource attribute: CloudFormation ignores it"
                        ),
                        help: Some(help),
                        on_key: true,
                        warning: true,
                    });
                }
            }
            if let Some(props) = obj.get("Properties")
                && !props.is_object()
                && as_intrinsic(props).is_none()
            {
                self.push(
                    "wrong-type",
                    p(&["Resources", id, "Properties"]),
                    format!("the `Properties` of resource `{id}` must be a mapping"),
                    None,
                    false,
                );
            }
            if let Some(c) = obj.get("Condition") {
                self.condition_attr(c, p(&["Resources", id, "Condition"]));
            }
            if let Some(d) = obj.get("DependsOn") {
                let ok = match d {
                    Value::String(_) => true,
                    Value::Array(items) => items.iter().all(Value::is_string),
                    _ => false,
                };
                if !ok {
                    self.push(
                        "wrong-type",
                        p(&["Resources", id, "DependsOn"]),
                        "`DependsOn` must be a resource name or a list of them".into(),
                        Some("expected DependsOn: LogicalId or [LogicalId, …]"),
                        false,
                    );
                }
            }
            for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
                if let Some(v) = obj.get(policy) {
                    let ok = match v.as_str() {
                        Some(s) => {
                            matches!(s, "Delete" | "Retain" | "Snapshot" | "RetainExceptOnCreate")
                        }
                        None => as_intrinsic(v).is_some(),
                    };
                    if !ok {
                        self.push("invalid-policy", p(&["Resources", id, policy]), format!("`{policy}` must be Delete, Retain, RetainExceptOnCreate or Snapshot"), None, false);
                    }
                }
            }
        }
    }

    fn outputs(&mut self, root: &Map<String, Value>) {
        let Some(v) = root.get("Outputs") else { return };
        let Some(outputs) = self.map(v, p(&["Outputs"]), "`Outputs`") else {
            return;
        };
        for (name, o) in outputs {
            if !alphanumeric(name) {
                self.push(
                    "invalid-name",
                    p(&["Outputs", name]),
                    format!("the output name `{name}` is not alphanumeric"),
                    None,
                    true,
                );
            }
            let Some(obj) = self.map(o, p(&["Outputs", name]), &format!("the output `{name}`"))
            else {
                continue;
            };
            if !obj.contains_key("Value") {
                self.push(
                    "missing-value",
                    p(&["Outputs", name]),
                    format!("the output `{name}` has no `Value`"),
                    Some("expected Value: …"),
                    true,
                );
            }
            for key in obj.keys() {
                if !matches!(
                    key.as_str(),
                    "Value" | "Description" | "Export" | "Condition"
                ) {
                    self.push(
                        "unknown-attribute",
                        p(&["Outputs", name, key]),
                        format!("`{key}` is not an output attribute"),
                        Some("expected Value, Description, Export or Condition"),
                        true,
                    );
                }
            }
            if let Some(e) = obj.get("Export") {
                match e.as_object() {
                    Some(m) if m.contains_key("Name") => {}
                    _ => self.push(
                        "invalid-export",
                        p(&["Outputs", name, "Export"]),
                        format!("the `Export` of output `{name}` needs a `Name`"),
                        Some("expected Export: {Name: …}"),
                        false,
                    ),
                }
            }
            if let Some(c) = obj.get("Condition") {
                self.condition_attr(c, p(&["Outputs", name, "Condition"]));
            }
        }
    }

    /// Intrinsic argument shapes, `Fn::If` condition names and dynamic references, everywhere.
    fn walk(&mut self, v: &Value) {
        match v {
            Value::Object(m) => {
                if let Some((name, arg)) = as_intrinsic(v) {
                    self.path.push(PathSeg::Key(name.to_string()));
                    self.shape(name, arg);
                    self.walk(arg);
                    self.path.pop();
                    return;
                }
                for (k, x) in m {
                    if k.starts_with("Fn::") && m.len() > 1 && INTRINSICS.contains(&k.as_str()) {
                        let mut path = self.path.clone();
                        path.push(PathSeg::Key(k.clone()));
                        self.push(
                            "invalid-intrinsic",
                            path,
                            format!("`{k}` must be the only key of its mapping"),
                            Some("an intrinsic function is a mapping with exactly one key"),
                            true,
                        );
                    }
                    self.path.push(PathSeg::Key(k.clone()));
                    self.walk(x);
                    self.path.pop();
                }
            }
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    self.path.push(PathSeg::Index(i));
                    self.walk(x);
                    self.path.pop();
                }
            }
            Value::String(s) if s.contains("{{resolve:") => {
                for (_, r) in find_dynamic(s) {
                    if let Err(e) = r {
                        let path = self.path.clone();
                        self.problems.push(Problem {
                            code: "invalid-dynamic-reference",
                            path: Path(path),
                            message: e.message,
                            help: Some(e.help),
                            on_key: false,
                            warning: false,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    fn shape(&mut self, name: &str, arg: &Value) {
        let len = arg.as_array().map(Vec::len);
        let (ok, expected) = match name {
            "Ref" => (arg.is_string(), "Ref: NAME (a string)"),
            "Condition" => (arg.is_string(), "Condition: NAME"),
            "Fn::GetAtt" => (
                matches!(arg, Value::String(s) if s.contains('.'))
                    || (len == Some(2) && arg[0].is_string()),
                "Fn::GetAtt: [LogicalId, Attribute] or !GetAtt LogicalId.Attribute",
            ),
            "Fn::Sub" => (
                arg.is_string() || (len == Some(2) && arg[0].is_string() && arg[1].is_object()),
                "Fn::Sub: STRING or [STRING, {Var: Value}]",
            ),
            "Fn::If" => (
                len == Some(3) && arg[0].is_string(),
                "Fn::If: [ConditionName, ValueIfTrue, ValueIfFalse]",
            ),
            "Fn::Join" => (len == Some(2), "Fn::Join: [Delimiter, [Values…]]"),
            "Fn::Select" => (len == Some(2), "Fn::Select: [Index, [Values…]]"),
            "Fn::Split" => (len == Some(2), "Fn::Split: [Delimiter, String]"),
            "Fn::FindInMap" => (
                matches!(len, Some(3 | 4)),
                "Fn::FindInMap: [MapName, TopLevelKey, SecondLevelKey]",
            ),
            "Fn::Cidr" => (len == Some(3), "Fn::Cidr: [IpBlock, Count, CidrBits]"),
            "Fn::Equals" => (len == Some(2), "Fn::Equals: [Value1, Value2]"),
            "Fn::And" | "Fn::Or" => (matches!(len, Some(2..=10)), "a list of 2 to 10 conditions"),
            "Fn::Not" => (len == Some(1), "Fn::Not: [Condition]"),
            _ => (true, ""),
        };
        if !ok {
            self.push(
                "invalid-argument",
                self.path.clone(),
                format!("`{name}` has malformed arguments"),
                Some(&format!("expected {expected}")),
                false,
            );
            return;
        }
        if name == "Fn::If"
            && let Some(c) = arg[0].as_str()
            && !self.conditions.contains(c)
        {
            let mut path = self.path.clone();
            path.push(PathSeg::Index(0));
            let help = self.condition_help(c);
            self.push(
                "unknown-condition",
                path,
                format!("`{c}` is not a condition of this template"),
                Some(&help),
                false,
            );
        }
    }
}

/// Checks the structure of a template (before any transform). `sam` allows SAM-only parts.
pub fn validate_structure(template: &Value, sam: bool) -> Vec<Problem> {
    let Some(root) = template.as_object() else {
        return vec![Problem {
            code: "not-a-mapping",
            path: Path::root(),
            message: "the template must be a mapping of sections".into(),
            help: Some("expected e.g. `Resources:` at the top level".into()),
            on_key: false,
            warning: false,
        }];
    };
    let conditions = root
        .get("Conditions")
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let mut c = Checker {
        problems: Vec::new(),
        path: Vec::new(),
        conditions,
    };
    c.top(root, sam);
    c.parameters(root);
    c.mappings(root);
    c.conditions_section(root);
    c.resources(root, sam);
    c.outputs(root);
    for section in ["Resources", "Outputs", "Globals"] {
        if let Some(v) = root.get(section) {
            c.path = p(&[section]);
            c.walk(v);
        }
    }
    c.problems
}

#[cfg(test)]
mod tests;
