//! Reading YAML as PyYAML (SAM CLI's and the SAM translator's loader) and
//! CloudFormation read it where strict YAML 1.2 is stricter.
//!
//! Inside a flow collection (`[…]`, `{…}`) or a quoted scalar, indentation
//! carries no meaning, and PyYAML accepts continuation lines anywhere, even
//! at column 0:
//!
//! ```yaml
//! Resources:
//!   Fn:
//!     Properties:
//!       Policies: [
//!     AWSLambdaBasicExecutionRole ]
//! ```
//!
//! A strict parser rejects the second line ("invalid indentation"). When it
//! does, [`pad_continuations`] finds every line that begins inside a flow
//! collection or a quoted scalar and sits left of its opening bracket or
//! quote, and indents it to just right of it. Leading white space of such
//! lines is folded away by YAML, so the document means the same; the
//! [`Padding`] maps positions in the re-indented copy back to the original
//! text, so diagnostics still point at the file as written.
//!
//! The scan is a small tokenizer that knows only what decides where flow
//! collections and quoted scalars begin and end: comments, quotes, tags,
//! anchors, aliases, plain scalars, block scalars (`|`, `>`) and the
//! indicators `- `, `? `, `: `, `,`.

/// A re-indented copy of a text and how to map its positions back.
#[derive(Debug, Clone)]
pub(crate) struct Padding {
    /// The re-indented text.
    pub text: String,
    /// Byte offset in `text` of each insertion and the bytes inserted there, in order.
    inserted: Vec<(usize, usize)>,
    /// Spaces inserted at the start of each line (1-based line numbers; index 0 unused).
    per_line: Vec<u32>,
}

impl Padding {
    /// The byte offset in the original text of `offset` in the re-indented one.
    pub fn original_offset(&self, offset: usize) -> usize {
        let before: usize = self
            .inserted
            .iter()
            .take_while(|(at, n)| at + n <= offset)
            .map(|(_, n)| n)
            .sum();
        offset - before
    }

    /// Spaces inserted at the start of 1-based `line`.
    pub fn on_line(&self, line: usize) -> u32 {
        self.per_line.get(line).copied().unwrap_or(0)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Quote {
    Single,
    Double,
}

/// The re-indented copy of `text`, or `None` when no line needs it.
pub(crate) fn pad_continuations(text: &str) -> Option<Padding> {
    let mut scan = Scan::default();
    let mut pads: Vec<(usize, usize, usize)> = Vec::new(); // (line index, byte offset, spaces)
    let mut offset = 0usize;
    for (index, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        let indent = line.chars().take_while(|c| *c == ' ' || *c == '\t').count();
        let blank = line.trim().is_empty();
        if let Some(parent) = scan.block_scalar {
            if blank || indent > parent {
                offset += raw.len();
                continue;
            }
            scan.block_scalar = None;
        }
        if !blank
            && let Some(target) = scan.continuation_column()
            && indent < target
        {
            pads.push((index + 1, offset, target - indent));
        }
        scan.line(line, indent);
        offset += raw.len();
    }
    if pads.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len() + pads.iter().map(|p| p.2).sum::<usize>());
    let mut inserted = Vec::with_capacity(pads.len());
    let lines = text.split_inclusive('\n').count();
    let mut per_line = vec![0u32; lines + 2];
    let mut last = 0usize;
    for (line, at, n) in pads {
        out.push_str(&text[last..at]);
        inserted.push((out.len(), n));
        out.extend(std::iter::repeat_n(' ', n));
        per_line[line] = n as u32;
        last = at;
    }
    out.push_str(&text[last..]);
    Some(Padding {
        text: out,
        inserted,
        per_line,
    })
}

/// Where the scan is between lines.
#[derive(Default)]
struct Scan {
    /// Columns (in characters) of the open flow brackets, outermost first.
    flow: Vec<usize>,
    /// An open quoted scalar and the column of its opening quote.
    quote: Option<(Quote, usize)>,
    /// Inside a flow collection, in the middle of a plain scalar.
    plain: bool,
    /// Inside a block scalar whose parent line has this indentation.
    block_scalar: Option<usize>,
}

impl Scan {
    /// The column a line starting here must reach, when it begins inside a
    /// flow collection or a quoted scalar.
    fn continuation_column(&self) -> Option<usize> {
        match (self.flow.first(), self.quote) {
            (Some(col), _) => Some(col + 1),
            (None, Some((_, col))) => Some(col + 1),
            (None, None) => None,
        }
    }

