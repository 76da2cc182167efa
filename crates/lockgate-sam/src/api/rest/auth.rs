//! Authorizers, API keys and resource policies of REST APIs: the
//! translator's `ApiGatewayAuthorizer` and the security parts of `SwaggerEditor`.

use serde_json::{Map, Value, json};

use super::swagger::{Editor, X_ANY_METHOD, X_POLICY, doc_err, path_without_params};
use crate::error::ErrorItem;
use crate::ids::{is_falsy, truthy};
use crate::intrinsics::py_str;

fn present(m: &Map<String, Value>, k: &str) -> Option<Value> {
    m.get(k).filter(|v| !v.is_null()).cloned()
}

/// One entry of `Auth.Authorizers` (or the implicit `AWS_IAM` one).
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// The name under `Authorizers`.
    pub name: String,
    user_pool_arn: Option<Value>,
    /// `FunctionArn` of a Lambda authorizer.
    pub function_arn: Option<Value>,
    identity: Option<Value>,
    payload_type: Option<String>,
    invoke_role: Option<Value>,
    is_aws_iam: bool,
    /// `AuthorizationScopes` (empty list when unset).
    pub scopes: Value,
    /// `DisableFunctionDefaultPermissions`.
    pub disable_default_permissions: bool,
}

impl Authorizer {
    /// The implicit `AWS_IAM` authorizer of `DefaultAuthorizer: AWS_IAM`.
    pub fn aws_iam() -> Self {
        Authorizer {
            name: "AWS_IAM".into(),
            user_pool_arn: None,
            function_arn: None,
            identity: None,
            payload_type: None,
            invoke_role: None,
            is_aws_iam: true,
            scopes: json!([]),
            disable_default_permissions: false,
        }
    }

    /// `ApiGatewayAuthorizer(...)` with its checks.
    pub fn new(api_id: &str, name: &str, cfg: &Map<String, Value>) -> Result<Self, ErrorItem> {
        let payload = present(cfg, "FunctionPayloadType");
        let payload_type = match &payload {
            None => None,
            Some(Value::String(s)) if s == "TOKEN" || s == "REQUEST" => Some(s.clone()),
            Some(other) => {
                return Err(ErrorItem::resource(
                    api_id,
                    format!(
                        "{name} Authorizer has invalid 'FunctionPayloadType': {}.",
                        py_str(other)
                    ),
                ));
            }
        };
        let identity = present(cfg, "Identity");
        if payload_type.as_deref() == Some("REQUEST")
            && missing_identity_source(api_id, name, identity.as_ref())?
        {
            return Err(ErrorItem::resource(
                api_id,
                format!(
                    "{name} Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context."
                ),
            ));
        }
        let scopes = present(cfg, "AuthorizationScopes").unwrap_or_else(|| json!([]));
        if !scopes.is_array() {
            return Err(ErrorItem::resource(
                api_id,
                format!("Property 'Authorizers.{name}.AuthorizationScopes' should be a list."),
            ));
        }
        let disable = present(cfg, "DisableFunctionDefaultPermissions");
        if let Some(d) = &disable
            && !d.is_boolean()
        {
            return Err(ErrorItem::resource(
                api_id,
                format!(
                    "Property 'Authorizers.{name}.DisableFunctionDefaultPermissions' should be a boolean."
                ),
            ));
        }
        Ok(Authorizer {
            name: name.to_string(),
            user_pool_arn: present(cfg, "UserPoolArn"),
            function_arn: present(cfg, "FunctionArn"),
            identity,
            payload_type,
            invoke_role: present(cfg, "FunctionInvokeRole"),
            is_aws_iam: false,
            scopes,
            disable_default_permissions: disable.and_then(|d| d.as_bool()).unwrap_or(false),
        })
    }

