//! Amazon CloudWatch Logs: log groups.

mod log_group;

pub use log_group::LogGroup;
