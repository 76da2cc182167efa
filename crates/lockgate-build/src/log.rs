//! Build logs: streamed live to a caller's sink and kept in a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::error::{BuildError, io_err};

/// Where a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// Output of a command the build ran (stdout and stderr, interleaved as written).
    Output,
    /// A line Lockgate wrote about the build (`Running command …`, phase changes).
    System,
}

/// One line of a build log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogLine {
    /// The build: a function's or layer's logical ID, or a buildspec build ID.
    pub source: String,
    /// The phase or step, when there is one (`BUILD`, `pip install`).
    pub phase: Option<String>,
    /// Output or system line.
    pub stream: Stream,
    /// The text, without its line ending.
    pub text: String,
}

/// A live log sink: called for every line as it is written, from any thread.
pub type LogSink = Arc<dyn Fn(&LogLine) + Send + Sync>;

/// A build's log: every line goes to the file and to the sink.
pub struct Log {
    source: String,
    path: PathBuf,
    file: Mutex<std::io::BufWriter<std::fs::File>>,
    sink: Option<LogSink>,
    started: Instant,
    /// Strings never written as they are (secret values), replaced by `***`.
    masks: Vec<String>,
    tail: Mutex<std::collections::VecDeque<String>>,
}

/// How many lines [`Log::tail`] keeps.
const TAIL: usize = 20;

impl Log {
    /// A log kept at `path` (created, parents too).
    pub fn create(path: &Path, source: &str, sink: Option<LogSink>) -> Result<Log, BuildError> {
        if let Some(parent) = path.parent() {
            crate::fsutil::create_dir(parent)?;
        }
        let file = std::fs::File::create(path).map_err(|e| io_err(path, e))?;
        Ok(Log {
            source: source.to_string(),
            path: path.to_path_buf(),
            file: Mutex::new(std::io::BufWriter::new(file)),
            sink,
            started: Instant::now(),
            masks: Vec::new(),
            tail: Mutex::new(Default::default()),
        })
    }

    /// Masks these values wherever they appear in later lines.
    pub fn mask(&mut self, values: impl IntoIterator<Item = String>) {
        self.masks
            .extend(values.into_iter().filter(|v| !v.is_empty()));
        // Longest first, so a value containing another is masked whole.
        self.masks.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// The kept log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line.
    pub fn line(&self, phase: Option<&str>, stream: Stream, text: &str) {
        let mut text = text.to_string();
        for m in &self.masks {
            if text.contains(m.as_str()) {
                text = text.replace(m.as_str(), "***");
            }
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        if let Ok(mut f) = self.file.lock() {
            let marker = match stream {
                Stream::Output => ' ',
                Stream::System => '>',
            };
            // A log line that cannot be written is not worth failing the
            // build over; the sink still gets it.
            let _ = writeln!(f, "[{elapsed:8.3}]{marker} {text}");
        }
        if let Ok(mut t) = self.tail.lock() {
            if t.len() == TAIL {
                t.pop_front();
            }
            t.push_back(text.clone());
        }
        if let Some(sink) = &self.sink {
            sink(&LogLine {
                source: self.source.clone(),
                phase: phase.map(str::to_string),
                stream,
                text,
            });
        }
    }

    /// A system line.
    pub fn system(&self, phase: Option<&str>, text: &str) {
        self.line(phase, Stream::System, text);
    }

    /// The last lines written.
    pub fn tail(&self) -> Vec<String> {
        self.tail
            .lock()
            .map(|t| t.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Flushes the file.
    pub fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            // Nothing to do about a failed flush of a log; the build's result stands.
            let _ = f.flush();
        }
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        self.flush();
    }
}
