//! The 2.0 event's JSON, written by hand: strings escaped exactly as
//! `serde_json` escapes them (a test in `event` compares the two byte for
//! byte), numbers and addresses without the formatter.

/// Writes `s` as a JSON string, escaped exactly as `serde_json` does
/// (`"`, `\\`, and control characters; nothing else).
pub(super) fn json_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let mut rest = s.as_bytes();
    // Copy runs that need no escape in one piece.
    while let Some(i) = escape_at(rest) {
        out.extend_from_slice(&rest[..i]);
        let b = rest[i];
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            }
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

/// The first byte of `s` that JSON needs escaped (`"`, `\\`, a control
/// character), looked for eight bytes at a time: header values and paths
/// rarely hold one, so most strings are a few word operations.
pub(super) fn escape_at(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A high bit where a byte of `w` is zero. Borrows can mark bytes above
    // a zero byte too, never below one: the lowest mark is exact.
    let zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGH;
    // The marks of bytes below 0x20 (`& !w` leaves out bytes ≥ 0x80),
    // quotes and backslashes; the lowest is the first such byte.
    let special = |w: u64| {
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        control | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))
    };
    let first = |marks: u64| (marks.trailing_zeros() / 8) as usize;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let marks = special(u64::from_le_bytes(word));
        if marks != 0 {
            return Some(at + first(marks));
        }
        at += 8;
    }
    // The last few bytes as one more word, padded with spaces (which need
    // no escape): short strings are one word, not a byte loop.
    let rest = chunks.remainder();
    if rest.is_empty() {
        return None;
    }
    let mut word = [b' '; 8];
    word[..rest.len()].copy_from_slice(rest);
    let marks = special(u64::from_le_bytes(word));
    (marks != 0).then(|| at + first(marks))
}

/// Writes an address as a JSON string (IPv4 without the formatter; the
/// last one a thread wrote is kept, as a connection's requests all come
/// from one address).
pub(super) fn push_ip(out: &mut Vec<u8>, ip: std::net::IpAddr) {
    type Written = (std::net::Ipv4Addr, [u8; 17], u8);
    thread_local! {
        static LAST: std::cell::Cell<Option<Written>> = const { std::cell::Cell::new(None) };
    }
    match ip {
        std::net::IpAddr::V4(v4) => {
            let (_, text, len) = LAST.with(|last| match last.get() {
                Some(w) if w.0 == v4 => w,
                _ => {
                    let mut text = [0u8; 17];
                    let mut len = 0;
                    let mut put = |bytes: &[u8]| {
                        text[len..len + bytes.len()].copy_from_slice(bytes);
                        len += bytes.len();
                    };
                    put(b"\"");
                    for (i, octet) in v4.octets().into_iter().enumerate() {
                        if i > 0 {
                            put(b".");
                        }
                        put(itoa::Buffer::new().format(octet).as_bytes());
                    }
                    put(b"\"");
                    let w = (v4, text, len as u8);
                    last.set(Some(w));
                    w
                }
            });
            out.extend_from_slice(&text[..usize::from(len)]);
        }
        std::net::IpAddr::V6(_) => json_str(out, &ip.to_string()),
    }
}

/// Writes a number in decimal.
pub(super) fn push_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
}

/// Writes `key` — the JSON text before a value, such as `,"stage":` — and
/// `value` as a JSON string.
pub(super) fn json_field(out: &mut Vec<u8>, key: &[u8], value: &str) {
    out.extend_from_slice(key);
    json_str(out, value);
}

/// Writes `key` (ending in `{`), the pairs and the closing brace.
pub(super) fn json_object<K: AsRef<str>, V: AsRef<str>>(
    out: &mut Vec<u8>,
    key: &[u8],
    pairs: impl Iterator<Item = (K, V)>,
) {
    out.extend_from_slice(key);
    json_pairs(out, pairs);
    out.push(b'}');
}

/// Writes `"key":"value"` pairs of a JSON object (without the braces).
fn json_pairs<K: AsRef<str>, V: AsRef<str>>(
    out: &mut Vec<u8>,
    pairs: impl Iterator<Item = (K, V)>,
) {
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        json_str(out, k.as_ref());
        out.push(b':');
        json_str(out, v.as_ref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses are written as the formatter writes them, the kept one
    /// and a new one alike.
    #[test]
    fn addresses_are_written_as_text() {
        for ip in [
            "127.0.0.1",
            "127.0.0.1",
            "255.255.255.255",
            "0.0.0.0",
            "10.20.3.4",
            "::1",
            "10.20.3.4",
        ] {
            let ip: std::net::IpAddr = ip.parse().unwrap();
            let mut out = Vec::new();
            push_ip(&mut out, ip);
            assert_eq!(out, format!("\"{ip}\"").into_bytes());
        }
    }

    /// The word-at-a-time scan finds the first byte to escape wherever it
    /// sits in a word or in the tail, and no byte that needs none.
    #[test]
    fn escape_scan_finds_the_first_byte_to_escape() {
        for len in 0..40 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for at in 0..len {
                    let mut s: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                    // Neighbours of the special bytes that need no escape.
                    s[(at + 1) % len] = [b' ', b'#', b']', 0x7f, 0xff][at % 5];
                    s[at] = special;
                    assert_eq!(escape_at(&s), Some(at), "{s:?}");
                    assert_eq!(escape_at(&s[..at]), None, "{:?}", &s[..at]);
                }
            }
            let plain: Vec<u8> = (0..len)
                .map(|i| [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff][i % 8])
                .collect();
            assert_eq!(escape_at(&plain), None, "{plain:?}");
        }
    }
}
