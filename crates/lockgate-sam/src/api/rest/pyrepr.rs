//! The text the translator hashes for a REST API deployment: `str(swagger)`
//! of its `Py27Dict` document.
//!
//! The translator converts templates with APIs to "Python 2.7 compatible"
//! values: dictionaries iterate in the order a Python 2.7 dict would (hash
//! table slots), and strings that came from the template print as `u'…'`.
//! This module reproduces both on a finished definition body: key order by
//! replaying insertions into a 2.7-style hash table, string provenance by
//! comparing with the template's own strings.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::ids::python_number;

const MINSIZE: u64 = 8;
const PERTURB_SHIFT: u32 = 5;

/// Python 2.7's string hash (`Hash.shash`), as an unsigned 64-bit value.
pub fn py27_hash(s: &str) -> u64 {
    let chars: Vec<u32> = s.chars().map(u32::from).collect();
    let Some(first) = chars.first() else { return 0 };
    let mut x: u64 = u64::from(*first) << 7;
    for c in &chars {
        x = x.wrapping_mul(1_000_003) ^ u64::from(*c);
    }
    x ^ chars.len() as u64
}

/// The iteration order of a Python 2.7 dict whose keys were inserted in
/// `keys` order (`Py27Keys`): indices into `keys`.
pub fn py27_order(keys: &[&str]) -> Vec<usize> {
    let mut table = Table::default();
    for (i, k) in keys.iter().enumerate() {
        table.add(i, k);
    }
    table.order()
}

struct Table<'a> {
    slots: HashMap<u64, (usize, &'a str)>,
    mask: u64,
    fill: u64,
}

impl Default for Table<'_> {
    fn default() -> Self {
        Table {
            slots: HashMap::new(),
            mask: MINSIZE - 1,
            fill: 0,
        }
    }
}

impl<'a> Table<'a> {
    fn slot_for(&self, key: &str) -> u64 {
        let h = py27_hash(key);
        let mut i = h & self.mask;
        match self.slots.get(&i) {
            None => return i,
            Some((_, k)) if *k == key => return i,
            _ => {}
        }
        let mut walker = i;
        let mut perturb = h;
        loop {
            walker = (walker << 2)
                .wrapping_add(walker)
                .wrapping_add(perturb)
                .wrapping_add(1);
            i = walker & self.mask;
            match self.slots.get(&i) {
                None => return i,
                Some((_, k)) if *k == key => return i,
                _ => {}
            }
            perturb >>= PERTURB_SHIFT;
        }
    }

    fn add(&mut self, idx: usize, key: &'a str) {
        let i = self.slot_for(key);
        if self.slots.contains_key(&i) {
            return;
        }
        self.slots.insert(i, (idx, key));
        self.fill += 1;
        if self.fill * 3 >= (self.mask + 1) * 2 {
            let size = self.slots.len() as u64;
            self.resize(size * if size > 50_000 { 2 } else { 4 });
        }
    }