    fn kind(&self) -> &'static str {
        if self.is_aws_iam {
            "AWS_IAM"
        } else if truthy(self.user_pool_arn.as_ref()) {
            "COGNITO_USER_POOLS"
        } else {
            "LAMBDA"
        }
    }

    fn payload(&self) -> &str {
        self.payload_type.as_deref().unwrap_or("TOKEN")
    }

    fn identity_header(&self, api_id: &str) -> Result<Value, ErrorItem> {
        if let Some(id) = self.identity.as_ref().filter(|i| !is_falsy(i)) {
            if !id.is_object() {
                return Err(ErrorItem::resource(
                    api_id,
                    "Auth.Authorizers.<Authorizer>.Identity must be a dict (LambdaTokenAuthorizationIdentity, LambdaRequestAuthorizationIdentity or CognitoAuthorizationIdentity).",
                ));
            }
            if let Some(h) = id.get("Header").filter(|h| !is_falsy(h)) {
                return Ok(h.clone());
            }
        }
        Ok(json!("Authorization"))
    }

    fn identity_source(&self, api_id: &str) -> Result<String, ErrorItem> {
        let mut items = Vec::new();
        let Some(identity) = self.identity.as_ref() else {
            return Ok(String::new());
        };
        for (key, prefix) in [
            ("Headers", "method.request.header."),
            ("QueryStrings", "method.request.querystring."),
            ("StageVariables", "stageVariables."),
            ("Context", "context."),
        ] {
            let Some(list) = identity.get(key).filter(|v| !is_falsy(v)) else {
                continue;
            };
            let path = format!("Auth.Authorizers.{}.Identity.{key}", self.name);
            let Value::Array(list) = list else {
                return Err(ErrorItem::resource(
                    api_id,
                    format!("Property '{path}' should be a list."),
                ));
            };
            for (i, item) in list.iter().enumerate() {
                let Value::String(s) = item else {
                    return Err(ErrorItem::resource(
                        api_id,
                        format!("Property '{path}[{i}]' should be a string."),
                    ));
                };
                items.push(format!("{prefix}{s}"));
            }
        }
        Ok(items.join(", "))
    }

    /// `generate_swagger()`: the security definition.
    pub fn swagger(&self, api_id: &str, partition: &str) -> Result<Value, ErrorItem> {
        let kind = self.kind();
        let mut out = Map::new();
        out.insert("type".into(), json!("apiKey"));
        let header = if kind == "LAMBDA" && self.payload() == "REQUEST" {
            json!("Unused")
        } else {
            self.identity_header(api_id)?
        };
        out.insert("name".into(), header);
        out.insert("in".into(), json!("header"));
        let authtype = match kind {
            "AWS_IAM" => "awsSigv4",
            "COGNITO_USER_POOLS" => "cognito_user_pools",
            _ => "custom",
        };
        out.insert("x-amazon-apigateway-authtype".into(), json!(authtype));
        let mut auth = Map::new();
        if kind == "COGNITO_USER_POOLS" {
            auth.insert("type".into(), json!("cognito_user_pools"));
            let arns = match &self.user_pool_arn {
                Some(Value::Array(a)) => Value::Array(a.clone()),
                Some(v) => json!([v]),
                None => json!([null]),
            };
            auth.insert("providerARNs".into(), arns);
        } else if kind == "LAMBDA" {
            let t = if self.payload() == "REQUEST" {
                "request"
            } else {
                "token"
            };
            auth.insert("type".into(), json!(t));
            auth.insert(
                "authorizerUri".into(),
                json!({"Fn::Sub": [
                    format!("arn:{partition}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{__FunctionArn__}}/invocations"),
                    {"__FunctionArn__": self.function_arn.clone().unwrap_or(Value::Null)}
                ]}),
            );
            if let Some(ttl) = self
                .identity
                .as_ref()
                .and_then(|i| i.get("ReauthorizeEvery"))
                .filter(|v| !v.is_null())
            {
                auth.insert("authorizerResultTtlInSeconds".into(), ttl.clone());
            }
            if let Some(role) = self
                .invoke_role
                .as_ref()
                .filter(|r| !is_falsy(r) && r.as_str() != Some("NONE"))
            {
                auth.insert("authorizerCredentials".into(), role.clone());
            }
            if self.payload() == "REQUEST" {
                let source = self.identity_source(api_id)?;
                if !source.is_empty() {
                    auth.insert("identitySource".into(), json!(source));
                }
            }
        }
        let token_lambda = kind == "LAMBDA" && self.payload() == "TOKEN";
        if (kind == "COGNITO_USER_POOLS" || token_lambda)
            && let Some(expr) = self
                .identity
                .as_ref()
                .filter(|i| !is_falsy(i))
                .and_then(|i| i.get("ValidationExpression"))
                .filter(|v| !is_falsy(v))
        {
            auth.insert("identityValidationExpression".into(), expr.clone());
        }
        if kind != "AWS_IAM" {
            out.insert("x-amazon-apigateway-authorizer".into(), Value::Object(auth));
        }
        Ok(Value::Object(out))
    }
}

