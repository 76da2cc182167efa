//! `AWS::Serverless::Api` → `AWS::ApiGateway::RestApi`, `Deployment`,
//! `Stage`, authorizer permissions, and (through `api::domain` and
//! `api::usage_plan`) custom domains and usage plans: the translator's
//! `SamApi.to_cloudformation` and `ApiGenerator`.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::auth::{self, Authorizer};
use super::swagger::{self, Editor, is_openapi3, is_supported_openapi_version};
use super::{FUNCTION_NAMES_KEY, ORIGINAL_BODY_KEY, cors, gateway_responses, pyrepr};
use crate::ctx::{Ctx, Resource, passthrough_attributes};
use crate::error::ErrorItem;
use crate::ids::{hash, is_falsy, logical_id};
use crate::props::{self, Check, Prop, p, strict};

const TYPE: &str = "AWS::Serverless::Api";

/// Declared properties of `AWS::Serverless::Api`.
pub(crate) const SPEC: &[Prop] = &[
    p("__MANAGE_SWAGGER", false, Check::Bool),
    p("Name", false, Check::StrOrMap),
    p("StageName", true, Check::StrOrMap),
    p("Tags", false, Check::Map),
    p("PropagateTags", false, Check::Bool),
    p("DefinitionBody", false, Check::Map),
    p("DefinitionUri", false, Check::StrOrMap),
    strict("MergeDefinitions", false, Check::Bool),
    p("CacheClusterEnabled", false, Check::Bool),
    p("CacheClusterSize", false, Check::Str),
    p("Variables", false, Check::Map),
    p("EndpointConfiguration", false, Check::StrOrMap),
    p("MethodSettings", false, Check::List),
    p("BinaryMediaTypes", false, Check::List),
    p("MinimumCompressionSize", false, Check::Int),
    p("Cors", false, Check::StrOrMap),
    p("Auth", false, Check::Map),
    p("GatewayResponses", false, Check::Map),
    p("AccessLogSetting", false, Check::Map),
    p("CanarySetting", false, Check::Map),
    p("TracingEnabled", false, Check::Bool),
    p("OpenApiVersion", false, Check::Str),
    p("Models", false, Check::Map),
    p("Domain", false, Check::Map),
    p("FailOnWarnings", false, Check::Bool),
    p("Description", false, Check::Str),
    p("Mode", false, Check::Str),
    p("DisableExecuteApiEndpoint", false, Check::Bool),
    p("ApiKeySourceType", false, Check::Str),
    strict("AlwaysDeploy", false, Check::Bool),
    p("Policy", false, Check::StrOrMap),
    p("SecurityPolicy", false, Check::Str),
    p("EndpointAccessMode", false, Check::Str),
];

const AUTH_FIELDS: [&str; 8] = [
    "Authorizers",
    "DefaultAuthorizer",
    "InvokeRole",
    "AddDefaultAuthorizerToCorsPreflight",
    "AddApiKeyRequiredToCorsPreflight",
    "ApiKeyRequired",
    "ResourcePolicy",
    "UsagePlan",
];

/// Resource types that take the API's tags when `PropagateTags` is set.
const TAGGABLE: [&str; 6] = [
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::DomainNameV2",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::ApiKey",
];

/// `referable_properties` of `SamApi`.
const REFERABLE: [(&str, &str); 7] = [
    ("Stage", "AWS::ApiGateway::Stage"),
    ("Deployment", "AWS::ApiGateway::Deployment"),
    ("DomainName", "AWS::ApiGateway::DomainName"),
    ("DomainNameV2", "AWS::ApiGateway::DomainNameV2"),
    ("UsagePlan", "AWS::ApiGateway::UsagePlan"),
    ("UsagePlanKey", "AWS::ApiGateway::UsagePlanKey"),
    ("ApiKey", "AWS::ApiGateway::ApiKey"),
];

fn get<'a>(props: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    props.get(k).filter(|v| !v.is_null())
}

fn truthy<'a>(props: &'a Map<String, Value>, k: &str) -> Option<&'a Value> {
    props.get(k).filter(|v| !is_falsy(v))
}

