//! State shared by the steps of one transform.
//!
//! Ownership of the fields follows the modules that fill them: the
//! orchestration in `lib.rs` and `function/` own the function side, `api/rest`
//! the REST APIs, `api/http` the HTTP APIs, `api/domain` and `api/usage_plan`
//! custom domains and usage plans.

use serde_json::{Map, Value};

use crate::TransformOptions;

/// One CloudFormation resource produced by the transform.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The logical ID it gets in the output template.
    pub logical_id: String,
    /// `Type`, e.g. `AWS::Lambda::Function`.
    pub resource_type: String,
    /// `Properties` (always written, even when empty, as the translator does).
    pub properties: Map<String, Value>,
    /// Resource attributes: `Condition`, `DependsOn`, `DeletionPolicy`,
    /// `UpdateReplacePolicy`, `UpdatePolicy`, `Metadata`.
    pub attributes: Map<String, Value>,
}

impl Resource {
    /// A resource with no properties or attributes yet.
    pub fn new(logical_id: impl Into<String>, resource_type: impl Into<String>) -> Self {
        Resource {
            logical_id: logical_id.into(),
            resource_type: resource_type.into(),
            properties: Map::new(),
            attributes: Map::new(),
        }
    }

    /// The resource a template entry describes: its `Properties`, and every
    /// other key but `Type` as an attribute (a non-map entry gives an empty resource).
    pub fn from_template(
        logical_id: impl Into<String>,
        resource_type: impl Into<String>,
        entry: &Value,
    ) -> Self {
        let mut r = Resource::new(logical_id, resource_type);
        if let Value::Object(m) = entry {
            r.properties = m
                .get("Properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            for (k, v) in m {
                if k != "Type" && k != "Properties" {
                    r.attributes.insert(k.clone(), v.clone());
                }
            }
        }
        r
    }

    /// Sets a property (builder style).
    pub fn prop(mut self, key: &str, value: Value) -> Self {
        self.properties.insert(key.to_string(), value);
        self
    }

    /// Sets resource attributes (builder style).
    pub fn with_attrs(mut self, attrs: &Map<String, Value>) -> Self {
        for (k, v) in attrs {
            self.attributes.insert(k.clone(), v.clone());
        }
        self
    }

    /// `get_passthrough_resource_attributes()`: `Condition`, `DeletionPolicy`
    /// and `UpdateReplacePolicy`, for resources generated from this one.
    pub fn passthrough_attributes(&self) -> Map<String, Value> {
        passthrough_attributes(&self.attributes)
    }

    /// Sets a property when the value is present.
    pub fn set_opt(&mut self, key: &str, value: Option<Value>) {
        if let Some(v) = value {
            self.properties.insert(key.to_string(), v);
        }
    }

    /// The resource as it stands in a template: `{"Type": …, "Properties": …, attributes…}`.
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("Type".into(), Value::String(self.resource_type.clone()));
        if let Some(d) = self.attributes.get("DependsOn") {
            m.insert("DependsOn".into(), d.clone());
        }
        for (k, v) in &self.attributes {
            if k != "DependsOn" {
                m.insert(k.clone(), v.clone());
            }
        }
        m.insert("Properties".into(), Value::Object(self.properties.clone()));
        Value::Object(m)
    }
}

/// The attributes a SAM resource passes on to the resources made from it.
pub fn passthrough_attributes(attrs: &Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for key in ["Condition", "DeletionPolicy", "UpdateReplacePolicy"] {
        if let Some(v) = attrs.get(key) {
            out.insert(key.to_string(), v.clone());
        }
    }
    out
}

