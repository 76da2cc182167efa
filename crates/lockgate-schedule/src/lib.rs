//! EventBridge schedule expressions: parsing `rate(…)` and `cron(…)` as
//! AWS accepts them, and computing when one fires next.
//!
//! [`Schedule::parse`] accepts what EventBridge accepts:
//!
//! - `rate(VALUE UNIT)`: a positive whole VALUE and a UNIT of `minute`,
//!   `hour` or `day` — singular when VALUE is 1, plural (`minutes`, `hours`,
//!   `days`) otherwise (`rate(1 hours)` and `rate(5 hour)` are refused, as by
//!   AWS).
//! - `cron(Minutes Hours Day-of-month Month Day-of-week Year)`, always six
//!   fields, evaluated in UTC: minutes 0–59, hours 0–23, day-of-month 1–31,
//!   month 1–12 or `JAN`–`DEC`, day-of-week 1–7 or `SUN`–`SAT` (1 is Sunday),
//!   year 1970–2199; `,` `-` `*` `/` where AWS allows them (not in
//!   day-of-week), `?` in day-of-month or day-of-week (exactly one of the two
//!   must be `?`), `L` (last day of the month; in day-of-week last day of the
//!   week, or `6L` the month's last Friday), `W` (`15W`, the weekday nearest
//!   the 15th) and `#` (`3#2`, the second Tuesday).
//!
//! The cron evaluation is the `croner` crate's (Quartz-style weekdays), fed a
//! pattern this crate has already checked field by field against AWS's rules.
//! [`Schedule::next_after`] gives the first firing strictly after an instant;
//! [`Schedule::period`] a rate's period.
//!
//! This crate is pure (no clock, no I/O): the server's scheduler
//! (`lockgate-server/src/schedule.rs`) and pipelines' schedule triggers hold
//! the time and fire.
//!
//! ```
//! use lockgate_schedule::Schedule;
//!
//! let noon = Schedule::parse("cron(0 12 * * ? *)").unwrap();
//! let after = "2026-11-23T11:00:00Z".parse().unwrap();
//! assert_eq!(noon.next_after(after), Some("2026-11-23T12:00:00Z".parse().unwrap()));
//! assert!(Schedule::parse("rate(1 hours)").is_err());
//! ```

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

use std::fmt;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// The earliest year a cron expression may name.
pub const MIN_YEAR: u32 = 1970;
/// The latest year a cron expression may name.
pub const MAX_YEAR: u32 = 2199;

/// A refused schedule expression: which, and what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid schedule expression `{expression}`: {reason}")]
pub struct ScheduleError {
    /// The expression as given.
    pub expression: String,
    /// What is wrong and what was expected.
    pub reason: String,
}

/// The unit of a `rate(...)` expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateUnit {
    /// `minute` / `minutes`.
    Minutes,
    /// `hour` / `hours`.
    Hours,
    /// `day` / `days`.
    Days,
}

/// A parsed schedule expression.
#[derive(Clone, Debug)]
pub enum Schedule {
    /// `rate(VALUE UNIT)`: every VALUE units, counted from when the rule is set.
    Rate {
        /// The positive count.
        value: u32,
        /// The unit.
        unit: RateUnit,
    },
    /// `cron(...)`: on the matching minutes, in UTC.
    Cron(Box<CronSchedule>),
}

/// A checked AWS cron expression and its evaluator.
#[derive(Clone, Debug)]
pub struct CronSchedule {
    expression: String,
    /// The croner pattern it was translated to (seconds and year included).
    pattern: String,
    /// The last year it can fire in (for a year list), to stop searches early.
    last_year: Option<i32>,
    cron: Cron,
}

impl CronSchedule {
    /// The pattern handed to `croner` (`SEC MIN HOUR DOM MON DOW YEAR`, Quartz weekdays).
    pub fn croner_pattern(&self) -> &str {
        &self.pattern
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.expression() == other.expression()
    }
}

impl Eq for Schedule {}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.expression())
    }
}

impl std::str::FromStr for Schedule {
    type Err = ScheduleError;
    fn from_str(s: &str) -> Result<Self, ScheduleError> {
        Schedule::parse(s)
    }
}

