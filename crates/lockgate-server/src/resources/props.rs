//! Reading a resource's resolved properties, with errors that name the
//! property and say what was expected.

use lockgate_engine::ProviderError;
use serde_json::{Map, Value};

/// A resource's resolved properties.
#[derive(Debug, Clone, Copy)]
pub struct Props<'a>(pub &'a Map<String, Value>);

impl<'a> Props<'a> {
    /// The raw value of a property.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.0.get(key)
    }

    /// A string property, if present and a string.
    pub fn str(&self, key: &str) -> Option<&'a str> {
        self.0.get(key).and_then(Value::as_str)
    }

    /// A required string property.
    pub fn required_str(&self, key: &str) -> Result<&'a str, ProviderError> {
        match self.0.get(key) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(ProviderError::invalid(format!(
                "{key}: expected a string, got {other}"
            ))),
            None => Err(ProviderError::invalid(format!("{key}: required"))),
        }
    }

    /// A scalar property as text (CloudFormation reads numbers and
    /// booleans where it expects strings).
    pub fn text(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(scalar)
    }

    /// A whole-number property (a number or a numeric string).
    pub fn number(&self, key: &str) -> Option<u64> {
        match self.0.get(key)? {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The properties as a map.
    pub fn map(&self) -> &'a Map<String, Value> {
        self.0
    }
}

/// A scalar as text: strings as they are, numbers and booleans printed.
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

    #[test]
    fn errors_name_the_property() {
        let m = json!({"A": 1, "B": "x"}).as_object().cloned().unwrap();
        let p = Props(&m);
        assert_eq!(p.required_str("B").unwrap(), "x");
        assert_eq!(
            p.required_str("A").unwrap_err().message,
            "A: expected a string, got 1"
        );
        assert_eq!(p.required_str("C").unwrap_err().message, "C: required");
        assert_eq!(p.text("A").as_deref(), Some("1"));
        assert_eq!(p.number("A"), Some(1));
    }
}
