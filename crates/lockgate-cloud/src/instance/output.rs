//! An instance's output: its lines, and the flush markers written behind
//! them to know when all of it has been read.

pub(super) const MARKER: &str = "\u{1}lockgate-flush-";

/// Splits a flush marker off the end of an output line.
pub(super) fn split_marker(line: &str) -> (&str, Option<u64>) {
    match line.rfind(MARKER) {
        Some(pos) => {
            let n = line[pos + MARKER.len()..]
                .trim_end_matches('\u{1}')
                .parse()
                .ok();
            if n.is_some() {
                (&line[..pos], n)
            } else {
                (line, None)
            }
        }
        None => (line, None),
    }
}

/// Splits output into lines. A line longer than [`MAX_LINE`] is handed on
/// in pieces; bytes that are not UTF-8 are shown as U+FFFD.
#[derive(Default)]
pub(super) struct LineSplitter {
    partial: Vec<u8>,
}

/// The longest line kept whole (Lambda splits longer log events too).
const MAX_LINE: usize = 256 * 1024;

impl LineSplitter {
    pub(super) fn push(&mut self, mut bytes: &[u8], out: &mut impl FnMut(&str)) {
        while let Some(pos) = bytes.iter().position(|&b| b == b'\n') {
            let line = &bytes[..pos];
            if self.partial.is_empty() {
                out(&String::from_utf8_lossy(strip_cr(line)));
            } else {
                self.partial.extend_from_slice(line);
                out(&String::from_utf8_lossy(strip_cr(&self.partial)));
                self.partial.clear();
            }
            bytes = &bytes[pos + 1..];
        }
        self.partial.extend_from_slice(bytes);
        if self.partial.len() >= MAX_LINE {
            out(&String::from_utf8_lossy(&self.partial));
            self.partial.clear();
        }
    }

    /// The output ended: a last line without a newline is handed on.
    pub(super) fn finish(&mut self, out: &mut impl FnMut(&str)) {
        if !self.partial.is_empty() {
            out(&String::from_utf8_lossy(strip_cr(&self.partial)));
            self.partial.clear();
        }
    }
}

/// `line\r` → `line` (as `lines()` reads it).
fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}
