//! Statistics over a period, as CloudWatch names and computes them.
//!
//! The five basic statistics are exact. Extended statistics are computed
//! from the raw values the store keeps (all of them up to its per-bucket
//! cap, a uniform sample beyond it):
//!
//! - `pNN` / `pNN.NN`: the percentile by **nearest rank** over the values
//!   weighted by their counts: the smallest recorded value `v` such that
//!   at least NN% of the total count is `<= v` (`p0` is the minimum,
//!   `p100` the maximum). No interpolation: the answer is always a value
//!   that was recorded, as CloudWatch's percentiles are.
//! - `tmNN` / `TM(a%:b%)` / `TM(a:b)`: trimmed mean: the mean of the values
//!   `v` with `lower < v <= upper`, where percent bounds are the
//!   nearest-rank percentiles above and absolute bounds are values; a
//!   missing or 0% lower bound keeps the minimum (`tm90` = `TM(:90%)`).
//! - `tcNN` / `TC(…)`: trimmed count: how many values are in those bounds.
//! - `tsNN` / `TS(…)`: trimmed sum: their sum.
//! - `wmNN` / `WM(…)`: winsorized mean: values below the lower bound count
//!   as the lower bound, above the upper bound as the upper bound.
//! - `PR(a:b)`: percentile rank: the percentage of the count with
//!   `a < v <= b` (absolute bounds only).
//! - `IQM`: interquartile mean, `TM(25%:75%)`.
//!
//! As on CloudWatch, extended statistics are not available (no datapoint)
//! over a period that holds a negative value or a statistic set that does
//! not stand for single values.

use std::fmt;

use crate::store::{Aggregate, Sample};

/// One bound of a trimmed statistic's range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A percentile, 0–100.
    Percent(f64),
    /// An absolute value.
    Value(f64),
}

/// A statistic: basic or extended.
#[derive(Debug, Clone, PartialEq)]
pub enum Statistic {
    /// Number of values.
    SampleCount,
    /// Their sum.
    Sum,
    /// Sum / SampleCount.
    Average,
    /// The smallest.
    Minimum,
    /// The largest.
    Maximum,
    /// `pNN`.
    Percentile(f64),
    /// `tm` / `TM(…)`.
    TrimmedMean(Option<Bound>, Option<Bound>),
    /// `tc` / `TC(…)`.
    TrimmedCount(Option<Bound>, Option<Bound>),
    /// `ts` / `TS(…)`.
    TrimmedSum(Option<Bound>, Option<Bound>),
    /// `wm` / `WM(…)`.
    WinsorizedMean(Option<Bound>, Option<Bound>),
    /// `PR(a:b)`.
    PercentileRank(Option<f64>, Option<f64>),
    /// `IQM`.
    InterquartileMean,
}

/// Why a statistic's name was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "statistic {0:?} is not valid: expected SampleCount, Sum, Average, Minimum, Maximum, pNN(.NN), tmNN, tcNN, tsNN, wmNN, TM(a%:b%), TC(…), TS(…), WM(…), PR(a:b) or IQM"
)]
pub struct StatisticError(pub String);

