//! Time of rollouts: real minutes by default, or `N` times faster
//! (`lockgate server --time-scale N`, `LOCKGATE_TIME_SCALE`) for demos and
//! tests: deployment waits, alarm periods and hook timeouts all scale.

use std::time::Duration;

/// The environment variable that sets the time scale.
pub const TIME_SCALE_ENV: &str = "LOCKGATE_TIME_SCALE";

/// How fast rollout time runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    scale: f64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock { scale: 1.0 }
    }
}

impl Clock {
    /// A clock running `scale` times faster than real time (1: real time).
    pub fn new(scale: f64) -> Result<Clock, String> {
        if !(1.0..=86_400.0).contains(&scale) {
            return Err(format!(
                "time scale {scale}: expected a number from 1 (real time) to 86400 (a day a second)"
            ));
        }
        Ok(Clock { scale })
    }

    /// The scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// How long `d` of rollout time takes in real time.
    pub fn real(&self, d: Duration) -> Duration {
        d.div_f64(self.scale)
    }

    /// `d` for people: `5 min`, or `5 min (5 s at time scale 60)`.
    pub fn describe(&self, d: Duration) -> String {
        let text = human(d);
        if self.scale == 1.0 {
            text
        } else {
            format!(
                "{text} ({} at time scale {})",
                human(self.real(d)),
                self.scale
            )
        }
    }
}

fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 60.0 && (s % 60.0).abs() < 1e-9 {
        format!("{} min", s / 60.0)
    } else if s >= 1.0 {
        format!("{} s", (s * 10.0).round() / 10.0)
    } else {
        format!("{} ms", (s * 1000.0).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_time_and_how_it_reads() {
        let c = Clock::new(60.0).unwrap();
        assert_eq!(c.real(Duration::from_secs(300)), Duration::from_secs(5));
        assert_eq!(
            c.describe(Duration::from_secs(300)),
            "5 min (5 s at time scale 60)"
        );
        assert_eq!(Clock::default().describe(Duration::from_secs(60)), "1 min");
        assert!(
            Clock::new(0.5)
                .unwrap_err()
                .contains("expected a number from 1")
        );
        assert!(Clock::new(f64::NAN).is_err());
    }
}
