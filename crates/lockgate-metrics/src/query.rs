//! `GetMetricData` / `GetMetricStatistics`-style queries over the store.
//!
//! Periods are aligned to multiples of the (scaled) period since the epoch,
//! as CloudWatch aligns them: a query from 10:00:30 with a period of 60
//! seconds starts with the period 10:00:00–10:01:00. Each datapoint is
//! stamped with its period's start. A period belongs to a query when its
//! start is in `[start, end)` after `start` is aligned down.

use crate::key::MetricKey;
use crate::stats::Statistic;
use crate::store::{Aggregate, MetricStore};
use crate::time::Timestamp;
use crate::unit::Unit;

/// A metric, a period and a statistic: what `MetricStat` says.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricStat {
    /// The metric.
    pub key: MetricKey,
    /// The period in (scaled) seconds.
    pub period_secs: u32,
    /// The statistic.
    pub stat: Statistic,
    /// Only data recorded with this unit (none: any unit).
    pub unit: Option<Unit>,
}

/// Why a period was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("period {0} is not valid: expected 1, 5, 10, 20, 30 or a multiple of 60 seconds")]
pub struct PeriodError(pub u64);

/// Checks a period as CloudWatch does: 1, 5, 10, 20 or 30 seconds (high
/// resolution) or a multiple of 60.
pub fn validate_period(period: u64) -> Result<(), PeriodError> {
    if matches!(period, 1 | 5 | 10 | 20 | 30) || (period > 0 && period.is_multiple_of(60)) {
        Ok(())
    } else {
        Err(PeriodError(period))
    }
}

/// What one period of one metric holds (empty when the metric is unknown
/// or holds another unit than `unit`).
pub fn period_aggregate(
    store: &MetricStore,
    key: &MetricKey,
    unit: Option<Unit>,
    period_start: Timestamp,
    period_us: i64,
    with_samples: bool,
) -> Aggregate {
    let Some(h) = store.get(key) else {
        return Aggregate::default();
    };
    if unit.is_some_and(|u| u != h.unit()) {
        return Aggregate::default();
    }
    h.aggregate(
        period_start,
        period_start.plus_micros(period_us),
        with_samples,
    )
}

/// The period starts of a query, ascending.
pub fn period_starts(
    start: Timestamp,
    end: Timestamp,
    period_us: i64,
) -> impl Iterator<Item = Timestamp> {
    let first = start.align_down(period_us);
    (0..)
        .map(move |i: i64| first.plus_micros(i.saturating_mul(period_us)))
        .take_while(move |t| *t < end)
}

/// How many periods a query spans.
pub fn period_count(start: Timestamp, end: Timestamp, period_us: i64) -> u64 {
    if end <= start {
        return 0;
    }
    let first = i128::from(start.align_down(period_us).micros());
    let period = i128::from(period_us.max(1));
    u64::try_from((i128::from(end.micros()) - first + period - 1) / period).unwrap_or(u64::MAX)
}

/// The datapoints of a `MetricStat` from `start` to `end`, ascending by
/// time; periods without data (or where the statistic is unavailable) are
/// left out, as CloudWatch leaves them out.
pub fn metric_stat_datapoints(
    store: &MetricStore,
    q: &MetricStat,
    start: Timestamp,
    end: Timestamp,
) -> Vec<(Timestamp, f64)> {
    let period_us = store.scale().secs_us(u64::from(q.period_secs));
    let Some(h) = store.get(&q.key) else {
        return Vec::new();
    };
    if q.unit.is_some_and(|u| u != h.unit()) {
        return Vec::new();
    }
    h.aggregate_by_period(start, end, period_us, !q.stat.is_basic())
        .into_iter()
        .filter_map(|(t, agg)| q.stat.compute(&agg).map(|v| (t, v)))
        .collect()
}

/// One row of `GetMetricStatistics`.
#[derive(Debug, Clone, PartialEq)]
pub struct StatisticsRow {
    /// The period's start.
    pub timestamp: Timestamp,
    /// The basic statistics asked for, in the order asked.
    pub basic: Vec<(Statistic, f64)>,
    /// The extended statistics asked for that are available.
    pub extended: Vec<(String, f64)>,
    /// The metric's unit.
    pub unit: Unit,
}

