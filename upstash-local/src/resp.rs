//! Redis's protocol (RESP2) on the connections requests run on: commands
//! written out, replies read back within a byte budget.
//!
//! upstash-local speaks it itself, rather than through the redis crate,
//! for the one thing a client library does not offer: stopping in the
//! middle of a reply. A request may ask for more than it may be answered
//! (`GET` of a 512 MB value, sixty `GET`s of 5 MiB, a script's
//! `string.rep`); each value read is charged to the request's
//! [`ReplyBudget`] *before* its bytes are read, and once the budget is
//! spent the read stops there, the connection is closed (it is left in the
//! middle of a reply) and the client gets an error. Memory holds what the
//! budget allows, never what Redis would send.
//!
//! Only RESP2 is read (connections never send `HELLO 3`): simple strings,
//! errors, integers, bulk strings and arrays. Anything else is a protocol
//! error, and so is nesting deeper than [`MAX_DEPTH`]; either closes the
//! connection.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::limits::{Charge, ReplyBudget};
use crate::protocol::Command;

/// How deeply arrays may nest in a reply (a script can return nested
/// tables); deeper is a protocol error. The redis crate's parser stops at
/// the same depth.
pub(crate) const MAX_DEPTH: usize = 100;

/// What holding one value costs beyond its bytes (the size of [`Value`]),
/// as charged to a [`ReplyBudget`].
pub(crate) const VALUE_OVERHEAD: usize = 32;

/// One RESP2 reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Value {
    /// `$-1` or `*-1`.
    Nil,
    /// `:<n>`.
    Int(i64),
    /// `+<text>`: a simple string such as `OK` or `PONG`.
    Status(String),
    /// `$<len>`: a bulk string, binary-safe.
    Bulk(Vec<u8>),
    /// `-<text>`: an error, e.g. `WRONGTYPE Operation against...`.
    Error(String),
    /// `*<n>`: an array.
    Array(Vec<Value>),
}

/// Why a reply could not be read. Each leaves the connection unusable.
#[derive(Debug)]
pub(crate) enum ReadError {
    /// The connection failed or closed.
    Io(io::Error),
    /// Redis sent something that is not RESP2 as upstash-local reads it.
    Protocol(String),
    /// The reply would exceed the request's [`ReplyBudget`].
    TooLarge,
}

impl From<io::Error> for ReadError {
    fn from(err: io::Error) -> Self {
        ReadError::Io(err)
    }
}

/// Writes `commands` to `writer` (without flushing). Arguments are written
/// as they are, not copied into a buffer of their own: a 10 MiB value is
/// not held twice.
pub(crate) async fn write_commands<W: AsyncWrite + Unpin>(writer: &mut W, commands: &[Command]) -> io::Result<()> {
    let mut header = Vec::with_capacity(64);
    for command in commands {
        header.clear();
        header.extend_from_slice(format!("*{}\r\n", command.len()).as_bytes());
        for arg in command {
            header.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            if arg.len() > 4096 {
                writer.write_all(&header).await?;
                header.clear();
                writer.write_all(arg).await?;
            } else {
                header.extend_from_slice(arg);
            }
            header.extend_from_slice(b"\r\n");
        }
        writer.write_all(&header).await?;
    }
    Ok(())
}

