//! AWS IAM: roles and policies (recorded; a function's role is the stage's).

mod managed_policy;
mod policy;
mod role;

pub use managed_policy::ManagedPolicy;
pub use policy::Policy;
pub use role::Role;