impl Schedule {
    /// Parses an EventBridge schedule expression (`rate(5 minutes)`,
    /// `cron(0 12 * * ? *)`).
    pub fn parse(expression: &str) -> Result<Schedule, ScheduleError> {
        let err = |reason: String| ScheduleError {
            expression: expression.to_string(),
            reason,
        };
        let text = expression.trim();
        if let Some(inner) = text.strip_prefix("rate(").and_then(|r| r.strip_suffix(')')) {
            parse_rate(inner).map_err(err)
        } else if let Some(inner) = text.strip_prefix("cron(").and_then(|r| r.strip_suffix(')')) {
            parse_cron(text, inner).map_err(err)
        } else {
            Err(err(
                "expected `rate(VALUE UNIT)` such as `rate(5 minutes)`, or `cron(Minutes Hours Day-of-month Month Day-of-week Year)` such as `cron(0 12 * * ? *)`".into(),
            ))
        }
    }

    /// The expression in canonical form (`rate(5 minutes)`, `cron(...)` as given).
    pub fn expression(&self) -> String {
        match self {
            Schedule::Rate { value, unit } => {
                let word = match unit {
                    RateUnit::Minutes => "minute",
                    RateUnit::Hours => "hour",
                    RateUnit::Days => "day",
                };
                let plural = if *value == 1 { "" } else { "s" };
                format!("rate({value} {word}{plural})")
            }
            Schedule::Cron(c) => c.expression.clone(),
        }
    }

    /// The period of a rate expression.
    pub fn period(&self) -> Option<TimeDelta> {
        match self {
            Schedule::Rate { value, unit } => Some(match unit {
                RateUnit::Minutes => TimeDelta::minutes(i64::from(*value)),
                RateUnit::Hours => TimeDelta::hours(i64::from(*value)),
                RateUnit::Days => TimeDelta::days(i64::from(*value)),
            }),
            Schedule::Cron(_) => None,
        }
    }

    /// The first firing strictly after `t`: for a rate, `t` plus one period;
    /// for a cron expression, the next matching minute (at second 0, UTC).
    /// `None` when it never fires again (a cron expression whose years are past).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            Schedule::Rate { .. } => self.period().and_then(|p| t.checked_add_signed(p)),
            Schedule::Cron(c) => {
                if c.last_year.is_some_and(|y| t.year() > y) {
                    return None;
                }
                // Whole seconds: croner keeps a fraction, matches do not have one.
                let t = t.with_nanosecond(0).unwrap_or(t);
                c.cron.find_next_occurrence(&t, false).ok()
            }
        }
    }
}

fn parse_rate(inner: &str) -> Result<Schedule, String> {
    let parts: Vec<&str> = inner.split_whitespace().collect();
    let [value, unit] = parts[..] else {
        return Err(format!(
            "a rate takes a value and a unit, like `rate(5 minutes)`; found {} word(s)",
            parts.len()
        ));
    };
    if !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "the rate value `{value}` is not a positive whole number"
        ));
    }
    let value: u32 = value
        .parse()
        .ok()
        .filter(|v| *v > 0 && *v <= 1_000_000)
        .ok_or_else(|| {
            format!("the rate value `{value}` must be a whole number from 1 to 1000000")
        })?;
    let (unit, plural) = match unit {
        "minute" => (RateUnit::Minutes, false),
        "minutes" => (RateUnit::Minutes, true),
        "hour" => (RateUnit::Hours, false),
        "hours" => (RateUnit::Hours, true),
        "day" => (RateUnit::Days, false),
        "days" => (RateUnit::Days, true),
        other => {
            return Err(format!(
                "unknown rate unit `{other}`: expected minute(s), hour(s) or day(s)"
            ));
        }
    };
    if value == 1 && plural {
        return Err(format!(
            "a rate of 1 takes the singular unit: `rate(1 {})`",
            unit_word(unit)
        ));
    }
    if value > 1 && !plural {
        return Err(format!(
            "a rate above 1 takes the plural unit: `rate({value} {}s)`",
            unit_word(unit)
        ));
    }
    Ok(Schedule::Rate { value, unit })
}

