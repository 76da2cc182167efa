//! `AllowedPattern` in CloudFormation's regular-expression dialect, which is
//! Java's (`java.util.regex`): compiled with `fancy-regex` (lookahead,
//! lookbehind, atomic groups, possessive quantifiers, backreferences) after
//! the few Java spellings it does not share are rewritten:
//!
//! - `\Q…\E` quoting;
//! - the POSIX classes `\p{Lower}`, `\p{Alpha}`, `\p{Punct}`, … (ASCII in
//!   Java) and their negations `\P{…}`; `\p{IsAlphabetic}`-style names;
//! - `\d`, `\w`, `\s` and their negations, which are ASCII in Java;
//! - `\h`, `\v` (horizontal and vertical white space), `\Z`.
//!
//! The whole value must match, as CloudFormation checks it (`matches()`).

/// A parameter's `AllowedPattern`: the text as written and, when it
/// compiles, the expression.
#[derive(Debug, Clone)]
pub struct AllowedPattern {
    /// The pattern as written in the template.
    pub source: String,
    /// The compiled expression (anchored to the whole value), when it compiles.
    pub regex: Option<fancy_regex::Regex>,
    /// Why it does not compile, when it does not.
    pub error: Option<String>,
}

impl AllowedPattern {
    /// Compiles a Java-dialect pattern.
    pub fn new(source: &str) -> AllowedPattern {
        let translated = java_to_fancy(source);
        match fancy_regex::Regex::new(&format!(r"\A(?:{translated})\z")) {
            Ok(regex) => AllowedPattern {
                source: source.to_string(),
                regex: Some(regex),
                error: None,
            },
            Err(e) => AllowedPattern {
                source: source.to_string(),
                regex: None,
                error: Some(
                    e.to_string()
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim()
                        .to_string(),
                ),
            },
        }
    }

    /// Whether `value` matches: `None` when that cannot be told (the pattern
    /// does not compile, or matching gave up on a pathological backtrack).
    pub fn matches(&self, value: &str) -> Option<bool> {
        self.regex.as_ref()?.is_match(value).ok()
    }
}

/// The class body (without brackets) of a POSIX class name as Java reads it.
fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r##"!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##,
        "Graph" => r##"a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##,
        "Print" => r##" a-zA-Z0-9!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~"##,
        "Blank" => r" \t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r" \t\n\x0B\f\r",
        _ => return None,
    })
}

/// Rewrites the Java spellings `fancy-regex` reads otherwise (see the module docs).
pub fn java_to_fancy(src: &str) -> String {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() + 8);
    let mut i = 0;
    let mut class_depth = 0usize;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let e = chars[i + 1];
                i += 2;
                match e {
                    'Q' => {
                        // Literal text up to `\E` (or the end).
                        let mut lit = String::new();
                        while i < chars.len()
                            && !(chars[i] == '\\' && chars.get(i + 1) == Some(&'E'))
                        {
                            lit.push(chars[i]);
                            i += 1;
                        }
                        i = (i + 2).min(chars.len());
                        out.push_str(&escape_literal(&lit));
                    }
                    'p' | 'P' if chars.get(i) == Some(&'{') => {
                        let close = chars[i..].iter().position(|c| *c == '}').map(|p| i + p);
                        let Some(close) = close else {
                            out.push('\\');
                            out.push(e);
                            continue;
                        };
                        let name: String = chars[i + 1..close].iter().collect();
                        i = close + 1;
                        let neg = if e == 'P' { "^" } else { "" };
                        if let Some(body) = posix_class(&name) {
                            out.push_str(&format!("[{neg}{body}]"));
                        } else {
                            let name = name
                                .strip_prefix("Is")
                                .or_else(|| name.strip_prefix("java"))
                                .unwrap_or(&name);
                            out.push_str(&format!("\\{e}{{{name}}}"));
                        }
                    }
                    'd' => out.push_str(if class_depth > 0 { "0-9" } else { "[0-9]" }),
                    'D' => out.push_str("[^0-9]"),
                    'w' => out.push_str(if class_depth > 0 {
                        "a-zA-Z_0-9"
                    } else {
                        "[a-zA-Z_0-9]"
                    }),
                    'W' => out.push_str("[^a-zA-Z_0-9]"),
                    's' => out.push_str(if class_depth > 0 {
                        r" \t\n\x0B\f\r"
                    } else {
                        r"[ \t\n\x0B\f\r]"
                    }),
                    'S' => out.push_str(r"[^ \t\n\x0B\f\r]"),
                    'h' => out.push_str(
                        r"[ \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]",
                    ),
                    'H' => out.push_str(
                        r"[^ \t\xA0\x{1680}\x{180e}\x{2000}-\x{200a}\x{202f}\x{205f}\x{3000}]",
                    ),
                    'v' => out.push_str(r"[\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
                    'V' => out.push_str(r"[^\n\x0B\f\r\x{85}\x{2028}\x{2029}]"),
                    'Z' => out.push_str(r"(?=\n?\z)"),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
                continue;
            }
            '[' => {
                class_depth += 1;
                out.push('[');
                // `[]` / `[^]` open with a literal `]` in Java too.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(']');
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

fn escape_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$#&-~ ".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, v: &str) -> bool {
        AllowedPattern::new(p)
            .matches(v)
            .unwrap_or_else(|| panic!("{p} compiles"))
    }

    #[test]
    fn java_features() {
        // Lookahead: a password with a digit and a letter.
        let pw = "(?=.*[0-9])(?=.*[a-zA-Z]).{8,}";
        assert!(m(pw, "abcdefg1"));
        assert!(!m(pw, "abcdefgh"));
        // Lookbehind.
        assert!(m(r"[a-z]+(?<!-)", "abc"));
        // Possessive quantifiers and atomic groups.
        assert!(m(r"[a-z]*+[0-9]", "abc1"));
        assert!(!m(r"[a-z]*+c", "abc"));
        assert!(m(r"(?>a|ab)c", "ac"));
        // Backreferences.
        assert!(m(r"(a)\1", "aa"));
        // POSIX classes, quoting, ASCII \w.
        assert!(m(r"\p{Alpha}[\p{Alnum}\-]*", "my-stack1"));
        assert!(!m(r"\p{Alpha}+", "é"));
        assert!(m(r"\Qa.b\E", "a.b"));
        assert!(!m(r"\Qa.b\E", "axb"));
        assert!(!m(r"\w+", "é"));
        assert!(m(r"[\w-]+", "a-b_c"));
    }

    #[test]
    fn the_whole_value_must_match() {
        assert!(!m("[a-z]+", "abc1"));
        assert!(!m("a|b", "ab"));
    }

    #[test]
    fn a_pattern_that_does_not_compile_says_why() {
        let p = AllowedPattern::new("[a-z");
        assert!(p.regex.is_none());
        assert!(p.error.is_some());
        assert_eq!(p.matches("a"), None);
    }
}
