//! NoEcho values: which they are, and redaction.

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

    /// `value` with NoEcho parameter values replaced by `****` (by text: the
    /// template a deploy stores, whose literal defaults may be secrets).
    pub fn redact(&self, mut value: Value) -> Value {
        let secrets = self.secrets();
        if !secrets.is_empty() {
            redact_json(&mut value, &secrets);
        }
        value
    }
}
