//! The local cloud that stacks run on: function instances speaking the AWS
//! Lambda Runtime API and an HTTP gateway with API Gateway's payloads.
//!
//! The core ([`Cloud`], [`Function`], [`Gateway`]) takes typed
//! configuration ([`config`]); [`template`] builds it from a transformed
//! CloudFormation template and [`load`] from a SAM template file.

pub mod bootstrap;
pub mod cloud;
pub mod config;
pub mod error;
pub mod function;
pub mod gateway;
pub mod http;
pub mod instance;
#[cfg(feature = "load")]
pub mod load;
pub mod logs;
pub mod metrics;
pub mod template;
pub mod timefmt;

pub use cloud::Cloud;
pub use config::{
    ApiConfig, ApiKind, CloudConfig, FunctionConfig, PayloadVersion, Route, Runtime, RuntimeOptions,
};
pub use error::CloudError;
pub use function::{Function, InvokeError, InvokeOutcome, InvokeRequest};
pub use gateway::Gateway;
pub use logs::LogSink;
