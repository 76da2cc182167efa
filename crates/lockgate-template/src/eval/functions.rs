//! One function per intrinsic.

use serde_json::{Map, Value};

use super::sub::{SubPart, parse_sub};
use super::{EvalError, Scope, as_intrinsic, cidr::cidr, is_symbolic};
use crate::params::scalar_text;
use crate::span::PathSeg;

type R = Result<Option<Value>, EvalError>;

fn one(key: &str, arg: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(key.to_string(), arg);
    Value::Object(m)
}

fn list_arg<'v>(
    scope: &Scope<'_>,
    name: &str,
    arg: &'v Value,
    path: &[PathSeg],
    lens: std::ops::RangeInclusive<usize>,
    shape: &str,
) -> Result<&'v Vec<Value>, EvalError> {
    match arg {
        Value::Array(items) if lens.contains(&items.len()) => Ok(items),
        _ => Err(scope.error(
            "invalid-argument",
            path,
            format!("`{name}` needs {shape}"),
            Some(format!("expected {name}: {shape}")),
        )),
    }
}

impl Scope<'_> {
    pub(crate) fn call(&self, name: &str, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        match name {
            "Ref" => self.fn_ref(arg, path),
            "Fn::GetAtt" => self.fn_get_att(arg, path),
            "Fn::Sub" => self.fn_sub(arg, path),
            "Fn::If" => self.fn_if(arg, path),
            "Fn::Join" => self.fn_join(arg, path),
            "Fn::Select" => self.fn_select(arg, path),
            "Fn::Split" => self.fn_split(arg, path),
            "Fn::FindInMap" => self.fn_find_in_map(arg, path),
            "Fn::Base64" => self.fn_base64(arg, path),
            "Fn::Cidr" => self.fn_cidr(arg, path),
            "Fn::GetAZs" => self.fn_get_azs(arg, path),
            "Fn::ImportValue" => self.fn_import_value(arg, path),
            "Fn::Length" => self.fn_length(arg, path),
            "Fn::ToJsonString" => self.fn_to_json_string(arg, path),
            "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not" | "Condition" => {
                Ok(Some(match self.condition_fn(name, arg, path)? {
                    Some(b) => Value::Bool(b),
                    None => one(name, self.arg(arg, path, name)?),
                }))
            }
            // Fn::Transform is expanded by its macro, not here.
            _ => Ok(Some(one(name, arg.clone()))),
        }
    }

    fn fn_ref(&self, arg: &Value, path: &[PathSeg]) -> R {
        let Some(name) = arg.as_str() else {
            return Err(self.error(
                "invalid-argument",
                path,
                "`Ref` needs the name of a parameter or resource".into(),
                Some("expected Ref: NAME (a string)".into()),
            ));
        };
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        let symbolic = || Ok(Some(one("Ref", Value::String(name.to_string()))));
        if let Some(v) = self.pseudo.get(name) {
            return match v {
                Some(v) => Ok(Some(v)),
                None => symbolic(),
            };
        }
        if self.param_names.contains(name) {
            if let Some(v) = self.params.get(name) {
                return Ok(Some(v.clone()));
            }
            if let Some(ssm) = self.ssm_params.get(name).and_then(Value::as_str)
                && let Some(v) = self.resolver.ssm_parameter(ssm)
            {
                return Ok(Some(Value::String(v)));
            }
            return symbolic();
        }
        if self.resources.contains(name) {
            if self.in_condition {
                return Err(self.with_subject(
                    name,
                    self.error(
                        "resource-in-condition",
                        path,
                        format!("conditions cannot refer to the resource `{name}`"),
                        Some(
                            "conditions may use parameters, pseudo parameters and mappings only"
                                .into(),
                        ),
                    ),
                ));
            }
            return match self.resolver.resource_ref(name) {
                Some(v) => Ok(Some(v)),
                None => symbolic(),
            };
        }
        Err(self.unknown_ref(name, path))
    }

    pub(crate) fn unknown_ref(&self, name: &str, path: &[PathSeg]) -> EvalError {
        self.with_subject(name, self.error(
            "unknown-reference",
            path,
            format!("`{name}` is not a parameter, pseudo parameter or resource of this template"),
            Some("expected the logical ID of a resource or parameter, or a pseudo parameter such as AWS::Region".into()),
        ))
    }

    fn with_subject(&self, subject: &str, mut e: EvalError) -> EvalError {
        e.subject = Some(subject.to_string());
        e
    }

    fn fn_get_att(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let (res, attr): (String, Value) = match arg {
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_string(), Value::String(a.to_string())),
                None => return Err(self.get_att_shape(path)),
            },
            Value::Array(items) if items.len() == 2 => {
                let Some(r) = items[0].as_str() else {
                    return Err(self.get_att_shape(path));
                };
                path.push(PathSeg::Index(1));
                let a = self.arg(&items[1], path, "the attribute name")?;
                path.pop();
                (r.to_string(), a)
            }
            _ => return Err(self.get_att_shape(path)),
        };
        if !self.resources.contains(&res) {
            return Err(self.with_subject(
                &res,
                self.error(
                    "unknown-reference",
                    path,
                    format!(
                        "`Fn::GetAtt` refers to `{res}`, which is not a resource of this template"
                    ),
                    Some("expected the logical ID of a resource".into()),
                ),
            ));
        }
        if self.in_condition {
            return Err(self.with_subject(
                &res,
                self.error(
                    "resource-in-condition",
                    path,
                    format!("conditions cannot refer to the resource `{res}`"),
                    Some(
                        "conditions may use parameters, pseudo parameters and mappings only".into(),
                    ),
                ),
            ));
        }
        if let Some(a) = attr.as_str()
            && let Some(v) = self.resolver.get_att(&res, a)
        {
            return Ok(Some(v));
        }
        Ok(Some(one(
            "Fn::GetAtt",
            Value::Array(vec![Value::String(res), attr]),
        )))
    }

    fn get_att_shape(&self, path: &[PathSeg]) -> EvalError {
        self.error(
            "invalid-argument",
            path,
            "`Fn::GetAtt` needs a resource and an attribute".into(),
            Some(
                "expected Fn::GetAtt: [LogicalId, Attribute] or !GetAtt LogicalId.Attribute".into(),
            ),
        )
    }

    /// Resolves one `${…}` variable of `Fn::Sub` (not from the variable map).
    fn sub_var(&self, var: &str, path: &mut Vec<PathSeg>) -> Result<Option<Value>, EvalError> {
        if self.pseudo.get(var).is_some()
            || self.param_names.contains(var)
            || self.resources.contains(var)
        {
            return self.fn_ref(&Value::String(var.to_string()), path);
        }
        if let Some((res, attr)) = var.split_once('.')
            && self.resources.contains(res)
        {
            return self.fn_get_att(
                &Value::Array(vec![
                    Value::String(res.to_string()),
                    Value::String(attr.to_string()),
                ]),
                path,
            );
        }
        Err(self.with_subject(&format!("${{{var}}}"), self.error(
            "unknown-reference",
            path,
            format!("`${{{var}}}` in `Fn::Sub` is not a parameter, pseudo parameter, resource or resource attribute"),
            Some("expected ${Name}, ${Resource.Attribute}, a name from the variable map, or ${!Literal} for literal text".into()),
        )))
    }

    fn fn_sub(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let (template, vars): (&str, Option<&Map<String, Value>>) = match arg {
            Value::String(s) => (s, None),
            Value::Array(items) if items.len() == 2 => match (&items[0], &items[1]) {
                (Value::String(s), Value::Object(m)) => (s, Some(m)),
                _ => return Err(self.sub_shape(path)),
            },
            _ => return Err(self.sub_shape(path)),
        };
        // Evaluate the variable map first.
        let mut values: Map<String, Value> = Map::new();
        if let Some(m) = vars {
            path.push(PathSeg::Index(1));
            for (k, v) in m {
                path.push(PathSeg::Key(k.clone()));
                let x = self.arg(v, path, "a Fn::Sub variable")?;
                path.pop();
                values.insert(k.clone(), x);
            }
            path.pop();
        }
        let mut out = String::with_capacity(template.len());
        let mut symbolic_text = String::with_capacity(template.len());
        let mut pending: Map<String, Value> = Map::new();
        let mut symbolic = false;
        if vars.is_some() {
            path.push(PathSeg::Index(0));
        }
        for part in parse_sub(template) {
            match part {
                SubPart::Text(t) => {
                    out.push_str(t);
                    symbolic_text.push_str(t);
                }
                SubPart::Literal(l) => {
                    out.push_str("${");
                    out.push_str(l);
                    out.push('}');
                    symbolic_text.push_str("${!");
                    symbolic_text.push_str(l);
                    symbolic_text.push('}');
                }
                SubPart::Var(var) => {
                    let value = match values.get(var) {
                        Some(v) => Some(v.clone()),
                        None => self.sub_var(var, path)?,
                    };
                    let text = match &value {
                        Some(v) if !is_symbolic(v) => match scalar_text(v) {
                            Some(t) => Some(t),
                            None => {
                                return Err(self.error(
                                    "invalid-argument",
                                    path,
                                    format!("`${{{var}}}` in `Fn::Sub` is not a string (a list parameter or a map)"),
                                    Some("Fn::Sub variables must be strings; use Fn::Join for lists".into()),
                                ));
                            }
                        },
                        _ => None,
                    };
                    match text {
                        Some(t) => {
                            out.push_str(&t);
                            symbolic_text.push_str(&t);
                        }
                        None => {
                            symbolic = true;
                            symbolic_text.push_str("${");
                            symbolic_text.push_str(var);
                            symbolic_text.push('}');
                            if let Some(v) = values.get(var) {
                                pending.insert(var.to_string(), v.clone());
                            }
                        }
                    }
                }
            }
        }
        if vars.is_some() {
            path.pop();
        }
        if symbolic {
            let arg = if pending.is_empty() {
                Value::String(symbolic_text)
            } else {
                Value::Array(vec![Value::String(symbolic_text), Value::Object(pending)])
            };
            return Ok(Some(one("Fn::Sub", arg)));
        }
        if out.contains("{{resolve:") {
            return self.resolve_dynamic(&out, path).map(Some);
        }
        Ok(Some(Value::String(out)))
    }

    fn sub_shape(&self, path: &[PathSeg]) -> EvalError {
        self.error(
            "invalid-argument",
            path,
            "`Fn::Sub` needs a string, or a string and a map of variables".into(),
            Some("expected Fn::Sub: STRING or Fn::Sub: [STRING, {Var: Value}]".into()),
        )
    }

    fn condition_name<'v>(
        &self,
        v: &'v Value,
        path: &[PathSeg],
        func: &str,
    ) -> Result<&'v str, EvalError> {
        let Some(name) = v.as_str() else {
            return Err(self.error(
                "invalid-argument",
                path,
                format!("`{func}` needs the name of a condition"),
                Some("expected a condition name (a string)".into()),
            ));
        };
        if !self.conditions.contains_key(name) {
            return Err(self.with_subject(
                name,
                self.error(
                    "unknown-condition",
                    path,
                    format!("`{name}` is not a condition of this template"),
                    Some("expected the name of an entry in the Conditions section".into()),
                ),
            ));
        }
        Ok(name)
    }

    fn fn_if(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let items = list_arg(
            self,
            "Fn::If",
            arg,
            path,
            3..=3,
            "[ConditionName, ValueIfTrue, ValueIfFalse]",
        )?;
        path.push(PathSeg::Index(0));
        let name = self.condition_name(&items[0], path, "Fn::If");
        path.pop();
        let name = name?;
        match self.conditions.get(name).copied().flatten() {
            Some(b) => {
                let i = if b { 1 } else { 2 };
                path.push(PathSeg::Index(i));
                let r = self.eval_at(&items[i], path);
                path.pop();
                r
            }
            None => {
                let mut branches = vec![Value::String(name.to_string())];
                for (i, item) in items.iter().enumerate().skip(1) {
                    path.push(PathSeg::Index(i));
                    let r = self.eval_at(item, path);
                    path.pop();
                    branches.push(
                        r?.unwrap_or_else(|| one("Ref", Value::String("AWS::NoValue".into()))),
                    );
                }
                Ok(Some(one("Fn::If", Value::Array(branches))))
            }
        }
    }

    /// Evaluates both list items; `None` when any is still symbolic.
    fn eval_list(
        &self,
        items: &[Value],
        path: &mut Vec<PathSeg>,
        what: &str,
    ) -> Result<Vec<Value>, EvalError> {
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            path.push(PathSeg::Index(i));
            let v = self.arg(item, path, what);
            path.pop();
            out.push(v?);
        }
        Ok(out)
    }

    fn fn_join(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let items = list_arg(self, "Fn::Join", arg, path, 2..=2, "[Delimiter, [Values…]]")?;
        let args = self.eval_list(items, path, "a Fn::Join argument")?;
        if args.iter().any(is_symbolic) {
            return Ok(Some(one("Fn::Join", Value::Array(args))));
        }
        let (Some(delim), Value::Array(values)) = (args[0].as_str(), &args[1]) else {
            return Err(self.error(
                "invalid-argument",
                path,
                "`Fn::Join` needs a delimiter string and a list".into(),
                Some("expected Fn::Join: [Delimiter, [Values…]]".into()),
            ));
        };
        let mut parts = Vec::with_capacity(values.len());
        for v in values {
            match scalar_text(v) {
                Some(t) => parts.push(t),
                None => {
                    return Err(self.error(
                        "invalid-argument",
                        path,
                        "`Fn::Join` can only join strings".into(),
                        Some("expected a list of strings".into()),
                    ));
                }
            }
        }
        Ok(Some(Value::String(parts.join(delim))))
    }

    fn fn_select(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let items = list_arg(self, "Fn::Select", arg, path, 2..=2, "[Index, [Values…]]")?;
        let args = self.eval_list(items, path, "a Fn::Select argument")?;
        if args.iter().any(is_symbolic) {
            return Ok(Some(one("Fn::Select", Value::Array(args))));
        }
        let index = scalar_text(&args[0]).and_then(|t| t.trim().parse::<usize>().ok());
        let (Some(index), Value::Array(values)) = (index, &args[1]) else {
            return Err(self.error(
                "invalid-argument",
                path,
                "`Fn::Select` needs an index and a list".into(),
                Some("expected Fn::Select: [Index (a non-negative number), [Values…]]".into()),
            ));
        };
        match values.get(index) {
            Some(v) => Ok(Some(v.clone())),
            None => Err(self.error(
                "index-out-of-range",
                path,
                format!(
                    "`Fn::Select` index {index} is out of range for a list of {}",
                    values.len()
                ),
                Some(format!("expected an index below {}", values.len())),
            )),
        }
    }

    fn fn_split(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let items = list_arg(self, "Fn::Split", arg, path, 2..=2, "[Delimiter, String]")?;
        let args = self.eval_list(items, path, "a Fn::Split argument")?;
        if args.iter().any(is_symbolic) {
            return Ok(Some(one("Fn::Split", Value::Array(args))));
        }
        match (args[0].as_str(), scalar_text(&args[1])) {
            (Some(d), Some(s)) if !d.is_empty() => Ok(Some(Value::Array(
                s.split(d).map(|p| Value::String(p.to_string())).collect(),
            ))),
            _ => Err(self.error(
                "invalid-argument",
                path,
                "`Fn::Split` needs a non-empty delimiter and a string".into(),
                Some("expected Fn::Split: [Delimiter, String]".into()),
            )),
        }
    }

    fn fn_find_in_map(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let items = list_arg(
            self,
            "Fn::FindInMap",
            arg,
            path,
            3..=4,
            "[MapName, TopLevelKey, SecondLevelKey] and optionally {DefaultValue: …}",
        )?;
        let args = self.eval_list(&items[..3], path, "a Fn::FindInMap key")?;
        let default = match items.get(3) {
            None => None,
            Some(opts) => {
                path.push(PathSeg::Index(3));
                let d = match opts.as_object().and_then(|o| o.get("DefaultValue")) {
                    Some(d) => {
                        path.push(PathSeg::Key("DefaultValue".into()));
                        let r = self.arg(d, path, "DefaultValue");
                        path.pop();
                        r
                    }
                    None => Err(self.error(
                        "invalid-argument",
                        path,
                        "the fourth argument of `Fn::FindInMap` must be {DefaultValue: …}".into(),
                        None,
                    )),
                };
                path.pop();
                Some(d?)
            }
        };
        if args.iter().any(is_symbolic) {
            let mut all = args;
            if let Some(d) = default {
                let mut m = Map::new();
                m.insert("DefaultValue".into(), d);
                all.push(Value::Object(m));
            }
            return Ok(Some(one("Fn::FindInMap", Value::Array(all))));
        }
        let keys: Vec<String> = args.iter().filter_map(scalar_text).collect();
        if keys.len() != 3 {
            return Err(self.error(
                "invalid-argument",
                path,
                "the keys of `Fn::FindInMap` must be strings".into(),
                None,
            ));
        }
        let Some(mapping) = self.mappings.get(&keys[0]) else {
            return Err(self.error(
                "unknown-mapping",
                path,
                format!("`{}` is not a mapping of this template", keys[0]),
                Some("expected the name of an entry in the Mappings section".into()),
            ));
        };
        let found = mapping.get(&keys[1]).and_then(|m| m.get(&keys[2]));
        match (found, default) {
            (Some(v), _) => Ok(Some(v.clone())),
            (None, Some(d)) => Ok(Some(d)),
            (None, None) => Err(self.error(
                "missing-mapping-key",
                path,
                format!(
                    "the mapping `{}` has no value for `{}` / `{}`",
                    keys[0], keys[1], keys[2]
                ),
                Some("add the keys to the mapping or give {DefaultValue: …}".into()),
            )),
        }
    }

    fn fn_base64(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let v = self.arg(arg, path, "the Fn::Base64 argument")?;
        if is_symbolic(&v) {
            return Ok(Some(one("Fn::Base64", v)));
        }
        match scalar_text(&v) {
            Some(s) => Ok(Some(Value::String(base64(s.as_bytes())))),
            None => Err(self.error(
                "invalid-argument",
                path,
                "`Fn::Base64` needs a string".into(),
                None,
            )),
        }
    }

    fn fn_cidr(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let items = list_arg(
            self,
            "Fn::Cidr",
            arg,
            path,
            3..=3,
            "[IpBlock, Count, CidrBits]",
        )?;
        let args = self.eval_list(items, path, "a Fn::Cidr argument")?;
        if args.iter().any(is_symbolic) {
            return Ok(Some(one("Fn::Cidr", Value::Array(args))));
        }
        let block = scalar_text(&args[0]);
        let count = scalar_text(&args[1]).and_then(|t| t.parse::<u64>().ok());
        let bits = scalar_text(&args[2]).and_then(|t| t.parse::<u32>().ok());
        let (Some(block), Some(count), Some(bits)) = (block, count, bits) else {
            return Err(self.error(
                "invalid-argument",
                path,
                "`Fn::Cidr` needs an address block, a count and a number of subnet bits".into(),
                Some("expected Fn::Cidr: [\"10.0.0.0/16\", 4, 8]".into()),
            ));
        };
        match cidr(&block, count, bits) {
            Ok(list) => Ok(Some(Value::Array(
                list.into_iter().map(Value::String).collect(),
            ))),
            Err(e) => Err(self.error("invalid-argument", path, format!("`Fn::Cidr`: {e}"), None)),
        }
    }

    fn fn_get_azs(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let v = self.arg(arg, path, "the Fn::GetAZs argument")?;
        if is_symbolic(&v) {
            return Ok(Some(one("Fn::GetAZs", v)));
        }
        let region = match v.as_str() {
            Some("") => self.pseudo.region.clone(),
            Some(r) => r.to_string(),
            None => {
                return Err(self.error(
                    "invalid-argument",
                    path,
                    "`Fn::GetAZs` needs a region name or an empty string".into(),
                    None,
                ));
            }
        };
        Ok(Some(Value::Array(
            ["a", "b", "c"]
                .iter()
                .map(|z| Value::String(format!("{region}{z}")))
                .collect(),
        )))
    }

    fn fn_import_value(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let v = self.arg(arg, path, "the Fn::ImportValue argument")?;
        if let Some(name) = v.as_str() {
            if let Some(x) = self.resolver.import_value(name) {
                return Ok(Some(x));
            }
        } else if !is_symbolic(&v) {
            return Err(self.error(
                "invalid-argument",
                path,
                "`Fn::ImportValue` needs the name of an export".into(),
                None,
            ));
        }
        Ok(Some(one("Fn::ImportValue", v)))
    }

    fn fn_length(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let v = self.arg(arg, path, "the Fn::Length argument")?;
        match &v {
            Value::Array(items) => Ok(Some(Value::from(items.len()))),
            _ if is_symbolic(&v) => Ok(Some(one("Fn::Length", v))),
            _ => Err(self.error(
                "invalid-argument",
                path,
                "`Fn::Length` needs a list".into(),
                None,
            )),
        }
    }

    fn fn_to_json_string(&self, arg: &Value, path: &mut Vec<PathSeg>) -> R {
        let v = self.arg(arg, path, "the Fn::ToJsonString argument")?;
        if is_symbolic(&v) {
            return Ok(Some(one("Fn::ToJsonString", v)));
        }
        match &v {
            Value::Object(_) | Value::Array(_) => Ok(Some(Value::String(v.to_string()))),
            _ => Err(self.error(
                "invalid-argument",
                path,
                "`Fn::ToJsonString` needs a map or a list".into(),
                None,
            )),
        }
    }

    /// Evaluates a condition function: `Some(bool)` when known.
    pub(crate) fn condition_fn(
        &self,
        name: &str,
        arg: &Value,
        path: &mut Vec<PathSeg>,
    ) -> Result<Option<bool>, EvalError> {
        match name {
            "Condition" => {
                let n = self.condition_name(arg, path, "Condition")?;
                Ok(self.conditions.get(n).copied().flatten())
            }
            "Fn::Equals" => {
                let items = list_arg(self, name, arg, path, 2..=2, "[Value1, Value2]")?;
                let args = self.eval_list(items, path, "a Fn::Equals argument")?;
                if args.iter().any(is_symbolic) {
                    return Ok(None);
                }
                Ok(Some(match (scalar_text(&args[0]), scalar_text(&args[1])) {
                    (Some(a), Some(b)) => a == b,
                    _ => args[0] == args[1],
                }))
            }
            "Fn::Not" => {
                let items = list_arg(self, name, arg, path, 1..=1, "[Condition]")?;
                path.push(PathSeg::Index(0));
                let r = self.condition_operand(&items[0], path);
                path.pop();
                Ok(r?.map(|b| !b))
            }
            _ => {
                let items = list_arg(
                    self,
                    name,
                    arg,
                    path,
                    2..=10,
                    "a list of 2 to 10 conditions",
                )?;
                let and = name == "Fn::And";
                let mut unknown = false;
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    let r = self.condition_operand(item, path);
                    path.pop();
                    match r? {
                        Some(b) if b != and => return Ok(Some(b)),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                Ok(if unknown { None } else { Some(and) })
            }
        }
    }

    /// An operand of And/Or/Not: a condition function or a boolean.
    fn condition_operand(
        &self,
        v: &Value,
        path: &mut Vec<PathSeg>,
    ) -> Result<Option<bool>, EvalError> {
        if let Some((name, arg)) = as_intrinsic(v)
            && matches!(
                name,
                "Condition" | "Fn::Equals" | "Fn::And" | "Fn::Or" | "Fn::Not"
            )
        {
            path.push(PathSeg::Key(name.to_string()));
            let r = self.condition_fn(name, arg, path);
            path.pop();
            return r;
        }
        match v {
            Value::Bool(b) => Ok(Some(*b)),
            Value::String(s) if s == "true" || s == "false" => Ok(Some(s == "true")),
            _ => Err(self.error(
                "invalid-condition",
                path,
                "a condition operand must be a condition function".into(),
                Some("expected Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition".into()),
            )),
        }
    }
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
