//! `AWS::Serverless::Application` → `AWS::CloudFormation::Stack`
//! (`SamApplication`), and the translator's `ServerlessAppPlugin`, which
//! turns an application of the Serverless Application Repository
//! (`Location: {ApplicationId, SemanticVersion}`) into the URL of its
//! template through a [`ServerlessRepo`].
//!
//! A `Location` that is a string (an S3 URL, or the location `sam package`
//! gave a local template) is the nested stack's `TemplateURL` as it stands.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use crate::ctx::{Ctx, Resource};
use crate::error::ErrorItem;
use crate::function::{resource_attributes, tag_list};
use crate::props::{self, Check, Prop, p};

const TYPE: &str = "AWS::Serverless::Application";

pub(crate) const SPEC: &[Prop] = &[
    p("Location", true, Check::StrOrMap),
    p("TemplateUrl", false, Check::Str),
    p("Parameters", false, Check::Map),
    p("NotificationARNs", false, Check::ListOfStrOrMap),
    p("Tags", false, Check::Map),
    p("TimeoutInMinutes", false, Check::Int),
];

/// Where an application's template stands in the repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateStatus {
    /// Ready to deploy.
    Active,
    /// Being copied; [`ServerlessRepo::wait_until_active`] waits for it.
    Preparing,
}

/// The repository's answer to `CreateCloudFormationTemplate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoTemplate {
    /// The (pre-signed) URL of the template, the nested stack's `TemplateURL`.
    pub template_url: String,
    /// The template's ID, to ask about its status.
    pub template_id: String,
    /// Whether it is ready.
    pub status: TemplateStatus,
}

/// The repository refused a request; the message is shown as the
/// translator shows SAR's errors (`Resource with id [X] is invalid. MESSAGE`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RepoError {
    /// What the repository said.
    pub message: String,
}

/// The AWS Serverless Application Repository, as the translator's plugin
/// calls it.
pub trait ServerlessRepo: Send + Sync {
    /// `CreateCloudFormationTemplate` for an application version.
    fn create_template(
        &self,
        application_id: &str,
        semantic_version: &str,
    ) -> Result<RepoTemplate, RepoError>;

    /// Waits (within the translator's time limit) for templates that were
    /// [`TemplateStatus::Preparing`]: `(application ID, template ID)` pairs in,
    /// the pairs still not active out.
    fn wait_until_active(
        &self,
        pending: &[(String, String)],
    ) -> Result<Vec<(String, String)>, RepoError>;
}

/// What the plugin learnt of one `(ApplicationId, SemanticVersion)`.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// The template's URL.
    Url(String),
    /// An intrinsic the plugin could not resolve (refused per resource later).
    Unresolved,
    /// Why the application cannot be used.
    Failed(ErrorItem),
}

/// The plugin's state across one transform.
#[derive(Debug, Clone, Default)]
pub struct Applications {
    resolved: HashMap<(String, String), Resolution>,
    pending: Vec<(String, String)>,
}

fn key(app_id: &Value, semver: &Value) -> (String, String) {
    (app_id.to_string(), semver.to_string())
}

fn can_process(props: &Map<String, Value>) -> bool {
    props
        .get("Location")
        .and_then(Value::as_object)
        .is_some_and(|l| {
            l.get("ApplicationId").is_some_and(|v| !v.is_null())
                && l.get("SemanticVersion").is_some_and(|v| !v.is_null())
        })
}

/// Whether the text holds an SSM dynamic reference (`{{resolve:ssm:NAME[:N]}}`).
fn has_ssm_reference(s: &str) -> bool {
    let mut rest = s;
    while let Some(i) = rest.find("{{resolve:ssm:") {
        let after = &rest[i + "{{resolve:ssm:".len()..];
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-/".contains(c)))
            .unwrap_or(after.len());
        let tail = &after[name_len..];
        let tail = match tail.strip_prefix(':') {
            Some(t) => t.trim_start_matches(|c: char| c.is_ascii_digit()),
            None => tail,
        };
        if name_len > 0 && tail.starts_with("}}") {
            return true;
        }
        rest = after;
    }
    false
}