impl Statistic {
    /// Parses a statistic as CloudWatch spells it (`Sum`, `p99`, `p99.9`,
    /// `tm90`, `TM(10%:90%)`, `PR(:300)`, `IQM`; extended statistics in
    /// either case).
    pub fn parse(s: &str) -> Result<Statistic, StatisticError> {
        let err = || StatisticError(s.to_string());
        match s {
            "SampleCount" => return Ok(Statistic::SampleCount),
            "Sum" => return Ok(Statistic::Sum),
            "Average" => return Ok(Statistic::Average),
            "Minimum" => return Ok(Statistic::Minimum),
            "Maximum" => return Ok(Statistic::Maximum),
            _ => {}
        }
        let lower = s.to_ascii_lowercase();
        if lower == "iqm" {
            return Ok(Statistic::InterquartileMean);
        }
        let (kind, rest) = lower.split_at(
            lower
                .find(|c: char| !c.is_ascii_alphabetic())
                .ok_or_else(err)?,
        );
        if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            let (a, b) = inner.split_once(':').ok_or_else(err)?;
            if kind == "pr" {
                let num = |t: &str| -> Result<Option<f64>, StatisticError> {
                    if t.is_empty() {
                        Ok(None)
                    } else {
                        t.parse::<f64>()
                            .ok()
                            .filter(|v| v.is_finite())
                            .map(Some)
                            .ok_or_else(err)
                    }
                };
                let (a, b) = (num(a)?, num(b)?);
                if a.is_none() && b.is_none() {
                    return Err(err());
                }
                return Ok(Statistic::PercentileRank(a, b));
            }
            let bound = |t: &str| -> Result<Option<Bound>, StatisticError> {
                if t.is_empty() {
                    return Ok(None);
                }
                if let Some(p) = t.strip_suffix('%') {
                    let v: f64 = p.parse().map_err(|_| err())?;
                    if !(0.0..=100.0).contains(&v) {
                        return Err(err());
                    }
                    Ok(Some(Bound::Percent(v)))
                } else {
                    let v: f64 = t.parse().map_err(|_| err())?;
                    if !v.is_finite() {
                        return Err(err());
                    }
                    Ok(Some(Bound::Value(v)))
                }
            };
            let (a, b) = (bound(a)?, bound(b)?);
            if a.is_none() && b.is_none() {
                return Err(err());
            }
            return match kind {
                "tm" => Ok(Statistic::TrimmedMean(a, b)),
                "tc" => Ok(Statistic::TrimmedCount(a, b)),
                "ts" => Ok(Statistic::TrimmedSum(a, b)),
                "wm" => Ok(Statistic::WinsorizedMean(a, b)),
                _ => Err(err()),
            };
        }
        // pNN, tmNN, …: a percentage, at most two decimals.
        if rest.is_empty() || rest.starts_with('.') || rest.ends_with('.') {
            return Err(err());
        }
        if rest.split_once('.').is_some_and(|(_, f)| f.len() > 2)
            || !rest.chars().all(|c| c.is_ascii_digit() || c == '.')
        {
            return Err(err());
        }
        let v: f64 = rest.parse().map_err(|_| err())?;
        if !(0.0..=100.0).contains(&v) {
            return Err(err());
        }
        let upper = Some(Bound::Percent(v));
        match kind {
            "p" => Ok(Statistic::Percentile(v)),
            "tm" => Ok(Statistic::TrimmedMean(None, upper)),
            "tc" => Ok(Statistic::TrimmedCount(None, upper)),
            "ts" => Ok(Statistic::TrimmedSum(None, upper)),
            "wm" => Ok(Statistic::WinsorizedMean(None, upper)),
            _ => Err(err()),
        }
    }

    /// Whether this is one of the five basic statistics (`Statistic` rather
    /// than `ExtendedStatistic` in CloudWatch's APIs).
    pub fn is_basic(&self) -> bool {
        matches!(
            self,
            Statistic::SampleCount
                | Statistic::Sum
                | Statistic::Average
                | Statistic::Minimum
                | Statistic::Maximum
        )
    }

    /// For a percentile, the fraction (0.99 for p99) — used by
    /// `EvaluateLowSampleCountPercentile`.
    pub fn percentile_fraction(&self) -> Option<f64> {
        match self {
            Statistic::Percentile(p) => Some(p / 100.0),
            _ => None,
        }
    }

    /// The statistic's value over what a period holds; `None` when the
    /// period has no data or the statistic is not available for it.
    pub fn compute(&self, agg: &Aggregate) -> Option<f64> {
        if agg.is_empty() {
            return None;
        }
        match self {
            Statistic::SampleCount => return Some(agg.count),
            Statistic::Sum => return Some(agg.sum),
            Statistic::Average => return Some(agg.sum / agg.count),
            Statistic::Minimum => return Some(agg.min),
            Statistic::Maximum => return Some(agg.max),
            _ => {}
        }
        if !agg.samples_complete || agg.samples.is_empty() || agg.min < 0.0 {
            return None;
        }
        let mut sorted: Vec<Sample> = agg.samples.clone();
        sorted.sort_by(|a, b| a.value.total_cmp(&b.value));
        compute_sorted(self, &sorted)
    }
}

/// Nearest-rank weighted percentile over values sorted ascending.
pub fn percentile_sorted(sorted: &[Sample], pct: f64) -> Option<f64> {
    let total: f64 = sorted.iter().map(|s| s.weight).sum();
    if sorted.is_empty() || total <= 0.0 {
        return None;
    }
    if pct <= 0.0 {
        return sorted.first().map(|s| s.value);
    }
    let target = pct / 100.0 * total;
    let mut cum = 0.0;
    for s in sorted {
        cum += s.weight;
        // A relative tolerance keeps p50 of [1, 2] at 1 despite rounding
        // in the weights.
        if cum >= target * (1.0 - 1e-12) {
            return Some(s.value);
        }
    }
    sorted.last().map(|s| s.value)
}

