//! `AWS::Serverless::GraphQLApi` → AppSync (`SamGraphQLApi`): the API, its
//! schema, logging role, API keys, cache, domain, DynamoDB and Lambda data
//! sources (with roles and connectors), pipeline functions and resolvers.
//!
//! The translator validates the properties twice: the macro's property
//! types, then a pydantic model whose first error is reported as
//! `Property 'A.B' is invalid.`; [`check_model`] reproduces the second.

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::function::resource_attributes;
use crate::intrinsics::{get_att, ref_};
use crate::props::{self, Check, Prop, p, pass};

const TYPE: &str = "AWS::Serverless::GraphQLApi";

pub(crate) const SPEC: &[Prop] = &[
    pass("Name", false),
    p("Tags", false, Check::Map),
    pass("XrayEnabled", false),
    p("Auth", true, Check::Map),
    p("SchemaInline", false, Check::Str),
    p("SchemaUri", false, Check::Str),
    p("Logging", false, Check::BoolOrMap),
    p("DataSources", false, Check::Map),
    p("Functions", false, Check::Map),
    p("Resolvers", false, Check::Map),
    p("ApiKeys", false, Check::Map),
    p("DomainName", false, Check::Map),
    p("Cache", false, Check::Map),
    pass("Visibility", false),
    pass("OwnerContact", false),
    pass("IntrospectionConfig", false),
    pass("QueryDepthLimit", false),
    pass("ResolverCountLimit", false),
];

/// The default code of a pipeline resolver with no code of its own.
const DEFAULT_RESOLVER_CODE: &str = "\nexport function request(ctx) {\n    return {};\n}\n\nexport function response(ctx) {\n    return ctx.prev.result;\n}\n";

// ---------------------------------------------------------------------------
// The pydantic model (`aws_serverless_graphqlapi.Properties`).

/// A field's schema.
enum S {
    /// Anything (a pass-through).
    Any,
    /// A string (numbers are turned into strings by pydantic).
    Str,
    /// A boolean (pydantic's lenient booleans).
    Bool,
    /// A map or a string (`SamIntrinsicable[str]`).
    StrOrMap,
    /// One of these strings.
    Lit(&'static [&'static str]),
    /// A list of.
    List(&'static S),
    /// A map of string keys to.
    Dict(&'static S),
    /// A model: fields in order (name, required, schema); other keys forbidden.
    Model(&'static [(&'static str, bool, S)]),
    /// `Union[model, bool]`.
    ModelOrBool(&'static S),
}

const AUTH_TYPES: &[&str] = &[
    "AWS_IAM",
    "API_KEY",
    "AWS_LAMBDA",
    "OPENID_CONNECT",
    "AMAZON_COGNITO_USER_POOLS",
];