/// The API being generated.
struct Gen<'a> {
    id: &'a str,
    props: Map<String, Value>,
    body: Option<Value>,
    partition: String,
}

impl Gen<'_> {
    fn err(&self, msg: impl Into<String>) -> ErrorItem {
        ErrorItem::resource(self.id, msg)
    }

    fn body_mut(&mut self) -> Option<&mut Value> {
        self.body.as_mut()
    }
}

/// Translates one `AWS::Serverless::Api`.
pub fn translate(ctx: &mut Ctx, id: &str, resource: &Value) -> Result<Vec<Resource>, ErrorItem> {
    let mut props = match resource.get("Properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(ErrorItem::resource(
                id,
                "Properties of a resource must be an object.",
            ));
        }
    };
    let function_names = props.shift_remove(FUNCTION_NAMES_KEY);
    let original_body = props.shift_remove(ORIGINAL_BODY_KEY);
    props::validate(id, TYPE, &props, SPEC)?;
    for key in ["BinaryMediaTypes", "Domain", "Auth"] {
        if let Some(v) = props.get(key) {
            let resolved = ctx.resolve_params(v)?;
            props.insert(key.to_string(), resolved);
        }
    }
    let attrs = resource_attributes(resource);
    let passthrough = passthrough_attributes(&attrs);
    let body = get(&props, "DefinitionBody").cloned();
    let mut g = Gen {
        id,
        props,
        body,
        partition: ctx.opts.partition.clone(),
    };

    let rest_api = construct_rest_api(ctx, &mut g, &attrs)?;

    // Custom domain (api::domain, owned by the domain module).
    let domain = crate::api::domain::rest_domain(ctx, id, get(&g.props, "Domain"), &passthrough)?;

    let open_api_version = truthy(&g.props, "OpenApiVersion").cloned();
    let mut deployment = Resource::new(format!("{id}Deployment"), "AWS::ApiGateway::Deployment")
        .prop("RestApiId", json!({"Ref": id}));
    deployment.attributes = passthrough.clone();
    if open_api_version.is_none() {
        deployment
            .properties
            .insert("StageName".into(), json!("Stage"));
    }
    let swagger = rest_api
        .properties
        .get("Body")
        .or_else(|| rest_api.properties.get("BodyS3Location"))
        .cloned();
    let hash_text = swagger.as_ref().filter(|s| !is_falsy(s)).map(|s| {
        let strings = template_strings(ctx, original_body.as_ref());
        let prov = pyrepr::Provenance {
            template_strings: &strings,
            original_body: original_body.as_ref(),
            // `BodyS3Location` is built by the translator (plain `str` keys)
            // from template values (unicode), whether `DefinitionUri` was an
            // `s3://` string or a `{Bucket, Key}` map.
            all_unicode: rest_api.properties.get("Body").is_none(),
            implicit_api: id == super::implicit::IMPLICIT_API_ID,
        };
        pyrepr::swagger_str(s, &prov)
    });
    let stage = construct_stage(
        &g,
        &mut deployment,
        hash_text.as_deref(),
        open_api_version.as_ref(),
        function_names.as_ref(),
        &passthrough,
    );
    let permissions = authorizer_permissions(&g, &passthrough)?;
    let usage = crate::api::usage_plan::usage_plan_resources(
        ctx,
        id,
        get(&g.props, "Auth"),
        Some(&stage.logical_id),
        &passthrough,
    )?;

    let mut out = vec![rest_api, deployment, stage];
    out.extend(permissions);
    out.extend(domain);
    out.extend(usage);

    if truthy(&g.props, "PropagateTags").is_some()
        && let Some(Value::Object(tags)) = truthy(&g.props, "Tags")
    {
        let list = tag_list(tags);
        for r in out
            .iter_mut()
            .filter(|r| TAGGABLE.contains(&r.resource_type.as_str()))
        {
            r.properties.insert("Tags".into(), list.clone());
        }
    }
    for (prop, rtype) in REFERABLE {
        if let Some(r) = out.iter().find(|r| r.resource_type == rtype) {
            let target = r.logical_id.clone();
            ctx.add_resource_ref(id, prop, &target);
        }
    }
    Ok(out)
}

