//! The registry: every resource type, one line each.

use std::collections::BTreeMap;
use std::sync::Arc;

use lockgate_engine::apply::{BoxFuture, Physical, Provider, Providers, Step};
use lockgate_engine::{Catalog, ProviderError};
use serde_json::{Map, Value};

use super::recorded::Recorded;
use super::{
    Ctx, Props, ResourceType, StageCtx, apigateway, apigatewayv2, cloudwatch, codedeploy, events,
    iam, lambda, logs, ssm,
};

/// Every resource type Lockgate emulates, and the fallback for the others.
pub struct Registry {
    types: BTreeMap<&'static str, Arc<dyn ResourceType>>,
    recorded: Arc<dyn ResourceType>,
}

/// The types Lockgate ships: one line a type.
pub fn standard() -> Registry {
    Registry::new(vec![
        Arc::new(lambda::Function),
        Arc::new(lambda::Version),
        Arc::new(lambda::Alias),
        Arc::new(lambda::Permission),
        Arc::new(lambda::LayerVersion),
        Arc::new(lambda::LayerVersionPermission),
        Arc::new(lambda::EventSourceMapping),
        Arc::new(apigateway::RestApi),
        Arc::new(apigateway::Deployment),
        Arc::new(apigateway::Stage),
        Arc::new(apigatewayv2::Api),
        Arc::new(apigatewayv2::Route),
        Arc::new(apigatewayv2::Integration),
        Arc::new(apigatewayv2::Stage),
        Arc::new(iam::Role),
        Arc::new(iam::Policy),
        Arc::new(iam::ManagedPolicy),
        Arc::new(iam::RolePolicy),
        Arc::new(ssm::Parameter),
        Arc::new(events::Rule),
        Arc::new(logs::LogGroup),
        Arc::new(cloudwatch::Alarm),
        Arc::new(codedeploy::Application),
        Arc::new(codedeploy::DeploymentGroup),
    ])
}

impl Registry {
    /// A registry of `types`; any other type is recorded only.
    pub fn new(types: Vec<Arc<dyn ResourceType>>) -> Registry {
        Registry {
            types: types.into_iter().map(|t| (t.type_name(), t)).collect(),
            recorded: Arc::new(Recorded),
        }
    }

    /// This registry with `t` too (tests add types of their own).
    #[cfg(test)]
    pub(crate) fn with(mut self, t: Arc<dyn ResourceType>) -> Registry {
        self.types.insert(t.type_name(), t);
        self
    }

    /// The type's implementation (the recorded fallback for unknown types).
    pub fn get(&self, resource_type: &str) -> &dyn ResourceType {
        self.types
            .get(resource_type)
            .unwrap_or(&self.recorded)
            .as_ref()
    }

    /// Whether a type is emulated locally (not just recorded).
    pub fn is_emulated(&self, resource_type: &str) -> bool {
        self.get(resource_type).emulated()
    }

    /// The registered types, by name.
    pub fn types(&self) -> impl Iterator<Item = &dyn ResourceType> {
        self.types.values().map(|t| t.as_ref())
    }

    /// The engine's providers for one stage: every type, over `stage`.
    pub fn providers(&self, stage: &Arc<StageCtx>) -> Providers {
        let adapter = |ty: &Arc<dyn ResourceType>| -> Arc<dyn Provider> {
            Arc::new(TypeProvider {
                ty: ty.clone(),
                stage: stage.clone(),
            })
        };
        let mut p = Providers::new(Some(adapter(&self.recorded)));
        for (name, ty) in &self.types {
            p.insert(name, adapter(ty));
        }
        p
    }

    /// The table of `docs/resource-types.md`.
    pub fn docs_table(&self) -> String {
        let mut out = String::from(
            "| type | replaced when these change | what it does locally |\n|---|---|---|\n",
        );
        for t in self.types() {
            let replacing = match t.replacing_properties() {
                [] => "—".to_string(),
                ["*"] => "any property".to_string(),
                list => list
                    .iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let doc = t.doc().split_whitespace().collect::<Vec<_>>().join(" ");
            out.push_str(&format!("| `{}` | {replacing} | {doc} |\n", t.type_name()));
        }
        out
    }
}

impl Catalog for Registry {
    fn replacing_properties(&self, resource_type: &str) -> &'static [&'static str] {
        match self.types.get(resource_type) {
            Some(t) => t.replacing_properties(),
            None => lockgate_engine::replacement::recorded_type_rules(resource_type),
        }
    }
}

/// A resource type as the engine's provider of one stage.
struct TypeProvider {
    ty: Arc<dyn ResourceType>,
    stage: Arc<StageCtx>,
}

impl Provider for TypeProvider {
    fn create<'a>(
        &'a self,
        step: Step<'a>,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move {
            let cx = Ctx {
                stage: &self.stage,
                step,
            };
            self.ty.put(&cx, None, &Props(properties)).await
        })
    }

    fn update<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        old: &'a Map<String, Value>,
        new: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<Physical, ProviderError>> {
        Box::pin(async move {
            let cx = Ctx {
                stage: &self.stage,
                step,
            };
            self.ty.update(&cx, current, &Props(old), &Props(new)).await
        })
    }

    fn delete<'a>(
        &'a self,
        step: Step<'a>,
        current: &'a Physical,
        properties: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<(), ProviderError>> {
        Box::pin(async move {
            let cx = Ctx {
                stage: &self.stage,
                step,
            };
            self.ty.delete(&cx, current, &Props(properties)).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_documented_and_named_like_cloudformation() {
        let r = standard();
        for t in r.types() {
            let name = t.type_name();
            assert!(
                name.starts_with("AWS::") && name.split("::").count() == 3,
                "{name}"
            );
            assert!(t.doc().len() > 40, "{name} needs a doc comment");
            assert!(t.doc().contains("`Ref`"), "{name}: say what `Ref` returns");
        }
        assert!(!r.is_emulated("AWS::SQS::Queue"));
        assert!(r.is_emulated("AWS::Lambda::Function"));
        assert_eq!(
            r.replacing_properties("AWS::SQS::Queue"),
            ["QueueName", "FifoQueue"]
        );
    }

    /// `docs/resource-types.md` is generated from the registry; run with
    /// `UPDATE_DOCS=1` to rewrite it.
    #[test]
    fn the_resource_types_page_is_up_to_date() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/resource-types.md");
        let table = standard().docs_table();
        let page = format!(
            "# Resource types\n\n\
             <!-- Generated from the registry (crates/lockgate-server/src/resources/registry.rs) \
             by `UPDATE_DOCS=1 cargo test -p lockgate-server the_resource_types_page`; do not edit. -->\n\n\
             The CloudFormation resource types a stage emulates, each implemented in one file \
             under `crates/lockgate-server/src/resources/<service>/`. Any other type is \
             recorded in the stack's state and reported as \"recorded but not emulated \
             locally\"; its `Ref` and `Fn::GetAtt` answer in AWS's shapes (`Ref` of a queue \
             is its URL, of a topic its ARN; `Arn` in the service's form, a table's \
             `StreamArn`, a bucket's `DomainName`… — `crates/lockgate-server/src/resources/shapes.rs`).\n\n{table}"
        );
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &page).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            on_disk, page,
            "docs/resource-types.md is out of date: run UPDATE_DOCS=1 cargo test -p lockgate-server the_resource_types_page"
        );
    }
}
