//! SAM and CloudFormation templates as Lockgate understands them.
//!
//! Parsing keeps the line and column of every node, so every error can point
//! at its place in the file.
//!
//! - [`parse`]: YAML (YAML 1.1 typing as the SAM translator reads it, short
//!   intrinsic tags turned into long forms) or JSON into a [`Document`], which
//!   answers [`Document::span_of`] for any path.
//! - [`load`] / [`load_file`]: parse, validate as CloudFormation would
//!   (structure, parameters and their values, conditions, references,
//!   dependency cycles), run the SAM transform when the template needs it, and
//!   give a [`LoadedTemplate`]: the CloudFormation template, the parameter
//!   values, the condition values and the [`DependencyGraph`]. Every problem is
//!   a [`Diagnostic`] pointing at its place.
//! - [`LoadedTemplate::evaluate`]: intrinsic functions evaluated with a
//!   [`Resolver`] (resource IDs and attributes, exports) and a
//!   [`DynamicResolver`] (`{{resolve:…}}`); with [`Unresolved`] what is known
//!   only after deployment stays symbolic (planning).
//! - [`transform`]: parse and SAM transform only, as the SAM translator does.

pub mod attributes;
mod diag;
mod document;
pub mod eval;
pub mod graph;
mod lenient;
mod load;
pub mod package;
pub mod params;
mod scalar;
mod span;
pub mod suggest;
pub mod validate;
mod yaml;

pub use diag::{CODES, Diagnostic, Diagnostics, Severity};
pub use document::{Document, ParseError, parse, parse_bytes};
pub use eval::{DynamicRef, DynamicResolver, EvalError, Pseudo, Resolver, Scope, Unresolved};
pub use graph::{DependencyGraph, build_graph};
pub use load::{
    LoadError, LoadOptions, LoadedTemplate, SAM_TRANSFORM, Transformed, diagnostic, load,
    load_document, load_file, needs_sam_transform, transform, transform_document, transform_file,
    wants_sam_transform,
};
pub use params::{Overrides, ParamType, Parameter};
pub use scalar::resolve_plain;
pub use span::{NamedSource, Path, PathSeg, SourceFile, Span, SpanNode};