/// The template's own strings (what the translator holds as unicode): every
/// key and string value except the definition bodies SAM has edited, plus
/// the bodies as written.
fn template_strings(ctx: &Ctx, original_body: Option<&Value>) -> HashSet<String> {
    let mut out = HashSet::new();
    for (key, section) in &ctx.template {
        out.insert(key.clone());
        if key != "Resources" {
            pyrepr::collect_strings(section, &mut out);
        }
    }
    for (id, resource) in ctx.resources() {
        out.insert(id.clone());
        let Value::Object(r) = resource else { continue };
        for (k, v) in r {
            out.insert(k.clone());
            if k != "Properties" || r.get("Type").and_then(Value::as_str) != Some(TYPE) {
                pyrepr::collect_strings(v, &mut out);
                continue;
            }
            let Value::Object(props) = v else { continue };
            for (pk, pv) in props {
                if pk == "DefinitionBody" || pk == FUNCTION_NAMES_KEY {
                    continue;
                }
                out.insert(pk.clone());
                pyrepr::collect_strings(pv, &mut out);
            }
        }
    }
    if let Some(b) = original_body {
        pyrepr::collect_strings(b, &mut out);
    }
    out
}

fn resource_attributes(resource: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    for key in [
        "DependsOn",
        "DeletionPolicy",
        "UpdatePolicy",
        "Condition",
        "UpdateReplacePolicy",
    ] {
        if let Some(v) = resource.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    out
}

fn tag_list(tags: &Map<String, Value>) -> Value {
    Value::Array(
        tags.iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect(),
    )
}

fn construct_rest_api(
    ctx: &Ctx,
    g: &mut Gen<'_>,
    attrs: &Map<String, Value>,
) -> Result<Resource, ErrorItem> {
    let has_uri = truthy(&g.props, "DefinitionUri").is_some();
    if has_uri && g.body.as_ref().is_some_and(|b| !is_falsy(b)) {
        return Err(
            g.err("Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.")
        );
    }
    if has_uri && truthy(&g.props, "MergeDefinitions").is_some() {
        return Err(g.err("Cannot set 'MergeDefinitions' to True when using `DefinitionUri`."));
    }
    if let Some(v) = truthy(&g.props, "OpenApiVersion")
        && !is_supported_openapi_version(v)
    {
        return Err(g.err("The OpenApiVersion value must be of the format '3.0.0'."));
    }
    let mut rest = Resource::new(g.id, "AWS::ApiGateway::RestApi");
    rest.attributes = attrs.clone();
    rest.set_opt(
        "BinaryMediaTypes",
        get(&g.props, "BinaryMediaTypes").cloned(),
    );
    rest.set_opt(
        "MinimumCompressionSize",
        get(&g.props, "MinimumCompressionSize").cloned(),
    );
    if let Some(ec) = truthy(&g.props, "EndpointConfiguration").cloned() {
        set_endpoint_configuration(g.id, &mut rest, &ec)?;
    } else if !edge_supported(&ctx.opts.partition) {
        set_endpoint_configuration(g.id, &mut rest, &json!("REGIONAL"))?;
    }
    let id = g.id;
    let cors_cfg = get(&g.props, "Cors").cloned();
    cors::add_cors(id, cors_cfg.as_ref(), g.body_mut())?;
    add_auth(g)?;
    let responses = get(&g.props, "GatewayResponses").cloned();
    gateway_responses::add_gateway_responses(id, responses.as_ref(), g.body_mut())?;
    if let Some(bmt) = truthy(&g.props, "BinaryMediaTypes").cloned()
        && let Some(b) = g.body.as_mut().filter(|b| !is_falsy(b))
    {
        Editor::new(b)?.add_binary_media_types(&bmt);
    }
    let models = get(&g.props, "Models").cloned();
    gateway_responses::add_models(id, models.as_ref(), g.body_mut())?;
    if models.as_ref().is_some_and(|m| !is_falsy(m))
        && let Some(b) = g.body.as_mut()
    {
        openapi_postprocess(b, get(&g.props, "OpenApiVersion"))?;
    }
    if let Some(f) = truthy(&g.props, "FailOnWarnings") {
        rest.properties.insert("FailOnWarnings".into(), f.clone());
    }
    if let Some(d) = get(&g.props, "DisableExecuteApiEndpoint").cloned() {
        let Some(b) = g.body.as_mut().filter(|b| !is_falsy(b)) else {
            return Err(
                g.err("DisableExecuteApiEndpoint works only within 'DefinitionBody' property.")
            );
        };
        Editor::new(b)?.add_disable_execute_api_endpoint(&d)?;
    }
    if let Some(uri) = truthy(&g.props, "DefinitionUri").cloned() {
        rest.properties
            .insert("BodyS3Location".into(), body_s3_location(g.id, &uri)?);
    } else if let Some(mut b) = g.body.take().filter(|b| !is_falsy(b)) {
        openapi_postprocess(&mut b, get(&g.props, "OpenApiVersion"))?;
        rest.properties.insert("Body".into(), b);
    }
    for key in [
        "Name",
        "Description",
        "Mode",
        "ApiKeySourceType",
        "Policy",
        "SecurityPolicy",
        "EndpointAccessMode",
    ] {
        if let Some(v) = truthy(&g.props, key) {
            rest.properties.insert(key.to_string(), v.clone());
        }
    }
    Ok(rest)
}

fn edge_supported(partition: &str) -> bool {
    !(partition.starts_with("aws-iso") || ["aws-us-gov", "aws-cn", "aws-eusc"].contains(&partition))
}

fn set_endpoint_configuration(
    id: &str,
    rest: &mut Resource,
    value: &Value,
) -> Result<(), ErrorItem> {
    match value {
        Value::Object(m) if m.get("Type").is_some_and(|t| !is_falsy(t)) => {
            let t = m.get("Type").cloned().unwrap_or(Value::Null);
            rest.properties.insert(
                "Parameters".into(),
                json!({"endpointConfigurationTypes": t}),
            );
            let mut ec = Map::new();
            ec.insert("Types".into(), json!([t]));
            if m.contains_key("VPCEndpointIds") && m.contains_key("VpcEndpointIds") {
                return Err(ErrorItem::resource(
                    id,
                    "'VPCEndpointIds' and 'VpcEndpointIds' cannot be used together in EndpointConfiguration.",
                ));
            }
            if m.contains_key("VPCEndpointIds") || m.contains_key("VpcEndpointIds") {
                let ids = m
                    .get("VPCEndpointIds")
                    .filter(|v| !is_falsy(v))
                    .or_else(|| m.get("VpcEndpointIds"))
                    .cloned()
                    .unwrap_or(Value::Null);
                ec.insert("VpcEndpointIds".into(), ids);
            }
            if let Some(ip) = m.get("IpAddressType") {
                ec.insert("IpAddressType".into(), ip.clone());
            }
            rest.properties
                .insert("EndpointConfiguration".into(), Value::Object(ec));
        }
        other => {
            rest.properties
                .insert("EndpointConfiguration".into(), json!({"Types": [other]}));
            rest.properties.insert(
                "Parameters".into(),
                json!({"endpointConfigurationTypes": other}),
            );
        }
    }
    Ok(())
}

fn body_s3_location(id: &str, uri: &Value) -> Result<Value, ErrorItem> {
    if let Value::Object(m) = uri {
        if m.get("Bucket").is_none_or(is_falsy) || m.get("Key").is_none_or(is_falsy) {
            return Err(ErrorItem::resource(
                id,
                "'DefinitionUri' requires Bucket and Key properties to be specified.",
            ));
        }
        let mut out = Map::new();
        out.insert("Bucket".into(), m["Bucket"].clone());
        out.insert("Key".into(), m["Key"].clone());
        if let Some(v) = m.get("Version") {
            out.insert("Version".into(), v.clone());
        }
        return Ok(Value::Object(out));
    }
    let parsed = uri.as_str().and_then(parse_s3_uri);
    let Some((bucket, key, version)) = parsed else {
        return Err(ErrorItem::resource(
            id,
            "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.",
        ));
    };
    let mut out = Map::new();
    out.insert("Bucket".into(), json!(bucket));
    out.insert("Key".into(), json!(key));
    if let Some(v) = version {
        out.insert("Version".into(), json!(v));
    }
    Ok(Value::Object(out))
}

/// `parse_s3_uri`: `s3://bucket/key[?versionId=v]`.
fn parse_s3_uri(uri: &str) -> Option<(String, String, Option<String>)> {
    let rest = uri.strip_prefix("s3://")?;
    let (main, query) = match rest.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (rest, None),
    };
    let (bucket, key) = main.split_once('/')?;
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    let version = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "versionId")
            .map(|(_, v)| v.to_string())
    });
    Some((bucket.to_string(), key.to_string(), version))
}

