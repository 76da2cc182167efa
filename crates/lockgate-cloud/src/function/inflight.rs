//! One invocation while it runs, and what happens to it when its caller
//! stops waiting.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::oneshot;

use super::{Function, InvokeRequest};
use crate::instance::{Instance, Reply};
use crate::slots::Slot;

/// A function's concurrency slot: its own, and the account pool's.
pub(super) type Permits = (Slot, Option<Slot>);

/// One invocation while it runs. If its caller stops waiting (a client
/// that disconnects mid-request drops the request's future), the
/// invocation still runs to its end, as on Lambda: a task takes over the
/// wait, logs END and REPORT, returns the instance to the warm pool and
/// holds the concurrency slot until then — no instance is stranded outside
/// the pool and no slot is given back while its instance is busy.
pub(super) struct InFlight<'f> {
    /// Borrowed, not counted: a count taken by every invocation would be a
    /// write every thread running the function shares. The task that takes
    /// over an abandoned invocation counts it (`Function::me`).
    pub(super) function: &'f Function,
    pub(super) request_id: Arc<str>,
    pub(super) permits: Option<Permits>,
    /// The instance running it and the runtime's answer to come, while
    /// the caller waits for it.
    pub(super) running: Option<Running>,
}

pub(super) struct Running {
    pub(super) inst: Arc<Instance>,
    pub(super) reply: oneshot::Receiver<Reply>,
    /// When an abandoned invocation is given up (the instance stopped).
    pub(super) deadline: Instant,
    pub(super) started: Instant,
}

/// How the wait for a runtime's answer ended.
pub(super) enum Wait {
    /// The reply channel gave an answer, or closed: the instance ended
    /// (its reaper drops the sender).
    Answered(Result<Reply, oneshot::error::RecvError>),
    /// The function's timeout passed.
    TimedOut,
}

impl InFlight<'_> {
    /// Waits for the runtime's answer (or the instance's end, which closes
    /// the reply channel) or `timer`; the invocation is no longer running
    /// after it (whatever the outcome).
    pub(super) async fn wait(&mut self, timer: impl Future<Output = ()>) -> Wait {
        let answer = async {
            match self.running.as_mut() {
                Some(r) => (&mut r.reply).await,
                None => std::future::pending().await,
            }
        };
        let wait = tokio::select! {
            biased;
            r = answer => Wait::Answered(r),
            _ = timer => Wait::TimedOut,
        };
        self.running = None;
        wait
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let Some(running) = self.running.take() else {
            return;
        };
        let (Some(function), Ok(rt)) = (
            self.function.me.upgrade(),
            tokio::runtime::Handle::try_current(),
        ) else {
            running.inst.kill();
            return;
        };
        let request_id = self.request_id.clone();
        let permits = self.permits.take();
        rt.spawn(async move {
            let Running {
                inst,
                reply,
                deadline,
                started,
            } = running;
            let deadline = tokio::time::Instant::from_std(deadline);
            // The reply channel closes if the instance dies.
            let answered = tokio::select! {
                r = reply => r.is_ok(),
                _ = tokio::time::sleep_until(deadline) => {
                    inst.kill();
                    false
                }
            };
            if answered {
                inst.sync_output().await;
                function.finish(
                    &inst,
                    &request_id,
                    Some(started),
                    Bytes::new(),
                    false,
                    false,
                    &InvokeRequest::default(),
                );
                function.give_back(inst);
            }
            drop(permits);
        });
    }
}
