//! `AWS::Serverless::HttpApi`, the implicit `ServerlessHttpApi` and `HttpApi` events.
//!
//! - [`implicit`]: the implicit API plugin (and default definition bodies);
//! - [`generator`]: `AWS::Serverless::HttpApi` → `AWS::ApiGatewayV2::Api`, stage, domain;
//! - [`events`]: a function's `HttpApi` event (permission and route);
//! - [`openapi`]: the OpenAPI 3 editor; [`auth`]: authorizers; [`util`]: small helpers.

pub mod auth;
pub mod events;
pub mod generator;
pub mod implicit;
pub mod openapi;
pub mod openapi_doc;
pub mod util;

use serde_json::Value;

use crate::ctx::{Ctx, FunctionEvent, Resource};
use crate::error::ErrorItem;

/// The tag SAM puts on HTTP APIs and their stages and domains.
pub const HTTP_API_TAG_NAME: &str = "httpapi:createdBy";

/// Plugin steps that run before translation: default definition bodies of
/// HTTP APIs, then the implicit HTTP API (`ServerlessHttpApi`, from
/// functions' `HttpApi` events without `ApiId`).
pub fn before_translate(ctx: &mut Ctx) -> Result<(), Vec<ErrorItem>> {
    implicit::add_default_bodies(ctx);
    implicit::run(ctx)
}

/// Translates one `AWS::Serverless::HttpApi`: the `AWS::ApiGatewayV2::Api`,
/// Lambda authorizer permissions, custom domain resources and the stage;
/// records `<Api>.Stage` / `<Api>.DomainName` in `ctx.resource_refs`.
pub fn translate_http_api(
    ctx: &mut Ctx,
    logical_id: &str,
    resource: &Value,
) -> Result<Vec<Resource>, ErrorItem> {
    generator::translate(ctx, logical_id, resource)
}

/// Translates a function's `HttpApi` event: its Lambda permission, and the
/// integration it adds to its API's definition body in `ctx.template`.
pub fn translate_http_api_event(
    ctx: &mut Ctx,
    ev: &FunctionEvent<'_>,
) -> Result<Vec<Resource>, ErrorItem> {
    events::translate(ctx, ev)
}
