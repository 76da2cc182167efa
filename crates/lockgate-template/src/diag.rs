//! Diagnostics: every problem the engine finds, with its place in the source.

use std::fmt;

use crate::document::Document;
use crate::span::{NamedSource, Path, Span};

/// One problem found in a template, pointing at its place.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// A stable kebab-case code naming the kind of problem, e.g. `unknown-reference`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// Where in the document (by path), when known.
    pub path: Option<Path>,
    /// Where in the source, when known.
    pub span: Option<Span>,
    /// Short text shown at the span.
    pub label: String,
    /// What was expected, or how to fix it.
    pub help: Option<String>,
    /// The file, for rendering.
    pub src: Option<NamedSource>,
    /// Errors make a template invalid; warnings do not.
    pub severity: Severity,
    /// Other places that belong to the problem (a duplicate key's first
    /// occurrence, …), each with its label.
    pub related: Vec<(Span, String)>,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Severity {
    /// The template is invalid.
    #[default]
    Error,
    /// Worth knowing; the template is still usable.
    Warning,
}

impl Diagnostic {
    /// A diagnostic with no position.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: message.into(),
            path: None,
            span: None,
            label: label_for(code).into(),
            help: None,
            src: None,
            severity: Severity::Error,
            related: Vec::new(),
        }
    }

    /// Makes it a warning.
    pub fn warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Narrows the span to the only occurrence of `needle` inside it, if there is exactly one.
    pub fn narrow_to(mut self, needle: &str) -> Self {
        if let (Some(span), Some(src)) = (self.span, &self.src) {
            let text: &str = src.inner();
            if let Some(region) = text.get(span.offset..span.offset + span.len) {
                let mut hits = region.match_indices(needle);
                if let (Some((i, _)), None) = (hits.next(), hits.next()) {
                    let file = crate::span::SourceFile {
                        name: std::sync::Arc::from(src.name()),
                        text: src.inner().clone(),
                        named: src.clone(),
                    };
                    self.span = Some(file.span_at(span.offset + i, needle.len()));
                }
            }
        }
        self
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Sets the label shown at the span.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    /// Points the diagnostic at `path` in `doc` (at the key for map entries,
    /// or at the nearest existing parent when the path is missing).
    pub fn at(mut self, doc: &Document, path: Path) -> Self {
        self.span = Some(doc.nearest_span(&path));
        self.src = Some(doc.source().named_source());
        self.path = Some(path);
        self
    }

    /// Points the diagnostic at the value (not the key) at `path`.
    pub fn at_value(mut self, doc: &Document, path: Path) -> Self {
        self.span = Some(
            doc.span_of(&path)
                .unwrap_or_else(|| doc.nearest_span(&path)),
        );
        self.src = Some(doc.source().named_source());
        self.path = Some(path);
        self
    }

    /// The file name, when the diagnostic has a source.
    pub fn file(&self) -> Option<&str> {
        self.src.as_ref().map(|s| s.name())
    }

    /// `file:line:col`, when known.
    pub fn location(&self) -> Option<String> {
        let span = self.span?;
        Some(format!(
            "{}:{}:{}",
            self.file().unwrap_or("-"),
            span.line,
            span.column
        ))
    }

    /// As a JSON object (for `--output json`).
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "code": self.code,
            "message": self.message,
            "file": self.file(),
            "line": self.span.map(|s| s.line),
            "column": self.span.map(|s| s.column),
            "path": self.path.as_ref().map(|p| p.to_string()),
            "help": self.help,
            "severity": match self.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
        });
        // Only when there are any, so the shape of other diagnostics stays as it was.
        if !self.related.is_empty()
            && let Some(m) = v.as_object_mut()
        {
            let related: Vec<serde_json::Value> = self
                .related
                .iter()
                .map(|(span, label)| {
                    serde_json::json!({"line": span.line, "column": span.column, "label": label})
                })
                .collect();
            m.insert("related".into(), serde_json::Value::Array(related));
        }
        v
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        match (&self.src, self.span) {
            (Some(src), Some(_)) => Some(src as &dyn miette::SourceCode),
            _ => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        self.src.as_ref()?;
        let related = self
            .related
            .iter()
            .map(|(s, l)| miette::LabeledSpan::new_with_span(Some(l.clone()), *s));
        Some(Box::new(
            std::iter::once(miette::LabeledSpan::new_with_span(
                Some(self.label.clone()),
                span,
            ))
            .chain(related),
        ))
    }
}

impl From<crate::document::ParseError> for Diagnostic {
    fn from(e: crate::document::ParseError) -> Self {
        Diagnostic {
            code: "syntax",
            label: e.label.to_string(),
            span: Some(e.span),
            message: e.message,
            path: None,
            help: e.help,
            src: Some(e.src),
            severity: Severity::Error,
            related: Vec::new(),
        }
    }
}

