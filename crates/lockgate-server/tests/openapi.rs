//! `docs/openapi.yaml` held to the code:
//!
//! - every schema under `components/schemas` against the JSON Schema of the
//!   `lockgate-api` type of the same name (schemars): property names,
//!   required properties, types (with `null`), enum values, array items,
//!   map values, closed objects, and which type each `$ref` names — and
//!   every type the API uses is documented;
//! - every route the router serves is a path and method of the document,
//!   and every documented operation is served;
//! - each operation's query parameters, request body and answer name the
//!   types its handler takes and gives, and every other answer is the error
//!   body;
//! - each route is served for real (not the unknown-route or wrong-method
//!   answer) by a server started on 127.0.0.1:0.

use std::collections::{BTreeMap, BTreeSet};

use lockgate_api as api;
use lockgate_server::{Server, ServerOptions};
use schemars::schema_for;
use serde_json::Value;

fn openapi() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    lockgate_template::parse("openapi.yaml", &text)
        .unwrap_or_else(|e| panic!("docs/openapi.yaml does not parse: {e:?}"))
        .to_json()
}

/// Every type of the API that the document describes, by component name.
fn types() -> BTreeMap<&'static str, Value> {
    macro_rules! types {
        ($($t:ident),* $(,)?) => {
            BTreeMap::from([$(
                (stringify!($t), serde_json::to_value(schema_for!(api::$t)).unwrap()),
            )*])
        };
    }
    types![
        ErrorBody,
        ApiError,
        Health,
        DeployRequest,
        Action,
        Replacement,
        Recreation,
        Evaluation,
        PropertyChange,
        Change,
        Plan,
        StackOutput,
        DeployResult,
        ProgressEvent,
        DeployStreamItem,
        AppSummary,
        StackSummary,
        StageInfo,
        StageResource,
        Schedule,
        ScheduleFired,
        LogLine,
        MissingArtifactsRequest,
        MissingArtifacts,
        ArtifactStored,
        ParameterType,
        PermissionsMode,
        DeployOutcome,
        PutParameterRequest,
        ParameterVersion,
        Parameter,
        DeletedParameter,
        RolloutStep,
        Deployment,
        ErrorInformation,
        TimelineEvent,
        StopRequest,
        DeploymentAction,
    ]
}

/// Compares a schema of the document with a generated one.
struct Compare<'a> {
    doc: &'a Value,
    errors: Vec<String>,
}

fn ref_name<'v>(v: &'v Value, prefix: &str) -> Option<&'v str> {
    v.get("$ref")?.as_str()?.strip_prefix(prefix)
}

/// A schema that allows any value (`true`, or nothing but annotations).
fn is_any(v: &Value) -> bool {
    match v {
        Value::Bool(true) => true,
        Value::Object(m) => !m.keys().any(|k| {
            matches!(
                k.as_str(),
                "type"
                    | "$ref"
                    | "properties"
                    | "anyOf"
                    | "oneOf"
                    | "allOf"
                    | "enum"
                    | "const"
                    | "items"
            )
        }),
        _ => false,
    }
}

/// Enum values, from `enum` or from a `oneOf` of `const`s.
fn enum_of(v: &Value) -> Option<BTreeSet<String>> {
    if let Some(e) = v.get("enum").and_then(Value::as_array) {
        return Some(e.iter().map(Value::to_string).collect());
    }
    let one = v.get("oneOf")?.as_array()?;
    one.iter()
        .map(|x| x.get("const").map(Value::to_string))
        .collect()
}

