//! Building a JSON value and its span tree from saphyr's YAML events.
//!
//! Typing follows PyYAML's `SafeLoader` (YAML 1.1), which the SAM translator
//! and the AWS CLI use; short-form intrinsic tags (`!Ref`, `!GetAtt a.b`, …)
//! become their long forms exactly as the translator's `yaml_parse` makes them.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};
use serde_json::{Map, Value};

use crate::lenient::Padding;
use crate::scalar::{key_string, resolve_plain};
use crate::span::{Span, SpanNode};

/// Limit on nodes created through alias expansion ("billion laughs" guard).
const MAX_NODES: usize = 1_000_000;

/// Why YAML text could not be turned into a value.
#[derive(Debug, Clone)]
pub(crate) struct YamlError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
}

/// Maps saphyr's character indices to byte offsets (of the original text,
/// when the parsed text is a re-indented copy: see [`crate::lenient`]).
struct Offsets<'a> {
    text: &'a str,
    /// Byte offset of each char index (only for non-ASCII text).
    table: Option<Vec<usize>>,
    /// Bytes skipped before the parsed text (a byte order mark).
    base: usize,
    /// Spaces inserted at line starts, when the text is a re-indented copy.
    padding: Option<&'a Padding>,
}

impl<'a> Offsets<'a> {
    fn new(text: &'a str, base: usize, padding: Option<&'a Padding>) -> Self {
        let table = (!text.is_ascii()).then(|| {
            let mut t: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            t.push(text.len());
            t
        });
        Offsets {
            text,
            table,
            base,
            padding,
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.text.len()),
            Some(t) => t.get(char_index).copied().unwrap_or(self.text.len()),
        }
    }

    fn span(&self, start: &Marker, end: &Marker) -> Span {
        let s = self.byte(start.index());
        let e = self.byte(end.index()).max(s);
        let (mut s, mut e, mut column) = (s, e, start.col() as u32 + 1);
        if let Some(p) = self.padding {
            s = p.original_offset(s);
            e = p.original_offset(e).max(s);
            column = column.saturating_sub(p.on_line(start.line())).max(1);
        }
        Span {
            offset: s + self.base,
            len: e - s,
            line: start.line() as u32,
            column,
        }
    }
}

/// A finished node.
struct Done {
    value: Value,
    spans: SpanNode,
    /// A plain untagged `<<` (merge key) scalar.
    merge_key: bool,
    /// Number of nodes in it (for the alias budget).
    size: usize,
}

enum Kind {
    Seq(Vec<Value>),
    Map {
        map: Map<String, Value>,
        key: Option<(String, Span, bool)>,
        /// Mappings to merge in (`<<`), in PyYAML's order.
        merges: Vec<(Map<String, Value>, Vec<SpanNode>)>,
    },
}

struct Frame<'i> {
    kind: Kind,
    spans: Vec<SpanNode>,
    start: Span,
    tag: Option<Cow<'i, Tag>>,
    anchor: usize,
    size: usize,
}

struct Builder<'i> {
    offsets: Offsets<'i>,
    stack: Vec<Frame<'i>>,
    anchors: HashMap<usize, (Value, SpanNode, usize)>,
    root: Option<Done>,
    nodes: usize,
    duplicates: Vec<DuplicateKey>,
}

/// A key given twice in one mapping: the later value wins, as PyYAML (SAM
/// CLI's loader) and CloudFormation read it.
#[derive(Debug, Clone)]
pub(crate) struct DuplicateKey {
    pub key: String,
    /// The key's first occurrence.
    pub first: Span,
    /// The occurrence whose value is kept.
    pub later: Span,
}

/// A parsed YAML document: its value, spans and the duplicate keys met.
pub(crate) struct Parsed {
    pub value: Value,
    pub spans: SpanNode,
    pub duplicates: Vec<DuplicateKey>,
}

/// Parses YAML text (a single document) into a value and its spans.
///
/// A text that strict YAML rejects only because a flow collection's (or a
/// quoted scalar's) continuation lines sit left of where YAML 1.2 allows is
/// read as PyYAML reads it: re-indented ([`crate::lenient`]) and parsed
/// again, positions still those of the original text.
pub(crate) fn parse_yaml(text: &str, base: usize) -> Result<Parsed, YamlError> {
    match parse_events(text, base, None) {
        Err(e) if e.message.contains("invalid indentation") => {
            let Some(padding) = crate::lenient::pad_continuations(text) else {
                return Err(e);
            };
            match parse_events(&padding.text, base, Some(&padding)) {
                Ok(parsed) => Ok(parsed),
                // A later error is the next problem of the file; an earlier
                // one means the re-indenting guessed wrong: keep the first.
                Err(again) if again.span.offset > e.span.offset => Err(again),
                Err(_) => Err(e),
            }
        }
        other => other,
    }
}

