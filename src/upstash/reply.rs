//! Decoded Redis replies, and the binary-safe decoding of Upstash's JSON.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde_json::Value as Json;

use super::UpstashError;

/// One Redis reply, decoded from Upstash's `{"result": ...}`.
///
/// Strings are raw bytes: the client always asks for `Upstash-Encoding: base64`,
/// so values that are not UTF-8 come back exactly as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Redis nil (`null`).
    Nil,
    /// A Redis integer.
    Int(i64),
    /// A bulk or status string, as raw bytes.
    Bytes(Vec<u8>),
    /// A Redis array; items are decoded recursively.
    Array(Vec<Reply>),
}

impl Reply {
    /// The reply as bytes; `None` for nil.
    ///
    /// # Errors
    /// [`UpstashError::Protocol`] when the reply is an integer or an array.
    pub fn into_bytes(self) -> Result<Option<Vec<u8>>, UpstashError> {
        match self {
            Reply::Nil => Ok(None),
            Reply::Bytes(b) => Ok(Some(b)),
            other => Err(shape_error(format!("expected a string or nil, got {other:?}"))),
        }
    }

    /// The reply as an integer.
    ///
    /// # Errors
    /// [`UpstashError::Protocol`] when the reply is not an integer.
    pub fn into_int(self) -> Result<i64, UpstashError> {
        match self {
            Reply::Int(i) => Ok(i),
            other => Err(shape_error(format!("expected an integer, got {other:?}"))),
        }
    }

    /// The reply as an array of replies.
    ///
    /// # Errors
    /// [`UpstashError::Protocol`] when the reply is not an array.
    pub fn into_array(self) -> Result<Vec<Reply>, UpstashError> {
        match self {
            Reply::Array(items) => Ok(items),
            other => Err(shape_error(format!("expected an array, got {other:?}"))),
        }
    }

    /// True for the status reply `OK`.
    pub fn is_ok_status(&self) -> bool {
        matches!(self, Reply::Bytes(b) if b == b"OK")
    }
}

fn shape_error(message: String) -> UpstashError {
    UpstashError::Protocol { status: 200, message }
}

/// Decodes one `result` value of a base64-encoded answer.
///
/// Rule (Upstash REST docs, "Upstash-Encoding"): every string is base64 of its
/// raw bytes except the exact string `"OK"`; integers and null pass through;
/// arrays are encoded recursively. A base64 text always has a length that is a
/// multiple of 4, so `"OK"` cannot be mistaken for one.
pub(crate) fn decode_result(value: &Json, status: u16) -> Result<Reply, UpstashError> {
    match value {
        Json::Null => Ok(Reply::Nil),
        Json::Number(n) => n.as_i64().map(Reply::Int).ok_or_else(|| UpstashError::Protocol {
            status,
            message: format!("result number {n} is not a 64-bit integer"),
        }),
        Json::String(s) if s == "OK" => Ok(Reply::Bytes(b"OK".to_vec())),
        Json::String(s) => BASE64
            .decode(s)
            .map(Reply::Bytes)
            .map_err(|e| UpstashError::Protocol { status, message: format!("result string is not base64 ({e})") }),
        Json::Array(items) => {
            items.iter().map(|item| decode_result(item, status)).collect::<Result<Vec<_>, _>>().map(Reply::Array)
        }
        other => Err(UpstashError::Protocol { status, message: format!("unexpected result value {other}") }),
    }
}

/// Decodes one `{"result": ...}` or `{"error": "..."}` object: the body of a
/// single command, or one item of a `/pipeline` or `/multi-exec` answer.
pub(crate) fn decode_outcome(value: &Json, status: u16) -> Result<Result<Reply, UpstashError>, UpstashError> {
    let object = value.as_object().ok_or_else(|| UpstashError::Protocol {
        status,
        message: format!("expected a {{\"result\"}} or {{\"error\"}} object, got {value}"),
    })?;
    if let Some(error) = object.get("error") {
        let message = error.as_str().map(str::to_owned).unwrap_or_else(|| error.to_string());
        return Ok(Err(UpstashError::Command { message }));
    }
    match object.get("result") {
        Some(result) => decode_result(result, status).map(Ok),
        None => Err(UpstashError::Protocol {
            status,
            message: format!("object has neither \"result\" nor \"error\": {value}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_binary_strings_and_leaves_ok_plain() {
        let reply = decode_result(&json!(["AP/+", "OK", 7, null, ["aGk="]]), 200).unwrap();
        assert_eq!(
            reply,
            Reply::Array(vec![
                Reply::Bytes(vec![0x00, 0xff, 0xfe]),
                Reply::Bytes(b"OK".to_vec()),
                Reply::Int(7),
                Reply::Nil,
                Reply::Array(vec![Reply::Bytes(b"hi".to_vec())]),
            ])
        );
    }

    #[test]
    fn rejects_strings_that_are_not_base64() {
        let err = decode_result(&json!("not base64!"), 200).unwrap_err();
        assert!(matches!(err, UpstashError::Protocol { .. }), "{err:?}");
    }

    #[test]
    fn error_objects_become_command_errors_verbatim() {
        let outcome = decode_outcome(&json!({"error": "WRONGTYPE Operation against a key"}), 200).unwrap();
        assert_eq!(outcome, Err(UpstashError::Command { message: "WRONGTYPE Operation against a key".into() }));
        assert!(decode_outcome(&json!({"neither": 1}), 200).is_err());
    }
}
