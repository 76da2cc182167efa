//! Template parameters: types, constraints, supplied values and NoEcho redaction.

use serde_json::{Map, Value};

mod pattern;
pub use pattern::{AllowedPattern, java_to_fancy};

/// The type of a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamType {
    /// `String`.
    String,
    /// `Number` (an integer or a float, kept as its text).
    Number,
    /// `List<Number>`.
    NumberList,
    /// `CommaDelimitedList`.
    CommaDelimitedList,
    /// An AWS-specific type such as `AWS::EC2::VPC::Id` (a string).
    Aws(String),
    /// A list of an AWS-specific type: `List<AWS::EC2::Subnet::Id>`.
    AwsList(String),
    /// `AWS::SSM::Parameter::Name` (the name, not the value).
    SsmName,
    /// `AWS::SSM::Parameter::Value<T>`: the value is read from Parameter Store.
    Ssm(String),
}

/// AWS-specific parameter types CloudFormation knows.
const AWS_TYPES: &[&str] = &[
    "AWS::EC2::AvailabilityZone::Name",
    "AWS::EC2::Image::Id",
    "AWS::EC2::Instance::Id",
    "AWS::EC2::KeyPair::KeyName",
    "AWS::EC2::SecurityGroup::GroupName",
    "AWS::EC2::SecurityGroup::Id",
    "AWS::EC2::Subnet::Id",
    "AWS::EC2::Volume::Id",
    "AWS::EC2::VPC::Id",
    "AWS::Route53::HostedZone::Id",
];

impl ParamType {
    /// Parses a `Type` value; `None` when CloudFormation does not know it.
    pub fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "String" => ParamType::String,
            "Number" => ParamType::Number,
            "List<Number>" => ParamType::NumberList,
            // Not in CloudFormation's documentation, but accepted by it and used by SAM templates.
            "List<String>" => ParamType::CommaDelimitedList,
            "CommaDelimitedList" => ParamType::CommaDelimitedList,
            "AWS::SSM::Parameter::Name" => ParamType::SsmName,
            _ => {
                if let Some(inner) = s
                    .strip_prefix("AWS::SSM::Parameter::Value<")
                    .and_then(|r| r.strip_suffix('>'))
                {
                    let ok = matches!(inner, "String" | "List<String>" | "CommaDelimitedList")
                        || ParamType::parse(inner).is_some_and(|t| {
                            matches!(t, ParamType::Aws(_) | ParamType::AwsList(_))
                        });
                    return ok.then(|| ParamType::Ssm(inner.to_string()));
                }
                if let Some(inner) = s.strip_prefix("List<").and_then(|r| r.strip_suffix('>')) {
                    return AWS_TYPES
                        .contains(&inner)
                        .then(|| ParamType::AwsList(inner.to_string()));
                }
                if AWS_TYPES.contains(&s) {
                    ParamType::Aws(s.to_string())
                } else {
                    return None;
                }
            }
        })
    }

    /// Whether a `Ref` to the parameter gives a list.
    pub fn is_list(&self) -> bool {
        match self {
            ParamType::NumberList | ParamType::CommaDelimitedList | ParamType::AwsList(_) => true,
            ParamType::Ssm(inner) => inner.starts_with("List<") || inner == "CommaDelimitedList",
            _ => false,
        }
    }
}

/// A parameter as declared in the template.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its logical name.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// The type as written.
    pub type_name: String,
    /// `Default`, as text.
    pub default: Option<String>,
    /// `AllowedValues`, as text.
    pub allowed_values: Vec<String>,
    /// `AllowedPattern`, in CloudFormation's (Java) dialect; a pattern that
    /// does not compile is kept with its error and checks nothing.
    pub allowed_pattern: Option<AllowedPattern>,
    /// `MinLength`.
    pub min_length: Option<u64>,
    /// `MaxLength`.
    pub max_length: Option<u64>,
    /// `MinValue`.
    pub min_value: Option<f64>,
    /// `MaxValue`.
    pub max_value: Option<f64>,
    /// `NoEcho`: the value is never printed.
    pub no_echo: bool,
    /// `ConstraintDescription`, shown when a constraint fails.
    pub constraint_description: Option<String>,
    /// `Description`.
    pub description: Option<String>,
}

/// A problem with a parameter declaration or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamProblem {
    /// The property of the declaration at fault (`Type`, `AllowedPattern`, …), when one is.
    pub property: Option<&'static str>,
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub help: Option<String>,
}

