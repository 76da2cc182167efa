//! SSM's requests: their JSON shapes, parameter names with selectors,
//! filters, paging tokens and the limits SSM checks.

use super::*;

/// A parameter name as a request gives it: a name or an ARN, optionally with
/// a `:version` (or `:label`) selector.
pub(super) struct NameRef {
    pub(super) name: ParameterName,
    pub(super) selector: Option<Selector>,
    /// The name as requested (for messages and `InvalidParameters`).
    pub(super) requested: String,
}

pub(super) enum Selector {
    Version(u64),
    Label(String),
}

impl Selector {
    pub(super) fn as_string(&self) -> String {
        match self {
            Selector::Version(v) => format!(":{v}"),
            Selector::Label(l) => format!(":{l}"),
        }
    }
}

pub(super) fn parse_name_ref(requested: &str, allow_selector: bool) -> ApiResult<NameRef> {
    // `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` — the ARN's resource part
    // has no leading `/` for top-level names and one `/` for hierarchies.
    let (base, selector) = if let Some(rest) = requested.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        let resource = parts.get(4).copied().unwrap_or("");
        let Some(path) = resource.strip_prefix("parameter/") else {
            return Err(ApiError::validation(format!(
                "`{requested}` is not a parameter ARN: expected arn:aws:ssm:REGION:ACCOUNT:parameter/NAME"
            )));
        };
        let (path, selector) = match path.split_once(':') {
            Some((p, s)) => (p, Some(s)),
            None => (path, None),
        };
        let name = if path.contains('/') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        (name, selector)
    } else {
        match requested.split_once(':') {
            Some((n, s)) => (n.to_string(), Some(s)),
            None => (requested.to_string(), None),
        }
    };
    let selector = match selector {
        None => None,
        Some(_) if !allow_selector => {
            return Err(ApiError::validation(format!(
                "`{requested}`: a version or label selector is not allowed here"
            )));
        }
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            let v = s.parse::<u64>().ok().filter(|v| *v > 0).ok_or_else(|| {
                ApiError::validation(format!(
                    "`{requested}`: version `{s}` is not a valid version"
                ))
            })?;
            Some(Selector::Version(v))
        }
        Some(s) if !s.is_empty() => Some(Selector::Label(s.to_string())),
        Some(_) => {
            return Err(ApiError::validation(format!(
                "`{requested}`: an empty selector after `:`"
            )));
        }
    };
    let name = ParameterName::new(base).map_err(ApiError::from_store)?;
    Ok(NameRef {
        name,
        selector,
        requested: requested.to_string(),
    })
}

pub(super) fn parse_body<'a, T: Deserialize<'a>>(body: &'a [u8], op: &str) -> ApiResult<T> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            "SerializationException",
            format!("cannot read the {op} request body: {e}"),
        )
    })
}

pub(super) fn check_max_results(value: Option<i64>, max: i64, field: &str) -> ApiResult<usize> {
    match value {
        None => Ok(max as usize),
        Some(v) if (1..=max).contains(&v) => Ok(v as usize),
        Some(v) => Err(ApiError::validation(format!(
            "1 validation error detected: Value '{v}' at '{field}' failed to satisfy constraint: Member must have value between 1 and {max}"
        ))),
    }
}

pub(super) fn encode_token(key: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("lockgate-v1:{key}"))
}

pub(super) fn decode_token(token: &str) -> ApiResult<String> {
    base64::engine::general_purpose::STANDARD
        .decode(token)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("lockgate-v1:").map(str::to_string))
        .ok_or_else(|| ApiError::new("InvalidNextToken", "The specified token isn't valid."))
}

/// A filter of GetParametersByPath / DescribeParameters.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ParameterFilter {
    pub(super) key: String,
    pub(super) option: Option<String>,
    #[serde(default)]
    pub(super) values: Vec<String>,
}

/// The filters this server understands, checked once.
#[derive(Default)]
pub(super) struct Filters {
    pub(super) types: Option<BTreeSet<String>>,
    pub(super) name_equals: Option<BTreeSet<String>>,
    pub(super) name_begins: Option<Vec<String>>,
    pub(super) path: Option<(String, bool)>,
}

