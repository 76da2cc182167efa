//! The metric operations: `PutMetricData`, `GetMetricData`,
//! `GetMetricStatistics` and `ListMetrics`.

use serde_json::Value;

use super::wire::{In, Out, paginate, s, value_str};
use super::{ApiContext, ApiError};
use crate::key::MetricKey;
use crate::query::{self, MetricStat, validate_period};
use crate::stats::Statistic;
use crate::store::Datum;
use crate::time::Timestamp;
use crate::unit::Unit;

fn metric_key(i: &In<'_>) -> Result<MetricKey, ApiError> {
    let ns = i.req_str("Namespace")?;
    let name = i.req_str("MetricName")?;
    let mut key = MetricKey::new(ns, name);
    let dims = i.list("Dimensions")?;
    if dims.len() > 30 {
        return Err(ApiError::invalid(format!(
            "The collection {} must not have more than 30 members.",
            i.name("Dimensions")
        )));
    }
    for d in dims {
        let n = d.req_str("Name")?;
        let v = d.req_str("Value")?;
        if n.is_empty() || v.is_empty() {
            return Err(ApiError::invalid(format!(
                "The dimension {} must have a non-empty Name and Value.",
                d.path
            )));
        }
        if key.dimension(n).is_some() {
            return Err(ApiError::invalid(format!(
                "No metric may have duplicate dimension names; {n} is given twice in {}.",
                i.name("Dimensions")
            )));
        }
        key.set_dimension(n.to_string(), v.to_string());
    }
    Ok(key)
}

/// Oldest and newest timestamps `PutMetricData` accepts, relative to now:
/// CloudWatch takes two weeks back and two hours ahead; the store keeps
/// only its retention, so older data is refused rather than dropped.
fn accepted_window(ctx: &ApiContext<'_>) -> (Timestamp, Timestamp) {
    let scale = ctx.store.scale();
    let back = scale.secs_us(ctx.store.config().retention_secs.min(14 * 86_400));
    (
        ctx.now.plus_micros(-back),
        ctx.now.plus_micros(scale.secs_us(2 * 3600)),
    )
}

