//! Signature Version 4 itself: the request as SigV4 sees it, the
//! `Authorization` header, verifying and signing.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only signing algorithm SigV4 defines for requests.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// How far a request's `X-Amz-Date` may be from the server's clock, as AWS
/// allows (15 minutes either way).
pub const MAX_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(15);

/// The `x-amz-content-sha256` value of a request whose body is not signed;
/// refused, since the body would not be covered by the signature.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// An HTTP request as SigV4 sees it, free of any framework's types.
#[derive(Clone, Debug)]
pub struct SignedRequest<'a> {
    /// The method (`POST`).
    pub method: &'a str,
    /// The path as sent on the wire, still percent-encoded (`/`).
    pub path: &'a str,
    /// The query string as sent, without `?` (empty when none).
    pub query: &'a str,
    /// Every header as (name, value); names in any case, repeated names allowed.
    pub headers: Vec<(&'a str, &'a str)>,
    /// The body.
    pub body: &'a [u8],
}

impl<'a> SignedRequest<'a> {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// A parsed SigV4 `Authorization` header:
/// `AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ssm/aws4_request,
/// SignedHeaders=host;x-amz-date, Signature=<64 hex>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization {
    /// The access key id.
    pub access_key_id: String,
    /// The credential scope's date, `YYYYMMDD`.
    pub date: String,
    /// The credential scope's region (`us-east-1`).
    pub region: String,
    /// The credential scope's service (`ssm`).
    pub service: String,
    /// The signed header names, lowercase, in the order given (sorted by SDKs).
    pub signed_headers: Vec<String>,
    /// The signature, 64 lowercase hex digits.
    pub signature: String,
}

impl Authorization {
    /// Parses an `Authorization` header value.
    pub fn parse(header: &str) -> Result<Self, SigV4Error> {
        let malformed = |reason: String| SigV4Error::Malformed(reason);
        let header = header.trim();
        let (algorithm, rest) = header.split_once(' ').ok_or_else(|| {
            malformed(format!(
                "expected `{ALGORITHM} Credential=…, SignedHeaders=…, Signature=…`, got `{}`",
                truncate(header)
            ))
        })?;
        if algorithm != ALGORITHM {
            return Err(SigV4Error::UnsupportedAlgorithm(truncate(algorithm)));
        }
        let mut credential = None;
        let mut signed_headers = None;
        let mut signature = None;
        for part in rest.split(',') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let (key, value) = part.split_once('=').ok_or_else(|| {
                malformed(format!(
                    "expected `Key=Value` in the Authorization header, got `{}`",
                    truncate(part)
                ))
            })?;
            let slot = match key {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed_headers,
                "Signature" => &mut signature,
                other => {
                    return Err(malformed(format!(
                        "unknown Authorization header component `{}`: expected Credential, SignedHeaders or Signature",
                        truncate(other)
                    )));
                }
            };
            if slot.replace(value.to_string()).is_some() {
                return Err(malformed(format!(
                    "`{key}` appears twice in the Authorization header"
                )));
            }
        }
        let credential = credential
            .ok_or_else(|| malformed("the Authorization header has no `Credential=`".into()))?;
        let signed_headers = signed_headers
            .ok_or_else(|| malformed("the Authorization header has no `SignedHeaders=`".into()))?;
        let signature = signature
            .ok_or_else(|| malformed("the Authorization header has no `Signature=`".into()))?;

        let scope: Vec<&str> = credential.split('/').collect();
        let [key_id, date, region, service, terminator] = scope[..] else {
            return Err(malformed(format!(
                "Credential `{}` should be ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request",
                truncate(&credential)
            )));
        };
        if terminator != "aws4_request" {
            return Err(malformed(format!(
                "Credential scope ends in `{}`, expected `aws4_request`",
                truncate(terminator)
            )));
        }
        if key_id.is_empty() || region.is_empty() || service.is_empty() {
            return Err(malformed(format!(
                "Credential `{}` has an empty access key id, region or service",
                truncate(&credential)
            )));
        }
        if date.len() != 8 || !date.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed(format!(
                "Credential date `{}` is not YYYYMMDD",
                truncate(date)
            )));
        }
        let signed: Vec<String> = signed_headers.split(';').map(str::to_string).collect();
        if signed.iter().any(|h| {
            h.is_empty()
                || h.bytes()
                    .any(|b| b.is_ascii_uppercase() || b.is_ascii_whitespace())
        }) {
            return Err(malformed(format!(
                "SignedHeaders `{}` should be lowercase header names separated by `;`",
                truncate(&signed_headers)
            )));
        }
        if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(malformed(format!(
                "Signature `{}` should be 64 hex digits",
                truncate(&signature)
            )));
        }
        Ok(Self {
            access_key_id: key_id.to_string(),
            date: date.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            signed_headers: signed,
            signature: signature.to_ascii_lowercase(),
        })
    }

    /// The credential scope: `DATE/REGION/SERVICE/aws4_request`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }
}

