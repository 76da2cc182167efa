//! AWS CodeDeploy: the application and deployment groups an alias's
//! `CodeDeployLambdaAliasUpdate` policy names.

mod application;
mod deployment_group;

pub use application::Application;
pub use deployment_group::DeploymentGroup;