fn add_auth(g: &mut Gen<'_>) -> Result<(), ErrorItem> {
    let Some(auth) = truthy(&g.props, "Auth").cloned() else {
        return Ok(());
    };
    let id = g.id;
    if g.body.as_ref().is_none_or(is_falsy) {
        return Err(
            g.err("Auth works only with inline Swagger specified in 'DefinitionBody' property.")
        );
    }
    let Value::Object(auth) = auth else {
        return Err(g.err("Property 'Auth' should be a map."));
    };
    if !auth.keys().all(|k| AUTH_FIELDS.contains(&k.as_str())) {
        return Err(g.err("Invalid value for 'Auth' property"));
    }
    if !swagger::is_valid(g.body.as_ref()) {
        return Err(g.err(
            "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.",
        ));
    }
    let stage = get(&g.props, "StageName").cloned().unwrap_or(Value::Null);
    let open_api_version = get(&g.props, "OpenApiVersion").cloned();
    let partition = g.partition.clone();
    let Some(body) = g.body.as_mut() else {
        return Ok(());
    };
    {
        let mut editor = Editor::new(body)?;
        let authorizers = auth::get_authorizers(
            id,
            get(&auth, "Authorizers"),
            get(&auth, "DefaultAuthorizer"),
        )?;
        if !authorizers.is_empty() {
            auth::add_security_definitions(&mut editor, id, &authorizers, &partition)?;
            let preflight = auth
                .get("AddDefaultAuthorizerToCorsPreflight")
                .is_none_or(|v| !is_falsy(v));
            set_default_authorizer(
                &mut editor,
                id,
                &authorizers,
                get(&auth, "DefaultAuthorizer"),
                preflight,
            )?;
        }
        if truthy(&auth, "ApiKeyRequired").is_some() {
            auth::add_apikey_security_definition(editor.doc_mut())?;
            let preflight = auth
                .get("AddApiKeyRequiredToCorsPreflight")
                .is_none_or(|v| !is_falsy(v));
            for path in editor.path_names() {
                auth::set_path_default_apikey_required(&mut editor, &path, preflight)?;
            }
        }
        if let Some(rp) = truthy(&auth, "ResourcePolicy") {
            let Value::Object(rp) = rp else {
                return Err(ErrorItem::template(
                    "ResourcePolicy must be a map (ResourcePolicyStatement).",
                ));
            };
            for path in editor.path_names() {
                auth::add_resource_policy(&mut editor, rp, &path, &stage)?;
            }
            if let Some(cs) = truthy(rp, "CustomStatements") {
                auth::add_custom_statements(&mut editor, cs);
            }
        }
    }
    openapi_postprocess(body, open_api_version.as_ref())
}

