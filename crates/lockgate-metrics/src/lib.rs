//! Lockgate's metrics and alarm brain, with no dependency on the server,
//! the store or the local cloud:
//!
//! - [`store`]: an in-memory, bounded, thread-safe time-series store of
//!   CloudWatch-style metrics (namespace, name, dimensions), cheap to record
//!   into from the invocation hot path;
//! - [`stats`]: statistics over a period (SampleCount, Sum, Average, Minimum,
//!   Maximum, percentiles and the other extended statistics);
//! - [`query`]: `GetMetricData` / `GetMetricStatistics`-style queries;
//! - [`alarm`]: metric alarms parsed from `AWS::CloudWatch::Alarm`
//!   properties and evaluated as CloudWatch evaluates them (M out of N,
//!   missing-data treatment, state reasons, history);
//! - [`lambda`]: the `AWS/Lambda` datapoints of one invocation;
//! - [`emf`]: Embedded Metric Format log lines into datapoints;
//! - [`api`]: the CloudWatch API (AWS JSON 1.0 and the query protocol) as a
//!   transport-independent handler;
//! - [`canary`]: statistical canary judgement (a sequential test on error
//!   rates, Mann-Whitney U on latencies).
//!
//! Time is always passed in ([`Timestamp`]); nothing here reads a clock
//! except [`Timestamp::now`], which callers use to make one. A
//! [`TimeScale`] makes every period, retention and evaluation window run N
//! times faster for demos and tests (see `docs/metrics.md`).

#![warn(missing_docs)]

pub mod alarm;
pub mod api;
pub mod canary;
pub mod emf;
pub mod key;
pub mod lambda;
pub mod query;
pub mod stats;
pub mod store;
pub mod time;
pub mod unit;

pub use alarm::{Alarm, AlarmDefinition, AlarmDefinitionError, AlarmStateValue, StateChange};
pub use key::{Dimension, MetricKey};
pub use stats::Statistic;
pub use store::{MetricHandle, MetricStore, StoreConfig};
pub use time::{TimeScale, Timestamp};
pub use unit::Unit;