const LAMBDA_AUTHORIZER: S = S::Model(&[
    ("AuthorizerResultTtlInSeconds", false, S::Any),
    ("AuthorizerUri", true, S::Any),
    ("IdentityValidationExpression", false, S::Any),
]);
const OPENID: S = S::Model(&[
    ("AuthTTL", false, S::Any),
    ("ClientId", false, S::Any),
    ("IatTTL", false, S::Any),
    ("Issuer", false, S::Any),
]);
const USER_POOL: S = S::Model(&[
    ("AppIdClientRegex", false, S::Any),
    ("AwsRegion", false, S::Any),
    ("DefaultAction", false, S::Any),
    ("UserPoolId", true, S::Any),
]);
const AUTHORIZER: S = S::Model(&[
    ("Type", true, S::Lit(AUTH_TYPES)),
    ("LambdaAuthorizer", false, LAMBDA_AUTHORIZER),
    ("OpenIDConnect", false, OPENID),
    ("UserPool", false, USER_POOL),
]);
const AUTH: S = S::Model(&[
    ("Type", true, S::Lit(AUTH_TYPES)),
    ("LambdaAuthorizer", false, LAMBDA_AUTHORIZER),
    ("OpenIDConnect", false, OPENID),
    ("UserPool", false, USER_POOL),
    ("Additional", false, S::List(&AUTHORIZER)),
]);
const API_KEY: S = S::Model(&[
    ("ApiKeyId", false, S::Any),
    ("Description", false, S::Any),
    ("ExpiresOn", false, S::Any),
]);
const LOGGING: S = S::Model(&[
    ("CloudWatchLogsRoleArn", false, S::Any),
    ("ExcludeVerboseContent", false, S::Any),
    ("FieldLogLevel", false, S::Any),
]);
const DELTA_SYNC: S = S::Model(&[
    ("BaseTableTTL", true, S::Any),
    ("DeltaSyncTableName", true, S::Any),
    ("DeltaSyncTableTTL", true, S::Any),
]);
const DDB_SOURCE: S = S::Model(&[
    ("TableName", true, S::Any),
    ("ServiceRoleArn", false, S::Any),
    ("TableArn", false, S::Any),
    ("Permissions", false, S::List(&S::Lit(&["Read", "Write"]))),
    ("Name", false, S::Any),
    ("Description", false, S::Any),
    ("Region", false, S::Any),
    ("DeltaSync", false, DELTA_SYNC),
    ("UseCallerCredentials", false, S::Any),
    ("Versioned", false, S::Any),
]);
const LAMBDA_SOURCE: S = S::Model(&[
    ("FunctionArn", true, S::Any),
    ("ServiceRoleArn", false, S::Any),
    ("Name", false, S::Any),
    ("Description", false, S::Any),
]);
const DATA_SOURCES: S = S::Model(&[
    ("DynamoDb", false, S::Dict(&DDB_SOURCE)),
    ("Lambda", false, S::Dict(&LAMBDA_SOURCE)),
]);
const RUNTIME: S = S::Model(&[("Name", true, S::Any), ("Version", true, S::Any)]);
const SYNC: S = S::Model(&[
    ("ConflictDetection", true, S::Any),
    ("ConflictHandler", false, S::Any),
    (
        "LambdaConflictHandlerConfig",
        false,
        S::Model(&[("LambdaConflictHandlerArn", true, S::Any)]),
    ),
]);
const FUNCTION: S = S::Model(&[
    ("DataSource", false, S::StrOrMap),
    ("Runtime", false, RUNTIME),
    ("InlineCode", false, S::Any),
    ("CodeUri", false, S::Any),
    ("Description", false, S::Any),
    ("MaxBatchSize", false, S::Any),
    ("Name", false, S::Str),
    ("Id", false, S::Any),
    ("Sync", false, SYNC),
]);
const CACHING: S = S::Model(&[
    ("Ttl", true, S::Any),
    ("CachingKeys", false, S::List(&S::Any)),
]);
const RESOLVER: S = S::Model(&[
    ("FieldName", false, S::Str),
    ("Caching", false, CACHING),
    ("InlineCode", false, S::Any),
    ("CodeUri", false, S::Any),
    ("MaxBatchSize", false, S::Any),
    ("Pipeline", false, S::List(&S::Str)),
    ("Runtime", false, RUNTIME),
    ("Sync", false, SYNC),
]);
const DOMAIN: S = S::Model(&[
    ("CertificateArn", true, S::Any),
    ("DomainName", true, S::Any),
    ("Description", false, S::Any),
]);
const CACHE: S = S::Model(&[
    ("ApiCachingBehavior", true, S::Any),
    ("Ttl", true, S::Any),
    ("Type", true, S::Any),
    ("AtRestEncryptionEnabled", false, S::Any),
    ("TransitEncryptionEnabled", false, S::Any),
]);
const PROPERTIES: S = S::Model(&[
    ("Auth", true, AUTH),
    ("Tags", false, S::Dict(&S::Any)),
    ("Name", false, S::Any),
    ("XrayEnabled", false, S::Bool),
    ("SchemaInline", false, S::Any),
    ("SchemaUri", false, S::Any),
    ("Logging", false, S::ModelOrBool(&LOGGING)),
    ("DataSources", false, DATA_SOURCES),
    ("Functions", false, S::Dict(&FUNCTION)),
    ("Resolvers", false, S::Dict(&S::Dict(&RESOLVER))),
    ("ApiKeys", false, S::Dict(&API_KEY)),
    ("DomainName", false, DOMAIN),
    ("Cache", false, CACHE),
    ("Visibility", false, S::Any),
    ("OwnerContact", false, S::Any),
    ("IntrospectionConfig", false, S::Any),
    ("QueryDepthLimit", false, S::Any),
    ("ResolverCountLimit", false, S::Any),
]);

/// pydantic v1's lenient boolean.
fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Some(true),
            Some(0.0) => Some(false),
            _ => None,
        },
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "on" | "t" | "true" | "y" | "yes" => Some(true),
            "0" | "off" | "f" | "false" | "n" | "no" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// The location of the first error of `v` against `s`, as pydantic reports it.
