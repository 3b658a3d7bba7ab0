//! Fuzzing what parses untrusted bytes, end to end: arbitrary methods,
//! paths, query strings, headers and bodies, and arbitrary commands, sent
//! to a server in front of a Redis of its own. Nothing may panic or answer
//! a 5xx, every answer is JSON (or an event stream), and garbage is a 4xx.
//!
//! Few cases by default, so that `cargo test` stays quick; set
//! `PROPTEST_CASES` for more (`PROPTEST_CASES=100000 cargo test -p
//! upstash-local --test fuzz`). The parsers' own properties (round trips
//! included) are unit tests beside them: `protocol`, `resp`, `encode`,
//! `streams`.

mod support;

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::Value;
use support::{Local, READ_ONLY_TOKEN, TOKEN};

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
    Config { cases, failure_persistence: None, ..Config::default() }
}

/// A server (and its Redis) for the whole run, on a runtime of its own.
fn server() -> (tokio::runtime::Runtime, Local) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let limits = upstash_local::Limits { command_timeout: Duration::from_secs(2), ..Default::default() };
    let local = runtime.block_on(Local::start_with(limits));
    (runtime, local)
}

/// Sends `request`; checks what any answer must be: not a 5xx, JSON (or
/// an event stream, left unread). Answers the status and the JSON.
async fn check(request: reqwest::RequestBuilder) -> Result<(u16, Option<Value>), TestCaseError> {
    let response = request.timeout(Duration::from_secs(10)).send().await;
    let response = response.map_err(|err| TestCaseError::fail(format!("no answer: {err}")))?;
    let status = response.status().as_u16();
    prop_assert!(status < 500, "status {}", status);
    let event_stream = response.headers().get("content-type").is_some_and(|value| value == "text/event-stream");
    if event_stream {
        return Ok((status, None));
    }
    let head = response.headers().get("content-type").cloned();
    let bytes = response.bytes().await.map_err(|err| TestCaseError::fail(err.to_string()))?;
    if bytes.is_empty() {
        // HEAD
        return Ok((status, None));
    }
    prop_assert_eq!(head.as_ref().map(|value| value.as_bytes()), Some(&b"application/json"[..]));
    let json: Value = serde_json::from_slice(&bytes)
        .map_err(|_| TestCaseError::fail(format!("not JSON: {}", String::from_utf8_lossy(&bytes))))?;
    Ok((status, Some(json)))
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::HEAD),
        Just(Method::DELETE),
        Just(Method::PATCH),
        Just(Method::OPTIONS),
    ]
}

/// A path as a client might send it: segments of anything, percent-encoded.
fn path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..12).prop_map(|bytes| percent_encoding::percent_encode(
            &bytes,
            percent_encoding::NON_ALPHANUMERIC
        )
        .to_string()),
        "[a-zA-Z_%0-9.+-]{0,10}",
        prop_oneof![Just("pipeline"), Just("multi-exec"), Just("get"), Just("set"), Just("__local"), Just("stats")]
            .prop_map(String::from),
    ];
    proptest::collection::vec(segment, 0..4).prop_map(|segments| format!("/{}", segments.join("/")))
}

#[test]
fn arbitrary_requests_get_a_json_answer_never_a_5xx() {
    let (runtime, local) = server();
    let strategy = (
        method(),
        path(),
        proptest::option::of("[a-zA-Z_=&%0-9+-]{0,24}"),
        proptest::collection::vec(any::<u8>(), 0..256),
        any::<bool>(),
        0..3usize,
    );
    TestRunner::new(config())
        .run(&strategy, |(method, path, query, body, base64, token)| {
            let mut url = format!("{}{path}", local.server.url());
            if let Some(query) = query {
                url = format!("{url}?{query}");
            }
            let mut request = local.http.request(method, url).body(body);
            if base64 {
                request = request.header("Upstash-Encoding", "base64");
            }
            request = match token {
                0 => request.bearer_auth(TOKEN),
                1 => request.bearer_auth(READ_ONLY_TOKEN),
                _ => request,
            };
            runtime.block_on(check(request)).map(|_| ())
        })
        .unwrap();
}

#[test]
fn garbage_bodies_are_a_400() {
    let (runtime, local) = server();
    let strategy = (prop_oneof![Just("/"), Just("/pipeline"), Just("/multi-exec")], any::<Vec<u8>>());
    TestRunner::new(config())
        .run(&strategy, |(path, body)| {
            let well_formed = serde_json::from_slice::<Value>(&body)
                .ok()
                .is_some_and(|json| json.as_array().is_some_and(|items| !items.is_empty()));
            prop_assume!(!well_formed);
            let request = local.request(Method::POST, path).body(body);
            let (status, json) = runtime.block_on(check(request))?;
            prop_assert_eq!(status, 400);
            let json = json.unwrap();
            prop_assert!(json["error"].as_str().is_some_and(|text| text.starts_with("ERR ")), "{}", json);
            Ok(())
        })
        .unwrap();
}

/// A command: a name Redis knows (or not), arguments of anything.
fn command() -> impl Strategy<Value = Vec<Value>> {
    let name = prop_oneof![
        prop_oneof![
            Just("GET"),
            Just("SET"),
            Just("HSET"),
            Just("LPUSH"),
            Just("ZADD"),
            Just("INCR"),
            Just("EVAL"),
            Just("EVAL_RO"),
            Just("SCRIPT"),
            Just("CONFIG"),
            Just("INFO"),
            Just("ACL"),
            Just("CLIENT"),
            Just("OBJECT"),
            Just("XADD"),
            Just("COPY"),
            Just("FLUSHALL"),
            Just("PING"),
            Just("ECHO"),
        ]
        .prop_map(Value::from),
        any::<String>().prop_map(Value::from),
    ];
    let argument = prop_oneof![
        any::<String>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "[a-z*:]{0,6}".prop_map(Value::from),
    ];
    (name, proptest::collection::vec(argument, 0..5)).prop_map(|(name, mut args)| {
        args.insert(0, name);
        args
    })
}

#[test]
fn arbitrary_commands_are_answered_never_a_5xx() {
    let (runtime, local) = server();
    let strategy = (
        prop_oneof![Just("/"), Just("/pipeline"), Just("/multi-exec")],
        proptest::collection::vec(command(), 1..4),
        any::<bool>(),
        any::<bool>(),
    );
    TestRunner::new(config())
        .run(&strategy, |(path, commands, base64, read_only)| {
            let body = match path {
                "/" => Value::Array(commands[0].clone()),
                _ => Value::Array(commands.into_iter().map(Value::Array).collect()),
            };
            let token = if read_only { READ_ONLY_TOKEN } else { TOKEN };
            let mut request = local.bare(Method::POST, path).bearer_auth(token).json(&body);
            if base64 {
                request = request.header("Upstash-Encoding", "base64");
            }
            let (status, json) = runtime.block_on(check(request))?;
            let json = json.unwrap();
            match status {
                200 => prop_assert!(json.get("result").is_some() || json.is_array(), "{}", json),
                _ => prop_assert!(json["error"].is_string(), "{}", json),
            }
            Ok(())
        })
        .unwrap();
}
