//! Stacks: a template deployed to one stage of one app.
//!
//! This crate plans and applies changes to stacks the way CloudFormation
//! does: a change set first ([`changeset`]), computed property by property
//! with CloudFormation's replacement rules ([`replacement`]).

pub mod changeset;
pub mod replacement;

pub use changeset::{Action, ChangeSet, PropertyChange, Replacement, ResourceChange, plan};
pub mod apply;
