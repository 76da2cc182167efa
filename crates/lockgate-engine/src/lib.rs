//! Stacks: a template deployed to one stage of one app.
//!
//! This crate plans and applies changes to stacks the way CloudFormation
//! does, over traits, with no I/O of its own:
//! - [`plan`]: the change set from the deployed state to a template (which
//!   the caller evaluates through [`plan::Evaluate`]), property by property
//!   ([`changeset`]), with the replacement rules of a [`replacement::Catalog`],
//!   the replacement cascade, secret masking and removal order;
//! - [`apply`]: the change set carried out through [`apply::Provider`]s in
//!   dependency levels, rolled back on failure, leftovers cleaned up by
//!   their `DeletionPolicy` / `UpdateReplacePolicy` ([`resource`]).

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod apply;
pub mod changeset;
pub mod error;
pub mod plan;
pub mod replacement;
pub mod resource;

pub use apply::Cancel;
pub use changeset::{
    Action, ChangeSet, Desired, PropertyChange, Replacement, ResourceChange, SecretPaths, Secrets,
    diff,
};
pub use error::{ApplyError, ErrorKind, ProviderError, ResolveError};
pub use replacement::Catalog;
pub use resource::{DeployedResource, Physical, PlannedResource, Policies, RemovalPolicy};