fn missing_identity_source(
    api_id: &str,
    name: &str,
    identity: Option<&Value>,
) -> Result<bool, ErrorItem> {
    let Some(identity) = identity.filter(|i| !is_falsy(i)) else {
        return Ok(true);
    };
    let Value::Object(id) = identity else {
        return Err(ErrorItem::resource(
            api_id,
            format!("Property 'Authorizer.{name}.Identity' should be a map."),
        ));
    };
    let missing = ["Headers", "QueryStrings", "StageVariables", "Context"]
        .iter()
        .all(|k| !truthy(id.get(*k)));
    let ttl = match id.get("ReauthorizeEvery").filter(|v| !v.is_null()) {
        None => return Ok(missing),
        Some(t) => t,
    };
    let ttl_int = match ttl {
        Value::Number(n) => n.as_f64().map(|f| f.trunc() as i64),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    Ok(match ttl_int {
        None => missing,
        Some(t) => t > 0 && missing,
    })
}

/// `_get_authorizers`: the API's authorizers in order (`AWS_IAM` first when it is the default).
pub fn get_authorizers(
    api_id: &str,
    config: Option<&Value>,
    default_authorizer: Option<&Value>,
) -> Result<Vec<Authorizer>, ErrorItem> {
    let mut out = Vec::new();
    if default_authorizer.and_then(Value::as_str) == Some("AWS_IAM") {
        out.push(Authorizer::aws_iam());
    }
    let Some(config) = config.filter(|c| !is_falsy(c)) else {
        return Ok(out);
    };
    let Value::Object(config) = config else {
        return Err(ErrorItem::resource(
            api_id,
            "Property 'Auth.Authorizers' should be a map.",
        ));
    };
    for (name, cfg) in config {
        let Value::Object(cfg) = cfg else {
            return Err(ErrorItem::resource(
                api_id,
                format!("Property 'Auth.Authorizers.{name}' should be a map."),
            ));
        };
        let a = Authorizer::new(api_id, name, cfg)?;
        if let Some(pos) = out.iter().position(|x: &Authorizer| x.name == *name) {
            out[pos] = a;
        } else {
            out.push(a);
        }
    }
    Ok(out)
}

fn security_list(
    d: &Map<String, Value>,
    path: &str,
    method: &str,
) -> Result<Vec<Value>, ErrorItem> {
    match d.get("security") {
        None => Ok(Vec::new()),
        Some(Value::Array(a)) => Ok(a.clone()),
        Some(_) => Err(doc_err(format!(
            "Type of security for path {path} method {method} must be a list"
        ))),
    }
}

/// `add_awsiam_security_definition`.
pub fn add_awsiam_security_definition(doc: &mut Map<String, Value>) {
    let defs = security_definitions(doc);
    if !defs.contains_key("AWS_IAM") {
        defs.insert(
            "AWS_IAM".into(),
            json!({"x-amazon-apigateway-authtype": "awsSigv4", "type": "apiKey", "name": "Authorization", "in": "header"}),
        );
    }
}

/// `add_apikey_security_definition`.
pub fn add_apikey_security_definition(doc: &mut Map<String, Value>) -> Result<(), ErrorItem> {
    if let Some(existing) = doc.get("securityDefinitions")
        && !is_falsy(existing)
        && !existing.is_object()
    {
        return Err(ErrorItem::template(
            "securityDefinitions must be a dictionary.",
        ));
    }
    let defs = security_definitions(doc);
    if !defs.contains_key("api_key") {
        defs.insert(
            "api_key".into(),
            json!({"type": "apiKey", "name": "x-api-key", "in": "header"}),
        );
    }
    Ok(())
}

fn security_definitions(doc: &mut Map<String, Value>) -> &mut Map<String, Value> {
    let entry = doc
        .entry("securityDefinitions")
        .or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    entry.as_object_mut().expect("just made a map")
}

/// `add_authorizers_security_definitions`.
pub fn add_security_definitions(
    editor: &mut Editor<'_>,
    api_id: &str,
    authorizers: &[Authorizer],
    partition: &str,
) -> Result<(), ErrorItem> {
    if let Some(existing) = editor.doc().get("securityDefinitions")
        && !is_falsy(existing)
        && !existing.is_object()
    {
        return Err(ErrorItem::template(
            "securityDefinitions must be a dictionary.",
        ));
    }
    for a in authorizers {
        let sw = a.swagger(api_id, partition)?;
        security_definitions(editor.doc_mut()).insert(a.name.clone(), sw);
    }
    Ok(())
}

/// `set_path_default_authorizer`.
pub fn set_path_default_authorizer(
    editor: &mut Editor<'_>,
    path: &str,
    default: &str,
    authorizers: &[Authorizer],
    add_to_preflight: bool,
) -> Result<(), ErrorItem> {
    let mut names: Vec<String> = vec!["AWS_IAM".into()];
    names.extend(authorizers.iter().map(|a| a.name.clone()));
    let scopes = authorizers
        .iter()
        .find(|a| a.name == default)
        .map(|a| a.scopes.clone())
        .unwrap_or_else(|| json!([]));
    let mut need_iam = false;
    editor.for_all_methods(path, |method, d| {
        if !add_to_preflight && method == "options" {
            return Ok(());
        }
        let existing = security_list(d, path, method)?;
        let mut non_auth = Vec::new();
        let mut auth = Vec::new();
        for s in existing {
            let Value::Object(m) = &s else {
                return Err(doc_err(format!(
                    "{} in Security for path {path} method {method} is not a valid dictionary.",
                    py_str(&s)
                )));
            };
            if m.keys().any(|k| names.contains(k)) {
                auth.push(s);
            } else {
                non_auth.push(s);
            }
        }
        let none_idx = non_auth
            .iter()
            .position(|s| s.as_object().is_some_and(|m| m.contains_key("NONE")));
        let auth_security = if let Some(i) = none_idx {
            non_auth.remove(i);
            Vec::new()
        } else if !auth.is_empty() {
            auth
        } else {
            vec![json!({ default: scopes.clone() })]
        };
        let security: Vec<Value> = non_auth.into_iter().chain(auth_security).collect();
        if !security.is_empty() {
            if security[0]
                .as_object()
                .is_some_and(|m| m.contains_key("AWS_IAM"))
            {
                need_iam = true;
            }
            d.insert("security".into(), Value::Array(security));
        }
        Ok(())
    })?;
    if need_iam {
        add_awsiam_security_definition(editor.doc_mut());
    }
    Ok(())
}

/// `set_path_default_apikey_required`.
pub fn set_path_default_apikey_required(
    editor: &mut Editor<'_>,
    path: &str,
    required_on_options: bool,
) -> Result<(), ErrorItem> {
    editor.for_all_methods(path, |method, d| {
        let existing = security_list(d, path, method)?;
        let mut non_key = Vec::new();
        let mut key = Vec::new();
        for s in &existing {
            let Value::Object(m) = s else {
                return Err(doc_err(format!(
                    "{} in Security for path {path} method {method} is not a valid dictionary.",
                    py_str(s)
                )));
            };
            if m.contains_key("api_key") || m.contains_key("api_key_false") {
                key.push(s.clone());
            } else {
                non_key.push(s.clone());
            }
        }
        let false_idx = key.iter().position(|s| {
            s.as_object()
                .is_some_and(|m| m.contains_key("api_key_false"))
        });
        let key_security = if false_idx.is_some() {
            Vec::new()
        } else {
            vec![json!({"api_key": []})]
        };
        let mut security: Vec<Value> = non_key.iter().cloned().chain(key_security).collect();
        if method == "options" && !required_on_options {
            security = non_key;
        }
        if security != existing {
            d.insert("security".into(), Value::Array(security));
        }
        Ok(())
    })
}

/// `add_auth_to_method`: an event's `Auth.Authorizer` / `Auth.ApiKeyRequired`.
pub fn add_auth_to_method(
    editor: &mut Editor<'_>,
    path: &str,
    method: &str,
    auth: &Map<String, Value>,
    api_authorizers: Option<&Value>,
) -> Result<(), ErrorItem> {
    let method_authorizer = auth.get("Authorizer").filter(|v| !is_falsy(v));
    if let Some(name) = method_authorizer {
        let name_str = py_str(name);
        let method_scopes = auth
            .get("AuthorizationScopes")
            .filter(|v| !v.is_null())
            .cloned();
        let authorizers = api_authorizers.filter(|a| !is_falsy(a));
        let mut need_iam = false;
        editor.for_methods_at(path, method, true, |d| {
            let mut scopes = json!([]);
            if name_str != "NONE"
                && let Some(authorizers) = authorizers
            {
                let entry = authorizers.get(&name_str);
                if let Some(e) = entry
                    && !e.is_object()
                {
                    return Err(doc_err(format!(
                        "Type of authorizer '{name_str}' must be a dictionary"
                    )));
                }
                let mut s = entry
                    .and_then(|e| e.get("AuthorizationScopes"))
                    .filter(|v| !v.is_null())
                    .cloned();
                if method_scopes.is_some() {
                    s = method_scopes.clone();
                }
                if entry.is_some_and(|e| !e.is_null())
                    && let Some(s) = s
                {
                    scopes = s;
                }
            }
            let existing = security_list(d, path, method)?;
            let mut security = existing;
            security.push(json!({ name_str.clone(): scopes }));
            if security[0]
                .as_object()
                .is_some_and(|m| m.contains_key("AWS_IAM"))
            {
                need_iam = true;
            }
            d.insert("security".into(), Value::Array(security));
            Ok(())
        })?;
        if need_iam {
            add_awsiam_security_definition(editor.doc_mut());
        }
    }
    if let Some(required) = auth.get("ApiKeyRequired").filter(|v| !v.is_null()) {
        let required = !is_falsy(required);
        let mut need_def = false;
        editor.for_methods_at(path, method, true, |d| {
            let item = if required {
                need_def = true;
                json!({"api_key": []})
            } else {
                json!({"api_key_false": []})
            };
            let existing = security_list(d, path, method)?;
            let mut security = existing;
            security.push(item);
            d.insert("security".into(), Value::Array(security));
            Ok(())
        })?;
        if need_def {
            add_apikey_security_definition(editor.doc_mut())?;
        }
    }
    Ok(())
}

fn policy_map(doc: &Map<String, Value>) -> Map<String, Value> {
    match doc.get(X_POLICY) {
        Some(Value::Object(m)) if !m.is_empty() => m.clone(),
        _ => Map::new(),
    }
}

fn push_statements(policy: &mut Map<String, Value>, new: Vec<Value>, dedupe: bool) {
    policy.insert("Version".into(), json!("2012-10-17"));
    match policy.get("Statement").filter(|s| !s.is_null()).cloned() {
        None => {
            let v = if new.len() == 1 && !dedupe {
                new[0].clone()
            } else {
                Value::Array(new)
            };
            policy.insert("Statement".into(), v);
        }
        Some(existing) => {
            let mut list = match existing {
                Value::Array(a) => a,
                other => vec![other],
            };
            for s in new {
                if !dedupe || !list.contains(&s) {
                    list.push(s);
                }
            }
            policy.insert("Statement".into(), Value::Array(list));
        }
    }
}

fn method_uri_list(
    editor: &Editor<'_>,
    path: &str,
    stage: &Value,
) -> Result<Vec<Value>, ErrorItem> {
    let methods = editor.method_names(path)?;
    let path = path_without_params(path);
    Ok(methods
        .iter()
        .map(|m| {
            let lower = m.to_lowercase();
            let method = if lower == X_ANY_METHOD || lower == "any" { "*".to_string() } else { m.to_uppercase() };
            json!({"Fn::Sub": [format!("execute-api:/${{__Stage__}}/{method}{path}"), {"__Stage__": stage}]})
        })
        .collect())
}

fn list_of(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    }
}

