//! Authorizers of HTTP APIs (`ApiGatewayV2Authorizer`): JWT (OAuth2),
//! Lambda (`REQUEST`) and the built-in IAM authorizer, as OpenAPI security
//! schemes, plus the Lambda permissions of Lambda authorizers.

use serde_json::{Map, Value, json};

use crate::api::http::util::{expect_bool, expect_list_of_str, expect_map, get};
use crate::error::ErrorItem;

/// The kind of an authorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthType {
    /// The built-in `AWS_IAM` authorizer (`EnableIamAuthorizer`).
    Iam,
    /// An OAuth2 / JWT authorizer.
    Jwt,
    /// A Lambda (`REQUEST`) authorizer.
    Request,
}

/// One authorizer of an HTTP API.
#[derive(Debug, Clone)]
pub struct Authorizer {
    /// Its name (key under `Auth.Authorizers`).
    pub name: String,
    /// Its kind.
    pub kind: AuthType,
    /// `AuthorizationScopes`.
    pub authorization_scopes: Option<Value>,
    jwt_configuration: Option<Map<String, Value>>,
    id_source: Option<Value>,
    /// `FunctionArn` of a Lambda authorizer.
    pub function_arn: Option<Value>,
    function_invoke_role: Option<Value>,
    identity: Option<Value>,
    payload_format_version: Option<Value>,
    enable_simple_responses: Option<Value>,
    /// `EnableFunctionDefaultPermissions`.
    pub enable_function_default_permissions: Option<Value>,
}

const PROPERTY_DISPLAY: [(&str, &str, AuthType); 9] = [
    ("AuthorizationScopes", "OAuth2 Authorizer", AuthType::Jwt),
    ("JwtConfiguration", "OAuth2 Authorizer", AuthType::Jwt),
    (
        "IdentitySource",
        "OAuth2 Authorizer. For Lambda Authorizer, use the 'Identity' property instead",
        AuthType::Jwt,
    ),
    ("FunctionArn", "Lambda Authorizer", AuthType::Request),
    ("FunctionInvokeRole", "Lambda Authorizer", AuthType::Request),
    ("Identity", "Lambda Authorizer", AuthType::Request),
    (
        "AuthorizerPayloadFormatVersion",
        "Lambda Authorizer",
        AuthType::Request,
    ),
    (
        "EnableSimpleResponses",
        "Lambda Authorizer",
        AuthType::Request,
    ),
    (
        "EnableFunctionDefaultPermissions",
        "Lambda Authorizer",
        AuthType::Request,
    ),
];

fn truthy(v: &Option<Value>) -> bool {
    v.as_ref().is_some_and(|v| !crate::ids::is_falsy(v))
}

impl Authorizer {
    fn iam() -> Self {
        Authorizer {
            name: "AWS_IAM".into(),
            kind: AuthType::Iam,
            authorization_scopes: None,
            jwt_configuration: None,
            id_source: None,
            function_arn: None,
            function_invoke_role: None,
            identity: None,
            payload_format_version: None,
            enable_simple_responses: None,
            enable_function_default_permissions: None,
        }
    }

    /// `ApiGatewayV2Authorizer(...)` with its validation.
    fn new(api_id: &str, name: &str, cfg: &Map<String, Value>) -> Result<Self, ErrorItem> {
        let field = |k: &str| get(cfg, k).cloned();
        let jwt = match get(cfg, "JwtConfiguration").filter(|v| !crate::ids::is_falsy(v)) {
            None => None,
            Some(j) => {
                let m = expect_map(j, api_id, "JwtConfiguration")?;
                Some(
                    m.iter()
                        .map(|(k, v)| (k.to_lowercase(), v.clone()))
                        .collect::<Map<_, _>>(),
                )
            }
        };
        let kind = if jwt.is_some() {
            AuthType::Jwt
        } else {
            AuthType::Request
        };
        let a = Authorizer {
            name: name.to_string(),
            kind,
            authorization_scopes: field("AuthorizationScopes"),
            jwt_configuration: jwt,
            id_source: field("IdentitySource"),
            function_arn: field("FunctionArn"),
            function_invoke_role: field("FunctionInvokeRole"),
            identity: field("Identity"),
            payload_format_version: field("AuthorizerPayloadFormatVersion"),
            enable_simple_responses: field("EnableSimpleResponses"),
            enable_function_default_permissions: field("EnableFunctionDefaultPermissions"),
        };
        if a.authorization_scopes
            .as_ref()
            .is_some_and(|s| !s.is_array())
        {
            return Err(ErrorItem::resource(
                api_id,
                "AuthorizationScopes must be a list.",
            ));
        }
        for (display, allowed_for, owner) in PROPERTY_DISPLAY {
            let present = match display {
                "JwtConfiguration" => a.jwt_configuration.is_some(),
                _ => get(cfg, display).is_some(),
            };
            if present && owner != kind {
                return Err(ErrorItem::resource(
                    api_id,
                    format!("{display} is only supported for {allowed_for}."),
                ));
            }
        }
        match kind {
            AuthType::Jwt if !truthy(&a.id_source) => {
                return Err(ErrorItem::resource(
                    api_id,
                    format!("{name} OAuth2 Authorizer must define 'IdentitySource'."),
                ));
            }
            AuthType::Request if !truthy(&a.function_arn) => {
                return Err(ErrorItem::resource(
                    api_id,
                    format!("{name} Lambda Authorizer must define 'FunctionArn'."),
                ));
            }
            AuthType::Request if !truthy(&a.payload_format_version) => {
                return Err(ErrorItem::resource(
                    api_id,
                    format!(
                        "{name} Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'."
                    ),
                ));
            }
            _ => {}
        }
        if let Some(p) = &a.enable_function_default_permissions {
            expect_bool(
                p,
                api_id,
                &format!("Authorizers.{name}.EnableFunctionDefaultPermissions"),
            )?;
        }
        Ok(a)
    }

