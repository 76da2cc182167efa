use async_trait::async_trait;

use super::{RolloutError, Shift, Strategy};

/// CodeDeploy's `LambdaAllAtOnce`: all traffic moves to the new version in
/// one step.
#[derive(Debug, Clone, Copy, Default)]
pub struct AllAtOnce;

#[async_trait]
impl Strategy for AllAtOnce {
    fn name(&self) -> &str {
        "CodeDeployDefault.LambdaAllAtOnce"
    }

    async fn run(&self, shift: &dyn Shift) -> Result<(), RolloutError> {
        let r = shift.request();
        shift
            .set_weight(1.0, &format!("all traffic to version {}", r.to))
            .await
    }
}
