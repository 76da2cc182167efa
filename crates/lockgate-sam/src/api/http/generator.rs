//! `SamHttpApi.to_cloudformation` / `HttpApiGenerator`: one
//! `AWS::Serverless::HttpApi` becomes an `AWS::ApiGatewayV2::Api` with its
//! OpenAPI body, a `$default` (or named) auto-deploy stage, Lambda authorizer
//! permissions and the custom domain resources.

use serde_json::{Map, Value, json};

use crate::api::domain::http_domain;
use crate::api::http::HTTP_API_TAG_NAME;
use crate::api::http::auth::{Authorizer, authorizers};
use crate::api::http::openapi::{self, DEFAULT_PATH, Editor, default_title};
use crate::api::http::openapi_doc::CorsProps;
use crate::api::http::util::{expect_str, get, passthrough_attributes};
use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::intrinsics::ref_;
use crate::intrinsics::{is_intrinsic, is_no_value};
use crate::props::{Check, Prop, p, validate};

const TYPE_NAME: &str = "AWS::Serverless::HttpApi";

pub(crate) const SPEC: &[Prop] = &[
    p("__MANAGE_SWAGGER", false, Check::Bool),
    crate::props::pass("Name", false),
    p("StageName", false, Check::StrOrMap),
    p("Tags", false, Check::Map),
    p("PropagateTags", false, Check::Bool),
    p("DefinitionBody", false, Check::Map),
    p("DefinitionUri", false, Check::StrOrMap),
    p("StageVariables", false, Check::Map),
    p("CorsConfiguration", false, Check::BoolOrMap),
    p("AccessLogSettings", false, Check::Map),
    p("DefaultRouteSettings", false, Check::Map),
    p("Auth", false, Check::Map),
    p("RouteSettings", false, Check::Map),
    p("Domain", false, Check::Map),
    p("FailOnWarnings", false, Check::Bool),
    p("Description", false, Check::Str),
    p("DisableExecuteApiEndpoint", false, Check::Bool),
];

const RESOURCE_ATTRIBUTES: [&str; 5] = [
    "DeletionPolicy",
    "UpdatePolicy",
    "Condition",
    "UpdateReplacePolicy",
    "Metadata",
];

const CORS_FIELDS: [&str; 6] = [
    "AllowMethods",
    "AllowHeaders",
    "AllowOrigins",
    "MaxAge",
    "ExposeHeaders",
    "AllowCredentials",
];

fn err(id: &str, msg: impl Into<String>) -> ErrorItem {
    ErrorItem::resource(id, msg)
}

/// The state `HttpApiGenerator` works on.
struct Gen<'a> {
    id: &'a str,
    props: &'a Map<String, Value>,
    body: Option<Value>,
    tags: Option<Map<String, Value>>,
    partition: String,
}

