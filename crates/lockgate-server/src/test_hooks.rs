//! Pause points for crash tests, compiled in only with the `test-hooks`
//! feature (which the integration tests turn on): with
//! `LOCKGATE_TEST_PAUSE_AT=<point>` in its environment, the server stops
//! for good at that point so a test can kill it there.

/// Waits forever when `point` is the one `LOCKGATE_TEST_PAUSE_AT` names
/// (points: `after:<logical id>` once a resource's step is recorded,
/// `shift:<logical id>` once an alias's traffic moved).
#[cfg(feature = "test-hooks")]
pub async fn pause_at(point: &str) {
    static WANTED: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let wanted = WANTED.get_or_init(|| {
        std::env::var("LOCKGATE_TEST_PAUSE_AT")
            .ok()
            .filter(|s| !s.is_empty())
    });
    if wanted.as_deref() == Some(point) {
        #[allow(clippy::print_stderr, reason = "the crash tests read this line")]
        {
            eprintln!("lockgate: test hook: paused at {point}");
        }
        std::future::pending::<()>().await;
    }
}

/// Without the `test-hooks` feature: nothing.
#[cfg(not(feature = "test-hooks"))]
#[inline]
pub async fn pause_at(_point: &str) {}
