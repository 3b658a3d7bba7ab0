//! Turning Redis replies into the JSON the Upstash REST API answers with.

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use redis::Value;
use serde_json::{json, Value as Json};

use crate::redis_exec::{error_text, Reply};

/// How strings in results are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// UTF-8, invalid bytes replaced by U+FFFD.
    Lossy,
    /// Base64 of the raw bytes (`Upstash-Encoding: base64`), except the exact string `OK`.
    Base64,
}

impl Encoding {
    /// Reads the `Upstash-Encoding` request header (name and value case-insensitive).
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        match headers.get("upstash-encoding") {
            Some(value) if value.as_bytes().eq_ignore_ascii_case(b"base64") => Self::Base64,
            _ => Self::Lossy,
        }
    }

    fn string(self, bytes: &[u8]) -> Json {
        match self {
            Self::Base64 if bytes != b"OK" => Json::String(STANDARD.encode(bytes)),
            _ => Json::String(String::from_utf8_lossy(bytes).into_owned()),
        }
    }
}

/// `{"result": ...}` for a reply, or `{"error": "..."}` for an error (never encoded).
pub(crate) fn reply_object(reply: Reply, encoding: Encoding) -> Json {
    match reply {
        Ok(value) => json!({ "result": to_json(value, encoding) }),
        Err(text) => json!({ "error": text }),
    }
}

/// Maps a Redis reply to JSON: nil → null, integer → number, strings →
/// string, arrays (and RESP3 sets, maps as flat key/value arrays) → arrays.
pub(crate) fn to_json(value: Value, encoding: Encoding) -> Json {
    let array = |items: Vec<Value>| Json::Array(items.into_iter().map(|item| to_json(item, encoding)).collect());
    match value {
        Value::Nil => Json::Null,
        Value::Int(n) => json!(n),
        Value::Boolean(b) => json!(i64::from(b)),
        Value::Okay => encoding.string(b"OK"),
        Value::BulkString(bytes) => encoding.string(&bytes),
        Value::SimpleString(text) => encoding.string(text.as_bytes()),
        Value::VerbatimString { text, .. } => encoding.string(text.as_bytes()),
        Value::Double(d) => encoding.string(format_double(d).as_bytes()),
        Value::BigNumber(n) => encoding.string(n.to_string().as_bytes()),
        Value::Array(items) | Value::Set(items) => array(items),
        Value::Push { data, .. } => array(data),
        Value::Map(pairs) => array(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        Value::Attribute { data, .. } => to_json(*data, encoding),
        // An error nested inside another reply (e.g. in a script's table):
        // its text, never encoded.
        Value::ServerError(err) => Json::String(error_text(&err)),
        // `Value` is non-exhaustive: future variants show up as their debug text.
        other => Json::String(format!("{other:?}")),
    }
}

/// Writes a double the way Redis does in RESP2 (`1.5`, `3`, `inf`, `-inf`, `nan`).
fn format_double(d: f64) -> String {
    if d.is_nan() {
        "nan".to_string()
    } else if d.is_infinite() {
        if d > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_except_ok() {
        let value = Value::Array(vec![
            Value::BulkString(vec![0x00, 0xff, 0xfe]),
            Value::Okay,
            Value::BulkString(b"OK".to_vec()),
            Value::Int(7),
            Value::Nil,
        ]);
        assert_eq!(to_json(value, Encoding::Base64), json!(["AP/+", "OK", "OK", 7, null]));
    }

    #[test]
    fn lossy_utf8() {
        let value = Value::BulkString(vec![b'a', 0xff, b'b']);
        assert_eq!(to_json(value, Encoding::Lossy), json!("a\u{fffd}b"));
    }
}
