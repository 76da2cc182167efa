//! Parsed documents: the JSON value, its source and the span of every node.

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::span::{NamedSource, PathSeg, SourceFile, Span, SpanNode};
use crate::yaml::{DuplicateKey, parse_yaml};

/// A parsed template document (YAML or JSON) with source positions.
#[derive(Debug, Clone)]
pub struct Document {
    source: SourceFile,
    value: Value,
    spans: SpanNode,
    json: bool,
    warnings: Vec<Diagnostic>,
}

impl Document {
    /// The document as JSON, intrinsics in their long form (`Fn::GetAtt`, …).
    /// Clones; see [`Document::value`] and [`Document::into_json`].
    pub fn to_json(&self) -> Value {
        self.value.clone()
    }

    /// The document as JSON, borrowed.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The document as JSON, taking it.
    pub fn into_json(self) -> Value {
        self.value
    }

    /// The source file (name and text).
    pub fn source(&self) -> &SourceFile {
        &self.source
    }

    /// Whether the text was sniffed as JSON (first non-space character `{`).
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The span of the node at `path` (e.g. `Resources/MyFn/Properties/Runtime`),
    /// or `None` when the path does not exist in the document.
    pub fn span_of(&self, path: &[PathSeg]) -> Option<Span> {
        let (node, found) = self.spans.lookup(&self.value, path);
        found.then_some(node.span)
    }

    /// The span of the key of the map entry at `path`, when the path ends in a map key.
    pub fn key_span_of(&self, path: &[PathSeg]) -> Option<Span> {
        let (node, found) = self.spans.lookup(&self.value, path);
        if found { node.key } else { None }
    }

    /// The best span for `path`: the node itself, or else its deepest existing
    /// ancestor (for "missing property" errors), or the document start.
    pub fn nearest_span(&self, path: &[PathSeg]) -> Span {
        let (node, _) = self.spans.lookup(&self.value, path);
        node.key.unwrap_or(node.span)
    }

    /// The root span tree.
    pub fn spans(&self) -> &SpanNode {
        &self.spans
    }

    /// What the parser accepted but is worth knowing (`duplicate-key`: a key
    /// given twice in one mapping, the later value kept).
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }
}

fn duplicate_warning(source: &SourceFile, d: &DuplicateKey) -> Diagnostic {
    let mut w = Diagnostic::new(
        "duplicate-key",
        format!(
            "`{}` is given twice in this mapping: the later value (line {}) is used, the one at line {} is ignored",
            d.key, d.later.line, d.first.line
        ),
    )
    .warning()
    .with_label("used")
    .with_help(format!(
        "SAM CLI and CloudFormation keep the later value too; remove the one at line {}, column {}",
        d.first.line, d.first.column
    ));
    w.span = Some(d.later);
    w.src = Some(source.named_source());
    w.related = vec![(d.first, "ignored".to_string())];
    w
}

/// A document that could not be read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{file}:{}:{}: {message}", span.line, span.column)]
pub struct ParseError {
    /// The file name as given.
    pub file: String,
    /// What went wrong.
    pub message: String,
    /// Where (`span.line`, `span.column` are 1-based).
    #[label("{label}")]
    pub span: Span,
    /// The label text at the span.
    pub label: &'static str,
    /// The source text, for rendering.
    #[source_code]
    pub src: NamedSource,
    /// What would fix it.
    #[help]
    pub help: Option<String>,
}

impl ParseError {
    fn new(source: &SourceFile, message: String, span: Span, help: Option<String>) -> Self {
        // An error at the end of the file (an unclosed bracket or quote)
        // points at the last character, so the snippet shows where it stopped.
        let content_end = source.text.trim_end().len();
        let at_end = span.offset >= content_end && content_end > 0;
        let span = if at_end {
            let last = source.text[..content_end]
                .chars()
                .next_back()
                .map_or(1, char::len_utf8);
            source.span_at(content_end - last, last)
        } else {
            span
        };
        ParseError {
            file: source.name.to_string(),
            label: if at_end {
                "the file ends after this"
            } else {
                short_label(&message)
            },
            message,
            span,
            src: source.named_source(),
            help,
        }
    }
}

fn short_label(message: &str) -> &'static str {
    if message.starts_with("duplicate key") {
        "defined again here"
    } else {
        "here"
    }
}

