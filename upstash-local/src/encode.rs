//! Turning Redis replies into the JSON the Upstash REST API answers with,
//! written straight into the response body (each value given up as it is
//! written, so that a large reply is not held twice as a tree of JSON
//! values), and the length that JSON takes, which the reply budget counts
//! while replies are read.

use axum::http::HeaderMap;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::redis_exec::Reply;
use crate::resp::Value;

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
}

/// Appends `{"result": ...}` for a reply, or `{"error": "..."}` for an
/// error (never encoded).
pub(crate) fn write_reply_object(out: &mut Vec<u8>, reply: Reply, encoding: Encoding) {
    match reply {
        Ok(value) => {
            out.extend_from_slice(b"{\"result\":");
            write_value(out, value, encoding);
        }
        Err(text) => {
            out.extend_from_slice(b"{\"error\":");
            write_text(out, &text);
        }
    }
    out.push(b'}');
}

/// Appends a Redis reply as JSON: nil → null, integer → number, strings →
/// string, arrays → arrays; an error nested inside another reply (in a
/// script's table, say) → its text, never encoded.
pub(crate) fn write_value(out: &mut Vec<u8>, value: Value, encoding: Encoding) {
    match value {
        Value::Nil => out.extend_from_slice(b"null"),
        Value::Int(n) => out.extend_from_slice(n.to_string().as_bytes()),
        Value::Status(text) => write_string(out, text.as_bytes(), encoding),
        Value::Bulk(bytes) => write_string(out, &bytes, encoding),
        Value::Error(text) => write_text(out, &text),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_value(out, item, encoding);
            }
            out.push(b']');
        }
    }
}

/// Appends a string of the reply as `encoding` says.
fn write_string(out: &mut Vec<u8>, bytes: &[u8], encoding: Encoding) {
    match encoding {
        Encoding::Base64 if bytes != b"OK" => {
            out.push(b'"');
            let start = out.len();
            out.resize(start + base64_len(bytes.len()), 0);
            STANDARD.encode_slice(bytes, &mut out[start..]).expect("sized for it");
            out.push(b'"');
        }
        _ => write_text(out, &String::from_utf8_lossy(bytes)),
    }
}

/// Appends `text` as a JSON string.
pub(crate) fn write_text(out: &mut Vec<u8>, text: &str) {
    serde_json::to_writer(out, text).expect("writing to a Vec cannot fail");
}

fn base64_len(bytes: usize) -> usize {
    bytes.div_ceil(3) * 4
}

/// The length of the JSON string [`write_value`] writes for a string of
/// the reply, quotes included.
pub(crate) fn string_json_len(bytes: &[u8], encoding: Encoding) -> usize {
    match encoding {
        Encoding::Base64 if bytes != b"OK" => base64_len(bytes.len()) + 2,
        _ => {
            2 + bytes
                .utf8_chunks()
                .map(|chunk| {
                    let invalid = if chunk.invalid().is_empty() { 0 } else { '\u{fffd}'.len_utf8() };
                    escaped_len(chunk.valid()) + invalid
                })
                .sum::<usize>()
        }
    }
}

/// The length of `text` as a JSON string, quotes included.
pub(crate) fn text_json_len(text: &str) -> usize {
    2 + escaped_len(text)
}

/// The length of `text` escaped as serde_json escapes it (no quotes).
fn escaped_len(text: &str) -> usize {
    text.bytes()
        .map(|byte| match byte {
            b'"' | b'\\' | b'\x08' | b'\x0c' | b'\n' | b'\r' | b'\t' => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value as Json};

    fn json_of(value: Value, encoding: Encoding) -> Json {
        let mut out = Vec::new();
        write_value(&mut out, value, encoding);
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn base64_except_ok() {
        let value = Value::Array(vec![
            Value::Bulk(vec![0x00, 0xff, 0xfe]),
            Value::Status("OK".into()),
            Value::Bulk(b"OK".to_vec()),
            Value::Int(7),
            Value::Nil,
            Value::Status("PONG".into()),
            Value::Error("ERR x".into()),
        ]);
        assert_eq!(json_of(value, Encoding::Base64), json!(["AP/+", "OK", "OK", 7, null, "UE9ORw==", "ERR x"]));
    }

    #[test]
    fn lossy_utf8() {
        assert_eq!(json_of(Value::Bulk(vec![b'a', 0xff, b'b']), Encoding::Lossy), json!("a\u{fffd}b"));
    }

    #[test]
    fn reply_objects() {
        let mut out = Vec::new();
        write_reply_object(&mut out, Ok(Value::Int(1)), Encoding::Lossy);
        out.push(b',');
        write_reply_object(&mut out, Err("NOPERM \"x\"".into()), Encoding::Base64);
        assert_eq!(String::from_utf8(out).unwrap(), r#"{"result":1},{"error":"NOPERM \"x\""}"#);
    }

    fn cases() -> u32 {
        std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(cases()))]

        #[test]
        fn the_counted_length_is_the_written_length(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            for encoding in [Encoding::Lossy, Encoding::Base64] {
                let mut out = Vec::new();
                write_string(&mut out, &bytes, encoding);
                prop_assert_eq!(out.len(), string_json_len(&bytes, encoding));
            }
            let text = String::from_utf8_lossy(&bytes);
            let mut out = Vec::new();
            write_text(&mut out, &text);
            prop_assert_eq!(out.len(), text_json_len(&text));
        }

        #[test]
        fn strings_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let base64 = json_of(Value::Bulk(bytes.clone()), Encoding::Base64);
            let decoded = match base64.as_str().unwrap() {
                "OK" if bytes == b"OK" => bytes.clone(),
                text => STANDARD.decode(text).unwrap(),
            };
            prop_assert_eq!(decoded, bytes.clone());
            let lossy = json_of(Value::Bulk(bytes.clone()), Encoding::Lossy);
            prop_assert_eq!(lossy.as_str().unwrap(), String::from_utf8_lossy(&bytes));
        }
    }
}
