use async_trait::async_trait;

use super::{RolloutError, Shift, Strategy, Waited};

/// CodeDeploy's canary (`Canary10Percent5Minutes`, `TimeBasedCanary`):
/// `percent` of the traffic to the new version, a wait of `interval`
/// (watched by alarms and, when asked, the canary judgement), then all of it.
#[derive(Debug, Clone)]
pub struct Canary {
    /// The configuration's name.
    pub name: String,
    /// The canary's share, in percent.
    pub percent: f64,
    /// How long the canary runs before the rest moves.
    pub interval: std::time::Duration,
}

#[async_trait]
impl Strategy for Canary {
    fn name(&self) -> &str {
        &self.name
    }

    async fn run(&self, shift: &dyn Shift) -> Result<(), RolloutError> {
        let to = shift.request().to;
        shift
            .set_weight(
                self.percent / 100.0,
                &format!("{}% of traffic to version {to}", self.percent),
            )
            .await?;
        let message = match shift.wait(self.interval).await? {
            Waited::Elapsed => format!("all traffic to version {to}"),
            Waited::Promoted => format!("promoted: all traffic to version {to}"),
        };
        shift.set_weight(1.0, &message).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::fake::FakeShift;
    use std::time::Duration;

    fn canary() -> Canary {
        Canary {
            name: "c".into(),
            percent: 10.0,
            interval: Duration::from_secs(300),
        }
    }

    #[tokio::test]
    async fn a_canary_waits_once_then_moves_the_rest() {
        let shift = FakeShift::new();
        canary().run(&shift).await.unwrap();
        assert_eq!(shift.steps(), ["10%", "wait 300s", "100%"]);
    }

    #[tokio::test]
    async fn an_abort_during_the_wait_moves_nothing_more() {
        let shift = FakeShift {
            abort_at: Some(0),
            ..FakeShift::new()
        };
        assert!(matches!(
            canary().run(&shift).await,
            Err(RolloutError::Stopped(_))
        ));
        assert_eq!(shift.steps(), ["10%", "wait 300s"]);
    }
}