    /// Scans one line (without its line break).
    fn line(&mut self, line: &str, indent: usize) {
        let chars: Vec<char> = line.chars().collect();
        let mut i = indent;
        let mut token_start = true;
        let mut block_plain = false;
        while i < chars.len() {
            let c = chars[i];
            let next = chars.get(i + 1).copied();
            let after_space = i == 0 || matches!(chars[i - 1], ' ' | '\t');
            if let Some((q, _)) = self.quote {
                match (q, c) {
                    (Quote::Single, '\'') if next == Some('\'') => i += 1,
                    (Quote::Single, '\'') | (Quote::Double, '"') => {
                        self.quote = None;
                        token_start = false;
                    }
                    (Quote::Double, '\\') => i += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            if c == '#' && after_space {
                break; // a comment
            }
            let in_flow = !self.flow.is_empty();
            let ends_value = |n: Option<char>| {
                n.is_none_or(|n| n == ' ' || n == '\t' || (in_flow && ",[]{}".contains(n)))
            };
            if block_plain {
                // A plain scalar in block context runs to `: ` or the line's end.
                if c == ':' && ends_value(next) {
                    block_plain = false;
                    token_start = true;
                }
                i += 1;
                continue;
            }
            if self.plain {
                match c {
                    ':' if ends_value(next) => {
                        self.plain = false;
                        token_start = true;
                    }
                    ',' => {
                        self.plain = false;
                        token_start = true;
                    }
                    ']' | '}' => {
                        self.plain = false;
                        self.flow.pop();
                        token_start = false;
                    }
                    _ => {}
                }
                i += 1;
                continue;
            }
            match c {
                ' ' | '\t' => token_start = true,
                '\'' | '"' if token_start => {
                    let q = if c == '\'' {
                        Quote::Single
                    } else {
                        Quote::Double
                    };
                    self.quote = Some((q, i));
                }
                '[' | '{' if token_start => {
                    self.flow.push(i);
                    token_start = true;
                }
                ']' | '}' if in_flow => {
                    self.flow.pop();
                    token_start = false;
                }
                ',' if in_flow => token_start = true,
                ':' if ends_value(next) => token_start = true,
                '|' | '>' if token_start && !in_flow => {
                    self.block_scalar = Some(indent);
                    break;
                }
                '-' | '?' if token_start && !in_flow && ends_value(next) => token_start = true,
                '!' | '&' | '*' if token_start => {
                    // A tag, an anchor or an alias: up to the next blank (or flow indicator).
                    while i + 1 < chars.len()
                        && !matches!(chars[i + 1], ' ' | '\t')
                        && !(in_flow && ",[]{}".contains(chars[i + 1]))
                    {
                        i += 1;
                    }
                    token_start = true;
                }
                _ if token_start => {
                    if in_flow {
                        self.plain = true;
                    } else {
                        block_plain = true;
                    }
                    token_start = false;
                }
                _ => {}
            }
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_continuations_are_indented_past_their_bracket() {
        let text = "a:\n  b: [\n x,\ny ]\n  c: {\nk: v}\n";
        let p = pad_continuations(text).expect("needs padding");
        assert_eq!(
            p.text,
            "a:\n  b: [\n      x,\n      y ]\n  c: {\n      k: v}\n"
        );
        // `y` is at byte 21 of the copy and byte 14 of the original.
        assert_eq!(
            p.original_offset(p.text.find('y').unwrap()),
            text.find('y').unwrap()
        );
        assert_eq!(p.on_line(3), 5);
    }

    #[test]
    fn brackets_in_quotes_comments_plain_and_block_scalars_do_not_count() {
        let text =
            "a: 'x [' # [\nb: it's [not] a list\nc: |\n  [ text\nd: \"q [\"\ne: http://x/[y]\n";
        assert!(pad_continuations(text).is_none());
    }

    #[test]
    fn quoted_scalar_continuations_are_padded() {
        let text = "a:\n  b: \"one\ntwo\"\n";
        let p = pad_continuations(text).expect("needs padding");
        assert_eq!(p.text, "a:\n  b: \"one\n      two\"\n");
    }

    #[test]
    fn tags_inside_flow_collections() {
        let text = "a: [!Ref x,\n!GetAtt y.z]\nb: 1\n";
        let p = pad_continuations(text).expect("needs padding");
        assert_eq!(p.text, "a: [!Ref x,\n    !GetAtt y.z]\nb: 1\n");
    }
}
