//! A function version's pool of instances: cold starts, warm reuse, one
//! invocation at a time per instance, a concurrency limit with throttling,
//! timeouts, crash handling and idle reaping.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use serde_json::json;
use tokio::sync::oneshot;

use crate::config::{FunctionConfig, RuntimeOptions};
use crate::error::CloudError;
use crate::instance::{Instance, Job, Launch, Parked, Reply, epoch_ms, lock};
use crate::logs::{self, FunctionLog, LogSink, Report, SinkSlot, TAIL_RESULT};
use crate::metrics::{Event, Metrics};
use crate::slots::Slots;

mod ids;
mod inflight;
mod standby;

use ids::{header_value, trace_id};
pub use ids::{random_request_id, random_uuid};
use inflight::{InFlight, Permits, Running, Wait};

/// What a caller passes to [`Function::invoke`].
#[derive(Debug, Clone, Default)]
pub struct InvokeRequest {
    /// The event (JSON).
    pub payload: Bytes,
    /// The base64 client context, passed on as `Lambda-Runtime-Client-Context`.
    pub client_context: Option<String>,
    /// The Cognito identity JSON, passed on as `Lambda-Runtime-Cognito-Identity`.
    pub cognito_identity: Option<String>,
    /// Whether to return the last 4 KB of logs.
    pub want_tail: bool,
    /// The version or alias the caller named (`live`, `3`), which makes
    /// `Lambda-Runtime-Invoked-Function-Arn` a qualified ARN as on Lambda.
    /// [`crate::Cloud::invoke`] fills it from the target it is given.
    pub qualifier: Option<String>,
}

/// The result of an invocation that ran.
#[derive(Debug, Clone)]
pub struct InvokeOutcome {
    /// The request ID.
    pub request_id: Arc<str>,
    /// The response, or the error document when `function_error` is set.
    pub body: Bytes,
    /// `Unhandled` when the function (or its runtime) failed.
    pub function_error: Option<String>,
    /// The last 4 KB of the invocation's logs, when asked for.
    pub log_tail: Option<Vec<u8>>,
    /// The version that ran.
    pub version: Arc<str>,
    /// Whether a new instance was started for it.
    pub cold: bool,
}

/// Why an invocation did not run.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum InvokeError {
    /// The function is at its concurrency limit.
    #[error("Rate Exceeded.")]
    Throttled,
    /// The instance could not be started at all (e.g. the program is missing).
    #[error("{0}")]
    Start(String),
}

/// One function version and its instances.
pub struct Function {
    config: FunctionConfig,
    /// Itself, for the task that finishes an abandoned invocation.
    me: Weak<Function>,
    arn: String,
    /// `arn` as the `Lambda-Runtime-Invoked-Function-Arn` header of an
    /// unqualified call (made once, shared by every invocation).
    arn_header: hyper::header::HeaderValue,
    launch: Launch,
    limit: Arc<Slots>,
    /// The account's pool, for a function without reserved concurrency.
    pool: Option<Arc<Slots>>,
    queue_timeout: Duration,
    idle: Mutex<Vec<Arc<Instance>>>,
    all: Mutex<Vec<Weak<Instance>>>,
    /// The next instance's sandbox, made ahead (sandboxed functions only):
    /// a cold start takes it and starts the runtime in it.
    standby: Mutex<Option<Parked>>,
    /// Held while a standby is made: one at a time.
    making: Arc<tokio::sync::Mutex<()>>,
    /// When it was created (a version that starts no instance within the
    /// idle timeout of it keeps no standby).
    created: Instant,
    /// How many times [`Function::stop_all`] ran: a standby asked for
    /// before the last one is not kept.
    stops: AtomicU64,
    log: FunctionLog,
    metrics: Arc<Metrics>,
    /// The options and region it was built with (for reuse checks).
    opts: RuntimeOptions,
    region: String,
    retired: AtomicBool,
    init_timeout: Duration,
    idle_timeout: Duration,
    spawned: AtomicU64,
    /// Its metrics' counters (key `name:version`).
    counters: Arc<crate::metrics::MetricsCell>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("name", &self.config.name)
            .field("arn", &self.arn)
            .finish()
    }
}

