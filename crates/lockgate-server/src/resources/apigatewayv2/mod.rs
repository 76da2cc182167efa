//! Amazon API Gateway V2 (HTTP APIs): the API, its routes, integrations
//! and stages.

mod api;
mod integration;
mod route;
mod stage;

pub use api::Api;
pub use integration::Integration;
pub use route::Route;
pub use stage::Stage;