    /// `generate_openapi`: the security scheme of this authorizer.
    pub fn openapi(&self, api_id: &str, partition: &str) -> Result<Value, ErrorItem> {
        Ok(match self.kind {
            AuthType::Iam => json!({
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "awsSigv4",
            }),
            AuthType::Jwt => json!({
                "type": "oauth2",
                "x-amazon-apigateway-authorizer": {
                    "jwtConfiguration": self.jwt_configuration.clone().map(Value::Object).unwrap_or(Value::Null),
                    "identitySource": self.id_source.clone().unwrap_or(Value::Null),
                    "type": "jwt",
                },
            }),
            AuthType::Request => {
                let mut auth = Map::new();
                auth.insert("type".into(), json!("request"));
                auth.insert(
                    "authorizerUri".into(),
                    json!({ "Fn::Sub": [
                        format!("arn:{partition}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{__FunctionArn__}}/invocations"),
                        { "__FunctionArn__": self.function_arn.clone().unwrap_or(Value::Null) }
                    ]}),
                );
                if let Some(role) = self
                    .function_invoke_role
                    .as_ref()
                    .filter(|r| !crate::ids::is_falsy(r) && r.as_str() != Some("NONE"))
                {
                    auth.insert("authorizerCredentials".into(), role.clone());
                }
                if let Some(identity) = self.identity.as_ref().filter(|i| !crate::ids::is_falsy(i))
                {
                    let identity = expect_map(
                        identity,
                        api_id,
                        &format!("Auth.Authorizers.{}.Identity", self.name),
                    )?;
                    if let Some(ttl) = get(identity, "ReauthorizeEvery") {
                        auth.insert("authorizerResultTtlInSeconds".into(), ttl.clone());
                    }
                    auth.insert(
                        "identitySource".into(),
                        self.identity_source(api_id, identity)?,
                    );
                }
                auth.insert(
                    "authorizerPayloadFormatVersion".into(),
                    self.payload_format_version.clone().unwrap_or(Value::Null),
                );
                if truthy(&self.enable_simple_responses) {
                    auth.insert(
                        "enableSimpleResponses".into(),
                        self.enable_simple_responses.clone().unwrap_or(Value::Null),
                    );
                }
                json!({ "type": "apiKey", "name": "Unused", "in": "header", "x-amazon-apigateway-authorizer": auth })
            }
        })
    }

    fn identity_source(
        &self,
        api_id: &str,
        identity: &Map<String, Value>,
    ) -> Result<Value, ErrorItem> {
        let mut out = Vec::new();
        for (prefix, prop) in [
            ("$request.header.", "Headers"),
            ("$request.querystring.", "QueryStrings"),
            ("$stageVariables.", "StageVariables"),
            ("$context.", "Context"),
        ] {
            let Some(values) = identity.get(prop).filter(|v| !crate::ids::is_falsy(v)) else {
                continue;
            };
            let path = format!("Authorizers.{}.Identity.{prop}", self.name);
            for v in expect_list_of_str(values, api_id, &path)? {
                out.push(Value::String(format!(
                    "{prefix}{}",
                    v.as_str().unwrap_or_default()
                )));
            }
        }
        Ok(Value::Array(out))
    }

    /// `_get_authorization_scopes`: the scopes of a default authorizer (`[]` when unset).
    pub fn scopes_or_empty(&self) -> Value {
        self.authorization_scopes
            .clone()
            .unwrap_or_else(|| json!([]))
    }
}

/// `_get_authorizers(Authorizers, EnableIamAuthorizer)`: the authorizers of an API, in order.
pub fn authorizers(
    api_id: &str,
    config: Option<&Value>,
    enable_iam: Option<&Value>,
) -> Result<Vec<Authorizer>, ErrorItem> {
    let mut out = Vec::new();
    if enable_iam == Some(&Value::Bool(true)) {
        out.push(Authorizer::iam());
    }
    let Some(config) = config.filter(|c| !crate::ids::is_falsy(c)) else {
        return Ok(out);
    };
    let config = expect_map(config, api_id, "Auth.Authorizers")?;
    for (name, cfg) in config {
        let cfg = expect_map(cfg, api_id, &format!("Auth.Authorizers.{name}"))?;
        if cfg.contains_key("OpenIdConnectUrl") {
            return Err(ErrorItem::resource(
                api_id,
                format!(
                    "'OpenIdConnectUrl' is no longer a supported property for authorizer '{name}'. Please refer to the AWS SAM documentation."
                ),
            ));
        }
        let a = Authorizer::new(api_id, name, cfg)?;
        match out.iter_mut().find(|x| x.name == *name) {
            Some(existing) => *existing = a,
            None => out.push(a),
        }
    }
    Ok(out)
}
