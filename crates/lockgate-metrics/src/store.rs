//! The in-memory metric store.
//!
//! Every metric ([`MetricKey`]) is a series of one-second buckets (one
//! *scaled* second under a [`TimeScale`]; CloudWatch's high resolution).
//! A bucket holds the exact SampleCount, Sum, Minimum and Maximum of what
//! was recorded in it, and up to [`StoreConfig::max_samples_per_bucket`]
//! raw values (with their counts) for percentiles and the other extended
//! statistics; past that cap it keeps a uniform random sample of the values
//! (reservoir sampling), which statistics weight back up to the bucket's
//! full count. Each series also caps its raw values in total
//! ([`StoreConfig::max_samples_per_series`]): the oldest buckets lose their
//! raw values first, and extended statistics over them become unavailable,
//! while their exact statistics stay. Buckets older than
//! [`StoreConfig::retention_secs`] are dropped.
//!
//! Recording is one read-locked hash lookup and one short mutex section
//! that updates the newest bucket; no allocation happens unless a new
//! metric or a new bucket starts (bucket buffers are recycled). A
//! [`MetricHandle`] skips the lookup altogether: resolve it once, record
//! into it many times.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::key::MetricKey;
use crate::time::{TimeScale, Timestamp};
use crate::unit::Unit;

/// Limits and time scale of a [`MetricStore`].
#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// How long buckets are kept, in (scaled) seconds. Default 3 hours.
    pub retention_secs: u64,
    /// Raw values kept per one-second bucket before reservoir sampling.
    /// Default 128.
    pub max_samples_per_bucket: usize,
    /// Raw values kept per metric across all its buckets. Default 65 536
    /// (1 MiB of values per metric).
    pub max_samples_per_series: usize,
    /// How many distinct metrics the store accepts. Default 5 000.
    pub max_metrics: usize,
    /// The time scale every duration is divided by.
    pub scale: TimeScale,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            retention_secs: 3 * 3600,
            max_samples_per_bucket: 128,
            max_samples_per_series: 65_536,
            max_metrics: 5_000,
            scale: TimeScale::REAL,
        }
    }
}

/// Why a datapoint was not stored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StoreError {
    /// The store already holds [`StoreConfig::max_metrics`] metrics.
    #[error("the metric store already holds its limit of {limit} metrics; {key} was not created")]
    TooManyMetrics {
        /// The limit.
        limit: usize,
        /// The metric that was refused.
        key: String,
    },
    /// A value was NaN or infinite.
    #[error("value {value} of {key} is not a finite number")]
    NotFinite {
        /// The value, as text.
        value: String,
        /// The metric.
        key: String,
    },
    /// A statistic set whose numbers contradict each other.
    #[error("statistic set of {key} is not consistent: {reason}")]
    BadStatisticSet {
        /// The metric.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

/// What one datapoint carries, as `PutMetricData` allows.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    /// One value.
    Value(f64),
    /// Values, each seen `count` times (`Values` and `Counts`).
    Values(Vec<(f64, f64)>),
    /// A statistic set: aggregated values without the values themselves.
    StatisticSet {
        /// SampleCount.
        count: f64,
        /// Sum.
        sum: f64,
        /// Minimum.
        min: f64,
        /// Maximum.
        max: f64,
    },
}

/// One raw value and how many times it was seen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The value.
    pub value: f64,
    /// How many times it counts (1 for a single value; reservoir-sampled
    /// buckets scale it up).
    pub weight: f64,
}

#[derive(Debug)]
struct Bucket {
    start: i64,
    count: f64,
    sum: f64,
    min: f64,
    max: f64,
    samples: Vec<Sample>,
    /// Entries offered to `samples` (each value or value+count pair once).
    offered: u64,
    /// Weight of the entries offered.
    offered_weight: f64,
    /// False once a statistic set that cannot be turned into values was
    /// added, or the raw values were dropped to respect the series cap.
    raw_complete: bool,
}

#[derive(Debug)]
struct SeriesData {
    buckets: VecDeque<Bucket>,
    spare: Vec<Vec<Sample>>,
    samples_total: usize,
    rng: u64,
    unit: Unit,
}

