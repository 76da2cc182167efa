//! Resource types: one file per CloudFormation type Lockgate emulates.
//!
//! A type implements [`ResourceType`]: its name and documentation (the doc
//! comment of its struct, declared with [`resource_type!`]), which property
//! changes replace it, how it is created, updated and deleted against the
//! state store and the artifact store, and what it contributes to a running
//! stage ([`ResourceType::realize`]). [`registry::standard`] lists every
//! type on one line each; any other type is recorded only
//! ([`recorded::Recorded`]). `docs/resource-types.md` is generated from the
//! registry (a test fails when it is out of date).
//!
//! Adding a type is the recipe in `docs/architecture.md`: copy a sibling
//! file, fill in the trait, add one registry line, write its tests beside it.

pub mod apigateway;
pub mod apigatewayv2;
pub mod cloudwatch;
pub mod codedeploy;
pub mod context;
pub mod events;
pub mod iam;
pub mod lambda;
pub mod logs;
pub mod names;
mod props;
pub mod realize;
pub mod recorded;
pub mod registry;
pub mod shapes;
pub mod ssm;

use async_trait::async_trait;
use lockgate_engine::ProviderError;
use lockgate_engine::apply::{Physical, Policies, Step};
use serde_json::{Map, Value};

pub use context::{ARTIFACT_BUCKET, CodeStore, LocalCode, Naming, StageCtx, StoredCode};
pub use props::Props;
pub use realize::{LiveResource, ScheduledTarget, StageBuilder, StageModel};
pub use registry::Registry;

/// Declares a resource type: a unit struct whose doc comment is both its
/// rustdoc and its published documentation ([`Meta::doc`]).
#[macro_export]
macro_rules! resource_type {
    ($(#[doc = $doc:expr])* $vis:vis struct $name:ident = $ty:literal;) => {
        $(#[doc = $doc])*
        #[derive(Debug, Default, Clone, Copy)]
        $vis struct $name;

        impl $name {
            /// The CloudFormation type name.
            #[allow(dead_code)]
            pub const TYPE: &'static str = $ty;
        }

        impl $crate::resources::Meta for $name {
            fn type_name(&self) -> &'static str {
                $ty
            }
            fn doc(&self) -> &'static str {
                concat!($($doc, "\n"),*)
            }
        }
    };
}

/// A resource type's name and documentation (implemented by [`resource_type!`]).
pub trait Meta {
    /// The CloudFormation type, e.g. `AWS::Lambda::Function`.
    fn type_name(&self) -> &'static str;
    /// Its documentation: the doc comment of its declaration.
    fn doc(&self) -> &'static str;
}

/// The resource a call is about, and the stage it lives in.
pub struct Ctx<'a> {
    /// The stage's shared context (store, artifacts, names, functions).
    pub stage: &'a StageCtx,
    /// The resource: logical ID, type, policies.
    pub step: Step<'a>,
}

impl Ctx<'_> {
    /// The logical ID.
    pub fn id(&self) -> &str {
        self.step.logical_id
    }

    /// The resource's policies (`UpdatePolicy` resolved).
    pub fn policies(&self) -> &Policies {
        self.step.policies
    }
}

/// One CloudFormation resource type: what it means locally.
#[async_trait]
pub trait ResourceType: Meta + Send + Sync + 'static {
    /// The top-level properties whose change replaces the resource
    /// (CloudFormation's "Update requires: Replacement"); `["*"]`: all.
    fn replacing_properties(&self) -> &'static [&'static str];

    /// Whether it has a local effect of its own (false: recorded only).
    fn emulated(&self) -> bool {
        true
    }

    /// Creates the resource (`current` is `None`) or puts new properties
    /// on it (`current` is its physical identity); answers its physical ID
    /// and the attributes `Fn::GetAtt` reads.
    async fn put(
        &self,
        cx: &Ctx<'_>,
        current: Option<&Physical>,
        props: &Props<'_>,
    ) -> Result<Physical, ProviderError>;

    /// Updates it in place from `old` to `new` (default: [`ResourceType::put`]).
    async fn update(
        &self,
        cx: &Ctx<'_>,
        current: &Physical,
        old: &Props<'_>,
        new: &Props<'_>,
    ) -> Result<Physical, ProviderError> {
        let _ = old;
        self.put(cx, Some(current), new).await
    }

    /// Deletes it (default: nothing to undo beyond the committed state).
    async fn delete(
        &self,
        cx: &Ctx<'_>,
        current: &Physical,
        props: &Props<'_>,
    ) -> Result<(), ProviderError> {
        let _ = (cx, current, props);
        Ok(())
    }

    /// When its [`ResourceType::realize`] runs among the others': lower
    /// first (code before functions, functions before aliases, APIs before
    /// their stages and routes).
    fn realize_order(&self) -> u8 {
        u8::MAX
    }

    /// Its part in the running stage: functions, aliases, routes,
    /// schedules. Runs after a deployment commits (and at server start, and
    /// for `lockgate local`) over every live resource of the stage.
    fn realize(&self, r: &LiveResource<'_>, stage: &mut StageBuilder<'_>) {
        let _ = (r, stage);
    }
}

/// An object value as a property map (`{}` for anything else).
pub(crate) fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// A short random ID like API Gateway's (10 lowercase letters and digits).
pub fn random_id() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..10)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

#[cfg(test)]
pub(crate) mod testing;
