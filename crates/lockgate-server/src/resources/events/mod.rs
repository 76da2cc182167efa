//! Amazon EventBridge: scheduled rules.

mod rule;

pub use rule::Rule;