#[derive(Debug)]
struct Series {
    key: MetricKey,
    data: Mutex<SeriesData>,
}

/// A resolved metric: record into it without a lookup. Cheap to clone;
/// stays valid for the store's life (a pruned metric's handle keeps
/// working, but the store no longer lists it until it is resolved again).
#[derive(Debug, Clone)]
pub struct MetricHandle {
    series: Arc<Series>,
    config: Arc<StoreConfig>,
}

/// The metric store: thread-safe, bounded, in memory. See the module docs.
#[derive(Debug)]
pub struct MetricStore {
    config: Arc<StoreConfig>,
    /// foldhash: several times faster than SipHash on the keys' strings,
    /// and still seeded per process.
    series: RwLock<HashMap<MetricKey, MetricHandle, foldhash::fast::RandomState>>,
}

/// What a range of buckets holds, for statistics.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Aggregate {
    /// SampleCount (0: no data).
    pub count: f64,
    /// Sum.
    pub sum: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Raw values with weights scaled to stand for every value recorded.
    pub samples: Vec<Sample>,
    /// Whether `samples` stand for every bucket in the range (false when a
    /// statistic set without values, or a bucket that lost its raw values,
    /// is in it): extended statistics are then unavailable, as on
    /// CloudWatch.
    pub samples_complete: bool,
}

impl Aggregate {
    /// Whether nothing was recorded in the range.
    pub fn is_empty(&self) -> bool {
        self.count <= 0.0
    }
}

fn lock(m: &Mutex<SeriesData>) -> MutexGuard<'_, SeriesData> {
    // A panic while holding the lock cannot leave a bucket half-written in
    // a way that matters more than losing the metric: keep going.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MetricStore {
    /// An empty store.
    pub fn new(config: StoreConfig) -> Self {
        MetricStore {
            config: Arc::new(config),
            series: RwLock::new(HashMap::default()),
        }
    }

    /// The store's configuration.
    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    /// The store's time scale.
    pub fn scale(&self) -> TimeScale {
        self.config.scale
    }

    /// The handle of `key`, created if new.
    pub fn handle(&self, key: &MetricKey) -> Result<MetricHandle, StoreError> {
        if let Some(h) = self.get(key) {
            return Ok(h);
        }
        let mut map = self.series.write().unwrap_or_else(|e| e.into_inner());
        if let Some(h) = map.get(key) {
            return Ok(h.clone());
        }
        if map.len() >= self.config.max_metrics {
            return Err(StoreError::TooManyMetrics {
                limit: self.config.max_metrics,
                key: key.to_string(),
            });
        }
        let h = MetricHandle {
            series: Arc::new(Series {
                key: key.clone(),
                data: Mutex::new(SeriesData {
                    buckets: VecDeque::new(),
                    spare: Vec::new(),
                    samples_total: 0,
                    rng: seed(key),
                    unit: Unit::None,
                }),
            }),
            config: self.config.clone(),
        };
        map.insert(key.clone(), h.clone());
        Ok(h)
    }

    /// The handle of `key` if the store has it.
    pub fn get(&self, key: &MetricKey) -> Option<MetricHandle> {
        let map = self.series.read().unwrap_or_else(|e| e.into_inner());
        map.get(key).cloned()
    }

    /// Records one value of `key` at `at` (the hot path: no allocation
    /// unless the metric or its current bucket is new).
    pub fn record(&self, key: &MetricKey, value: f64, at: Timestamp) -> Result<(), StoreError> {
        {
            let map = self.series.read().unwrap_or_else(|e| e.into_inner());
            if let Some(h) = map.get(key) {
                return h.record(value, at);
            }
        }
        self.handle(key)?.record(value, at)
    }

    /// Records a datapoint of any shape, with its unit.
    pub fn put(
        &self,
        key: &MetricKey,
        datum: &Datum,
        unit: Unit,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        self.handle(key)?.put(datum, unit, at)
    }

    /// Every metric with data newer than `since`, sorted.
    pub fn metrics(&self, since: Timestamp) -> Vec<MetricKey> {
        let handles: Vec<MetricHandle> = {
            let map = self.series.read().unwrap_or_else(|e| e.into_inner());
            map.values().cloned().collect()
        };
        let mut keys: Vec<MetricKey> = handles
            .into_iter()
            .filter(|h| {
                h.last_bucket_start()
                    .is_some_and(|t| t >= since.align_down(h.bucket_us()))
            })
            .map(|h| h.series.key.clone())
            .collect();
        keys.sort();
        keys
    }

    /// How many metrics the store holds.
    pub fn len(&self) -> usize {
        self.series.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the store holds no metric.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops buckets older than the retention before `now`, and metrics
    /// left with none. Call it now and then (recording prunes each metric
    /// it writes to; this catches metrics that stopped being written).
    pub fn prune(&self, now: Timestamp) {
        let mut map = self.series.write().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, h| {
            let mut d = lock(&h.series.data);
            let cutoff = now.micros() - h.retention_us();
            expire(&mut d, cutoff);
            !d.buckets.is_empty()
        });
    }
}