fn unit_word(unit: RateUnit) -> &'static str {
    match unit {
        RateUnit::Minutes => "minute",
        RateUnit::Hours => "hour",
        RateUnit::Days => "day",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Minutes,
    Hours,
    DayOfMonth,
    Month,
    DayOfWeek,
    Year,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Minutes => "Minutes",
            Field::Hours => "Hours",
            Field::DayOfMonth => "Day-of-month",
            Field::Month => "Month",
            Field::DayOfWeek => "Day-of-week",
            Field::Year => "Year",
        }
    }

    fn range(self) -> (u32, u32) {
        match self {
            Field::Minutes => (0, 59),
            Field::Hours => (0, 23),
            Field::DayOfMonth => (1, 31),
            Field::Month => (1, 12),
            Field::DayOfWeek => (1, 7),
            Field::Year => (MIN_YEAR, MAX_YEAR),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Field::Minutes => "0-59 with , - * /",
            Field::Hours => "0-23 with , - * /",
            Field::DayOfMonth => "1-31 with , - * ? / L W",
            Field::Month => "1-12 or JAN-DEC with , - * /",
            Field::DayOfWeek => "1-7 or SUN-SAT (1 is Sunday) with , - * ? L #",
            Field::Year => "1970-2199 with , - * /",
        }
    }

    fn value(self, token: &str) -> Option<u32> {
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        let upper = token.to_ascii_uppercase();
        let named = match self {
            Field::Month => MONTHS.iter().position(|m| *m == upper),
            Field::DayOfWeek => DAYS.iter().position(|d| *d == upper),
            _ => None,
        };
        let v = match named {
            Some(i) => i as u32 + 1,
            None if !token.is_empty()
                && token.len() <= 4
                && token.bytes().all(|b| b.is_ascii_digit()) =>
            {
                token.parse().ok()?
            }
            None => return None,
        };
        let (lo, hi) = self.range();
        (lo..=hi).contains(&v).then_some(v)
    }
}

