//! One function instance: a child process and the Runtime API it talks to.
//!
//! Every instance gets its own loopback listener, so the Runtime API knows
//! which instance a request comes from without trusting anything in it.
//! Invocations are handed over through a one-slot channel that the
//! instance's `GET …/invocation/next` long-polls.
//!
//! What a process is started with is `launch`; an instance whose sandbox
//! is made ahead of need, `parked`; its output's lines, `output`; its
//! memory readings, `memory`.

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::header::HeaderValue;
use hyper::{Method, StatusCode};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};

use crate::http::{BodyError, MAX_PAYLOAD};
use crate::logs::{FunctionLog, TailBuffer};

mod api;
mod launch;
mod memory;
mod output;
mod parked;

pub use launch::{Confined, Launch};
use memory::Memory;
use output::{LineSplitter, MARKER, split_marker};
pub use parked::Parked;

/// A caller waiting until the output reader has seen flush marker `n`.
type FlushWaiter = (u64, oneshot::Sender<()>);

/// One invocation handed to an instance.
#[derive(Debug)]
pub struct Job {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: Arc<str>,
    /// The event.
    pub payload: Bytes,
    /// `Lambda-Runtime-Deadline-Ms` (epoch milliseconds).
    pub deadline_ms: u64,
    /// `Lambda-Runtime-Trace-Id`.
    pub trace_id: HeaderValue,
    /// `Lambda-Runtime-Invoked-Function-Arn` (qualified when invoked through
    /// a version or alias).
    pub invoked_arn: HeaderValue,
    /// `Lambda-Runtime-Client-Context`, when the caller gave one.
    pub client_context: Option<String>,
    /// `Lambda-Runtime-Cognito-Identity`, when the caller gave one.
    pub cognito_identity: Option<String>,
    /// Signalled when the runtime takes the job from `/next`, for an
    /// invoker that waits for it (a starting instance's).
    pub delivered: Option<oneshot::Sender<()>>,
}

/// What the runtime answered for an invocation.
#[derive(Debug)]
pub enum Reply {
    /// `POST /invocation/{id}/response`.
    Response(Bytes),
    /// `POST /invocation/{id}/error`.
    Error(Bytes),
    /// The response was larger than 6 MiB.
    TooLarge(usize),
}

/// A running instance.
#[derive(Debug)]
pub struct Instance {
    /// The child's process ID.
    pub pid: u32,
    /// When its process started (for a parked instance, when its gate
    /// opened): init is counted from here.
    started: Mutex<Instant>,
    /// How long init took (spawn → first `/next`), once known.
    pub init_duration: Mutex<Option<Duration>>,
    /// When it last finished an invocation.
    pub last_used: Mutex<Instant>,
    jobs: mpsc::Sender<Job>,
    jobs_rx: tokio::sync::Mutex<mpsc::Receiver<Job>>,
    inflight: Mutex<Option<(Arc<str>, oneshot::Sender<Reply>)>>,
    /// The body posted to `/init/error`, if any.
    pub init_error: Mutex<Option<Bytes>>,
    dead: watch::Sender<bool>,
    /// How the process ended, once it has.
    pub exit_status: Mutex<Option<String>>,
    killing: AtomicBool,
    /// Recent output, for `X-Amz-Log-Result`.
    pub tail: Arc<Mutex<TailBuffer>>,
    /// Turns true at the first `/next` (the runtime is initialized).
    ready: watch::Sender<bool>,
    marker: Mutex<Option<std::fs::File>>,
    pending_probe: std::os::fd::OwnedFd,
    memory: Arc<Memory>,
    /// Held by the output reader while it reads the pipe and hands the
    /// lines on: free with an empty pipe means every line has been handed on.
    reading: Arc<Mutex<()>>,
    flush_waiters: Arc<Mutex<Vec<FlushWaiter>>>,
    flush_seq: std::sync::atomic::AtomicU64,
    output_closed: watch::Sender<bool>,
    /// Whether the process is a sandbox made ahead whose gate has not
    /// opened ([`Parked`]): what it writes then is bubblewrap's own (a
    /// mount that failed), and is marked as such in the function's log.
    behind_gate: Arc<AtomicBool>,
}

/// What marks a line a standby sandbox wrote before it was used.
const STANDBY_PREFIX: &str = "lockgate: standby sandbox: ";

/// How long to wait for output to be read before giving up on ordering.
const OUTPUT_SYNC_LIMIT: Duration = Duration::from_secs(2);

