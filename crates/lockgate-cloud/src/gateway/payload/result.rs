//! A function's result mapped back to an HTTP response as API Gateway maps
//! it: format 1.0 (`statusCode`, `headers`, `multiValueHeaders`, `body`,
//! `isBase64Encoded`) and format 2.0 (the same, `cookies`, and a bare JSON
//! value as a 200 body), with API Gateway's 502 for what it cannot map.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hyper::header::{CONTENT_TYPE, HeaderName, HeaderValue, SET_COOKIE};
use serde_json::{Map, Value};

use super::fast;
use crate::config::ApiKind;

/// An HTTP response mapped from a function's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedResponse {
    /// The status.
    pub status: u16,
    /// Headers as they go on the wire, in order (repeated names allowed);
    /// hop-by-hop headers and names or values HTTP cannot carry are left
    /// out.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The body.
    pub body: Bytes,
}

/// Why a function's result cannot be mapped (API Gateway answers 502).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Lambda proxy response: {0}")]
pub struct Malformed(pub String);

/// Adds a function's header as it goes on the wire (the name lower case, the
/// value's bytes shared, not copied). Hop-by-hop headers, and names or
/// values HTTP cannot carry (a line break in a value), are left out.
pub(super) fn push_header(out: &mut Vec<(HeaderName, HeaderValue)>, name: &str, value: Bytes) {
    use hyper::header::{CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING, UPGRADE};
    let Ok(k) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    // Parsed, a standard name compares as one value, not as text.
    if k == CONNECTION
        || k == CONTENT_LENGTH
        || k == TRANSFER_ENCODING
        || k == UPGRADE
        || k.as_str() == "keep-alive"
    {
        return;
    }
    if let Ok(v) = HeaderValue::from_maybe_shared(value) {
        out.push((k, v));
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn status_of(v: Option<&Value>) -> Result<u16, Malformed> {
    let code = match v {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    };
    match code {
        Some(c) if (100..=599).contains(&c) => Ok(c as u16),
        _ => Err(Malformed(format!(
            "statusCode must be an HTTP status, got {}",
            v.map(Value::to_string).unwrap_or_else(|| "nothing".into())
        ))),
    }
}

fn body_of(obj: &Map<String, Value>) -> Result<Bytes, Malformed> {
    let b64 = matches!(obj.get("isBase64Encoded"), Some(Value::Bool(true)));
    let text = match obj.get("body") {
        None | Some(Value::Null) => return Ok(Bytes::new()),
        Some(Value::String(s)) => s.clone(),
        Some(other) => return Err(Malformed(format!("body must be a string, got {other}"))),
    };
    if b64 {
        B64.decode(text.as_bytes())
            .map(Bytes::from)
            .map_err(|e| Malformed(format!("body is not valid base64: {e}")))
    } else {
        Ok(Bytes::from(text))
    }
}

fn headers_of(
    obj: &Map<String, Value>,
    out: &mut Vec<(HeaderName, HeaderValue)>,
) -> Result<(), Malformed> {
    match obj.get("headers") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, v) in h {
                let v = scalar_string(v)
                    .ok_or_else(|| Malformed(format!("header {k} must be a string")))?;
                push_header(out, k, Bytes::from(v));
            }
        }
        Some(_) => return Err(Malformed("headers must be an object".into())),
    }
    Ok(())
}

/// Maps a format 1.0 result: `statusCode`, `headers`, `multiValueHeaders`, `body`, `isBase64Encoded`.
pub fn response_v1(output: &[u8], kind: ApiKind) -> Result<MappedResponse, Malformed> {
    let v: Value =
        serde_json::from_slice(output).map_err(|e| Malformed(format!("not JSON: {e}")))?;
    let Value::Object(obj) = v else {
        return Err(Malformed("the result must be a JSON object".into()));
    };
    let status = status_of(obj.get("statusCode"))?;
    let mut headers = Vec::new();
    headers_of(&obj, &mut headers)?;
    match obj.get("multiValueHeaders") {
        None | Some(Value::Null) => {}
        Some(Value::Object(h)) => {
            for (k, vs) in h {
                let Value::Array(vs) = vs else {
                    return Err(Malformed(format!("multiValueHeaders.{k} must be a list")));
                };
                // multiValueHeaders win over headers of the same name.
                headers.retain(|(hk, _)| !hk.as_str().eq_ignore_ascii_case(k));
                for v in vs {
                    let v = scalar_string(v).ok_or_else(|| {
                        Malformed(format!("multiValueHeaders.{k} must hold strings"))
                    })?;
                    push_header(&mut headers, k, Bytes::from(v));
                }
            }
        }
        Some(_) => return Err(Malformed("multiValueHeaders must be an object".into())),
    }
    let body = body_of(&obj)?;
    if kind == ApiKind::Rest && !headers.iter().any(|(k, _)| k == CONTENT_TYPE) {
        headers.push((CONTENT_TYPE, HeaderValue::from_static("application/json")));
    }
    Ok(MappedResponse {
        status,
        headers,
        body,
    })
}

