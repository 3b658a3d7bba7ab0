//! Turning Upstash REST requests into Redis commands, within the limits on
//! how many commands and arguments one request may hold.

use std::cell::Cell;
use std::fmt;

use percent_encoding::percent_decode_str;
use serde::de::{DeserializeSeed, Deserializer, Error as _, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// One Redis command: its name followed by its arguments, as raw bytes.
pub(crate) type Command = Vec<Vec<u8>>;

/// The most commands one `/pipeline` or `/multi-exec` request may hold;
/// more are refused with 400 `{"error":"ERR max number of commands
/// exceeded: ..."}` before any runs. Together with
/// [`MAX_ARGUMENTS_PER_REQUEST`] this bounds the memory a request costs
/// (each command and argument costs some bookkeeping beyond its bytes):
/// 800,000 `INCR`s fit in a 10 MiB body, but not in these limits.
pub const MAX_COMMANDS_PER_REQUEST: usize = 10_000;

/// The most arguments (command names included) one request may hold, in
/// all its commands together; more are refused with 400 `{"error":"ERR max
/// number of arguments exceeded: ..."}`.
pub const MAX_ARGUMENTS_PER_REQUEST: usize = 100_000;

/// Parses the body of `POST /`: one JSON array such as `["SET","foo","bar","EX",100]`.
pub(crate) fn parse_json_command(body: &[u8]) -> Result<Command, String> {
    let budget = Cell::new(MAX_ARGUMENTS_PER_REQUEST);
    let items = bounded_array(body, &budget).map_err(|err| match err {
        Bounded::TooMany => too_many_arguments(),
        Bounded::Invalid => {
            "ERR request body must be a JSON array of command arguments, e.g. [\"SET\",\"foo\",\"bar\"]".to_string()
        }
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
    let commands = bounded_array(body, &Cell::new(MAX_COMMANDS_PER_REQUEST)).map_err(|err| match err {
        Bounded::TooMany => format!(
            "ERR max number of commands exceeded: a /pipeline or /multi-exec request may hold at most \
             {MAX_COMMANDS_PER_REQUEST}"
        ),
        Bounded::Invalid => not_a_batch(),
    })?;
    if commands.is_empty() {
        return Err("ERR empty batch: send at least one command".to_string());
    }
    let arguments = Cell::new(MAX_ARGUMENTS_PER_REQUEST);
    commands
        .iter()
        .enumerate()
        .map(|(index, command)| {
            let items = bounded_array(command.get().as_bytes(), &arguments).map_err(|err| match err {
                Bounded::TooMany => too_many_arguments(),
                Bounded::Invalid => not_a_batch(),
            })?;
            command_from_json(&items).map_err(|why| format!("ERR command at index {index}: {why}"))
        })
        .collect()
}

fn too_many_arguments() -> String {
    format!(
        "ERR max number of arguments exceeded: a request may hold at most {MAX_ARGUMENTS_PER_REQUEST} \
         (command names included)"
    )
}

/// Why a JSON array was not read.
#[derive(Debug, PartialEq, Eq)]
enum Bounded {
    /// Not a JSON array.
    Invalid,
    /// More items than the budget allowed.
    TooMany,
}

/// The items of the JSON array `json`, unparsed, taking one from `budget`
/// per item and stopping (without reading or keeping the rest) when it runs
/// out.
fn bounded_array<'de>(json: &'de [u8], budget: &Cell<usize>) -> Result<Vec<&'de RawValue>, Bounded> {
    let over = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    let items = BoundedSeq { budget, over: &over }.deserialize(&mut deserializer).and_then(|items| {
        deserializer.end()?;
        Ok(items)
    });
    match items {
        Ok(items) => Ok(items),
        Err(_) if over.get() => Err(Bounded::TooMany),
        Err(_) => Err(Bounded::Invalid),
    }
}

/// Reads a JSON array's items as raw values, within a budget.
struct BoundedSeq<'a> {
    budget: &'a Cell<usize>,
    over: &'a Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for BoundedSeq<'_> {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BoundedSeq<'_> {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&RawValue>()? {
            let Some(left) = self.budget.get().checked_sub(1) else {
                self.over.set(true);
                return Err(A::Error::custom("too many items"));
            };
            self.budget.set(left);
            items.push(item);
        }
        Ok(items)
    }
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
pub(crate) fn parse_path_command(path: &str, query: Option<&str>, body: Option<Vec<u8>>) -> Result<Command, String> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let mut command: Command = path.split('/').map(|segment| percent_decode_str(segment).collect()).collect();
    if let Some(body) = body.filter(|body| !body.is_empty()) {
        command.push(body);
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
    fn batches_are_capped_in_commands_and_arguments() {
        let commands = vec!["[\"INCR\",\"k\"]"; MAX_COMMANDS_PER_REQUEST];
        let at_cap = format!("[{}]", commands.join(","));
        assert_eq!(parse_json_batch(at_cap.as_bytes()).unwrap().len(), MAX_COMMANDS_PER_REQUEST);
        let over = format!("[{},[\"INCR\",\"k\"]]", commands.join(","));
        let err = parse_json_batch(over.as_bytes()).unwrap_err();
        assert!(err.starts_with("ERR max number of commands exceeded"), "{err}");

        let args = vec!["\"a\""; MAX_ARGUMENTS_PER_REQUEST];
        let one_command = format!("[{}]", args.join(","));
        assert_eq!(parse_json_command(one_command.as_bytes()).unwrap().len(), MAX_ARGUMENTS_PER_REQUEST);
        let one_more = format!("[{},\"a\"]", args.join(","));
        let err = parse_json_command(one_more.as_bytes()).unwrap_err();
        assert!(err.starts_with("ERR max number of arguments exceeded"), "{err}");

        // The argument budget is shared by a batch's commands.
        let half = format!("[{}]", vec!["\"a\""; MAX_ARGUMENTS_PER_REQUEST / 2].join(","));
        assert!(parse_json_batch(format!("[{half},{half}]").as_bytes()).is_ok());
        let err = parse_json_batch(format!("[{half},{half},[\"PING\"]]").as_bytes()).unwrap_err();
        assert!(err.starts_with("ERR max number of arguments exceeded"), "{err}");
        // A malformed body is still reported as malformed.
        assert!(parse_json_batch(b"[[\"GET\"],").unwrap_err().starts_with("ERR request body must be"));
    }

    mod fuzz {
        use super::super::*;
        use percent_encoding::NON_ALPHANUMERIC;
        use proptest::prelude::*;

        /// Cases per property: few in a normal `cargo test`, more with
        /// `PROPTEST_CASES` (see the README).
        fn config() -> ProptestConfig {
            ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256))
        }

        /// A JSON argument as clients send them, and the bytes it stands for.
        fn argument() -> impl Strategy<Value = (serde_json::Value, Vec<u8>)> {
            prop_oneof![
                any::<String>().prop_map(|text| (serde_json::json!(text), text.into_bytes())),
                any::<i64>().prop_map(|n| (serde_json::json!(n), n.to_string().into_bytes())),
                any::<bool>().prop_map(|b| (serde_json::json!(b), b.to_string().into_bytes())),
            ]
        }

        fn command() -> impl Strategy<Value = Vec<(serde_json::Value, Vec<u8>)>> {
            proptest::collection::vec(argument(), 1..6)
        }

        /// Is `text` one of the errors a malformed body gets (a 400)?
        fn is_client_error(text: &str) -> bool {
            text.starts_with("ERR ")
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn arbitrary_bodies_parse_or_fail_cleanly(body in proptest::collection::vec(any::<u8>(), 0..512)) {
                if let Err(text) = parse_json_command(&body) {
                    prop_assert!(is_client_error(&text), "{}", text);
                }
                if let Err(text) = parse_json_batch(&body) {
                    prop_assert!(is_client_error(&text), "{}", text);
                }
            }

            #[test]
            fn arbitrary_json_parses_or_fails_cleanly(json in arbitrary_json()) {
                let body = json.to_string();
                if let Err(text) = parse_json_command(body.as_bytes()) {
                    prop_assert!(is_client_error(&text), "{}", text);
                }
                if let Err(text) = parse_json_batch(body.as_bytes()) {
                    prop_assert!(is_client_error(&text), "{}", text);
                }
            }

            #[test]
            fn commands_round_trip(command in command()) {
                let (json, bytes): (Vec<_>, Vec<_>) = command.into_iter().unzip();
                let body = serde_json::Value::Array(json.clone()).to_string();
                prop_assert_eq!(parse_json_command(body.as_bytes()).unwrap(), bytes.clone());
                let batch = serde_json::json!([json.clone(), json]).to_string();
                prop_assert_eq!(parse_json_batch(batch.as_bytes()).unwrap(), vec![bytes.clone(), bytes]);
            }

            #[test]
            fn arbitrary_paths_and_queries_never_panic(path in any::<String>(), query in proptest::option::of(any::<String>()), body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..16))) {
                match parse_path_command(&path, query.as_deref(), body) {
                    Ok(command) => prop_assert!(!command.is_empty() && !command[0].is_empty()),
                    Err(text) => prop_assert!(is_client_error(&text), "{}", text),
                }
                let _ = query_params(query.as_deref());
            }

            #[test]
            fn path_commands_round_trip(
                name in proptest::collection::vec(any::<u8>(), 1..12),
                rest in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..12), 0..4),
                params in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 1..8), proptest::collection::vec(any::<u8>(), 0..8)), 0..3),
            ) {
                let segments: Vec<Vec<u8>> = std::iter::once(name).chain(rest).collect();
                let encode = |bytes: &[u8]| percent_encoding::percent_encode(bytes, NON_ALPHANUMERIC).to_string();
                let path = format!("/{}", segments.iter().map(|segment| encode(segment)).collect::<Vec<_>>().join("/"));
                let query = params.iter().map(|(name, value)| format!("{}={}", encode(name), encode(value))).collect::<Vec<_>>().join("&");
                let mut expected = segments.clone();
                for (name, value) in &params {
                    if name.as_slice() != b"_token" {
                        expected.push(name.clone());
                        expected.push(value.clone());
                    }
                }
                let query = (!query.is_empty()).then_some(query.as_str());
                prop_assert_eq!(parse_path_command(&path, query, None).unwrap(), expected);
            }
        }

        fn arbitrary_json() -> impl Strategy<Value = serde_json::Value> {
            let leaf = prop_oneof![
                Just(serde_json::Value::Null),
                any::<bool>().prop_map(serde_json::Value::Bool),
                any::<f64>().prop_filter("finite", |n| n.is_finite()).prop_map(|n| serde_json::json!(n)),
                any::<i64>().prop_map(|n| serde_json::json!(n)),
                ".{0,8}".prop_map(serde_json::Value::String),
            ];
            leaf.prop_recursive(4, 32, 6, |inner| {
                prop_oneof![
                    proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
                    proptest::collection::btree_map(".{0,4}", inner, 0..4)
                        .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
                ]
            })
        }
    }

    #[test]
    fn path_query_and_body() {
        let command = parse_path_command("/set/a%20b/c", Some("_token=x&EX=100&NX"), Some(b"v".to_vec())).unwrap();
        assert_eq!(strings(&command), ["set", "a b", "c", "v", "EX", "100", "NX"]);
    }
}