fn parse_events(text: &str, base: usize, padding: Option<&Padding>) -> Result<Parsed, YamlError> {
    let mut b = Builder {
        offsets: Offsets::new(text, base, padding),
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
        nodes: 0,
        duplicates: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    let mut documents = 0usize;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let m = e.marker();
                let sp = b.offsets.span(m, m);
                return Err(YamlError {
                    message: e.info().to_string(),
                    span: sp,
                    help: None,
                });
            }
        };
        let sp = b.offsets.span(&span.start, &span.end);
        match event {
            Event::StreamStart | Event::Nothing | Event::DocumentEnd => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(YamlError {
                        message:
                            "expected a single document in the stream, but found another document"
                                .into(),
                        span: sp,
                        help: Some(
                            "a template is one YAML document: remove the extra `---`".into(),
                        ),
                    });
                }
            }
            Event::Alias(id) => {
                let Some((value, spans, size)) = b.anchors.get(&id) else {
                    return Err(err(sp, "found undefined alias"));
                };
                let size = *size;
                b.nodes += size;
                if b.nodes > MAX_NODES {
                    return Err(err(
                        sp,
                        "too many nodes through aliases (alias expansion limit reached)",
                    ));
                }
                let done = Done {
                    value: value.clone(),
                    spans: SpanNode {
                        span: sp,
                        key: None,
                        children: spans.children.clone(),
                    },
                    merge_key: false,
                    size,
                };
                b.finish(done)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                b.nodes += 1;
                let merge_key = tag.is_none() && style == ScalarStyle::Plain && text == "<<";
                let (value, spans) = scalar_value(text, style, tag.as_deref(), sp)?;
                let done = Done {
                    value,
                    spans,
                    merge_key,
                    size: 1,
                };
                b.anchor_and_finish(anchor, done)?;
            }
            Event::SequenceStart(anchor, tag) => {
                b.push(Kind::Seq(Vec::new()), sp, tag, anchor);
            }
            Event::MappingStart(anchor, tag) => {
                b.push(
                    Kind::Map {
                        map: Map::new(),
                        key: None,
                        merges: Vec::new(),
                    },
                    sp,
                    tag,
                    anchor,
                );
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = b.stack.pop() else {
                    return Err(err(sp, "unbalanced collection end"));
                };
                let whole = frame.start.to(sp);
                let (value, children) = match frame.kind {
                    Kind::Seq(items) => (Value::Array(items), frame.spans),
                    Kind::Map { map, merges, .. } => merge_maps(map, frame.spans, merges),
                };
                let (value, spans) =
                    apply_collection_tag(value, whole, children, frame.tag.as_deref())?;
                let done = Done {
                    value,
                    spans,
                    merge_key: false,
                    size: frame.size + 1,
                };
                b.anchor_and_finish(frame.anchor, done)?;
            }
        }
    }
    let (value, spans) = match b.root {
        Some(d) => (d.value, d.spans),
        None => (Value::Null, SpanNode::default()),
    };
    Ok(Parsed {
        value,
        spans,
        duplicates: b.duplicates,
    })
}

fn err(span: Span, message: &str) -> YamlError {
    YamlError {
        message: message.to_string(),
        span,
        help: None,
    }
}

impl<'i> Builder<'i> {
    fn push(&mut self, kind: Kind, start: Span, tag: Option<Cow<'i, Tag>>, anchor: usize) {
        self.nodes += 1;
        self.stack.push(Frame {
            kind,
            spans: Vec::new(),
            start,
            tag,
            anchor,
            size: 0,
        });
    }

    fn anchor_and_finish(&mut self, anchor: usize, done: Done) -> Result<(), YamlError> {
        if anchor > 0 {
            self.anchors
                .insert(anchor, (done.value.clone(), done.spans.clone(), done.size));
        }
        self.finish(done)
    }

    fn finish(&mut self, done: Done) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(done);
            return Ok(());
        };
        frame.size += done.size;
        match &mut frame.kind {
            Kind::Seq(items) => {
                items.push(done.value);
                frame.spans.push(done.spans);
            }
            Kind::Map { map, key, merges } => match key.take() {
                None => {
                    let Some(k) = key_string(&done.value) else {
                        return Err(YamlError {
                            message: "found unhashable key: a mapping key must be a plain value, not a list, a map or an intrinsic function".into(),
                            span: done.spans.span,
                            help: None,
                        });
                    };
                    *key = Some((k, done.spans.span, done.merge_key));
                }
                Some((k, key_span, true)) => match done.value {
                    Value::Object(m) => merges.push((m, done.spans.children)),
                    Value::Array(items) => {
                        // PyYAML merges a list of maps with the earlier maps winning.
                        let mut subs = Vec::new();
                        for (item, spans) in items.into_iter().zip(done.spans.children) {
                            match item {
                                Value::Object(m) => subs.push((m, spans.children)),
                                _ => {
                                    return Err(YamlError {
                                        message: "expected a mapping for merging, but found something else".into(),
                                        span: spans.span,
                                        help: None,
                                    });
                                }
                            }
                        }
                        subs.reverse();
                        merges.extend(subs);
                    }
                    _ => {
                        let _ = k;
                        return Err(YamlError {
                            message: "expected a mapping or list of mappings for merging".into(),
                            span: key_span,
                            help: None,
                        });
                    }
                },
                Some((k, key_span, false)) => {
                    let mut spans = done.spans;
                    spans.key = Some(key_span);
                    let at = if map.contains_key(&k) {
                        map.keys().position(|x| *x == k)
                    } else {
                        None
                    };
                    match at {
                        // The later value wins and keeps the first one's place,
                        // as a Python dict does.
                        Some(i) => {
                            let first = frame.spans.get(i).and_then(|n| n.key).unwrap_or(key_span);
                            self.duplicates.push(DuplicateKey {
                                key: k.clone(),
                                first,
                                later: key_span,
                            });
                            map.insert(k, done.value);
                            if let Some(slot) = frame.spans.get_mut(i) {
                                *slot = spans;
                            }
                        }
                        None => {
                            map.insert(k, done.value);
                            frame.spans.push(spans);
                        }
                    }
                }
            },
        }
        Ok(())
    }
}