fn types_of(v: &Value, drop_null: bool) -> BTreeSet<String> {
    let mut t: BTreeSet<String> = match v.get("type") {
        Some(Value::String(s)) => [s.clone()].into(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => BTreeSet::new(),
    };
    if drop_null {
        t.remove("null");
    }
    t
}

fn keys(v: &Value, field: &str) -> BTreeSet<String> {
    match v.get(field) {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => BTreeSet::new(),
    }
}

impl Compare<'_> {
    fn fail(&mut self, at: &str, what: String) {
        self.errors.push(format!("{at}: {what}"));
    }

    /// `o` (the document's) against `g` (generated; its `$defs` in `root`).
    /// `query`: a query parameter, which is never `null`.
    fn schema(&mut self, at: &str, o: &Value, g: &Value, root: &Value, query: bool) {
        let oref = ref_name(o, "#/components/schemas/");
        let gref = ref_name(g, "#/$defs/");
        match (oref, gref) {
            (Some(a), Some(b)) => {
                if a != b {
                    self.fail(at, format!("refers to {a}, the type to {b}"));
                }
                // Each named schema is compared on its own.
                return;
            }
            (Some(a), None) => {
                let resolved = &self.doc["components"]["schemas"][a];
                return self.schema(at, &resolved.clone(), g, root, query);
            }
            (None, Some(b)) => {
                let resolved = root["$defs"][b].clone();
                return self.schema(at, o, &resolved, root, query);
            }
            (None, None) => {}
        }
        match (is_any(o), is_any(g)) {
            (true, true) => return,
            (true, false) | (false, true) => {
                return self.fail(
                    at,
                    format!("one side allows any value: document {o}, type {g}"),
                );
            }
            _ => {}
        }
        let (oe, ge) = (enum_of(o), enum_of(g));
        if oe.is_some() || ge.is_some() {
            if oe != ge {
                self.fail(at, format!("values {oe:?}, the type's {ge:?}"));
            }
            return;
        }
        for key in ["anyOf", "oneOf"] {
            let (oa, ga) = (
                o.get(key).and_then(Value::as_array),
                g.get(key).and_then(Value::as_array),
            );
            match (oa, ga) {
                (None, None) => {}
                (Some(oa), Some(ga)) if oa.len() == ga.len() => {
                    for (i, (x, y)) in oa.iter().zip(ga).enumerate() {
                        self.schema(&format!("{at}.{key}[{i}]"), x, y, root, query);
                    }
                    return;
                }
                _ => return self.fail(at, format!("{key} differs: document {o}, type {g}")),
            }
        }
        let (ot, gt) = (types_of(o, false), types_of(g, query));
        if ot != gt {
            self.fail(at, format!("type {ot:?}, the type's {gt:?}"));
        }
        if gt.contains("object") {
            let (op, gp) = (keys(o, "properties"), keys(g, "properties"));
            if op != gp {
                self.fail(at, format!("properties {op:?}, the type's {gp:?}"));
            }
            let (or, gr) = (keys(o, "required"), keys(g, "required"));
            if or != gr {
                self.fail(at, format!("required {or:?}, the type's {gr:?}"));
            }
            for p in op.intersection(&gp) {
                self.schema(
                    &format!("{at}.{p}"),
                    &o["properties"][p],
                    &g["properties"][p],
                    root,
                    false,
                );
            }
            let closed = |v: &Value| v.get("additionalProperties") == Some(&Value::Bool(false));
            match (o.get("additionalProperties"), g.get("additionalProperties")) {
                (Some(x @ Value::Object(_)), Some(y @ Value::Object(_))) => {
                    self.schema(&format!("{at}.*"), x, y, root, false);
                }
                _ if closed(o) != closed(g) => self.fail(
                    at,
                    format!(
                        "additionalProperties {:?}, the type's {:?}",
                        o.get("additionalProperties"),
                        g.get("additionalProperties")
                    ),
                ),
                (x, y) if x.is_some_and(Value::is_object) != y.is_some_and(Value::is_object) => {
                    self.fail(at, format!("additionalProperties {x:?}, the type's {y:?}"))
                }
                _ => {}
            }
        }
        if gt.contains("array") {
            self.schema(&format!("{at}[]"), &o["items"], &g["items"], root, false);
        }
    }
}

#[test]
fn every_schema_matches_its_type() {
    let doc = openapi();
    let types = types();
    let documented: BTreeSet<String> = keys(&doc["components"], "schemas");
    let listed: BTreeSet<String> = types.keys().map(|k| k.to_string()).collect();
    assert_eq!(
        documented, listed,
        "components/schemas and the API's types differ"
    );
    let mut c = Compare {
        doc: &doc,
        errors: Vec::new(),
    };
    for (name, generated) in &types {
        // Every type a type refers to is documented too.
        for def in keys(generated, "$defs") {
            if !listed.contains(&def) {
                c.fail(
                    name,
                    format!("refers to {def}, which the document does not describe"),
                );
            }
        }
        let documented = doc["components"]["schemas"][*name].clone();
        c.schema(name, &documented, generated, generated, false);
    }
    assert!(
        c.errors.is_empty(),
        "docs/openapi.yaml differs from lockgate-api:\n{}",
        c.errors.join("\n")
    );
}

const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

