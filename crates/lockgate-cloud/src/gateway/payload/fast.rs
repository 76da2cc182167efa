//! The usual format 2.0 result read without a JSON tree and without a
//! general JSON reader: one pass over the bytes, strings without escapes
//! borrowed from them. Every field must be of the type the general reader
//! expects; anything else — not an object, a field of another type, a
//! float, a repeated name, JSON `serde_json` would refuse — answers `None`,
//! and the general reader (in `result`, with its error messages) decides.
//! For what this reads, both give the same response (a test compares them).

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue, SET_COOKIE};

use super::MappedResponse;
use super::json::escape_at;
use super::result::push_header;

/// Deeper values than this are left to the general reader (whose own limit,
/// `serde_json`'s 128, is above it).
const MAX_DEPTH: usize = 64;

/// Results with more headers than this are left to the general reader.
const MAX_HEADERS: usize = 32;

/// A JSON value as a header, cookie or status needs it.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    /// An integer `serde_json` reads as one (not `-0`, within `i64` or
    /// `u64`), as its text (which has no leading zeros: the text a
    /// formatter would write).
    Int(&'a str),
    Bool(bool),
    /// A float, null, object or list: the general reader's business.
    Other,
}

impl Scalar<'_> {
    /// The value as header text: a string without escapes is a slice of
    /// `output` (which it was read from), not a copy.
    fn into_bytes(self, output: &Bytes) -> Option<Bytes> {
        match self {
            Scalar::Str(Cow::Borrowed(s)) | Scalar::Int(s) => Some(output.slice_ref(s.as_bytes())),
            Scalar::Str(Cow::Owned(s)) => Some(Bytes::from(s)),
            Scalar::Bool(b) => Some(Bytes::from_static(if b { b"true" } else { b"false" })),
            Scalar::Other => None,
        }
    }
}

/// A reader over a document known to be UTF-8: every index it slices at
/// is next to an ASCII byte of the JSON syntax, so on a character boundary.
struct Reader<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        while let Some(&b) = self.bytes().get(self.at) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.at += 1;
        }
        None
    }

    /// Consumes `b` (after whitespace), or answers `None`.
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.at += 1)
    }

    /// A string (after whitespace): borrowed when it holds no escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.at;
        let bytes = self.bytes();
        // The end of the string, or its first escape, looked for eight
        // bytes at a time.
        self.at += escape_at(&bytes[start..])?;
        match bytes[self.at] {
            b'"' => {
                let s = &self.text[start..self.at];
                self.at += 1;
                return Some(Cow::Borrowed(s));
            }
            b'\\' => {}
            _ => return None,
        }
        let mut out = String::with_capacity(self.at - start + 16);
        out.push_str(&self.text[start..self.at]);
        loop {
            match *bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    self.at += 1;
                    let c = match *bytes.get(self.at)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.at += 1;
                            let unit = self.hex4()?;
                            let code = match unit {
                                0xD800..=0xDBFF => {
                                    // A leading surrogate needs its trailing one.
                                    if bytes.get(self.at..self.at + 2)? != b"\\u" {
                                        return None;
                                    }
                                    self.at += 2;
                                    let low = self.hex4()?;
                                    if !(0xDC00..=0xDFFF).contains(&low) {
                                        return None;
                                    }
                                    0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                                }
                                0xDC00..=0xDFFF => return None,
                                _ => unit,
                            };
                            out.push(char::from_u32(code)?);
                            continue;
                        }
                        _ => return None,
                    };
                    out.push(c);
                    self.at += 1;
                }
                b if b < 0x20 => return None,
                _ => {
                    // A run without escapes, copied in one piece.
                    let run = self.at;
                    self.at += escape_at(&bytes[run..])?;
                    out.push_str(&self.text[run..self.at]);
                }
            }
        }
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes().get(self.at..self.at + 4)?;
        let mut n = 0;
        for &d in digits {
            n = n * 16 + char::from(d).to_digit(16)?;
        }
        self.at += 4;
        Some(n)
    }

    /// A number (at the reader, whitespace skipped), checked against
    /// JSON's grammar; an integer `serde_json` reads as one is answered as
    /// its text.
    fn number(&mut self) -> Option<Scalar<'a>> {
        let bytes = self.bytes();
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while bytes.get(r.at).is_some_and(u8::is_ascii_digit) {
                r.at += 1;
            }
            r.at - from
        };
        let negative = bytes.get(self.at) == Some(&b'-');
        if negative {
            self.at += 1;
        }
        let int_start = self.at;
        let n = digits(self);
        if n == 0 || (n > 1 && bytes[int_start] == b'0') {
            return None;
        }
        let mut float = false;
        if bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return None;
            }
            float = true;
        }
        if matches!(bytes.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(bytes.get(self.at), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return None;
            }
            float = true;
        }
        let text = &self.text[start..self.at];
        // `serde_json` reads `-0`, and integers beyond `i64`/`u64`, as floats.
        let int = !float
            && if negative {
                text != "-0" && text.parse::<i64>().is_ok()
            } else {
                text.parse::<u64>().is_ok()
            };
        if int {
            return Some(Scalar::Int(text));
        }
        // It refuses a float out of range: anything near the edges of
        // `f64` is left to it.
        let exponent_digits = text
            .find(['e', 'E'])
            .map_or(0, |e| text[e + 1..].trim_start_matches(['+', '-']).len());
        let v: f64 = text.parse().ok()?;
        let ordinary = v == 0.0 || (1e-300..1e300).contains(&v.abs());
        (exponent_digits <= 3 && ordinary).then_some(Scalar::Other)
    }

    /// `true`, `false` or `null` (at the reader, whitespace skipped).
    fn literal(&mut self) -> Option<Scalar<'a>> {
        let rest = &self.bytes()[self.at..];
        let (scalar, len) = if rest.starts_with(b"true") {
            (Scalar::Bool(true), 4)
        } else if rest.starts_with(b"false") {
            (Scalar::Bool(false), 5)
        } else if rest.starts_with(b"null") {
            (Scalar::Other, 4)
        } else {
            return None;
        };
        self.at += len;
        Some(scalar)
    }

    /// Any value (after whitespace): a scalar, or `Other` for an object or
    /// list, read to its end and checked.
    fn value(&mut self, depth: usize) -> Option<Scalar<'a>> {
        match self.peek()? {
            b'"' => self.string().map(Scalar::Str),
            b'{' => {
                self.object(depth + 1, |r, _| r.value(depth + 1).map(drop))?;
                Some(Scalar::Other)
            }
            b'[' => {
                self.list(depth + 1, |r| r.value(depth + 1).map(drop))?;
                Some(Scalar::Other)
            }
            b't' | b'f' | b'n' => self.literal(),
            _ => self.number(),
        }
    }

    /// An object (after whitespace), each member's value read by `member`
    /// with its name.
    fn object(
        &mut self,
        depth: usize,
        mut member: impl FnMut(&mut Self, Cow<'a, str>) -> Option<()>,
    ) -> Option<()> {
        self.items(depth, [b'{', b'}'], |r| {
            let name = r.string()?;
            r.eat(b':')?;
            member(r, name)
        })
    }

    /// A list (after whitespace), each element read by `element`.
    fn list(&mut self, depth: usize, element: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.items(depth, [b'[', b']'], element)
    }

    /// Comma-separated items between `open` and `close` (after
    /// whitespace), each read by `item`.
    fn items(
        &mut self,
        depth: usize,
        [open, close]: [u8; 2],
        mut item: impl FnMut(&mut Self) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(open)?;
        if self.peek()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b if b == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }
}