fn truncate(s: &str) -> String {
    const MAX: usize = 120;
    if s.len() <= MAX {
        s.to_string()
    } else {
        let mut end = MAX;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

/// Why a request's signature was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum SigV4Error {
    /// No `Authorization` header.
    #[error("the request has no Authorization header: sign it with AWS Signature Version 4")]
    MissingAuthorization,
    /// The `Authorization` header does not parse.
    #[error("malformed Authorization header: {0}")]
    Malformed(String),
    /// Not `AWS4-HMAC-SHA256`.
    #[error("unsupported signing algorithm `{0}`: expected AWS4-HMAC-SHA256")]
    UnsupportedAlgorithm(String),
    /// A header the signature needs is missing.
    #[error("the request has no `{0}` header, which AWS Signature Version 4 requires")]
    MissingHeader(&'static str),
    /// A header that must be signed is not in `SignedHeaders`.
    #[error("header `{0}` must be among the SignedHeaders")]
    HeaderNotSigned(&'static str),
    /// `SignedHeaders` names a header the request does not carry.
    #[error("signed header `{0}` is not in the request")]
    SignedHeaderMissing(String),
    /// `X-Amz-Date` is not `YYYYMMDDTHHMMSSZ`.
    #[error("X-Amz-Date `{0}` is not in the form YYYYMMDDTHHMMSSZ")]
    BadDate(String),
    /// The credential scope's date is not the day of `X-Amz-Date`.
    #[error("credential scope date {scope} does not match X-Amz-Date {date}")]
    DateMismatch {
        /// The scope's date.
        scope: String,
        /// The request's `X-Amz-Date`.
        date: String,
    },
    /// The request was signed more than [`MAX_CLOCK_SKEW`] from the server's time.
    #[error(
        "signature expired or not yet valid: X-Amz-Date {date} is more than 15 minutes from the server's time {now}"
    )]
    Skewed {
        /// The request's `X-Amz-Date`.
        date: String,
        /// The server's time, in the same form.
        now: String,
    },
    /// The credential scope names another region than the server's.
    #[error(
        "Credential should be scoped to a valid region, not '{scope}' (this server's region is '{expected}')"
    )]
    WrongRegion {
        /// The scope's region.
        scope: String,
        /// The server's.
        expected: String,
    },
    /// The access key id is not known to the server.
    #[error("the security token included in the request is invalid: unknown access key id `{0}`")]
    UnknownAccessKey(String),
    /// The credentials need a session token and the request has none.
    #[error("the request has no X-Amz-Security-Token; these credentials need their session token")]
    MissingSessionToken,
    /// The session token does not belong to the access key id.
    #[error("the security token included in the request is invalid")]
    InvalidSessionToken,
    /// `x-amz-content-sha256` is `UNSIGNED-PAYLOAD` or does not hash the body.
    #[error("x-amz-content-sha256 {0}")]
    PayloadHash(String),
    /// The signature is not the one the secret key gives.
    #[error(
        "the request signature we calculated does not match the signature you provided; check your AWS secret access key and signing method. The string to sign should have been\n'{string_to_sign}'"
    )]
    SignatureMismatch {
        /// The string to sign the server computed (no secrets in it).
        string_to_sign: String,
    },
}