fn set_default_authorizer(
    editor: &mut Editor<'_>,
    id: &str,
    authorizers: &[Authorizer],
    default: Option<&Value>,
    preflight: bool,
) -> Result<(), ErrorItem> {
    let Some(default) = default.filter(|d| !is_falsy(d)) else {
        return Ok(());
    };
    let Value::String(default) = default else {
        return Err(ErrorItem::resource(
            id,
            "DefaultAuthorizer is not a string.",
        ));
    };
    if default != "AWS_IAM" && !authorizers.iter().any(|a| &a.name == default) {
        return Err(ErrorItem::resource(
            id,
            format!(
                "Unable to set DefaultAuthorizer because '{default}' was not defined in 'Authorizers'."
            ),
        ));
    }
    for path in editor.path_names() {
        auth::set_path_default_authorizer(editor, &path, default, authorizers, preflight)?;
    }
    Ok(())
}

/// `_openapi_postprocess`: for OpenAPI 3 bodies, `securityDefinitions` and
/// `definitions` move under `components` and CORS headers get schemas.
fn openapi_postprocess(
    body: &mut Value,
    open_api_version: Option<&Value>,
) -> Result<(), ErrorItem> {
    let Value::Object(doc) = body else {
        return Ok(());
    };
    if doc.get("swagger").is_some_and(|v| !v.is_null()) {
        return Ok(());
    }
    let version = match (
        doc.get("openapi").filter(|v| !v.is_null()),
        open_api_version,
    ) {
        (Some(v), None) => Some(v.clone()),
        (_, v) => v.cloned(),
    };
    if !version
        .as_ref()
        .is_some_and(|v| !is_falsy(v) && is_openapi3(v))
    {
        return Ok(());
    }
    for (from, to) in [
        ("securityDefinitions", "securitySchemes"),
        ("definitions", "schemas"),
    ] {
        if doc.get(from).is_some_and(|v| !is_falsy(v)) {
            let moved = doc.shift_remove(from).unwrap_or(Value::Null);
            let components = doc.entry("components").or_insert_with(|| json!({}));
            if !components.is_object() || is_falsy(components) {
                *components = json!({});
            }
            if let Value::Object(c) = components {
                c.insert(to.into(), moved);
            }
        }
    }
    let Some(paths) = doc.get_mut("paths").filter(|p| !is_falsy(p)) else {
        return Ok(());
    };
    let Value::Object(paths) = paths else {
        return Err(ErrorItem::template(
            "Value of paths must be a dictionary according to Swagger spec.",
        ));
    };
    for (path, item) in paths.iter_mut() {
        let Value::Object(item) = item else {
            return Err(ErrorItem::template(format!(
                "Value of '{path}' path must be a dictionary according to Swagger spec."
            )));
        };
        let Some(options) = item.get_mut("options").filter(|o| !is_falsy(o)) else {
            continue;
        };
        let Value::Object(options) = options else {
            return Err(ErrorItem::template(format!(
                "Value of options method for path {path} must be a dictionary according to Swagger spec."
            )));
        };
        options.shift_remove("produces");
        options.shift_remove("consumes");
        let Some(responses) = options.get_mut("responses") else {
            continue;
        };
        let headers = match responses {
            Value::Object(r) => match r.get_mut("200") {
                None => None,
                Some(Value::Object(ok)) => ok.get_mut("headers"),
                Some(_) => {
                    return Err(ErrorItem::template(format!(
                        "Invalid responses in options method for path {path}: The value of '200' should be a map."
                    )));
                }
            },
            _ => {
                return Err(ErrorItem::template(format!(
                    "Invalid responses in options method for path {path}: It should be a map."
                )));
            }
        };
        let Some(headers) = headers.filter(|h| !is_falsy(h)) else {
            continue;
        };
        let Value::Object(headers) = headers else {
            return Err(ErrorItem::template(format!(
                "Value of response's headers in options method for path {path} must be a dictionary according to Swagger spec."
            )));
        };
        for v in headers.values_mut() {
            let taken = std::mem::take(v);
            *v = json!({ "schema": taken });
        }
    }
    Ok(())
}