fn first_error(v: &Value, s: &S, loc: &mut Vec<String>) -> bool {
    match s {
        S::Any => false,
        S::Str => !(v.is_string() || v.is_number()),
        S::Bool => as_bool(v).is_none(),
        S::StrOrMap => !(v.is_string() || v.is_object() || v.is_number()),
        S::Lit(values) => !v.as_str().is_some_and(|x| values.contains(&x)),
        S::List(item) => match v {
            Value::Array(items) => {
                for (i, x) in items.iter().enumerate() {
                    loc.push(i.to_string());
                    if first_error(x, item, loc) {
                        return true;
                    }
                    loc.pop();
                }
                false
            }
            _ => true,
        },
        S::Dict(item) => match v {
            Value::Object(m) => {
                for (k, x) in m {
                    loc.push(k.clone());
                    if first_error(x, item, loc) {
                        return true;
                    }
                    loc.pop();
                }
                false
            }
            _ => true,
        },
        S::Model(fields) => {
            let Value::Object(m) = v else { return true };
            for (name, required, fs) in fields.iter() {
                loc.push((*name).to_string());
                match m.get(*name) {
                    None if *required => return true,
                    None => {}
                    Some(Value::Null) if *required => return true,
                    Some(Value::Null) => {}
                    Some(x) if first_error(x, fs, loc) => return true,
                    Some(_) => {}
                }
                loc.pop();
            }
            if let Some(extra) = m.keys().find(|k| !fields.iter().any(|(n, _, _)| n == k)) {
                loc.push(extra.clone());
                return true;
            }
            false
        }
        S::ModelOrBool(model) => {
            if as_bool(v).is_some() {
                return false;
            }
            first_error(v, model, loc)
        }
    }
}

/// `validate_properties_and_return_model`: `Property 'A.B' is invalid.` for the first error.
fn check_model(logical_id: &str, props: &Map<String, Value>) -> Result<(), ErrorItem> {
    let mut loc = Vec::new();
    if first_error(&Value::Object(props.clone()), &PROPERTIES, &mut loc) {
        return Err(ErrorItem::resource(
            logical_id,
            format!("Property '{}' is invalid.", loc.join(".")),
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------

/// A value that is set (not absent, not `null`).
fn set(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !v.is_null())
}

/// A value that is set and truthy, as Python's `if value:` reads it.
fn truthy(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| !crate::ids::is_falsy(v))
}

/// `remove_none_values(model.dict())`: the set keys, in the model's field order.
fn without_nulls(v: &Value, order: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(m) = v {
        for k in order {
            if let Some(x) = set(m.get(*k)) {
                out.insert((*k).to_string(), x.clone());
            }
        }
    }
    out
}

fn appsync_assume_role_policy() -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Action": ["sts:AssumeRole"], "Effect": "Allow", "Principal": {"Service": ["appsync.amazonaws.com"]}}]
    })
}

struct Api<'a> {
    id: &'a str,
    attrs: &'a Map<String, Value>,
    depends_on: Option<&'a Value>,
    api_id: Value,
    out: Vec<Resource>,
    datasource_names: Map<String, Value>,
    function_ids: Map<String, Value>,
    none_datasource: Option<Resource>,
}

impl Api<'_> {
    fn new_resource(&self, id: String, ty: &str) -> Resource {
        let mut r = Resource::new(id, ty).with_attrs(self.attrs);
        if let Some(d) = self.depends_on {
            r.attributes.insert("DependsOn".into(), d.clone());
        }
        r
    }
}