/// Maps a format 2.0 result; a JSON value without `statusCode` is a 200 application/json body.
pub fn response_v2(output: &Bytes) -> Result<MappedResponse, Malformed> {
    match fast::response_v2(output) {
        Some(r) => Ok(r),
        None => response_v2_tree(output),
    }
}

/// A 2.0 result without `statusCode`: the whole result is the body, as
/// JSON, status 200.
pub(super) fn json_as_is(output: &Bytes) -> MappedResponse {
    MappedResponse {
        status: 200,
        headers: vec![(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        body: output.clone(),
    }
}

/// [`response_v2`] through a JSON tree: every shape, and the messages.
fn response_v2_tree(output: &Bytes) -> Result<MappedResponse, Malformed> {
    let v: Value =
        serde_json::from_slice(output).map_err(|e| Malformed(format!("not JSON: {e}")))?;
    let obj = match v {
        Value::Object(obj) if obj.contains_key("statusCode") => obj,
        _ => return Ok(json_as_is(output)),
    };
    let status = status_of(obj.get("statusCode"))?;
    let mut headers = Vec::new();
    headers_of(&obj, &mut headers)?;
    match obj.get("cookies") {
        None | Some(Value::Null) => {}
        Some(Value::Array(cs)) => {
            for c in cs {
                let c = scalar_string(c)
                    .ok_or_else(|| Malformed("cookies must hold strings".into()))?;
                push_header(&mut headers, SET_COOKIE.as_str(), Bytes::from(c));
            }
        }
        Some(_) => return Err(Malformed("cookies must be a list".into())),
    }
    let body = body_of(&obj)?;
    Ok(MappedResponse {
        status,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hop-by-hop headers, and names or values HTTP cannot carry, never
    /// reach the wire, whichever format and reader maps the result; the
    /// rest keep their order, names lower case.
    #[test]
    fn headers_the_wire_cannot_carry_are_left_out() {
        let headers = r#"{"Connection":"close","content-length":"99","Transfer-Encoding":"chunked","keep-alive":"x","upgrade":"h2c","bad name":"1","x-split":"a\nb","X-Kept":"yes","cache-control":"no-store"}"#;
        let v2 = format!(r#"{{"statusCode":200,"headers":{headers},"cookies":["a=1","b\r\n=2"]}}"#);
        let v1 = format!(
            r#"{{"statusCode":200,"headers":{headers},"multiValueHeaders":{{"Upgrade":["x"],"x-multi":["1","2"]}}}}"#
        );
        let wire = |r: &MappedResponse| -> Vec<(String, String)> {
            r.headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        };
        let pair = |k: &str, v: &str| (k.to_string(), v.to_string());
        let v2_bytes = Bytes::from(v2);
        let expected = vec![
            pair("x-kept", "yes"),
            pair("cache-control", "no-store"),
            pair("set-cookie", "a=1"),
        ];
        let fast = fast::response_v2(&v2_bytes).expect("read by the fast reader");
        assert_eq!(wire(&fast), expected);
        assert_eq!(wire(&response_v2_tree(&v2_bytes).unwrap()), expected);
        let rest = response_v1(v1.as_bytes(), ApiKind::Rest).unwrap();
        assert_eq!(
            wire(&rest),
            vec![
                pair("x-kept", "yes"),
                pair("cache-control", "no-store"),
                pair("x-multi", "1"),
                pair("x-multi", "2"),
                pair("content-type", "application/json"),
            ]
        );
    }

    /// A random JSON-like value: scalars of every kind, escapes, odd
    /// numbers, nesting, whitespace.
    fn random_value(rng: &mut fastrand::Rng, depth: usize, out: &mut String) {
        const STRINGS: &[&str] = &[
            r#""""#,
            r#""a""#,
            r#""text/plain""#,
            r#""a\"b""#,
            r#""\u00e9\ud83d\ude00""#,
            r#""\n\t\\\/""#,
            r#""\ud83d""#,
            r#""é€""#,
            r#""\x""#,
            "\"a\nb\"",
            r#""200""#,
        ];
        const NUMBERS: &[&str] = &[
            "0",
            "200",
            "-1",
            "-0",
            "1.5",
            "2e3",
            "0200",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            "1.",
            "+1",
            "1e400",
            "-1e-400",
            "0e9999",
        ];
        match rng.usize(0..if depth > 2 { 4 } else { 6 }) {
            0 => out.push_str(STRINGS[rng.usize(..STRINGS.len())]),
            1 => out.push_str(NUMBERS[rng.usize(..NUMBERS.len())]),
            2 => out.push_str(["true", "false", "null", "tru"][rng.usize(..4)]),
            3 => out.push_str(STRINGS[rng.usize(..3)]),
            4 => {
                out.push('[');
                for i in 0..rng.usize(..3) {
                    if i > 0 {
                        out.push(',');
                    }
                    random_value(rng, depth + 1, out);
                }
                out.push(']');
            }
            _ => {
                out.push('{');
                for i in 0..rng.usize(..3) {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(["\"a\"", "\"b\"", "\"x-h\"", "\"a\""][rng.usize(..4)]);
                    out.push_str([":", " : "][rng.usize(..2)]);
                    random_value(rng, depth + 1, out);
                }
                out.push('}');
            }
        }
    }

    /// Over many random results — the five fields with values of every
    /// type, unknown fields, repeats, whitespace, and bytes changed at
    /// random — whatever the fast reader reads, it reads as the general
    /// reader does; and it reads thousands of them, not none.
    #[test]
    fn the_fast_reader_agrees_with_the_general_one_on_random_results() {
        let mut rng = fastrand::Rng::with_seed(15);
        let fields = [
            "\"statusCode\"",
            "\"headers\"",
            "\"cookies\"",
            "\"body\"",
            "\"isBase64Encoded\"",
            "\"other\"",
            "\"st\\u0061tusCode\"",
        ];
        let (mut read, mut total) = (0, 0);
        for _ in 0..20_000 {
            let mut doc = String::from([" {", "{", "\n{ "][rng.usize(..3)]);
            for i in 0..rng.usize(..6) {
                if i > 0 {
                    doc.push_str([",", " ,\n"][rng.usize(..2)]);
                }
                let f = fields[rng.usize(..fields.len())];
                doc.push_str(f);
                doc.push(':');
                match (f, rng.bool()) {
                    ("\"statusCode\"", true) => {
                        doc.push_str(["200", "\"404\"", "599"][rng.usize(..3)])
                    }
                    ("\"headers\"", true) => {
                        doc.push_str(r#"{"content-type":"text/plain","x-n":5,"x-b":true}"#)
                    }
                    ("\"cookies\"", true) => doc.push_str(r#"["a=1","b=\"2\""]"#),
                    ("\"body\"", true) => doc.push_str(r#""{\"k\":[1,2]}""#),
                    _ => random_value(&mut rng, 1, &mut doc),
                }
            }
            doc.push_str(["}", "} ", "}\r\n", "}x", ""][rng.usize(..5)]);
            let mut bytes = doc.into_bytes();
            if rng.usize(..4) == 0 && !bytes.is_empty() {
                let at = rng.usize(..bytes.len());
                match rng.usize(..3) {
                    0 => bytes[at] = rng.u8(..),
                    1 => drop(bytes.remove(at)),
                    _ => bytes.insert(at, b"{}[],:\"\\ 0e-"[rng.usize(..12)]),
                }
            }
            let out = Bytes::from(bytes);
            total += 1;
            if let Some(fast) = fast::response_v2(&out) {
                read += 1;
                assert_eq!(
                    Ok(fast),
                    response_v2_tree(&out),
                    "{:?}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
        // Not an empty agreement: thousands of results are read by the fast
        // reader (the rest, broken or of other types, by the general one).
        assert!(read * 10 > total, "read {read} of {total}");
    }

    /// The fast reader of 2.0 results reads the usual shapes, and gives
    /// what the general reader gives for each; it leaves the others to it.
    #[test]
    fn fast_v2_results_match_the_general_reader() {
        let read: &[&str] = &[
            r#"{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"hello world"}"#,
            r#"{"statusCode":"201","headers":{"x-n":5,"x-b":true,"x-s":"a\"b"},"cookies":["a=1","b=2"],"body":"\u00e9t\u00e9"}"#,
            r#"{"statusCode":204}"#,
            r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":true}"#,
            r#"{"statusCode":200,"body":"aGk=","isBase64Encoded":"true"}"#,
            r#"{"statusCode":200,"headers":null,"cookies":null,"body":null,"extra":{"a":[1,2.5]}}"#,
            r#"{"message":"no status","n":1.5}"#,
            // Escapes of every kind, a surrogate pair, whitespace between tokens.
            " {\"statusCode\" : 200 ,\n\t\"headers\":{ \"x-e\" : \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\" } , \"body\" : \"{\\\"k\\\":[1,2]}\" }\r\n",
            r#"{"statusCode":200,"body":"","isBase64Encoded":false,"cookies":[],"headers":{}}"#,
            r#"{"statusCode":200,"headers":{"x-big":18446744073709551615,"x-neg":-9223372036854775808,"x-f":false}}"#,
            r#"{"st\u0061tusCode":201,"other":[{"a":{"b":[null,true,false,-1.5e-3,0,"s\n"]}}],"body":"\u0000x"}"#,
            r#"{"statusCode":599,"multiValueHeaders":{"a":["1","2"]},"body":"é€😀"}"#,
        ];
        for out in read {
            let out_bytes = Bytes::copy_from_slice(out.as_bytes());
            let fast = fast::response_v2(&out_bytes);
            assert!(fast.is_some(), "not read by the fast reader: {out}");
            assert_eq!(fast.map(Ok), Some(response_v2_tree(&out_bytes)), "{out}");
        }
        let left: &[&str] = &[
            r#""just a string""#,
            r#"[1,2]"#,
            r#"{"statusCode":null}"#,
            r#"{"statusCode":200.0}"#,
            r#"{"statusCode":700}"#,
            r#"{"statusCode":-1}"#,
            r#"{"statusCode":200,"headers":{"a":"1","a":"2"}}"#,
            r#"{"statusCode":200,"headers":{"a":1.5}}"#,
            r#"{"statusCode":200,"headers":{"a":null}}"#,
            r#"{"statusCode":200,"headers":[]}"#,
            r#"{"statusCode":200,"cookies":"a=1"}"#,
            r#"{"statusCode":200,"body":{"a":1}}"#,
            r#"{"statusCode":200,"body":"%%%","isBase64Encoded":true}"#,
            r#"{"statusCode":200,"statusCode":201}"#,
            r#"{"body":5}"#,
            "not json",
            // Not strict JSON, or numbers `serde_json` reads as floats.
            r#"{"statusCode":200,}"#,
            r#"{"statusCode":200}x"#,
            r#"{"statusCode":0200}"#,
            r#"{"statusCode":200,"headers":{"a":-0}}"#,
            r#"{"statusCode":200,"headers":{"a":18446744073709551616}}"#,
            r#"{"statusCode":200,"body":"\ud83d"}"#,
            r#"{"statusCode":200,"body":"\x"}"#,
            "{\"statusCode\":200,\"body\":\"a\nb\"}",
            r#"{"statusCode":200,"extra":[1,]}"#,
            r#"{"statusCode":200,"extra":+1}"#,
            r#"{"statusCode":200,"extra":1.}"#,
            r#"{"statusCode":200,"extra":tru}"#,
            r#"{"statusCode":200,"body":"x","body":"y"}"#,
            r#"{"statusCode":200,"headers":{"a":"1"},"headers":{"b":"2"}}"#,
            // A float `serde_json` refuses as out of range, and nesting
            // deeper than the fast reader goes.
            r#"{"statusCode":200,"extra":1e400}"#,
            &format!(
                r#"{{"statusCode":200,"extra":{}1{}}}"#,
                "[".repeat(100),
                "]".repeat(100)
            ),
        ];
        for out in left {
            assert!(
                fast::response_v2(&Bytes::copy_from_slice(out.as_bytes())).is_none(),
                "read by the fast reader: {out}"
            );
        }
    }
}