/// Everything one transform reads and accumulates.
pub struct Ctx {
    /// Caller's options (region, partition, parameter values, managed policy map).
    pub opts: TransformOptions,
    /// Parameter values the translator may resolve: overrides, then template
    /// defaults, then pseudo parameters (`AWS::Region`, `AWS::Partition`, …).
    pub parameter_values: Map<String, Value>,
    /// The SAM template as the plugins leave it (globals merged, implicit APIs
    /// added, events moved into API definitions). Translation reads resources
    /// from here and may update not-yet-translated ones (an `Api` event edits
    /// its API's definition body).
    pub template: Map<String, Value>,
    /// Causes collected so far; the transform fails if any are left at the end.
    pub errors: Vec<ErrorItemList>,
    /// `Ref`-able references such as `MyFunction.Alias` → generated logical IDs.
    pub resource_refs: Map<String, Value>,
    /// Logical IDs renamed by the transform (old → new), for `DependsOn` and `Ref`.
    pub changed_logical_ids: Map<String, Value>,
    /// Route 53 record set groups shared by APIs on the same hosted zone
    /// (logical ID → resource), filled by `api::domain`.
    pub route53_record_set_groups: Map<String, Value>,
    /// State of `DeploymentPreference` across functions, filled by `function`.
    pub deployment_preferences: crate::function::deployment::Collection,
    /// State of `UsagePlan: {CreateUsagePlan: SHARED}` across APIs.
    pub shared_usage_plan: crate::api::usage_plan::SharedUsagePlan,
    /// The template's `Mappings` (for `Fn::FindInMap` where the translator resolves it).
    pub mappings: Map<String, Value>,
    /// Conditions the transform adds to the output's `Conditions` section.
    pub new_conditions: Map<String, Value>,
    /// What the Serverless Application Repository said of each application.
    pub applications: crate::application::Applications,
}

/// Alias kept short for the error list type.
pub type ErrorItemList = crate::error::ErrorItem;

impl Ctx {
    /// Adds `conds` to the template's `Conditions` (made a map first if it is not one).
    pub fn add_conditions(&mut self, conds: Map<String, Value>) {
        let c = self
            .template
            .entry("Conditions")
            .or_insert_with(|| Value::Object(Map::new()));
        if !c.is_object() {
            *c = Value::Object(Map::new());
        }
        if let Value::Object(c) = c {
            c.extend(conds);
        }
    }

    /// A fresh context for one transform of `template` (parameters resolved by the caller).
    pub fn new(
        opts: TransformOptions,
        parameter_values: Map<String, Value>,
        template: Map<String, Value>,
    ) -> Self {
        Ctx {
            opts,
            parameter_values,
            template,
            errors: Vec::new(),
            resource_refs: Map::new(),
            changed_logical_ids: Map::new(),
            route53_record_set_groups: Map::new(),
            deployment_preferences: Default::default(),
            shared_usage_plan: Default::default(),
            mappings: Map::new(),
            new_conditions: Map::new(),
            applications: Default::default(),
        }
    }

    /// `resolve_parameter_refs` with this transform's parameter values.
    pub fn resolve_params(&self, v: &Value) -> Result<Value, crate::error::ErrorItem> {
        crate::intrinsics::resolve_parameter_refs(v, &self.parameter_values)
    }

    /// Records `LogicalId.Property` → generated logical ID for `Ref`/`GetAtt` rewriting.
    pub fn add_resource_ref(&mut self, logical_id: &str, property: &str, target: &str) {
        self.resource_refs.insert(
            format!("{logical_id}.{property}"),
            Value::String(target.to_string()),
        );
    }

    /// The template's `Conditions` section (empty map when absent).
    pub fn conditions(&self) -> Map<String, Value> {
        self.template
            .get("Conditions")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    /// The template's `Resources` section.
    pub fn resources(&self) -> &Map<String, Value> {
        static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
        self.template
            .get("Resources")
            .and_then(Value::as_object)
            .unwrap_or_else(|| EMPTY.get_or_init(Map::new))
    }

    /// Mutable access to the template's `Resources` section.
    pub fn resources_mut(&mut self) -> &mut Map<String, Value> {
        let entry = self
            .template
            .entry("Resources")
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("just made an object")
    }
}

/// What an event source of a function sees of that function while the
/// function is translated (the translator's `to_cloudformation(**kwargs)`).
#[derive(Debug, Clone, Copy)]
pub struct FunctionEvent<'a> {
    /// The SAM function's logical ID.
    pub function_id: &'a str,
    /// The SAM function resource as written (after Globals), with its attributes.
    pub sam_function: &'a Value,
    /// The generated `AWS::Lambda::Function`.
    pub function: &'a Resource,
    /// The generated `AWS::Lambda::Alias` when `AutoPublishAlias` is set:
    /// events then target the alias instead of the function.
    pub alias: Option<&'a Resource>,
    /// The generated execution role, when SAM made one.
    pub role: Option<&'a Resource>,
    /// The event's key under `Events`.
    pub event_id: &'a str,
    /// The event as written: `{"Type": …, "Properties": …}`.
    pub event: &'a Value,
}