pub(super) fn put_metric_data(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let ns = i.req_str("Namespace")?;
    if ns.is_empty() || ns.len() > 255 {
        return Err(ApiError::invalid(
            "The parameter Namespace must be between 1 and 255 characters.",
        ));
    }
    if ns.starts_with("AWS/") {
        return Err(ApiError::invalid(format!(
            "The value {ns} for parameter Namespace is invalid: namespaces starting with AWS/ are reserved for AWS services."
        )));
    }
    let data = i.list("MetricData")?;
    if data.is_empty() {
        return Err(ApiError::missing("MetricData"));
    }
    if data.len() > 1000 {
        return Err(ApiError::invalid(
            "The collection MetricData must not have more than 1000 members.",
        ));
    }
    let (oldest, newest) = accepted_window(ctx);
    // Validate everything first: a refused request changes nothing.
    let mut parsed = Vec::with_capacity(data.len());
    for d in &data {
        let name = d.req_str("MetricName")?;
        if name.is_empty() || name.len() > 255 {
            return Err(ApiError::invalid(format!(
                "The parameter {} must be between 1 and 255 characters.",
                d.name("MetricName")
            )));
        }
        let mut key_in = serde_json::Map::new();
        key_in.insert("Namespace".into(), Value::String(ns.into()));
        key_in.insert("MetricName".into(), Value::String(name.into()));
        if let Some(dims) = d.get("Dimensions") {
            key_in.insert("Dimensions".into(), dims.clone());
        }
        let kv = Value::Object(key_in);
        let key = metric_key(&In {
            v: &kv,
            path: d.path.clone(),
        })?;
        let at = d.time("Timestamp")?.unwrap_or(ctx.now);
        if at < oldest || at > newest {
            return Err(ApiError::invalid(format!(
                "The parameter {} must specify a time no more than {} in the past and 2 hours in the future (scaled).",
                d.name("Timestamp"),
                if ctx.store.config().retention_secs >= 14 * 86_400 {
                    "two weeks".to_string()
                } else {
                    format!(
                        "{} s (the store's retention)",
                        ctx.store.config().retention_secs
                    )
                }
            )));
        }
        let unit = d.unit("Unit")?.unwrap_or(Unit::None);
        if let Some(r) = d.int("StorageResolution")?
            && r != 1
            && r != 60
        {
            return Err(ApiError::invalid(format!(
                "The value {r} for parameter {} is not valid: expected 1 or 60.",
                d.name("StorageResolution")
            )));
        }
        let value = d.num("Value")?;
        let set = d.obj("StatisticValues")?;
        let values = d.list("Values")?;
        let counts = d.list("Counts")?;
        let given = [value.is_some(), set.is_some(), !values.is_empty()]
            .iter()
            .filter(|b| **b)
            .count();
        if given > 1 {
            return Err(ApiError::combination(format!(
                "The parameters {0}.Value, {0}.StatisticValues and {0}.Values are mutually exclusive.",
                d.path
            )));
        }
        let finite = |v: f64, what: String| {
            if v.is_finite() && v.abs() <= 2f64.powi(360) {
                Ok(v)
            } else {
                Err(ApiError::invalid(format!(
                    "The value {v} for parameter {what} is not valid."
                )))
            }
        };
        let datum = if let Some(v) = value {
            Datum::Value(finite(v, d.name("Value"))?)
        } else if let Some(set) = set {
            let field = |k: &str| -> Result<f64, ApiError> {
                finite(
                    set.num(k)?.ok_or_else(|| ApiError::missing(&set.name(k)))?,
                    set.name(k),
                )
            };
            let (count, sum, min, max) = (
                field("SampleCount")?,
                field("Sum")?,
                field("Minimum")?,
                field("Maximum")?,
            );
            if count <= 0.0 || min > max {
                return Err(ApiError::invalid(format!(
                    "The parameter {} is not consistent: SampleCount must be positive and Minimum no more than Maximum.",
                    set.path
                )));
            }
            Datum::StatisticSet {
                count,
                sum,
                min,
                max,
            }
        } else if !values.is_empty() {
            if values.len() > 150 {
                return Err(ApiError::invalid(format!(
                    "The collection {} must not have more than 150 members.",
                    d.name("Values")
                )));
            }
            if !counts.is_empty() && counts.len() != values.len() {
                return Err(ApiError::combination(format!(
                    "The parameters {0}.Values and {0}.Counts must be of the same size.",
                    d.path
                )));
            }
            let mut pairs = Vec::with_capacity(values.len());
            for (j, v) in values.iter().enumerate() {
                let value = finite(value_of(v)?, v.path.clone())?;
                let count = match counts.get(j) {
                    Some(c) => finite(value_of(c)?, c.path.clone())?,
                    None => 1.0,
                };
                if count < 0.0 {
                    return Err(ApiError::invalid(format!(
                        "The value {count} for parameter {} must not be negative.",
                        counts[j].path
                    )));
                }
                pairs.push((value, count));
            }
            Datum::Values(pairs)
        } else {
            return Err(ApiError::missing(&d.name("Value")));
        };
        parsed.push((key, datum, unit, at));
    }
    for (key, datum, unit, at) in parsed {
        ctx.store
            .put(&key, &datum, unit, at)
            .map_err(|e| ApiError::invalid(e.to_string()))?;
    }
    Ok(Out::Struct(Vec::new()))
}

fn value_of(i: &In<'_>) -> Result<f64, ApiError> {
    match i.v {
        Value::Number(n) => n.as_f64().ok_or_else(|| {
            ApiError::invalid(format!("The parameter {} must be a number.", i.path))
        }),
        Value::String(s) => s
            .parse()
            .map_err(|_| ApiError::invalid(format!("The parameter {} must be a number.", i.path))),
        _ => Err(ApiError::invalid(format!(
            "The parameter {} must be a number.",
            i.path
        ))),
    }
}

fn check_range(start: Timestamp, end: Timestamp) -> Result<(), ApiError> {
    if start >= end {
        return Err(ApiError::invalid(
            "The parameter StartTime must be less than the parameter EndTime.",
        ));
    }
    Ok(())
}

fn period_of(i: &In<'_>, key: &str) -> Result<u32, ApiError> {
    let p = i.int(key)?.ok_or_else(|| ApiError::missing(&i.name(key)))?;
    validate_period(p)
        .map_err(|e| ApiError::invalid(format!("The parameter {}: {e}.", i.name(key))))?;
    u32::try_from(p)
        .map_err(|_| ApiError::invalid(format!("The parameter {} is too large.", i.name(key))))
}