impl Gen<'_> {
    fn prop(&self, k: &str) -> Option<&Value> {
        get(self.props, k)
    }

    fn body_truthy(&self) -> bool {
        self.body.as_ref().is_some_and(|b| !crate::ids::is_falsy(b))
    }

    /// Runs `f` on the body through the editor (checking it first, as `OpenApiEditor(...)` does).
    fn edit(
        &mut self,
        f: impl FnOnce(&mut Editor<'_>) -> Result<(), ErrorItem>,
    ) -> Result<(), ErrorItem> {
        openapi::check(self.body.as_ref())?;
        let Some(Value::Object(body)) = self.body.as_mut() else {
            return Ok(());
        };
        let mut editor = Editor::new(body);
        f(&mut editor)
    }

    fn add_cors(&mut self) -> Result<(), ErrorItem> {
        let Some(cors) = self
            .prop("CorsConfiguration")
            .filter(|c| !crate::ids::is_falsy(c))
            .cloned()
        else {
            return Ok(());
        };
        if !self.body_truthy() {
            return Err(err(
                self.id,
                "Cors works only with inline OpenApi specified in 'DefinitionBody' property.",
            ));
        }
        let mut props = CorsProps::default();
        if cors.is_boolean() {
            props.allow_origins = Some(json!(["*"]));
        } else if is_intrinsic(&cors) {
            props.allow_origins = Some(cors.clone());
        } else if let Value::Object(m) = &cors {
            for key in m.keys() {
                if !CORS_FIELDS.contains(&key.as_str()) {
                    return Err(err(
                        self.id,
                        format!("Invalid key '{key}' for 'Cors' property."),
                    ));
                }
            }
            let f = |k: &str| m.get(k).cloned();
            props = CorsProps {
                allow_origins: f("AllowOrigins"),
                allow_headers: f("AllowHeaders"),
                allow_methods: f("AllowMethods"),
                expose_headers: f("ExposeHeaders"),
                max_age: f("MaxAge"),
                allow_credentials: f("AllowCredentials"),
            };
        } else {
            return Err(err(self.id, "Invalid value for 'Cors' property."));
        }
        if !openapi::is_valid(self.body.as_ref()) {
            return Err(err(
                self.id,
                "Unable to add Cors configuration because 'DefinitionBody' does not contain a valid OpenApi definition.",
            ));
        }
        if props.allow_credentials == Some(Value::Bool(true))
            && props.allow_origins == Some(json!(["*"]))
        {
            return Err(err(
                self.id,
                "Unable to add Cors configuration because 'AllowCredentials' can not be true when 'AllowOrigin' is \"'*'\" or not set.",
            ));
        }
        self.edit(|e| e.add_cors(&props))
    }

    fn add_auth(&mut self) -> Result<(), ErrorItem> {
        let Some(auth) = self
            .prop("Auth")
            .filter(|a| !crate::ids::is_falsy(a))
            .cloned()
        else {
            return Ok(());
        };
        if !self.body_truthy() {
            return Err(err(
                self.id,
                "Auth works only with inline OpenApi specified in the 'DefinitionBody' property.",
            ));
        }
        let Value::Object(auth) = auth else {
            return Err(err(self.id, "Invalid value for 'Auth' property"));
        };
        if auth.keys().any(|k| {
            !matches!(
                k.as_str(),
                "Authorizers" | "DefaultAuthorizer" | "EnableIamAuthorizer"
            )
        }) {
            return Err(err(self.id, "Invalid value for 'Auth' property"));
        }
        if !openapi::is_valid(self.body.as_ref()) {
            return Err(err(
                self.id,
                "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid OpenApi definition.",
            ));
        }
        let list = authorizers(
            self.id,
            auth.get("Authorizers"),
            auth.get("EnableIamAuthorizer"),
        )?;
        let mut schemes = Vec::with_capacity(list.len());
        for a in &list {
            schemes.push((a.name.clone(), a.openapi(self.id, &self.partition)?));
        }
        let id = self.id;
        let default = auth.get("DefaultAuthorizer").cloned();
        self.edit(|e| {
            e.add_security_schemes(schemes);
            set_default_authorizer(id, e, &list, default.as_ref())
        })
    }

    fn add_tags(&mut self) -> Result<(), ErrorItem> {
        let tags = self
            .prop("Tags")
            .filter(|t| !crate::ids::is_falsy(t))
            .cloned();
        if tags.is_some() && !self.body_truthy() {
            return Err(err(
                self.id,
                "Tags works only with inline OpenApi specified in the 'DefinitionBody' property.",
            ));
        }
        if !self.body_truthy() {
            return Ok(());
        }
        let valid = openapi::is_valid(self.body.as_ref());
        if tags.is_some() && !valid {
            return Err(err(
                self.id,
                "Unable to add `Tags` because 'DefinitionBody' does not contain a valid OpenApi definition.",
            ));
        }
        if !valid {
            return Ok(());
        }
        let mut tags = match tags {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        tags.insert(HTTP_API_TAG_NAME.into(), json!("SAM"));
        self.edit(|e| e.add_tags(&tags))?;
        self.tags = Some(tags);
        Ok(())
    }

    fn add_endpoint_configuration(&mut self) -> Result<(), ErrorItem> {
        let Some(disable) = self.prop("DisableExecuteApiEndpoint").cloned() else {
            return Ok(());
        };
        if !self.body_truthy() {
            return Err(err(
                self.id,
                "DisableExecuteApiEndpoint works only within 'DefinitionBody' property.",
            ));
        }
        self.edit(|e| e.add_endpoint_config(&disable))
    }

    fn info_field(&self, field: &str, quote: &str) -> Result<Option<Value>, ErrorItem> {
        let info = self
            .body
            .as_ref()
            .and_then(|b| b.get("info"))
            .filter(|i| !i.is_null());
        match info {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(m.get(field).cloned()),
            Some(_) => Err(err(
                self.id,
                format!("Invalid 'DefinitionBody': The value of 'info' should be a map{quote}."),
            )),
        }
    }

    fn add_title(&mut self) -> Result<(), ErrorItem> {
        let Some(name) = self
            .prop("Name")
            .filter(|n| !crate::ids::is_falsy(n))
            .cloned()
        else {
            return Ok(());
        };
        if !self.body_truthy() {
            return Err(err(
                self.id,
                "Name works only with inline OpenApi specified in the 'DefinitionBody' property.",
            ));
        }
        if self.info_field("title", "")? != Some(default_title()) {
            return Err(err(
                self.id,
                "Unable to set Name because it is already defined within inline OpenAPI specified in the 'DefinitionBody' property.",
            ));
        }
        self.edit(|e| {
            e.add_title(&name);
            Ok(())
        })
    }

    fn add_description(&mut self) -> Result<(), ErrorItem> {
        let Some(desc) = self
            .prop("Description")
            .filter(|d| !crate::ids::is_falsy(d))
            .cloned()
        else {
            return Ok(());
        };
        if !self.body_truthy() {
            return Err(err(
                self.id,
                "Description works only with inline OpenApi specified in the 'DefinitionBody' property.",
            ));
        }
        if self
            .info_field("description", "'")?
            .is_some_and(|d| !crate::ids::is_falsy(&d))
        {
            return Err(err(
                self.id,
                "Unable to set Description because it is already defined within inline OpenAPI specified in the 'DefinitionBody' property.",
            ));
        }
        self.edit(|e| {
            e.add_description(&desc);
            Ok(())
        })
    }

    fn update_default_path(&mut self) {
        let fail = self
            .prop("FailOnWarnings")
            .is_some_and(|v| !crate::ids::is_falsy(v));
        if !fail || !self.body_truthy() {
            return;
        }
        if let Some(Value::Object(paths)) = self.body.as_mut().and_then(|b| b.get_mut("paths"))
            && let Some(item) = paths.shift_remove(DEFAULT_PATH)
        {
            paths.insert(format!("/{DEFAULT_PATH}"), item);
        }
    }

    fn body_s3(&self, uri: &Value) -> Result<Value, ErrorItem> {
        if let Value::Object(m) = uri {
            let ok = |k: &str| m.get(k).is_some_and(|v| !crate::ids::is_falsy(v));
            if !ok("Bucket") || !ok("Key") {
                return Err(err(
                    self.id,
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
        let parsed = uri.as_str().and_then(crate::api::http::util::parse_s3_uri);
        let Some((bucket, key, version)) = parsed else {
            return Err(err(
                self.id,
                "'DefinitionUri' is not a valid S3 Uri of the form 's3://bucket/key' with optional versionId query parameter.",
            ));
        };
        let mut out = json!({ "Bucket": bucket, "Key": key });
        if let Some(v) = version {
            out["Version"] = json!(v);
        }
        Ok(out)
    }
}

/// `_set_default_authorizer`.
fn set_default_authorizer(
    id: &str,
    editor: &mut Editor<'_>,
    list: &[Authorizer],
    default: Option<&Value>,
) -> Result<(), ErrorItem> {
    let Some(default) = default.filter(|d| !crate::ids::is_falsy(d)) else {
        return Ok(());
    };
    if is_no_value(default) {
        return Ok(());
    }
    let name = expect_str(default, id, "Auth.DefaultAuthorizer")?;
    let Some(auth) = list.iter().find(|a| a.name == name) else {
        return Err(err(
            id,
            format!(
                "Unable to set DefaultAuthorizer because '{name}' was not defined in 'Authorizers'."
            ),
        ));
    };
    let scopes = auth.scopes_or_empty();
    for path in editor.path_names() {
        editor.set_path_default_authorizer(&path, name, &scopes)?;
    }
    Ok(())
}

/// Translates one `AWS::Serverless::HttpApi` (see [`crate::api::http::translate_http_api`]).
pub fn translate(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let empty = Map::new();
    let props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    validate(logical_id, TYPE_NAME, props, SPEC)?;
    let cors = get(props, "CorsConfiguration")
        .map(|c| ctx.resolve_params(c))
        .transpose()?;
    let domain = get(props, "Domain")
        .map(|d| ctx.resolve_params(d))
        .transpose()?;
    let owned;
    let props = match cors {
        Some(c) => {
            let mut m = props.clone();
            m.insert("CorsConfiguration".into(), c);
            owned = m;
            &owned
        }
        None => props,
    };

    let mut g = Gen {
        id: logical_id,
        props,
        body: get(props, "DefinitionBody").cloned(),
        tags: get(props, "Tags").and_then(Value::as_object).cloned(),
        partition: ctx.opts.partition.clone(),
    };
    let passthrough = passthrough_attributes(resource);

    // _construct_http_api
    let mut api = Resource::new(logical_id, "AWS::ApiGatewayV2::Api");
    if let Some(dep) = resource.get("DependsOn") {
        api.attributes.insert("DependsOn".into(), dep.clone());
    }
    for k in RESOURCE_ATTRIBUTES {
        if let Some(v) = resource.get(k) {
            api.attributes.insert(k.into(), v.clone());
        }
    }
    let uri = g
        .prop("DefinitionUri")
        .filter(|v| !crate::ids::is_falsy(v))
        .cloned();
    if uri.is_some() && g.body_truthy() {
        return Err(err(
            logical_id,
            "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.",
        ));
    }
    g.add_cors()?;
    g.add_auth()?;
    g.add_tags()?;
    if let Some(f) = g
        .prop("FailOnWarnings")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        api.properties.insert("FailOnWarnings".into(), f.clone());
    }
    g.add_endpoint_configuration()?;
    g.add_title()?;
    g.add_description()?;
    g.update_default_path();
    if let Some(uri) = &uri {
        api.properties
            .insert("BodyS3Location".into(), g.body_s3(uri)?);
    } else if g.body_truthy() {
        api.properties
            .insert("Body".into(), g.body.take().unwrap_or(Value::Null));
    } else {
        return Err(err(
            logical_id,
            "'DefinitionUri' or 'DefinitionBody' are required properties of an 'AWS::Serverless::HttpApi'. Add a value for one of these properties or add a 'HttpApi' event to an 'AWS::Serverless::Function'.",
        ));
    }

    let domain_resources = http_domain(ctx, logical_id, domain.as_ref(), &passthrough, true)?;
    let permissions = authorizer_permissions(&g, &passthrough)?;
    let stage = construct_stage(&g, &passthrough);

    let mut out = vec![api];
    out.extend(permissions);
    out.extend(domain_resources);
    out.push(stage);

    // propagate_tags(resources, Tags, DefinitionBody is not None)
    if get(props, "DefinitionBody").is_some()
        && get(props, "Tags").is_some_and(|t| !crate::ids::is_falsy(t))
        && let Some(tags) = g.tags.as_ref()
    {
        for r in &mut out {
            if matches!(
                r.resource_type.as_str(),
                "AWS::ApiGatewayV2::Stage" | "AWS::ApiGatewayV2::DomainName"
            ) {
                r.properties
                    .insert("Tags".into(), Value::Object(tags.clone()));
            }
        }
    }

    for r in &out {
        match r.resource_type.as_str() {
            "AWS::ApiGatewayV2::Stage" => ctx.add_resource_ref(logical_id, "Stage", &r.logical_id),
            "AWS::ApiGatewayV2::DomainName" => {
                ctx.add_resource_ref(logical_id, "DomainName", &r.logical_id)
            }
            _ => {}
        }
    }
    Ok(out)
}

fn authorizer_permissions(
    g: &Gen<'_>,
    passthrough: &Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let Some(Value::Object(auth)) = g.prop("Auth").filter(|a| !crate::ids::is_falsy(a)) else {
        return Ok(Vec::new());
    };
    let list = authorizers(
        g.id,
        auth.get("Authorizers"),
        auth.get("EnableIamAuthorizer"),
    )?;
    let mut out = Vec::new();
    for a in list {
        let enabled = a
            .enable_function_default_permissions
            .as_ref()
            .is_some_and(|v| !crate::ids::is_falsy(v));
        let Some(arn) = a.function_arn.clone().filter(|v| !crate::ids::is_falsy(v)) else {
            continue;
        };
        if !enabled {
            continue;
        }
        let mut perm = Resource::new(
            format!("{}{}AuthorizerPermission", g.id, a.name),
            "AWS::Lambda::Permission",
        );
        perm.attributes = passthrough.clone();
        perm.properties
            .insert("Action".into(), json!("lambda:InvokeFunction"));
        perm.properties.insert("FunctionName".into(), arn);
        perm.properties
            .insert("Principal".into(), json!("apigateway.amazonaws.com"));
        perm.properties.insert(
            "SourceArn".into(),
            json!({ "Fn::Sub": [
                "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*",
                { "__ApiId__": ref_(g.id) }
            ]}),
        );
        out.push(perm);
    }
    Ok(out)
}

/// `_construct_stage`: the auto-deploy stage (`$default` unless `StageName` says otherwise).
fn construct_stage(g: &Gen<'_>, passthrough: &Map<String, Value>) -> Resource {
    let stage_name = g
        .prop("StageName")
        .filter(|s| !crate::ids::is_falsy(s))
        .cloned()
        .unwrap_or_else(|| json!(DEFAULT_PATH));
    let prefix = stage_name.as_str().unwrap_or_default();
    let stage_id = if crate::ids::is_alnum(prefix) {
        format!("{}{prefix}Stage", g.id)
    } else if prefix == DEFAULT_PATH {
        format!("{}ApiGatewayDefaultStage", g.id)
    } else {
        crate::ids::logical_id(&format!("{}Stage", g.id), &json!(prefix))
    };
    let mut stage = Resource::new(stage_id, "AWS::ApiGatewayV2::Stage");
    stage.attributes = passthrough.clone();
    stage.properties.insert("ApiId".into(), ref_(g.id));
    stage.properties.insert("StageName".into(), stage_name);
    for (src, dst) in [
        ("StageVariables", "StageVariables"),
        ("AccessLogSettings", "AccessLogSettings"),
        ("DefaultRouteSettings", "DefaultRouteSettings"),
    ] {
        stage.set_opt(dst, g.prop(src).cloned());
    }
    if let Some(t) = &g.tags {
        stage
            .properties
            .insert("Tags".into(), Value::Object(t.clone()));
    }
    stage.properties.insert("AutoDeploy".into(), json!(true));
    stage.set_opt("RouteSettings", g.prop("RouteSettings").cloned());
    stage
}
