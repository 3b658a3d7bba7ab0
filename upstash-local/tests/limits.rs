//! The limits that keep upstash-local safe to leave running: commands and
//! arguments per request, clients that send their headers or body too
//! slowly.

mod support;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{error_of, send, Local, TOKEN};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use upstash_local::{Limits, MAX_ARGUMENTS_PER_REQUEST, MAX_COMMANDS_PER_REQUEST};

#[tokio::test]
async fn pipelines_and_transactions_hold_at_most_the_command_cap() {
    let local = Local::start().await;
    let pings = |count: usize| Value::Array(vec![json!(["INCR", "n"]); count]);
    for path in ["/pipeline", "/multi-exec"] {
        let (status, body) = send(local.request(Method::POST, path).json(&pings(MAX_COMMANDS_PER_REQUEST))).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(body.as_array().unwrap().len(), MAX_COMMANDS_PER_REQUEST);

        let (status, body) = send(local.request(Method::POST, path).json(&pings(MAX_COMMANDS_PER_REQUEST + 1))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            error_of(&body),
            format!(
                "ERR max number of commands exceeded: a /pipeline or /multi-exec request may hold at most \
                 {MAX_COMMANDS_PER_REQUEST}"
            )
        );
    }
    let expected = 2 * MAX_COMMANDS_PER_REQUEST;
    assert_eq!(local.command(json!(["GET", "n"])).await.1, json!({"result": expected.to_string()}), "no more ran");
}

#[tokio::test]
async fn a_request_holds_at_most_the_argument_cap() {
    let local = Local::start().await;
    let mut del = vec![json!("DEL")];
    del.extend((1..MAX_ARGUMENTS_PER_REQUEST).map(|n| json!(format!("k{n}"))));
    assert_eq!(local.command(Value::Array(del.clone())).await, (StatusCode::OK, json!({"result": 0})));
    del.push(json!("one-more"));
    let (status, body) = local.command(Value::Array(del)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(error_of(&body).starts_with("ERR max number of arguments exceeded"), "{body}");
}

/// Connects to `local` and sends `bytes` raw; answers the stream.
async fn raw(local: &Local, bytes: &[u8]) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(local.server.addr()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream
}

/// Reads until the server closes `stream`; answers what it sent and when
/// it closed (`None` if it had not within `within`).
async fn read_until_closed(stream: &mut tokio::net::TcpStream, within: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(within.saturating_sub(started.elapsed()), stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&seen).into_owned(), Some(started.elapsed())),
            Ok(Ok(n)) => seen.extend_from_slice(&buffer[..n]),
            Err(_) => return (String::from_utf8_lossy(&seen).into_owned(), None),
        }
    }
}

#[tokio::test]
async fn a_client_that_stops_halfway_through_its_headers_is_disconnected() {
    let header_read_timeout = Duration::from_millis(300);
    let local = Local::start_with(Limits { header_read_timeout, ..Limits::default() }).await;
    let mut stream =
        raw(&local, format!("GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n").as_bytes()).await;
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    let closed = closed.expect("disconnected");
    assert!(closed >= header_read_timeout - Duration::from_millis(50), "closed after {closed:?}");

    // An idle keep-alive connection goes the same way; a complete request
    // in time is served.
    let mut stream =
        raw(&local, format!("GET /ping HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes()).await;
    let (seen, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(seen.starts_with("HTTP/1.1 200 OK") && seen.contains("PONG"), "{seen}");
    assert!(closed.is_some(), "the idle connection was closed");
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_a_408() {
    let body_read_timeout = Duration::from_millis(300);
    let local = Local::start_with(Limits { body_read_timeout, ..Limits::default() }).await;
    let head =
        format!("POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n[\"PING\"");
    let mut stream = raw(&local, head.as_bytes()).await;
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("}") {
        let n =
            tokio::time::timeout(Duration::from_secs(3), stream.read(&mut buffer)).await.expect("answered").unwrap();
        assert!(n > 0, "closed without an answer");
        seen.extend_from_slice(&buffer[..n]);
    }
    let seen = String::from_utf8_lossy(&seen);
    assert!(seen.starts_with("HTTP/1.1 408"), "{seen}");
    assert!(seen.contains(r#"{"error":"ERR request body not received within 300 ms"}"#), "{seen}");
    assert!(started.elapsed() >= body_read_timeout - Duration::from_millis(50));
}

/// Sets `key` to `size` bytes of `byte` directly on Redis.
async fn set_directly(local: &Local, key: &str, size: usize, byte: u8) {
    let mut redis = local.redis_direct().await;
    let _: () = redis::cmd("SET").arg(key).arg(vec![byte; size]).query_async(&mut redis).await.unwrap();
}

#[tokio::test]
async fn a_reply_over_the_reply_cap_is_refused_as_upstash_refuses_large_requests() {
    let local = Local::start().await;
    set_directly(&local, "big", 20 * 1024 * 1024, b'a').await;
    set_directly(&local, "five", 5 * 1024 * 1024, b'a').await;
    let too_large = |body: &Value| error_of(body).starts_with("ERR max request size exceeded");

    // One value, as a single command, path style and with base64.
    let (status, body) = local.command(json!(["GET", "big"])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(too_large(&body), "{body}");
    let (status, body) = send(local.request(Method::GET, "/get/big").header("Upstash-Encoding", "base64")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(too_large(&body), "{body}");

    // Many values that add up, from the read-only token (a 961-byte request
    // in the report).
    let gets = Value::Array(vec![json!(["GET", "five"]); 60]);
    let response = local.bare(Method::POST, "/pipeline").bearer_auth(support::READ_ONLY_TOKEN).json(&gets);
    let (status, body) = send(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(too_large(&body), "{body}");
    let (status, body) = send(local.request(Method::POST, "/multi-exec").json(&gets)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(too_large(&body), "{body}");

    // A script's generated answer counts as it is written: a million zero
    // bytes are six million bytes of JSON (\u0000 each), but fit.
    let script = "return string.rep(string.char(0), 1000000)";
    let (status, body) = local.read_only(json!(["EVAL_RO", script, "0"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"].as_str().unwrap().len(), 1_000_000);
    let script = "return string.rep('x', 20 * 1024 * 1024)";
    let (status, body) = local.read_only(json!(["EVAL_RO", script, "0"])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(too_large(&body), "{body}");

    // Under the cap is served, and the connection that hit the cap was not
    // reused half-read.
    let (status, body) = local.command(json!(["STRLEN", "big"])).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": 20 * 1024 * 1024})));
    let (status, body) = local.command(json!(["GET", "five"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["result"].as_str().unwrap().len(), 5 * 1024 * 1024);
}
