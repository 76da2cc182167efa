//! `AWS::Serverless::Function` (`SamFunction` in `model/sam_resources.py`):
//! the Lambda function, its execution role, alias and version, deployment
//! preference, URL, event invoke config and event sources.

pub mod code;
pub mod connectors;
pub mod deployment;
pub mod events;
pub mod extras;
pub mod policy_templates;
pub mod role;
pub mod version;

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource, passthrough_attributes};
use crate::error::ErrorItem;
use crate::ids::truthy;
use crate::intrinsics::{
    get_att, is_if, is_no_value, make_conditional, make_not_conditional, ref_,
};
use crate::props::{self, Check, Prop, p, pass, strict};

/// The type name of SAM functions.
pub const TYPE: &str = "AWS::Serverless::Function";

/// `SamFunction.property_types`, in declaration order.
pub const SPEC: &[Prop] = &[
    p("FunctionName", false, Check::StrOrMap),
    pass("Handler", false),
    pass("Runtime", false),
    pass("CodeUri", false),
    pass("ImageUri", false),
    pass("PackageType", false),
    pass("InlineCode", false),
    p("DeadLetterQueue", false, Check::Map),
    pass("Description", false),
    pass("MemorySize", false),
    pass("Timeout", false),
    pass("VpcConfig", false),
    p("Role", false, Check::Str),
    p("AssumeRolePolicyDocument", false, Check::Map),
    p("Policies", false, Check::StrMapOrList),
    pass("RolePath", false),
    p("PermissionsBoundary", false, Check::Str),
    p("Environment", false, Check::MapOfMaps),
    p("Events", false, Check::MapOfMaps),
    p("Tags", false, Check::Map),
    p("PropagateTags", false, Check::Bool),
    p("Tracing", false, Check::StrOrMap),
    pass("KmsKeyArn", false),
    p("DeploymentPreference", false, Check::Map),
    pass("ReservedConcurrentExecutions", false),
    p("Layers", false, Check::ListOfStrOrMap),
    p("EventInvokeConfig", false, Check::Map),
    pass("EphemeralStorage", false),
    p("AutoPublishAlias", false, Check::Str),
    p("AutoPublishCodeSha256", false, Check::Str),
    strict("AutoPublishAliasAllProperties", false, Check::Bool),
    pass("VersionDescription", false),
    pass("ProvisionedConcurrencyConfig", false),
    pass("FileSystemConfigs", false),
    pass("ImageConfig", false),
    pass("CodeSigningConfigArn", false),
    pass("Architectures", false),
    p("SnapStart", false, Check::Map),
    p("FunctionUrlConfig", false, Check::Map),
    pass("RuntimeManagementConfig", false),
    pass("LoggingConfig", false),
    pass("RecursiveLoop", false),
    pass("SourceKMSKeyArn", false),
    p("CapacityProviderConfig", false, Check::Map),
    p("FunctionScalingConfig", false, Check::Map),
    p(
        "VersionDeletionPolicy",
        false,
        Check::StrEnum(&["Delete", "Retain"]),
    ),
    pass("PublishToLatestPublished", false),
    pass("TenancyConfig", false),
    p("DurableConfig", false, Check::Map),
];

/// `AWS::Lambda::Function` property order.
const LAMBDA_ORDER: &[&str] = &[
    "Code",
    "PackageType",
    "DeadLetterConfig",
    "Description",
    "FunctionName",
    "Handler",
    "MemorySize",
    "Role",
    "Runtime",
    "Timeout",
    "VpcConfig",
    "Environment",
    "Tags",
    "TracingConfig",
    "KmsKeyArn",
    "Layers",
    "ReservedConcurrentExecutions",
    "FileSystemConfigs",
    "CodeSigningConfigArn",
    "ImageConfig",
    "Architectures",
    "SnapStart",
    "EphemeralStorage",
    "RuntimeManagementConfig",
    "LoggingConfig",
    "RecursiveLoop",
    "CapacityProviderConfig",
    "FunctionScalingConfig",
    "PublishToLatestPublished",
    "TenancyConfig",
    "DurableConfig",
];