impl SigV4Error {
    /// The AWS error code an AWS JSON protocol service answers with
    /// (`UnrecognizedClientException`, `InvalidSignatureException`, …).
    pub fn aws_code(&self) -> &'static str {
        match self {
            SigV4Error::MissingAuthorization => "MissingAuthenticationTokenException",
            SigV4Error::Malformed(_)
            | SigV4Error::UnsupportedAlgorithm(_)
            | SigV4Error::MissingHeader(_)
            | SigV4Error::HeaderNotSigned(_)
            | SigV4Error::SignedHeaderMissing(_)
            | SigV4Error::BadDate(_)
            | SigV4Error::DateMismatch { .. } => "IncompleteSignatureException",
            SigV4Error::UnknownAccessKey(_)
            | SigV4Error::MissingSessionToken
            | SigV4Error::InvalidSessionToken => "UnrecognizedClientException",
            SigV4Error::Skewed { .. }
            | SigV4Error::WrongRegion { .. }
            | SigV4Error::PayloadHash(_)
            | SigV4Error::SignatureMismatch { .. } => "InvalidSignatureException",
        }
    }

    /// The HTTP status of that answer (400 for all, as SSM answers; 403 for a
    /// missing signature).
    pub fn http_status(&self) -> u16 {
        match self {
            SigV4Error::MissingAuthorization => 403,
            _ => 400,
        }
    }
}

/// Verifies a request's SigV4 signature against `secret_access_key` at time
/// `now`; returns the parsed `Authorization` header.
///
/// Checks, in order: the header parses; `host` is signed, and
/// `x-amz-target` when the request has one, and every signed header is
/// present; `X-Amz-Date` (or `Date`) is well formed, on the scope's
/// day and within [`MAX_CLOCK_SKEW`] of `now`; `x-amz-content-sha256`, when
/// sent, is the SHA-256 of the body; the signature matches (compared in
/// constant time). The session token is checked by
/// [`CredentialIndex::authenticate`](crate::CredentialIndex::authenticate), not here.
pub fn verify(
    request: &SignedRequest<'_>,
    secret_access_key: &str,
    now: DateTime<Utc>,
) -> Result<Authorization, SigV4Error> {
    let header = request
        .header("authorization")
        .ok_or(SigV4Error::MissingAuthorization)?;
    let auth = Authorization::parse(header)?;
    verify_parsed(request, &auth, secret_access_key, now)?;
    Ok(auth)
}

pub(crate) fn verify_parsed(
    request: &SignedRequest<'_>,
    auth: &Authorization,
    secret_access_key: &str,
    now: DateTime<Utc>,
) -> Result<(), SigV4Error> {
    if !auth.signed_headers.iter().any(|h| h == "host") {
        return Err(SigV4Error::HeaderNotSigned("host"));
    }
    // The target names the operation (`AmazonSSM.GetParameter`): unsigned,
    // a captured request could be replayed as another operation.
    if request.header("x-amz-target").is_some()
        && !auth.signed_headers.iter().any(|h| h == "x-amz-target")
    {
        return Err(SigV4Error::HeaderNotSigned("x-amz-target"));
    }
    let amz_date = request
        .header("x-amz-date")
        .or_else(|| request.header("date"))
        .ok_or(SigV4Error::MissingHeader("x-amz-date"))?
        .trim();
    let when = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| SigV4Error::BadDate(truncate(amz_date)))?
        .and_utc();
    if amz_date.get(..8) != Some(auth.date.as_str()) {
        return Err(SigV4Error::DateMismatch {
            scope: auth.date.clone(),
            date: amz_date.to_string(),
        });
    }
    if (when - now).abs() > MAX_CLOCK_SKEW {
        return Err(SigV4Error::Skewed {
            date: amz_date.to_string(),
            now: now.format("%Y%m%dT%H%M%SZ").to_string(),
        });
    }
    let body_hash = hex::encode(Sha256::digest(request.body));
    let payload_hash = match request.header("x-amz-content-sha256") {
        Some(v) if v.trim() == UNSIGNED_PAYLOAD => {
            return Err(SigV4Error::PayloadHash(
                "is UNSIGNED-PAYLOAD: this service needs the body signed".into(),
            ));
        }
        Some(v) if !v.trim().eq_ignore_ascii_case(&body_hash) => {
            return Err(SigV4Error::PayloadHash(format!(
                "`{}` is not the SHA-256 of the body ({body_hash})",
                truncate(v.trim())
            )));
        }
        _ => body_hash,
    };
    let canonical = canonical_request(request, &auth.signed_headers, &payload_hash)?;
    let sts = string_to_sign(amz_date, &auth.scope(), &canonical);
    let mut mac = HmacSha256::new_from_slice(&signing_key(
        secret_access_key,
        &auth.date,
        &auth.region,
        &auth.service,
    ))
    .expect("HMAC takes keys of any length");
    mac.update(sts.as_bytes());
    let provided = hex::decode(&auth.signature)
        .map_err(|_| SigV4Error::Malformed(format!("Signature `{}` is not hex", auth.signature)))?;
    mac.verify_slice(&provided)
        .map_err(|_| SigV4Error::SignatureMismatch {
            string_to_sign: sts,
        })
}

