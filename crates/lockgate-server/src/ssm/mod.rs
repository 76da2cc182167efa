//! The SSM Parameter Store API, served locally over AWS JSON 1.1, so function
//! code reads its parameters with an unmodified AWS SDK (`boto3.client("ssm")`
//! with `AWS_ENDPOINT_URL_SSM` pointing at the server).
//!
//! Requests are `POST /` with `Content-Type: application/x-amz-json-1.1` and
//! `X-Amz-Target: AmazonSSM.<Operation>`; answers carry SSM's own shapes, and
//! errors are `{"__type": "<Code>", "message": "…"}` with HTTP 400 (500 for a
//! server fault). Operations: GetParameter, GetParameters,
//! GetParametersByPath, GetParameterHistory, DescribeParameters,
//! PutParameter, DeleteParameter, DeleteParameters.
//!
//! Who may do what ([`authorize_names`]): the [`Caller::Admin`] anything; a
//! [`Caller::Stage`] (a stage's functions, identified by their SigV4
//! credentials, see [`lockgate_sigv4`]) may only read names whose first path
//! segment is its stage (`/dev/…`) or whose first two segments are its app
//! and stage (`/greeter/dev/…`), and may not write. On top of that floor, a
//! caller acting as a function's role needs the role to allow
//! `ssm:<Operation>` on the parameter's ARN (`crate::permissions`);
//! `DescribeParameters`, an account-level action, on
//! `arn:aws:ssm:REGION:ACCOUNT:*`.
//!
//! The service is framework-agnostic: [`SsmService::handle`] takes the caller,
//! the target and the body; [`SsmService::handle_http`] also authenticates a
//! [`SignedRequest`].

use std::collections::BTreeSet;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use lockgate_store::{
    NewParameterValue, Parameter, ParameterName, ParameterType, ParameterValue, PutParameter,
    SecretString, Store, StoreError,
};
use serde::Deserialize;
use serde_json::{Value, json};

pub use lockgate_sigv4::Caller;
use lockgate_sigv4::{Authorization, CredentialIndex, SignedRequest};

/// The content type of every request and answer.
pub const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The prefix of `X-Amz-Target` for SSM operations.
pub const TARGET_PREFIX: &str = "AmazonSSM.";

mod access;
mod answer;
mod request;

pub use access::authorize_names;
pub use answer::SsmResponse;
use answer::{ApiError, ApiResult};
use request::*;

/// The SSM API over a parameter [`Store`].
#[derive(Clone)]
pub struct SsmService {
    store: Arc<dyn Store>,
    region: String,
    account_id: String,
    permissions: Option<Arc<crate::permissions::Permissions>>,
}

impl std::fmt::Debug for SsmService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsmService")
            .field("region", &self.region)
            .field("account_id", &self.account_id)
            .finish_non_exhaustive()
    }
}