/// Reorders a property map after a declared order (unknown keys last).
pub fn ordered(props: Map<String, Value>, order: &[&str]) -> Map<String, Value> {
    let mut out = Map::new();
    for key in order {
        if let Some(v) = props.get(*key) {
            out.insert((*key).to_string(), v.clone());
        }
    }
    for (k, v) in props {
        if !out.contains_key(&k) {
            out.insert(k, v);
        }
    }
    out
}

/// A SAM function as read from the template.
pub struct SamFunction {
    /// Logical ID.
    pub id: String,
    /// Properties after Globals and policy templates.
    pub props: Map<String, Value>,
    /// Resource attributes (`Condition`, `DeletionPolicy`, `UpdateReplacePolicy`, `UpdatePolicy`, `Metadata`).
    pub attrs: Map<String, Value>,
    /// `DependsOn`, when set.
    pub depends_on: Option<Value>,
}

impl SamFunction {
    /// A property, `null` counting as absent.
    pub fn get(&self, name: &str) -> Option<&Value> {
        props::get(&self.props, name)
    }

    /// Attributes passed on to generated resources.
    pub fn passthrough(&self) -> Map<String, Value> {
        passthrough_attributes(&self.attrs)
    }

    fn err(&self, message: impl Into<String>) -> ErrorItem {
        ErrorItem::resource(&self.id, message)
    }
}

/// Reads the resource attributes the translator supports on SAM resources.
pub fn resource_attributes(resource: &Value) -> Map<String, Value> {
    let mut attrs = Map::new();
    for key in [
        "DeletionPolicy",
        "UpdatePolicy",
        "Condition",
        "UpdateReplacePolicy",
        "Metadata",
    ] {
        if let Some(v) = resource.get(key) {
            attrs.insert(key.to_string(), v.clone());
        }
    }
    attrs
}

/// `_construct_tag_list`: the SAM tag first, then the user's tags.
pub fn tag_list(logical_id: &str, tags: Option<&Value>) -> Result<Vec<Value>, ErrorItem> {
    let empty = Map::new();
    let tags = tags.and_then(Value::as_object).unwrap_or(&empty);
    for reserved in [
        "lambda:createdBy",
        "serverlessrepo:applicationId",
        "serverlessrepo:semanticVersion",
    ] {
        if tags.contains_key(reserved) {
            return Err(ErrorItem::resource(
                logical_id,
                format!(
                    "{reserved} is a reserved Tag key name and cannot be set on your resource. Please change the tag key in the input."
                ),
            ));
        }
    }
    let mut out = vec![json!({"Key": "lambda:createdBy", "Value": "SAM"})];
    out.extend(user_tags(Some(&Value::Object(tags.clone()))));
    Ok(out)
}

/// `get_tag_list`: `{k: v}` → `[{"Key": k, "Value": v}]` (null values become "").
pub fn user_tags(tags: Option<&Value>) -> Vec<Value> {
    let Some(Value::Object(m)) = tags else {
        return Vec::new();
    };
    m.iter()
        .map(|(k, v)| {
            let v = if v.is_null() {
                Value::String(String::new())
            } else {
                v.clone()
            };
            json!({"Key": k, "Value": v})
        })
        .collect()
}

/// Resource types whose model has a `Tags` property (the ones `propagate_tags` touches).
const TAGGABLE: &[&str] = &[
    "AWS::Lambda::Function",
    "AWS::IAM::Role",
    "AWS::SQS::Queue",
    "AWS::SNS::Topic",
    "AWS::S3::Bucket",
    "AWS::CodeDeploy::Application",
    "AWS::CodeDeploy::DeploymentGroup",
    "AWS::DynamoDB::Table",
    "AWS::CloudFormation::Stack",
    "AWS::IoT::TopicRule",
    "AWS::StepFunctions::StateMachine",
    "AWS::ApiGateway::RestApi",
    "AWS::ApiGateway::Stage",
    "AWS::ApiGateway::ApiKey",
    "AWS::ApiGateway::UsagePlan",
    "AWS::ApiGateway::DomainName",
    "AWS::ApiGateway::DomainNameV2",
    "AWS::ApiGateway::ClientCertificate",
];