impl Filters {
    pub(super) fn parse(filters: &[ParameterFilter], allow_name_and_path: bool) -> ApiResult<Self> {
        let mut out = Filters::default();
        for f in filters {
            let option = f.option.as_deref().unwrap_or("Equals");
            if f.values.is_empty() && f.key != "Path" {
                return Err(ApiError::new(
                    "InvalidFilterValue",
                    format!("The filter `{}` needs at least one value.", f.key),
                ));
            }
            match (f.key.as_str(), option) {
                ("Type", "Equals") => {
                    for v in &f.values {
                        ParameterType::parse(v).map_err(|_| {
                            ApiError::new(
                                "InvalidFilterValue",
                                format!(
                                    "The filter value `{v}` is not valid for Type: expected String, StringList or SecureString."
                                ),
                            )
                        })?;
                    }
                    out.types = Some(f.values.iter().cloned().collect());
                }
                ("DataType", "Equals") => {
                    if f.values.iter().any(|v| v != "text") {
                        return Err(ApiError::new(
                            "InvalidFilterValue",
                            "Lockgate stores only the DataType `text`.",
                        ));
                    }
                }
                ("Name", "Equals") if allow_name_and_path => {
                    out.name_equals = Some(f.values.iter().cloned().collect());
                }
                ("Name", "BeginsWith") if allow_name_and_path => {
                    out.name_begins = Some(f.values.clone());
                }
                ("Path", "Recursive" | "OneLevel") if allow_name_and_path => {
                    let [path] = f.values.as_slice() else {
                        return Err(ApiError::new(
                            "InvalidFilterValue",
                            "The Path filter takes exactly one value.",
                        ));
                    };
                    out.path = Some((path.clone(), option == "Recursive"));
                }
                (key, option) => {
                    return Err(ApiError::new(
                        "InvalidFilterKey",
                        format!(
                            "The filter `{key}` with option `{option}` is not supported by Lockgate: supported are Type (Equals), DataType (Equals){}.",
                            if allow_name_and_path {
                                ", Name (Equals, BeginsWith), Path (Recursive, OneLevel)"
                            } else {
                                ""
                            }
                        ),
                    ));
                }
            }
        }
        Ok(out)
    }

    pub(super) fn matches(&self, p: &Parameter) -> bool {
        let name = p.name.as_str();
        self.types
            .as_ref()
            .is_none_or(|t| t.contains(p.parameter_type().as_str()))
            && self.name_equals.as_ref().is_none_or(|n| n.contains(name))
            && self
                .name_begins
                .as_ref()
                .is_none_or(|b| b.iter().any(|prefix| name.starts_with(prefix.as_str())))
    }
}

pub(super) fn normalize_path(path: &str) -> String {
    if path.len() > 1 {
        path.trim_end_matches('/').to_string()
    } else {
        path.to_string()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetParameterRequest {
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) with_decryption: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetParametersRequest {
    pub(super) names: Option<Vec<String>>,
    #[serde(default)]
    pub(super) with_decryption: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetParametersByPathRequest {
    pub(super) path: Option<String>,
    /// Absent when the request leaves it out (`ssm:Recursive` is then
    /// absent too).
    #[serde(default)]
    pub(super) recursive: Option<bool>,
    #[serde(default)]
    pub(super) with_decryption: bool,
    #[serde(default)]
    pub(super) parameter_filters: Vec<ParameterFilter>,
    pub(super) max_results: Option<i64>,
    pub(super) next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetParameterHistoryRequest {
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) with_decryption: bool,
    pub(super) max_results: Option<i64>,
    pub(super) next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct LegacyFilter {
    pub(super) key: String,
    #[serde(default)]
    pub(super) values: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DescribeParametersRequest {
    #[serde(default)]
    pub(super) filters: Vec<LegacyFilter>,
    #[serde(default)]
    pub(super) parameter_filters: Vec<ParameterFilter>,
    pub(super) max_results: Option<i64>,
    pub(super) next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct PutParameterRequest {
    pub(super) name: Option<String>,
    pub(super) value: Option<String>,
    #[serde(rename = "Type")]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) overwrite: bool,
    pub(super) description: Option<String>,
    pub(super) data_type: Option<String>,
    pub(super) tier: Option<String>,
    #[serde(default)]
    pub(super) tags: Vec<Value>,
    pub(super) allowed_pattern: Option<String>,
    pub(super) policies: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteParameterRequest {
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteParametersRequest {
    pub(super) names: Option<Vec<String>>,
}

pub(super) fn required<T>(value: Option<T>, field: &str) -> ApiResult<T> {
    value.ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

pub(super) fn check_names_len(names: &[String], field: &str) -> ApiResult<()> {
    if names.is_empty() || names.len() > 10 {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length between 1 and 10 (got {})",
            names.len()
        )));
    }
    Ok(())
}
