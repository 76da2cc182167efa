//! The peak memory of an instance's processes, for `REPORT`'s "Max Memory
//! Used".

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::lock;

/// The peak memory of an instance's processes, read from `/proc` off the
/// invocation path.
#[derive(Debug)]
pub(super) struct Memory {
    pid: u32,
    last: Mutex<Option<(Instant, u64)>>,
    refreshing: AtomicBool,
}

/// How old a memory reading may be before it is read again.
const MEMORY_FRESH: Duration = Duration::from_secs(1);

impl Memory {
    pub(super) fn new(pid: u32) -> Memory {
        Memory {
            pid,
            last: Mutex::new(None),
            refreshing: AtomicBool::new(false),
        }
    }

    pub(super) fn peak(self: &Arc<Self>) -> Option<u64> {
        let last = *lock(&self.last);
        let Some((at, mb)) = last else {
            return self.read();
        };
        if at.elapsed() >= MEMORY_FRESH
            && !self.refreshing.swap(true, Ordering::AcqRel)
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            let me = self.clone();
            rt.spawn_blocking(move || {
                me.read();
                me.refreshing.store(false, Ordering::Release);
            });
        }
        Some(mb)
    }

    /// Reads the largest peak of the instance's processes (the runtime, not
    /// the sandbox that started it) and keeps it.
    fn read(&self) -> Option<u64> {
        let peak = |pid: u32| -> Option<u64> {
            let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        };
        let kb = crate::peer::process_tree(self.pid)
            .into_iter()
            .filter_map(peak)
            .max()?;
        let mb = kb.div_ceil(1024);
        *lock(&self.last) = Some((Instant::now(), mb));
        Some(mb)
    }
}
