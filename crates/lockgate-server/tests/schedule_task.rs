//! The scheduler's own task, driven by tokio's paused clock: it sleeps until
//! the next due time, fires, and picks up rule changes at once — checked over
//! hours of virtual time without waiting real minutes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use lockgate_server::schedule::{Clock, Firing, Rule, RuleTarget, Schedule, Scheduler};
use tokio::sync::mpsc;

/// Wall-clock time that follows tokio's (paused, auto-advancing) clock.
struct TokioClock {
    base: DateTime<Utc>,
    start: tokio::time::Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> DateTime<Utc> {
        self.base + (tokio::time::Instant::now() - self.start)
    }
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn channel_target() -> (Arc<dyn RuleTarget>, mpsc::UnboundedReceiver<Firing>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (
        Arc::new(move |f: &Firing| {
            let _ = tx.send(f.clone());
        }),
        rx,
    )
}

async fn next_firing(rx: &mut mpsc::UnboundedReceiver<Firing>) -> Firing {
    // Virtual time: the paused clock jumps straight to the next timer.
    tokio::time::timeout(Duration::from_secs(24 * 3600), rx.recv())
        .await
        .expect("a firing within a virtual day")
        .expect("the target channel is open")
}

#[tokio::test(start_paused = true)]
async fn the_task_fires_rates_and_crons_at_their_times() {
    let clock = Arc::new(TokioClock {
        base: t("2026-11-23T11:00:00Z"),
        start: tokio::time::Instant::now(),
    });
    let scheduler = Scheduler::with_clock(clock.clone());
    let task = scheduler.spawn();
    let (target, mut rx) = channel_target();
    scheduler.set_rules(
        "greeter/dev",
        vec![
            Rule::new(
                "Minutely",
                Schedule::parse("rate(1 minute)").unwrap(),
                target.clone(),
            ),
            Rule::new(
                "FiveMinutes",
                Schedule::parse("cron(0/5 * * * ? *)").unwrap(),
                target.clone(),
            ),
        ],
    );
    let mut seen = Vec::new();
    for _ in 0..6 {
        let f = next_firing(&mut rx).await;
        seen.push((f.key, f.scheduled_at));
    }
    seen.sort();
    assert_eq!(
        seen,
        vec![
            ("FiveMinutes".to_string(), t("2026-11-23T11:05:00Z")),
            ("Minutely".to_string(), t("2026-11-23T11:01:00Z")),
            ("Minutely".to_string(), t("2026-11-23T11:02:00Z")),
            ("Minutely".to_string(), t("2026-11-23T11:03:00Z")),
            ("Minutely".to_string(), t("2026-11-23T11:04:00Z")),
            ("Minutely".to_string(), t("2026-11-23T11:05:00Z")),
        ]
    );
    // Fired at the due time itself, not later.
    assert_eq!(clock.now(), t("2026-11-23T11:05:00Z"));

    // Replacing the group: the old rules stop, the new one runs from now.
    scheduler.set_rules(
        "greeter/dev",
        vec![Rule::new(
            "Hourly",
            Schedule::parse("rate(1 hour)").unwrap(),
            target.clone(),
        )],
    );
    while let Ok(stale) = rx.try_recv() {
        assert_eq!(stale.scheduled_at, t("2026-11-23T11:05:00Z"));
    }
    let f = next_firing(&mut rx).await;
    assert_eq!(
        (f.key.as_str(), f.scheduled_at),
        ("Hourly", t("2026-11-23T12:05:00Z"))
    );

    // A second stage's group runs beside the first.
    scheduler.set_rules(
        "greeter/prod",
        vec![Rule::new(
            "Noon",
            Schedule::parse("cron(0 13 * * ? *)").unwrap(),
            target.clone(),
        )],
    );
    let f = next_firing(&mut rx).await;
    assert_eq!(
        (f.group.as_str(), f.key.as_str(), f.scheduled_at),
        ("greeter/prod", "Noon", t("2026-11-23T13:00:00Z"))
    );
    let g = next_firing(&mut rx).await;
    assert_eq!(
        (g.group.as_str(), g.key.as_str(), g.scheduled_at),
        ("greeter/dev", "Hourly", t("2026-11-23T13:05:00Z"))
    );

    // Removing every group: nothing fires any more.
    scheduler.remove_group("greeter/dev");
    scheduler.remove_group("greeter/prod");
    let quiet = tokio::time::timeout(Duration::from_secs(7 * 24 * 3600), rx.recv()).await;
    assert!(
        quiet.is_err(),
        "fired after its rules were removed: {quiet:?}"
    );
    task.abort();
}
