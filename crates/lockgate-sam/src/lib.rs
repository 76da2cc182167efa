//! The AWS SAM transform (`Transform: AWS::Serverless-2016-10-31`): a SAM
//! template in, the plain CloudFormation template the real SAM translator
//! would produce out.
//!
//! The transform works on JSON values in the long form of intrinsics
//! (`{"Fn::GetAtt": ["A", "Arn"]}`); parsing YAML short forms and keeping
//! source positions is `lockgate-template`'s job. Errors are worded as the
//! translator words them so that users of SAM recognise them.
//!
//! Module map (mirrors the translator's own layout):
//! - `lib.rs`, `translate.rs`: options, the plugin order and the translation
//!   loop (checks, Globals, per-resource translation, deployment preferences,
//!   reference rewriting, error collection).
//! - `globals.rs`, `intrinsics.rs`, `props.rs`, `ids.rs`, `error.rs`, `ctx.rs`:
//!   the Globals plugin, the translator's small intrinsics resolver, property
//!   checks, hashed logical IDs, errors and shared state.
//! - `function/`: `AWS::Serverless::Function` (roles, policies, policy
//!   templates, aliases and versions, deployment preferences, URLs, event
//!   invoke configs, push and pull events) and connectors.
//! - `layer.rs`, `table.rs`, `capacity_provider.rs`, `state_machine/`:
//!   `LayerVersion`, `SimpleTable`, `CapacityProvider`, `StateMachine`.
//! - `application.rs`: `AWS::Serverless::Application` (nested stacks) and the
//!   Serverless Application Repository plugin, over a [`ServerlessRepo`].
//! - `graphql.rs`: `AWS::Serverless::GraphQLApi` (AppSync).
//! - `api/rest`: `AWS::Serverless::Api`, the implicit `ServerlessRestApi`,
//!   Swagger/OpenAPI editing, `Api` events.
//! - `api/http`: `AWS::Serverless::HttpApi`, the implicit `ServerlessHttpApi`,
//!   `HttpApi` events.
//! - `api/domain`, `api/usage_plan`: custom domains (REST and HTTP) and usage plans.

pub mod api;
pub mod application;
pub mod capacity_provider;
pub mod ctx;
pub mod error;
pub mod function;
pub mod globals;
pub mod graphql;
pub mod ids;
pub mod intrinsics;
pub mod layer;
pub mod props;
pub mod state_machine;
pub mod table;
mod translate;

use serde_json::{Map, Value};

pub use application::{RepoError, RepoTemplate, ServerlessRepo, TemplateStatus};
pub use ctx::{Ctx, Resource};
pub use error::{ErrorItem, TransformError};

/// The transform's name in a template's `Transform` section.
pub const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";

/// What the caller knows about the deployment the template is for.
#[derive(Clone)]
pub struct TransformOptions {
    /// The region, e.g. `us-east-1`; resolves `AWS::Region` where the translator resolves it.
    pub region: String,
    /// The partition (`aws`, `aws-cn`, `aws-us-gov`).
    pub partition: String,
    /// The account ID, when known; `AWS::AccountId` stays symbolic otherwise.
    pub account_id: Option<String>,
    /// Parameter values supplied for this deployment (before template defaults).
    pub parameter_values: Map<String, Value>,
    /// Managed policy name → ARN, for `Policies: [AWSLambdaRole]` style entries.
    pub managed_policy_map: Map<String, Value>,
    /// The Serverless Application Repository, for `AWS::Serverless::Application`s
    /// whose `Location` names an `ApplicationId` and `SemanticVersion`. `None`
    /// (the default): there is no network access to AWS, and each such
    /// application is refused with a message saying so.
    pub serverless_repo: Option<std::sync::Arc<dyn ServerlessRepo>>,
}

impl std::fmt::Debug for TransformOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransformOptions")
            .field("region", &self.region)
            .field("partition", &self.partition)
            .field("account_id", &self.account_id)
            .field("parameter_values", &self.parameter_values)
            .field("managed_policy_map", &self.managed_policy_map)
            .field("serverless_repo", &self.serverless_repo.is_some())
            .finish()
    }
}

impl Default for TransformOptions {
    fn default() -> Self {
        let mut managed_policy_map = Map::new();
        for (name, arn) in DEFAULT_MANAGED_POLICIES {
            managed_policy_map.insert((*name).to_string(), Value::String((*arn).to_string()));
        }
        TransformOptions {
            region: "us-east-1".into(),
            partition: "aws".into(),
            account_id: None,
            parameter_values: Map::new(),
            managed_policy_map,
            serverless_repo: None,
        }
    }
}

/// Managed policies known without asking IAM (the common AWS-managed ones).
pub const DEFAULT_MANAGED_POLICIES: &[(&str, &str)] = &[
    (
        "AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ),
    (
        "AmazonDynamoDBFullAccess",
        "arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
    ),
    (
        "AmazonDynamoDBReadOnlyAccess",
        "arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
    ),
    (
        "AWSLambdaRole",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
    ),
    (
        "AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ),
];

/// Whether a template asks for the SAM transform (`Transform` is the name or a list holding it).
pub fn wants_sam_transform(template: &Value) -> bool {
    match template.get("Transform") {
        Some(Value::String(s)) => s == SAM_TRANSFORM,
        Some(Value::Array(items)) => items.iter().any(|v| v.as_str() == Some(SAM_TRANSFORM)),
        _ => false,
    }
}

/// Transforms a SAM template into CloudFormation.
///
/// On success the result has no `AWS::Serverless::*` resources left and no
/// SAM `Transform`; on failure every cause found is reported at once.
pub fn transform(template: &Value, opts: &TransformOptions) -> Result<Value, TransformError> {
    translate::run(template, opts)
}