/// `GetMetricStatistics`: every period from `start` to `end` that holds
/// data, with the statistics asked for.
pub fn metric_statistics(
    store: &MetricStore,
    key: &MetricKey,
    unit: Option<Unit>,
    start: Timestamp,
    end: Timestamp,
    period_secs: u32,
    stats: &[Statistic],
) -> Vec<StatisticsRow> {
    let period_us = store.scale().secs_us(u64::from(period_secs));
    let Some(h) = store.get(key) else {
        return Vec::new();
    };
    let series_unit = h.unit();
    if unit.is_some_and(|u| u != series_unit) {
        return Vec::new();
    }
    let with_samples = stats.iter().any(|s| !s.is_basic());
    h.aggregate_by_period(start, end, period_us, with_samples)
        .into_iter()
        .map(|(t, agg)| {
            let mut row = StatisticsRow {
                timestamp: t,
                basic: Vec::new(),
                extended: Vec::new(),
                unit: series_unit,
            };
            for s in stats {
                match s.compute(&agg) {
                    Some(v) if s.is_basic() => row.basic.push((s.clone(), v)),
                    Some(v) => row.extended.push((s.to_string(), v)),
                    None => {}
                }
            }
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreConfig;
    use crate::time::TimeScale;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn periods() {
        assert!(validate_period(60).is_ok());
        assert!(validate_period(10).is_ok());
        assert!(validate_period(3600).is_ok());
        assert_eq!(validate_period(45), Err(PeriodError(45)));
        assert!(validate_period(0).is_err());
        let starts: Vec<_> = period_starts(
            t("2026-12-02T10:00:30Z"),
            t("2026-12-02T10:03:00Z"),
            60_000_000,
        )
        .collect();
        assert_eq!(
            starts,
            vec![
                t("2026-12-02T10:00:00Z"),
                t("2026-12-02T10:01:00Z"),
                t("2026-12-02T10:02:00Z")
            ]
        );
        assert_eq!(
            period_count(
                t("2026-12-02T10:00:30Z"),
                t("2026-12-02T10:03:00Z"),
                60_000_000
            ),
            3
        );
    }

    #[test]
    fn datapoints_per_period() {
        let store = MetricStore::new(StoreConfig::default());
        let k = MetricKey::new("N", "m");
        store.record(&k, 1.0, t("2026-12-02T10:00:01Z")).unwrap();
        store
            .record(&k, 3.0, t("2026-12-02T10:00:59.999Z"))
            .unwrap();
        store.record(&k, 10.0, t("2026-12-02T10:02:00Z")).unwrap();
        let q = MetricStat {
            key: k.clone(),
            period_secs: 60,
            stat: Statistic::Sum,
            unit: None,
        };
        let d = metric_stat_datapoints(
            &store,
            &q,
            t("2026-12-02T10:00:00Z"),
            t("2026-12-02T10:05:00Z"),
        );
        assert_eq!(
            d,
            vec![
                (t("2026-12-02T10:00:00Z"), 4.0),
                (t("2026-12-02T10:02:00Z"), 10.0)
            ]
        );
        let q = MetricStat {
            stat: Statistic::Percentile(50.0),
            ..q
        };
        let d = metric_stat_datapoints(
            &store,
            &q,
            t("2026-12-02T10:00:00Z"),
            t("2026-12-02T10:01:00Z"),
        );
        assert_eq!(d, vec![(t("2026-12-02T10:00:00Z"), 1.0)]);
        let q = MetricStat {
            unit: Some(Unit::Seconds),
            ..q
        };
        assert!(
            metric_stat_datapoints(
                &store,
                &q,
                t("2026-12-02T10:00:00Z"),
                t("2026-12-02T10:01:00Z")
            )
            .is_empty()
        );

        let rows = metric_statistics(
            &store,
            &k,
            None,
            t("2026-12-02T10:00:00Z"),
            t("2026-12-02T10:05:00Z"),
            120,
            &[
                Statistic::Average,
                Statistic::SampleCount,
                Statistic::Percentile(100.0),
            ],
        );
        assert_eq!(rows.len(), 2);
        assert_eq!(
            rows[0].basic,
            vec![(Statistic::Average, 2.0), (Statistic::SampleCount, 2.0)]
        );
        assert_eq!(rows[0].extended, vec![("p100".to_string(), 3.0)]);
    }

    #[test]
    fn scaled_periods() {
        let store = MetricStore::new(StoreConfig {
            scale: TimeScale::new(60.0).unwrap(),
            ..StoreConfig::default()
        });
        let k = MetricKey::new("N", "m");
        // A 60-second period lasts 60 scaled seconds: about one real second.
        let base = Timestamp::from_secs(1_800_000_000).align_down(60 * 16_667);
        store.record(&k, 1.0, base.plus_micros(10)).unwrap();
        store.record(&k, 1.0, base.plus_micros(900_000)).unwrap();
        store.record(&k, 1.0, base.plus_micros(1_100_000)).unwrap();
        let q = MetricStat {
            key: k,
            period_secs: 60,
            stat: Statistic::Sum,
            unit: None,
        };
        let d = metric_stat_datapoints(&store, &q, base, base.plus_micros(2_000_000));
        assert_eq!(d, vec![(base, 2.0), (base.plus_micros(60 * 16_667), 1.0)]);
    }
}
