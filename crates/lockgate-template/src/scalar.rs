//! YAML 1.1 typing of plain scalars, as PyYAML's `SafeLoader` (and so the
//! SAM translator and the AWS CLI) types them.

use serde_json::{Number, Value};

/// Types a plain (unquoted, untagged) scalar: null, bool, int, float, or string.
///
/// Timestamps stay strings (CloudFormation treats `2010-09-09` as a string).
pub fn resolve_plain(s: &str) -> Value {
    let Some(first) = s.bytes().next() else {
        return Value::Null;
    };
    match first {
        b'~' | b'n' | b'N' if matches!(s, "~" | "null" | "Null" | "NULL") => return Value::Null,
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' => {
            if let Some(b) = resolve_bool(s) {
                return Value::Bool(b);
            }
        }
        b'-' | b'+' | b'.' | b'0'..=b'9' => {
            if is_float(s) {
                if let Some(v) = construct_float(s) {
                    return v;
                }
            } else if is_int(s)
                && let Some(v) = construct_int(s)
            {
                return v;
            }
        }
        _ => {}
    }
    Value::String(s.to_string())
}

/// YAML 1.1 booleans: yes/no/true/false/on/off in three casings.
pub fn resolve_bool(s: &str) -> Option<bool> {
    match s {
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => Some(true),
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => Some(false),
        _ => None,
    }
}

fn strip_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn all(s: &str, f: impl Fn(u8) -> bool) -> bool {
    s.bytes().all(f)
}

fn is_digit_us(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// `[0-9][0-9_]*` — at least one leading digit.
fn digits_us(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_digit) && all(s, is_digit_us)
}

/// `(?::[0-5]?[0-9])+` — the sexagesimal tail after the first part.
fn sexagesimal_tail(parts: &[&str]) -> bool {
    !parts.is_empty()
        && parts.iter().all(|p| {
            let b = p.as_bytes();
            match b.len() {
                1 => b[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&b[0]) && b[1].is_ascii_digit(),
                _ => false,
            }
        })
}

fn is_exponent(s: &str) -> bool {
    // `[eE][-+][0-9]+`
    let b = s.as_bytes();
    b.len() >= 3
        && matches!(b[0], b'e' | b'E')
        && matches!(b[1], b'-' | b'+')
        && all(&s[2..], |c| c.is_ascii_digit())
}

/// `[0-9_]*` then an optional exponent.
fn frac_exp(s: &str) -> bool {
    let cut = s.find(['e', 'E']).unwrap_or(s.len());
    all(&s[..cut], is_digit_us) && (cut == s.len() || is_exponent(&s[cut..]))
}

fn is_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    if let Some(rest) = s.strip_prefix('.')
        && rest.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && frac_exp(rest)
    {
        return true;
    }
    let (_, body) = strip_sign(s);
    if matches!(body, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let Some(dot) = body.find('.') else {
        return false;
    };
    let (int_part, frac) = (&body[..dot], &body[dot + 1..]);
    if digits_us(int_part) {
        return frac_exp(frac);
    }
    // Sexagesimal: `[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
    let parts: Vec<&str> = int_part.split(':').collect();
    parts.len() > 1
        && digits_us(parts[0])
        && sexagesimal_tail(&parts[1..])
        && all(frac, is_digit_us)
}

fn is_int(s: &str) -> bool {
    let (_, body) = strip_sign(s);
    if let Some(bin) = body.strip_prefix("0b") {
        return !bin.is_empty() && all(bin, |b| matches!(b, b'0' | b'1' | b'_'));
    }
    if let Some(hex) = body.strip_prefix("0x") {
        return !hex.is_empty() && all(hex, |b| b.is_ascii_hexdigit() || b == b'_');
    }
    if body == "0" {
        return true;
    }
    if let Some(oct) = body.strip_prefix('0') {
        return !oct.is_empty() && all(oct, |b| (b'0'..=b'7').contains(&b) || b == b'_');
    }
    let parts: Vec<&str> = body.split(':').collect();
    let first = parts[0];
    let first_ok = first
        .as_bytes()
        .first()
        .is_some_and(|b| (b'1'..=b'9').contains(b))
        && all(first, is_digit_us);
    if parts.len() == 1 {
        return first_ok;
    }
    first_ok && sexagesimal_tail(&parts[1..])
}

