use async_trait::async_trait;

use super::{RolloutError, Shift, Strategy, Waited};

/// CodeDeploy's linear (`Linear10PercentEvery1Minute`, `TimeBasedLinear`):
/// `percent` more of the traffic every `interval` until all of it, each
/// wait watched by alarms and, when asked, the canary judgement.
#[derive(Debug, Clone)]
pub struct Linear {
    /// The configuration's name.
    pub name: String,
    /// Each step's share, in percent.
    pub percent: f64,
    /// The wait between steps.
    pub interval: std::time::Duration,
}

#[async_trait]
impl Strategy for Linear {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, shift: &dyn Shift) -> Result<(), RolloutError> {
        let to = shift.request().to;
        if self.percent <= 0.0 {
            return Err(RolloutError::Failed(format!(
                "{}: a linear step must move some traffic",
                self.name
            )));
        }
        let mut share = self.percent.min(100.0);
        while share < 100.0 {
            shift
                .set_weight(
                    share / 100.0,
                    &format!("{share}% of traffic to version {to}"),
                )
                .await?;
            if shift.wait(self.interval).await? == Waited::Promoted {
                return shift
                    .set_weight(1.0, &format!("promoted: all traffic to version {to}"))
                    .await;
            }
            share += self.percent;
        }
        shift
            .set_weight(1.0, &format!("all traffic to version {to}"))
            .await
    }
}