/// Checks one field and rewrites it for croner: `*` stays, `?` becomes `*`,
/// names become numbers, ranges and steps become explicit lists, and the
/// special forms (`L`, `15W`, `6L`, `3#2`) pass through. Returns the pattern
/// and the largest value listed (for the year field).
fn translate_field(field: Field, text: &str) -> Result<(String, Option<u32>), String> {
    let bad = |what: &str| {
        format!(
            "{} field `{text}`: {what}; expected {}",
            field.name(),
            field.expected()
        )
    };
    if text == "*" {
        return Ok(("*".to_string(), None));
    }
    if text == "?" {
        return if matches!(field, Field::DayOfMonth | Field::DayOfWeek) {
            Ok(("*".to_string(), None))
        } else {
            Err(bad("`?` is allowed only in Day-of-month and Day-of-week"))
        };
    }
    let mut values: Vec<u32> = Vec::new();
    let mut specials: Vec<String> = Vec::new();
    for item in text.split(',') {
        if item.is_empty() {
            return Err(bad("an empty list item"));
        }
        if item == "*" || item == "?" {
            return Err(bad(&format!("`{item}` must stand alone, not in a list")));
        }
        let upper = item.to_ascii_uppercase();
        // Special forms.
        if field == Field::DayOfMonth {
            if upper == "L" {
                specials.push("L".into());
                continue;
            }
            if upper == "LW" {
                return Err(bad("`LW` is not supported; use `L` or a day with `W`"));
            }
            if let Some(day) = upper.strip_suffix('W') {
                let d = field
                    .value(day)
                    .ok_or_else(|| bad(&format!("`{item}`: `W` needs a day 1-31 before it")))?;
                specials.push(format!("{d}W"));
                continue;
            }
        }
        if field == Field::DayOfWeek {
            if upper == "L" {
                // Alone in Day-of-week, `L` is the last day of the week: Saturday.
                values.push(7);
                continue;
            }
            if let Some(day) = upper.strip_suffix('L') {
                let d = field.value(day).ok_or_else(|| {
                    bad(&format!(
                        "`{item}`: `L` needs a weekday 1-7 or SUN-SAT before it"
                    ))
                })?;
                specials.push(format!("{d}L"));
                continue;
            }
            if let Some((day, nth)) = upper.split_once('#') {
                let d = field.value(day).ok_or_else(|| {
                    bad(&format!(
                        "`{item}`: `#` needs a weekday 1-7 or SUN-SAT before it"
                    ))
                })?;
                let n = match nth {
                    "1" | "2" | "3" | "4" | "5" => nth,
                    _ => {
                        return Err(bad(&format!(
                            "`{item}`: the instance after `#` must be 1 to 5"
                        )));
                    }
                };
                specials.push(format!("{d}#{n}"));
                continue;
            }
        }
        // Plain values, ranges and steps.
        let (base, step) = match upper.split_once('/') {
            Some((b, s)) => {
                if field == Field::DayOfWeek {
                    return Err(bad("`/` is not allowed in Day-of-week"));
                }
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0 && *s <= 10_000)
                    .ok_or_else(|| {
                        bad(&format!(
                            "`{item}`: the step after `/` must be a positive whole number"
                        ))
                    })?;
                (b, Some(step))
            }
            None => (upper.as_str(), None),
        };
        let (lo, hi) = field.range();
        let (start, end) = if base == "*" {
            (lo, hi)
        } else if let Some((a, b)) = base.split_once('-') {
            let a = field
                .value(a)
                .ok_or_else(|| bad(&format!("`{item}`: `{a}` is not a valid value")))?;
            let b = field
                .value(b)
                .ok_or_else(|| bad(&format!("`{item}`: `{b}` is not a valid value")))?;
            if a > b {
                return Err(bad(&format!("`{item}`: a range must go from low to high")));
            }
            (a, b)
        } else {
            let a = field
                .value(base)
                .ok_or_else(|| bad(&format!("`{item}` is not a valid value")))?;
            // `5/15` runs from 5 to the end of the range; `5` alone is just 5.
            (a, if step.is_some() { hi } else { a })
        };
        let step = step.unwrap_or(1);
        let mut v = start;
        while v <= end {
            values.push(v);
            v += step;
        }
    }
    values.sort_unstable();
    values.dedup();
    let max = values.last().copied();
    let mut parts: Vec<String> = values.iter().map(u32::to_string).collect();
    parts.extend(specials);
    Ok((parts.join(","), max))
}

