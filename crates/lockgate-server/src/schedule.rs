//! EventBridge schedule expressions and the scheduler that fires
//! `AWS::Events::Rule`s (and SAM `Schedule` events) with a schedule.
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
//! pattern this module has already checked field by field against AWS's rules.
//!
//! [`Scheduler`] owns the rules of every stage (one group per stage, replaced
//! as a whole by [`Scheduler::set_rules`]), and its task
//! ([`Scheduler::spawn`]) sleeps until the next due time and fires the due
//! rules' targets. [`Scheduler::run_due`] fires whatever is due at a given
//! instant, and [`Scheduler::with_clock`] takes any [`Clock`], so firing is
//! testable without waiting real minutes.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Datelike, TimeDelta, Timelike, Utc};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};
use sha2::{Digest, Sha256};

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

/// The scheduler's source of time.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;
}

/// The system's wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// One firing of a rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Firing {
    /// The rule's group (its stage).
    pub group: String,
    /// The rule's key.
    pub key: String,
    /// The time it was due (what EventBridge puts in the event's `time`).
    pub scheduled_at: DateTime<Utc>,
}

/// What a rule fires. Called on the scheduler's task: it must not block —
/// spawn the real work (a Lambda invoke) and return.
pub trait RuleTarget: Send + Sync + 'static {
    /// Fires the rule.
    fn fire(&self, firing: &Firing);
}

impl<F: Fn(&Firing) + Send + Sync + 'static> RuleTarget for F {
    fn fire(&self, firing: &Firing) {
        self(firing)
    }
}

/// A scheduled rule: its key (unique in its group, e.g. the logical ID), its
/// schedule and what it fires.
#[derive(Clone)]
pub struct Rule {
    /// The key, passed back in every [`Firing`].
    pub key: String,
    /// When it fires.
    pub schedule: Schedule,
    /// What it fires.
    pub target: Arc<dyn RuleTarget>,
}

impl fmt::Debug for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rule")
            .field("key", &self.key)
            .field("schedule", &self.schedule.expression())
            .finish_non_exhaustive()
    }
}

impl Rule {
    /// A rule firing `target`.
    pub fn new(key: impl Into<String>, schedule: Schedule, target: Arc<dyn RuleTarget>) -> Self {
        Self {
            key: key.into(),
            schedule,
            target,
        }
    }
}

/// A rule as the scheduler holds it, for listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleStatus {
    /// The group.
    pub group: String,
    /// The key.
    pub key: String,
    /// The schedule expression.
    pub expression: String,
    /// When it fires next (`None`: never again).
    pub next: Option<DateTime<Utc>>,
}

struct Entry {
    rule: Rule,
    next: Option<DateTime<Utc>>,
}

struct Inner {
    clock: Arc<dyn Clock>,
    groups: Mutex<BTreeMap<String, BTreeMap<String, Entry>>>,
    wake: tokio::sync::Notify,
}

/// The longest the scheduler's task sleeps before looking at the clock again
/// (so a wall-clock jump is noticed within a minute).
pub const MAX_SLEEP: Duration = Duration::from_secs(60);