impl ParamProblem {
    fn new(property: Option<&'static str>, message: String, help: Option<String>) -> Self {
        ParamProblem {
            property,
            message,
            help,
        }
    }
}

/// The properties of a parameter declaration.
pub const PARAMETER_PROPERTIES: &[&str] = &[
    "Type",
    "Default",
    "AllowedValues",
    "AllowedPattern",
    "MinLength",
    "MaxLength",
    "MinValue",
    "MaxValue",
    "NoEcho",
    "ConstraintDescription",
    "Description",
];

/// Text of a scalar as CloudFormation reads it (numbers and booleans as written).
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Parameter {
    /// Reads a declaration; every problem is returned.
    pub fn from_json(name: &str, decl: &Value) -> Result<Parameter, Vec<ParamProblem>> {
        let mut problems = Vec::new();
        let Some(obj) = decl.as_object() else {
            return Err(vec![ParamProblem::new(
                None,
                format!("parameter `{name}` must be a mapping"),
                Some("expected a mapping with at least `Type`".into()),
            )]);
        };
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "Type"
                    | "Default"
                    | "AllowedValues"
                    | "AllowedPattern"
                    | "MinLength"
                    | "MaxLength"
                    | "MinValue"
                    | "MaxValue"
                    | "NoEcho"
                    | "ConstraintDescription"
                    | "Description"
            ) {
                problems.push(ParamProblem::new(
                    None,
                    format!("parameter `{name}` has an unknown property `{key}`"),
                    Some(crate::suggest::help_for(key, PARAMETER_PROPERTIES, "expected one of Type, Default, AllowedValues, AllowedPattern, MinLength, MaxLength, MinValue, MaxValue, NoEcho, ConstraintDescription, Description")),
                ));
            }
        }
        let type_name = match obj.get("Type") {
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                problems.push(ParamProblem::new(
                    Some("Type"),
                    format!("the type of parameter `{name}` must be a string"),
                    None,
                ));
                String::new()
            }
            None => {
                problems.push(ParamProblem::new(
                    None,
                    format!("parameter `{name}` has no `Type`"),
                    Some("expected e.g. `Type: String`".into()),
                ));
                String::new()
            }
        };
        let ty = ParamType::parse(&type_name).unwrap_or_else(|| {
            if !type_name.is_empty() {
                problems.push(ParamProblem::new(
                    Some("Type"),
                    format!("parameter `{name}` has an unknown type `{type_name}`"),
                    Some("expected String, Number, List<Number>, CommaDelimitedList, an AWS-specific type (e.g. AWS::EC2::VPC::Id, List<AWS::EC2::Subnet::Id>) or AWS::SSM::Parameter::Value<…>".into()),
                ));
            }
            ParamType::String
        });
        let mut text = |prop: &'static str| -> Option<String> {
            let v = obj.get(prop)?;
            let t = scalar_text(v);
            if t.is_none() {
                problems.push(ParamProblem::new(
                    Some(prop),
                    format!("`{prop}` of parameter `{name}` must be a plain value"),
                    None,
                ));
            }
            t
        };
        let default = text("Default");
        let constraint_description = text("ConstraintDescription");
        let description = text("Description");
        let pattern_text = text("AllowedPattern");
        let no_echo = text("NoEcho").is_some_and(|s| s.eq_ignore_ascii_case("true"));
        let mut number = |prop: &'static str| -> Option<f64> {
            let v = obj.get(prop)?;
            let n = match v {
                Value::Number(n) => n.as_f64(),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            };
            if n.is_none() {
                problems.push(ParamProblem::new(
                    Some(prop),
                    format!("`{prop}` of parameter `{name}` must be a number"),
                    None,
                ));
            }
            n
        };
        let min_length = number("MinLength").map(|f| f.max(0.0) as u64);
        let max_length = number("MaxLength").map(|f| f.max(0.0) as u64);
        let min_value = number("MinValue");
        let max_value = number("MaxValue");
        let allowed_values = match obj.get("AllowedValues") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| {
                    let t = scalar_text(v);
                    if t.is_none() {
                        problems.push(ParamProblem::new(
                            Some("AllowedValues"),
                            format!("`AllowedValues` of parameter `{name}` must hold plain values"),
                            None,
                        ));
                    }
                    t
                })
                .collect(),
            Some(_) => {
                problems.push(ParamProblem::new(
                    Some("AllowedValues"),
                    format!("`AllowedValues` of parameter `{name}` must be a list"),
                    None,
                ));
                Vec::new()
            }
        };
        let allowed_pattern = pattern_text.map(|p| AllowedPattern::new(&p));
        let param = Parameter {
            name: name.to_string(),
            ty,
            type_name,
            default,
            allowed_values,
            allowed_pattern,
            min_length,
            max_length,
            min_value,
            max_value,
            no_echo,
            constraint_description,
            description,
        };
        if let Some(d) = &param.default {
            for mut p in param.check(d) {
                p.property = Some("Default");
                p.message = format!(
                    "the default value of parameter `{name}` is invalid: {}",
                    p.message
                );
                problems.push(p);
            }
        }
        if problems.is_empty() {
            Ok(param)
        } else {
            Err(problems)
        }
    }

    /// The value shown to people: `****` for NoEcho parameters.
    pub fn display_value<'a>(&self, value: &'a str) -> &'a str {
        if self.no_echo { "****" } else { value }
    }

    /// Checks a supplied value against the type and constraints.
    pub fn check(&self, value: &str) -> Vec<ParamProblem> {
        let mut out = Vec::new();
        let shown = self.display_value(value);
        let name = &self.name;
        let help = |expected: String| -> Option<String> {
            Some(match &self.constraint_description {
                Some(c) => format!("{c} ({expected})"),
                None => expected,
            })
        };
        let items: Vec<&str> = if self.ty.is_list() {
            value.split(',').map(str::trim).collect()
        } else {
            vec![value]
        };
        let numeric = matches!(self.ty, ParamType::Number | ParamType::NumberList);
        for item in &items {
            if numeric && item.parse::<f64>().is_err() {
                out.push(ParamProblem::new(
                    None,
                    format!(
                        "parameter `{name}` must be a number, got `{}`",
                        self.display_value(item)
                    ),
                    help(format!("expected a number for type {}", self.type_name)),
                ));
                continue;
            }
            if !self.allowed_values.is_empty() && !self.allowed_values.iter().any(|a| a == item) {
                let expected = if self.no_echo {
                    "expected one of the allowed values".to_string()
                } else {
                    format!("expected one of: {}", self.allowed_values.join(", "))
                };
                out.push(ParamProblem::new(
                    None,
                    format!(
                        "parameter `{name}` has a value `{}` that is not allowed",
                        self.display_value(item)
                    ),
                    help(expected),
                ));
            }
            if let Some(pattern) = &self.allowed_pattern
                && pattern.matches(item) == Some(false)
            {
                let pat = &pattern.source;
                out.push(ParamProblem::new(
                    None,
                    format!("parameter `{name}` does not match its allowed pattern"),
                    help(format!(
                        "expected a value matching `{pat}`, got `{}`",
                        self.display_value(item)
                    )),
                ));
            }
            if numeric && let Ok(n) = item.parse::<f64>() {
                if let Some(min) = self.min_value
                    && n < min
                {
                    out.push(ParamProblem::new(
                        None,
                        format!("parameter `{name}` is below its minimum"),
                        help(format!("expected a value of at least {min}")),
                    ));
                }
                if let Some(max) = self.max_value
                    && n > max
                {
                    out.push(ParamProblem::new(
                        None,
                        format!("parameter `{name}` is above its maximum"),
                        help(format!("expected a value of at most {max}")),
                    ));
                }
            }
        }
        let len = value.chars().count() as u64;
        if let Some(min) = self.min_length
            && len < min
        {
            out.push(ParamProblem::new(
                None,
                format!("parameter `{name}` is too short"),
                help(format!("expected at least {min} characters, got {len}")),
            ));
        }
        if let Some(max) = self.max_length
            && len > max
        {
            out.push(ParamProblem::new(
                None,
                format!("parameter `{name}` is too long"),
                help(format!("expected at most {max} characters, got {len}")),
            ));
        }
        let _ = shown;
        out
    }

    /// The value a `Ref` to this parameter gives, from its text.
    pub fn ref_value(&self, value: &str) -> Value {
        if self.ty.is_list() {
            if value.is_empty() {
                return Value::Array(Vec::new());
            }
            Value::Array(
                value
                    .split(',')
                    .map(|s| Value::String(s.trim().to_string()))
                    .collect(),
            )
        } else {
            Value::String(value.to_string())
        }
    }
}