impl ParseError {
    /// 1-based line of the error.
    pub fn line(&self) -> u32 {
        self.span.line
    }

    /// 1-based column of the error.
    pub fn column(&self) -> u32 {
        self.span.column
    }
}

/// Parses a YAML or JSON template.
///
/// JSON is sniffed (first non-space character `{`) and parsed as the YAML
/// subset it is, so positions are kept either way; syntax errors in JSON
/// files are reported in JSON terms.
pub fn parse(file_name: &str, text: &str) -> Result<Document, ParseError> {
    let source = SourceFile::new(file_name, text);
    let (body, base) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, 3),
        None => (text, 0),
    };
    let json = body.trim_start().starts_with('{');
    match parse_yaml(body, base) {
        Ok(parsed) => Ok(Document {
            warnings: parsed
                .duplicates
                .iter()
                .map(|d| duplicate_warning(&source, d))
                .collect(),
            source,
            value: parsed.value,
            spans: parsed.spans,
            json,
        }),
        Err(e) if json => Err(json_error(&source, body, base)
            .unwrap_or_else(|| ParseError::new(&source, e.message, e.span, e.help))),
        Err(e) => Err(ParseError::new(&source, e.message, e.span, e.help)),
    }
}

/// Parses a template given as bytes: UTF-8 (a byte-order mark is skipped),
/// or UTF-16 / UTF-32 with a byte-order mark (as PyYAML reads them). Bytes
/// that are not UTF-8 are a [`ParseError`] naming the byte offset of the
/// first bad byte, with the line and column of where it sits.
pub fn parse_bytes(file_name: &str, bytes: &[u8]) -> Result<Document, ParseError> {
    let decoded = match bytes {
        [0xFF, 0xFE, 0, 0, rest @ ..] => decode_utf32(rest, u32::from_le_bytes),
        [0, 0, 0xFE, 0xFF, rest @ ..] => decode_utf32(rest, u32::from_be_bytes),
        [0xFF, 0xFE, rest @ ..] => decode_utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => decode_utf16(rest, u16::from_be_bytes),
        _ => None,
    };
    if let Some(text) = decoded {
        return parse(file_name, &text);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => parse(file_name, text),
        Err(e) => {
            let at = e.valid_up_to();
            let lossy = String::from_utf8_lossy(bytes);
            let source = SourceFile::new(file_name, &lossy);
            let bad = bytes.get(at).copied().unwrap_or(0);
            let span = source.span_at(at, 1);
            Err(ParseError {
                file: file_name.to_string(),
                message: format!(
                    "the template is not UTF-8 text: byte 0x{bad:02X} at byte offset {at} (line {}, column {}) is not valid UTF-8",
                    span.line, span.column
                ),
                span,
                label: "not UTF-8",
                src: source.named_source(),
                help: Some(
                    "save the file as UTF-8 (CloudFormation and SAM CLI read templates as UTF-8)"
                        .into(),
                ),
            })
        }
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .ok()
}

fn decode_utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32) -> Option<String> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    bytes
        .chunks_exact(4)
        .map(|c| char::from_u32(unit([c[0], c[1], c[2], c[3]])))
        .collect()
}

/// A JSON-worded error from serde_json, when serde_json rejects the text too.
fn json_error(source: &SourceFile, body: &str, base: usize) -> Option<ParseError> {
    let e = serde_json::from_str::<serde_json::Value>(body).err()?;
    let line = e.line().max(1);
    let offset = body
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum::<usize>();
    let line_text = body[offset..].lines().next().unwrap_or("");
    // serde_json's column counts bytes, 1-based; 0 means "before the line".
    let mut col_bytes = e.column().saturating_sub(1).min(line_text.len());
    while !line_text.is_char_boundary(col_bytes) {
        col_bytes -= 1;
    }
    let span = source.span_at(base + offset + col_bytes, 1);
    let mut message = e.to_string();
    if let Some(i) = message.find(" at line ") {
        message.truncate(i);
    }
    Some(ParseError::new(
        source,
        format!("invalid JSON: {message}"),
        span,
        Some("the file starts with `{`, so it is read as JSON".into()),
    ))
}

#[cfg(test)]
mod tests;