/// Owns the scheduled rules of every stage and fires them when due.
#[derive(Clone)]
pub struct Scheduler {
    inner: Arc<Inner>,
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("rules", &self.rules())
            .finish()
    }
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    /// A scheduler on the system clock, with no rules.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// A scheduler on `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: Arc::new(Inner {
                clock,
                groups: Mutex::new(BTreeMap::new()),
                wake: tokio::sync::Notify::new(),
            }),
        }
    }

    fn groups(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, BTreeMap<String, Entry>>> {
        self.inner.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replaces all rules of `group` (one group per stage; an empty list
    /// removes the group). A rule whose key and schedule are unchanged keeps
    /// its next due time, so a redeploy does not restart its rate; a new or
    /// changed rule first fires at its schedule's next time after now. With
    /// two rules of the same key, the later wins.
    pub fn set_rules(&self, group: &str, rules: Vec<Rule>) {
        let now = self.inner.clock.now();
        {
            let mut groups = self.groups();
            let mut old = groups.remove(group).unwrap_or_default();
            let mut new = BTreeMap::new();
            for rule in rules {
                let next = match old.remove(&rule.key) {
                    Some(e) if e.rule.schedule == rule.schedule => e.next,
                    _ => rule.schedule.next_after(now),
                };
                new.insert(rule.key.clone(), Entry { rule, next });
            }
            if !new.is_empty() {
                groups.insert(group.to_string(), new);
            }
        }
        self.inner.wake.notify_one();
    }

    /// Removes every rule of `group`.
    pub fn remove_group(&self, group: &str) {
        self.set_rules(group, Vec::new());
    }

    /// Every rule held, by group and key.
    pub fn rules(&self) -> Vec<RuleStatus> {
        self.groups()
            .iter()
            .flat_map(|(group, rules)| {
                rules.iter().map(move |(key, e)| RuleStatus {
                    group: group.clone(),
                    key: key.clone(),
                    expression: e.rule.schedule.expression(),
                    next: e.next,
                })
            })
            .collect()
    }

    /// The earliest time any rule is due.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.groups()
            .values()
            .flat_map(|rules| rules.values().filter_map(|e| e.next))
            .min()
    }

    /// Takes the firings due at `now` (each due rule once, even if several
    /// of its times passed — EventBridge does not replay missed schedules)
    /// and advances each rule to its next time after `now`: a rate keeps its
    /// phase (the next multiple of its period), a cron expression its next
    /// match. Fires nothing.
    pub fn due(&self, now: DateTime<Utc>) -> Vec<(Firing, Arc<dyn RuleTarget>)> {
        let mut out = Vec::new();
        let mut groups = self.groups();
        for (group, rules) in groups.iter_mut() {
            for (key, e) in rules.iter_mut() {
                let Some(at) = e.next.filter(|at| *at <= now) else {
                    continue;
                };
                e.next = match e.rule.schedule.period() {
                    Some(period) if period > TimeDelta::zero() => {
                        let behind = (now - at).num_milliseconds();
                        let step = period.num_milliseconds().max(1);
                        let periods = behind / step + 1;
                        i32::try_from(periods)
                            .ok()
                            .and_then(|n| period.checked_mul(n))
                            .and_then(|d| at.checked_add_signed(d))
                    }
                    _ => e.rule.schedule.next_after(now),
                };
                out.push((
                    Firing {
                        group: group.clone(),
                        key: key.clone(),
                        scheduled_at: at,
                    },
                    e.rule.target.clone(),
                ));
            }
        }
        out
    }

    /// Fires every rule due at `now` (see [`Scheduler::due`]) and returns
    /// the firings, in group and key order.
    pub fn run_due(&self, now: DateTime<Utc>) -> Vec<Firing> {
        let due = self.due(now);
        due.into_iter()
            .map(|(firing, target)| {
                // A panicking target must not take the scheduler's task down.
                let fired =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| target.fire(&firing)));
                if fired.is_err() {
                    tracing::error!(
                        group = %firing.group,
                        rule = %firing.key,
                        "the target of a scheduled rule panicked"
                    );
                }
                firing
            })
            .collect()
    }

    /// Fires one rule now, outside its schedule (which is left as it was),
    /// as EventBridge's console "test" does; the event's time is now.
    /// Returns the firing, or `None` when the group has no such rule.
    pub fn fire_now(&self, group: &str, key: &str) -> Option<Firing> {
        let target = {
            let groups = self.inner.groups.lock().unwrap_or_else(|e| e.into_inner());
            groups.get(group)?.get(key)?.rule.target.clone()
        };
        let firing = Firing {
            group: group.to_string(),
            key: key.to_string(),
            scheduled_at: self.inner.clock.now(),
        };
        target.fire(&firing);
        Some(firing)
    }

    /// Starts the scheduler's task on the current tokio runtime: it fires
    /// what is due, then sleeps until the next due time (at most
    /// [`MAX_SLEEP`]) or until the rules change. Abort the handle to stop it.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let changed = this.inner.wake.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                this.run_due(this.inner.clock.now());
                let wait = match this.next_due() {
                    Some(next) => (next - this.inner.clock.now())
                        .to_std()
                        .unwrap_or(Duration::ZERO)
                        .min(MAX_SLEEP),
                    None => MAX_SLEEP,
                };
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = &mut changed => {}
                }
            }
        })
    }
}