/// `(method, path)` of every documented operation.
fn documented_routes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// The router's routes, paths written as OpenAPI writes them.
fn served_routes() -> BTreeSet<(String, String)> {
    lockgate_server::api_routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.replace("{*", "{")))
        .collect()
}

#[test]
fn every_route_is_documented_and_every_operation_served() {
    let doc = openapi();
    let documented = documented_routes(&doc);
    let served = served_routes();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in docs/openapi.yaml: {undocumented:?}\nin docs/openapi.yaml but not served: {unserved:?}"
    );
}

/// What an operation takes and answers: method, path, query type, body
/// type, and the 200 answer (`[T]` for an array of T).
type Operation = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

/// Every operation with the types of its handler.
const OPERATIONS: &[Operation] = &[
    ("GET", "/v1/health", None, None, Some("Health")),
    ("GET", "/v1/apps", None, None, Some("[AppSummary]")),
    (
        "GET",
        "/v1/apps/{app}/stages/{stage}",
        Some("StackQuery"),
        None,
        Some("StageInfo"),
    ),
    (
        "DELETE",
        "/v1/apps/{app}/stages/{stage}",
        Some("StackQuery"),
        None,
        Some("DeployStreamItem"),
    ),
    (
        "POST",
        "/v1/apps/{app}/stages/{stage}/plan",
        None,
        Some("DeployRequest"),
        Some("Plan"),
    ),
    (
        "POST",
        "/v1/apps/{app}/stages/{stage}/deploy",
        None,
        Some("DeployRequest"),
        Some("DeployStreamItem"),
    ),
    (
        "GET",
        "/v1/apps/{app}/stages/{stage}/deploys/{token}",
        None,
        None,
        Some("DeployOutcome"),
    ),
    (
        "POST",
        "/v1/artifacts/missing",
        None,
        Some("MissingArtifactsRequest"),
        Some("MissingArtifacts"),
    ),
    (
        "PUT",
        "/v1/artifacts/{digest}",
        None,
        None,
        Some("ArtifactStored"),
    ),
    (
        "GET",
        "/v1/apps/{app}/stages/{stage}/schedules",
        None,
        None,
        Some("[Schedule]"),
    ),
    (
        "POST",
        "/v1/apps/{app}/stages/{stage}/schedules/{rule}/run",
        None,
        None,
        Some("ScheduleFired"),
    ),
    (
        "GET",
        "/v1/apps/{app}/stages/{stage}/logs",
        Some("LogsQuery"),
        None,
        Some("LogLine"),
    ),
    (
        "GET",
        "/v1/apps/{app}/stages/{stage}/logs/{function}",
        Some("LogsQuery"),
        None,
        Some("LogLine"),
    ),
    (
        "GET",
        "/v1/params",
        Some("ListParametersQuery"),
        None,
        Some("[Parameter]"),
    ),
    (
        "GET",
        "/v1/params/{name}",
        Some("GetParameterQuery"),
        None,
        Some("Parameter"),
    ),
    (
        "PUT",
        "/v1/params/{name}",
        None,
        Some("PutParameterRequest"),
        Some("ParameterVersion"),
    ),
    (
        "DELETE",
        "/v1/params/{name}",
        None,
        None,
        Some("DeletedParameter"),
    ),
    (
        "GET",
        "/v1/apps/{app}/stages/{stage}/deployments",
        Some("DeploymentsQuery"),
        None,
        Some("[Deployment]"),
    ),
    (
        "GET",
        "/v1/deployments/{id}",
        None,
        None,
        Some("Deployment"),
    ),
    (
        "POST",
        "/v1/deployments/{id}/promote",
        None,
        None,
        Some("DeploymentAction"),
    ),
    (
        "POST",
        "/v1/deployments/{id}/abort",
        None,
        Some("StopRequest"),
        Some("DeploymentAction"),
    ),
    (
        "POST",
        "/v1/apps/{app}/stages/{stage}/functions/{function}/rollback",
        None,
        Some("StopRequest"),
        Some("DeploymentAction"),
    ),
    ("POST", "/", None, None, None),
];

fn query_type(name: &str) -> Value {
    let s = match name {
        "StackQuery" => schema_for!(api::StackQuery),
        "LogsQuery" => schema_for!(api::LogsQuery),
        "ListParametersQuery" => schema_for!(api::ListParametersQuery),
        "GetParameterQuery" => schema_for!(api::GetParameterQuery),
        "DeploymentsQuery" => schema_for!(api::DeploymentsQuery),
        other => panic!("no query type {other}"),
    };
    serde_json::to_value(s).unwrap()
}