/// Signs `request` (which must carry `host` and `x-amz-date` headers) and
/// returns the `Authorization` header value, signing every header given
/// except `authorization` itself. For tests and Lockgate's own clients.
pub fn sign(
    request: &SignedRequest<'_>,
    access_key_id: &str,
    secret_access_key: &str,
    region: &str,
    service: &str,
) -> Result<String, SigV4Error> {
    let amz_date = request
        .header("x-amz-date")
        .ok_or(SigV4Error::MissingHeader("x-amz-date"))?
        .trim();
    let date = amz_date
        .get(..8)
        .ok_or_else(|| SigV4Error::BadDate(amz_date.to_string()))?;
    let mut signed: Vec<String> = request
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| k != "authorization")
        .collect();
    signed.sort();
    signed.dedup();
    let payload_hash = hex::encode(Sha256::digest(request.body));
    let canonical = canonical_request(request, &signed, &payload_hash)?;
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let sts = string_to_sign(amz_date, &scope, &canonical);
    let mut mac =
        HmacSha256::new_from_slice(&signing_key(secret_access_key, date, region, service))
            .expect("HMAC takes keys of any length");
    mac.update(sts.as_bytes());
    Ok(format!(
        "{ALGORITHM} Credential={access_key_id}/{scope}, SignedHeaders={}, Signature={}",
        signed.join(";"),
        hex::encode(mac.finalize().into_bytes())
    ))
}

/// The SigV4 signing key: HMAC("AWS4" + secret, date) → region → service → "aws4_request".
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let step = |key: &[u8], data: &str| -> [u8; 32] {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length");
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().into()
    };
    let k_date = step(format!("AWS4{secret_access_key}").as_bytes(), date);
    let k_region = step(&k_date, region);
    let k_service = step(&k_region, service);
    step(&k_service, "aws4_request")
}

/// The string to sign: algorithm, request time, scope and the canonical
/// request's SHA-256, one per line.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    )
}

/// The canonical request: method, canonical URI (the path normalised and
/// percent-encoded once more, as for every service but S3), canonical query
/// (pairs decoded, re-encoded and sorted), canonical headers (the signed
/// ones, lowercase, values trimmed with inner spaces collapsed, repeated
/// headers joined with `,`), the signed header list and the payload hash.
pub fn canonical_request(
    request: &SignedRequest<'_>,
    signed_headers: &[String],
    payload_hash: &str,
) -> Result<String, SigV4Error> {
    let mut out = String::new();
    out.push_str(request.method);
    out.push('\n');
    out.push_str(&uri_encode(&normalize_path(request.path), true));
    out.push('\n');
    out.push_str(&canonical_query(request.query));
    out.push('\n');
    for name in signed_headers {
        let values: Vec<String> = request
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if values.is_empty() {
            return Err(SigV4Error::SignedHeaderMissing(truncate(name)));
        }
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{name}:{}", values.join(","));
    }
    out.push('\n');
    out.push_str(&signed_headers.join(";"));
    out.push('\n');
    out.push_str(payload_hash);
    Ok(out)
}

