//! Instants and the time scale.
//!
//! A [`Timestamp`] is microseconds since the Unix epoch (UTC). Nothing in
//! this crate reads the clock on its own: callers pass "now" in, so tests
//! are exact.
//!
//! A [`TimeScale`] of N makes every *duration* of the metrics world N times
//! shorter in real time: a "scaled second" lasts `1 / N` real seconds, a
//! 60-second period lasts 60 scaled seconds (one real second at N = 60), and
//! so do the store's buckets and retention. Timestamps stay real (what a
//! clock on the wall says); only lengths of time are scaled. Period
//! boundaries are aligned to multiples of the scaled period since the
//! epoch, as CloudWatch aligns real periods.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// An instant: microseconds since the Unix epoch, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The wall clock's current instant.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// From a `SystemTime` (instants before the epoch are negative).
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Timestamp(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)),
            Err(e) => Timestamp(-i64::try_from(e.duration().as_micros()).unwrap_or(i64::MAX)),
        }
    }

    /// From whole seconds since the epoch.
    pub const fn from_secs(s: i64) -> Self {
        Timestamp(s.saturating_mul(1_000_000))
    }

    /// From milliseconds since the epoch.
    pub const fn from_millis(ms: i64) -> Self {
        Timestamp(ms.saturating_mul(1_000))
    }

    /// From fractional seconds since the epoch (as the AWS JSON protocol
    /// sends timestamps); `None` if not finite or out of range.
    pub fn from_secs_f64(s: f64) -> Option<Self> {
        let us = (s * 1e6).round();
        if us.is_finite() && us.abs() < 9.0e18 {
            Some(Timestamp(us as i64))
        } else {
            None
        }
    }

    /// From an RFC 3339 / ISO 8601 string (`2026-12-02T10:00:00Z`,
    /// offsets and fractions allowed).
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = chrono::DateTime::parse_from_rfc3339(s.trim()).ok()?;
        Some(Timestamp(t.timestamp_micros()))
    }

    /// Microseconds since the epoch.
    pub const fn micros(self) -> i64 {
        self.0
    }

    /// Milliseconds since the epoch (rounded down).
    pub const fn millis(self) -> i64 {
        self.0.div_euclid(1_000)
    }

    /// Fractional seconds since the epoch.
    pub fn secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// This instant plus `us` microseconds (saturating).
    pub const fn plus_micros(self, us: i64) -> Self {
        Timestamp(self.0.saturating_add(us))
    }

    /// Rounded down to a multiple of `step_us` since the epoch.
    pub const fn align_down(self, step_us: i64) -> Self {
        Timestamp(self.0.div_euclid(step_us).saturating_mul(step_us))
    }

    fn chrono(self) -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }

    /// `2026-12-02T10:00:00.000Z`, as CloudWatch's XML answers write instants.
    pub fn iso8601_millis(self) -> String {
        self.chrono().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }

    /// `2026-12-02T10:00:00.000+0000`, as CloudWatch's `StateReasonData` writes instants.
    pub fn reason_data_format(self) -> String {
        self.chrono()
            .format("%Y-%m-%dT%H:%M:%S%.3f+0000")
            .to_string()
    }

    /// `02/12/26 10:00:00` (day/month/year), as CloudWatch's state reasons write instants.
    pub fn reason_format(self) -> String {
        self.chrono().format("%d/%m/%y %H:%M:%S").to_string()
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.iso8601_millis())
    }
}

/// How much faster than real time the metrics world runs: periods,
/// evaluation windows, bucket widths and retention are divided by the
/// factor. `TimeScale::REAL` (1) is real time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeScale {
    factor: f64,
    second_us: i64,
}

/// Why a time scale was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("time scale {0} is not valid: expected a finite number from 0.001 to 1000000")]
pub struct TimeScaleError(pub f64);

impl TimeScale {
    /// Real time: a second is a second.
    pub const REAL: TimeScale = TimeScale {
        factor: 1.0,
        second_us: 1_000_000,
    };

    /// A scale of `factor` (60: a minute lasts a real second). The scaled
    /// second is rounded to whole microseconds (at 60: 16 667 µs), so every
    /// scaled period is an exact multiple of it.
    pub fn new(factor: f64) -> Result<Self, TimeScaleError> {
        if !factor.is_finite() || !(0.001..=1_000_000.0).contains(&factor) {
            return Err(TimeScaleError(factor));
        }
        let second_us = ((1_000_000.0 / factor).round() as i64).max(1);
        Ok(TimeScale { factor, second_us })
    }

    /// The factor given to [`TimeScale::new`].
    pub fn factor(&self) -> f64 {
        self.factor
    }

    /// Whether this is real time.
    pub fn is_real(&self) -> bool {
        self.second_us == 1_000_000
    }

    /// Real microseconds in one scaled second.
    pub fn second_us(&self) -> i64 {
        self.second_us
    }

    /// Real microseconds in `secs` scaled seconds.
    pub fn secs_us(&self, secs: u64) -> i64 {
        i64::try_from(secs)
            .unwrap_or(i64::MAX)
            .saturating_mul(self.second_us)
    }

    /// The real duration of `secs` scaled seconds.
    pub fn real_duration(&self, secs: u64) -> Duration {
        Duration::from_micros(u64::try_from(self.secs_us(secs)).unwrap_or(0))
    }
}

impl Default for TimeScale {
    fn default() -> Self {
        TimeScale::REAL
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_cloudwatch_does() {
        let t = Timestamp::parse_rfc3339("2026-12-02T10:00:05.25Z").unwrap();
        assert_eq!(t.reason_format(), "02/12/26 10:00:05");
        assert_eq!(t.reason_data_format(), "2026-12-02T10:00:05.250+0000");
        assert_eq!(t.iso8601_millis(), "2026-12-02T10:00:05.250Z");
        assert_eq!(Timestamp::from_secs_f64(t.secs_f64()), Some(t));
        assert_eq!(
            t.align_down(1_000_000),
            Timestamp::parse_rfc3339("2026-12-02T10:00:05Z").unwrap()
        );
    }

    #[test]
    fn scale_divides_durations() {
        let s = TimeScale::new(60.0).unwrap();
        assert_eq!(s.secs_us(60), 60 * 16_667);
        assert_eq!(TimeScale::REAL.secs_us(60), 60_000_000);
        assert!(TimeScale::new(0.0).is_err());
        assert!(TimeScale::new(f64::NAN).is_err());
        assert!(!s.is_real());
    }
}