fn construct_stage(
    g: &Gen<'_>,
    deployment: &mut Resource,
    swagger: Option<&str>,
    open_api_version: Option<&Value>,
    function_names: Option<&Value>,
    passthrough: &Map<String, Value>,
) -> Resource {
    let id = g.id;
    let stage_name = get(&g.props, "StageName").cloned();
    let prefix = stage_name.as_ref().and_then(Value::as_str).unwrap_or("");
    let stage_id = if crate::ids::is_alnum(prefix) {
        format!("{id}{prefix}Stage")
    } else {
        logical_id(&format!("{id}Stage"), &Value::String(prefix.to_string()))
    };
    let mut stage = Resource::new(stage_id, "AWS::ApiGateway::Stage");
    stage.attributes = passthrough.clone();
    stage
        .properties
        .insert("DeploymentId".into(), json!({"Ref": deployment.logical_id}));
    stage
        .properties
        .insert("RestApiId".into(), json!({"Ref": id}));
    stage.set_opt("StageName", stage_name);
    for key in [
        "CacheClusterEnabled",
        "CacheClusterSize",
        "Variables",
        "MethodSettings",
        "AccessLogSetting",
        "CanarySetting",
        "TracingEnabled",
    ] {
        stage.set_opt(key, get(&g.props, key).cloned());
    }
    if let Some(swagger) = swagger {
        let mut parts = vec![swagger.to_string()];
        if let Some(v) = open_api_version {
            parts.push(crate::intrinsics::py_str(v));
        }
        if let Some(d) = get(&g.props, "Domain").filter(|d| !is_falsy(d)) {
            parts.push(python_json_dumps(
                &crate::api::domain::rest_domain_for_deployment_hash(d),
            ));
        }
        if let Some(Value::String(names)) = function_names
            && !names.is_empty()
        {
            parts.push(names.clone());
        }
        let data = Value::String(parts.join("||"));
        let new_id = logical_id(&deployment.logical_id, &data);
        deployment.properties.insert(
            "Description".into(),
            json!(format!("RestApi deployment id: {}", hash(&data))),
        );
        deployment.logical_id = new_id;
        stage
            .properties
            .insert("DeploymentId".into(), json!({"Ref": deployment.logical_id}));
    }
    if let Some(Value::Object(tags)) = get(&g.props, "Tags") {
        stage.properties.insert("Tags".into(), tag_list(tags));
    }
    stage
}

