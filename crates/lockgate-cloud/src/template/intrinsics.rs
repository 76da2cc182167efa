//! A small resolver for the intrinsics met in function and API properties:
//! `Ref` (parameters, pseudo parameters, resources), `Fn::Sub` (with
//! `${X.Arn}`), `Fn::GetAtt [X, Arn]`, `Fn::Join`, `Fn::Select`, `Fn::If`
//! on conditions we cannot evaluate is left unresolved.

use serde_json::{Map, Value};

/// What names resolve to.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Parameter values (overrides, then template defaults).
    pub parameters: Map<String, Value>,
    /// The region.
    pub region: String,
    /// The account ID.
    pub account_id: String,
    /// The resources of the template (for `Ref` / `GetAtt` on them).
    pub resources: Map<String, Value>,
}

impl Scope {
    /// The ARN of a Lambda function resource (by logical ID).
    pub fn function_arn(&self, logical_id: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{logical_id}",
            self.region, self.account_id
        )
    }

    fn reference(&self, name: &str) -> Option<Value> {
        let s = |v: &str| Some(Value::String(v.to_string()));
        match name {
            "AWS::Region" => s(&self.region),
            "AWS::AccountId" => s(&self.account_id),
            "AWS::Partition" => s("aws"),
            "AWS::URLSuffix" => s("amazonaws.com"),
            "AWS::StackName" => s("local"),
            "AWS::StackId" => s(&format!(
                "arn:aws:cloudformation:{}:{}:stack/local/local",
                self.region, self.account_id
            )),
            "AWS::NoValue" => None,
            _ => {
                if let Some(v) = self.parameters.get(name) {
                    return Some(v.clone());
                }
                // A Ref to a resource: its logical ID stands for its physical name.
                self.resources
                    .contains_key(name)
                    .then(|| Value::String(name.to_string()))
            }
        }
    }

    fn get_att(&self, resource: &str, attr: &str) -> Option<Value> {
        let ty = self.resources.get(resource)?.get("Type")?.as_str()?;
        match (ty, attr) {
            ("AWS::Lambda::Function", "Arn") => Some(Value::String(self.function_arn(resource))),
            ("AWS::Lambda::Alias" | "AWS::Lambda::Version", _) => {
                Some(Value::String(self.function_arn(resource)))
            }
            _ => Some(Value::String(format!("{resource}.{attr}"))),
        }
    }

    /// Resolves a value; `None` when something in it cannot be resolved.
    pub fn resolve(&self, v: &Value) -> Option<Value> {
        match v {
            Value::Object(m) if m.len() == 1 => {
                let (k, arg) = m.iter().next()?;
                match k.as_str() {
                    "Ref" => self.reference(arg.as_str()?),
                    "Fn::GetAtt" => {
                        let (r, a) = match arg {
                            Value::Array(p) if p.len() == 2 => (
                                p[0].as_str()?.to_string(),
                                self.resolve(&p[1])?.as_str()?.to_string(),
                            ),
                            Value::String(s) => {
                                let (r, a) = s.split_once('.')?;
                                (r.to_string(), a.to_string())
                            }
                            _ => return None,
                        };
                        self.get_att(&r, &a)
                    }
                    "Fn::Sub" => self.sub(arg).map(Value::String),
                    "Fn::Join" => {
                        let p = arg.as_array()?;
                        let sep = p.first()?.as_str()?;
                        let items = self.resolve(p.get(1)?)?;
                        let parts: Option<Vec<String>> = items
                            .as_array()?
                            .iter()
                            .map(|i| scalar(&self.resolve(i)?))
                            .collect();
                        Some(Value::String(parts?.join(sep)))
                    }
                    "Fn::Select" => {
                        let p = arg.as_array()?;
                        let idx = scalar(&self.resolve(p.first()?)?)?.parse::<usize>().ok()?;
                        self.resolve(self.resolve(p.get(1)?)?.as_array()?.get(idx)?)
                    }
                    k if k.starts_with("Fn::") || k == "Condition" => None,
                    _ => self.resolve_map(m),
                }
            }
            Value::Object(m) => self.resolve_map(m),
            Value::Array(a) => a
                .iter()
                .map(|i| self.resolve(i))
                .collect::<Option<Vec<_>>>()
                .map(Value::Array),
            other => Some(other.clone()),
        }
    }

    fn resolve_map(&self, m: &Map<String, Value>) -> Option<Value> {
        let mut out = Map::new();
        for (k, v) in m {
            out.insert(k.clone(), self.resolve(v)?);
        }
        Some(Value::Object(out))
    }

    fn sub(&self, arg: &Value) -> Option<String> {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(p) if p.len() == 2 => (p[0].as_str()?, p[1].as_object()),
            _ => return None,
        };
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            if let Some(lit) = after.strip_prefix('!') {
                // `${!Literal}` stays `${Literal}`.
                out.push_str("${");
                rest = lit;
                continue;
            }
            let end = after.find('}')?;
            let name = &after[..end];
            let value = match vars.and_then(|v| v.get(name)) {
                Some(v) => scalar(&self.resolve(v)?)?,
                None => match name.split_once('.') {
                    Some((r, a)) => scalar(&self.get_att(r, a)?)?,
                    None => scalar(&self.reference(name)?)?,
                },
            };
            out.push_str(&value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Some(out)
    }
}

/// A scalar as a string (numbers and booleans as CloudFormation prints them).
pub fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn scope() -> Scope {
        let mut parameters = Map::new();
        parameters.insert("Env".into(), json!("dev"));
        let resources = json!({"Fn": {"Type": "AWS::Lambda::Function"}})
            .as_object()
            .cloned()
            .unwrap_or_default();
        Scope {
            parameters,
            region: "eu-west-1".into(),
            account_id: "123456789012".into(),
            resources,
        }
    }

    #[test]
    fn resolves_common_intrinsics() {
        let s = scope();
        assert_eq!(s.resolve(&json!({"Ref": "Env"})), Some(json!("dev")));
        assert_eq!(
            s.resolve(&json!({"Fn::Sub": "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"})),
            Some(json!("arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:Fn/invocations"))
        );
        assert_eq!(
            s.resolve(&json!({"Fn::Sub": ["${A}-${!B}", {"A": {"Ref": "Env"}}]})),
            Some(json!("dev-${B}"))
        );
        assert_eq!(
            s.resolve(&json!({"Fn::Join": ["~1", ["image", "png"]]})),
            Some(json!("image~1png"))
        );
        assert_eq!(
            s.resolve(&json!({"Fn::GetAtt": ["Fn", "Arn"]})),
            Some(json!("arn:aws:lambda:eu-west-1:123456789012:function:Fn"))
        );
        assert_eq!(s.resolve(&json!({"Fn::If": ["C", 1, 2]})), None);
        assert_eq!(s.resolve(&json!({"Ref": "Nope"})), None);
    }
}