/// `add_resource_policy(resource_policy, path, stage)`.
pub fn add_resource_policy(
    editor: &mut Editor<'_>,
    rp: &Map<String, Value>,
    path: &str,
    stage: &Value,
) -> Result<(), ErrorItem> {
    let mut policy = policy_map(editor.doc());
    let resources = Value::Array(method_uri_list(editor, path, stage)?);
    for (key, effect) in [
        ("AwsAccountWhitelist", "Allow"),
        ("AwsAccountBlacklist", "Deny"),
    ] {
        let Some(list) = rp.get(key).filter(|v| !v.is_null()) else {
            continue;
        };
        if is_falsy(list) {
            continue;
        }
        if !list.is_object() && !list.is_array() {
            return Err(doc_err(format!(
                "Type of '{}' must be a list or dictionary",
                py_str(list)
            )));
        }
        let stmt = json!({"Effect": effect, "Action": "execute-api:Invoke", "Resource": resources, "Principal": {"AWS": list_of(list)}});
        push_statements(&mut policy, vec![stmt], false);
    }
    for (key, cond) in [
        ("IpRangeWhitelist", "NotIpAddress"),
        ("IpRangeBlacklist", "IpAddress"),
    ] {
        let Some(list) = rp.get(key).filter(|v| !v.is_null() && !is_falsy(v)) else {
            continue;
        };
        let (allow, deny) = allow_deny(&resources, json!({cond: {"aws:SourceIp": list_of(list)}}));
        push_statements(&mut policy, vec![allow, deny], true);
    }
    for (list_key, vpc_key, vpce_key, cond, name) in [
        (
            "SourceVpcBlacklist",
            "IntrinsicVpcBlacklist",
            "IntrinsicVpceBlacklist",
            "StringEquals",
            "SourceVpcBlacklist",
        ),
        (
            "SourceVpcWhitelist",
            "IntrinsicVpcWhitelist",
            "IntrinsicVpceWhitelist",
            "StringNotEquals",
            "SourceVpcWhitelist",
        ),
    ] {
        let strings = rp.get(list_key).filter(|v| !v.is_null());
        if let Some(s) = strings
            && !s.as_array().is_some_and(|a| a.iter().all(Value::is_string))
        {
            let intrinsic = if name == "SourceVpcBlacklist" {
                "IntrinsicVpcBlacklist"
            } else {
                "IntrinsicVpcWhitelist"
            };
            return Err(doc_err(format!(
                "{name} must be a list of strings. Use {intrinsic} instead for values that use Intrinsic Functions"
            )));
        }
        let mut vpc = Vec::new();
        let mut vpce = Vec::new();
        let mut has_vpc = false;
        let mut has_vpce = false;
        if let Some(Value::Array(items)) = strings {
            for e in items.iter().filter_map(Value::as_str) {
                if e.starts_with("vpce-") {
                    vpce.push(json!(e));
                }
                if e.starts_with("vpc-") {
                    vpc.push(json!(e));
                }
            }
            has_vpc = !vpc.is_empty();
            has_vpce = !vpce.is_empty();
        }
        if let Some(v) = rp.get(vpc_key).filter(|v| !v.is_null()) {
            vpc.extend(list_of(v));
            has_vpc = true;
        }
        if let Some(v) = rp.get(vpce_key).filter(|v| !v.is_null()) {
            vpce.extend(list_of(v));
            has_vpce = true;
        }
        if vpc.is_empty() && vpce.is_empty() {
            continue;
        }
        let mut condition = Map::new();
        if has_vpc {
            condition.insert("aws:SourceVpc".into(), Value::Array(vpc));
        }
        if has_vpce {
            condition.insert("aws:SourceVpce".into(), Value::Array(vpce));
        }
        let (allow, deny) = allow_deny(&resources, json!({cond: condition}));
        push_statements(&mut policy, vec![allow, deny], true);
    }
    editor
        .doc_mut()
        .insert(X_POLICY.into(), Value::Object(policy));
    Ok(())
}

fn allow_deny(resources: &Value, condition: Value) -> (Value, Value) {
    (
        json!({"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*"}),
        json!({"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resources, "Principal": "*", "Condition": condition}),
    )
}

/// `add_custom_statements`.
pub fn add_custom_statements(editor: &mut Editor<'_>, statements: &Value) {
    let mut policy = policy_map(editor.doc());
    policy.insert("Version".into(), json!("2012-10-17"));
    match policy.get("Statement").filter(|s| !s.is_null()).cloned() {
        None => {
            policy.insert("Statement".into(), statements.clone());
        }
        Some(existing) => {
            let mut list = list_of(&existing);
            for s in list_of(statements) {
                if !list.contains(&s) {
                    list.push(s);
                }
            }
            policy.insert("Statement".into(), Value::Array(list));
        }
    }
    editor
        .doc_mut()
        .insert(X_POLICY.into(), Value::Object(policy));
}
