//! The usual format 2.0 result read without a JSON tree: every field of the
//! type the general reader expects. Anything else — not an object, a field
//! of another type, a float, a repeated name — answers `None`, and the
//! general reader (in `result`, with its error messages) decides; for what this reads,
//! both give the same response.

use std::borrow::Cow;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bytes::Bytes;
use hyper::header::SET_COOKIE;
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::MappedResponse;
use super::result::push_header;

/// A JSON value as a header, cookie or status needs it.
enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i128),
    Bool(bool),
    /// A float, null, object or list: the general reader's business.
    Other,
}

impl Scalar<'_> {
    /// The value as header text: a string without escapes is a slice of
    /// `output` (which it was read from), not a copy.
    fn into_bytes(self, output: &Bytes) -> Option<Bytes> {
        match self {
            Scalar::Str(Cow::Borrowed(s)) => Some(output.slice_ref(s.as_bytes())),
            Scalar::Str(Cow::Owned(s)) => Some(Bytes::from(s)),
            Scalar::Int(n) => Some(Bytes::from(n.to_string())),
            Scalar::Bool(b) => Some(Bytes::from_static(if b { b"true" } else { b"false" })),
            Scalar::Other => None,
        }
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Scalar<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `headers`, in order.
struct Headers<'a>(Vec<(Cow<'a, str>, Scalar<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Headers<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Headers<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<Key<'a>, Scalar<'a>>()? {
                    out.push((k.0, v));
                }
                Ok(Headers(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// An object key or a string field, borrowed when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Scalar::deserialize(d)? {
            Scalar::Str(s) => Ok(Key(s)),
            _ => Err(de::Error::custom("a key")),
        }
    }
}

/// A field that may be absent (unlike `Option`, a `null` is present).
#[derive(Default)]
enum Field<T> {
    #[default]
    Absent,
    Present(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        T::deserialize(d).map(Field::Present)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Result2<'a> {
    #[serde(borrow, default)]
    status_code: Field<Scalar<'a>>,
    #[serde(borrow)]
    headers: Option<Headers<'a>>,
    #[serde(borrow)]
    cookies: Option<Vec<Scalar<'a>>>,
    #[serde(borrow)]
    body: Option<Key<'a>>,
    #[serde(borrow)]
    is_base64_encoded: Option<Scalar<'a>>,
}

pub(super) fn response_v2(output: &Bytes) -> Option<MappedResponse> {
    let r: Result2<'_> = serde_json::from_slice(output).ok()?;
    let Field::Present(status) = r.status_code else {
        return Some(super::result::json_as_is(output));
    };
    let status = match status {
        Scalar::Int(n) => u64::try_from(n).ok()?,
        Scalar::Str(s) => s.parse().ok()?,
        _ => return None,
    };
    if !(100..=599).contains(&status) {
        return None;
    }
    let mut headers = Vec::new();
    if let Some(Headers(hs)) = r.headers {
        // A repeated name: the general reader keeps the last value.
        for (i, (k, _)) in hs.iter().enumerate() {
            if hs[..i].iter().any(|(seen, _)| seen == k) {
                return None;
            }
        }
        headers.reserve(hs.len());
        for (k, v) in hs {
            push_header(&mut headers, &k, v.into_bytes(output)?);
        }
    }
    for c in r.cookies.into_iter().flatten() {
        push_header(&mut headers, SET_COOKIE.as_str(), c.into_bytes(output)?);
    }
    let body = match (r.body, r.is_base64_encoded) {
        (None, _) => Bytes::new(),
        (Some(Key(text)), Some(Scalar::Bool(true))) => {
            Bytes::from(B64.decode(text.as_bytes()).ok()?)
        }
        // A body without escapes is a slice of the output, not a copy.
        (Some(Key(Cow::Borrowed(text))), _) => output.slice_ref(text.as_bytes()),
        (Some(Key(Cow::Owned(text))), _) => Bytes::from(text),
    };
    Some(MappedResponse {
        status: status as u16,
        headers,
        body,
    })
}