/// Parameter values supplied for a deployment, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides(pub Vec<(String, String)>);

/// A malformed `--parameter-overrides` entry or parameter file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct OverrideError {
    /// What is wrong.
    pub message: String,
}

fn oerr(message: impl Into<String>) -> OverrideError {
    OverrideError {
        message: message.into(),
    }
}

impl Overrides {
    /// Parses SAM CLI style arguments: each argument may hold several
    /// whitespace-separated entries (quotes group), each `Key=Value` or
    /// `ParameterKey=K,ParameterValue=V`.
    pub fn parse_args<S: AsRef<str>>(args: &[S]) -> Result<Overrides, OverrideError> {
        let mut out = Vec::new();
        for arg in args {
            for token in split_words(arg.as_ref())? {
                out.push(parse_entry(&token)?);
            }
        }
        Ok(Overrides(out))
    }

    /// Parses a JSON parameter file: `[{"ParameterKey": …, "ParameterValue": …}]` or `{"Key": "Value"}`.
    pub fn from_json_str(text: &str) -> Result<Overrides, OverrideError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| oerr(format!("the parameter file is not valid JSON: {e}")))?;
        let mut out = Vec::new();
        match v {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let key = item.get("ParameterKey").and_then(Value::as_str);
                    let value = item.get("ParameterValue").and_then(scalar_or_list_text);
                    match (key, value) {
                        (Some(k), Some(v)) => out.push((k.to_string(), v)),
                        _ => {
                            return Err(oerr(format!(
                                "entry {i} of the parameter file needs a string `ParameterKey` and a `ParameterValue`"
                            )));
                        }
                    }
                }
            }
            Value::Object(map) => {
                for (k, v) in map {
                    let Some(t) = scalar_or_list_text(&v) else {
                        return Err(oerr(format!(
                            "the value of `{k}` in the parameter file must be a string, number, boolean or list"
                        )));
                    };
                    out.push((k, t));
                }
            }
            _ => {
                return Err(oerr(
                    "the parameter file must hold a list of {ParameterKey, ParameterValue} or a map of names to values",
                ));
            }
        }
        Ok(Overrides(out))
    }

    /// The last value given for `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// As a JSON map (last value wins), for the SAM transform.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, v) in &self.0 {
            m.insert(k.clone(), Value::String(v.clone()));
        }
        m
    }
}

