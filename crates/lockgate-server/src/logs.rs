//! Function log lines of every stage, kept in memory for `lockgate logs`.
//!
//! Each stage keeps its most recent lines with an increasing cursor; a
//! follower reads what is after its cursor and waits for more.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

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
struct StageLog {
    next: u64,
    lines: VecDeque<LogLine>,
}

/// The logs of every stage.
pub struct LogHub {
    stages: Mutex<HashMap<String, StageLog>>,
    tx: broadcast::Sender<(String, LogLine)>,
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
    /// Appends a line of `function` to `stage`'s log.
    pub fn push(&self, stage: &str, function: &str, line: &str) {
        let Ok(mut stages) = self.stages.lock() else {
            return;
        };
        let log = stages.entry(stage.to_string()).or_default();
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
        drop(stages);
        let _ = self.tx.send((stage.to_string(), entry));
    }

    /// The lines of `stage` after `cursor` for `function` (all functions if empty).
    pub fn read(&self, stage: &str, function: &str, cursor: u64) -> Vec<LogLine> {
        let Ok(stages) = self.stages.lock() else {
            return Vec::new();
        };
        stages
            .get(stage)
            .map(|l| {
                l.lines
                    .iter()
                    .filter(|x| x.cursor > cursor && matches(function, &x.function))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// New lines of every stage as they come.
    pub fn subscribe(&self) -> broadcast::Receiver<(String, LogLine)> {
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
