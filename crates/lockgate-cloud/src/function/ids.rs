//! The identifiers an invocation carries: its request ID and its X-Ray
//! trace header.

use std::time::SystemTime;

use bytes::Bytes;

use crate::instance::epoch_ms;

/// A random (version 4) UUID from a fast in-process generator: request IDs
/// need to be unique, not secret, and the OS generator costs a system call.
pub fn random_uuid() -> uuid::Uuid {
    uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes()).into_uuid()
}

/// A random request ID in its usual text form (a hyphenated UUID), written
/// without the formatter into a buffer and then into the one allocation of
/// the string asked for (a `String`, or the shared `Arc<str>` of an
/// invocation).
pub fn random_request_id<T: for<'a> From<&'a str>>() -> T {
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    T::from(random_uuid().hyphenated().encode_lower(&mut text))
}

/// An X-Ray trace header: `Root=1-<epoch secs, hex>-<24 hex>;Parent=<16 hex>;Sampled=0`.
pub(super) fn trace_id(now: SystemTime) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let secs = epoch_ms(now) / 1000;
    let mut hex = [0u8; 32];
    let id = random_uuid();
    let id = id.simple().encode_lower(&mut hex);
    let mut out = String::with_capacity(74);
    out.push_str("Root=1-");
    // The epoch seconds as 8 hex digits (more once they no longer fit).
    let digits = (64 - secs.leading_zeros()).div_ceil(4).max(8);
    for shift in (0..digits).rev() {
        out.push(char::from(HEX[((secs >> (shift * 4)) & 0xf) as usize]));
    }
    out.push('-');
    out.push_str(&id[..24]);
    out.push_str(";Parent=");
    out.push_str(&id[16..32]);
    out.push_str(";Sampled=0");
    out
}

/// A header value made from text we wrote (no copy); text that is not a
/// valid header value (never the case for ARNs and trace IDs) is dropped.
pub(super) fn header_value(text: String) -> hyper::header::HeaderValue {
    hyper::header::HeaderValue::from_maybe_shared(Bytes::from(text))
        .unwrap_or_else(|_| hyper::header::HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trace header has X-Ray's shape: the epoch seconds in (at least)
    /// eight hex digits, a 24-digit ID and a 16-digit parent.
    #[test]
    fn trace_ids_have_x_rays_shape() {
        let before = epoch_ms(SystemTime::now()) / 1000;
        let t = trace_id(SystemTime::now());
        let after = epoch_ms(SystemTime::now()) / 1000;
        let rest = t.strip_prefix("Root=1-").unwrap();
        let (secs, rest) = rest.split_once('-').unwrap();
        assert_eq!(secs.len(), 8, "{t}");
        let secs = u64::from_str_radix(secs, 16).unwrap();
        assert!((before..=after).contains(&secs), "{t}");
        let (id, rest) = rest.split_once(";Parent=").unwrap();
        let (parent, sampled) = rest.split_once(';').unwrap();
        assert_eq!(sampled, "Sampled=0");
        for (part, len) in [(id, 24), (parent, 16)] {
            assert_eq!(part.len(), len, "{t}");
            assert!(
                part.bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
        }
        let id: String = random_request_id();
        assert_eq!(
            uuid::Uuid::parse_str(&id).unwrap().hyphenated().to_string(),
            id
        );
    }
}
