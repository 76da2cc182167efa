//! The scheduler that fires `AWS::Events::Rule`s (and SAM `Schedule`
//! events) with a schedule, and the event EventBridge delivers to their
//! targets.
//!
//! The expressions themselves (`rate(…)`, `cron(…)`, when one fires next) are
//! the `lockgate-schedule` crate's, re-exported here as [`Schedule`].
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

use chrono::{DateTime, TimeDelta, Utc};
use sha2::{Digest, Sha256};

pub use lockgate_schedule::{Schedule, ScheduleError};

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
