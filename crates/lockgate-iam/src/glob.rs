//! Wildcard matching: `*` and `?` as IAM reads them in actions, resources
//! and `StringLike` / `ArnLike` values.
//!
//! One matcher serves every place. Each wildcard carries whether it may
//! consume a colon, which is all that differs between a plain string glob
//! (`StringLike`, actions) and an ARN glob (`Resource`, `ArnLike`).

/// One element of a pattern once its policy variables are substituted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A character matched as itself (also what `${*}`, `${?}`, `${$}` and
    /// substituted variable values become).
    Lit(char),
    /// `*`: any run of characters, possibly empty.
    Star,
    /// `?`: exactly one character.
    Quest,
}

/// An element of a pattern ready for matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Lit(char),
    /// `*`; `colon` says whether it may consume `:`.
    Star {
        colon: bool,
    },
    /// `?`; `colon` says whether it may match `:`.
    Quest {
        colon: bool,
    },
}

/// The tokens of a literal string (no wildcard).
#[cfg(test)]
fn literal(s: &str) -> Vec<Tok> {
    s.chars().map(Tok::Lit).collect()
}

/// The string a token list spells when wildcards are taken literally
/// (`StringEquals` has no wildcards).
pub(crate) fn spell(toks: &[Tok]) -> String {
    toks.iter()
        .map(|t| match t {
            Tok::Lit(c) => *c,
            Tok::Star => '*',
            Tok::Quest => '?',
        })
        .collect()
}

/// The tokens of a pattern string: `*` and `?` are wildcards, everything
/// else is literal.
pub(crate) fn pattern(s: &str) -> Vec<Tok> {
    s.chars()
        .map(|c| match c {
            '*' => Tok::Star,
            '?' => Tok::Quest,
            c => Tok::Lit(c),
        })
        .collect()
}

/// Plain glob: `*` matches any run of characters (including `/` and `:`),
/// `?` exactly one. `fold_case` compares letters case-insensitively.
pub(crate) fn glob(pattern: &[Tok], text: &str, fold_case: bool) -> bool {
    let steps: Vec<Step> = pattern
        .iter()
        .map(|t| match t {
            Tok::Lit(c) => Step::Lit(*c),
            Tok::Star => Step::Star { colon: true },
            Tok::Quest => Step::Quest { colon: true },
        })
        .collect();
    run(&steps, text, fold_case)
}

/// ARN glob, as IAM documents it for `Resource` and the `Arn*` condition
/// operators: case-sensitive; in the first five colon-separated segments
/// (`arn`, partition, service, region, account) a wildcard stays inside its
/// segment, except a `*` that ends its segment, which "can expand to match
/// beyond the colon boundaries"; in the resource part (after the fifth
/// colon) `*` and `?` match anything, `/` and `:` included.
pub(crate) fn arn_glob(pattern: &[Tok], text: &str) -> bool {
    let mut steps = Vec::with_capacity(pattern.len());
    let mut segment = 0usize;
    for (i, t) in pattern.iter().enumerate() {
        let in_resource = segment >= 5;
        match t {
            Tok::Lit(c) => {
                if *c == ':' {
                    segment += 1;
                }
                steps.push(Step::Lit(*c));
            }
            Tok::Star => {
                let ends_segment = matches!(pattern.get(i + 1), None | Some(Tok::Lit(':')));
                steps.push(Step::Star {
                    colon: in_resource || ends_segment,
                });
            }
            Tok::Quest => steps.push(Step::Quest { colon: in_resource }),
        }
    }
    run(&steps, text, false)
}

/// Dynamic programming over (pattern prefix, text prefix): linear memory,
/// no exponential backtracking on patterns like `a*a*a*a*b`.
fn run(steps: &[Step], text: &str, fold_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
    let n = text.len();
    // row[j]: the steps so far match text[..j].
    let mut row = vec![false; n + 1];
    row[0] = true;
    let mut next = vec![false; n + 1];
    for step in steps {
        match *step {
            Step::Star { colon } => {
                next[0] = row[0];
                for j in 1..=n {
                    next[j] = row[j] || (next[j - 1] && (colon || text[j - 1] != ':'));
                }
            }
            Step::Quest { colon } => {
                next[0] = false;
                for j in 1..=n {
                    next[j] = row[j - 1] && (colon || text[j - 1] != ':');
                }
            }
            Step::Lit(c) => {
                next[0] = false;
                for j in 1..=n {
                    next[j] = row[j - 1] && same(c, text[j - 1], fold_case);
                }
            }
        }
        std::mem::swap(&mut row, &mut next);
        if !row.iter().any(|&b| b) {
            return false;
        }
    }
    row[n]
}

fn same(a: char, b: char, fold_case: bool) -> bool {
    a == b || (fold_case && a.to_lowercase().eq(b.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, t: &str) -> bool {
        glob(&pattern(p), t, false)
    }

    fn a(p: &str, t: &str) -> bool {
        arn_glob(&pattern(p), t)
    }

    #[test]
    fn plain_glob() {
        assert!(g("*", ""));
        assert!(g("*", "anything/at:all"));
        assert!(g("a*c", "abc"));
        assert!(g("a*c", "ac"));
        assert!(g("a*c", "a/b:c"));
        assert!(!g("a*c", "abd"));
        assert!(g("a?c", "abc"));
        assert!(!g("a?c", "ac"));
        assert!(!g("a?c", "abbc"));
        assert!(g("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaab"));
        assert!(!g("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaa"));
        assert!(!g("abc", "ABC"));
        assert!(glob(&pattern("ssm:get*"), "SSM:GetParameter", true));
    }

    #[test]
    fn literal_tokens_are_not_wildcards() {
        assert!(glob(&literal("a*"), "a*", false));
        assert!(!glob(&literal("a*"), "ab", false));
        assert_eq!(spell(&pattern("a*?b")), "a*?b");
    }

    #[test]
    fn arn_glob_spans_slash_and_colon_in_the_resource_part() {
        assert!(a(
            "arn:aws:s3:::bucket/*/test/*",
            "arn:aws:s3:::bucket/1/2/test/3/object.jpg"
        ));
        assert!(a(
            "arn:aws:lambda:us-east-1:123456789012:function:f*",
            "arn:aws:lambda:us-east-1:123456789012:function:f:live"
        ));
        assert!(a(
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/*",
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/a/b"
        ));
        assert!(!a(
            "arn:aws:ssm:us-east-1:123456789012:parameter/dev/*",
            "arn:aws:ssm:us-east-1:123456789012:parameter/prod/a"
        ));
    }

    #[test]
    fn arn_glob_segment_rules() {
        // A `*` filling a segment matches that segment.
        assert!(a(
            "arn:aws:logs:*:*:*",
            "arn:aws:logs:us-east-1:1:log-group:/x:*"
        ));
        // A `*` that ends a segment may run past colons ("arn:aws:*").
        assert!(a("arn:aws:*", "arn:aws:ssm:us-east-1:1:parameter/x"));
        assert!(a("*", "arn:aws:ssm:us-east-1:1:parameter/x"));
        // Inside a segment, `*` and `?` do not cross a colon.
        assert!(a("arn:aws:ssm:us-*-1:1:p", "arn:aws:ssm:us-east-1:1:p"));
        assert!(!a(
            "arn:aws:s*m:us-east-1:1:p",
            "arn:aws:s:x:sm:us-east-1:1:p"
        ));
        assert!(!a("arn:aws:ss?us-east-1:1:p", "arn:aws:ss:us-east-1:1:p"));
        // Case-sensitive.
        assert!(!a("arn:aws:s3:::Bucket", "arn:aws:s3:::bucket"));
    }
}