impl Instance {
    /// Starts a process with the Lambda environment and its runtime API.
    pub async fn spawn(launch: &Launch, log: FunctionLog) -> std::io::Result<Arc<Instance>> {
        Instance::start(launch, log, None).await
    }

    /// Starts the instance's process; with `gate` (the read end of its
    /// gate and the write end of its ready pipe), in a sandbox that waits
    /// at the gate.
    async fn start(
        launch: &Launch,
        log: FunctionLog,
        gate: Option<(std::io::PipeReader, std::io::PipeWriter)>,
    ) -> std::io::Result<Arc<Instance>> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (reader, writer) = std::io::pipe()?;
        let pending_probe: std::os::fd::OwnedFd = reader.try_clone()?.into();
        // Our own non-blocking handle on the pipe (a new open file description,
        // so the child's stdout stays blocking) for flush markers.
        let marker = {
            use std::os::fd::AsRawFd;
            use std::os::unix::fs::OpenOptionsExt;
            std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(format!("/proc/self/fd/{}", writer.as_raw_fd()))
                .ok()
        };
        // The gate program, open for the sandbox to run it from (kept
        // until the spawn returns, like the pipes' ends).
        let program = match (
            &gate,
            launch.confined.as_ref().and_then(|c| c.gate.as_ref()),
        ) {
            (Some(_), Some(path)) => Some(std::fs::File::open(path)?),
            _ => None,
        };
        let fds =
            gate.as_ref()
                .zip(program.as_ref())
                .map(|((gate_reader, ready_writer), program)| {
                    use std::os::fd::AsRawFd;
                    lockgate_sandbox::GateFds {
                        program: program.as_raw_fd(),
                        gate: gate_reader.as_raw_fd(),
                        ready: ready_writer.as_raw_fd(),
                    }
                });
        let w = launch.command_line(&addr.to_string(), fds);
        let mut cmd = tokio::process::Command::new(w.program);
        if let Some(fds) = fds {
            // SAFETY: run between fork and exec (it only makes the gate
            // program's, the gate's and the ready pipe's descriptors
            // inheritable in the child, which alone gets them), with
            // descriptors this function keeps open until the spawn returns.
            let hook = move || unsafe { lockgate_sandbox::inherit_gate(fds) };
            // SAFETY: the hook calls only async-signal-safe functions.
            unsafe {
                cmd.pre_exec(hook);
            }
        }
        cmd.args(w.args)
            .current_dir(&launch.cwd)
            .env_clear()
            .envs(w.env)
            .stdin(Stdio::null())
            .stdout(writer.try_clone()?)
            .stderr(writer)
            .process_group(0)
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        drop(cmd);
        // The child has its copies: ours of the gate's read end would keep
        // the gate open past our end, ours of the ready pipe's write end
        // would hide the sandbox's end.
        let gated = gate.is_some();
        drop((gate, program));
        let pid = child.id().unwrap_or(0);
        let (jobs, jobs_rx) = mpsc::channel(1);
        let (dead, _) = watch::channel(false);
        let now = Instant::now();
        let inst = Arc::new(Instance {
            pid,
            started: Mutex::new(now),
            init_duration: Mutex::new(None),
            last_used: Mutex::new(now),
            jobs,
            jobs_rx: tokio::sync::Mutex::new(jobs_rx),
            inflight: Mutex::new(None),
            init_error: Mutex::new(None),
            dead,
            exit_status: Mutex::new(None),
            killing: AtomicBool::new(false),
            tail: Arc::new(Mutex::new(TailBuffer::default())),
            marker: Mutex::new(marker),
            pending_probe,
            memory: Arc::new(Memory::new(pid)),
            reading: Arc::new(Mutex::new(())),
            flush_waiters: Arc::new(Mutex::new(Vec::new())),
            flush_seq: std::sync::atomic::AtomicU64::new(0),
            output_closed: watch::channel(false).0,
            ready: watch::channel(false).0,
            behind_gate: Arc::new(AtomicBool::new(gated)),
        });