pub(super) fn get_metric_data(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let start = i.req_time("StartTime")?;
    let end = i.req_time("EndTime")?;
    check_range(start, end)?;
    let descending = match i.str("ScanBy")? {
        None | Some("TimestampDescending") => true,
        Some("TimestampAscending") => false,
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter ScanBy is not valid: expected TimestampDescending or TimestampAscending."
            )));
        }
    };
    let max = i.int("MaxDatapoints")?.unwrap_or(100_800).max(1) as usize;
    let skip = match i.str("NextToken")? {
        None => 0,
        Some(t) => t
            .strip_prefix("lockgate-offset-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::next_token(format!("The NextToken {t} is not valid.")))?,
    };
    let queries = i.list("MetricDataQueries")?;
    if queries.is_empty() {
        return Err(ApiError::missing("MetricDataQueries"));
    }
    if queries.len() > 500 {
        return Err(ApiError::invalid(
            "The collection MetricDataQueries must not have more than 500 members.",
        ));
    }
    let mut results = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for q in &queries {
        let id = q.req_str("Id")?;
        if !id.starts_with(|c: char| c.is_ascii_lowercase())
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ApiError::invalid(format!(
                "The value {id} for parameter {} is not valid: an Id starts with a lowercase letter and holds letters, digits and underscores.",
                q.name("Id")
            )));
        }
        if !seen.insert(id) {
            return Err(ApiError::invalid(format!(
                "The Id {id} is used by more than one query in MetricDataQueries."
            )));
        }
        if q.get("Expression").is_some() {
            return Err(ApiError::invalid(format!(
                "The parameter {} is not supported: Lockgate's local CloudWatch answers MetricStat queries, not metric math expressions.",
                q.name("Expression")
            )));
        }
        let stat = q
            .obj("MetricStat")?
            .ok_or_else(|| ApiError::missing(&q.name("MetricStat")))?;
        let metric = stat
            .obj("Metric")?
            .ok_or_else(|| ApiError::missing(&stat.name("Metric")))?;
        let key = metric_key(&metric)?;
        let period = period_of(&stat, "Period")?;
        let st = stat.req_str("Stat")?;
        let statistic = Statistic::parse(st)
            .map_err(|e| ApiError::invalid(format!("The parameter {}: {e}.", stat.name("Stat"))))?;
        let unit = stat.unit("Unit")?;
        let ms = MetricStat {
            key: key.clone(),
            period_secs: period,
            stat: statistic,
            unit,
        };
        let mut points = query::metric_stat_datapoints(ctx.store, &ms, start, end);
        if descending {
            points.reverse();
        }
        if q.bool("ReturnData")? == Some(false) {
            continue;
        }
        let label = q
            .str("Label")?
            .map(str::to_string)
            .unwrap_or_else(|| key.name().to_string());
        results.push((id.to_string(), label, points));
    }
    // Pagination over the datapoints of all results, in order.
    let total: usize = results.iter().map(|r| r.2.len()).sum();
    let mut offset = 0;
    let mut emitted = 0;
    let mut out_results = Vec::new();
    for (id, label, points) in results {
        let from = skip.saturating_sub(offset).min(points.len());
        let room = max - emitted.min(max);
        let to = (from + room).min(points.len());
        offset += points.len();
        emitted += to - from;
        let complete = to == points.len();
        let slice = &points[from..to];
        out_results.push(Out::Struct(vec![
            ("Id", s(id)),
            ("Label", s(label)),
            (
                "Timestamps",
                Out::List(slice.iter().map(|(t, _)| Out::Time(*t)).collect()),
            ),
            (
                "Values",
                Out::List(slice.iter().map(|(_, v)| Out::Num(*v)).collect()),
            ),
            (
                "StatusCode",
                s(if complete { "Complete" } else { "PartialData" }),
            ),
            ("Messages", Out::List(Vec::new())),
        ]));
    }
    let mut fields = vec![
        ("MetricDataResults", Out::List(out_results)),
        ("Messages", Out::List(Vec::new())),
    ];
    if skip + emitted < total {
        fields.push((
            "NextToken",
            s(format!("lockgate-offset-{}", skip + emitted)),
        ));
    }
    Ok(Out::Struct(fields))
}