/// Applies `<<` merges the way PyYAML does: merged entries first, own entries win.
fn merge_maps(
    own: Map<String, Value>,
    own_spans: Vec<SpanNode>,
    merges: Vec<(Map<String, Value>, Vec<SpanNode>)>,
) -> (Value, Vec<SpanNode>) {
    if merges.is_empty() {
        return (Value::Object(own), own_spans);
    }
    let mut map = Map::new();
    let mut spans: Vec<SpanNode> = Vec::new();
    let all = merges.into_iter().chain(std::iter::once((own, own_spans)));
    for (m, s) in all {
        for ((k, v), sp) in m.into_iter().zip(s) {
            if let Some(i) = map.keys().position(|x| *x == k) {
                spans[i] = sp;
            } else {
                spans.push(sp);
            }
            map.insert(k, v);
        }
    }
    (Value::Object(map), spans)
}

/// The long-form key of a short-form intrinsic tag.
fn intrinsic_key(suffix: &str) -> String {
    match suffix {
        "Ref" | "Condition" => suffix.to_string(),
        _ => format!("Fn::{suffix}"),
    }
}

fn wrap(key: String, inner: Value, span: Span, inner_children: Vec<SpanNode>) -> (Value, SpanNode) {
    let mut m = Map::with_capacity(1);
    m.insert(key, inner);
    let child = SpanNode {
        span,
        key: Some(span),
        children: inner_children,
    };
    (
        Value::Object(m),
        SpanNode {
            span,
            key: None,
            children: vec![child],
        },
    )
}

fn scalar_value(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
    span: Span,
) -> Result<(Value, SpanNode), YamlError> {
    let Some(tag) = tag else {
        let v = if style == ScalarStyle::Plain {
            resolve_plain(&text)
        } else {
            Value::String(text.into_owned())
        };
        return Ok((v, SpanNode::leaf(span)));
    };
    if tag.handle == "!" {
        if tag.suffix == "GetAtt" {
            let parts: Vec<Value> = match text.split_once('.') {
                Some((a, b)) => vec![Value::String(a.into()), Value::String(b.into())],
                None => vec![Value::String(text.into_owned())],
            };
            let children = parts.iter().map(|_| SpanNode::leaf(span)).collect();
            return Ok(wrap(
                intrinsic_key(&tag.suffix),
                Value::Array(parts),
                span,
                children,
            ));
        }
        return Ok(wrap(
            intrinsic_key(&tag.suffix),
            Value::String(text.into_owned()),
            span,
            Vec::new(),
        ));
    }
    if tag.is_yaml_core_schema() {
        let v = match tag.suffix.as_str() {
            "str" => Value::String(text.into_owned()),
            "null" => Value::Null,
            "bool" => match crate::scalar::resolve_bool(&text) {
                Some(b) => Value::Bool(b),
                None => return Err(err(span, &format!("`{text}` is not a boolean"))),
            },
            "int" | "float" => match resolve_plain(&text) {
                v @ Value::Number(_) => v,
                _ => return Err(err(span, &format!("`{text}` is not a number"))),
            },
            "timestamp" | "binary" => Value::String(text.into_owned()),
            other => {
                return Err(err(
                    span,
                    &format!(
                        "could not determine a constructor for the tag `!!{other}` on a scalar"
                    ),
                ));
            }
        };
        return Ok((v, SpanNode::leaf(span)));
    }
    Err(err(
        span,
        &format!("could not determine a constructor for the tag `{tag}`"),
    ))
}

fn apply_collection_tag(
    value: Value,
    span: Span,
    children: Vec<SpanNode>,
    tag: Option<&Tag>,
) -> Result<(Value, SpanNode), YamlError> {
    match tag {
        None => Ok((
            value,
            SpanNode {
                span,
                key: None,
                children,
            },
        )),
        Some(t) if t.handle == "!" => Ok(wrap(intrinsic_key(&t.suffix), value, span, children)),
        Some(t)
            if t.is_yaml_core_schema()
                && matches!(
                    (t.suffix.as_str(), &value),
                    ("map", Value::Object(_)) | ("seq", Value::Array(_)) | ("omap", _)
                ) =>
        {
            Ok((
                value,
                SpanNode {
                    span,
                    key: None,
                    children,
                },
            ))
        }
        Some(t) => Err(err(
            span,
            &format!("could not determine a constructor for the tag `{t}`"),
        )),
    }
}