        // Output: one pipe for stdout and stderr keeps their order.
        let tail = inst.tail.clone();
        let waiters = inst.flush_waiters.clone();
        let closed = inst.output_closed.clone();
        let reading = inst.reading.clone();
        let behind_gate = inst.behind_gate.clone();
        let pipe = tokio::net::unix::pipe::Receiver::from_owned_fd(reader.into())?;
        tokio::spawn(async move {
            let mut lines = LineSplitter::default();
            let mut chunk = vec![0u8; 16 * 1024];
            let mut hand_on = |line: &str| {
                let (text, flushed) = split_marker(line);
                if !text.is_empty() || flushed.is_none() {
                    if behind_gate.load(Ordering::SeqCst) {
                        let marked = format!("{STANDBY_PREFIX}{text}");
                        lock(&tail).push_line(&marked);
                        log.write(&marked);
                    } else {
                        lock(&tail).push_line(text);
                        log.write(text);
                    }
                }
                if let Some(n) = flushed {
                    let mut w = lock(&waiters);
                    if let Some(pos) = w.iter().position(|(id, _)| *id == n) {
                        let (_, tx) = w.swap_remove(pos);
                        // The waiter may have timed out and left: nothing to wake.
                        let _ = tx.send(());
                    }
                }
            };
            loop {
                if pipe.readable().await.is_err() {
                    break;
                }
                // Everything the pipe holds is read and handed on under the
                // lock, so `sync_output` can tell "read but not yet logged".
                let _reading = lock(&reading);
                let mut ended = false;
                loop {
                    match pipe.try_read(&mut chunk) {
                        Ok(0) => {
                            ended = true;
                            break;
                        }
                        Ok(n) => lines.push(&chunk[..n], &mut hand_on),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => {
                            ended = true;
                            break;
                        }
                    }
                }
                if ended {
                    lines.finish(&mut hand_on);
                    break;
                }
            }
            closed.send_replace(true);
        });

        // The runtime API of this instance.
        let (stop_tx, stop_rx) = watch::channel(false);
        // Stopped when the process has ended: a `/next` still waiting is
        // dropped with its connection, even one a leftover process of the
        // runtime (started in a session of its own) still holds open.
        tokio::spawn(api::serve(listener, inst.clone(), stop_rx));

