//! Dynamic references: `{{resolve:ssm:…}}`, `{{resolve:ssm-secure:…}}`, `{{resolve:secretsmanager:…}}`.

use std::fmt;

/// A parsed dynamic reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DynamicRef {
    /// `{{resolve:ssm:NAME[:VERSION]}}`
    Ssm {
        /// Parameter name.
        name: String,
        /// Version, when pinned.
        version: Option<String>,
    },
    /// `{{resolve:ssm-secure:NAME[:VERSION]}}`
    SsmSecure {
        /// Parameter name.
        name: String,
        /// Version, when pinned.
        version: Option<String>,
    },
    /// `{{resolve:secretsmanager:SECRET-ID:SecretString:JSON-KEY:VERSION-STAGE:VERSION-ID}}`
    SecretsManager {
        /// Secret name or ARN.
        secret_id: String,
        /// A key in the secret's JSON, when given.
        json_key: Option<String>,
        /// Version stage, when given.
        version_stage: Option<String>,
        /// Version ID, when given.
        version_id: Option<String>,
    },
}

impl fmt::Display for DynamicRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DynamicRef::Ssm { name, version } | DynamicRef::SsmSecure { name, version } => {
                let kind = if matches!(self, DynamicRef::Ssm { .. }) {
                    "ssm"
                } else {
                    "ssm-secure"
                };
                write!(f, "{{{{resolve:{kind}:{name}")?;
                if let Some(v) = version {
                    write!(f, ":{v}")?;
                }
                f.write_str("}}")
            }
            DynamicRef::SecretsManager {
                secret_id,
                json_key,
                version_stage,
                version_id,
            } => {
                let o = |x: &Option<String>| x.clone().unwrap_or_default();
                write!(
                    f,
                    "{{{{resolve:secretsmanager:{secret_id}:SecretString:{}:{}:{}}}}}",
                    o(json_key),
                    o(version_stage),
                    o(version_id)
                )
            }
        }
    }
}

/// A malformed dynamic reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DynamicRefError {
    /// What is wrong.
    pub message: String,
    /// What was expected.
    pub help: String,
}

fn bad(message: String, help: &str) -> DynamicRefError {
    DynamicRefError {
        message,
        help: help.to_string(),
    }
}

const SSM_HELP: &str =
    "expected {{resolve:ssm:NAME}} or {{resolve:ssm:NAME:VERSION}} (VERSION a number)";
const SM_HELP: &str = "expected {{resolve:secretsmanager:SECRET-ID:SecretString:JSON-KEY:VERSION-STAGE:VERSION-ID}} (trailing parts optional)";

fn opt(s: Option<&str>) -> Option<String> {
    s.filter(|x| !x.is_empty()).map(str::to_string)
}

/// Parses the inside of `{{resolve:…}}` (without the braces).
pub fn parse_dynamic(inner: &str) -> Result<DynamicRef, DynamicRefError> {
    let Some(rest) = inner.strip_prefix("resolve:") else {
        return Err(bad(
            format!("`{{{{{inner}}}}}` is not a dynamic reference"),
            "expected {{resolve:SERVICE:…}}",
        ));
    };
    let (service, body) = rest.split_once(':').unwrap_or((rest, ""));
    match service {
        "ssm" | "ssm-secure" => {
            if body.is_empty() {
                return Err(bad(
                    format!("the dynamic reference `{{{{{inner}}}}}` names no parameter"),
                    SSM_HELP,
                ));
            }
            // Parameter names may not contain ':', except in ARNs; the version is the last
            // part only when it is all digits.
            let (name, version) = match body.rsplit_once(':') {
                Some((n, v)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                    (n, Some(v.to_string()))
                }
                Some((_, v)) if !body.starts_with("arn:") => {
                    return Err(bad(
                        format!(
                            "the version `{v}` in the dynamic reference `{{{{{inner}}}}}` is not a number"
                        ),
                        SSM_HELP,
                    ));
                }
                _ => (body, None),
            };
            if name.is_empty() || name.chars().any(char::is_whitespace) {
                return Err(bad(
                    format!("the parameter name in `{{{{{inner}}}}}` is invalid"),
                    SSM_HELP,
                ));
            }
            let name = name.to_string();
            Ok(if service == "ssm" {
                DynamicRef::Ssm { name, version }
            } else {
                DynamicRef::SsmSecure { name, version }
            })
        }
        "secretsmanager" => {
            // An ARN secret id contains ':' itself: arn:aws:secretsmanager:region:acct:secret:name
            let (secret_id, tail) = if body.starts_with("arn:") {
                let parts: Vec<&str> = body.splitn(8, ':').collect();
                if parts.len() < 7 {
                    return Err(bad(
                        format!("the secret ARN in `{{{{{inner}}}}}` is incomplete"),
                        SM_HELP,
                    ));
                }
                let id = parts[..7].join(":");
                (id, parts.get(7).copied().unwrap_or(""))
            } else {
                match body.split_once(':') {
                    Some((id, t)) => (id.to_string(), t),
                    None => (body.to_string(), ""),
                }
            };
            if secret_id.is_empty() {
                return Err(bad(
                    format!("the dynamic reference `{{{{{inner}}}}}` names no secret"),
                    SM_HELP,
                ));
            }
            let mut parts = if tail.is_empty() {
                Vec::new()
            } else {
                tail.split(':').collect::<Vec<_>>()
            };
            if parts.len() > 4 {
                return Err(bad(
                    format!("the dynamic reference `{{{{{inner}}}}}` has too many parts"),
                    SM_HELP,
                ));
            }
            parts.resize(4, "");
            if !parts[0].is_empty() && parts[0] != "SecretString" {
                return Err(bad(
                    format!(
                        "the dynamic reference `{{{{{inner}}}}}` must read `SecretString`, not `{}`",
                        parts[0]
                    ),
                    SM_HELP,
                ));
            }
            if !parts[2].is_empty() && !parts[3].is_empty() {
                return Err(bad(
                    format!(
                        "the dynamic reference `{{{{{inner}}}}}` gives both a version stage and a version id"
                    ),
                    "give either VERSION-STAGE or VERSION-ID, not both",
                ));
            }
            Ok(DynamicRef::SecretsManager {
                secret_id,
                json_key: opt(Some(parts[1])),
                version_stage: opt(Some(parts[2])),
                version_id: opt(Some(parts[3])),
            })
        }
        other => Err(bad(
            format!("`{other}` is not a dynamic reference service"),
            "expected ssm, ssm-secure or secretsmanager",
        )),
    }
}