fn seed(key: &MetricKey) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    h.finish() | 1
}

fn next_rand(state: &mut u64) -> u64 {
    // xorshift64*: fast, deterministic per metric; reservoir sampling only
    // needs uniformity, not unpredictability.
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

fn expire(d: &mut SeriesData, cutoff: i64) {
    while d.buckets.front().is_some_and(|b| b.start < cutoff) {
        if let Some(b) = d.buckets.pop_front() {
            release(d, b.samples);
        }
    }
}

fn release(d: &mut SeriesData, mut samples: Vec<Sample>) {
    d.samples_total -= samples.len();
    if d.spare.len() < 4 {
        samples.clear();
        d.spare.push(samples);
    }
}

impl MetricHandle {
    /// The metric this handle records into.
    pub fn key(&self) -> &MetricKey {
        &self.series.key
    }

    fn bucket_us(&self) -> i64 {
        self.config.scale.second_us()
    }

    fn retention_us(&self) -> i64 {
        self.config.scale.secs_us(self.config.retention_secs)
    }

    fn last_bucket_start(&self) -> Option<Timestamp> {
        lock(&self.series.data)
            .buckets
            .back()
            .map(|b| Timestamp(b.start))
    }

    /// Records one value at `at`.
    pub fn record(&self, value: f64, at: Timestamp) -> Result<(), StoreError> {
        if !value.is_finite() {
            return Err(StoreError::NotFinite {
                value: value.to_string(),
                key: self.series.key.to_string(),
            });
        }
        let mut d = lock(&self.series.data);
        if let Some(b) = self.bucket_for(&mut d, at) {
            add_value(&mut d, b, value, 1.0, &self.config);
        }
        Ok(())
    }

    /// Records a datapoint of any shape with its unit.
    pub fn put(&self, datum: &Datum, unit: Unit, at: Timestamp) -> Result<(), StoreError> {
        let key = || self.series.key.to_string();
        let finite = |v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(StoreError::NotFinite {
                    value: v.to_string(),
                    key: key(),
                })
            }
        };
        match datum {
            Datum::Value(v) => finite(*v)?,
            Datum::Values(vs) => {
                for (v, c) in vs {
                    finite(*v)?;
                    finite(*c)?;
                    if *c < 0.0 {
                        return Err(StoreError::BadStatisticSet {
                            key: key(),
                            reason: format!("count {c} is negative"),
                        });
                    }
                }
            }
            Datum::StatisticSet {
                count,
                sum,
                min,
                max,
            } => {
                for v in [count, sum, min, max] {
                    finite(*v)?;
                }
                if *count <= 0.0 {
                    return Err(StoreError::BadStatisticSet {
                        key: key(),
                        reason: format!("SampleCount {count} must be greater than 0"),
                    });
                }
                if min > max {
                    return Err(StoreError::BadStatisticSet {
                        key: key(),
                        reason: format!("Minimum {min} is greater than Maximum {max}"),
                    });
                }
            }
        }
        let mut d = lock(&self.series.data);
        d.unit = unit;
        let Some(b) = self.bucket_for(&mut d, at) else {
            return Ok(());
        };
        match datum {
            Datum::Value(v) => add_value(&mut d, b, *v, 1.0, &self.config),
            Datum::Values(vs) => {
                for (v, c) in vs {
                    if *c > 0.0 {
                        add_value(&mut d, b, *v, *c, &self.config);
                    }
                }
            }
            Datum::StatisticSet {
                count,
                sum,
                min,
                max,
            } => {
                // CloudWatch computes percentiles over a statistic set only
                // when it stands for one value repeated (SampleCount 1, or
                // Minimum equal to Maximum).
                if *count == 1.0 || min == max {
                    add_value(&mut d, b, *min, *count, &self.config);
                    // Keep the exact sum given (a repeated value's sum can
                    // differ from min*count by rounding).
                    let bucket = &mut d.buckets[b];
                    bucket.sum += sum - min * count;
                } else {
                    let bucket = &mut d.buckets[b];
                    bucket.count += count;
                    bucket.sum += sum;
                    bucket.min = bucket.min.min(*min);
                    bucket.max = bucket.max.max(*max);
                    bucket.raw_complete = false;
                }
            }
        }
        Ok(())
    }

    /// The index of the bucket holding `at`, created if needed; `None` when
    /// `at` is older than the retention (the value is dropped).
    fn bucket_for(&self, d: &mut SeriesData, at: Timestamp) -> Option<usize> {
        let width = self.bucket_us();
        let start = at.align_down(width).micros();
        match d.buckets.back() {
            Some(last) if last.start == start => return Some(d.buckets.len() - 1),
            Some(last) if last.start < start => {
                let cutoff = start - self.retention_us();
                expire(d, cutoff);
                let samples = d.spare.pop().unwrap_or_default();
                d.buckets.push_back(new_bucket(start, samples));
                return Some(d.buckets.len() - 1);
            }
            None => {
                let samples = d.spare.pop().unwrap_or_default();
                d.buckets.push_back(new_bucket(start, samples));
                return Some(0);
            }
            Some(_) => {}
        }
        // Out of order (a PutMetricData with an older timestamp).
        let newest = d.buckets.back().map_or(start, |b| b.start);
        if start < newest - self.retention_us() {
            return None;
        }
        match d.buckets.binary_search_by(|b| b.start.cmp(&start)) {
            Ok(i) => Some(i),
            Err(i) => {
                let samples = d.spare.pop().unwrap_or_default();
                d.buckets.insert(i, new_bucket(start, samples));
                Some(i)
            }
        }
    }

    /// Everything recorded from `start` (inclusive) to `end` (exclusive),
    /// by whole buckets (a bucket belongs to the range its start is in).
    /// With `with_samples` false the raw values are not copied (cheaper:
    /// enough for SampleCount, Sum, Average, Minimum and Maximum).
    pub fn aggregate(&self, start: Timestamp, end: Timestamp, with_samples: bool) -> Aggregate {
        let d = lock(&self.series.data);
        let from = d.buckets.partition_point(|b| b.start < start.micros());
        let mut agg = Aggregate {
            count: 0.0,
            sum: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            samples: Vec::new(),
            samples_complete: true,
        };
        for b in d.buckets.range(from..) {
            if b.start >= end.micros() {
                break;
            }
            agg.count += b.count;
            agg.sum += b.sum;
            agg.min = agg.min.min(b.min);
            agg.max = agg.max.max(b.max);
            agg.samples_complete &= b.raw_complete;
            if with_samples && b.raw_complete {
                // A sampled bucket's values each stand for more of them.
                let kept: f64 = b.samples.iter().map(|s| s.weight).sum();
                let factor = if kept > 0.0 {
                    b.offered_weight / kept
                } else {
                    1.0
                };
                agg.samples.extend(b.samples.iter().map(|s| Sample {
                    value: s.value,
                    weight: s.weight * factor,
                }));
            }
        }
        if agg.count <= 0.0 {
            return Aggregate::default();
        }
        agg
    }

    /// Everything recorded from `start` to `end`, grouped by periods of
    /// `period_us` aligned to multiples of it since the epoch: one entry per
    /// period that holds data, ascending. Walks the buckets once, so a wide
    /// range over sparse data costs only the data.
    pub fn aggregate_by_period(
        &self,
        start: Timestamp,
        end: Timestamp,
        period_us: i64,
        with_samples: bool,
    ) -> Vec<(Timestamp, Aggregate)> {
        let period_us = period_us.max(1);
        let first = start.align_down(period_us);
        let d = lock(&self.series.data);
        let from = d.buckets.partition_point(|b| b.start < first.micros());
        let mut out: Vec<(Timestamp, Aggregate)> = Vec::new();
        for b in d.buckets.range(from..) {
            if b.start >= end.micros() {
                break;
            }
            let p = Timestamp(b.start).align_down(period_us);
            if out.last().is_none_or(|(t, _)| *t != p) {
                out.push((
                    p,
                    Aggregate {
                        count: 0.0,
                        sum: 0.0,
                        min: f64::INFINITY,
                        max: f64::NEG_INFINITY,
                        samples: Vec::new(),
                        samples_complete: true,
                    },
                ));
            }
            if let Some((_, agg)) = out.last_mut() {
                add_bucket(agg, b, with_samples);
            }
        }
        out.retain(|(_, a)| a.count > 0.0);
        out
    }

    /// The unit last recorded with this metric.
    pub fn unit(&self) -> Unit {
        lock(&self.series.data).unit
    }

    /// Sets the metric's unit (what [`MetricHandle::record`] keeps).
    pub fn set_unit(&self, unit: Unit) {
        lock(&self.series.data).unit = unit;
    }
}