fn int_value(neg: bool, magnitude: u128) -> Option<Value> {
    if neg {
        let v = i64::try_from(magnitude)
            .ok()
            .map(|m| -m)
            .or_else(|| (magnitude == i64::MIN.unsigned_abs() as u128).then_some(i64::MIN));
        match v {
            Some(v) => Some(Value::Number(v.into())),
            None => Number::from_f64(-(magnitude as f64)).map(Value::Number),
        }
    } else {
        match u64::try_from(magnitude) {
            Ok(v) => Some(Value::Number(v.into())),
            Err(_) => Number::from_f64(magnitude as f64).map(Value::Number),
        }
    }
}

fn construct_int(s: &str) -> Option<Value> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    let (neg, body) = strip_sign(&cleaned);
    let magnitude: u128 = if body == "0" {
        0
    } else if let Some(bin) = body.strip_prefix("0b") {
        u128::from_str_radix(bin, 2).ok()?
    } else if let Some(hex) = body.strip_prefix("0x") {
        u128::from_str_radix(hex, 16).ok()?
    } else if body.starts_with('0') {
        u128::from_str_radix(body, 8).ok()?
    } else if body.contains(':') {
        let mut acc: u128 = 0;
        for part in body.split(':') {
            acc = acc
                .checked_mul(60)?
                .checked_add(part.parse::<u128>().ok()?)?;
        }
        acc
    } else {
        body.parse::<u128>().ok()?
    };
    int_value(neg, magnitude)
}

fn construct_float(s: &str) -> Option<Value> {
    let cleaned: String = s
        .chars()
        .filter(|c| *c != '_')
        .collect::<String>()
        .to_lowercase();
    let (neg, body) = strip_sign(&cleaned);
    let v: f64 = if body == ".inf" || body == ".nan" {
        // JSON has no infinities or NaN: keep the text.
        return Some(Value::String(s.to_string()));
    } else if body.contains(':') {
        let mut acc = 0.0;
        for part in body.split(':') {
            acc = acc * 60.0 + part.parse::<f64>().ok()?;
        }
        acc
    } else {
        // Rust's parser rejects "1." and ".5"? It accepts both; it rejects "" only.
        body.parse::<f64>().ok()?
    };
    let v = if neg { -v } else { v };
    Number::from_f64(v).map(Value::Number)
}

/// How a typed key is written as a JSON object key (as Python's `json.dumps` does).
pub fn key_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => Some("null".into()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml11_scalars() {
        let cases = [
            ("", json!(null)),
            ("~", json!(null)),
            ("null", json!(null)),
            ("NULL", json!(null)),
            ("nul", json!("nul")),
            ("yes", json!(true)),
            ("Off", json!(false)),
            ("TRUE", json!(true)),
            ("tRue", json!("tRue")),
            ("12", json!(12)),
            ("-12", json!(-12)),
            ("+12", json!(12)),
            ("1_000", json!(1000)),
            ("0755", json!(493)),
            ("08", json!("08")),
            ("0x1F", json!(31)),
            ("0b101", json!(5)),
            ("1:30", json!(90)),
            ("1.5", json!(1.5)),
            ("1.", json!(1.0)),
            (".5", json!(0.5)),
            ("1.0e+3", json!(1000.0)),
            ("1.0e3", json!("1.0e3")),
            ("1e5", json!("1e5")),
            ("1:30.5", json!(90.5)),
            (".inf", json!(".inf")),
            ("2010-09-09", json!("2010-09-09")),
            ("1.2.3", json!("1.2.3")),
            ("-", json!("-")),
            ("3.10", json!(3.1)),
            ("99999999999999999999", json!(1e20)),
        ];
        for (input, want) in cases {
            assert_eq!(resolve_plain(input), want, "input {input:?}");
        }
    }

    #[test]
    fn keys_render_like_json_dumps() {
        assert_eq!(key_string(&json!(200)).as_deref(), Some("200"));
        assert_eq!(key_string(&json!(true)).as_deref(), Some("true"));
        assert_eq!(key_string(&json!(null)).as_deref(), Some("null"));
        assert_eq!(key_string(&json!([1])), None);
    }
}