/// Every `{{resolve:…}}` in a string, with its byte range; malformed ones as errors.
pub fn find_dynamic(s: &str) -> Vec<(std::ops::Range<usize>, Result<DynamicRef, DynamicRefError>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = s[from..].find("{{resolve:").map(|i| i + from) {
        match s[start..].find("}}") {
            Some(end) => {
                let inner = &s[start + 2..start + end];
                out.push((start..start + end + 2, parse_dynamic(inner)));
                from = start + end + 2;
            }
            None => {
                out.push((
                    start..s.len(),
                    Err(bad(
                        "a dynamic reference `{{resolve:…` is not closed with `}}`".into(),
                        "expected {{resolve:SERVICE:…}}",
                    )),
                ));
                break;
            }
        }
    }
    out
}

/// Resolves dynamic references when their values are known (at deploy time).
pub trait DynamicResolver {
    /// The value of `r`; `Ok(None)` leaves the reference in place (planning).
    fn resolve(&self, r: &DynamicRef) -> Result<Option<String>, String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_forms() {
        assert_eq!(
            parse_dynamic("resolve:ssm:/app/name:3").unwrap(),
            DynamicRef::Ssm {
                name: "/app/name".into(),
                version: Some("3".into())
            }
        );
        assert_eq!(
            parse_dynamic("resolve:ssm-secure:pw").unwrap(),
            DynamicRef::SsmSecure {
                name: "pw".into(),
                version: None
            }
        );
        assert_eq!(
            parse_dynamic("resolve:secretsmanager:MySecret:SecretString:password").unwrap(),
            DynamicRef::SecretsManager {
                secret_id: "MySecret".into(),
                json_key: Some("password".into()),
                version_stage: None,
                version_id: None
            }
        );
        let arn = "resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:S-abc:SecretString:k::v1";
        assert_eq!(
            parse_dynamic(arn).unwrap(),
            DynamicRef::SecretsManager {
                secret_id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:S-abc".into(),
                json_key: Some("k".into()),
                version_stage: None,
                version_id: Some("v1".into())
            }
        );
        assert_eq!(
            parse_dynamic("resolve:ssm:a:1").unwrap().to_string(),
            "{{resolve:ssm:a:1}}"
        );
    }

    #[test]
    fn malformed() {
        for (inner, want) in [
            ("resolve:ssm:", "names no parameter"),
            ("resolve:ssm:name:latest", "is not a number"),
            ("resolve:s3:x", "not a dynamic reference service"),
            (
                "resolve:secretsmanager:S:SecretBinary",
                "must read `SecretString`",
            ),
            (
                "resolve:secretsmanager:S:SecretString:k:AWSCURRENT:v1",
                "both a version stage",
            ),
            (
                "resolve:secretsmanager:S:SecretString:a:b:c:d",
                "too many parts",
            ),
            ("resolve:secretsmanager:arn:aws:x", "incomplete"),
            ("resolve:secretsmanager:", "names no secret"),
            ("nope", "not a dynamic reference"),
        ] {
            let e = parse_dynamic(inner).unwrap_err();
            assert!(e.message.contains(want), "{inner}: {e}");
        }
        let found = find_dynamic("a {{resolve:ssm:x}} b {{resolve:ssm:y");
        assert_eq!(found.len(), 2);
        assert!(found[0].1.is_ok());
        assert!(
            found[1]
                .1
                .as_ref()
                .unwrap_err()
                .message
                .contains("not closed")
        );
    }
}