impl SsmService {
    /// Serves the parameters of `store`, with ARNs in
    /// [`lockgate_cloud::DEFAULT_REGION`] and [`lockgate_cloud::ACCOUNT_ID`]
    /// unless [`SsmService::with_arn_context`] sets others.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            region: lockgate_cloud::DEFAULT_REGION.to_string(),
            account_id: lockgate_cloud::ACCOUNT_ID.to_string(),
            permissions: None,
        }
    }

    /// Also evaluates a caller's role's policies on every read, as IAM
    /// does (after the stage-prefix rule, which stays the floor).
    pub fn with_permissions(mut self, permissions: Arc<crate::permissions::Permissions>) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// Sets the region and account id that ARNs carry.
    pub fn with_arn_context(mut self, region: &str, account_id: &str) -> Self {
        self.region = region.to_string();
        self.account_id = account_id.to_string();
        self
    }

    /// The ARN of parameter `name`.
    pub fn arn(&self, name: &str) -> String {
        let resource = name.strip_prefix('/').unwrap_or(name);
        format!(
            "arn:aws:ssm:{}:{}:parameter/{resource}",
            self.region, self.account_id
        )
    }

    /// Authenticates a SigV4-signed HTTP request with `credentials` at `now`,
    /// reads its `X-Amz-Target` and answers it. A request that is not
    /// `POST` or is not signed by known credentials is refused with the
    /// error an AWS service gives (`UnrecognizedClientException`,
    /// `InvalidSignatureException`, …).
    pub async fn handle_http(
        &self,
        credentials: &CredentialIndex,
        request: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> SsmResponse {
        if request.method != "POST" {
            return SsmResponse::error(
                400,
                "UnknownOperationException",
                &format!(
                    "the SSM API takes POST requests with X-Amz-Target, not {}",
                    request.method
                ),
            );
        }
        // As AWS: a signature scoped to another service is not valid here.
        if let Some(header) = request.header("authorization")
            && let Ok(auth) = Authorization::parse(header)
            && auth.service != "ssm"
        {
            return SsmResponse::error(
                400,
                "InvalidSignatureException",
                &format!(
                    "Credential should be scoped to correct service: 'ssm' (the request is signed for '{}')",
                    auth.service
                ),
            );
        }
        let caller = match credentials.authenticate(request, now) {
            Ok(caller) => caller,
            Err(e) => return SsmResponse::error(e.http_status(), e.aws_code(), &e.to_string()),
        };
        let target = request.header("x-amz-target").unwrap_or("");
        self.handle(&caller, target, request.body).await
    }

    /// Answers one SSM call: `target` is the `X-Amz-Target` header
    /// (`AmazonSSM.GetParameter`), `body` the JSON request.
    pub async fn handle(&self, caller: &Caller, target: &str, body: &[u8]) -> SsmResponse {
        let result = match target.strip_prefix(TARGET_PREFIX) {
            Some(op) => self.dispatch(caller, op, body).await,
            None => Err(ApiError::new(
                "UnknownOperationException",
                format!("X-Amz-Target `{target}` is not an SSM operation (AmazonSSM.<Operation>)"),
            )),
        };
        match result {
            Ok(value) => SsmResponse::ok(&value),
            Err(e) => SsmResponse::error(e.status, e.code, &e.message),
        }
    }

    async fn dispatch(&self, caller: &Caller, op: &str, body: &[u8]) -> ApiResult<Value> {
        match op {
            "GetParameter" => self.get_parameter(caller, parse_body(body, op)?).await,
            "GetParameters" => self.get_parameters(caller, parse_body(body, op)?).await,
            "GetParametersByPath" => self.get_by_path(caller, parse_body(body, op)?).await,
            "GetParameterHistory" => self.history(caller, parse_body(body, op)?).await,
            "DescribeParameters" => self.describe(caller, parse_body(body, op)?).await,
            "PutParameter" => self.put(caller, parse_body(body, op)?).await,
            "DeleteParameter" => self.delete(caller, parse_body(body, op)?).await,
            "DeleteParameters" => self.delete_many(caller, parse_body(body, op)?).await,
            other => Err(ApiError::new(
                "UnknownOperationException",
                format!(
                    "Lockgate does not serve the SSM operation `{other}`: it serves GetParameter, GetParameters, GetParametersByPath, GetParameterHistory, DescribeParameters, PutParameter, DeleteParameter and DeleteParameters"
                ),
            )),
        }
    }

    fn deny(&self, caller: &Caller, action: &str, name: &str) -> ApiError {
        let hint = match caller {
            Caller::Stage { app, stage, .. } => format!(
                " (functions of stage `{stage}` of app `{app}` may read only /{stage}/… and /{app}/{stage}/…, and write nothing)"
            ),
            Caller::Admin => String::new(),
        };
        ApiError::new(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: ssm:{action} on resource: {} because no identity-based policy allows the ssm:{action} action{hint}",
                caller.principal_arn(&self.account_id),
                self.arn(name)
            ),
        )
    }

    fn check_read(&self, caller: &Caller, action: &str, name: &str) -> ApiResult<()> {
        self.check_read_with(caller, action, name, &[])
    }

    /// [`SsmService::check_read`] with the operation's own condition keys
    /// (`ssm:Recursive`).
    fn check_read_with(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
        keys: &[(&str, String)],
    ) -> ApiResult<()> {
        if !authorize_names(caller, name) {
            return Err(self.deny(caller, action, name));
        }
        self.check_role(caller, action, &self.arn(name), keys)
    }

    /// The caller's role's policies on `ssm:<action>` on `resource`.
    fn check_role(
        &self,
        caller: &Caller,
        action: &str,
        resource: &str,
        keys: &[(&str, String)],
    ) -> ApiResult<()> {
        let Some(permissions) = &self.permissions else {
            return Ok(());
        };
        let mut context = crate::permissions::request_context(&self.region);
        for (k, v) in keys {
            context.insert(k.to_string(), vec![v.clone()]);
        }
        permissions
            .check(
                caller,
                &self.account_id,
                &format!("ssm:{action}"),
                resource,
                &context,
            )
            .map_err(|d| ApiError::new("AccessDeniedException", d.0))
    }

    /// The resource IAM names for SSM's account-level actions
    /// (`DescribeParameters`): `arn:aws:ssm:REGION:ACCOUNT:*`, which only
    /// `"Resource": "*"` (or a pattern such as `arn:aws:ssm:*:*:*`) matches.
    fn account_resource(&self) -> String {
        format!("arn:aws:ssm:{}:{}:*", self.region, self.account_id)
    }

    fn check_write(&self, caller: &Caller, action: &str, name: &str) -> ApiResult<()> {
        if *caller == Caller::Admin {
            Ok(())
        } else {
            Err(self.deny(caller, action, name))
        }
    }

    /// The value SSM shows: plain, decrypted, or for a SecureString read
    /// without decryption an opaque base64 blob of its ciphertext.
    fn value_of(&self, p: &Parameter, decrypt: bool) -> ApiResult<String> {
        Ok(match &p.value {
            ParameterValue::String(s) => s.clone(),
            ParameterValue::StringList(items) => items.join(","),
            ParameterValue::SecureString(sealed) => {
                if decrypt {
                    let secret: SecretString = self
                        .store
                        .decrypt_parameter(p)
                        .map_err(|e| ApiError::internal(format!("{}: {e}", p.name)))?;
                    secret.expose().to_string()
                } else {
                    let mut blob = Vec::with_capacity(sealed.nonce.len() + sealed.ciphertext.len());
                    blob.extend_from_slice(&sealed.nonce);
                    blob.extend_from_slice(&sealed.ciphertext);
                    base64::engine::general_purpose::STANDARD.encode(blob)
                }
            }
        })
    }

    fn parameter_json(
        &self,
        p: &Parameter,
        decrypt: bool,
        selector: Option<&Selector>,
    ) -> ApiResult<Value> {
        let mut v = json!({
            "Name": p.name.as_str(),
            "Type": p.parameter_type().as_str(),
            "Value": self.value_of(p, decrypt)?,
            "Version": p.version,
        });
        if let Some(s) = selector {
            v["Selector"] = json!(s.as_string());
        }
        v["LastModifiedDate"] = json!(epoch_seconds(p));
        v["ARN"] = json!(self.arn(p.name.as_str()));
        v["DataType"] = json!("text");
        Ok(v)
    }

    async fn load(&self, r: &NameRef) -> ApiResult<Option<Parameter>> {
        match &r.selector {
            None => self
                .store
                .get_parameter(&r.name, None)
                .await
                .map_err(ApiError::from_store),
            Some(Selector::Version(v)) => self
                .store
                .get_parameter(&r.name, Some(*v))
                .await
                .map_err(ApiError::from_store),
            // Labels are not stored: no label exists.
            Some(Selector::Label(_)) => Ok(None),
        }
    }

    async fn get_parameter(&self, caller: &Caller, req: GetParameterRequest) -> ApiResult<Value> {
        let requested = required(req.name, "name")?;
        let r = parse_name_ref(&requested, true)?;
        self.check_read(caller, "GetParameter", r.name.as_str())?;
        match self.load(&r).await? {
            Some(p) => Ok(json!({
                "Parameter": self.parameter_json(&p, req.with_decryption, r.selector.as_ref())?
            })),
            None => match (&r.selector, self.exists(&r.name).await?) {
                (Some(Selector::Version(v)), true) => Err(ApiError::new(
                    "ParameterVersionNotFound",
                    format!(
                        "Systems Manager could not find version {v} of {}. Verify the version and try again.",
                        r.name
                    ),
                )),
                (Some(Selector::Label(l)), true) => Err(ApiError::new(
                    "ParameterVersionLabelNotFound",
                    format!("Label {l} is not attached to any version of {}.", r.name),
                )),
                _ => Err(ApiError::not_found(&r.requested)),
            },
        }
    }

    async fn exists(&self, name: &ParameterName) -> ApiResult<bool> {
        Ok(self
            .store
            .get_parameter(name, None)
            .await
            .map_err(ApiError::from_store)?
            .is_some())
    }

    async fn get_parameters(&self, caller: &Caller, req: GetParametersRequest) -> ApiResult<Value> {
        let names = required(req.names, "names")?;
        check_names_len(&names, "names")?;
        let mut refs = Vec::new();
        for n in &names {
            let r = parse_name_ref(n, true)?;
            self.check_read(caller, "GetParameters", r.name.as_str())?;
            refs.push(r);
        }
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        let mut invalid = Vec::new();
        for r in refs {
            if !seen.insert(r.requested.clone()) {
                continue;
            }
            match self.load(&r).await? {
                Some(p) => {
                    found.push(self.parameter_json(&p, req.with_decryption, r.selector.as_ref())?)
                }
                None => invalid.push(Value::String(r.requested)),
            }
        }
        Ok(json!({ "Parameters": found, "InvalidParameters": invalid }))
    }

    async fn get_by_path(
        &self,
        caller: &Caller,
        req: GetParametersByPathRequest,
    ) -> ApiResult<Value> {
        let path = normalize_path(&required(req.path, "path")?);
        if path != "/" && (!path.starts_with('/') || ParameterName::new(path.as_str()).is_err()) {
            return Err(ApiError::validation(format!(
                "The parameter path `{path}` is not valid: expected `/` or a hierarchy such as `/dev` or `/dev/db`"
            )));
        }
        let recursive = req
            .recursive
            .map(|r| ("ssm:Recursive", r.to_string()))
            .into_iter()
            .collect::<Vec<_>>();
        self.check_read_with(caller, "GetParametersByPath", &path, &recursive)?;
        let max = check_max_results(req.max_results, 10, "maxResults")?;
        let filters = Filters::parse(&req.parameter_filters, false)?;
        let after = req.next_token.as_deref().map(decode_token).transpose()?;
        let all = self
            .store
            .get_parameters_by_path(&path, req.recursive.unwrap_or(false))
            .await
            .map_err(ApiError::from_store)?;
        let mut page = Vec::new();
        let mut more = false;
        let mut last = None;
        for p in all.iter().filter(|p| {
            filters.matches(p)
                && authorize_names(caller, p.name.as_str())
                && after.as_deref().is_none_or(|a| p.name.as_str() > a)
        }) {
            if page.len() == max {
                more = true;
                break;
            }
            page.push(self.parameter_json(p, req.with_decryption, None)?);
            last = Some(p.name.as_str());
        }
        let mut out = json!({ "Parameters": page });
        if more && let Some(last) = last {
            out["NextToken"] = json!(encode_token(last));
        }
        Ok(out)
    }

    async fn history(&self, caller: &Caller, req: GetParameterHistoryRequest) -> ApiResult<Value> {
        let requested = required(req.name, "name")?;
        let r = parse_name_ref(&requested, false)?;
        self.check_read(caller, "GetParameterHistory", r.name.as_str())?;
        let max = check_max_results(req.max_results, 50, "maxResults")?;
        let after: Option<u64> = match req.next_token.as_deref().map(decode_token).transpose()? {
            Some(t) => Some(t.parse().map_err(|_| {
                ApiError::new("InvalidNextToken", "The specified token isn't valid.")
            })?),
            None => None,
        };
        let versions = self
            .store
            .parameter_history(&r.name)
            .await
            .map_err(ApiError::from_store)?;
        if versions.is_empty() {
            return Err(ApiError::not_found(&r.requested));
        }
        let mut page = Vec::new();
        let mut more = false;
        let mut last = None;
        for p in versions
            .iter()
            .filter(|p| after.is_none_or(|a| p.version > a))
        {
            if page.len() == max {
                more = true;
                break;
            }
            let mut v = json!({
                "Name": p.name.as_str(),
                "Type": p.parameter_type().as_str(),
            });
            if p.parameter_type() == ParameterType::SecureString {
                v["KeyId"] = json!("alias/aws/ssm");
            }
            v["LastModifiedDate"] = json!(epoch_seconds(p));
            v["LastModifiedUser"] = json!(p.modified_by);
            if let Some(d) = &p.description {
                v["Description"] = json!(d);
            }
            v["Value"] = json!(self.value_of(p, req.with_decryption)?);
            v["Version"] = json!(p.version);
            v["Labels"] = json!([]);
            v["Tier"] = json!("Standard");
            v["Policies"] = json!([]);
            v["DataType"] = json!("text");
            page.push(v);
            last = Some(p.version);
        }
        let mut out = json!({ "Parameters": page });
        if more && let Some(last) = last {
            out["NextToken"] = json!(encode_token(&last.to_string()));
        }
        Ok(out)
    }

    async fn describe(&self, caller: &Caller, req: DescribeParametersRequest) -> ApiResult<Value> {
        // An account-level action: IAM asks for it on no parameter (the
        // stage-prefix rule then filters what is listed).
        self.check_role(caller, "DescribeParameters", &self.account_resource(), &[])?;
        let max = check_max_results(req.max_results, 50, "maxResults")?;
        // The legacy `Filters` (Name / Type / KeyId, all "Equals" except Name
        // which is "BeginsWith" as SSM treats it) map onto ParameterFilters.
        let mut pf: Vec<ParameterFilter> = Vec::new();
        for f in req.filters {
            let option = match f.key.as_str() {
                "Name" => "BeginsWith",
                "Type" => "Equals",
                other => {
                    return Err(ApiError::new(
                        "InvalidFilterKey",
                        format!("The filter `{other}` is not supported: use Name or Type."),
                    ));
                }
            };
            pf.push(ParameterFilter {
                key: f.key,
                option: Some(option.to_string()),
                values: f.values,
            });
        }
        pf.extend(req.parameter_filters);
        let filters = Filters::parse(&pf, true)?;
        let (path, recursive) = match &filters.path {
            Some((p, r)) => (normalize_path(p), *r),
            None => ("/".to_string(), true),
        };
        if path != "/" && (!path.starts_with('/') || ParameterName::new(path.as_str()).is_err()) {
            return Err(ApiError::new(
                "InvalidFilterValue",
                format!("The Path filter value `{path}` is not a valid parameter path."),
            ));
        }
        let after = req.next_token.as_deref().map(decode_token).transpose()?;
        let all = self
            .store
            .get_parameters_by_path(&path, recursive)
            .await
            .map_err(ApiError::from_store)?;
        let mut page = Vec::new();
        let mut more = false;
        let mut last = None;
        for p in all.iter().filter(|p| {
            filters.matches(p)
                && authorize_names(caller, p.name.as_str())
                && after.as_deref().is_none_or(|a| p.name.as_str() > a)
        }) {
            if page.len() == max {
                more = true;
                break;
            }
            let mut v = json!({
                "Name": p.name.as_str(),
                "ARN": self.arn(p.name.as_str()),
                "Type": p.parameter_type().as_str(),
            });
            if p.parameter_type() == ParameterType::SecureString {
                v["KeyId"] = json!("alias/aws/ssm");
            }
            v["LastModifiedDate"] = json!(epoch_seconds(p));
            v["LastModifiedUser"] = json!(p.modified_by);
            if let Some(d) = &p.description {
                v["Description"] = json!(d);
            }
            v["Version"] = json!(p.version);
            v["Tier"] = json!("Standard");
            v["Policies"] = json!([]);
            v["DataType"] = json!("text");
            page.push(v);
            last = Some(p.name.as_str());
        }
        let mut out = json!({ "Parameters": page });
        if more && let Some(last) = last {
            out["NextToken"] = json!(encode_token(last));
        }
        Ok(out)
    }

    async fn put(&self, caller: &Caller, req: PutParameterRequest) -> ApiResult<Value> {
        let requested = required(req.name, "name")?;
        let r = parse_name_ref(&requested, false)?;
        self.check_write(caller, "PutParameter", r.name.as_str())?;
        let value = required(req.value, "value")?;
        if let Some(dt) = req.data_type.as_deref()
            && dt != "text"
        {
            return Err(ApiError::validation(format!(
                "DataType `{dt}` is not supported by Lockgate: only `text`"
            )));
        }
        if let Some(tier) = req.tier.as_deref()
            && !matches!(tier, "Standard" | "Advanced" | "Intelligent-Tiering")
        {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value '{tier}' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]"
            )));
        }
        if req.allowed_pattern.is_some() {
            return Err(ApiError::validation(
                "AllowedPattern is not supported by Lockgate's parameter store",
            ));
        }
        if req.policies.is_some() {
            return Err(ApiError::validation(
                "parameter Policies are not supported by Lockgate's parameter store",
            ));
        }
        if let Some(d) = &req.description
            && d.chars().count() > 1024
        {
            return Err(ApiError::validation(format!(
                "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1024 (got {})",
                d.chars().count()
            )));
        }
        if req.overwrite && !req.tags.is_empty() {
            return Err(ApiError::validation(
                "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
            ));
        }
        let kind = match req.kind.as_deref() {
            Some(t) => ParameterType::parse(t).map_err(|_| {
                ApiError::validation(format!(
                    "1 validation error detected: Value '{t}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]"
                ))
            })?,
            None => match self
                .store
                .get_parameter(&r.name, None)
                .await
                .map_err(ApiError::from_store)?
            {
                Some(existing) if req.overwrite => existing.parameter_type(),
                Some(_) => return Err(ApiError::from_store(StoreError::AlreadyExists {
                    kind: "parameter",
                    name: r.name.to_string(),
                })),
                None => {
                    return Err(ApiError::validation(
                        "A parameter type is required when you create a parameter.",
                    ));
                }
            },
        };
        let new_value = match kind {
            ParameterType::String => NewParameterValue::String(value),
            ParameterType::StringList => {
                NewParameterValue::StringList(value.split(',').map(str::to_string).collect())
            }
            ParameterType::SecureString => {
                NewParameterValue::SecureString(SecretString::new(value))
            }
        };
        let version = self
            .store
            .put_parameter(PutParameter {
                name: r.name,
                value: new_value,
                description: req.description,
                overwrite: req.overwrite,
                actor: caller.actor(),
            })
            .await
            .map_err(ApiError::from_store)?;
        Ok(json!({ "Version": version, "Tier": "Standard" }))
    }

    async fn delete(&self, caller: &Caller, req: DeleteParameterRequest) -> ApiResult<Value> {
        let requested = required(req.name, "name")?;
        let r = parse_name_ref(&requested, false)?;
        self.check_write(caller, "DeleteParameter", r.name.as_str())?;
        let existed = self
            .store
            .delete_parameter(&caller.actor(), &r.name)
            .await
            .map_err(ApiError::from_store)?;
        if existed {
            Ok(json!({}))
        } else {
            Err(ApiError::not_found(&r.requested))
        }
    }

    async fn delete_many(&self, caller: &Caller, req: DeleteParametersRequest) -> ApiResult<Value> {
        let names = required(req.names, "names")?;
        check_names_len(&names, "names")?;
        let mut refs = Vec::new();
        for n in &names {
            let r = parse_name_ref(n, false)?;
            self.check_write(caller, "DeleteParameters", r.name.as_str())?;
            refs.push(r);
        }
        let mut deleted = Vec::new();
        let mut invalid = Vec::new();
        for r in refs {
            let existed = self
                .store
                .delete_parameter(&caller.actor(), &r.name)
                .await
                .map_err(ApiError::from_store)?;
            if existed {
                deleted.push(r.requested);
            } else {
                invalid.push(r.requested);
            }
        }
        Ok(json!({ "DeletedParameters": deleted, "InvalidParameters": invalid }))
    }
}

