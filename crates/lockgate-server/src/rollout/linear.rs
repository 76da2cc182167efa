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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::fake::FakeShift;
    use std::time::Duration;

    fn linear(percent: f64) -> Linear {
        Linear {
            name: "l".into(),
            percent,
            interval: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn linear_steps_until_all_traffic_moved() {
        let shift = FakeShift::new();
        linear(25.0).run(&shift).await.unwrap();
        assert_eq!(
            shift.steps(),
            [
                "25%", "wait 60s", "50%", "wait 60s", "75%", "wait 60s", "100%"
            ]
        );
    }

    #[tokio::test]
    async fn a_promotion_moves_the_rest_at_once() {
        let shift = FakeShift {
            promote_at: Some(1),
            ..FakeShift::new()
        };
        linear(10.0).run(&shift).await.unwrap();
        assert_eq!(
            shift.steps(),
            ["10%", "wait 60s", "20%", "wait 60s", "100%"]
        );
    }

    #[tokio::test]
    async fn a_step_of_nothing_is_refused() {
        assert!(linear(0.0).run(&FakeShift::new()).await.is_err());
    }
}
