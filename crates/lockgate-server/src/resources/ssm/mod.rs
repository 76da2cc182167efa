//! AWS Systems Manager: parameters a template creates.

mod parameter;

pub use parameter::Parameter;
