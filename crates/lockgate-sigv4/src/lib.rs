//! AWS Signature Version 4: verifying the requests AWS SDKs send, and the
//! per-stage credentials Lockgate hands to a stage's functions.
//!
//! Functions reach Lockgate's AWS-shaped APIs (SSM today; the CodeDeploy
//! lifecycle-hook and CloudWatch APIs next) with an AWS SDK, which signs
//! every request with SigV4 using the credentials in the function's
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`). The server derives those credentials from one server
//! secret per (app, stage) with HMAC-SHA256 ([`stage_credentials`]), registers
//! them in a [`CredentialIndex`], and maps a request's access key id back to
//! its [`Caller`] after [`verify`]ing the signature as AWS documents it:
//! canonical request, string to sign, the `AWS4`-keyed HMAC chain over date,
//! region, service and `aws4_request`.
//!
//! The crate knows no service and no HTTP framework: a request is a
//! [`SignedRequest`] of plain strings and bytes, and what a [`Caller`] may do
//! is the calling service's business. It reads no files; the server keeps
//! the secret.

// A library reports through what it returns (and `tracing`), never by printing.
#![warn(clippy::print_stdout, clippy::print_stderr)]

mod credentials;
mod signature;

pub use credentials::{AssumedRole, Caller, CredentialIndex, Credentials, stage_credentials};
pub use signature::{
    ALGORITHM, Authorization, MAX_CLOCK_SKEW, SigV4Error, SignedRequest, UNSIGNED_PAYLOAD,
    canonical_request, sign, signing_key, string_to_sign, uri_encode, verify,
};

/// Whether two byte strings are equal, in time that depends only on their
/// lengths (not on where they first differ): for comparing secrets such as
/// session tokens and the admin token.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn constant_time_eq_compares_contents_and_lengths() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"token", b"token"));
        assert!(!constant_time_eq(b"token", b"tokem"));
        assert!(!constant_time_eq(b"token", b"token2"));
        assert!(!constant_time_eq(b"", b"x"));
    }
}