pub(super) fn get_metric_statistics(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let key = metric_key(i)?;
    let start = i.req_time("StartTime")?;
    let end = i.req_time("EndTime")?;
    check_range(start, end)?;
    let period = period_of(i, "Period")?;
    let unit = i.unit("Unit")?;
    let mut stats = Vec::new();
    for st in i.list("Statistics")? {
        let name = value_str(&st)?;
        let parsed = Statistic::parse(name).ok().filter(Statistic::is_basic).ok_or_else(|| {
            ApiError::invalid(format!("The value {name} for parameter {} is not valid: expected SampleCount, Average, Sum, Minimum or Maximum.", st.path))
        })?;
        stats.push(parsed);
    }
    for st in i.list("ExtendedStatistics")? {
        let name = value_str(&st)?;
        let parsed = Statistic::parse(name).ok().filter(|s| !s.is_basic()).ok_or_else(|| {
            ApiError::invalid(format!("The value {name} for parameter {} is not a valid extended statistic (p99, tm90, …).", st.path))
        })?;
        stats.push(parsed);
    }
    if stats.is_empty() {
        return Err(ApiError::missing("Statistics"));
    }
    if stats.len() > 10 {
        return Err(ApiError::invalid(
            "At most 10 Statistics and ExtendedStatistics may be asked for together.",
        ));
    }
    let period_us = ctx.store.scale().secs_us(u64::from(period));
    let n = query::period_count(start, end, period_us);
    if n > 1440 {
        return Err(ApiError::combination(format!(
            "You have requested up to {n} datapoints, which exceeds the limit of 1,440. You may reduce the datapoints requested by increasing Period, or decreasing the time range."
        )));
    }
    let rows = query::metric_statistics(ctx.store, &key, unit, start, end, period, &stats);
    let datapoints = rows
        .into_iter()
        .map(|r| {
            let mut f = vec![("Timestamp", Out::Time(r.timestamp))];
            for (st, v) in r.basic {
                let name = match st {
                    Statistic::SampleCount => "SampleCount",
                    Statistic::Average => "Average",
                    Statistic::Sum => "Sum",
                    Statistic::Minimum => "Minimum",
                    _ => "Maximum",
                };
                f.push((name, Out::Num(v)));
            }
            f.push(("Unit", s(r.unit.as_str())));
            if !r.extended.is_empty() {
                f.push((
                    "ExtendedStatistics",
                    Out::Map(
                        r.extended
                            .into_iter()
                            .map(|(k, v)| (k, Out::Num(v)))
                            .collect(),
                    ),
                ));
            }
            Out::Struct(f)
        })
        .collect();
    Ok(Out::Struct(vec![
        ("Label", s(key.name())),
        ("Datapoints", Out::List(datapoints)),
    ]))
}

pub(super) fn list_metrics(ctx: &ApiContext<'_>, i: &In<'_>) -> Result<Out, ApiError> {
    let ns = i.str("Namespace")?;
    let name = i.str("MetricName")?;
    let mut filters = Vec::new();
    for d in i.list("Dimensions")? {
        filters.push((
            d.req_str("Name")?.to_string(),
            d.str("Value")?.map(str::to_string),
        ));
    }
    let since = match i.str("RecentlyActive")? {
        None => Timestamp(i64::MIN),
        Some("PT3H") => ctx.now.plus_micros(-ctx.store.scale().secs_us(3 * 3600)),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "The value {other} for parameter RecentlyActive is not valid: expected PT3H."
            )));
        }
    };
    let keys: Vec<MetricKey> = ctx
        .store
        .metrics(since)
        .into_iter()
        .filter(|k| k.matches(ns, name, &filters))
        .collect();
    let (page, next) = paginate(keys, i.str("NextToken")?, 500)?;
    let metrics = page
        .iter()
        .map(|k| {
            Out::Struct(vec![
                ("Namespace", s(k.namespace())),
                ("MetricName", s(k.name())),
                (
                    "Dimensions",
                    Out::List(
                        k.dimensions()
                            .iter()
                            .map(|d| {
                                Out::Struct(vec![("Name", s(&d.name)), ("Value", s(&d.value))])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    let mut f = vec![("Metrics", Out::List(metrics))];
    if let Some(n) = next {
        f.push(("NextToken", s(n)));
    }
    Ok(Out::Struct(f))
}