/// The schema an answer or body names: `T`, `[T]`, or what it is.
fn named(schema: &Value) -> String {
    if let Some(n) = ref_name(schema, "#/components/schemas/") {
        return n.to_string();
    }
    if schema["type"] == "array"
        && let Some(n) = ref_name(&schema["items"], "#/components/schemas/")
    {
        return format!("[{n}]");
    }
    schema.to_string()
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let mut cur = doc;
            for seg in r.trim_start_matches("#/").split('/') {
                cur = &cur[seg];
            }
            cur
        }
        None => v,
    }
}

/// The schema of the first content of a body or answer.
fn content_schema(v: &Value) -> Option<&Value> {
    v.get("content")?
        .as_object()?
        .values()
        .next()?
        .get("schema")
}

#[test]
fn every_operation_names_the_types_of_its_handler() {
    let doc = openapi();
    let listed: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p, ..)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(listed, served_routes(), "OPERATIONS lists every route");
    let mut c = Compare {
        doc: &doc,
        errors: Vec::new(),
    };
    for (method, path, query, body, answer) in OPERATIONS {
        let at = format!("{method} {path}");
        let item = &doc["paths"][*path];
        let op = &item[method.to_lowercase()];
        // Query parameters: those of the query type, each with its type.
        let params: Vec<&Value> = item["parameters"]
            .as_array()
            .into_iter()
            .chain(op["parameters"].as_array())
            .flatten()
            .map(|p| resolve(&doc, p))
            .filter(|p| p["in"] == "query")
            .collect();
        let names: BTreeSet<String> = params
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        match query {
            Some(q) => {
                let g = query_type(q);
                let props = keys(&g, "properties");
                if names != props {
                    c.fail(&at, format!("query parameters {names:?}, {q}'s {props:?}"));
                }
                for p in &params {
                    let n = p["name"].as_str().unwrap_or_default();
                    if props.contains(n) {
                        c.schema(
                            &format!("{at} ?{n}"),
                            &p["schema"],
                            &g["properties"][n],
                            &g,
                            true,
                        );
                    }
                }
            }
            None if !names.is_empty() => c.fail(
                &at,
                format!("query parameters {names:?}, the handler takes none"),
            ),
            None => {}
        }
        // The body.
        let documented_body = op.get("requestBody").and_then(content_schema).map(named);
        if documented_body.as_deref() != *body
            && !(body.is_none() && *path == "/v1/artifacts/{digest}")
        {
            c.fail(
                &at,
                format!("body {documented_body:?}, the handler's {body:?}"),
            );
        }
        // The answers: 200 names the type; every other one is the error body.
        for (code, resp) in op["responses"].as_object().into_iter().flatten() {
            let resp = resolve(&doc, resp);
            let schema = content_schema(resp).map(named);
            if code == "200" {
                if schema.as_deref() != *answer {
                    c.fail(&at, format!("answers {schema:?}, the handler {answer:?}"));
                }
            } else if schema.as_deref() != Some("ErrorBody") {
                c.fail(&at, format!("answer {code} is {schema:?}, not ErrorBody"));
            }
        }
    }
    assert!(
        c.errors.is_empty(),
        "docs/openapi.yaml differs from the handlers:\n{}",
        c.errors.join("\n")
    );
}

/// Each route answers as itself: not the unknown-route 404, not a 405.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_served() {
    let tmp = tempfile::tempdir().unwrap();
    let mut opts = ServerOptions::new(tmp.path());
    opts.listen = "127.0.0.1:0".into();
    let server = Server::start(opts).await.unwrap();
    let token = std::fs::read_to_string(server.token_file()).unwrap();
    let http = reqwest::Client::new();
    for (method, path) in lockgate_server::api_routes() {
        let url = path
            .replace("{app}", "app")
            .replace("{stage}", "dev")
            .replace("{rule}", "r")
            .replace("{function}", "f")
            .replace("{digest}", &"0".repeat(64))
            .replace("{*name}", "dev/x");
        let res = http
            .request(method.parse().unwrap(), format!("{}{url}", server.url()))
            .bearer_auth(token.trim())
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!(
            status != 405 && !(status == 404 && text.contains("no API route")),
            "{method} {path} is not served: {status} {text}"
        );
    }
    server.shutdown().await;
}