/// `on_before_transform_template`: resolves each application's ID and
/// version (parameters, then `Fn::FindInMap`), writes them back into the
/// template, and asks the repository for each distinct pair once.
pub fn before_translate(ctx: &mut Ctx) -> Result<(), ErrorItem> {
    let mappings = ctx
        .template
        .get("Mappings")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let ids: Vec<String> = ctx
        .resources()
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(TYPE))
        .map(|(id, _)| id.clone())
        .collect();
    for logical_id in ids {
        let Some(props) = ctx
            .resources()
            .get(&logical_id)
            .and_then(|r| r.get("Properties"))
            .and_then(Value::as_object)
            .cloned()
        else {
            continue;
        };
        if !can_process(&props) {
            continue;
        }
        let mut location = props["Location"].as_object().cloned().unwrap_or_default();
        let mut resolve = |k: &str| -> Result<Value, ErrorItem> {
            let v = location.get(k).cloned().unwrap_or(Value::Null);
            let v = ctx.resolve_params(&v)?;
            let v = crate::intrinsics::resolve_find_in_map(&v, &mappings)?;
            location.insert(k.to_string(), v.clone());
            Ok(v)
        };
        let app_id = resolve("ApplicationId")?;
        let semver = resolve("SemanticVersion")?;
        if let Some(Value::Object(p)) = ctx
            .resources_mut()
            .get_mut(&logical_id)
            .and_then(|r| r.get_mut("Properties"))
        {
            p.insert("Location".into(), Value::Object(location));
        }
        let k = key(&app_id, &semver);
        if app_id.is_object() || semver.is_object() {
            ctx.applications.resolved.insert(k, Resolution::Unresolved);
            continue;
        }
        if ctx.applications.resolved.contains_key(&k) {
            continue;
        }
        let resolution = match (app_id.as_str(), semver.as_str()) {
            (None, _) => Resolution::Failed(ErrorItem::resource(
                &logical_id,
                "Property 'Location.ApplicationId' should be a string.",
            )),
            (_, None) => Resolution::Failed(ErrorItem::resource(
                &logical_id,
                "Property 'Location.SemanticVersion' should be a string.",
            )),
            (Some(id), _) if has_ssm_reference(id) => Resolution::Failed(ErrorItem::resource(
                &logical_id,
                "Serverless Application Repostiory does not support dynamic reference in 'ApplicationId' property.",
            )),
            (Some(id), Some(version)) => match &ctx.opts.serverless_repo {
                None => Resolution::Failed(ErrorItem::resource(
                    &logical_id,
                    format!(
                        "Cannot access application: {id}. The AWS Serverless Application Repository needs network access to AWS, which Lockgate does not have: give 'Location' the path of a local template (or an S3 URL) instead."
                    ),
                )),
                Some(repo) => match repo.create_template(id, version) {
                    Ok(t) => {
                        if t.status != TemplateStatus::Active {
                            ctx.applications
                                .pending
                                .push((id.to_string(), t.template_id.clone()));
                        }
                        Resolution::Url(t.template_url)
                    }
                    Err(e) => Resolution::Failed(ErrorItem::resource(&logical_id, e.message)),
                },
            },
        };
        ctx.applications.resolved.insert(k, resolution);
    }
    Ok(())
}

/// `on_after_transform_template`: waits for templates still being prepared.
pub fn after_translate(ctx: &Ctx) -> Result<(), ErrorItem> {
    let pending = &ctx.applications.pending;
    if pending.is_empty() {
        return Ok(());
    }
    let Some(repo) = &ctx.opts.serverless_repo else {
        return Ok(());
    };
    let left = repo
        .wait_until_active(pending)
        .map_err(|e| ErrorItem::Other { message: e.message })?;
    if left.is_empty() {
        return Ok(());
    }
    let ids: Vec<&str> = left.iter().map(|(a, _)| a.as_str()).collect();
    Err(ErrorItem::resource(
        crate::intrinsics::py_list(&ids),
        "Timed out waiting for nested stack templates to reach ACTIVE status.",
    ))
}

fn missing(logical_id: &str, key: &str) -> ErrorItem {
    ErrorItem::resource(
        logical_id,
        format!("Resource is missing the required [{key}] property."),
    )
}