/// Removes `.` and `..` segments (RFC 3986 §5.2.4); an empty path is `/`.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".to_string();
    }
    let mut segments: Vec<&str> = Vec::new();
    let trailing = path.ends_with('/');
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if trailing && !segments.is_empty() {
        out.push('/');
    }
    out
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (
                uri_encode(&percent_decode(k), false),
                uri_encode(&percent_decode(v), false),
            )
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn percent_decode(s: &str) -> String {
    let hex_val = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_val),
                bytes.get(i + 2).copied().and_then(hex_val),
            )
        {
            out.push(hi << 4 | lo);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// AWS's URI encoding: every byte but `A–Z a–z 0–9 - _ . ~` (and `/` when
/// `keep_slash`) as `%XX`, uppercase.
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/')
        {
            out.push(b as char);
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's documented example (IAM ListUsers, GET with a query string):
    /// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
    /// and the `get-vanilla` case of the SigV4 test suite.
    #[test]
    fn aws_get_vanilla_test_vector() {
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "",
            headers: vec![
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            body: b"",
        };
        let auth = sign(
            &req,
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            "service",
        )
        .unwrap();
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, \
             Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let now = "2015-08-30T12:40:00Z".parse().unwrap();
        let mut signed = req.clone();
        signed.headers.push(("Authorization", &auth));
        verify(&signed, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", now).unwrap();
        assert!(matches!(
            verify(&signed, "wrong", now),
            Err(SigV4Error::SignatureMismatch { .. })
        ));
    }

    /// The `get-vanilla-query-order-key-case` case: query parameters sorted.
    #[test]
    fn aws_query_order_test_vector() {
        let req = SignedRequest {
            method: "GET",
            path: "/",
            query: "Param2=value2&Param1=value1",
            headers: vec![
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            body: b"",
        };
        let auth = sign(
            &req,
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "us-east-1",
            "service",
        )
        .unwrap();
        assert!(auth.ends_with(
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        ));
    }

    #[test]
    fn an_operation_target_must_be_signed() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let now = "2015-08-30T12:40:00Z".parse().unwrap();
        let signed_part = SignedRequest {
            method: "POST",
            path: "/",
            query: "",
            headers: vec![
                ("Host", "example.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            body: b"{}",
        };
        let auth = sign(&signed_part, "AKIDEXAMPLE", secret, "us-east-1", "ssm").unwrap();
        // The target added after signing: refused, whatever it names.
        let mut replayed = signed_part.clone();
        replayed
            .headers
            .push(("X-Amz-Target", "AmazonSSM.DeleteParameter"));
        replayed.headers.push(("Authorization", &auth));
        assert!(matches!(
            verify(&replayed, secret, now),
            Err(SigV4Error::HeaderNotSigned("x-amz-target"))
        ));
        // Signed with the rest: accepted.
        let mut whole = signed_part.clone();
        whole
            .headers
            .push(("X-Amz-Target", "AmazonSSM.GetParameter"));
        let auth = sign(&whole, "AKIDEXAMPLE", secret, "us-east-1", "ssm").unwrap();
        whole.headers.push(("Authorization", &auth));
        verify(&whole, secret, now).unwrap();
    }

    #[test]
    fn signing_key_matches_aws_example() {
        // From AWS's "Examples of how to derive a signing key for Signature Version 4".
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20120215",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn parses_authorization_headers() {
        let a = Authorization::parse(
            "AWS4-HMAC-SHA256 Credential=ASIA0123456789ABCDEF/20260101/us-east-1/ssm/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "ASIA0123456789ABCDEF");
        assert_eq!(a.date, "20260101");
        assert_eq!(a.region, "us-east-1");
        assert_eq!(a.service, "ssm");
        assert_eq!(
            a.signed_headers,
            ["content-type", "host", "x-amz-date", "x-amz-target"]
        );
        assert_eq!(a.scope(), "20260101/us-east-1/ssm/aws4_request");
        for bad in [
            "",
            "Bearer abc",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256 Credential=K/20260101/r/s/aws4_request, SignedHeaders=host",
            "AWS4-HMAC-SHA256 Credential=K/2026010/r/s/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            "AWS4-HMAC-SHA256 Credential=K/20260101/r/s/aws4_request, SignedHeaders=Host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            "AWS4-HMAC-SHA256 Credential=K/20260101/r/s/aws4_request, SignedHeaders=host, Signature=zz",
            "AWS4-HMAC-SHA256 Credential=K/20260101/r/s/x, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            "AWS4-HMAC-SHA256 Foo=1",
            "AWS4-HMAC-SHA256 Credential=K/20260101/r/s/aws4_request, Credential=K/20260101/r/s/aws4_request",
        ] {
            assert!(Authorization::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn canonical_paths() {
        assert_eq!(normalize_path(""), "/");
        assert_eq!(normalize_path("/a/./b/../c"), "/a/c");
        assert_eq!(normalize_path("/a/b/"), "/a/b/");
        assert_eq!(uri_encode("/a b/%41", true), "/a%20b/%2541");
        assert_eq!(canonical_query("b=2&a=%7E1&a=0"), "a=0&a=~1&b=2");
    }
}