/// `propagate_tags`: replaces `Tags` on every generated resource that has them.
pub fn propagate_tags(resources: &mut [Resource], tags: Option<&Value>, propagate: bool) {
    let Some(tags) = tags.filter(|t| !crate::ids::is_falsy(t)) else {
        return;
    };
    if !propagate {
        return;
    }
    for r in resources.iter_mut() {
        if TAGGABLE.contains(&r.resource_type.as_str()) {
            r.properties
                .insert("Tags".into(), Value::Array(user_tags(Some(tags))));
        }
    }
}

/// Reads a SAM function the way `from_dict` does: policy templates expanded,
/// unknown and mistyped properties rejected.
pub fn read(ctx: &Ctx, logical_id: &str, resource: &Value) -> Result<SamFunction, ErrorItem> {
    let mut props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    policy_templates::expand(ctx, logical_id, &mut props)?;
    props::validate(logical_id, TYPE, &props, SPEC)?;
    Ok(SamFunction {
        id: logical_id.to_string(),
        props,
        attrs: resource_attributes(resource),
        depends_on: resource.get("DependsOn").cloned(),
    })
}

/// Translates one SAM function.
pub fn translate(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let f = read(ctx, logical_id, resource)?;
    let linked = events::resources_to_link(ctx, &f)?;
    to_cloudformation(ctx, &f, resource, linked)
}

fn validation_rules(f: &SamFunction) -> Result<(), ErrorItem> {
    let mut messages = Vec::new();
    for pair in [
        ["CapacityProviderConfig", "ProvisionedConcurrencyConfig"],
        ["CapacityProviderConfig", "VpcConfig"],
    ] {
        if pair.iter().all(|k| f.get(k).is_some()) {
            messages.push(format!(
                "Cannot specify '{}' and '{}' together.",
                pair[0], pair[1]
            ));
        }
    }
    for (a, b) in [
        ("FunctionScalingConfig", "CapacityProviderConfig"),
        ("VersionDeletionPolicy", "AutoPublishAlias"),
    ] {
        if f.get(a).is_some() && f.get(b).is_none() {
            messages.push(format!("'{a}' requires '{b}'."));
        }
    }
    if messages.is_empty() {
        Ok(())
    } else {
        Err(f.err(messages.join("\n")))
    }
}

fn validate_dlq(f: &SamFunction, dlq: &Value) -> Result<(), ErrorItem> {
    let dlq_type = dlq.get("Type");
    if !truthy(dlq_type) || !truthy(dlq.get("TargetArn")) {
        return Err(
            f.err("'DeadLetterQueue' requires Type and TargetArn properties to be specified.")
        );
    }
    let Some(t) = dlq_type.and_then(Value::as_str) else {
        return Err(f.err("Property 'DeadLetterQueue.Type' should be a string."));
    };
    if t != "SQS" && t != "SNS" {
        return Err(f.err("'DeadLetterQueue' requires Type of ['SQS', 'SNS']"));
    }
    Ok(())
}

fn validate_tenancy(f: &SamFunction) -> Result<(), ErrorItem> {
    if !truthy(f.get("TenancyConfig")) {
        return Ok(());
    }
    if truthy(f.get("ProvisionedConcurrencyConfig")) {
        return Err(f.err("Provisioned concurrency is not supported for functions enabled with tenancy configuration."));
    }
    if truthy(f.get("FunctionUrlConfig")) {
        return Err(f.err(
            "Function URL is not supported for functions enabled with tenancy configuration.",
        ));
    }
    if truthy(f.get("SnapStart")) {
        return Err(
            f.err("SnapStart is not supported for functions enabled with tenancy configuration.")
        );
    }
    if let Some(Value::Object(evs)) = f.get("Events") {
        for ev in evs.values() {
            let t = ev.get("Type").cloned().unwrap_or(Value::Null);
            if t.as_str() != Some("Api") && t.as_str() != Some("HttpApi") {
                return Err(f.err(format!(
                    "Event source '{}' is not supported for functions enabled with tenancy configuration. Only Api and HttpApi event sources are supported.",
                    crate::intrinsics::py_str(&t)
                )));
            }
        }
    }
    Ok(())
}