/// The fields of a 2.0 result, as read.
#[derive(Default)]
struct Result2<'a> {
    /// `None`: absent (the whole result is then the body).
    status: Option<Scalar<'a>>,
    /// As they go on the wire, in order; a repeated name is refused (the
    /// general reader keeps its last value).
    headers: Vec<(HeaderName, HeaderValue)>,
    cookies: Option<Vec<Scalar<'a>>>,
    body: Option<Cow<'a, str>>,
    base64: bool,
    /// Which of the five fields were present (a repeated one is refused,
    /// as `serde`'s derived readers refuse it).
    seen: u8,
}

impl<'a> Result2<'a> {
    /// Reads the result from `r`, whose text is `output`'s.
    fn read(r: &mut Reader<'a>, output: &Bytes) -> Option<Result2<'a>> {
        let mut out = Result2::default();
        r.object(1, |r, name| {
            let bit = match &*name {
                "statusCode" => 1,
                "headers" => 2,
                "cookies" => 4,
                "body" => 8,
                "isBase64Encoded" => 16,
                _ => return r.value(1).map(drop),
            };
            if out.seen & bit != 0 {
                return None;
            }
            out.seen |= bit;
            match bit {
                1 => out.status = Some(r.value(1)?),
                2 if r.peek()? == b'{' => {
                    // The names so far, for repeats: a result with more
                    // headers, or a name with escapes, is the general
                    // reader's.
                    let mut names = [""; MAX_HEADERS];
                    let mut count = 0;
                    r.object(2, |r, name| {
                        let Cow::Borrowed(name) = name else {
                            return None;
                        };
                        if count == MAX_HEADERS || names[..count].contains(&name) {
                            return None;
                        }
                        names[count] = name;
                        count += 1;
                        let value = r.value(2)?.into_bytes(output)?;
                        push_header(&mut out.headers, name, value);
                        Some(())
                    })?;
                }
                4 if r.peek()? == b'[' => {
                    let mut cookies = Vec::new();
                    r.list(2, |r| {
                        cookies.push(r.value(2)?);
                        Some(())
                    })?;
                    out.cookies = Some(cookies);
                }
                8 if r.peek()? == b'"' => out.body = Some(r.string()?),
                // `null` for the three above; any value for the flag.
                2 | 4 | 8 => r
                    .literal()
                    .filter(|v| matches!(v, Scalar::Other))
                    .map(drop)?,
                _ => out.base64 = matches!(r.value(1)?, Scalar::Bool(true)),
            }
            Some(())
        })?;
        // Nothing but whitespace after the object.
        match r.peek() {
            None => Some(out),
            Some(_) => None,
        }
    }
}

pub(super) fn response_v2(output: &Bytes) -> Option<MappedResponse> {
    let text = std::str::from_utf8(output).ok()?;
    let mut r = Result2::read(&mut Reader { text, at: 0 }, output)?;
    let Some(status) = r.status else {
        return Some(super::result::json_as_is(output));
    };
    let status: u64 = match status {
        Scalar::Int(n) => n.parse().ok()?,
        Scalar::Str(s) => s.parse().ok()?,
        _ => return None,
    };
    if !(100..=599).contains(&status) {
        return None;
    }
    for c in r.cookies.into_iter().flatten() {
        push_header(&mut r.headers, SET_COOKIE.as_str(), c.into_bytes(output)?);
    }
    let body = match (r.body, r.base64) {
        (None, _) => Bytes::new(),
        (Some(text), true) => Bytes::from(B64.decode(text.as_bytes()).ok()?),
        // A body without escapes is a slice of the output, not a copy.
        (Some(Cow::Borrowed(text)), false) => output.slice_ref(text.as_bytes()),
        (Some(Cow::Owned(text)), false) => Bytes::from(text),
    };
    Some(MappedResponse {
        status: status as u16,
        headers: r.headers,
        body,
    })
}