    fn resize(&mut self, request: u64) {
        let mut newsize = MINSIZE;
        while newsize <= request {
            newsize <<= 1;
        }
        let mut old: Vec<(u64, (usize, &'a str))> = self.slots.drain().collect();
        old.sort_by_key(|(slot, _)| *slot);
        self.mask = newsize - 1;
        self.fill = 0;
        for (_, (idx, key)) in old {
            self.add(idx, key);
        }
    }

    fn order(&self) -> Vec<usize> {
        let mut slots: Vec<(&u64, &(usize, &str))> = self.slots.iter().collect();
        slots.sort_by_key(|(slot, _)| **slot);
        slots.into_iter().map(|(_, (idx, _))| *idx).collect()
    }
}

/// The order after the dict has been deep-copied once: `Py27Keys.__deepcopy__`
/// re-inserts the keys, in iteration order, into a fresh table, which moves
/// keys that had collided (a second copy may move them back, so the number
/// of copies matters; one copy, as the translator's document goes through
/// before it is hashed, matches its hashes).
pub fn py27_copied_order(keys: &[&str]) -> Vec<usize> {
    let order = py27_order(keys);
    let current: Vec<&str> = order.iter().map(|&i| keys[i]).collect();
    py27_order(&current).into_iter().map(|j| order[j]).collect()
}

/// Decides which strings print as Python 2 unicode (`u'…'`).
pub struct Provenance<'a> {
    /// Every string of the template (keys and values) outside generated bodies.
    pub template_strings: &'a HashSet<String>,
    /// The definition body as the user wrote it, when there was one.
    pub original_body: Option<&'a Value>,
    /// Every value is unicode (a `BodyS3Location` parsed from a template string).
    pub all_unicode: bool,
    /// The API is the implicit `ServerlessRestApi`, whose stage name `Prod`
    /// the translator writes itself.
    pub implicit_api: bool,
}

impl Provenance<'_> {
    fn is_unicode(&self, s: &str, pointer: &[String], is_key: bool) -> bool {
        if self.all_unicode {
            return !is_key;
        }
        // Method names come from events' `Method` (lower-cased, still
        // unicode), also inside the `Fn::If` SAM wraps a conditional
        // function's path item in.
        let method_key = (pointer.len() == 3
            || (pointer.len() == 5 && pointer[2] == "Fn::If" && pointer[3] == "1"))
            && pointer[0] == "paths";
        if is_key
            && method_key
            && !matches!(
                s,
                "options"
                    | "x-amazon-apigateway-any-method"
                    | "parameters"
                    | "summary"
                    | "description"
                    | "Fn::If"
            )
        {
            return true;
        }
        if let Some(orig) = self.original_body
            && let Some(v) = lookup(orig, pointer, is_key)
        {
            return v == s;
        }
        // The `Fn::If` around a conditional function's path item is SAM's.
        if is_key && s == "Fn::If" && pointer.len() == 3 && pointer[0] == "paths" {
            return false;
        }
        // Models (`definitions`, `components/schemas`) and binary media
        // types are copied or derived (`~1` → `/`) from template strings.
        // (The section keys themselves are the translator's.)
        let top = pointer.first().map(String::as_str);
        if (pointer.len() > 1
            && matches!(
                top,
                Some("definitions" | "x-amazon-apigateway-binary-media-types")
            ))
            || (top == Some("components")
                && pointer.len() > 2
                && pointer.get(1).is_some_and(|p| p == "schemas"))
        {
            return true;
        }
        // The implicit API's stage name is the translator's own `Prod`.
        if self.implicit_api
            && !is_key
            && s == "Prod"
            && pointer.last().is_some_and(|p| p == "__Stage__")
        {
            return false;
        }
        // Request parameters SAM adds (`RequestParameters`, `RequestModel`):
        // the name is split out of a template string (`method.request.header.X`)
        // or is the model name, and so is the location (`header`, `path`); `query`
        // (for `querystring`) and `body` are the translator's words.
        if !is_key
            && pointer.len() >= 3
            && pointer[pointer.len() - 3] == "parameters"
            && (pointer[pointer.len() - 1] == "name"
                || (pointer[pointer.len() - 1] == "in" && matches!(s, "header" | "path")))
        {
            return true;
        }
        // CORS header values are the template's (`AllowHeaders: headers`)
        // when it gives them.
        if !is_key
            && pointer
                .last()
                .is_some_and(|p| p.starts_with("method.response.header.Access-Control-"))
            && self.template_strings.contains(s)
        {
            return true;
        }
        // Security requirement keys name an authorizer as the template does
        // (`DefaultAuthorizer: AWS_IAM`, an event's `Authorizer`).
        if is_key
            && pointer.len() >= 3
            && pointer[pointer.len() - 3] == "security"
            && self.template_strings.contains(s)
        {
            return true;
        }
        if derived_unicode(s) {
            return true;
        }
        if GENERATED.contains(&s) || s.starts_with("method.response.header.") {
            return false;
        }
        self.template_strings.contains(s)
    }
}