fn add_bucket(agg: &mut Aggregate, b: &Bucket, with_samples: bool) {
    agg.count += b.count;
    agg.sum += b.sum;
    agg.min = agg.min.min(b.min);
    agg.max = agg.max.max(b.max);
    agg.samples_complete &= b.raw_complete;
    if with_samples && b.raw_complete {
        // A sampled bucket's values each stand for more of them.
        let kept: f64 = b.samples.iter().map(|s| s.weight).sum();
        let factor = if kept > 0.0 {
            b.offered_weight / kept
        } else {
            1.0
        };
        agg.samples.extend(b.samples.iter().map(|s| Sample {
            value: s.value,
            weight: s.weight * factor,
        }));
    }
}

fn new_bucket(start: i64, samples: Vec<Sample>) -> Bucket {
    Bucket {
        start,
        count: 0.0,
        sum: 0.0,
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        samples,
        offered: 0,
        offered_weight: 0.0,
        raw_complete: true,
    }
}

fn add_value(d: &mut SeriesData, b: usize, value: f64, count: f64, config: &StoreConfig) {
    let cap = config.max_samples_per_bucket;
    let bucket = &mut d.buckets[b];
    bucket.count += count;
    bucket.sum += value * count;
    bucket.min = bucket.min.min(value);
    bucket.max = bucket.max.max(value);
    if !bucket.raw_complete {
        return;
    }
    bucket.offered += 1;
    bucket.offered_weight += count;
    let sample = Sample {
        value,
        weight: count,
    };
    if bucket.samples.len() < cap {
        bucket.samples.push(sample);
        d.samples_total += 1;
        if d.samples_total > config.max_samples_per_series {
            shed_oldest_samples(d, b, config.max_samples_per_series);
        }
    } else if cap > 0 {
        // Reservoir sampling (Algorithm R): keep each of the `offered`
        // entries with the same probability cap/offered.
        let offered = bucket.offered;
        let j = next_rand(&mut d.rng) % offered;
        let bucket = &mut d.buckets[b];
        if let Ok(j) = usize::try_from(j)
            && j < cap
        {
            bucket.samples[j] = sample;
        }
    }
}