fn scalar_or_list_text(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(scalar_text)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(",")),
        other => scalar_text(other),
    }
}

fn parse_entry(token: &str) -> Result<(String, String), OverrideError> {
    if let Some(rest) = token.strip_prefix("ParameterKey=") {
        let Some((key, value)) = rest.split_once(",ParameterValue=") else {
            return Err(oerr(format!(
                "`{token}` is not a parameter override: expected `ParameterKey=KEY,ParameterValue=VALUE`"
            )));
        };
        return check_key(key).map(|k| (k, value.to_string()));
    }
    match token.split_once('=') {
        Some((key, value)) => check_key(key).map(|k| (k, value.to_string())),
        None => Err(oerr(format!(
            "`{token}` is not a parameter override: expected `KEY=VALUE`"
        ))),
    }
}

fn check_key(key: &str) -> Result<String, OverrideError> {
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(oerr(format!(
            "`{key}` is not a parameter name: names are alphanumeric"
        )));
    }
    Ok(key.to_string())
}

/// Splits on whitespace outside single or double quotes, removing the quotes.
fn split_words(s: &str) -> Result<Vec<String>, OverrideError> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some('"') if c == '\\' => {
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            Some(_) => cur.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err(oerr(format!(
            "unbalanced quote in parameter overrides `{s}`"
        )));
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

/// Replaces every occurrence of each secret in `text` by `****`.
pub fn redact(text: &str, secrets: &[&str]) -> String {
    let mut out = text.to_string();
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    // Longest first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for s in secrets {
        out = out.replace(s, "****");
    }
    out
}

/// Replaces secrets anywhere in `value`: a string equal to a secret becomes
/// `****`; secrets of 4 characters or more are also replaced inside longer strings.
pub fn redact_json(value: &mut Value, secrets: &[&str]) {
    match value {
        Value::String(s) => {
            if secrets.iter().any(|x| !x.is_empty() && s == x) {
                *s = "****".to_string();
            } else {
                let long: Vec<&str> = secrets
                    .iter()
                    .copied()
                    .filter(|x| x.chars().count() >= 4)
                    .collect();
                if long.iter().any(|x| s.contains(x)) {
                    *s = redact(s, &long);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_json(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_json(v, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests;