/// `_construct_lambda_function`.
fn construct_lambda(ctx: &Ctx, f: &SamFunction) -> Result<Resource, ErrorItem> {
    let mut r = Resource::new(&f.id, "AWS::Lambda::Function").with_attrs(&f.attrs);
    if let Some(d) = &f.depends_on {
        r.attributes.insert("DependsOn".into(), d.clone());
    }
    let mut pr = Map::new();
    let copy = |pr: &mut Map<String, Value>, from: &str, to: &str| {
        if let Some(v) = f.get(from) {
            pr.insert(to.to_string(), v.clone());
        }
    };
    if truthy(f.get("FunctionName")) {
        copy(&mut pr, "FunctionName", "FunctionName");
    }
    for k in [
        "Handler",
        "Runtime",
        "Description",
        "MemorySize",
        "Timeout",
        "VpcConfig",
        "Role",
        "Environment",
    ] {
        copy(&mut pr, k, k);
    }
    pr.insert("Code".into(), Value::Object(code::construct(f)?));
    for k in ["KmsKeyArn", "ReservedConcurrentExecutions"] {
        copy(&mut pr, k, k);
    }
    pr.insert("Tags".into(), Value::Array(tag_list(&f.id, f.get("Tags"))?));
    for k in [
        "Layers",
        "FileSystemConfigs",
        "ImageConfig",
        "PackageType",
        "Architectures",
        "SnapStart",
        "EphemeralStorage",
    ] {
        copy(&mut pr, k, k);
    }
    if let Some(tracing) = f.get("Tracing")
        && !crate::ids::is_falsy(tracing)
    {
        let resolved = ctx.resolve_params(tracing)?;
        if resolved.as_str() != Some("Disabled") {
            pr.insert("TracingConfig".into(), json!({"Mode": tracing}));
        }
    }
    if let Some(dlq) = f
        .get("DeadLetterQueue")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        pr.insert(
            "DeadLetterConfig".into(),
            json!({"TargetArn": dlq.get("TargetArn").cloned().unwrap_or(Value::Null)}),
        );
    }
    for k in [
        "CodeSigningConfigArn",
        "RuntimeManagementConfig",
        "LoggingConfig",
        "TenancyConfig",
        "RecursiveLoop",
        "DurableConfig",
    ] {
        copy(&mut pr, k, k);
    }
    if let Some(cp) = f
        .get("CapacityProviderConfig")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        pr.insert(
            "CapacityProviderConfig".into(),
            extras::capacity_provider_config(f, cp)?,
        );
    }
    if truthy(f.get("FunctionScalingConfig")) {
        copy(&mut pr, "FunctionScalingConfig", "FunctionScalingConfig");
    }
    copy(
        &mut pr,
        "PublishToLatestPublished",
        "PublishToLatestPublished",
    );
    r.properties = pr;
    code::validate_package_type(&r)?;
    Ok(r)
}