/// Drops the raw values of the oldest buckets (never bucket `keep`) until
/// the series is back under its cap; those buckets keep their exact
/// statistics but no longer offer extended ones.
fn shed_oldest_samples(d: &mut SeriesData, keep: usize, max: usize) {
    let mut i = 0;
    while d.samples_total > max && i < d.buckets.len() {
        let b = &mut d.buckets[i];
        if i != keep && b.raw_complete {
            b.raw_complete = false;
            let samples = std::mem::take(&mut b.samples);
            release(d, samples);
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Statistic;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_secs(1_800_000_000 + s)
    }

    #[test]
    fn records_into_one_second_buckets() {
        let store = MetricStore::new(StoreConfig::default());
        let k = MetricKey::new("N", "m");
        for i in 0..10 {
            store
                .record(&k, f64::from(i), t(0).plus_micros(i64::from(i) * 150_000))
                .unwrap();
        }
        let h = store.get(&k).unwrap();
        let a = h.aggregate(t(0), t(1), true);
        assert_eq!((a.count, a.sum, a.min, a.max), (7.0, 21.0, 0.0, 6.0));
        assert_eq!(a.samples.len(), 7);
        let b = h.aggregate(t(0), t(2), false);
        assert_eq!((b.count, b.sum), (10.0, 45.0));
        assert!(b.samples.is_empty());
        assert!(h.aggregate(t(5), t(9), true).is_empty());
        assert_eq!(store.metrics(t(0)), vec![k.clone()]);
        assert!(store.metrics(t(10)).is_empty());
        assert!(store.record(&k, f64::NAN, t(0)).is_err());
    }

    #[test]
    fn reservoir_keeps_counts_exact_and_weights_samples_back() {
        let store = MetricStore::new(StoreConfig {
            max_samples_per_bucket: 16,
            ..StoreConfig::default()
        });
        let k = MetricKey::new("N", "m");
        for i in 0..1000 {
            store.record(&k, f64::from(i % 100), t(0)).unwrap();
        }
        let a = store.get(&k).unwrap().aggregate(t(0), t(1), true);
        assert_eq!(a.count, 1000.0);
        assert_eq!(a.samples.len(), 16);
        let w: f64 = a.samples.iter().map(|s| s.weight).sum();
        assert!((w - 1000.0).abs() < 1e-9, "{w}");
        assert_eq!(Statistic::Maximum.compute(&a), Some(99.0));
        assert!(Statistic::Percentile(50.0).compute(&a).is_some());
    }

    #[test]
    fn statistic_sets_and_values_with_counts() {
        let store = MetricStore::new(StoreConfig::default());
        let k = MetricKey::new("N", "m");
        store
            .put(
                &k,
                &Datum::Values(vec![(1.0, 3.0), (5.0, 1.0)]),
                Unit::Milliseconds,
                t(0),
            )
            .unwrap();
        let a = store.get(&k).unwrap().aggregate(t(0), t(1), true);
        assert_eq!((a.count, a.sum), (4.0, 8.0));
        assert_eq!(Statistic::Percentile(75.0).compute(&a), Some(1.0));
        assert_eq!(store.get(&k).unwrap().unit(), Unit::Milliseconds);
        // A set standing for one repeated value keeps percentiles.
        store
            .put(
                &k,
                &Datum::StatisticSet {
                    count: 2.0,
                    sum: 4.0,
                    min: 2.0,
                    max: 2.0,
                },
                Unit::Milliseconds,
                t(1),
            )
            .unwrap();
        let a = store.get(&k).unwrap().aggregate(t(1), t(2), true);
        assert_eq!(Statistic::Percentile(50.0).compute(&a), Some(2.0));
        // Any other set makes extended statistics unavailable for its period.
        store
            .put(
                &k,
                &Datum::StatisticSet {
                    count: 3.0,
                    sum: 6.0,
                    min: 1.0,
                    max: 3.0,
                },
                Unit::Milliseconds,
                t(2),
            )
            .unwrap();
        let a = store.get(&k).unwrap().aggregate(t(0), t(3), true);
        assert_eq!((a.count, a.sum, a.min, a.max), (9.0, 18.0, 1.0, 5.0));
        assert_eq!(Statistic::Percentile(50.0).compute(&a), None);
        assert!(
            store
                .put(
                    &k,
                    &Datum::StatisticSet {
                        count: 0.0,
                        sum: 0.0,
                        min: 0.0,
                        max: 0.0
                    },
                    Unit::None,
                    t(3)
                )
                .is_err()
        );
        assert!(
            store
                .put(
                    &k,
                    &Datum::StatisticSet {
                        count: 1.0,
                        sum: 0.0,
                        min: 2.0,
                        max: 1.0
                    },
                    Unit::None,
                    t(3)
                )
                .is_err()
        );
    }

    #[test]
    fn out_of_order_and_retention() {
        let store = MetricStore::new(StoreConfig {
            retention_secs: 100,
            ..StoreConfig::default()
        });
        let k = MetricKey::new("N", "m");
        store.record(&k, 1.0, t(50)).unwrap();
        store.record(&k, 2.0, t(10)).unwrap();
        store.record(&k, 3.0, t(30)).unwrap();
        let h = store.get(&k).unwrap();
        assert_eq!(h.aggregate(t(0), t(60), false).sum, 6.0);
        assert_eq!(h.aggregate(t(20), t(40), false).sum, 3.0);
        // Too old to keep: dropped.
        store.record(&k, 100.0, t(-100)).unwrap();
        assert_eq!(h.aggregate(t(-200), t(60), false).sum, 6.0);
        // A newer value expires buckets older than the retention.
        store.record(&k, 4.0, t(125)).unwrap();
        assert_eq!(h.aggregate(t(0), t(200), false).sum, 8.0);
        store.prune(t(500));
        assert!(store.is_empty());
    }

    #[test]
    fn concurrent_recording_loses_nothing() {
        let store = std::sync::Arc::new(MetricStore::new(StoreConfig::default()));
        let k = MetricKey::new("N", "m");
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (store, k) = (store.clone(), k.clone());
                std::thread::spawn(move || {
                    for j in 0..10_000 {
                        store.record(&k, f64::from(i), t(j % 7)).unwrap();
                    }
                })
            })
            .collect();
        for th in threads {
            th.join().unwrap();
        }
        let a = store.get(&k).unwrap().aggregate(t(0), t(7), false);
        assert_eq!((a.count, a.sum), (40_000.0, 60_000.0));
    }

    #[test]
    fn writing_to_the_oldest_bucket_still_respects_the_series_cap() {
        // 11 values fit; the 20 written later into the oldest bucket do not.
        let store = MetricStore::new(StoreConfig {
            max_samples_per_series: 12,
            ..StoreConfig::default()
        });
        let k = MetricKey::new("N", "m");
        store.record(&k, 1.0, t(0)).unwrap();
        for s in 1..=5 {
            store.record(&k, 1.0, t(s)).unwrap();
            store.record(&k, 1.0, t(s)).unwrap();
        }
        // Out of order, into the oldest bucket: newer buckets give way.
        for _ in 0..20 {
            store.record(&k, 2.0, t(0)).unwrap();
        }
        let h = store.get(&k).unwrap();
        let others: usize = (1..6)
            .map(|s| h.aggregate(t(s), t(s + 1), true).samples.len())
            .sum();
        assert_eq!(others, 0);
        assert_eq!(h.aggregate(t(0), t(6), false).count, 31.0);
    }

    #[test]
    fn limits() {
        let store = MetricStore::new(StoreConfig {
            max_metrics: 2,
            max_samples_per_series: 10,
            ..StoreConfig::default()
        });
        store.record(&MetricKey::new("N", "a"), 1.0, t(0)).unwrap();
        store.record(&MetricKey::new("N", "b"), 1.0, t(0)).unwrap();
        let e = store
            .record(&MetricKey::new("N", "c"), 1.0, t(0))
            .unwrap_err();
        assert!(e.to_string().contains("limit of 2 metrics"), "{e}");
        let k = MetricKey::new("N", "a");
        for s in 1..=6 {
            store.record(&k, 1.0, t(s)).unwrap();
            store.record(&k, 2.0, t(s)).unwrap();
        }
        let h = store.get(&k).unwrap();
        // The oldest buckets lost their raw values; their exact statistics stay.
        assert_eq!(
            Statistic::Percentile(50.0).compute(&h.aggregate(t(0), t(1), true)),
            None
        );
        assert_eq!(h.aggregate(t(0), t(7), false).count, 13.0);
        assert_eq!(
            Statistic::Percentile(100.0).compute(&h.aggregate(t(6), t(7), true)),
            Some(2.0)
        );
    }
}
