//! Function logs: where output lines go, the recent-output buffer behind
//! `X-Amz-Log-Result`, and Lambda's START / END / REPORT lines.

use std::sync::{Arc, RwLock};
use std::time::Duration;

/// One log line and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLine<'a> {
    /// The function's name (`FunctionConfig::name`); empty for lines of the
    /// gateway itself that concern no function.
    pub function: &'a str,
    /// The function version (`$LATEST`, `3`); empty when `function` is.
    pub version: &'a str,
    /// The text, without a trailing newline.
    pub line: &'a str,
}

impl std::fmt::Display for LogLine<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.line)
    }
}

/// Receives every log line of every instance (function output and the
/// START / END / REPORT lines) and the gateway's own notes, each tagged with
/// the function and version it belongs to.
pub type LogSink = Arc<dyn Fn(&LogLine<'_>) + Send + Sync>;

/// A sink that drops everything.
pub fn discard() -> LogSink {
    Arc::new(|_| {})
}

/// A sink that can be replaced while instances write to it (a function
/// reused by a new [`crate::Cloud`] logs to that cloud's sink from then on).
#[derive(Clone)]
pub struct SinkSlot {
    sink: Arc<RwLock<LogSink>>,
}

impl std::fmt::Debug for SinkSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SinkSlot")
    }
}

impl SinkSlot {
    /// A slot holding `sink`.
    pub fn new(sink: LogSink) -> SinkSlot {
        SinkSlot {
            sink: Arc::new(RwLock::new(sink)),
        }
    }

    /// Replaces the sink.
    pub fn set(&self, sink: LogSink) {
        *self.sink.write().unwrap_or_else(|e| e.into_inner()) = sink;
    }

    /// Writes one line of `function`/`version`.
    pub fn write(&self, function: &str, version: &str, line: &str) {
        let sink = self.sink.read().unwrap_or_else(|e| e.into_inner()).clone();
        sink(&LogLine {
            function,
            version,
            line,
        });
    }
}

/// The log of one function version: its slot and its tags.
#[derive(Debug, Clone)]
pub struct FunctionLog {
    slot: SinkSlot,
    function: Arc<str>,
    version: Arc<str>,
}

impl FunctionLog {
    /// The log of `function`/`version`, written to `slot`.
    pub fn new(slot: SinkSlot, function: &str, version: &str) -> FunctionLog {
        FunctionLog {
            slot,
            function: function.into(),
            version: version.into(),
        }
    }

    /// Writes one line.
    pub fn write(&self, line: &str) {
        self.slot.write(&self.function, &self.version, line);
    }

    /// The slot (to replace the sink).
    pub fn slot(&self) -> &SinkSlot {
        &self.slot
    }
}

/// How many bytes of recent output an instance keeps.
const TAIL_KEEP: usize = 8 * 1024;
/// How many bytes `X-Amz-Log-Result` carries, like Lambda.
pub const TAIL_RESULT: usize = 4 * 1024;

/// The recent output of one instance.
#[derive(Debug, Default)]
pub struct TailBuffer {
    buf: Vec<u8>,
}

impl TailBuffer {
    /// Forgets everything (at the start of an invocation).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends one line.
    pub fn push_line(&mut self, line: &str) {
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        if self.buf.len() > 2 * TAIL_KEEP {
            let cut = self.buf.len() - TAIL_KEEP;
            self.buf.drain(..cut);
        }
    }

    /// The last `n` bytes.
    pub fn last(&self, n: usize) -> Vec<u8> {
        let start = self.buf.len().saturating_sub(n);
        self.buf[start..].to_vec()
    }
}

/// Lambda's `START` line.
pub fn start_line(request_id: &str, version: &str) -> String {
    format!("START RequestId: {request_id} Version: {version}")
}

/// Lambda's `END` line.
pub fn end_line(request_id: &str) -> String {
    format!("END RequestId: {request_id}")
}

/// The figures of a `REPORT` line.
#[derive(Debug, Clone, Copy)]
pub struct Report {
    /// How long the invocation took.
    pub duration: Duration,
    /// The configured memory.
    pub memory_mb: u32,
    /// The peak memory of the instance, if known.
    pub max_memory_mb: Option<u64>,
    /// The init duration on a cold start.
    pub init: Option<Duration>,
}

/// Lambda's `REPORT` line (tab-separated fields, billed duration rounded up to 1 ms).
pub fn report_line(request_id: &str, r: &Report) -> String {
    use std::fmt::Write;
    let billed = r.duration.as_nanos().div_ceil(1_000_000).max(1);
    let mut line = String::with_capacity(160);
    // Writing to a String cannot fail.
    let _ = write!(
        line,
        "REPORT RequestId: {request_id}\tDuration: {} ms\tBilled Duration: {billed} ms\tMemory Size: {} MB\tMax Memory Used: {} MB",
        Millis(r.duration),
        r.memory_mb,
        r.max_memory_mb.unwrap_or(0)
    );
    if let Some(init) = r.init {
        let _ = write!(line, "\tInit Duration: {} ms", Millis(init));
    }
    line
}

/// A duration in milliseconds with two decimals (`3.22`), written with
/// integers (rounded to the nearest hundredth, as `{:.2}` would).
struct Millis(Duration);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hundredths = (self.0.as_nanos() + 5_000) / 10_000;
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_has_lambda_fields() {
        let r = Report {
            duration: Duration::from_micros(3_221),
            memory_mb: 128,
            max_memory_mb: Some(73),
            init: Some(Duration::from_micros(201_850)),
        };
        assert_eq!(
            report_line("abc", &r),
            "REPORT RequestId: abc\tDuration: 3.22 ms\tBilled Duration: 4 ms\tMemory Size: 128 MB\tMax Memory Used: 73 MB\tInit Duration: 201.85 ms"
        );
        assert_eq!(
            start_line("abc", "$LATEST"),
            "START RequestId: abc Version: $LATEST"
        );
        assert_eq!(end_line("abc"), "END RequestId: abc");
        // Billed durations round up to the millisecond, at least 1.
        for (micros, billed, shown) in [
            (0, 1, "0.00"),
            (2_000, 2, "2.00"),
            (2_001, 3, "2.00"),
            (2_005, 3, "2.01"),
            (999_994, 1000, "999.99"),
            (999_995, 1000, "1000.00"),
        ] {
            let r = Report {
                duration: Duration::from_micros(micros),
                init: None,
                ..r
            };
            let line = report_line("abc", &r);
            assert!(
                line.contains(&format!("\tBilled Duration: {billed} ms")),
                "{line}"
            );
            assert!(line.contains(&format!("\tDuration: {shown} ms")), "{line}");
        }
    }

    #[test]
    fn tail_keeps_the_end() {
        let mut t = TailBuffer::default();
        for i in 0..10_000 {
            t.push_line(&format!("line {i}"));
        }
        let last = t.last(TAIL_RESULT);
        assert_eq!(last.len(), TAIL_RESULT);
        assert!(String::from_utf8_lossy(&last).ends_with("line 9999\n"));
    }
}
