//! Amazon API Gateway (REST APIs): the API with its OpenAPI body, its
//! deployments and stages.

mod deployment;
mod rest_api;
mod stage;

pub use deployment::Deployment;
pub use rest_api::RestApi;
pub use stage::Stage;

use std::collections::BTreeMap;

use serde_json::Value;

/// A stage's `Variables` (`StageVariables` on HTTP APIs) as text.
pub(crate) fn stage_variables(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), crate::resources::props::scalar(v)?)))
                .collect()
        })
        .unwrap_or_default()
}
