//! `AWS::Serverless::Api`, the implicit `ServerlessRestApi` and `Api` events.
//!
//! - `implicit`: the plugins run before translation (implicit API, default
//!   definition bodies);
//! - `events`: a function's `Api` event (permission + integration);
//! - `generator`: the API itself (RestApi, Deployment, Stage, …);
//! - `swagger`, `auth`, `cors`, `gateway_responses`: editing the definition body.

pub mod auth;
pub mod cors;
pub mod events;
pub mod gateway_responses;
pub mod generator;
pub mod implicit;
pub mod pyrepr;
pub mod swagger;

use serde_json::Value;

use crate::ctx::{Ctx, FunctionEvent, Resource};
use crate::error::ErrorItem;

/// Hidden property where `Api` events leave the `FunctionName`s of the
/// functions behind an API (`redeploy_restapi_parameters`); removed before
/// the API is translated.
pub(crate) const FUNCTION_NAMES_KEY: &str = "__LOCKGATE_FUNCTION_NAMES";

/// Hidden property keeping an API's definition body as written (for the
/// deployment hash); removed before the API is translated.
pub(crate) const ORIGINAL_BODY_KEY: &str = "__LOCKGATE_ORIGINAL_BODY";

/// Plugin steps that run before translation: default definition bodies and
/// the implicit REST API (`ServerlessRestApi`, from functions' `Api` events
/// without `RestApiId`).
pub fn before_translate(ctx: &mut Ctx) -> Result<(), Vec<ErrorItem>> {
    implicit::default_definition_bodies(ctx);
    implicit::implicit_api(ctx)
}

/// Translates one `AWS::Serverless::Api`.
pub fn translate_api(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    generator::translate(ctx, logical_id, resource)
}

/// Translates a function's `Api` event: its Lambda permissions, and the
/// integration it adds to its API's definition body in `ctx.template`.
pub fn translate_api_event(
    ctx: &mut Ctx,
    ev: &FunctionEvent<'_>,
) -> Result<Vec<Resource>, ErrorItem> {
    events::translate(ctx, ev)
}