/// Translates one application into its nested stack.
pub fn translate(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    let mut props = resource
        .get("Properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    // on_before_transform_resource
    let Some(location) = props.get("Location").cloned() else {
        return Err(missing(logical_id, "Location"));
    };
    match &location {
        Value::Object(loc) => {
            for k in ["ApplicationId", "SemanticVersion"] {
                if !loc.contains_key(k) {
                    return Err(missing(logical_id, k));
                }
            }
            let app_id = &loc["ApplicationId"];
            if app_id.is_null() {
                return Err(ErrorItem::resource(
                    logical_id,
                    "Property 'ApplicationId' is required.",
                ));
            }
            if app_id.is_object() {
                return Err(ErrorItem::resource(
                    logical_id,
                    "Property 'ApplicationId' cannot be resolved. Only FindInMap and Ref intrinsic functions are supported.",
                ));
            }
            let semver = &loc["SemanticVersion"];
            if crate::ids::is_falsy(semver) {
                return Err(ErrorItem::resource(
                    logical_id,
                    "Property 'SemanticVersion' cannot be blank.",
                ));
            }
            if semver.is_object() {
                return Err(ErrorItem::resource(
                    logical_id,
                    "Property 'SemanticVersion' cannot be resolved. Only FindInMap and Ref intrinsic functions are supported.",
                ));
            }
            match ctx.applications.resolved.get(&key(app_id, semver)) {
                Some(Resolution::Failed(e)) => return Err(e.clone()),
                Some(Resolution::Url(url)) => {
                    props.insert("TemplateUrl".into(), Value::String(url.clone()));
                }
                Some(Resolution::Unresolved) | None => {}
            }
        }
        other => {
            props.insert("TemplateUrl".into(), other.clone());
        }
    }
    props::validate(logical_id, TYPE, &props, SPEC)?;

    let attrs = resource_attributes(resource);
    let mut stack = Resource::new(logical_id, "AWS::CloudFormation::Stack")
        .with_attrs(&crate::ctx::passthrough_attributes(&attrs));
    if let Some(d) = resource
        .get("DependsOn")
        .filter(|d| !crate::ids::is_falsy(d))
    {
        stack.attributes.insert("DependsOn".into(), d.clone());
    }
    let set = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    let pr = &mut stack.properties;
    if let Some(v) = set(props.get("Parameters")) {
        pr.insert("Parameters".into(), v);
    }
    if let Some(v) = set(props.get("NotificationARNs")) {
        pr.insert("NotificationARNs".into(), v);
    }
    // The SAM tag, the repository's tags, then the user's.
    let mut app_tags = Map::new();
    if let Some(Value::Object(loc)) = props.get("Location") {
        for (k, tag) in [
            ("ApplicationId", "serverlessrepo:applicationId"),
            ("SemanticVersion", "serverlessrepo:semanticVersion"),
        ] {
            if let Some(v) = loc.get(k).filter(|v| !v.is_null()) {
                app_tags.insert(tag.into(), v.clone());
            }
        }
    }
    let mut tags = tag_list(logical_id, props.get("Tags"))?;
    let user = tags.split_off(1);
    tags.extend(crate::function::user_tags(Some(&Value::Object(app_tags))));
    tags.extend(user);
    pr.insert("Tags".into(), Value::Array(tags));
    if let Some(v) = set(props.get("TimeoutInMinutes")) {
        pr.insert("TimeoutInMinutes".into(), v);
    }
    let url = set(props.get("TemplateUrl"))
        .filter(|v| !crate::ids::is_falsy(v))
        .unwrap_or_else(|| json!(""));
    pr.insert("TemplateURL".into(), url);
    Ok(vec![stack])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssm_references_are_found() {
        assert!(has_ssm_reference("{{resolve:ssm:/a/b}}"));
        assert!(has_ssm_reference("x{{resolve:ssm:/a/b:3}}"));
        assert!(!has_ssm_reference("{{resolve:ssm:}}"));
        assert!(!has_ssm_reference(
            "arn:aws:serverlessrepo:us-east-1:1:applications/x"
        ));
    }
}
