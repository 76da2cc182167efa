//! Function logs: where output lines go, the recent-output buffer behind
//! `X-Amz-Log-Result`, and Lambda's START / END / REPORT lines.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;

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
///
/// Read without a lock or a reference count: every line of every
/// invocation reads it, from whichever thread runs the invocation, and a
/// lock or a count would be a write to memory all those threads share.
#[derive(Clone)]
pub struct SinkSlot {
    sink: Arc<ArcSwap<LogSink>>,
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
            sink: Arc::new(ArcSwap::from_pointee(sink)),
        }
    }

    /// Replaces the sink.
    pub fn set(&self, sink: LogSink) {
        self.sink.store(Arc::new(sink));
    }

    /// Writes one line of `function`/`version`.
    pub fn write(&self, function: &str, version: &str, line: &str) {
        let sink = self.sink.load();
        (**sink)(&LogLine {
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

    /// The version it is the log of.
    pub fn version(&self) -> &Arc<str> {
        &self.version
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
    buf: String,
}

impl TailBuffer {
    /// Forgets everything (at the start of an invocation).
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// Appends one line.
    pub fn push_line(&mut self, line: &str) {
        self.push_with(|out| out.push_str(line));
    }

    /// Appends the line `write` writes (without its newline) and returns
    /// it: Lambda's own lines are written in place, not built apart and
    /// copied.
    pub fn push_with(&mut self, write: impl FnOnce(&mut String)) -> &str {
        let mut start = self.buf.len();
        write(&mut self.buf);
        let len = self.buf.len() - start;
        self.buf.push('\n');
        if self.buf.len() > 2 * TAIL_KEEP {
            // Never cut into the line just written, nor into a character.
            let mut cut = (self.buf.len() - TAIL_KEEP).min(start);
            while !self.buf.is_char_boundary(cut) {
                cut += 1;
            }
            self.buf.drain(..cut);
            start -= cut;
        }
        &self.buf[start..start + len]
    }

    /// The last `n` bytes.
    pub fn last(&self, n: usize) -> Vec<u8> {
        let start = self.buf.len().saturating_sub(n);
        self.buf.as_bytes()[start..].to_vec()
    }
}

/// Writes Lambda's `START` line.
pub fn write_start(out: &mut String, request_id: &str, version: &str) {
    out.push_str("START RequestId: ");
    out.push_str(request_id);
    out.push_str(" Version: ");
    out.push_str(version);
}

/// Writes Lambda's `END` line.
pub fn write_end(out: &mut String, request_id: &str) {
    out.push_str("END RequestId: ");
    out.push_str(request_id);
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

/// Writes Lambda's `REPORT` line (tab-separated fields, billed duration
/// rounded up to 1 ms; one per invocation, so no formatting machinery).
pub fn write_report(out: &mut String, request_id: &str, r: &Report) {
    let billed = nanos(r.duration).div_ceil(1_000_000).max(1);
    out.push_str("REPORT RequestId: ");
    out.push_str(request_id);
    out.push_str("\tDuration: ");
    push_millis(out, r.duration);
    out.push_str(" ms\tBilled Duration: ");
    push_num(out, billed);
    out.push_str(" ms\tMemory Size: ");
    push_num(out, u64::from(r.memory_mb));
    out.push_str(" MB\tMax Memory Used: ");
    push_num(out, r.max_memory_mb.unwrap_or(0));
    out.push_str(" MB");
    if let Some(init) = r.init {
        out.push_str("\tInit Duration: ");
        push_millis(out, init);
        out.push_str(" ms");
    }
}

/// A number in decimal.
fn push_num(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

/// A duration in nanoseconds (saturating: 584 years fit).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// A duration in milliseconds with two decimals (`3.22`), rounded to the
/// nearest hundredth as `{:.2}` would.
fn push_millis(out: &mut String, d: Duration) {
    let hundredths = nanos(d).saturating_add(5_000) / 10_000;
    push_num(out, hundredths / 100);
    out.push('.');
    let rest = (hundredths % 100) as u8;
    out.push(char::from(b'0' + rest / 10));
    out.push(char::from(b'0' + rest % 10));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line_of(write: impl FnOnce(&mut String)) -> String {
        let mut out = String::new();
        write(&mut out);
        out
    }

    fn report_line(request_id: &str, r: &Report) -> String {
        line_of(|out| write_report(out, request_id, r))
    }

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
            line_of(|out| write_start(out, "abc", "$LATEST")),
            "START RequestId: abc Version: $LATEST"
        );
        assert_eq!(line_of(|out| write_end(out, "abc")), "END RequestId: abc");
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

    /// Trimming never splits a character, and the line just written comes
    /// back whole, however long.
    #[test]
    fn tail_trims_at_characters_and_returns_the_line() {
        let mut t = TailBuffer::default();
        for i in 0..5_000 {
            let line = format!("é{i}€");
            assert_eq!(t.push_line_returned(&line), line);
        }
        let long = "€".repeat(3 * TAIL_KEEP);
        assert_eq!(t.push_line_returned(&long), long);
        assert_eq!(t.push_line_returned("after"), "after");
    }

    impl TailBuffer {
        fn push_line_returned(&mut self, line: &str) -> String {
            self.push_with(|out| out.push_str(line)).to_string()
        }
    }
}
