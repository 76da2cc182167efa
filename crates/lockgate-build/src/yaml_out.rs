//! Writing a JSON value as block-style YAML that reads back as the same
//! value under YAML 1.1 typing (PyYAML, the SAM CLI, Lockgate's parser): a
//! string is written plain only when it would be read back as that string,
//! else double-quoted.

use serde_json::Value;

/// The YAML text of `v` (a document, ending in a newline).
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, ind: usize) {
    for (k, v) in m {
        indent(out, ind);
        out.push_str(&string(k));
        out.push(':');
        write_value(out, v, ind);
    }
}

fn write_seq(out: &mut String, a: &[Value], ind: usize) {
    for v in a {
        indent(out, ind);
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                // The first entry on the dash's line, the rest aligned under it.
                let mut first = true;
                for (k, val) in m {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(out, ind + 2);
                    }
                    out.push_str(&string(k));
                    out.push(':');
                    write_value(out, val, ind + 2);
                }
            }
            _ => write_value(out, v, ind),
        }
    }
}

/// Writes what follows a `key:` or `-`: a scalar on the same line, or a
/// nested block on the next lines.
fn write_value(out: &mut String, v: &Value, ind: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, ind + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, ind + 2);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

/// A string, plain when that reads back as the same string, else double-quoted.
fn string(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        // JSON's string escapes are valid in YAML double-quoted scalars.
        serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
    }
}

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_' || first == '$') {
        return false;
    }
    if s.ends_with([' ', ':']) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    let safe = s.chars().all(|c| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                ' ' | '_' | '-' | '.' | '/' | ':' | '$' | '(' | ')' | '+' | '=' | '@'
            )
    });
    safe && lockgate_template::resolve_plain(s) == Value::String(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_back_as_the_same_value() {
        let v = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": "AWS::Serverless-2016-10-31",
            "Resources": {
                "Fn": {"Type": "AWS::Serverless::Function", "Properties": {
                    "CodeUri": "Fn", "Handler": "app.handler", "Timeout": 10,
                    "Flag": "yes", "Num": "42", "Empty": "", "Multi": "a\nb: c",
                    "Events": {"E": {"Type": "Api", "Properties": {"Path": "/hello/{name}", "Method": "get"}}},
                    "Policies": [{"SSMParameterReadPolicy": {"ParameterName": {"Fn::Sub": "${Stage}/x"}}}, "AWSLambdaBasicExecutionRole"],
                    "Layers": [], "Env": {}, "Nested": [[1, 2], {"a": null}],
                    "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}
                }}
            }
        });
        let text = to_yaml(&v);
        let back = lockgate_template::parse("t.yaml", &text).unwrap().to_json();
        assert_eq!(back, v, "{text}");
        assert!(text.contains("CodeUri: Fn\n"), "{text}");
        assert!(text.contains("Flag: \"yes\"\n"), "{text}");
    }
}
