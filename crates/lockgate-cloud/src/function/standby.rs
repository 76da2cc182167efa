//! A function version's standby: the next instance's sandbox, made ahead
//! of need so that a cold start does not wait for bubblewrap (see
//! `docs/local-cloud.md`, "A standby sandbox per function").

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::Function;
use crate::instance::{Instance, Parked, lock};

impl Function {
    /// Makes the next instance's sandbox in the background, unless there is
    /// one (or one is being made), the function is retired, it does not run
    /// sandboxed, or it never starts an instance (a runtime unavailable
    /// here).
    pub(super) fn make_standby(&self) {
        if !self.can_have_standby() || lock(&self.standby).is_some() {
            return;
        }
        // Held by the task however it ends (a failure, a panic, dropped
        // before it ran at shutdown).
        let Ok(making) = self.making.clone().try_lock_owned() else {
            return;
        };
        let Some(me) = self.me.upgrade() else {
            return;
        };
        let stops = self.stops.load(Ordering::Acquire);
        tokio::spawn(async move {
            let _making = making;
            // A stack's first deploy creates all its functions at once:
            // their sandboxes are made a few at a time, each turn held
            // until the sandbox says it is made, not all together against
            // the deploy's own work.
            let Ok(_turn) = standby_turns().acquire().await else {
                return;
            };
            me.park_and_keep(stops).await;
        });
    }

    /// Makes the next standby once `inst`, just started, is up (not while
    /// it starts: the two would compete for the CPU), unless it was stopped
    /// meanwhile (its function's instances all stopped, at shutdown too).
    pub(super) fn make_standby_once_up(&self, inst: &Arc<Instance>) {
        if !self.can_have_standby() {
            return;
        }
        let (me, started) = (self.me.clone(), inst.clone());
        let (limit, stops) = (self.init_timeout, self.stops.load(Ordering::Acquire));
        tokio::spawn(async move {
            let _ = tokio::time::timeout(limit, started.wait_ready()).await;
            if let Some(f) = me.upgrade()
                && !started.is_dead()
                && !started.was_killed()
                && f.stops.load(Ordering::Acquire) == stops
            {
                f.make_standby();
            }
        });
    }

    /// Makes the next instance's sandbox ahead now, if the function keeps
    /// one and has none, and waits (at most the init timeout) until it is
    /// made: what [`Function::new`] starts in the background, for a caller
    /// that wants it ready (a benchmark of cold starts). One being made in
    /// the background is waited for, not made twice. Answers whether there
    /// is one, made.
    pub async fn ensure_standby(&self) -> bool {
        if !self.can_have_standby() {
            return false;
        }
        let _making = self.making.lock().await;
        if lock(&self.standby).is_none() {
            self.park_and_keep(self.stops.load(Ordering::Acquire)).await;
        }
        let made = match lock(&self.standby).as_ref() {
            Some(p) => p.made(),
            None => return false,
        };
        tokio::time::timeout(self.init_timeout, made).await.is_ok()
    }

    /// Makes a standby, waits (at most the init timeout) until its sandbox
    /// says it is made, and keeps it (see [`Function::keep_standby`]).
    async fn park_and_keep(&self, stops: u64) {
        if self.stops.load(Ordering::Acquire) != stops || self.is_retired() {
            return;
        }
        match Instance::park(&self.launch, self.log.clone()).await {
            Ok(p) => {
                let _ = tokio::time::timeout(self.init_timeout, p.made()).await;
                self.keep_standby(p, stops);
            }
            Err(e) => tracing::debug!("making a standby for {}: {e}", self.config.name),
        }
    }

    /// Whether a standby could serve this function: it keeps one
    /// ([`RuntimeOptions::standby`]), runs sandboxed, starts instances (its
    /// runtime is available here) and is not retired.
    pub(super) fn can_have_standby(&self) -> bool {
        self.opts.standby
            && self.launch.can_park()
            && !matches!(
                self.config.runtime,
                crate::config::Runtime::Unavailable { .. }
            )
            && !self.is_retired()
    }

    /// Keeps `parked` as the standby, unless there is one already, the
    /// function was retired, or its instances were stopped since the
    /// standby was asked for (`stops`, the count of [`Function::stop_all`]
    /// then): otherwise it is dropped, which stops it. Decided under the
    /// standby's lock, which [`Function::retire`] and
    /// [`Function::stop_all`] take after they mark the function: a standby
    /// made meanwhile is either seen and stopped by them or not kept.
    fn keep_standby(&self, parked: Parked, stops: u64) {
        let mut standby = lock(&self.standby);
        if standby.is_none() && !self.is_retired() && self.stops.load(Ordering::Acquire) == stops {
            *standby = Some(parked);
        }
    }

    /// The process ID of the standby sandbox, when there is one.
    pub fn standby_pid(&self) -> Option<u32> {
        lock(&self.standby).as_ref().map(|p| p.instance().pid)
    }

    /// The standby sandbox with its runtime started, when there is one
    /// still made as a sandbox made now would be (else it is stopped).
    pub(super) fn take_standby(&self) -> Option<Arc<Instance>> {
        let parked = lock(&self.standby).take()?;
        if !parked.is_current(&self.launch) {
            return None;
        }
        match parked.start() {
            Ok(inst) => Some(inst),
            Err(e) => {
                tracing::debug!("starting the standby of {}: {e}", self.config.name);
                None
            }
        }
    }

    /// Stops the standby of a version that has started no instance within
    /// the idle timeout of its creation (`$LATEST` behind an alias, say):
    /// it may never be invoked. It gets one again after its next cold
    /// start; a version that has run keeps its own.
    pub(super) fn reap_unused_standby(&self) {
        if self.spawned.load(Ordering::Relaxed) == 0 && self.created.elapsed() >= self.idle_timeout
        {
            lock(&self.standby).take();
        }
    }
}

/// How many standby sandboxes are made at once in the process: one per CPU.
fn standby_turns() -> &'static tokio::sync::Semaphore {
    static TURNS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    TURNS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, usize::from))
    })
}
