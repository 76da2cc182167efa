//! NoEcho values: which they are, which outputs derive from them, and
//! redaction.

use super::*;

impl LoadedTemplate {
    /// The values of NoEcho parameters, given or default (never to be printed).
    pub fn secrets(&self) -> Vec<&str> {
        let mut out = Vec::new();
        for p in self.parameters.iter().filter(|p| p.no_echo) {
            if let Some(d) = &p.default {
                out.push(d.as_str());
            }
            match self.parameter_values.get(&p.name) {
                Some(Value::String(s)) => out.push(s.as_str()),
                Some(Value::Array(items)) => out.extend(items.iter().filter_map(Value::as_str)),
                _ => {}
            }
            if let Some(Value::String(s)) = self.ssm_parameters.get(&p.name) {
                out.push(s.as_str());
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The keys of the outputs whose value derives from a NoEcho parameter:
    /// they name one (`Ref`, `${Name}` in `Fn::Sub`), or read an attribute
    /// (`Fn::GetAtt`, `${Resource.Attr}`) of a resource whose properties
    /// derive from one, transitively. Their whole value is masked, whatever
    /// turned it (`Fn::Base64`, `Fn::Join`, `Fn::Split`, `Fn::Select`…), where
    /// replacing the secret's text would miss a transformed copy.
    pub fn secret_outputs(&self) -> HashSet<String> {
        let secret: HashSet<&str> = self
            .parameters
            .iter()
            .filter(|p| p.no_echo)
            .map(|p| p.name.as_str())
            .collect();
        let mut out = HashSet::new();
        if secret.is_empty() {
            return out;
        }
        let section = |name: &str| {
            self.template
                .get(name)
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
        };
        let mut tainted: HashSet<&str> = HashSet::new();
        let derives = |v: Option<&Value>, tainted: &HashSet<&str>| {
            let mut names = Vec::new();
            if let Some(v) = v {
                reads(v, &mut names);
            }
            names.iter().any(|(n, attr)| {
                secret.contains(n.as_str()) || (*attr && tainted.contains(n.as_str()))
            })
        };
        loop {
            let mut changed = false;
            for (id, r) in section("Resources") {
                if !tainted.contains(id.as_str()) && derives(r.get("Properties"), &tainted) {
                    tainted.insert(id.as_str());
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        for (key, o) in section("Outputs") {
            if derives(o.get("Value"), &tainted) {
                out.insert(key.clone());
            }
        }
        out
    }

    /// `value` with NoEcho parameter values replaced by `****`.
    pub fn redact(&self, mut value: Value) -> Value {
        let secrets = self.secrets();
        if !secrets.is_empty() {
            redact_json(&mut value, &secrets);
        }
        value
    }
}

/// The names an expression reads, each with whether it reads an attribute:
/// `Ref` and `${Name}` (false), `Fn::GetAtt` and `${Name.Attr}` (true).
fn reads(v: &Value, out: &mut Vec<(String, bool)>) {
    match v {
        Value::Object(m) => {
            if let Some((kind, arg)) = crate::eval::as_intrinsic(v) {
                match kind {
                    "Ref" => {
                        if let Some(n) = arg.as_str() {
                            out.push((n.to_string(), false));
                        }
                    }
                    "Fn::GetAtt" => {
                        let name = match arg {
                            Value::Array(a) => a.first().and_then(Value::as_str),
                            Value::String(s) => s.split_once('.').map(|(n, _)| n),
                            _ => None,
                        };
                        if let Some(n) = name {
                            out.push((n.to_string(), true));
                        }
                    }
                    "Fn::Sub" => {
                        let text = match arg {
                            Value::String(s) => Some(s.as_str()),
                            Value::Array(a) => a.first().and_then(Value::as_str),
                            _ => None,
                        };
                        for var in text.map(crate::eval::sub::sub_vars).into_iter().flatten() {
                            match var.split_once('.') {
                                Some((n, _)) => out.push((n.to_string(), true)),
                                None => out.push((var.to_string(), false)),
                            }
                        }
                    }
                    _ => {}
                }
            }
            for x in m.values() {
                reads(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| reads(x, out)),
        _ => {}
    }
}