/// Reads one reply from `reader`, charging each value to `budget` before
/// reading its bytes.
pub(crate) async fn read_value<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    budget: &mut ReplyBudget,
) -> Result<Value, ReadError> {
    // Arrays being filled: their items so far and how many are still due.
    let mut open: Vec<(Vec<Value>, usize)> = Vec::new();
    loop {
        let line = read_line(reader, budget).await?;
        let (kind, rest) = line.split_first().ok_or_else(|| protocol("an empty line"))?;
        let mut value = match kind {
            b'+' => {
                let text = String::from_utf8_lossy(rest).into_owned();
                budget.charge(Charge::Text(text.as_bytes())).await?;
                Value::Status(text)
            }
            b'-' => {
                let text = String::from_utf8_lossy(rest).into_owned();
                budget.charge(Charge::Error(&text)).await?;
                Value::Error(text)
            }
            b':' => {
                budget.charge(Charge::Fixed(VALUE_OVERHEAD + rest.len())).await?;
                Value::Int(number(rest)?)
            }
            b'$' => match number(rest)? {
                -1 => {
                    budget.charge(Charge::Fixed(VALUE_OVERHEAD + 4)).await?;
                    Value::Nil
                }
                length if length < 0 => return Err(protocol("a negative bulk length")),
                length => {
                    let length = usize::try_from(length).map_err(|_| protocol("a bulk length too large"))?;
                    // Charged before reading: at least its bytes and a value.
                    budget.charge(Charge::Fixed(VALUE_OVERHEAD + length)).await?;
                    let mut bytes = vec![0; length];
                    reader.read_exact(&mut bytes).await?;
                    let mut end = [0u8; 2];
                    reader.read_exact(&mut end).await?;
                    if &end != b"\r\n" {
                        return Err(protocol("a bulk string not ended by CRLF"));
                    }
                    // Then what its JSON text takes beyond its bytes.
                    budget.charge(Charge::TextBeyondBytes(&bytes)).await?;
                    Value::Bulk(bytes)
                }
            },
            b'*' => match number(rest)? {
                -1 => {
                    budget.charge(Charge::Fixed(VALUE_OVERHEAD + 4)).await?;
                    Value::Nil
                }
                length if length < 0 => return Err(protocol("a negative array length")),
                0 => {
                    budget.charge(Charge::Fixed(VALUE_OVERHEAD + 2)).await?;
                    Value::Array(Vec::new())
                }
                length => {
                    if open.len() >= MAX_DEPTH {
                        return Err(protocol("arrays nested too deeply"));
                    }
                    let length = usize::try_from(length).map_err(|_| protocol("an array length too large"))?;
                    budget.charge(Charge::Fixed(VALUE_OVERHEAD + 2)).await?;
                    // Each item is charged as it comes: room for a few at once.
                    open.push((Vec::with_capacity(length.min(1024)), length));
                    continue;
                }
            },
            other => return Err(protocol(&format!("a reply of unknown type {:?}", char::from(*other)))),
        };
        // Place the value in the array it belongs to, closing the arrays it completes.
        loop {
            let Some((items, due)) = open.last_mut() else {
                return Ok(value);
            };
            items.push(value);
            *due -= 1;
            if *due > 0 {
                break;
            }
            let (items, _) = open.pop().expect("just seen");
            value = Value::Array(items);
        }
    }
}

/// One line up to its CRLF (not included), charged as it is read, so that
/// a simple string or error of any length costs no more than the budget.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, budget: &mut ReplyBudget) -> Result<Vec<u8>, ReadError> {
    let mut line = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Err(ReadError::Io(io::Error::new(io::ErrorKind::UnexpectedEof, "Redis closed the connection")));
        }
        let (taken, done) = match available.iter().position(|&byte| byte == b'\n') {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        // A line's bytes are held while it is read: charged up front (the
        // value's own charge comes on top once it is known).
        if !budget.within(line.len() + taken) {
            return Err(ReadError::TooLarge);
        }
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if done {
            break;
        }
    }
    match line.strip_suffix(b"\r\n") {
        Some(content) => Ok(content.to_vec()),
        None => Err(protocol("a line not ended by CRLF")),
    }
}

/// A RESP integer (a length or an `:` reply).
fn number(text: &[u8]) -> Result<i64, ReadError> {
    std::str::from_utf8(text)
        .ok()
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| protocol(&format!("{:?} where a number was due", String::from_utf8_lossy(text))))
}