impl Function {
    /// Prepares a function (nothing is started until the first invocation).
    pub fn new(
        config: FunctionConfig,
        opts: &RuntimeOptions,
        region: &str,
        sink: LogSink,
        metrics: Arc<Metrics>,
    ) -> Result<Arc<Function>, CloudError> {
        let log = FunctionLog::new(SinkSlot::new(sink), &config.name, &config.version);
        let tmp = opts.runtime_dir.join("tmp").join(config.key());
        std::fs::create_dir_all(&tmp).map_err(|source| CloudError::Io {
            path: tmp.clone(),
            source,
        })?;
        let launch = crate::bootstrap::launch(&config, opts, region, &tmp)?;
        let limit = config
            .reserved_concurrency
            .unwrap_or(opts.default_concurrency)
            .max(1) as usize;
        let arn = format!(
            "arn:aws:lambda:{region}:{}:function:{}",
            opts.account_id, config.name
        );
        // A function name is letters, digits, `-` and `_`: always a valid header.
        let arn_header = hyper::header::HeaderValue::from_str(&arn)
            .unwrap_or_else(|_| hyper::header::HeaderValue::from_static("arn:aws:lambda"));
        let counters = metrics.cell(&format!("{}:{}", config.name, config.version));
        let f = Arc::new_cyclic(|me| Function {
            me: me.clone(),
            arn,
            arn_header,
            launch,
            limit: Slots::new(limit),
            pool: config
                .reserved_concurrency
                .is_none()
                .then(crate::config::account_pool),
            queue_timeout: opts.queue_timeout,
            idle: Mutex::new(Vec::new()),
            all: Mutex::new(Vec::new()),
            standby: Mutex::new(None),
            making: Arc::default(),
            stops: AtomicU64::new(0),
            created: Instant::now(),
            log,
            metrics,
            opts: opts.clone(),
            region: region.to_string(),
            retired: AtomicBool::new(false),
            init_timeout: opts.init_timeout,
            idle_timeout: opts.idle_timeout,
            spawned: AtomicU64::new(0),
            counters,
            config,
        });
        spawn_reaper(Arc::downgrade(&f), opts.idle_timeout);
        f.make_standby();
        Ok(f)
    }

    /// The configuration.
    pub fn config(&self) -> &FunctionConfig {
        &self.config
    }

    /// The function's ARN (unqualified).
    pub fn arn(&self) -> &str {
        &self.arn
    }

    /// Whether this function, built with its own options and region, would
    /// start the same instances as a new one built from `config`, `opts`
    /// and `region` (and so can serve in its place, warm).
    pub fn can_serve(&self, config: &FunctionConfig, opts: &RuntimeOptions, region: &str) -> bool {
        // The interpreter paths matter only to the runtime that uses them.
        let relevant = |o: &RuntimeOptions| {
            let mut o = o.clone();
            let keep = |o: &mut RuntimeOptions| {
                let (python, node, ruby, java) = (
                    o.python.clone(),
                    o.node.clone(),
                    o.ruby.clone(),
                    o.java.clone(),
                );
                o.python = Default::default();
                o.node = Default::default();
                o.ruby = Default::default();
                o.java = Default::default();
                (python, node, ruby, java)
            };
            let (python, node, ruby, java) = keep(&mut o);
            match config.runtime {
                crate::config::Runtime::Python { .. } => o.python = python,
                crate::config::Runtime::Node { .. } => o.node = node,
                crate::config::Runtime::Ruby { .. } => o.ruby = ruby,
                crate::config::Runtime::Java { .. } => o.java = java,
                crate::config::Runtime::Provided { .. }
                | crate::config::Runtime::Unavailable { .. } => {}
            }
            o
        };
        self.config == *config
            && relevant(&self.opts) == relevant(opts)
            && self.region == region
            && !self.is_retired()
    }

    /// Sends the function's log lines (its instances' output included) to
    /// `sink` from now on.
    pub fn set_sink(&self, sink: LogSink) {
        self.log.slot().set(sink);
    }

    /// Stops idle instances now and every busy instance when its invocation
    /// ends; later invocations still run (each on a new instance, stopped
    /// after it). Used when a redeploy replaced the function.
    pub fn retire(&self) {
        self.retired.store(true, Ordering::Release);
        lock(&self.standby).take();
        for i in lock(&self.idle).drain(..) {
            i.kill();
        }
    }