/// `json.dumps(value)` of a `Py27Dict`: Python's default separators, keys
/// in Python 2.7 dict order.
fn python_json_dumps(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let keys: Vec<&str> = m.keys().map(String::as_str).collect();
            let parts: Vec<String> = pyrepr::py27_order(&keys)
                .into_iter()
                .map(|i| {
                    let k = keys[i];
                    format!(
                        "{}: {}",
                        python_json_dumps(&Value::String(k.to_string())),
                        m.get(k).map(python_json_dumps).unwrap_or_default()
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(python_json_dumps)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => crate::ids::stringify(&json!([other]))
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    }
}

fn authorizer_permissions(
    g: &Gen<'_>,
    passthrough: &Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(Value::Object(auth)) = truthy(&g.props, "Auth") else {
        return Ok(Vec::new());
    };
    let authorizers = auth::get_authorizers(g.id, get(auth, "Authorizers"), None)?;
    let mut out = Vec::new();
    for a in authorizers {
        let Some(arn) = a.function_arn.clone().filter(|f| !is_falsy(f)) else {
            continue;
        };
        if a.disable_default_permissions {
            continue;
        }
        let source = json!({"Fn::Sub": [
            format!("arn:{}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{__ApiId__}}/authorizers/*", g.partition),
            {"__ApiId__": {"Ref": g.id}}
        ]});
        let mut r = Resource::new(
            format!("{}{}AuthorizerPermission", g.id, a.name),
            "AWS::Lambda::Permission",
        )
        .prop("Action", json!("lambda:InvokeFunction"))
        .prop("FunctionName", arn)
        .prop("Principal", json!("apigateway.amazonaws.com"))
        .prop("SourceArn", source);
        r.attributes = passthrough.clone();
        out.push(r);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_parse() {
        assert_eq!(
            parse_s3_uri("s3://b/k/x.yaml?versionId=3"),
            Some(("b".into(), "k/x.yaml".into(), Some("3".into())))
        );
        assert_eq!(parse_s3_uri("http://b/k"), None);
    }

    #[test]
    fn json_dumps_like_python() {
        assert_eq!(
            python_json_dumps(&json!({"a": [1, "x"], "b": true})),
            r#"{"a": [1, "x"], "b": true}"#
        );
    }
}