/// Translates one GraphQL API. `output` is the template's resources as
/// translated so far (for the connectors the API makes).
pub fn translate(
    ctx: &Ctx,
    logical_id: &str,
    resource: &Value,
    output: &mut Map<String, Value>,
) -> Result<Vec<Resource>, ErrorItem> {
    let props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    props::validate(logical_id, TYPE, &props, SPEC)?;
    check_model(logical_id, &props)?;
    let attrs = resource_attributes(resource);
    let mut api = Api {
        id: logical_id,
        attrs: &attrs,
        depends_on: resource
            .get("DependsOn")
            .filter(|d| !crate::ids::is_falsy(d)),
        api_id: get_att(logical_id, "ApiId"),
        out: Vec::new(),
        datasource_names: Map::new(),
        function_ids: Map::new(),
        none_datasource: None,
    };
    let mut connectors: Vec<(String, Value)> = Vec::new();

    // The API, its logging role and its Lambda authorizers.
    let mut gql = api.new_resource(logical_id.to_string(), "AWS::AppSync::GraphQLApi");
    let name = truthy(props.get("Name"))
        .cloned()
        .unwrap_or_else(|| json!(logical_id));
    gql.properties.insert("Name".into(), name);
    for k in [
        "Visibility",
        "OwnerContact",
        "IntrospectionConfig",
        "QueryDepthLimit",
        "ResolverCountLimit",
    ] {
        if let Some(v) = truthy(props.get(k)) {
            gql.properties.insert(k.into(), v.clone());
        }
    }
    if let Some(x) = set(props.get("XrayEnabled")) {
        gql.properties.insert(
            "XrayEnabled".into(),
            as_bool(x).map_or(x.clone(), Value::Bool),
        );
    }
    let auth = props
        .get("Auth")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut lambda_arns = Vec::new();
    let default_auth: Map<String, Value> = auth
        .iter()
        .filter(|(k, _)| *k != "Additional")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let auth_type = auth.get("Type").cloned().unwrap_or(Value::Null);
    gql.properties
        .insert("AuthenticationType".into(), auth_type);
    if let Some((name, config)) = authorizer_config(logical_id, &default_auth, None)? {
        if name == "LambdaAuthorizerConfig" {
            lambda_arns.push(config.get("AuthorizerUri").cloned().unwrap_or(Value::Null));
        }
        gql.properties.insert(name.into(), Value::Object(config));
    }
    let mut additional = Vec::new();
    for (i, a) in set(auth.get("Additional"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let a = a.as_object().cloned().unwrap_or_default();
        let mut provider = Map::new();
        provider.insert(
            "AuthenticationType".into(),
            a.get("Type").cloned().unwrap_or(Value::Null),
        );
        if let Some((name, config)) = authorizer_config(logical_id, &a, Some(i))? {
            if name == "LambdaAuthorizerConfig" {
                lambda_arns.push(config.get("AuthorizerUri").cloned().unwrap_or(Value::Null));
            }
            provider.insert(name.into(), Value::Object(config));
        }
        additional.push(Value::Object(provider));
    }
    if !additional.is_empty() {
        gql.properties.insert(
            "AdditionalAuthenticationProviders".into(),
            Value::Array(additional),
        );
    }
    for (i, arn) in lambda_arns.into_iter().enumerate() {
        connectors.push((
            format!("{logical_id}ToLambdaAuthConnector{}", i + 1),
            json!({"Type": "AWS::Serverless::Connector", "Properties": {
                "Source": {"Type": "AWS::AppSync::GraphQLApi", "Arn": ref_(logical_id), "ResourceId": get_att(logical_id, "ApiId")},
                "Destination": {"Type": "AWS::Lambda::Function", "Arn": arn},
                "Permissions": ["Write"]
            }}),
        ));
    }
    let mut tags = set(props.get("Tags"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    tags.insert("graphqlapi:createdBy".into(), json!("SAM"));
    gql.properties.insert(
        "Tags".into(),
        Value::Array(crate::function::user_tags(Some(&Value::Object(tags)))),
    );
    let logging = set(props.get("Logging"));
    let mut role = None;
    if logging.and_then(as_bool) != Some(false) {
        let mut log_config = Map::new();
        let given = logging.filter(|l| l.is_object());
        if let Some(v) = given.and_then(|l| truthy(l.get("ExcludeVerboseContent"))) {
            log_config.insert("ExcludeVerboseContent".into(), v.clone());
        }
        let level = given
            .and_then(|l| truthy(l.get("FieldLogLevel")))
            .cloned()
            .unwrap_or_else(|| json!("ALL"));
        log_config.insert("FieldLogLevel".into(), level);
        match given.and_then(|l| truthy(l.get("CloudWatchLogsRoleArn"))) {
            Some(arn) => {
                log_config.insert("CloudWatchLogsRoleArn".into(), arn.clone());
            }
            None => {
                let role_id = format!("{logical_id}CloudWatchRole");
                let mut r = api.new_resource(role_id.clone(), "AWS::IAM::Role");
                r.properties.insert(
                    "AssumeRolePolicyDocument".into(),
                    appsync_assume_role_policy(),
                );
                r.properties.insert(
                    "ManagedPolicyArns".into(),
                    json!([{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs"}]),
                );
                log_config.insert("CloudWatchLogsRoleArn".into(), get_att(&role_id, "Arn"));
                role = Some(r);
            }
        }
        gql.properties
            .insert("LogConfig".into(), Value::Object(log_config));
    }

    // The schema.
    let inline = truthy(props.get("SchemaInline"));
    let uri = truthy(props.get("SchemaUri"));
    let schema_id = format!("{logical_id}Schema");
    let mut schema = api.new_resource(schema_id.clone(), "AWS::AppSync::GraphQLSchema");
    match (inline, uri) {
        (None, None) => {
            return Err(ErrorItem::resource(
                logical_id,
                "One of 'SchemaInline' or 'SchemaUri' must be set.",
            ));
        }
        (Some(_), Some(_)) => {
            return Err(ErrorItem::resource(
                logical_id,
                "Both 'SchemaInline' and 'SchemaUri' cannot be defined at the same time.",
            ));
        }
        _ => {}
    }
    schema.properties.insert("ApiId".into(), api.api_id.clone());
    schema.set_opt("Definition", inline.cloned());
    schema.set_opt("DefinitionS3Location", uri.cloned());
    api.out.push(gql);
    api.out.push(schema);
    let mut generated_connectors = Vec::new();
    for (id, c) in &connectors {
        generated_connectors.extend(crate::function::connectors::translate(ctx, id, c, output)?);
    }
    api.out.extend(generated_connectors);
    if let Some(r) = role {
        api.out.push(r);
    }

    // API keys and the cache.
    for (rel, key) in set(props.get("ApiKeys"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let mut k = api.new_resource(format!("{logical_id}{rel}"), "AWS::AppSync::ApiKey");
        k.properties.insert("ApiId".into(), api.api_id.clone());
        k.set_opt("ApiKeyId", set(key.get("ApiKeyId")).cloned());
        k.set_opt("Description", set(key.get("Description")).cloned());
        k.set_opt("Expires", set(key.get("ExpiresOn")).cloned());
        api.out.push(k);
    }
    if let Some(cache) = set(props.get("Cache")) {
        let mut c = api.new_resource(format!("{logical_id}ApiCache"), "AWS::AppSync::ApiCache");
        c.properties.insert("ApiId".into(), api.api_id.clone());
        for k in [
            "ApiCachingBehavior",
            "Type",
            "Ttl",
            "AtRestEncryptionEnabled",
            "TransitEncryptionEnabled",
        ] {
            c.set_opt(k, set(cache.get(k)).cloned());
        }
        api.out.push(c);
    }

    // Data sources.
    let sources = set(props.get("DataSources")).cloned().unwrap_or(json!({}));
    for (rel, ds) in set(sources.get("DynamoDb"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let ds_id = format!("{logical_id}{rel}DynamoDBDataSource");
        let mut d = api.new_resource(ds_id.clone(), "AWS::AppSync::DataSource");
        d.properties.insert(
            "Name".into(),
            truthy(ds.get("Name"))
                .cloned()
                .unwrap_or_else(|| json!(rel)),
        );
        d.properties.insert("Type".into(), json!("AMAZON_DYNAMODB"));
        d.properties.insert("ApiId".into(), api.api_id.clone());
        d.set_opt("Description", set(ds.get("Description")).cloned());
        let region = truthy(ds.get("Region"))
            .cloned()
            .unwrap_or_else(|| ref_("AWS::Region"));
        let table = set(ds.get("TableName")).cloned().unwrap_or(Value::Null);
        let mut config = Map::new();
        config.insert("AwsRegion".into(), region.clone());
        config.insert("TableName".into(), table.clone());
        if let Some(v) = truthy(ds.get("UseCallerCredentials")) {
            config.insert("UseCallerCredentials".into(), v.clone());
        }
        if let Some(v) = truthy(ds.get("Versioned")) {
            config.insert("Versioned".into(), v.clone());
        }
        if let Some(v) = truthy(ds.get("DeltaSync")) {
            config.insert(
                "DeltaSyncConfig".into(),
                Value::Object(without_nulls(
                    v,
                    &["BaseTableTTL", "DeltaSyncTableName", "DeltaSyncTableTTL"],
                )),
            );
        }
        d.properties
            .insert("DynamoDBConfig".into(), Value::Object(config));
        let mut extra = Vec::new();
        match truthy(ds.get("ServiceRoleArn")) {
            Some(arn) => {
                d.properties.insert("ServiceRoleArn".into(), arn.clone());
            }
            None => {
                let table_arn = truthy(ds.get("TableArn")).cloned().unwrap_or_else(|| {
                    json!({"Fn::Sub": [
                        "arn:${AWS::Partition}:dynamodb:${__Region__}:${AWS::AccountId}:table/${__TableName__}",
                        {"__TableName__": table, "__Region__": region}
                    ]})
                });
                let permissions = truthy(ds.get("Permissions"))
                    .cloned()
                    .unwrap_or_else(|| json!(["Read", "Write"]));
                let role_id = format!("{ds_id}Role");
                let mut r = api.new_resource(role_id.clone(), "AWS::IAM::Role");
                r.properties.insert(
                    "AssumeRolePolicyDocument".into(),
                    appsync_assume_role_policy(),
                );
                d.properties
                    .insert("ServiceRoleArn".into(), get_att(&role_id, "Arn"));
                extra.push(r);
                let connector = json!({"Type": "AWS::Serverless::Connector", "Properties": {
                    "Source": {"Type": "AWS::AppSync::DataSource", "Arn": get_att(&ds_id, "DataSourceArn"), "RoleName": ref_(&role_id)},
                    "Destination": {"Type": "AWS::DynamoDB::Table", "Arn": table_arn},
                    "Permissions": permissions
                }});
                extra.extend(crate::function::connectors::translate(
                    ctx,
                    &format!("{ds_id}ToTableConnector"),
                    &connector,
                    output,
                )?);
            }
        }
        api.datasource_names
            .insert(rel.clone(), get_att(&ds_id, "Name"));
        api.out.push(d);
        api.out.extend(extra);
    }
    for (rel, ds) in set(sources.get("Lambda"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let ds_id = format!("{logical_id}{rel}LambdaDataSource");
        let mut d = api.new_resource(ds_id.clone(), "AWS::AppSync::DataSource");
        d.properties.insert(
            "Name".into(),
            truthy(ds.get("Name"))
                .cloned()
                .unwrap_or_else(|| json!(rel)),
        );
        d.properties.insert("Type".into(), json!("AWS_LAMBDA"));
        d.properties.insert("ApiId".into(), api.api_id.clone());
        d.set_opt("Description", set(ds.get("Description")).cloned());
        let function_arn = set(ds.get("FunctionArn")).cloned().unwrap_or(Value::Null);
        d.properties.insert(
            "LambdaConfig".into(),
            json!({"LambdaFunctionArn": function_arn}),
        );
        let mut extra = Vec::new();
        match truthy(ds.get("ServiceRoleArn")) {
            Some(arn) => {
                d.properties.insert("ServiceRoleArn".into(), arn.clone());
            }
            None => {
                let role_id = format!("{ds_id}Role");
                let mut r = api.new_resource(role_id.clone(), "AWS::IAM::Role");
                r.properties.insert(
                    "AssumeRolePolicyDocument".into(),
                    appsync_assume_role_policy(),
                );
                d.properties
                    .insert("ServiceRoleArn".into(), get_att(&role_id, "Arn"));
                extra.push(r);
                let connector = json!({"Type": "AWS::Serverless::Connector", "Properties": {
                    "Source": {"Type": "AWS::AppSync::DataSource", "Arn": get_att(&ds_id, "DataSourceArn"), "RoleName": ref_(&role_id)},
                    "Destination": {"Type": "AWS::Lambda::Function", "Arn": function_arn},
                    "Permissions": ["Write"]
                }});
                extra.extend(crate::function::connectors::translate(
                    ctx,
                    &format!("{ds_id}ToLambdaConnector"),
                    &connector,
                    output,
                )?);
            }
        }
        api.datasource_names
            .insert(rel.clone(), get_att(&ds_id, "Name"));
        api.out.push(d);
        api.out.extend(extra);
    }

    // The domain.
    if let Some(domain) = set(props.get("DomainName")) {
        let domain_id = format!("{logical_id}DomainName");
        let mut d = api.new_resource(domain_id.clone(), "AWS::AppSync::DomainName");
        d.set_opt("CertificateArn", set(domain.get("CertificateArn")).cloned());
        d.set_opt("DomainName", set(domain.get("DomainName")).cloned());
        d.set_opt("Description", set(domain.get("Description")).cloned());
        let mut a = api.new_resource(
            format!("{logical_id}DomainNameApiAssociation"),
            "AWS::AppSync::DomainNameApiAssociation",
        );
        a.properties.insert("ApiId".into(), api.api_id.clone());
        a.properties.insert("DomainName".into(), ref_(&domain_id));
        api.out.push(d);
        api.out.push(a);
    }

    // Pipeline functions.
    for (rel, f) in set(props.get("Functions"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if let Some(id) = truthy(f.get("Id")) {
            let count = f
                .as_object()
                .map_or(0, |m| m.values().filter(|v| !v.is_null()).count());
            if count != 1 {
                return Err(ErrorItem::resource(
                    rel,
                    "'Id' cannot be defined with other properties in Function.",
                ));
            }
            api.function_ids.insert(rel.clone(), id.clone());
            continue;
        }
        let fc_id = format!("{logical_id}{rel}");
        let mut fc = api.new_resource(fc_id.clone(), "AWS::AppSync::FunctionConfiguration");
        fc.properties.insert("ApiId".into(), api.api_id.clone());
        fc.properties.insert(
            "Name".into(),
            truthy(f.get("Name")).cloned().unwrap_or_else(|| json!(rel)),
        );
        let (code, code_uri) = (truthy(f.get("InlineCode")), truthy(f.get("CodeUri")));
        match (code, code_uri) {
            (Some(_), Some(_)) => {
                return Err(ErrorItem::resource(
                    rel,
                    "Both 'InlineCode' and 'CodeUri' cannot be defined at the same time.",
                ));
            }
            (Some(c), None) => {
                fc.properties.insert("Code".into(), c.clone());
            }
            (None, Some(u)) => {
                fc.properties.insert("CodeS3Location".into(), u.clone());
            }
            (None, None) => {
                return Err(ErrorItem::resource(
                    rel,
                    "One of 'InlineCode' or 'CodeUri' must be set.",
                ));
            }
        }
        let source = datasource_name(&mut api, rel, f)?;
        fc.properties.insert("DataSourceName".into(), source);
        fc.set_opt("MaxBatchSize", set(f.get("MaxBatchSize")).cloned());
        fc.set_opt("Description", set(f.get("Description")).cloned());
        fc.properties.insert("Runtime".into(), runtime(rel, f)?);
        if let Some(sync) = truthy(f.get("Sync")) {
            fc.properties.insert(
                "SyncConfig".into(),
                Value::Object(without_nulls(
                    sync,
                    &[
                        "ConflictDetection",
                        "ConflictHandler",
                        "LambdaConflictHandlerConfig",
                    ],
                )),
            );
        }
        api.function_ids
            .insert(rel.clone(), get_att(&fc_id, "FunctionId"));
        api.out.push(fc);
    }

    // Resolvers.
    for (type_name, fields) in set(props.get("Resolvers"))
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for (rel, r) in fields.as_object().into_iter().flatten() {
            let mut res = Resource::new(
                format!("{logical_id}{type_name}{rel}"),
                "AWS::AppSync::Resolver",
            )
            .with_attrs(&attrs);
            res.attributes
                .insert("DependsOn".into(), json!([schema_id]));
            let (code, code_uri) = (truthy(r.get("InlineCode")), truthy(r.get("CodeUri")));
            if code.is_some() && code_uri.is_some() {
                return Err(ErrorItem::resource(
                    rel,
                    "Both 'InlineCode' and 'CodeUri' cannot be defined at the same time.",
                ));
            }
            match (code, code_uri) {
                (None, None) => {
                    res.properties
                        .insert("Code".into(), json!(DEFAULT_RESOLVER_CODE));
                    res.properties.insert(
                        "Runtime".into(),
                        json!({"Name": "APPSYNC_JS", "RuntimeVersion": "1.0.0"}),
                    );
                }
                _ => {
                    res.set_opt("Code", code.cloned());
                    res.set_opt("CodeS3Location", code_uri.cloned());
                    res.properties.insert("Runtime".into(), runtime(rel, r)?);
                }
            }
            res.properties.insert("ApiId".into(), api.api_id.clone());
            res.properties.insert(
                "FieldName".into(),
                truthy(r.get("FieldName"))
                    .cloned()
                    .unwrap_or_else(|| json!(rel)),
            );
            res.properties.insert("TypeName".into(), json!(type_name));
            let pipeline = truthy(r.get("Pipeline")).and_then(Value::as_array);
            let Some(pipeline) = pipeline else {
                return Err(ErrorItem::resource(
                    rel,
                    format!(
                        "Resolver '{rel}' must have Pipeline defined. Unit resolvers are not supported. If you need a Unit resolver you can use AppSync resource."
                    ),
                ));
            };
            res.properties.insert("Kind".into(), json!("PIPELINE"));
            let mut ids = Vec::new();
            for f in pipeline {
                let name = f.as_str().unwrap_or_default();
                let Some(id) = api.function_ids.get(name) else {
                    return Err(ErrorItem::resource(
                        rel,
                        format!("Function '{name}' does not exist."),
                    ));
                };
                ids.push(id.clone());
            }
            res.properties
                .insert("PipelineConfig".into(), json!({"Functions": ids}));
            if let Some(caching) = truthy(r.get("Caching")) {
                res.properties.insert(
                    "CachingConfig".into(),
                    Value::Object(without_nulls(caching, &["Ttl", "CachingKeys"])),
                );
            }
            if let Some(v) = truthy(r.get("MaxBatchSize")) {
                res.properties.insert("MaxBatchSize".into(), v.clone());
            }
            api.out.push(res);
        }
    }
    if let Some(none) = api.none_datasource.take() {
        api.out.push(none);
    }
    Ok(api.out)
}

/// The config property an authorizer sets (`LambdaAuthorizerConfig`, …) and its value.
type AuthorizerConfig = (&'static str, Map<String, Value>);

/// `_validate_and_extract_authorizer_config`: the config property an
/// authorizer sets and its value.
fn authorizer_config(
    logical_id: &str,
    auth: &Map<String, Value>,
    index: Option<usize>,
) -> Result<Option<AuthorizerConfig>, ErrorItem> {
    let keys = auth.values().filter(|v| !v.is_null()).count();
    if keys > 2 {
        let path = match index {
            Some(i) if i > 0 => format!("'Auth.Additional.{i}'"),
            _ => "'Auth'".to_string(),
        };
        return Err(ErrorItem::resource(
            logical_id,
            format!("{path} has more than one authentication configuration defined."),
        ));
    }
    let (prop, name, what, order): (&str, &'static str, &str, &[&str]) =
        match auth.get("Type").and_then(Value::as_str) {
            Some("AWS_LAMBDA") => (
                "LambdaAuthorizer",
                "LambdaAuthorizerConfig",
                "AWS_LAMBDA",
                &[
                    "AuthorizerResultTtlInSeconds",
                    "AuthorizerUri",
                    "IdentityValidationExpression",
                ],
            ),
            Some("OPENID_CONNECT") => (
                "OpenIDConnect",
                "OpenIDConnectConfig",
                "OPENID_CONNECT",
                &["AuthTTL", "ClientId", "IatTTL", "Issuer"],
            ),
            Some("AMAZON_COGNITO_USER_POOLS") => (
                "UserPool",
                "UserPoolConfig",
                "AMAZON_COGNITO_USER_POOLS",
                &[
                    "AppIdClientRegex",
                    "AwsRegion",
                    "DefaultAction",
                    "UserPoolId",
                ],
            ),
            _ => return Ok(None),
        };
    let Some(config) = set(auth.get(prop)) else {
        return Err(ErrorItem::resource(
            logical_id,
            format!("'{prop}' must be defined if type is '{what}'."),
        ));
    };
    let mut config = without_nulls(config, order);
    if name == "UserPoolConfig" && index.is_some() {
        // Only the primary authorizer's user pool has a default action.
        config.shift_remove("DefaultAction");
    }
    Ok(Some((name, config)))
}

/// `_parse_runtime`.
fn runtime(rel: &str, f: &Value) -> Result<Value, ErrorItem> {
    match truthy(f.get("Runtime")) {
        Some(r) => Ok(json!({
            "Name": r.get("Name").cloned().unwrap_or(Value::Null),
            "RuntimeVersion": r.get("Version").cloned().unwrap_or(Value::Null),
        })),
        None => Err(ErrorItem::resource(
            rel,
            format!("'Runtime' must be defined as a property in {rel}."),
        )),
    }
}

/// `_parse_datasource_name`.
fn datasource_name(api: &mut Api<'_>, rel: &str, f: &Value) -> Result<Value, ErrorItem> {
    let Some(source) = truthy(f.get("DataSource")) else {
        return Err(ErrorItem::resource(rel, "'DataSource' must be set."));
    };
    let Some(name) = source.as_str() else {
        return Ok(source.clone());
    };
    if name.eq_ignore_ascii_case("none") {
        let none_id = format!("{}NoneDataSource", api.id);
        if api.none_datasource.is_none() {
            let mut d = api.new_resource(none_id.clone(), "AWS::AppSync::DataSource");
            d.properties.insert("ApiId".into(), api.api_id.clone());
            d.properties.insert("Name".into(), json!(none_id));
            d.properties.insert("Type".into(), json!("NONE"));
            api.none_datasource = Some(d);
        }
        return Ok(get_att(&none_id, "Name"));
    }
    match api.datasource_names.get(name) {
        Some(v) => Ok(v.clone()),
        None => Err(ErrorItem::resource(
            rel,
            format!(
                "Either define DataSource '{name}' in 'DataSources' or use intrinsic function like GetAtt, ImportValue, Sub or another one to reference a DataSource defined outside of this GraphQLApi resource."
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_model_error_is_located() {
        let props = json!({"Auth": {"Type": "API_KEY", "Additional": {"Type": "AWS_LAMBDA"}}});
        let e = check_model("A", props.as_object().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Resource with id [A] is invalid. Property 'Auth.Additional' is invalid."
        );
        let props = json!({"Auth": {"Type": "AWS_IAM"}, "Logging": {"Nope": 1}});
        let e = check_model("A", props.as_object().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Resource with id [A] is invalid. Property 'Logging.Nope' is invalid."
        );
        let props = json!({"Auth": {"Type": "AWS_IAM"}, "Logging": true, "Functions": {"F": {"Runtime": {"Name": "x"}}}});
        let e = check_model("A", props.as_object().unwrap()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Resource with id [A] is invalid. Property 'Functions.F.Runtime.Version' is invalid."
        );
    }
}
