//! One module per verb.

pub mod local;
pub mod transform;
pub mod validate;