    /// Whether [`Function::retire`] was called.
    pub fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }

    /// How many instances were ever started.
    pub fn instances_started(&self) -> u64 {
        self.spawned.load(Ordering::Relaxed)
    }

    /// How many instances wait, warm, for an invocation.
    pub fn warm_instances(&self) -> usize {
        lock(&self.idle).iter().filter(|i| !i.is_dead()).count()
    }

    /// How many instances are alive now.
    pub fn live_instances(&self) -> usize {
        lock(&self.all)
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|i| !i.is_dead())
            .count()
    }

    /// Counts an invocation made as `req` asked.
    fn count(&self, req: &InvokeRequest, event: Event) {
        self.metrics.record_invocation(
            &self.counters,
            (
                &self.config.name,
                &self.config.version,
                req.qualifier.as_deref(),
            ),
            event,
        );
    }

    /// Runs one invocation; function failures are outcomes, not errors.
    pub async fn invoke(&self, req: InvokeRequest) -> Result<InvokeOutcome, InvokeError> {
        if let crate::config::Runtime::Unavailable { name, reason } = &self.config.runtime {
            let request_id: Arc<str> = random_request_id();
            let body = error_doc(
                "Runtime.Unavailable",
                &format!(
                    "RequestId: {request_id} Error: runtime {name} cannot run on this machine: {reason}"
                ),
            );
            self.count(
                &req,
                Event::Invoked {
                    duration_ms: 0.0,
                    error: true,
                    cold: false,
                },
            );
            return Ok(self.outcome(&request_id, body, true, None, false));
        }
        let Some(permits) = self.slot().await else {
            self.count(&req, Event::Throttled);
            return Err(InvokeError::Throttled);
        };
        let request_id: Arc<str> = random_request_id();
        let mut flight = InFlight {
            function: self,
            request_id: request_id.clone(),
            permits: Some(permits),
            running: None,
        };
        let mut retried = false;
        loop {
            let (inst, cold) = self.checkout().await?;
            match self.run_on(&inst, cold, &mut flight, &req).await {
                Attempt::Done(outcome) => {
                    self.give_back(inst);
                    // The slot is given back once the instance is back in the pool.
                    drop(flight);
                    return Ok(outcome);
                }
                Attempt::NotDelivered if !retried => {
                    // The instance died before it took the event: run it elsewhere.
                    retried = true;
                }
                Attempt::NotDelivered => {
                    let status = lock(&inst.exit_status)
                        .clone()
                        .unwrap_or_else(|| "unknown".into());
                    let output = String::from_utf8_lossy(&lock(&inst.tail).last(512))
                        .trim()
                        .to_string();
                    let output = if output.is_empty() {
                        String::new()
                    } else {
                        format!("; its last output: {output}")
                    };
                    let body = error_doc(
                        "Runtime.ExitError",
                        &format!(
                            "RequestId: {request_id} Error: Runtime exited before asking for an event (GET /2018-06-01/runtime/invocation/next): {status}{output}"
                        ),
                    );
                    self.count(
                        &req,
                        Event::Invoked {
                            duration_ms: 0.0,
                            error: true,
                            cold,
                        },
                    );
                    return Ok(self.outcome(&request_id, body, true, None, cold));
                }
            }
        }
    }

    /// Returns an instance whose invocation has ended to the warm pool
    /// (stopped instead when the function was retired meanwhile).
    fn give_back(&self, inst: Arc<Instance>) {
        if self.is_retired() {
            inst.kill();
        } else if !inst.is_dead() && !inst.was_killed() {
            *lock(&inst.last_used) = Instant::now();
            lock(&self.idle).push(inst);
        }
    }

    /// A concurrency slot: the function's own (its reserved concurrency, or
    /// its cap), and the account pool's for a function without a
    /// reservation. When none is free, the invocation waits for one up to
    /// `queue_timeout` (instances finishing or starting) before it is
    /// throttled, instead of being refused at once.
    async fn slot(&self) -> Option<Permits> {
        // The usual case, a free slot: no timer on the hot path.
        if let Some(own) = self.limit.try_take() {
            match &self.pool {
                None => return Some((own, None)),
                Some(p) => {
                    if let Some(pooled) = p.try_take() {
                        return Some((own, Some(pooled)));
                    }
                }
            }
        }
        let acquire = async {
            let own = self.limit.take().await;
            let pooled = match &self.pool {
                Some(p) => Some(p.take().await),
                None => None,
            };
            Some((own, pooled))
        };
        // Boxed: the wait is rare, and stays out of every invocation's future.
        Box::pin(tokio::time::timeout(self.queue_timeout, acquire))
            .await
            .ok()
            .flatten()
    }

    /// Starts up to `n` instances beyond the idle ones and waits (at most
    /// `limit`) until they ask for their first event, then keeps them warm:
    /// a new version warmed before traffic moves to it serves without a
    /// burst of cold starts. Answers how many are ready.
    pub async fn prewarm(&self, n: usize, limit: Duration) -> usize {
        let have = lock(&self.idle).len();
        let want = n.saturating_sub(have);
        // Start them all, then wait for each: they initialize side by side.
        let mut started = Vec::new();
        for _ in 0..want {
            match self.start_instance().await {
                Ok(inst) => {
                    lock(&self.all).push(Arc::downgrade(&inst));
                    started.push(inst);
                }
                Err(e) => {
                    tracing::debug!("prewarming {}: {e}", self.config.name);
                    break;
                }
            }
        }
        let deadline = Instant::now() + limit;
        let mut ready = 0;
        for inst in started {
            let left = deadline.saturating_duration_since(Instant::now());
            let up = tokio::time::timeout(left, inst.wait_ready()).await.is_ok();
            if up && !inst.is_dead() && !self.is_retired() {
                *lock(&inst.last_used) = Instant::now();
                lock(&self.idle).push(inst);
                ready += 1;
            } else {
                inst.kill();
            }
        }
        ready
    }

    /// Takes a warm instance or starts a new one.
    async fn checkout(&self) -> Result<(Arc<Instance>, bool), InvokeError> {
        loop {
            let candidate = lock(&self.idle).pop();
            match candidate {
                Some(i) if !i.is_dead() && !i.was_killed() => return Ok((i, false)),
                Some(_) => continue,
                None => break,
            }
        }
        let inst = self.start_instance().await.map_err(|e| {
            InvokeError::Start(format!(
                "cannot start {}: {e}",
                self.launch.program.display()
            ))
        })?;
        let mut all = lock(&self.all);
        all.retain(|w| w.upgrade().is_some_and(|i| !i.is_dead()));
        all.push(Arc::downgrade(&inst));
        Ok((inst, true))
    }

    /// Starts a new instance: in the standby sandbox when there is one
    /// still current, else in a sandbox made now. The next standby is made
    /// once this instance is up, not while it starts (the two would
    /// compete for the CPU).
    async fn start_instance(&self) -> std::io::Result<Arc<Instance>> {
        let inst = match self.take_standby() {
            Some(inst) => inst,
            None => Instance::spawn(&self.launch, self.log.clone()).await?,
        };
        self.spawned.fetch_add(1, Ordering::Relaxed);
        self.make_standby_once_up(&inst);
        Ok(inst)
    }

    async fn run_on(
        &self,
        inst: &Arc<Instance>,
        cold: bool,
        flight: &mut InFlight<'_>,
        req: &InvokeRequest,
    ) -> Attempt {
        let id = flight.request_id.clone();
        let request_id: &str = &id;
        let (reply_tx, reply_rx) = oneshot::channel();
        // One reading of each clock serves the deadline, the trace header
        // and the start of a warm invocation.
        let (now, wall) = (Instant::now(), SystemTime::now());
        let deadline_at = now + self.config.timeout;
        let mut job = Job {
            request_id: flight.request_id.clone(),
            payload: req.payload.clone(),
            deadline_ms: epoch_ms(wall + self.config.timeout),
            trace_id: header_value(trace_id(wall)),
            invoked_arn: match &req.qualifier {
                Some(q) if !q.is_empty() => header_value(format!("{}:{q}", self.arn)),
                _ => self.arn_header.clone(),
            },
            client_context: req.client_context.clone(),
            cognito_identity: req.cognito_identity.clone(),
            delivered: None,
        };
        let Some(place) = inst.reserve() else {
            return Attempt::NotDelivered;
        };
        if !inst.expect_reply(flight.request_id.clone(), reply_tx) {
            return Attempt::NotDelivered;
        }
        flight.running = Some(Running {
            inst: inst.clone(),
            reply: reply_rx,
            deadline: deadline_at + self.init_timeout,
            started: now,
        });
        if !cold && inst.is_initialized() {
            // A warm instance is waiting in `/next` and takes the event at
            // once: START is written before it can print anything, and one
            // wait (no separate wake-up for the hand-over) covers the call;
            // whether the event reached it is read from its job slot if it
            // dies.
            let started = now;
            self.start_line(inst, request_id);
            place.send(job);
            let timer = tokio::time::sleep_until(tokio::time::Instant::from_std(deadline_at));
            let wait = flight.wait(timer).await;
            let lost = matches!(wait, Wait::Answered(Err(_)));
            if lost && !inst.took_job() {
                return Attempt::NotDelivered;
            }
            let (body, error) = self.settle(wait, inst, request_id).await;
            inst.sync_output().await;
            return Attempt::Done(self.finish(inst, &id, Some(started), body, error, cold, req));
        }
        // A starting instance is waited for until it takes the event.
        let (delivered, delivered_rx) = oneshot::channel();
        job.delivered = Some(delivered);
        place.send(job);
        // Off the warm path's future: a cold start's waits are boxed, so the
        // future every warm invocation moves around stays small.
        Box::pin(self.run_cold(inst, cold, flight, req, delivered_rx, deadline_at)).await
    }

    /// The rest of [`Function::run_on`] for an instance that has not yet
    /// asked for its first event: waits for it to take the event (bounded
    /// by the init timeout), then for its answer.
    async fn run_cold(
        &self,
        inst: &Arc<Instance>,
        cold: bool,
        flight: &mut InFlight<'_>,
        req: &InvokeRequest,
        delivered_rx: oneshot::Receiver<()>,
        deadline_at: Instant,
    ) -> Attempt {
        let id = flight.request_id.clone();
        let request_id: &str = &id;
        // Phase 1: the runtime takes the event (bounded by the init timeout).
        // One timer serves both phases: it is reset for phase 2.
        let timer = tokio::time::sleep(self.init_timeout);
        tokio::pin!(timer);
        tokio::select! {
            biased;
            r = delivered_rx => if r.is_err() { flight.running = None; return Attempt::NotDelivered },
            _ = inst.wait_dead() => {
                flight.running = None;
                let init_error = lock(&inst.init_error).clone();
                if let Some(body) = init_error {
                    inst.sync_output().await;
                    return Attempt::Done(self.finish(inst, &id, None, body, true, cold, req));
                }
                return Attempt::NotDelivered;
            }
            _ = timer.as_mut() => {
                flight.running = None;
                inst.kill();
                let body = error_doc("Runtime.InitTimeout", &format!(
                    "RequestId: {request_id} Error: the runtime did not ask for an event (GET /2018-06-01/runtime/invocation/next) within {:.2} seconds of starting",
                    self.init_timeout.as_secs_f64()
                ));
                return Attempt::Done(self.finish(inst, &id, None, body, true, cold, req));
            }
        }
        let started = Instant::now();
        self.start_line(inst, request_id);
        // Phase 2: the runtime answers (bounded by the function's timeout).
        timer
            .as_mut()
            .reset(tokio::time::Instant::from_std(deadline_at.max(started)));
        let wait = flight.wait(timer).await;
        let (body, error) = self.settle(wait, inst, request_id).await;
        inst.sync_output().await;
        Attempt::Done(self.finish(inst, &id, Some(started), body, error, cold, req))
    }

    /// Lambda's START line, which also begins the instance's tail.
    fn start_line(&self, inst: &Instance, request_id: &str) {
        let mut tail = lock(&inst.tail);
        tail.clear();
        let version = &self.config.version;
        self.log_line(&mut tail, |out| logs::write_start(out, request_id, version));
    }

    /// One of Lambda's own lines, written in place into the instance's tail
    /// and then to the function's log.
    fn log_line(&self, tail: &mut logs::TailBuffer, write: impl FnOnce(&mut String)) {
        self.log.write(tail.push_with(write));
    }

    /// What the invocation answers, from how the wait for the runtime ended.
    async fn settle(&self, wait: Wait, inst: &Instance, request_id: &str) -> (Bytes, bool) {
        match wait {
            Wait::Answered(Ok(reply)) => reply_body(reply),
            Wait::Answered(Err(_)) => (self.exit_error(inst, request_id).await, true),
            Wait::TimedOut => {
                inst.kill();
                let msg = format!(
                    "RequestId: {request_id} Error: Task timed out after {:.2} seconds",
                    self.config.timeout.as_secs_f64()
                );
                self.log.write(&msg);
                (error_doc("Sandbox.Timedout", &msg), true)
            }
        }
    }

    async fn exit_error(&self, inst: &Instance, request_id: &str) -> Bytes {
        inst.wait_dead().await;
        let status = lock(&inst.exit_status)
            .clone()
            .unwrap_or_else(|| "unknown".into());
        error_doc(
            "Runtime.ExitError",
            &format!("RequestId: {request_id} Error: Runtime exited with error: {status}"),
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        inst: &Instance,
        request_id: &Arc<str>,
        started: Option<Instant>,
        body: Bytes,
        error: bool,
        cold: bool,
        req: &InvokeRequest,
    ) -> InvokeOutcome {
        let duration = started.map(|s| s.elapsed()).unwrap_or_default();
        let report = Report {
            duration,
            memory_mb: self.config.memory_mb,
            max_memory_mb: inst.max_memory_mb(),
            init: if cold {
                *lock(&inst.init_duration)
            } else {
                None
            },
        };
        let tail = {
            let mut tail = lock(&inst.tail);
            if started.is_none() {
                let version = &self.config.version;
                self.log_line(&mut tail, |out| logs::write_start(out, request_id, version));
            }
            self.log_line(&mut tail, |out| logs::write_end(out, request_id));
            self.log_line(&mut tail, |out| {
                logs::write_report(out, request_id, &report)
            });
            req.want_tail.then(|| tail.last(TAIL_RESULT))
        };
        self.count(
            req,
            Event::Invoked {
                duration_ms: duration.as_secs_f64() * 1000.0,
                error,
                cold,
            },
        );
        self.outcome(request_id, body, error, tail, cold)
    }

    fn outcome(
        &self,
        request_id: &Arc<str>,
        body: Bytes,
        error: bool,
        log_tail: Option<Vec<u8>>,
        cold: bool,
    ) -> InvokeOutcome {
        InvokeOutcome {
            request_id: request_id.clone(),
            body,
            function_error: error.then(|| "Unhandled".to_string()),
            log_tail,
            version: self.log.version().clone(),
            cold,
        }
    }

    /// Stops idle instances older than the idle timeout, and the standby of
    /// a version that never ran ([`Function::reap_unused_standby`]).
    pub fn reap_idle(&self) {
        let mut idle = lock(&self.idle);
        idle.retain(|i| {
            let keep = !i.is_dead() && lock(&i.last_used).elapsed() < self.idle_timeout;
            if !keep {
                i.kill();
            }
            keep
        });
        drop(idle);
        self.reap_unused_standby();
    }

    /// Stops every instance (shutdown).
    pub fn stop_all(&self) {
        self.stops.fetch_add(1, Ordering::AcqRel);
        lock(&self.standby).take();
        lock(&self.idle).clear();
        for i in lock(&self.all).iter().filter_map(Weak::upgrade) {
            i.kill();
        }
    }
}

