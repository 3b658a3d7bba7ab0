//! Turning Upstash REST requests into Redis commands, and the rules for
//! commands the REST API refuses.

use percent_encoding::percent_decode_str;
use serde_json::value::RawValue;

/// One Redis command: its name followed by its arguments, as raw bytes.
pub(crate) type Command = Vec<Vec<u8>>;

/// Parses the body of `POST /`: one JSON array such as `["SET","foo","bar","EX",100]`.
pub(crate) fn parse_json_command(body: &[u8]) -> Result<Command, String> {
    let items: Vec<&RawValue> = serde_json::from_slice(body).map_err(|_| {
        "ERR request body must be a JSON array of command arguments, e.g. [\"SET\",\"foo\",\"bar\"]".to_string()
    })?;
    command_from_json(&items).map_err(|why| format!("ERR {why}"))
}

/// Parses the body of `POST /pipeline` or `POST /multi-exec`: a JSON array of
/// commands such as `[["SET","foo","bar"],["GET","foo"]]`.
pub(crate) fn parse_json_batch(body: &[u8]) -> Result<Vec<Command>, String> {
    let not_a_batch = || {
        "ERR request body must be a JSON array of commands, e.g. [[\"SET\",\"foo\",\"bar\"],[\"GET\",\"foo\"]]"
            .to_string()
    };
    let commands: Vec<&RawValue> = serde_json::from_slice(body).map_err(|_| not_a_batch())?;
    if commands.is_empty() {
        return Err("ERR empty batch: send at least one command".to_string());
    }
    commands
        .iter()
        .enumerate()
        .map(|(index, command)| {
            let items: Vec<&RawValue> = serde_json::from_str(command.get()).map_err(|_| not_a_batch())?;
            command_from_json(&items).map_err(|why| format!("ERR command at index {index}: {why}"))
        })
        .collect()
}

fn command_from_json(items: &[&RawValue]) -> Result<Command, String> {
    if items.is_empty() {
        return Err("empty command: the array must start with a command name".to_string());
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            json_argument(item).map_err(|kind| {
                format!("argument at index {index} is {kind}; only strings, numbers and booleans are allowed")
            })
        })
        .collect()
}

/// A JSON string becomes its text, a number its JSON text as written
/// (`100` → `"100"`, `1.5` → `"1.5"`), a boolean `"true"`/`"false"`.
fn json_argument(item: &RawValue) -> Result<Vec<u8>, &'static str> {
    let text = item.get();
    match text.as_bytes().first() {
        Some(b'"') => serde_json::from_str::<String>(text).map(String::into_bytes).map_err(|_| "an invalid string"),
        Some(b'n') => Err("null"),
        Some(b'{') => Err("an object"),
        Some(b'[') => Err("an array"),
        // true, false, or a number: the parser has already validated it, and
        // its raw text is exactly the argument.
        Some(_) => Ok(text.as_bytes().to_vec()),
        None => Err("empty"),
    }
}

/// Parses a path-style request such as `GET /set/foo/bar?EX=100`.
///
/// Path segments (percent-decoded) are the command and its first arguments;
/// a non-empty `body` (from POST/PUT) follows them as one raw argument; query
/// parameters other than `_token` come last, in order (`EX=100` adds `EX` and
/// `100`, a bare `NX` adds `NX`). Upstash's docs: `POST -d $VALUE /set/foo?EX=100`
/// "is equivalent to `REST_URL/set/foo/$VALUE/EX/100`".
pub(crate) fn parse_path_command(path: &str, query: Option<&str>, body: Option<&[u8]>) -> Result<Command, String> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let mut command: Command = path.split('/').map(|segment| percent_decode_str(segment).collect()).collect();
    if let Some(body) = body.filter(|body| !body.is_empty()) {
        command.push(body.to_vec());
    }
    for (name, value) in query_params(query) {
        if name == b"_token" {
            continue;
        }
        command.push(name);
        command.extend(value);
    }
    if command[0].is_empty() {
        return Err("ERR empty command name in the request path".to_string());
    }
    Ok(command)
}

