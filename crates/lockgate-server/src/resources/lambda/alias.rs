use async_trait::async_trait;
use lockgate_cloud::AliasConfig;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::Physical;
use lockgate_store::{AliasName, AliasRouting, AliasSpec, FunctionName};
use serde_json::{Map, Value};

use super::function_name_of;
use crate::resource_type;
use crate::resources::context::store_error;
use crate::resources::props::scalar;
use crate::resources::{Ctx, LiveResource, Props, ResourceType, StageBuilder};
use crate::rollout::ShiftRequest;

resource_type! {
    /// A function alias: a name (`live`) pointing at a published version,
    /// optionally splitting traffic with `RoutingConfig` weights, as the
    /// gateway and the Invoke API route each request. An alias with
    /// `UpdatePolicy: CodeDeployLambdaAliasUpdate` (what SAM's
    /// `DeploymentPreference` makes) moves to a new version through a
    /// rollout strategy: its traffic shifts while the stack update waits,
    /// and a failed shift rolls the update back. `Ref` is the alias ARN.
    pub struct Alias = "AWS::Lambda::Alias";
}

/// An alias's properties, checked.
struct Spec {
    function: String,
    name: String,
    /// `None` for `$LATEST`.
    version: Option<u64>,
    routing: AliasRouting,
}

impl Spec {
    fn read(p: &Props<'_>) -> Result<Spec, ProviderError> {
        let (function, _) = function_name_of(p.required_str("FunctionName")?);
        let name = p.required_str("Name")?.to_string();
        crate::resources::names::check_alias_name(&name)?;
        let version_text = p
            .text("FunctionVersion")
            .ok_or_else(|| ProviderError::invalid("FunctionVersion: required"))?;
        let version = if version_text == "$LATEST" {
            None
        } else {
            Some(version_text.parse().map_err(|_| {
                ProviderError::invalid(format!(
                    "FunctionVersion: expected a published version number, got `{version_text}`"
                ))
            })?)
        };
        let mut routing = AliasRouting::default();
        if let Some(weights) = p
            .get("RoutingConfig")
            .and_then(|r| r.get("AdditionalVersionWeights"))
        {
            for w in weights.as_array().into_iter().flatten() {
                let v = w.get("FunctionVersion").and_then(scalar);
                let wt = w.get("FunctionWeight").and_then(Value::as_f64);
                match (v.and_then(|v| v.parse::<u64>().ok()), wt) {
                    (Some(v), Some(wt)) => {
                        routing.additional_version_weights.insert(v, wt);
                    }
                    _ => {
                        return Err(ProviderError::invalid(
                            "RoutingConfig.AdditionalVersionWeights: expected \
                             [{FunctionVersion, FunctionWeight}]",
                        ));
                    }
                }
            }
        }
        Ok(Spec {
            function,
            name,
            version,
            routing,
        })
    }
}

#[async_trait]
impl ResourceType for Alias {
    fn replacing_properties(&self) -> &'static [&'static str] {
        &["Name", "FunctionName"]
    }

    async fn put(
        &self,
        cx: &Ctx<'_>,
        _current: Option<&Physical>,
        p: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let s = Spec::read(p)?;
        let physical = Physical {
            physical_id: cx.stage.function_arn(&format!("{}:{}", s.function, s.name)),
            attributes: Map::new(),
        };
        let Some(version) = s.version else {
            return Ok(physical);
        };
        let spec = AliasSpec {
            function: FunctionName::new(s.function.clone())
                .map_err(|e| ProviderError::invalid(format!("FunctionName: {e}")))?,
            name: AliasName::new(s.name.clone())
                .map_err(|e| ProviderError::invalid(format!("Name: {e}")))?,
            version,
            routing: s.routing,
            description: p.str("Description").map(str::to_string),
        };
        cx.stage
            .store
            .put_alias(&cx.stage.stage, spec)
            .await
            .map_err(store_error)?;
        Ok(physical)
    }

    /// A version change under a CodeDeploy update policy goes through the
    /// stage's rollout first; the alias then points at the new version.
    async fn update(
        &self,
        cx: &Ctx<'_>,
        current: &Physical,
        old: &Props<'_>,
        new: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let (before, after) = (Spec::read(old), Spec::read(new)?);
        if let (Ok(before), Some(traffic)) = (before, &cx.stage.traffic)
            && let (Some(from), Some(to)) = (before.version, after.version)
            && from != to
            && let Some(request) = ShiftRequest::of(cx, &after.function, &after.name, from, to)?
        {
            traffic.shift(cx.stage, request, cx.step.cancel).await?;
        }
        self.put(cx, Some(current), new).await
    }

    async fn delete(
        &self,
        cx: &Ctx<'_>,
        _current: &Physical,
        p: &Props<'_>,
    ) -> Result<(), ProviderError> {
        let Ok(s) = Spec::read(p) else {
            // Never created: nothing in the store to delete.
            return Ok(());
        };
        let (Ok(function), Ok(name)) = (FunctionName::new(s.function), AliasName::new(s.name))
        else {
            return Ok(());
        };
        cx.stage
            .store
            .delete_alias(&cx.stage.stage, &function, &name)
            .await
            .map(drop)
            .map_err(store_error)
    }

    fn realize_order(&self) -> u8 {
        40
    }

    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let Ok(s) = Spec::read(&Props(r.properties.as_object().unwrap_or(&Map::new()))) else {
            stage.warn(format!(
                "{}: alias properties unreadable; not served",
                r.logical_id
            ));
            return;
        };
        let key_of = |v: Option<u64>| match v {
            None => s.function.clone(),
            Some(v) => format!("{}:{v}", s.function),
        };
        let extra: f64 = s.routing.additional_version_weights.values().sum();
        let mut targets = vec![(key_of(s.version), (1.0 - extra).max(0.0))];
        for (v, w) in &s.routing.additional_version_weights {
            targets.push((key_of(Some(*v)), *w));
        }
        let known = stage.targets();
        if let Some((missing, _)) = targets.iter().find(|(k, _)| !known.contains(k)) {
            stage.warn(format!(
                "{}: version {missing} is not known; alias not served",
                r.logical_id
            ));
            return;
        }
        stage.add_alias(AliasConfig {
            name: format!("{}:{}", s.function, s.name),
            targets,
        });
    }
}
