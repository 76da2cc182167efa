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