        // The reaper of the process: records its end and fails what it held.
        let watcher = inst.clone();
        tokio::spawn(async move {
            let status = child.wait().await;
            let text = match status {
                Ok(s) => s.to_string(),
                Err(e) => format!("unknown status ({e})"),
            };
            // Kill anything the bootstrap left behind in its process group.
            kill_group(pid);
            *lock(&watcher.exit_status) = Some(text);
            // Our marker handle must not keep the pipe open past the child.
            lock(&watcher.marker).take();
            // Dead first, then the reply slot emptied (see `expect_reply`):
            // dropping the reply sender tells a waiting invoker the instance
            // is gone.
            watcher.dead.send_replace(true);
            lock(&watcher.inflight).take();
            // The Runtime API server may have stopped already: nothing to stop.
            let _ = stop_tx.send(true);
        });
        Ok(inst)
    }

    /// Waits until everything the process wrote so far has reached the log
    /// sink (a marker written behind it comes back through the pipe); for a
    /// dead process, until its output is closed.
    pub async fn sync_output(&self) {
        if self.is_dead() {
            let mut closed = self.output_closed.subscribe();
            // Best effort by design: past the limit (or with the reader gone)
            // the log simply has what arrived.
            let _ = tokio::time::timeout(OUTPUT_SYNC_LIMIT, closed.wait_for(|c| *c)).await;
            return;
        }
        if self.pending_output() == 0 {
            // Nothing unread in the pipe: once the reader is not in the
            // middle of handing on what it read, the log has everything.
            drop(lock(&self.reading));
            return;
        }
        let n = self.flush_seq.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        lock(&self.flush_waiters).push((n, tx));
        let written = {
            use std::io::Write;
            let mut m = lock(&self.marker);
            match m.as_mut() {
                Some(f) => f
                    .write_all(format!("{MARKER}{n}\u{1}\n").as_bytes())
                    .is_ok(),
                None => false,
            }
        };
        if written {
            // Best effort by design: past the limit (or with the reader gone)
            // the log simply has what arrived.
            let _ = tokio::time::timeout(OUTPUT_SYNC_LIMIT, rx).await;
        } else {
            lock(&self.flush_waiters).retain(|(id, _)| *id != n);
        }
    }

    /// Whether the process has ended.
    pub fn is_dead(&self) -> bool {
        *self.dead.borrow()
    }

    /// Waits until the process has ended.
    pub async fn wait_dead(&self) {
        let mut rx = self.dead.subscribe();
        // An error means the sender (the instance) is gone: dead as well.
        let _ = rx.wait_for(|d| *d).await;
    }

    /// Waits until the runtime asks for its first event, or the process ends.
    pub async fn wait_ready(&self) {
        let mut ready = self.ready.subscribe();
        let mut dead = self.dead.subscribe();
        // Either sender gone means the instance is gone: nothing to wait for.
        tokio::select! {
            _ = ready.wait_for(|r| *r) => {}
            _ = dead.wait_for(|d| *d) => {}
        }
    }

    /// Whether the runtime has asked for its first event.
    pub fn is_initialized(&self) -> bool {
        *self.ready.borrow()
    }

    /// Stops the process (SIGKILL to its process group).
    pub fn kill(&self) {
        if !self.killing.swap(true, Ordering::AcqRel) {
            kill_group(self.pid);
        }
    }

    /// Whether [`Instance::kill`] was called.
    pub fn was_killed(&self) -> bool {
        self.killing.load(Ordering::Acquire)
    }

    /// A place for one job, when the instance can take one (it is alive and
    /// holds no job yet): what is done between taking the place and sending
    /// the job happens before the runtime can see the job.
    pub fn reserve(&self) -> Option<mpsc::Permit<'_, Job>> {
        self.jobs.try_reserve().ok()
    }

    /// Whether the runtime has taken the job it was sent (the job slot is
    /// free again): after the instance died, whether the invocation reached
    /// it.
    pub fn took_job(&self) -> bool {
        self.jobs.capacity() == self.jobs.max_capacity()
    }

    /// Where the runtime's answer to `request_id` goes (its `/response` or
    /// `/error`), set before the job is sent. The sender is dropped if the
    /// instance dies, which is how a waiting invoker learns of it; `false`
    /// (and nothing kept) when the instance is dead already.
    pub fn expect_reply(&self, request_id: Arc<str>, reply: oneshot::Sender<Reply>) -> bool {
        let mut slot = lock(&self.inflight);
        // The reaper marks the instance dead before it empties this slot,
        // so a reply set after that sees it dead here.
        if self.is_dead() {
            return false;
        }
        *slot = Some((request_id, reply));
        true
    }

    /// Bytes written to the output pipe and not read yet.
    fn pending_output(&self) -> usize {
        use std::os::fd::AsRawFd;
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD writes one c_int; the fd is owned by self and open.
        let rc = unsafe { libc::ioctl(self.pending_probe.as_raw_fd(), libc::FIONREAD, &mut n) };
        if rc == 0 { n.max(0) as usize } else { 1 }
    }

    /// The peak resident memory of the process in MB (`VmHWM`), if readable.
    /// Read once synchronously; after that the last reading is answered and
    /// a stale one (older than a second) is refreshed in the background, so a
    /// warm invocation never waits for `/proc`.
    pub fn max_memory_mb(&self) -> Option<u64> {
        self.memory.peak()
    }

    /// Answers one Runtime API request (its body read already: `body`).
    async fn handle(
        &self,
        method: &Method,
        path: &str,
        body: Result<Bytes, BodyError>,
        out: &mut Vec<u8>,
    ) -> Bytes {
        let Some(rest) = path.strip_prefix("/2018-06-01/runtime/") else {
            return not_found(out, path);
        };
        // `invocation/next`, `invocation/{id}/response|error`, `init/error`.
        let result = rest
            .strip_prefix("invocation/")
            .and_then(|r| r.split_once('/'))
            .filter(|(id, kind)| !id.is_empty() && matches!(*kind, "response" | "error"));
        match (method, rest, result) {
            (&Method::GET, "invocation/next", _) => self.next(out).await,
            (&Method::POST, _, Some((id, kind))) => self.post_result(body, id, kind, out),
            (&Method::POST, "init/error", _) => {
                let body = match body {
                    Ok(b) => b,
                    Err(_) => Bytes::from_static(b"{\"errorType\":\"Runtime.Unknown\",\"errorMessage\":\"init error body too large or unreadable\"}"),
                };
                *lock(&self.init_error) = Some(body);
                // Lambda stops an environment whose init failed.
                self.kill();
                api::answer(out, StatusCode::ACCEPTED, "application/json", OK)
            }
            _ => not_found(out, path),
        }
    }

    async fn next(&self, out: &mut Vec<u8>) -> Bytes {
        // The first `/next` records how long init took, then says ready.
        self.ready.send_if_modified(|ready| {
            if *ready {
                return false;
            }
            *lock(&self.init_duration) = Some(lock(&self.started).elapsed());
            *ready = true;
            true
        });
        // No watch for the process's end here: its connection closes when it
        // ends, or the server stops (see `api::serve`), and this wait is
        // dropped with the connection.
        let job = self.jobs_rx.lock().await.recv().await;
        let Some(job) = job else {
            return api::json(
                out,
                StatusCode::GONE,
                &json!({"errorType": "InstanceStopped", "errorMessage": "the instance is stopping"}),
            );
        };
        let Job {
            request_id,
            payload,
            deadline_ms,
            trace_id,
            invoked_arn,
            client_context,
            cognito_identity,
            delivered,
        } = job;
        // The invoker may have given up (timed out) meanwhile: it reads nothing.
        if let Some(delivered) = delivered {
            let _ = delivered.send(());
        }
        let mut head = api::AnswerHead::new(out, StatusCode::OK);
        head.header("content-type", b"application/json");
        // Not a header value (never so for the IDs invocations make): left
        // out rather than sent broken.
        if api::is_header_value(&request_id) {
            head.header(REQUEST_ID, request_id.as_bytes());
        }
        head.header(
            DEADLINE_MS,
            itoa::Buffer::new().format(deadline_ms).as_bytes(),
        )
        .header(INVOKED_ARN, invoked_arn.as_bytes())
        .header(TRACE_ID, trace_id.as_bytes());
        for (name, value) in [
            (CLIENT_CONTEXT, &client_context),
            (COGNITO_IDENTITY, &cognito_identity),
        ] {
            if let Some(v) = value.as_deref().filter(|v| api::is_header_value(v)) {
                head.header(name, v.as_bytes());
            }
        }
        payload
    }

    fn post_result(
        &self,
        result: Result<Bytes, BodyError>,
        id: &str,
        kind: &str,
        out: &mut Vec<u8>,
    ) -> Bytes {
        let known = matches!(&*lock(&self.inflight), Some((current, _)) if **current == *id);
        if !known {
            return api::json(
                out,
                StatusCode::BAD_REQUEST,
                &json!({"errorType": "InvalidRequestID", "errorMessage": format!("Invalid request ID: {id} is not the invocation in progress")}),
            );
        }
        let (reply, status) = match (result, kind) {
            (Ok(b), "response") => (Reply::Response(b), StatusCode::ACCEPTED),
            (Ok(b), _) => (Reply::Error(b), StatusCode::ACCEPTED),
            (Err(BodyError::TooLarge), _) => {
                (Reply::TooLarge(MAX_PAYLOAD), StatusCode::PAYLOAD_TOO_LARGE)
            }
            (Err(BodyError::Broken | BodyError::TimedOut), _) => {
                return api::json(
                    out,
                    StatusCode::BAD_REQUEST,
                    &json!({"errorType": "InvalidRequest", "errorMessage": "the body could not be read"}),
                );
            }
        };
        let taken = {
            let mut slot = lock(&self.inflight);
            match &*slot {
                Some((current, _)) if **current == *id => slot.take(),
                _ => None,
            }
        };
        if let Some((_, tx)) = taken {
            // An invoker that timed out has stopped waiting for this reply.
            let _ = tx.send(reply);
        }
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            api::json(
                out,
                status,
                &json!({"errorType": "RequestEntityTooLarge", "errorMessage": format!("Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).")}),
            )
        } else {
            api::answer(out, status, "application/json", OK)
        }
    }
}