/// `LastModifiedDate` as SSM's JSON carries it: seconds since the epoch, with
/// milliseconds as the fraction.
fn epoch_seconds(p: &Parameter) -> f64 {
    p.modified_at.as_millis() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stage(app: &str, stage: &str) -> Caller {
        Caller::Stage {
            app: app.into(),
            stage: stage.into(),
            role: None,
        }
    }

    #[test]
    fn access_rule() {
        let dev = stage("greeter", "dev");
        for ok in [
            "/dev",
            "/dev/x",
            "/dev/db/password",
            "/greeter/dev",
            "/greeter/dev/key",
        ] {
            assert!(authorize_names(&dev, ok), "{ok}");
            assert!(authorize_names(&Caller::Admin, ok), "{ok}");
        }
        for denied in [
            "/",
            "/prod/x",
            "/greeter",
            "/greeter/prod/x",
            "/other/dev/x",
            "dev",
            "plain",
            "/devx/y",
            "/greeter/devx",
            "",
            "/greeter/dev2/x",
        ] {
            assert!(!authorize_names(&dev, denied), "{denied}");
        }
        assert!(authorize_names(&Caller::Admin, "plain"));
    }

    #[test]
    fn name_refs() {
        let r = parse_name_ref("/dev/db:3", true).unwrap();
        assert_eq!(r.name.as_str(), "/dev/db");
        assert!(matches!(r.selector, Some(Selector::Version(3))));
        let r =
            parse_name_ref("arn:aws:ssm:us-east-1:123456789012:parameter/dev/db", true).unwrap();
        assert_eq!(r.name.as_str(), "/dev/db");
        let r =
            parse_name_ref("arn:aws:ssm:us-east-1:123456789012:parameter/plain:2", true).unwrap();
        assert_eq!(r.name.as_str(), "plain");
        assert!(matches!(r.selector, Some(Selector::Version(2))));
        let r = parse_name_ref("/dev/db:live", true).unwrap();
        assert!(matches!(r.selector, Some(Selector::Label(_))));
        for bad in [
            "",
            "/dev/db:",
            "/dev/db:0",
            "arn:aws:s3:::bucket",
            "/aws/x",
            "/a b",
        ] {
            assert!(parse_name_ref(bad, true).is_err(), "{bad}");
        }
        assert!(parse_name_ref("/dev/db:3", false).is_err());
    }

    #[test]
    fn tokens_round_trip() {
        assert_eq!(decode_token(&encode_token("/dev/a")).unwrap(), "/dev/a");
        assert_eq!(
            decode_token("garbage!").unwrap_err().code,
            "InvalidNextToken"
        );
    }
}