/// Every diagnostic code the engine can produce, with what it means.
///
/// Each has a test (`tests/diagnostic_codes.rs`), and a test checks that no
/// code outside this list appears in the sources.
pub const CODES: &[(&str, &str)] = &[
    (
        "syntax",
        "the file is not well-formed YAML or JSON, or not UTF-8 (or uses an unknown tag, several documents, …)",
    ),
    (
        "duplicate-key",
        "(warning) a key is given twice in one mapping; the later value is used",
    ),
    ("not-a-mapping", "the template is not a mapping of sections"),
    (
        "unknown-section",
        "a top-level key is not a template section",
    ),
    (
        "invalid-format-version",
        "`AWSTemplateFormatVersion` is not \"2010-09-09\"",
    ),
    (
        "wrong-type",
        "a section or attribute has the wrong kind of value",
    ),
    (
        "too-many-parameters",
        "more than 200 parameters are declared",
    ),
    (
        "too-many-resources",
        "more than 500 resources (after the SAM transform), CloudFormation's quota per stack",
    ),
    (
        "too-many-outputs",
        "more than 200 outputs, CloudFormation's quota per stack",
    ),
    (
        "too-many-mappings",
        "more than 200 mappings, CloudFormation's quota per stack",
    ),
    (
        "invalid-name",
        "a parameter, resource or output name is not alphanumeric",
    ),
    ("invalid-parameter", "a parameter declaration is malformed"),
    (
        "unknown-parameter",
        "(warning) a value was given for a parameter the template does not declare",
    ),
    (
        "invalid-pattern",
        "(warning) a parameter's `AllowedPattern` cannot be compiled, so values are not checked against it",
    ),
    (
        "invalid-parameter-value",
        "a parameter value breaks the parameter's constraints",
    ),
    (
        "missing-parameter-value",
        "a parameter has neither a value nor a default (when values are required)",
    ),
    (
        "invalid-condition",
        "a condition is not a condition function, or does not evaluate to a boolean",
    ),
    (
        "unknown-condition",
        "a condition name is not declared in `Conditions`",
    ),
    (
        "condition-cycle",
        "conditions refer to each other in a cycle",
    ),
    ("missing-resources", "`Resources` is missing or empty"),
    ("missing-type", "a resource has no `Type`"),
    (
        "invalid-type",
        "a resource `Type` is not a resource type name",
    ),
    (
        "unknown-attribute",
        "(warning for resources) a resource or output has an attribute CloudFormation does not know",
    ),
    (
        "invalid-policy",
        "`DeletionPolicy` / `UpdateReplacePolicy` has an unknown value",
    ),
    ("missing-value", "an output has no `Value`"),
    ("invalid-export", "an output's `Export` has no `Name`"),
    (
        "invalid-intrinsic",
        "an intrinsic function shares its mapping with other keys",
    ),
    (
        "invalid-argument",
        "an intrinsic function has malformed arguments",
    ),
    (
        "unknown-reference",
        "`Ref`, `Fn::GetAtt` or a `Fn::Sub` variable names nothing declared",
    ),
    (
        "unsupported-attribute",
        "`Fn::GetAtt` asks for an attribute the resource's type does not have",
    ),
    (
        "missing-artifact",
        "(warning) a local path (`CodeUri`, `DefinitionUri`, …) names nothing beside the template",
    ),
    (
        "invalid-artifact",
        "an `AWS::Include` file cannot be read, or is not YAML or JSON",
    ),
    (
        "unsupported-locally",
        "(warning) something Lockgate cannot run on this machine (a container-image function)",
    ),
    (
        "unknown-dependency",
        "`DependsOn` names a resource that is not declared",
    ),
    (
        "dependency-cycle",
        "resources depend on each other in a cycle",
    ),
    ("resource-in-condition", "a condition refers to a resource"),
    (
        "index-out-of-range",
        "`Fn::Select` picks past the end of its list",
    ),
    (
        "unknown-mapping",
        "`Fn::FindInMap` names a mapping that is not declared",
    ),
    (
        "missing-mapping-key",
        "`Fn::FindInMap` names a key the mapping does not have",
    ),
    (
        "invalid-dynamic-reference",
        "a `{{resolve:…}}` dynamic reference is malformed",
    ),
    (
        "unresolved-dynamic-reference",
        "the dynamic reference resolver failed for a `{{resolve:…}}`",
    ),
    (
        "sam-transform",
        "the SAM transform rejected the template, with the SAM translator's message",
    ),
];

/// The text shown at the span for each kind of problem.
fn label_for(code: &str) -> &'static str {
    match code {
        "unknown-reference" | "unknown-dependency" => "not defined in this template",
        "unknown-condition" => "no such condition",
        "unknown-section" | "unknown-attribute" | "unknown-parameter" => "not known",
        "unsupported-attribute" => "no such attribute",
        "missing-artifact" => "not found",
        "duplicate-key" => "used",
        "missing-type" | "missing-value" => "declared here",
        "invalid-parameter" | "invalid-parameter-value" | "missing-parameter-value" => {
            "this parameter"
        }
        "dependency-cycle" | "condition-cycle" => "part of the cycle",
        "sam-transform" => "while transforming this",
        "invalid-argument" | "invalid-intrinsic" => "malformed here",
        _ => "here",
    }
}

/// Every problem found, in the order found.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// How many problems.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// The problems.
    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    /// Renders every diagnostic with source snippets, without colors, at `width` columns.
    pub fn render_plain(&self, width: usize) -> String {
        let handler =
            miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
                .with_width(width)
                .with_links(false);
        let mut out = String::new();
        for d in &self.0 {
            // Rendering into a String cannot fail.
            let _ = handler.render_report(&mut out, d);
        }
        out
    }

    /// Renders for a terminal: colors when `color`, else plain.
    pub fn render(&self, color: bool, width: usize) -> String {
        if !color {
            return self.render_plain(width);
        }
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode())
            .with_width(width);
        let mut out = String::new();
        for d in &self.0 {
            let _ = handler.render_report(&mut out, d);
        }
        out
    }

    /// As a JSON array.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(self.0.iter().map(Diagnostic::to_json).collect())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the template has {} problem(s)", self.0.len())?;
        for d in &self.0 {
            match d.location() {
                Some(loc) => write!(f, "\n  {loc}: {}", d.message)?,
                None => write!(f, "\n  {}", d.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl miette::Diagnostic for Diagnostics {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(
            self.0.iter().map(|d| d as &dyn miette::Diagnostic),
        ))
    }
}