fn protocol(what: &str) -> ReadError {
    ReadError::Protocol(format!("Redis sent {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::Encoding;
    use proptest::prelude::*;

    /// `command` as a RESP array of bulk strings, in one buffer.
    fn encode_command(out: &mut Vec<u8>, command: &[impl AsRef<[u8]>]) {
        out.extend_from_slice(format!("*{}\r\n", command.len()).as_bytes());
        for arg in command {
            let arg = arg.as_ref();
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
    }

    /// `value` as Redis writes it.
    fn resp(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        write_resp(&mut out, value);
        out
    }

    fn write_resp(out: &mut Vec<u8>, value: &Value) {
        match value {
            Value::Nil => out.extend_from_slice(b"$-1\r\n"),
            Value::Int(n) => out.extend_from_slice(format!(":{n}\r\n").as_bytes()),
            Value::Status(text) => out.extend_from_slice(format!("+{text}\r\n").as_bytes()),
            Value::Error(text) => out.extend_from_slice(format!("-{text}\r\n").as_bytes()),
            Value::Bulk(bytes) => {
                out.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
                out.extend_from_slice(bytes);
                out.extend_from_slice(b"\r\n");
            }
            Value::Array(items) => {
                out.extend_from_slice(format!("*{}\r\n", items.len()).as_bytes());
                items.iter().for_each(|item| write_resp(out, item));
            }
        }
    }

    fn read_all(bytes: &[u8], limit: usize) -> Result<Vec<Value>, ReadError> {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let mut reader = bytes;
            let mut budget = ReplyBudget::unshared(limit, Encoding::Lossy);
            let mut values = Vec::new();
            while !reader.is_empty() {
                values.push(read_value(&mut reader, &mut budget).await?);
            }
            Ok(values)
        })
    }

    /// A line of text Redis could send in a `+` or `-` reply.
    fn line_text() -> impl Strategy<Value = String> {
        "[^\r\n]{0,40}"
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Nil),
            any::<i64>().prop_map(Value::Int),
            line_text().prop_map(Value::Status),
            line_text().prop_map(Value::Error),
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(Value::Bulk),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| proptest::collection::vec(inner, 0..8).prop_map(Value::Array))
    }

    /// Cases per property: few in a normal `cargo test`, more with
    /// `PROPTEST_CASES` (see the README).
    fn config() -> ProptestConfig {
        ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256))
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn replies_read_back_as_written(values in proptest::collection::vec(value(), 1..4)) {
            let bytes: Vec<u8> = values.iter().flat_map(resp).collect();
            prop_assert_eq!(read_all(&bytes, usize::MAX).unwrap(), values);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = read_all(&bytes, 1 << 20);
        }

        #[test]
        fn near_replies_never_panic(value in value(), cut in any::<prop::sample::Index>(), flip in any::<u8>()) {
            // A valid reply, cut short or with one byte changed.
            let mut bytes = resp(&value);
            let at = cut.index(bytes.len());
            let _ = read_all(&bytes[..at], 1 << 20);
            bytes[at] ^= flip;
            let _ = read_all(&bytes, 1 << 20);
        }

        #[test]
        fn a_budget_is_never_overrun(value in value(), limit in 0usize..2048) {
            let bytes = resp(&value);
            match read_all(&bytes, limit) {
                Ok(values) => prop_assert_eq!(values, vec![value]),
                Err(ReadError::TooLarge) => {}
                Err(other) => prop_assert!(false, "{:?}", other),
            }
        }
    }

    #[test]
    fn a_huge_length_is_refused_before_anything_is_read() {
        let budget = 1 << 20;
        assert!(matches!(read_all(b"$536870912\r\n", budget), Err(ReadError::TooLarge)));
        assert!(matches!(read_all(b"*2147483647\r\n:1\r\n", budget), Err(ReadError::Io(_))));
        let long_line = format!("+{}\r\n", "x".repeat(2 << 20));
        assert!(matches!(read_all(long_line.as_bytes(), budget), Err(ReadError::TooLarge)));
    }

    #[test]
    fn deep_nesting_and_unknown_types_are_protocol_errors() {
        let deep = "*1\r\n".repeat(MAX_DEPTH + 1) + ":1\r\n";
        assert!(matches!(read_all(deep.as_bytes(), usize::MAX), Err(ReadError::Protocol(_))));
        let fine = "*1\r\n".repeat(MAX_DEPTH) + ":1\r\n";
        assert!(read_all(fine.as_bytes(), usize::MAX).is_ok());
        for bytes in [&b"_\r\n"[..], b"%1\r\n", b"$3\r\nabcd\r\n", b":x\r\n", b"+OK\n", b"$-2\r\n"] {
            assert!(matches!(read_all(bytes, usize::MAX), Err(ReadError::Protocol(_))), "{bytes:?}");
        }
    }

    #[test]
    fn commands_are_written_as_arrays_of_bulk_strings() {
        let command: Command = vec![b"SET".to_vec(), b"k".to_vec(), vec![b'v'; 5000]];
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut written = Vec::new();
        runtime.block_on(write_commands(&mut written, std::slice::from_ref(&command))).unwrap();
        let mut expected = Vec::new();
        encode_command(&mut expected, &command);
        assert_eq!(written, expected);
        assert!(written.starts_with(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\nvvv"));
    }
}