/// The query string as `(name, value)` pairs in order, percent-decoded with
/// `+` read as a space. A parameter without `=` has no value.
pub(crate) fn query_params(query: Option<&str>) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let decode = |text: &str| -> Vec<u8> { percent_decode_str(&text.replace('+', " ")).collect() };
    query
        .unwrap_or("")
        .split('&')
        .filter(|param| !param.is_empty())
        .map(|param| match param.split_once('=') {
            Some((name, value)) => (decode(name), Some(decode(value))),
            None => (decode(param), None),
        })
        .collect()
}

/// Why the REST API refuses `command` without sending it to Redis, if it does.
pub(crate) fn refusal(command: &Command) -> Option<String> {
    let name = String::from_utf8_lossy(&command[0]).to_ascii_lowercase();
    let why = match name.as_str() {
        "blpop" | "brpop" | "brpoplpush" | "blmove" | "blmpop" | "bzpopmin" | "bzpopmax" | "bzmpop" => {
            "blocking commands are not supported over REST"
        }
        "xread" | "xreadgroup" if has_block_option(&name, &command[1..]) => {
            "BLOCK makes it a blocking command, which is not supported over REST"
        }
        "multi" | "exec" | "discard" | "watch" | "unwatch" => {
            "transactions cannot be built command by command over REST, use /multi-exec"
        }
        "subscribe" | "psubscribe" => {
            "it needs a long-lived connection: stream it from /subscribe/<channel> or /psubscribe/<pattern>"
        }
        "ssubscribe" | "unsubscribe" | "punsubscribe" | "sunsubscribe" | "monitor" => {
            "it needs a long-lived connection, which is not supported over REST"
        }
        "auth" | "select" | "quit" | "hello" | "reset" | "client" => {
            "connection commands other than PING and ECHO are not supported over REST"
        }
        _ => return None,
    };
    Some(format!("ERR command '{name}' is not allowed: {why}"))
}

/// Whether XREAD/XREADGROUP options (everything before STREAMS) include BLOCK.
fn has_block_option(name: &str, args: &[Vec<u8>]) -> bool {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = String::from_utf8_lossy(arg).to_ascii_uppercase();
        match arg.as_str() {
            "BLOCK" => return true,
            "STREAMS" => return false,
            "COUNT" => {
                args.next();
            }
            "GROUP" if name == "xreadgroup" => {
                args.nth(1);
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(command: &Command) -> Vec<String> {
        command.iter().map(|arg| String::from_utf8_lossy(arg).into_owned()).collect()
    }

    #[test]
    fn json_numbers_keep_their_text() {
        let command = parse_json_command(br#"["SET", "k", 1.5, 100, true, false, 12345678901234567890]"#).unwrap();
        assert_eq!(strings(&command), ["SET", "k", "1.5", "100", "true", "false", "12345678901234567890"]);
    }

    #[test]
    fn json_rejects_other_types() {
        for body in [&b"[]"[..], b"[null]", b"[\"GET\",{}]", b"[\"GET\",[]]", b"{}", b"x"] {
            let err = parse_json_command(body).unwrap_err();
            assert!(err.starts_with("ERR "), "{err}");
        }
    }

    #[test]
    fn path_query_and_body() {
        let command = parse_path_command("/set/a%20b/c", Some("_token=x&EX=100&NX"), Some(b"v")).unwrap();
        assert_eq!(strings(&command), ["set", "a b", "c", "v", "EX", "100", "NX"]);
    }

    #[test]
    fn xread_block_detection() {
        let cmd = |s: &str| -> Command { s.split(' ').map(|a| a.as_bytes().to_vec()).collect() };
        assert!(refusal(&cmd("XREAD COUNT 2 BLOCK 0 STREAMS s 0")).is_some());
        assert!(refusal(&cmd("xread streams block 0")).is_none());
        assert!(refusal(&cmd("XREADGROUP GROUP block c STREAMS s >")).is_none());
        assert!(refusal(&cmd("XREADGROUP GROUP g c block 10 STREAMS s >")).is_some());
    }
}