fn resolve(sorted: &[Sample], b: Option<Bound>) -> Option<f64> {
    match b? {
        Bound::Percent(p) if p <= 0.0 => None,
        Bound::Percent(p) => percentile_sorted(sorted, p),
        Bound::Value(v) => Some(v),
    }
}

fn compute_sorted(stat: &Statistic, sorted: &[Sample]) -> Option<f64> {
    let within = |lo: Option<f64>, hi: Option<f64>| {
        sorted
            .iter()
            .filter(move |s| lo.is_none_or(|l| s.value > l) && hi.is_none_or(|h| s.value <= h))
    };
    match stat {
        Statistic::Percentile(p) => percentile_sorted(sorted, *p),
        Statistic::TrimmedMean(a, b)
        | Statistic::TrimmedCount(a, b)
        | Statistic::TrimmedSum(a, b) => {
            let (lo, hi) = (resolve(sorted, *a), resolve(sorted, *b));
            let (mut n, mut sum) = (0.0, 0.0);
            for s in within(lo, hi) {
                n += s.weight;
                sum += s.value * s.weight;
            }
            match stat {
                Statistic::TrimmedCount(..) => Some(n),
                Statistic::TrimmedSum(..) if n > 0.0 => Some(sum),
                Statistic::TrimmedMean(..) if n > 0.0 => Some(sum / n),
                _ => None,
            }
        }
        Statistic::InterquartileMean => compute_sorted(
            &Statistic::TrimmedMean(Some(Bound::Percent(25.0)), Some(Bound::Percent(75.0))),
            sorted,
        ),
        Statistic::WinsorizedMean(a, b) => {
            let (lo, hi) = (resolve(sorted, *a), resolve(sorted, *b));
            let (mut n, mut sum) = (0.0, 0.0);
            for s in sorted {
                let mut v = s.value;
                if let Some(l) = lo {
                    v = v.max(l);
                }
                if let Some(h) = hi {
                    v = v.min(h);
                }
                n += s.weight;
                sum += v * s.weight;
            }
            (n > 0.0).then(|| sum / n)
        }
        Statistic::PercentileRank(a, b) => {
            let total: f64 = sorted.iter().map(|s| s.weight).sum();
            let n: f64 = within(*a, *b).map(|s| s.weight).sum();
            (total > 0.0).then(|| 100.0 * n / total)
        }
        _ => None,
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn fmt_bound(b: &Option<Bound>) -> String {
    match b {
        None => String::new(),
        Some(Bound::Percent(p)) => format!("{}%", fmt_num(*p)),
        Some(Bound::Value(v)) => fmt_num(*v),
    }
}

impl fmt::Display for Statistic {
    /// The statistic as CloudWatch spells it (`Sum`, `p99`, `TM(10%:90%)`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = |f: &mut fmt::Formatter<'_>,
                     short: &str,
                     long: &str,
                     a: &Option<Bound>,
                     b: &Option<Bound>| match (a, b) {
            (None, Some(Bound::Percent(p))) => write!(f, "{short}{}", fmt_num(*p)),
            _ => write!(f, "{long}({}:{})", fmt_bound(a), fmt_bound(b)),
        };
        match self {
            Statistic::SampleCount => f.write_str("SampleCount"),
            Statistic::Sum => f.write_str("Sum"),
            Statistic::Average => f.write_str("Average"),
            Statistic::Minimum => f.write_str("Minimum"),
            Statistic::Maximum => f.write_str("Maximum"),
            Statistic::Percentile(p) => write!(f, "p{}", fmt_num(*p)),
            Statistic::TrimmedMean(a, b) => range(f, "tm", "TM", a, b),
            Statistic::TrimmedCount(a, b) => range(f, "tc", "TC", a, b),
            Statistic::TrimmedSum(a, b) => range(f, "ts", "TS", a, b),
            Statistic::WinsorizedMean(a, b) => range(f, "wm", "WM", a, b),
            Statistic::PercentileRank(a, b) => write!(
                f,
                "PR({}:{})",
                a.map(fmt_num).unwrap_or_default(),
                b.map(fmt_num).unwrap_or_default()
            ),
            Statistic::InterquartileMean => f.write_str("IQM"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(values: &[f64]) -> Aggregate {
        Aggregate {
            count: values.len() as f64,
            sum: values.iter().sum(),
            min: values.iter().cloned().fold(f64::INFINITY, f64::min),
            max: values.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            samples: values
                .iter()
                .map(|&value| Sample { value, weight: 1.0 })
                .collect(),
            samples_complete: true,
        }
    }

    #[test]
    fn parses_and_prints() {
        for s in [
            "Sum",
            "SampleCount",
            "p99",
            "p99.9",
            "p0",
            "p100",
            "tm90",
            "tc99",
            "ts50",
            "wm95",
            "TM(10%:90%)",
            "TM(150:1000)",
            "PR(:300)",
            "PR(100:2000)",
            "IQM",
            "WM(5%:)",
        ] {
            let st = Statistic::parse(s).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(st.to_string(), s, "{s}");
        }
        assert_eq!(
            Statistic::parse("P99").unwrap(),
            Statistic::Percentile(99.0)
        );
        assert_eq!(
            Statistic::parse("TM(:95%)").unwrap(),
            Statistic::parse("tm95").unwrap()
        );
        assert_eq!(
            Statistic::parse("TM(10%:90%)").unwrap(),
            Statistic::parse("tm(10%:90%)").unwrap()
        );
        for bad in [
            "sum", "p", "p101", "p99.999", "x99", "TM()", "TM(:)", "PR(1%:2)", "p-1", "p9a",
            "Median", "",
        ] {
            assert!(Statistic::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn basic_statistics_are_exact() {
        let a = agg(&[1.0, 2.0, 3.0, 10.0]);
        assert_eq!(Statistic::SampleCount.compute(&a), Some(4.0));
        assert_eq!(Statistic::Sum.compute(&a), Some(16.0));
        assert_eq!(Statistic::Average.compute(&a), Some(4.0));
        assert_eq!(Statistic::Minimum.compute(&a), Some(1.0));
        assert_eq!(Statistic::Maximum.compute(&a), Some(10.0));
        assert_eq!(Statistic::Sum.compute(&Aggregate::default()), None);
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        let a = agg(&values);
        let p = |q: f64| Statistic::Percentile(q).compute(&a);
        assert_eq!(p(50.0), Some(50.0));
        assert_eq!(p(99.0), Some(99.0));
        assert_eq!(p(99.5), Some(100.0));
        assert_eq!(p(0.0), Some(1.0));
        assert_eq!(p(100.0), Some(100.0));
        assert_eq!(p(0.5), Some(1.0));
        let two = agg(&[1.0, 2.0]);
        assert_eq!(Statistic::Percentile(50.0).compute(&two), Some(1.0));
        assert_eq!(Statistic::Percentile(51.0).compute(&two), Some(2.0));
    }

    #[test]
    fn trimmed_and_friends() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        let a = agg(&values);
        let s = |t: &str| Statistic::parse(t).unwrap().compute(&a);
        assert_eq!(s("tm90"), Some(5.0)); // 1..=9
        assert_eq!(s("tc90"), Some(9.0));
        assert_eq!(s("ts90"), Some(45.0));
        assert_eq!(s("TM(10%:90%)"), Some(5.5)); // 2..=9
        assert_eq!(s("TC(10%:90%)"), Some(8.0));
        assert_eq!(s("TM(2:5)"), Some(4.0)); // 3, 4, 5
        assert_eq!(s("PR(:5)"), Some(50.0));
        assert_eq!(s("PR(5:)"), Some(50.0));
        assert_eq!(s("WM(10%:90%)"), Some(5.4)); // 10 counts as 9: (1+2+…+9+9)/10
        assert_eq!(s("IQM"), Some(6.0)); // 3 < v <= 8: 4..=8
        assert_eq!(s("TC(20:30)"), Some(0.0));
        assert_eq!(s("TM(20:30)"), None);
    }

    #[test]
    fn extended_statistics_unavailable_with_negative_values_or_bare_sets() {
        let a = agg(&[-1.0, 2.0]);
        assert_eq!(Statistic::Percentile(50.0).compute(&a), None);
        assert_eq!(Statistic::Sum.compute(&a), Some(1.0));
        let mut b = agg(&[1.0, 2.0]);
        b.samples_complete = false;
        assert_eq!(Statistic::Percentile(50.0).compute(&b), None);
        assert_eq!(Statistic::Maximum.compute(&b), Some(2.0));
    }

    #[test]
    fn weights_count() {
        let a = Aggregate {
            count: 10.0,
            sum: 19.0,
            min: 1.0,
            max: 10.0,
            samples: vec![
                Sample {
                    value: 1.0,
                    weight: 9.0,
                },
                Sample {
                    value: 10.0,
                    weight: 1.0,
                },
            ],
            samples_complete: true,
        };
        assert_eq!(Statistic::Percentile(90.0).compute(&a), Some(1.0));
        assert_eq!(Statistic::Percentile(91.0).compute(&a), Some(10.0));
        assert_eq!(Statistic::parse("tc90").unwrap().compute(&a), Some(9.0));
    }
}
