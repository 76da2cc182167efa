//! Stable logical IDs, computed exactly as the translator's `LogicalIdGenerator`.

use serde_json::Value;
use sha1::{Digest, Sha1};

/// Python's `json.dumps(data, separators=(",", ":"), sort_keys=True)` of a value:
/// compact, keys sorted, non-ASCII escaped as `\uXXXX`.
pub fn stringify(data: &Value) -> String {
    match data {
        Value::String(s) => s.clone(),
        other => {
            let mut out = String::new();
            write_sorted(other, &mut out);
            out
        }
    }
}

fn write_sorted(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&python_number(n)),
        Value::String(s) => write_py_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_sorted(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_py_string(k, out);
                out.push(':');
                write_sorted(&map[k.as_str()], out);
            }
            out.push('}');
        }
    }
}

/// Python's `json.dumps(data, sort_keys=True, indent=N, separators=(",", ": "))`.
pub fn pretty(data: &Value, indent: usize) -> String {
    let mut out = String::new();
    write_pretty(data, indent, 0, &mut out);
    out
}

fn write_pretty(v: &Value, indent: usize, level: usize, out: &mut String) {
    let pad = |out: &mut String, level: usize| {
        out.push('\n');
        out.push_str(&" ".repeat(indent * level));
    };
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, level + 1);
                write_pretty(item, indent, level + 1, out);
            }
            pad(out, level);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, level + 1);
                write_py_string(k, out);
                out.push_str(": ");
                write_pretty(&map[k.as_str()], indent, level + 1, out);
            }
            pad(out, level);
            out.push('}');
        }
        other => write_sorted(other, out),
    }
}

pub(crate) fn python_number(n: &serde_json::Number) -> String {
    if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
        // Python prints floats with repr(): 1.0, 0.5, 1e-05 ...
        if f.fract() == 0.0 && f.abs() < 1e16 {
            return format!("{f:.1}");
        }
        return format!("{f}");
    }
    n.to_string()
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii=True`).
fn write_py_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Full SHA-1 hex digest of the stringified data (empty string for "falsy" data).
pub fn hash(data: &Value) -> String {
    if is_falsy(data) {
        return String::new();
    }
    let digest = Sha1::digest(stringify(data).as_bytes());
    hex::encode(digest)
}

/// `LogicalIdGenerator(prefix, data).gen()`: the prefix and the first 10 hex digits of the hash.
pub fn logical_id(prefix: &str, data: &Value) -> String {
    let h = hash(data);
    format!("{prefix}{}", &h[..h.len().min(10)])
}

/// A number with an integral float value (`4.0`) as an integer (`4`); other values as they are.
pub fn integral(v: &Value) -> Value {
    if let Value::Number(n) = v
        && n.is_f64()
        && let Some(f) = n.as_f64()
        && f.fract() == 0.0
        && f.abs() < 9.0e15
    {
        return Value::from(f as i64);
    }
    v.clone()
}

/// Python truthiness of a JSON value (`if data_obj:`).
pub fn is_falsy(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

/// `v is not None and v` in Python: present and not falsy.
pub fn truthy(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !is_falsy(v))
}

/// Python's `str.isalnum()` for one string (non-empty, all alphanumeric).
pub fn is_alnum(s: &str) -> bool {
    !s.is_empty() && s.chars().all(char::is_alphanumeric)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stringify_matches_python_json_dumps() {
        let v = json!({"b": [1, 2.5, true, null], "a": "x\u{e9}"});
        assert_eq!(stringify(&v), r#"{"a":"x\u00e9","b":[1,2.5,true,null]}"#);
    }

    #[test]
    fn logical_id_uses_sha1_prefix() {
        // hashlib.sha1(b"hello").hexdigest()[:10] == "aaf4c61ddc"
        assert_eq!(logical_id("Fn", &json!("hello")), "Fnaaf4c61ddc");
        assert_eq!(logical_id("Fn", &json!("")), "Fn");
    }
}