const REQUEST_ID: &str = "lambda-runtime-aws-request-id";
const DEADLINE_MS: &str = "lambda-runtime-deadline-ms";
const INVOKED_ARN: &str = "lambda-runtime-invoked-function-arn";
const TRACE_ID: &str = "lambda-runtime-trace-id";
const CLIENT_CONTEXT: &str = "lambda-runtime-client-context";
const COGNITO_IDENTITY: &str = "lambda-runtime-cognito-identity";

/// The body of the Runtime API's `202`s.
const OK: Bytes = Bytes::from_static(b"{\"status\":\"OK\"}");

fn not_found(out: &mut Vec<u8>, path: &str) -> Bytes {
    api::json(
        out,
        StatusCode::NOT_FOUND,
        &json!({"errorType": "UnknownPath", "errorMessage": format!("no such runtime API route: {path}")}),
    )
}

/// Locks a std mutex, ignoring poisoning (the data stays consistent: every
/// critical section here is a plain assignment).
pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn kill_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid)
        && pid > 0
    {
        // SAFETY: kill(2) with a negative pid signals the process group we created.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn epoch_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::{SinkSlot, discard};
    use std::path::{Path, PathBuf};

    /// Starts `python3 -c script args…` (unconfined) in `dir`.
    pub(super) async fn python(dir: &Path, script: &str, args: &[&str]) -> Arc<Instance> {
        let mut all = vec!["-c".into(), script.into()];
        all.extend(args.iter().map(Into::into));
        let launch = Launch {
            program: PathBuf::from("python3"),
            args: all,
            cwd: dir.to_path_buf(),
            env: std::env::vars()
                .filter(|(k, _)| k == "PATH" || k == "HOME")
                .collect(),
            confined: None,
        };
        let log = FunctionLog::new(SinkSlot::new(discard()), "f", "$LATEST");
        Instance::spawn(&launch, log).await.unwrap()
    }

    /// Hands `inst` the event `{}` as invocation `id`; answers where its
    /// reply comes.
    pub(super) fn send_event(inst: &Instance, id: &str) -> oneshot::Receiver<Reply> {
        let id: Arc<str> = id.into();
        let (tx, rx) = oneshot::channel();
        assert!(inst.expect_reply(id.clone(), tx));
        inst.reserve().expect("a free job slot").send(Job {
            request_id: id,
            payload: Bytes::from_static(b"{}"),
            deadline_ms: 0,
            trace_id: HeaderValue::from_static("t"),
            invoked_arn: HeaderValue::from_static("a"),
            client_context: None,
            cognito_identity: None,
            delivered: None,
        });
        rx
    }

    /// Starts `python3 -c script args…`, waits until it asks for an event,
    /// kills it and answers whether the instance was then released (the
    /// server's tasks dropped their handles) within ten seconds.
    async fn released_after_kill(script: &str, args: &[&str]) -> bool {
        let dir = tempfile::tempdir().unwrap();
        let inst = python(dir.path(), script, args).await;
        inst.wait_ready().await;
        assert!(
            inst.is_initialized(),
            "the runtime never asked for an event"
        );
        inst.kill();
        inst.wait_dead().await;
        let released = async {
            while Arc::strong_count(&inst) > 1 {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(Duration::from_secs(10), released)
            .await
            .is_ok()
    }

    /// A runtime that dies while its `GET /next` waits for a job leaves
    /// nothing behind: its connection closes, the wait is dropped with it,
    /// and so is the last handle on the instance.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_runtime_that_dies_waiting_for_a_job_is_released() {
        let script = "import os, urllib.request\n\
            api = os.environ['AWS_LAMBDA_RUNTIME_API']\n\
            urllib.request.urlopen(f'http://{api}/2018-06-01/runtime/invocation/next')\n";
        assert!(
            released_after_kill(script, &[]).await,
            "the instance is still held after its process ended"
        );
    }

    /// The same when a process the runtime left behind, in a session of
    /// its own (out of reach of the kill), still holds the connection open:
    /// the stopped Runtime API drops the wait instead of finishing it.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_wait_held_open_by_a_leftover_process_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let pid_file = dir.path().join("leftover.pid");
        // The leftover holds the connection before the event is asked for.
        let script = "import http.client, os, sys, time\n\
            host, port = os.environ['AWS_LAMBDA_RUNTIME_API'].rsplit(':', 1)\n\
            c = http.client.HTTPConnection(host, int(port))\n\
            c.connect()\n\
            if os.fork() == 0:\n\
            \x20   os.setsid()\n\
            \x20   open(sys.argv[1] + '.tmp', 'w').write(str(os.getpid()))\n\
            \x20   os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n\
            \x20   time.sleep(60)\n\
            \x20   os._exit(0)\n\
            while not os.path.exists(sys.argv[1]):\n\
            \x20   time.sleep(0.01)\n\
            c.putrequest('GET', '/2018-06-01/runtime/invocation/next')\n\
            c.endheaders()\n\
            c.getresponse()\n";
        let released = released_after_kill(script, &[pid_file.to_str().unwrap()]).await;
        // The leftover is ours to end (its pid was written before the
        // runtime asked for an event).
        let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
        // SAFETY: kill(2) of a process this test's runtime started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        assert!(
            released,
            "the instance is still held by the leftover's connection"
        );
    }
}
