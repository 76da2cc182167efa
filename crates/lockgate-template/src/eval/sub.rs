//! `Fn::Sub` template strings: `${Name}`, `${Resource.Attribute}`, `${!Literal}`.

/// One piece of a `Fn::Sub` string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubPart<'a> {
    /// Text copied as is.
    Text(&'a str),
    /// `${!X}`: the literal text `${X}` (holds `X`).
    Literal(&'a str),
    /// A variable: a parameter, pseudo parameter, resource, `Res.Attr`, or a name from the variable map.
    Var(&'a str),
}

/// Splits a `Fn::Sub` string into text and variables.
///
/// An unclosed `${` is copied literally, as CloudFormation does.
pub fn parse_sub(s: &str) -> Vec<SubPart<'_>> {
    let mut parts = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let bytes = s.as_bytes();
    while i + 1 < bytes.len() {
        if bytes[i] == b'$' && bytes[i + 1] == b'{' {
            let Some(close) = s[i + 2..].find('}') else {
                break;
            };
            let inner = &s[i + 2..i + 2 + close];
            if let Some(lit) = inner.strip_prefix('!') {
                if text_start < i {
                    parts.push(SubPart::Text(&s[text_start..i]));
                }
                parts.push(SubPart::Literal(lit));
            } else {
                if text_start < i {
                    parts.push(SubPart::Text(&s[text_start..i]));
                }
                parts.push(SubPart::Var(inner.trim()));
            }
            i = i + 2 + close + 1;
            text_start = i;
        } else {
            i += 1;
        }
    }
    if text_start < s.len() {
        parts.push(SubPart::Text(&s[text_start..]));
    }
    parts
}

/// The variables named in a `Fn::Sub` string.
pub fn sub_vars(s: &str) -> impl Iterator<Item = &str> {
    parse_sub(s).into_iter().filter_map(|p| match p {
        SubPart::Var(v) => Some(v),
        SubPart::Text(_) | SubPart::Literal(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_vars_and_literals() {
        let p = parse_sub("arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Fn.Arn}${");
        assert_eq!(
            p,
            vec![
                SubPart::Text("arn:"),
                SubPart::Var("AWS::Partition"),
                SubPart::Text(":s3:::"),
                SubPart::Var("Bucket"),
                SubPart::Text("/"),
                SubPart::Literal("Literal"),
                SubPart::Text("/"),
                SubPart::Var("Fn.Arn"),
                SubPart::Text("${"),
            ]
        );
        assert_eq!(sub_vars("${A}-${B.C}").collect::<Vec<_>>(), ["A", "B.C"]);
    }
}