enum Attempt {
    Done(InvokeOutcome),
    NotDelivered,
}

fn spawn_reaper(f: Weak<Function>, idle_timeout: Duration) {
    let period = (idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(5));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match f.upgrade() {
                Some(f) => f.reap_idle(),
                None => return,
            }
        }
    });
}

/// The answer and whether it is an error, from what the runtime posted.
fn reply_body(reply: Reply) -> (Bytes, bool) {
    match reply {
        Reply::Response(b) => (b, false),
        Reply::Error(b) => (normalize_error(b), true),
        Reply::TooLarge(limit) => (
            error_doc(
                "Function.ResponseSizeTooLarge",
                &format!(
                    "Response payload size exceeded maximum allowed payload size ({limit} bytes)."
                ),
            ),
            true,
        ),
    }
}

/// Lambda's error document.
pub fn error_doc(error_type: &str, message: &str) -> Bytes {
    Bytes::from(json!({"errorType": error_type, "errorMessage": message}).to_string())
}

/// Keeps a runtime's error document when it is JSON; wraps anything else.
fn normalize_error(body: Bytes) -> Bytes {
    if serde_json::from_slice::<serde_json::Value>(&body).is_ok() {
        body
    } else {
        error_doc("Runtime.Unknown", &String::from_utf8_lossy(&body))
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        self.stop_all();
    }
}