fn parse_cron(expression: &str, inner: &str) -> Result<Schedule, String> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [min, hour, dom, month, dow, year] = fields[..] else {
        return Err(format!(
            "a cron expression has 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), found {}",
            fields.len()
        ));
    };
    match (dom == "?", dow == "?") {
        (true, true) => {
            return Err(
                "Day-of-month and Day-of-week cannot both be `?`: give one of them a value or `*`"
                    .into(),
            );
        }
        (false, false) => {
            return Err(
                "Day-of-month and Day-of-week cannot both be given: one of them must be `?` (like `cron(0 12 * * ? *)`)"
                    .into(),
            );
        }
        _ => {}
    }
    let (min, _) = translate_field(Field::Minutes, min)?;
    let (hour, _) = translate_field(Field::Hours, hour)?;
    let dom_text = dom;
    let (dom, _) = translate_field(Field::DayOfMonth, dom)?;
    let (month, _) = translate_field(Field::Month, month)?;
    // Days that no listed month has (`30 2`, `31 APR,JUN`) would never fire.
    if dom.bytes().all(|b| b.is_ascii_digit() || b == b',') {
        let first_day: u32 = dom
            .split(',')
            .filter_map(|d| d.parse().ok())
            .min()
            .unwrap_or(1);
        let longest = if month == "*" {
            31
        } else {
            month
                .split(',')
                .filter_map(|m| m.parse::<u32>().ok())
                .map(|m| match m {
                    2 => 29,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                })
                .max()
                .unwrap_or(31)
        };
        if first_day > longest {
            return Err(format!(
                "Day-of-month `{dom_text}` never occurs in the months given (the longest has {longest} days), so the rule would never fire"
            ));
        }
    }
    let (dow, _) = translate_field(Field::DayOfWeek, dow)?;
    let (year, last_year) = translate_field(Field::Year, year)?;
    let pattern = format!("0 {min} {hour} {dom} {month} {dow} {year}");
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Required)
        .alternative_weekdays(true)
        .dom_and_dow(false)
        .build()
        .parse(&pattern)
        .map_err(|e| format!("the cron evaluator refused it ({e:?})"))?;
    Ok(Schedule::Cron(Box::new(CronSchedule {
        expression: expression.to_string(),
        pattern,
        last_year: last_year.map(|y| y as i32),
        cron,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn next(expr: &str, after: &str) -> Option<DateTime<Utc>> {
        Schedule::parse(expr).unwrap().next_after(t(after))
    }

    #[test]
    fn translation() {
        let Schedule::Cron(c) = Schedule::parse("cron(0/15 9-17 ? JAN-MAR MON-FRI *)").unwrap()
        else {
            panic!("not a cron schedule")
        };
        assert_eq!(
            c.croner_pattern(),
            "0 0,15,30,45 9,10,11,12,13,14,15,16,17 * 1,2,3 2,3,4,5,6 *"
        );
    }

    #[test]
    fn rates() {
        for (expr, minutes) in [
            ("rate(1 minute)", 1),
            ("rate(5 minutes)", 5),
            ("rate(1 hour)", 60),
            ("rate(2 hours)", 120),
            ("rate(1 day)", 1440),
            ("rate(2 days)", 2880),
            ("  rate( 10   minutes )  ", 10),
        ] {
            let s = Schedule::parse(expr).unwrap();
            assert_eq!(s.period(), Some(TimeDelta::minutes(minutes)), "{expr}");
            assert_eq!(
                s.next_after(t("2026-11-23T11:00:30Z")),
                Some(t("2026-11-23T11:00:30Z") + TimeDelta::minutes(minutes))
            );
        }
        assert_eq!(
            Schedule::parse("rate( 10   minutes )")
                .unwrap()
                .expression(),
            "rate(10 minutes)"
        );
    }

    #[test]
    fn rate_errors_name_the_expression_and_the_rule() {
        for (expr, needle) in [
            ("rate(1 minutes)", "singular unit: `rate(1 minute)`"),
            ("rate(1 hours)", "singular unit: `rate(1 hour)`"),
            ("rate(5 minute)", "plural unit: `rate(5 minutes)`"),
            ("rate(2 day)", "plural unit: `rate(2 days)`"),
            ("rate(0 minutes)", "from 1 to"),
            ("rate(-1 minutes)", "not a positive whole number"),
            ("rate(1.5 hours)", "not a positive whole number"),
            ("rate(5 seconds)", "unknown rate unit `seconds`"),
            ("rate(5 Minutes)", "unknown rate unit"),
            ("rate(5)", "a value and a unit"),
            ("rate()", "a value and a unit"),
            ("rate(99999999999 minutes)", "from 1 to"),
            ("every 5 minutes", "expected `rate(VALUE UNIT)`"),
            ("", "expected `rate(VALUE UNIT)`"),
        ] {
            let err = Schedule::parse(expr).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{expr}`")), "{msg}");
            assert!(msg.contains(needle), "{expr}: {msg}");
        }
    }

    #[test]
    fn cron_next_times() {
        // Monday 2026-11-23.
        let cases = [
            (
                "cron(0 12 * * ? *)",
                "2026-11-23T11:00:00Z",
                "2026-11-23T12:00:00Z",
            ),
            // Strictly after: at the firing time itself, the next one.
            (
                "cron(0 12 * * ? *)",
                "2026-11-23T12:00:00Z",
                "2026-11-24T12:00:00Z",
            ),
            (
                "cron(0 12 * * ? *)",
                "2026-11-23T11:59:59.500Z",
                "2026-11-23T12:00:00Z",
            ),
            (
                "cron(0/10 * ? * * *)",
                "2026-11-23T11:05:30Z",
                "2026-11-23T11:10:00Z",
            ),
            (
                "cron(5/20 * * * ? *)",
                "2026-11-23T11:26:00Z",
                "2026-11-23T11:45:00Z",
            ),
            (
                "cron(0 18 ? * MON-FRI *)",
                "2026-11-27T19:00:00Z",
                "2026-11-30T18:00:00Z",
            ),
            (
                "cron(0 18 ? * 2-6 *)",
                "2026-11-27T19:00:00Z",
                "2026-11-30T18:00:00Z",
            ),
            (
                "cron(0 9 ? * SUN *)",
                "2026-11-23T00:00:00Z",
                "2026-11-29T09:00:00Z",
            ),
            (
                "cron(0 9 ? * 1 *)",
                "2026-11-23T00:00:00Z",
                "2026-11-29T09:00:00Z",
            ),
            (
                "cron(0 9 ? * sat *)",
                "2026-11-23T00:00:00Z",
                "2026-11-28T09:00:00Z",
            ),
            // Last day of the month.
            (
                "cron(0 0 L * ? *)",
                "2026-11-23T00:00:00Z",
                "2026-11-30T00:00:00Z",
            ),
            (
                "cron(0 0 L 2 ? *)",
                "2026-11-23T00:00:00Z",
                "2027-02-28T00:00:00Z",
            ),
            // `L` alone in Day-of-week: Saturday.
            (
                "cron(0 0 ? * L *)",
                "2026-11-23T00:00:00Z",
                "2026-11-28T00:00:00Z",
            ),
            // The last Friday of the month.
            (
                "cron(15 10 ? * 6L 2026-2027)",
                "2026-11-23T00:00:00Z",
                "2026-11-27T10:15:00Z",
            ),
            (
                "cron(15 10 ? * FRIL *)",
                "2026-11-28T00:00:00Z",
                "2026-12-25T10:15:00Z",
            ),
            // The second Tuesday (December 2026 starts on a Tuesday).
            (
                "cron(0 8 ? * 3#2 *)",
                "2026-11-23T00:00:00Z",
                "2026-12-08T08:00:00Z",
            ),
            (
                "cron(0 8 ? * TUE#1 *)",
                "2026-11-23T00:00:00Z",
                "2026-12-01T08:00:00Z",
            ),
            // The weekday nearest the 15th: 2026-08-15 is a Saturday.
            (
                "cron(0 9 15W * ? *)",
                "2026-08-01T00:00:00Z",
                "2026-08-14T09:00:00Z",
            ),
            (
                "cron(0 9 15W * ? *)",
                "2026-11-23T00:00:00Z",
                "2026-12-15T09:00:00Z",
            ),
            // Month names and lists.
            (
                "cron(30 6 1 JAN,JUL ? *)",
                "2026-11-23T00:00:00Z",
                "2027-01-01T06:30:00Z",
            ),
            (
                "cron(0 0 29 2 ? *)",
                "2026-11-23T00:00:00Z",
                "2028-02-29T00:00:00Z",
            ),
            (
                "cron(0 0 1 1 ? 2030)",
                "2026-11-23T00:00:00Z",
                "2030-01-01T00:00:00Z",
            ),
            (
                "cron(0 0 1 1 ? 2030/2)",
                "2030-06-01T00:00:00Z",
                "2032-01-01T00:00:00Z",
            ),
        ];
        for (expr, after, want) in cases {
            assert_eq!(next(expr, after), Some(t(want)), "{expr} after {after}");
        }
        // Past years: never again.
        assert_eq!(next("cron(0 0 1 1 ? 2020)", "2026-11-23T00:00:00Z"), None);
        assert_eq!(
            next("cron(0 0 1 1 ? 2020-2025)", "2026-11-23T00:00:00Z"),
            None
        );
    }

    #[test]
    fn cron_errors_name_the_field_and_what_was_expected() {
        for (expr, needle) in [
            ("cron(0 12 * * *)", "6 fields"),
            ("cron(0 12 * * ? * *)", "6 fields"),
            ("cron(0 12 * * * *)", "one of them must be `?`"),
            ("cron(0 12 1 * MON *)", "one of them must be `?`"),
            ("cron(0 12 ? * ? *)", "cannot both be `?`"),
            ("cron(60 * * * ? *)", "Minutes field `60`"),
            ("cron(0 24 * * ? *)", "Hours field `24`"),
            ("cron(0 0 32 * ? *)", "Day-of-month field `32`"),
            ("cron(0 0 0 * ? *)", "Day-of-month field `0`"),
            ("cron(0 0 ? 13 * *)", "Month field `13`"),
            ("cron(0 0 ? FOO * *)", "Month field `FOO`"),
            ("cron(0 0 ? * 8 *)", "Day-of-week field `8`"),
            ("cron(0 0 ? * 0 *)", "Day-of-week field `0`"),
            ("cron(0 0 ? * 1/2 *)", "`/` is not allowed in Day-of-week"),
            ("cron(0 0 ? * MON#6 *)", "1 to 5"),
            ("cron(0 0 ? * 9L *)", "`L` needs a weekday"),
            ("cron(0 0 LW * ? *)", "`LW` is not supported"),
            ("cron(0 0 40W * ? *)", "`W` needs a day 1-31"),
            ("cron(0 0 1 * ? 1969)", "Year field `1969`"),
            ("cron(0 0 1 * ? 2200)", "Year field `2200`"),
            (
                "cron(? 0 1 * ? *)",
                "`?` is allowed only in Day-of-month and Day-of-week",
            ),
            ("cron(0 10-5 * * ? *)", "from low to high"),
            ("cron(*/0 * * * ? *)", "positive whole number"),
            ("cron(0,,5 * * * ? *)", "empty list item"),
            ("cron(0,* * * * ? *)", "must stand alone"),
            ("cron(0 L * * ? *)", "Hours field `L`"),
            ("cron(0 0 ? * MON-FRI#2 *)", "Day-of-week field"),
            ("cron(0 0 1W-3 * ? *)", "Day-of-month field"),
            ("cron(0 0 30 2 ? *)", "never occurs"),
            ("cron(0 0 31 APR,JUN,SEP,NOV ? *)", "never occurs"),
        ] {
            let err = Schedule::parse(expr).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(&format!("`{expr}`")), "{msg}");
            assert!(msg.contains(needle), "{expr}: {msg}");
        }
    }

    /// Mutated expressions (bytes swapped for cron syntax) never panic, in
    /// parsing or evaluation.
    #[test]
    fn mutations_never_panic() {
        let seeds = [
            "cron(0/15 9-17 ? JAN-MAR MON-FRI *)",
            "cron(15 10 ? * 6L 2026-2027)",
            "cron(0 9 15W * ? *)",
            "cron(0 8 ? * 3#2 *)",
            "rate(5 minutes)",
        ];
        let alphabet = b"0123456789*?/,-#LW ()abcJANMONFRIrate";
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut rnd = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let after = t("2026-11-23T11:00:00Z");
        for _ in 0..20_000 {
            let seed = seeds[(rnd() % seeds.len() as u64) as usize];
            let mut bytes = seed.as_bytes().to_vec();
            for _ in 0..1 + rnd() % 3 {
                let i = (rnd() % bytes.len() as u64) as usize;
                bytes[i] = alphabet[(rnd() % alphabet.len() as u64) as usize];
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(s) = Schedule::parse(&text) {
                // Only a panic would fail this test; any answer is fine.
                let _ = s.next_after(after);
            }
        }
    }

    #[test]
    fn schedules_compare_by_expression() {
        assert_eq!(
            Schedule::parse("rate(5 minutes)").unwrap(),
            Schedule::parse("rate( 5 minutes)").unwrap()
        );
        assert_ne!(
            Schedule::parse("rate(5 minutes)").unwrap(),
            Schedule::parse("rate(6 minutes)").unwrap()
        );
        assert_eq!(
            "cron(0 12 * * ? *)"
                .parse::<Schedule>()
                .unwrap()
                .to_string(),
            "cron(0 12 * * ? *)"
        );
    }
}