fn lookup<'v>(orig: &'v Value, pointer: &[String], is_key: bool) -> Option<&'v str> {
    let mut cur = orig;
    let (last, parents) = pointer.split_last()?;
    for p in parents {
        cur = match cur {
            Value::Object(m) => m.get(p.as_str())?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    match cur {
        Value::Object(m) => {
            let (k, v) = m.get_key_value(last.as_str())?;
            if is_key { Some(k.as_str()) } else { v.as_str() }
        }
        Value::Array(a) if !is_key => a.get(last.parse::<usize>().ok()?)?.as_str(),
        _ => None,
    }
}

/// Keys and values SAM writes itself (plain `str` in the translator).
const GENERATED: &[&str] = &[
    "swagger",
    "info",
    "version",
    "title",
    "paths",
    "Fn::Sub",
    "Fn::If",
    "x-amazon-apigateway-integration",
    "type",
    "httpMethod",
    "uri",
    "responses",
    "responseTransferMode",
    "credentials",
    "timeoutInMillis",
    "x-amazon-apigateway-any-method",
    "options",
    "summary",
    "consumes",
    "produces",
    "requestTemplates",
    "application/json",
    "default",
    "statusCode",
    "responseParameters",
    "responseTemplates",
    "200",
    "description",
    "headers",
    "Access-Control-Allow-Origin",
    "Access-Control-Allow-Headers",
    "Access-Control-Allow-Methods",
    "Access-Control-Max-Age",
    "Access-Control-Allow-Credentials",
    "securityDefinitions",
    "AWS_IAM",
    "api_key",
    "x-amazon-apigateway-authtype",
    "name",
    "in",
    "x-amazon-apigateway-authorizer",
    "providerARNs",
    "authorizerUri",
    "authorizerResultTtlInSeconds",
    "authorizerCredentials",
    "identitySource",
    "identityValidationExpression",
    "__FunctionArn__",
    "security",
    "api_key_false",
    "x-amazon-apigateway-policy",
    "Version",
    "Statement",
    "Effect",
    "Action",
    "Resource",
    "Principal",
    "AWS",
    "Condition",
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpce",
    "IpAddress",
    "NotIpAddress",
    "StringEquals",
    "StringNotEquals",
    "__Stage__",
    "x-amazon-apigateway-request-validators",
    "x-amazon-apigateway-request-validator",
    "validateRequestBody",
    "validateRequestParameters",
    "body-and-params",
    "body-only",
    "params-only",
    "no-validation",
    "parameters",
    "schema",
    "$ref",
    "requestBody",
    "content",
    "required",
    "definitions",
    "x-amazon-apigateway-gateway-responses",
    "x-amazon-apigateway-binary-media-types",
    "cacheKeyParameters",
    "components",
    "securitySchemes",
    "schemas",
    "x-amazon-apigateway-endpoint-configuration",
    "disableExecuteApiEndpoint",
    "servers",
    "openapi",
    "2.0",
    "1.0",
    "AWS::StackName",
    "AWS::NoValue",
    "aws_proxy",
    "POST",
    "STREAM",
    "mock",
    "CORS support",
    "Default response for CORS method",
    "string",
    "integer",
    "'true'",
    "apiKey",
    "header",
    "Authorization",
    "Unused",
    "awsSigv4",
    "cognito_user_pools",
    "custom",
    "token",
    "request",
    "x-api-key",
    "2012-10-17",
    "Allow",
    "Deny",
    "execute-api:Invoke",
    "*",
    "query",
    "path",
    "body",
    "{}\n",
    "{\n  \"statusCode\" : 200\n}\n",
    "Ref",
];

/// Strings the translator builds from template strings keep the unicode type.
fn derived_unicode(s: &str) -> bool {
    (s.starts_with("arn:") && s.contains(":lambda:path/") && s.contains(".Arn}/"))
        || s.starts_with("execute-api:/${__Stage__}/")
        || s.starts_with("gatewayresponse.")
        || s.starts_with("method.request.")
        || s.starts_with("stageVariables.")
        || s.starts_with("context.")
}

/// Collects every string (keys and values) of a value.
pub fn collect_strings(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                out.insert(k.clone());
                collect_strings(x, out);
            }
        }
        _ => {}
    }
}