/// `SamFunction.to_cloudformation`.
fn to_cloudformation(
    ctx: &mut Ctx,
    f: &SamFunction,
    sam_resource: &Value,
    linked: events::Linked,
) -> Result<Vec<Resource>, ErrorItem> {
    validation_rules(f)?;
    if let Some(dlq) = f
        .get("DeadLetterQueue")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        validate_dlq(f, dlq)?;
    }
    validate_tenancy(f)?;

    let mut lambda = construct_lambda(ctx, f)?;

    if truthy(f.get("ProvisionedConcurrencyConfig")) && !truthy(f.get("AutoPublishAlias")) {
        return Err(f.err(
            "To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function",
        ));
    }

    let mut alias: Option<Resource> = None;
    let mut version_res: Option<Resource> = None;
    let mut alias_name = String::new();
    if let Some(apa) = f
        .get("AutoPublishAlias")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        alias_name = version::resolved_alias_name(ctx, f, "AutoPublishAlias", apa)?;
        let code_sha256 = version::apply_code_sha256(ctx, f, &mut lambda)?;
        let v = version::construct_version(ctx, f, &mut lambda, code_sha256.as_deref())?;
        let a = version::construct_alias(f, &alias_name, &lambda, &v)?;
        version_res = Some(v);
        alias = Some(a);
    }

    let mut resources: Vec<Resource> = Vec::new();
    let mut url_resources = Vec::new();
    if let Some(url) = f
        .get("FunctionUrlConfig")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        url_resources = extras::function_url(f, &lambda, alias.as_ref(), url)?;
    }

    deployment::validate_and_add(ctx, f, alias.as_mut())?;

    let mut invoke_resources = Vec::new();
    let mut invoke_policies = Vec::new();
    if let Some(eic) = f
        .get("EventInvokeConfig")
        .filter(|v| !crate::ids::is_falsy(v))
    {
        let (res, pols) = extras::event_invoke_config(
            ctx,
            f,
            &lambda.logical_id,
            &alias_name,
            alias.as_ref(),
            eic,
        )?;
        invoke_resources = res;
        invoke_policies = pols;
    }

    let mut execution_role = role::construct(ctx, f, invoke_policies)?;
    let mut emit_role = false;
    match lambda.properties.get("Role").cloned() {
        None => {
            lambda
                .properties
                .insert("Role".into(), get_att(&execution_role.logical_id, "Arn"));
            emit_role = true;
        }
        Some(role_value) if is_if(&role_value) => {
            let arn = get_att(&execution_role.logical_id, "Arn");
            let resolved = ctx.resolve_params(&role_value)?;
            let items = crate::intrinsics::if_items(&resolved)
                .map_err(|e| f.err(format!("Malformed 'Role' property: {e}.")))?
                .to_vec();
            let cond = crate::intrinsics::py_str(&items[0]);
            if is_no_value(&items[1]) && is_no_value(&items[2]) {
                lambda.properties.insert("Role".into(), arn);
                emit_role = true;
            } else if is_no_value(&items[1]) {
                lambda.properties.insert(
                    "Role".into(),
                    make_conditional(&cond, arn, Some(items[2].clone())),
                );
                execution_role
                    .attributes
                    .insert("Condition".into(), items[0].clone());
                emit_role = true;
            } else if is_no_value(&items[2]) {
                lambda.properties.insert(
                    "Role".into(),
                    make_conditional(&cond, items[1].clone(), Some(arn)),
                );
                let not_cond = format!("NOT{cond}");
                execution_role
                    .attributes
                    .insert("Condition".into(), Value::String(not_cond.clone()));
                ctx.new_conditions
                    .insert(not_cond, make_not_conditional(&cond));
                emit_role = true;
            }
        }
        Some(_) => {}
    }

    lambda.properties = ordered(std::mem::take(&mut lambda.properties), LAMBDA_ORDER);

    let event_resources = events::generate(
        ctx,
        f,
        sam_resource,
        &lambda,
        alias.as_ref(),
        &mut execution_role,
        linked,
    )
    .map_err(|e| match e {
        ErrorItem::InvalidEvent { .. } => f.err(e.to_string()),
        other => other,
    })?;

    resources.push(lambda);
    if let Some(v) = version_res {
        resources.push(v);
    }
    if let Some(a) = alias {
        resources.push(a);
    }
    resources.extend(url_resources);
    resources.extend(invoke_resources);
    if emit_role {
        resources.push(execution_role);
    }
    resources.extend(event_resources);

    let propagate = f
        .get("PropagateTags")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    propagate_tags(&mut resources, f.get("Tags"), propagate);

    for r in &resources {
        let prop = match r.resource_type.as_str() {
            "AWS::Lambda::Alias" => "Alias",
            "AWS::Lambda::Version" => "Version",
            "AWS::SNS::Topic" => "DestinationTopic",
            "AWS::SQS::Queue" => "DestinationQueue",
            _ => continue,
        };
        // The last generated resource of a type wins, as in the translator's dict.
        ctx.add_resource_ref(&f.id, prop, &r.logical_id);
    }
    Ok(resources)
}

/// `{"Ref": id}` of a generated resource's name.
pub fn name_of(r: &Resource) -> Value {
    ref_(&r.logical_id)
}