/// The event EventBridge delivers to a scheduled rule's target (a Lambda
/// function gets it as its event): `detail-type` "Scheduled Event", source
/// `aws.events`, the rule's ARN in `resources`, the due time in `time`, and an
/// id derived from the rule and the time.
pub fn scheduled_event(
    firing: &Firing,
    rule_arn: &str,
    region: &str,
    account_id: &str,
) -> serde_json::Value {
    let digest = Sha256::digest(format!(
        "{}\0{}\0{}",
        firing.group,
        firing.key,
        firing.scheduled_at.timestamp_millis()
    ));
    let h = hex::encode(&digest[..16]);
    let id = format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    );
    serde_json::json!({
        "version": "0",
        "id": id,
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": firing.scheduled_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": region,
        "resources": [rule_arn],
        "detail": {}
    })
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

    struct ManualClock(Mutex<DateTime<Utc>>);
    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    fn recorder() -> (Arc<dyn RuleTarget>, Arc<Mutex<Vec<Firing>>>) {
        let log = Arc::new(Mutex::new(Vec::new()));
        let l = log.clone();
        (
            Arc::new(move |f: &Firing| l.lock().unwrap().push(f.clone())),
            log,
        )
    }

    #[test]
    fn scheduler_fires_due_rules_and_keeps_phase() {
        let clock = Arc::new(ManualClock(Mutex::new(t("2026-11-23T11:00:00Z"))));
        let s = Scheduler::with_clock(clock.clone());
        let (target, log) = recorder();
        s.set_rules(
            "greeter/dev",
            vec![
                Rule::new(
                    "Every5",
                    Schedule::parse("rate(5 minutes)").unwrap(),
                    target.clone(),
                ),
                Rule::new(
                    "Noon",
                    Schedule::parse("cron(0 12 * * ? *)").unwrap(),
                    target.clone(),
                ),
            ],
        );
        assert_eq!(s.next_due(), Some(t("2026-11-23T11:05:00Z")));
        assert!(s.run_due(t("2026-11-23T11:04:59Z")).is_empty());
        let fired = s.run_due(t("2026-11-23T11:05:00Z"));
        assert_eq!(
            fired,
            vec![Firing {
                group: "greeter/dev".into(),
                key: "Every5".into(),
                scheduled_at: t("2026-11-23T11:05:00Z")
            }]
        );
        // Late by 12 minutes: one firing, phase kept (next at :20, not :22).
        let fired = s.run_due(t("2026-11-23T11:17:00Z"));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].scheduled_at, t("2026-11-23T11:10:00Z"));
        assert_eq!(s.next_due(), Some(t("2026-11-23T11:20:00Z")));
        // Both due at noon.
        let fired = s.run_due(t("2026-11-23T12:00:00Z"));
        let keys: Vec<&str> = fired.iter().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["Every5", "Noon"]);
        assert_eq!(log.lock().unwrap().len(), 4);
        let noon = s.rules().into_iter().find(|r| r.key == "Noon").unwrap();
        assert_eq!(noon.next, Some(t("2026-11-24T12:00:00Z")));
        assert_eq!(noon.expression, "cron(0 12 * * ? *)");
    }

    #[test]
    fn a_panicking_target_does_not_stop_the_others() {
        let clock = Arc::new(ManualClock(Mutex::new(t("2026-11-23T11:00:00Z"))));
        let s = Scheduler::with_clock(clock);
        let (target, log) = recorder();
        let boom: Arc<dyn RuleTarget> = Arc::new(|_: &Firing| panic!("target failed"));
        let every = Schedule::parse("rate(1 minute)").unwrap();
        s.set_rules(
            "g",
            vec![
                Rule::new("A", every.clone(), boom),
                Rule::new("B", every, target),
            ],
        );
        assert_eq!(s.run_due(t("2026-11-23T11:01:00Z")).len(), 2);
        assert_eq!(s.run_due(t("2026-11-23T11:02:00Z")).len(), 2);
        assert_eq!(log.lock().unwrap().len(), 2);
    }

    #[test]
    fn set_rules_replaces_a_group_and_keeps_unchanged_timing() {
        let clock = Arc::new(ManualClock(Mutex::new(t("2026-11-23T11:00:00Z"))));
        let s = Scheduler::with_clock(clock.clone());
        let (target, _log) = recorder();
        let rate = |e: &str| Schedule::parse(e).unwrap();
        s.set_rules(
            "a/dev",
            vec![Rule::new("R", rate("rate(5 minutes)"), target.clone())],
        );
        s.set_rules(
            "a/prod",
            vec![Rule::new("R", rate("rate(1 hour)"), target.clone())],
        );
        *clock.0.lock().unwrap() = t("2026-11-23T11:03:00Z");
        // Same key and schedule: keeps 11:05; a new rule starts from now.
        s.set_rules(
            "a/dev",
            vec![
                Rule::new("R", rate("rate(5 minutes)"), target.clone()),
                Rule::new("S", rate("rate(1 minute)"), target.clone()),
            ],
        );
        let next: BTreeMap<String, Option<DateTime<Utc>>> = s
            .rules()
            .into_iter()
            .map(|r| (format!("{}:{}", r.group, r.key), r.next))
            .collect();
        assert_eq!(next["a/dev:R"], Some(t("2026-11-23T11:05:00Z")));
        assert_eq!(next["a/dev:S"], Some(t("2026-11-23T11:04:00Z")));
        assert_eq!(next["a/prod:R"], Some(t("2026-11-23T12:00:00Z")));
        // A changed schedule restarts.
        s.set_rules(
            "a/dev",
            vec![Rule::new("R", rate("rate(2 minutes)"), target.clone())],
        );
        assert_eq!(s.rules().len(), 2);
        assert_eq!(s.next_due(), Some(t("2026-11-23T11:05:00Z")));
        s.remove_group("a/dev");
        s.set_rules("a/prod", vec![]);
        assert!(s.rules().is_empty());
        assert_eq!(s.next_due(), None);
        assert!(s.run_due(t("2030-01-01T00:00:00Z")).is_empty());
    }

    #[test]
    fn scheduled_event_shape() {
        let f = Firing {
            group: "greeter/dev".into(),
            key: "Nightly".into(),
            scheduled_at: t("2026-11-23T12:00:00Z"),
        };
        let arn = "arn:aws:events:us-east-1:123456789012:rule/greeter-dev-Nightly";
        let e = scheduled_event(&f, arn, "us-east-1", "123456789012");
        assert_eq!(e["detail-type"], "Scheduled Event");
        assert_eq!(e["source"], "aws.events");
        assert_eq!(e["time"], "2026-11-23T12:00:00Z");
        assert_eq!(e["resources"][0], arn);
        assert_eq!(e["id"].as_str().unwrap().len(), 36);
        assert_eq!(e, scheduled_event(&f, arn, "us-east-1", "123456789012"));
    }
}
