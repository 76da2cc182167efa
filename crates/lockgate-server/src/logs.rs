//! Function log lines of every stage, kept in memory for `lockgate logs`.
//!
//! Each stage keeps its most recent lines with an increasing cursor; a
//! follower reads what is after its cursor and waits for more. A stage's
//! runtime holds its [`StageLog`] directly, so writing a line (every
//! invocation writes at least three) takes one uncontended lock and no
//! lookup.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// How many lines a stage keeps.
const KEEP: usize = 10_000;

/// One log line.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LogLine {
    /// Its position in the stage's log (increasing, from 1).
    pub cursor: u64,
    /// The function it came from (physical name), when known.
    pub function: String,
    /// Milliseconds since the epoch.
    pub time: i64,
    /// The text, without the newline.
    pub line: String,
}

#[derive(Default)]
struct Lines {
    next: u64,
    lines: VecDeque<LogLine>,
}

/// The log of one stage.
pub struct StageLog {
    key: Arc<str>,
    lines: Mutex<Lines>,
    tx: broadcast::Sender<(Arc<str>, LogLine)>,
}

impl StageLog {
    /// Appends a line of `function`.
    pub fn push(&self, function: &str, line: &str) {
        let entry = {
            let Ok(mut log) = self.lines.lock() else {
                return;
            };
            log.next += 1;
            let entry = LogLine {
                cursor: log.next,
                function: function.to_string(),
                time: chrono::Utc::now().timestamp_millis(),
                line: line.to_string(),
            };
            log.lines.push_back(entry.clone());
            if log.lines.len() > KEEP {
                log.lines.pop_front();
            }
            entry
        };
        // Nobody following is the usual case: then nothing is sent.
        if self.tx.receiver_count() > 0 {
            // A follower that left between the count and the send misses nothing it wanted.
            let _ = self.tx.send((self.key.clone(), entry));
        }
    }

    fn read(&self, function: &str, cursor: u64) -> Vec<LogLine> {
        let Ok(log) = self.lines.lock() else {
            return Vec::new();
        };
        log.lines
            .iter()
            .filter(|x| x.cursor > cursor && matches(function, &x.function))
            .cloned()
            .collect()
    }
}

/// The logs of every stage.
pub struct LogHub {
    stages: Mutex<HashMap<String, Arc<StageLog>>>,
    tx: broadcast::Sender<(Arc<str>, LogLine)>,
}

impl Default for LogHub {
    fn default() -> Self {
        LogHub {
            stages: Mutex::new(HashMap::new()),
            tx: broadcast::channel(4096).0,
        }
    }
}

impl LogHub {
    /// The log of `stage` (`app/stage`), created on first use.
    pub fn stage(&self, stage: &str) -> Arc<StageLog> {
        let mut stages = self.stages.lock().unwrap_or_else(|e| e.into_inner());
        stages
            .entry(stage.to_string())
            .or_insert_with(|| {
                Arc::new(StageLog {
                    key: Arc::from(stage),
                    lines: Mutex::new(Lines::default()),
                    tx: self.tx.clone(),
                })
            })
            .clone()
    }

    /// Appends a line of `function` to `stage`'s log.
    pub fn push(&self, stage: &str, function: &str, line: &str) {
        self.stage(stage).push(function, line);
    }

    /// The lines of `stage` after `cursor` for `function` (all functions if empty).
    pub fn read(&self, stage: &str, function: &str, cursor: u64) -> Vec<LogLine> {
        let log = self
            .stages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(stage)
            .cloned();
        log.map(|l| l.read(function, cursor)).unwrap_or_default()
    }

    /// New lines of every stage as they come, with the stage they belong to.
    pub fn subscribe(&self) -> broadcast::Receiver<(Arc<str>, LogLine)> {
        self.tx.subscribe()
    }
}

/// Whether a line of `function` (physical name) is asked for by `wanted`
/// (empty for all, the physical name, or the logical ID it ends with).
pub fn matches(wanted: &str, function: &str) -> bool {
    wanted.is_empty()
        || wanted == function
        || function
            .strip_suffix(wanted)
            .is_some_and(|head| head.ends_with('-'))
}