/// `str(swagger)` as the translator computes it.
pub fn swagger_str(body: &Value, prov: &Provenance<'_>) -> String {
    let mut out = String::new();
    let mut pointer = Vec::new();
    write_value(body, prov, &mut pointer, &mut out);
    out
}

fn write_value(v: &Value, prov: &Provenance<'_>, pointer: &mut Vec<String>, out: &mut String) {
    match v {
        Value::Null => out.push_str("None"),
        Value::Bool(true) => out.push_str("True"),
        Value::Bool(false) => out.push_str("False"),
        Value::Number(n) => out.push_str(&python_number(n)),
        Value::String(s) => {
            let uni = prov.is_unicode(s, pointer, false);
            write_str(s, uni, out);
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                pointer.push(i.to_string());
                write_value(item, prov, pointer, out);
                pointer.pop();
            }
            out.push(']');
        }
        Value::Object(m) => write_dict(m, prov, pointer, out),
    }
}

fn write_dict(
    m: &Map<String, Value>,
    prov: &Provenance<'_>,
    pointer: &mut Vec<String>,
    out: &mut String,
) {
    let keys: Vec<&str> = m.keys().map(String::as_str).collect();
    let order = if pointer.is_empty() {
        openapi3_root_order(m, &keys, prov).unwrap_or_else(|| py27_copied_order(&keys))
    } else {
        py27_copied_order(&keys)
    };
    out.push('{');
    for (n, i) in order.into_iter().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        let key = keys[i];
        pointer.push(key.to_string());
        let uni = prov.is_unicode(key, pointer, true);
        write_str(key, uni, out);
        out.push_str(": ");
        if let Some(val) = m.get(key) {
            write_value(val, prov, pointer, out);
        }
        pointer.pop();
    }
    out.push('}');
}

/// The order of an OpenAPI 3 document's top level after the translator's
/// `_openapi_postprocess`. `str()` prints a dict in its (CPython) insertion
/// order; the document was last rebuilt in Python 2.7 order before the
/// postprocess, which then appends `components` and deletes the sections it
/// moved there. `None` when nothing was moved (the usual order applies).
fn openapi3_root_order(
    m: &Map<String, Value>,
    keys: &[&str],
    prov: &Provenance<'_>,
) -> Option<Vec<usize>> {
    if m.contains_key("swagger") || !m.contains_key("openapi") {
        return None;
    }
    let components = m.get("components")?.as_object()?;
    let original = prov.original_body.and_then(|b| b.get("components"));
    let moved = ["securitySchemes", "schemas"]
        .into_iter()
        .any(|to| components.contains_key(to) && original.and_then(|o| o.get(to)).is_none());
    if !moved || original.is_some() {
        return None;
    }
    let at = keys.iter().position(|k| *k == "components")?;
    let before: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| *k != "components")
        .collect();
    let mut order: Vec<usize> = py27_copied_order(&before)
        .into_iter()
        .map(|i| if i >= at { i + 1 } else { i })
        .collect();
    order.push(at);
    Some(order)
}

/// Python's `repr` of a string; `u'…'` (with `unicode_escape`) for unicode.
fn write_str(s: &str, unicode: bool, out: &mut String) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    if unicode {
        out.push('u');
    }
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if unicode && (c as u32) > 0x7f => {
                let cp = c as u32;
                if cp < 0x100 {
                    out.push_str(&format!("\\x{cp:02x}"));
                } else if cp < 0x10000 {
                    out.push_str(&format!("\\u{cp:04x}"));
                } else {
                    out.push_str(&format!("\\U{cp:08x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python27_dict_order() {
        // Python 2.7: {'swagger': 1, 'info': 2, 'paths': 3}.keys() == ['info', 'paths', 'swagger']
        let keys = ["swagger", "info", "paths"];
        let order: Vec<&str> = py27_order(&keys).into_iter().map(|i| keys[i]).collect();
        assert_eq!(order, vec!["info", "paths", "swagger"]);
    }
}
