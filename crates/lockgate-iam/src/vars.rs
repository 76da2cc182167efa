//! Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'none'}`,
//! `${*}`, `${?}`, `${$}`) and the request context they read.

use std::collections::HashMap;

use crate::glob::Tok;

/// The values of a context key, found case-insensitively as IAM finds
/// condition keys ("Key names are case-insensitive"). A key mapped to an
/// empty list counts as absent.
pub(crate) fn lookup<'c>(
    context: &'c HashMap<String, Vec<String>>,
    key: &str,
) -> Option<&'c [String]> {
    let values = match context.get(key) {
        Some(values) => values,
        None => context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))?.1,
    };
    (!values.is_empty()).then_some(values.as_slice())
}

/// Whether the caller put `key` in the context at all (found
/// case-insensitively), even with no value: it then says what the request
/// holds for it.
pub(crate) fn in_context(context: &HashMap<String, Vec<String>>, key: &str) -> bool {
    context.contains_key(key) || context.keys().any(|k| k.eq_ignore_ascii_case(key))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Tok(Tok),
    Var {
        key: String,
        default: Option<String>,
    },
}

/// A policy string (a `Resource`, a condition value) with its variables
/// found, ready to be resolved against a request's context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// Reads `s`. With `variables` false (a policy without
    /// `"Version": "2012-10-17"`, or an operator that takes no variables),
    /// `${...}` is literal text.
    pub(crate) fn parse(s: &str, variables: bool) -> Template {
        let chars: Vec<char> = s.chars().collect();
        let mut pieces = Vec::with_capacity(chars.len());
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if variables
                && c == '$'
                && chars.get(i + 1) == Some(&'{')
                && let Some(len) = chars[i + 2..].iter().position(|&c| c == '}')
                && let Some(piece) = variable(&chars[i + 2..i + 2 + len].iter().collect::<String>())
            {
                pieces.push(piece);
                i += len + 3;
                continue;
            }
            pieces.push(Piece::Tok(match c {
                '*' => Tok::Star,
                '?' => Tok::Quest,
                c => Tok::Lit(c),
            }));
            i += 1;
        }
        Template { pieces }
    }

    /// The context keys its variables read (`aws:username` of
    /// `home/${aws:username}/*`).
    pub(crate) fn variables(&self) -> impl Iterator<Item = &str> {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Var { key, .. } => Some(key.as_str()),
            Piece::Tok(_) => None,
        })
    }

    /// The tokens with every variable substituted from `context`; `None`
    /// when a variable cannot be resolved (its key is absent and it has no
    /// default, or the key holds several values), which IAM documents as
    /// making the statement invalid: it then neither allows nor denies.
    /// Substituted values are literal: a `*` in a user name is no wildcard.
    pub(crate) fn resolve(&self, context: &HashMap<String, Vec<String>>) -> Option<Vec<Tok>> {
        let mut out = Vec::with_capacity(self.pieces.len());
        for piece in &self.pieces {
            match piece {
                Piece::Tok(t) => out.push(t.clone()),
                Piece::Var { key, default } => {
                    let value = match lookup(context, key) {
                        Some([one]) => one.as_str(),
                        Some(_) => return None,
                        None => default.as_deref()?,
                    };
                    out.extend(value.chars().map(Tok::Lit));
                }
            }
        }
        Some(out)
    }
}

/// The piece `${inner}` stands for, or `None` when it is no variable (then
/// the text stays literal).
fn variable(inner: &str) -> Option<Piece> {
    match inner {
        "*" => return Some(Piece::Tok(Tok::Lit('*'))),
        "?" => return Some(Piece::Tok(Tok::Lit('?'))),
        "$" => return Some(Piece::Tok(Tok::Lit('$'))),
        _ => {}
    }
    let (key, default) = match inner.split_once(',') {
        None => (inner.trim(), None),
        Some((key, rest)) => {
            let rest = rest.trim();
            let quoted = rest.len() >= 2 && rest.starts_with('\'') && rest.ends_with('\'');
            if !quoted {
                return None;
            }
            (key.trim(), Some(rest[1..rest.len() - 1].to_string()))
        }
    };
    if key.is_empty() || key.chars().any(char::is_whitespace) {
        return None;
    }
    Some(Piece::Var {
        key: key.to_string(),
        default,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::spell;

    use crate::test_context as ctx;

    fn resolved(s: &str, context: &HashMap<String, Vec<String>>) -> Option<String> {
        Template::parse(s, true).resolve(context).map(|t| spell(&t))
    }

    #[test]
    fn substitutes_from_the_context_case_insensitively() {
        let c = ctx(&[
            ("aws:username", &["alice"]),
            ("aws:PrincipalTag/team", &["blue"]),
        ]);
        assert_eq!(
            resolved("home/${aws:username}/*", &c).as_deref(),
            Some("home/alice/*")
        );
        assert_eq!(resolved("${AWS:UserName}", &c).as_deref(), Some("alice"));
        assert_eq!(
            resolved("t/${aws:principaltag/team}", &c).as_deref(),
            Some("t/blue")
        );
    }

    #[test]
    fn absent_key_is_unresolved_unless_defaulted() {
        let c = ctx(&[]);
        assert_eq!(resolved("x/${aws:username}", &c), None);
        assert_eq!(
            resolved("x/${aws:username, 'anonymous'}", &c).as_deref(),
            Some("x/anonymous")
        );
        let many = ctx(&[("aws:username", &["a", "b"])]);
        assert_eq!(resolved("${aws:username}", &many), None);
        let empty = ctx(&[("aws:username", &[])]);
        assert_eq!(resolved("${aws:username}", &empty), None);
    }

    #[test]
    fn special_characters_are_literal() {
        let t = Template::parse("a${*}b${?}c${$}d*", true)
            .resolve(&ctx(&[]))
            .unwrap();
        assert_eq!(t[1], Tok::Lit('*'));
        assert_eq!(t[3], Tok::Lit('?'));
        assert_eq!(t[5], Tok::Lit('$'));
        assert_eq!(t[7], Tok::Star);
    }

    #[test]
    fn substituted_values_are_literal() {
        let c = ctx(&[("aws:username", &["*"])]);
        let t = Template::parse("${aws:username}", true)
            .resolve(&c)
            .unwrap();
        assert_eq!(t, vec![Tok::Lit('*')]);
    }

    #[test]
    fn without_variables_dollar_braces_are_text() {
        let t = Template::parse("${aws:username}", false)
            .resolve(&ctx(&[]))
            .unwrap();
        assert_eq!(spell(&t), "${aws:username}");
        // Unclosed or malformed: literal.
        assert_eq!(resolved("a${b", &ctx(&[])).as_deref(), Some("a${b"));
        assert_eq!(resolved("${a, b}", &ctx(&[])).as_deref(), Some("${a, b}"));
    }
}
