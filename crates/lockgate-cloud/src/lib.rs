//! The local cloud that stacks run on: function instances speaking the AWS
//! Lambda Runtime API and an HTTP gateway with API Gateway's payloads.
//!
//! The core ([`Cloud`], [`Function`], [`Gateway`]) takes typed
//! configuration ([`config`]) and knows no template: the server's resource
//! types build that configuration from a stage's resources, for deployed
//! stages and `lockgate local` alike.
//!
//! A long-running server redeploys with [`Cloud::new_reusing`] (unchanged
//! functions stay warm), swaps the result into its running gateway with
//! [`Gateway::swap`] and [`Cloud::retire`]s the old cloud; functions may be
//! versions (`name:3`) behind weighted aliases ([`AliasConfig`]); every log
//! line says which function and version wrote it ([`LogLine`]);
//! [`Cloud::invoke_event`] runs asynchronous (`Event`) invocations; and
//! [`Cloud::route_alias`] moves an alias's traffic in place (a canary).

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod bootstrap;
pub mod cloud;
pub mod config;
pub mod error;
pub mod function;
pub mod gateway;
pub mod http;
pub mod instance;
pub mod logs;
pub mod metrics;
pub mod peer;
pub mod slots;
pub mod timefmt;

pub use cloud::Cloud;
pub use config::{
    ACCOUNT_ID, AliasConfig, ApiConfig, ApiKind, CloudConfig, DEFAULT_REGION, FunctionConfig,
    PayloadVersion, Route, Runtime, RuntimeOptions,
};
pub use error::CloudError;
pub use function::{Function, InvokeError, InvokeOutcome, InvokeRequest};
pub use gateway::Gateway;
pub use logs::{LogLine, LogSink};
