//! Source positions: spans, the per-node span tree and lookup by JSON path.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// A place in a source file: byte offset and length (for diagnostics) plus
/// the 1-based line and column of its start (for people).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes (may be 0).
    pub len: usize,
    /// 1-based line of the start.
    pub line: u32,
    /// 1-based column (in characters) of the start.
    pub column: u32,
}

impl Span {
    /// A span covering `self` up to the end of `other`.
    pub fn to(self, other: Span) -> Span {
        let end = (other.offset + other.len).max(self.offset + self.len);
        Span {
            len: end.saturating_sub(self.offset),
            ..self
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        miette::SourceSpan::new(s.offset.into(), s.len)
    }
}

/// A named source text for miette diagnostics, shared.
pub type NamedSource = Arc<miette::NamedSource<Arc<str>>>;

/// A source file: its name as given and its full text, cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The name shown in diagnostics (usually the path as given).
    pub name: Arc<str>,
    /// The text.
    pub text: Arc<str>,
    pub(crate) named: Arc<miette::NamedSource<Arc<str>>>,
}

impl SourceFile {
    /// A source file from a name and text.
    pub fn new(name: &str, text: &str) -> Self {
        let text: Arc<str> = Arc::from(text);
        SourceFile {
            name: Arc::from(name),
            named: Arc::new(miette::NamedSource::new(name, text.clone())),
            text,
        }
    }

    /// The text as a miette named source.
    pub fn named_source(&self) -> NamedSource {
        self.named.clone()
    }

    /// The span of the byte at `offset` (clamped to the text), with line and column.
    pub fn span_at(&self, offset: usize, len: usize) -> Span {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.bytes().filter(|b| *b == b'\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Span {
            offset,
            len: len.min(self.text.len() - offset),
            line: line as u32,
            column: column as u32,
        }
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// One step of a path into a document: a map key or a sequence index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSeg {
    /// A key of a mapping.
    Key(String),
    /// An index into a sequence.
    Index(usize),
}

impl fmt::Display for PathSeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathSeg::Key(k) => f.write_str(k),
            PathSeg::Index(i) => write!(f, "{i}"),
        }
    }
}

impl From<&str> for PathSeg {
    fn from(s: &str) -> Self {
        PathSeg::Key(s.to_string())
    }
}

impl From<String> for PathSeg {
    fn from(s: String) -> Self {
        PathSeg::Key(s)
    }
}

impl From<usize> for PathSeg {
    fn from(i: usize) -> Self {
        PathSeg::Index(i)
    }
}

/// A path into a document, e.g. `Resources/MyFn/Properties/Runtime`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Path(pub Vec<PathSeg>);

impl Path {
    /// The empty path (the document root).
    pub fn root() -> Self {
        Path(Vec::new())
    }

    /// Parses `a/b/0/c`; all-digit segments become indices.
    pub fn parse(s: &str) -> Self {
        Path(
            s.split('/')
                .filter(|p| !p.is_empty())
                .map(|p| match p.parse::<usize>() {
                    Ok(i) if !p.starts_with('+') => PathSeg::Index(i),
                    _ => PathSeg::Key(p.to_string()),
                })
                .collect(),
        )
    }

    /// This path with one more segment.
    pub fn join(&self, seg: impl Into<PathSeg>) -> Path {
        let mut v = self.0.clone();
        v.push(seg.into());
        Path(v)
    }

    /// The segments.
    pub fn segments(&self) -> &[PathSeg] {
        &self.0
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Builds a [`Path`] from segments: `path!["Resources", id, "Properties"]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {
        $crate::Path(vec![$($crate::PathSeg::from($seg)),*])
    };
}

/// Spans of one node and its children, parallel to the JSON value: a map's
/// children are in key order, a sequence's in index order.
#[derive(Debug, Clone, Default)]
pub struct SpanNode {
    /// The whole node (for a tagged node, tag included).
    pub span: Span,
    /// For a map entry: the key's span.
    pub key: Option<Span>,
    /// Children in order.
    pub children: Vec<SpanNode>,
}

impl SpanNode {
    /// A leaf.
    pub fn leaf(span: Span) -> Self {
        SpanNode {
            span,
            key: None,
            children: Vec::new(),
        }
    }

    /// Finds the span node at `path`, walking `value` alongside to map keys to positions.
    /// Returns the deepest node reached and whether the whole path was found.
    pub fn lookup<'a>(&'a self, value: &Value, path: &[PathSeg]) -> (&'a SpanNode, bool) {
        let mut node = self;
        let mut value = value;
        for seg in path {
            let next = match (seg, value) {
                (PathSeg::Key(k), Value::Object(map)) => map
                    .iter()
                    .position(|(key, _)| key == k)
                    .and_then(|i| node.children.get(i).map(|n| (n, &map[k.as_str()]))),
                (PathSeg::Index(i), Value::Array(items)) => {
                    node.children.get(*i).zip(items.get(*i))
                }
                (PathSeg::Index(i), Value::Object(map)) => {
                    // Allow numeric keys in maps ("200" response codes).
                    let k = i.to_string();
                    map.iter()
                        .position(|(key, _)| *key == k)
                        .and_then(|p| node.children.get(p).map(|n| (n, &map[k.as_str()])))
                }
                _ => None,
            };
            match next {
                Some((n, v)) => {
                    node = n;
                    value = v;
                }
                None => return (node, false),
            }
        }
        (node, true)
    }
}

impl std::ops::Deref for Path {
    type Target = [PathSeg];
    fn deref(&self) -> &[PathSeg] {
        &self.0
    }
}
