//! A pooled Redis connection goes back to the pool only as it came out:
//! commands that would change its state (the Lua debugger, a database
//! selected, a transaction opened, a subscription...) never reach Redis,
//! and a connection that answers strangely is closed. Each test has a Redis
//! of its own (were a refusal to fail, the debugger would freeze it).

mod support;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{error_of, send, Local};
use upstash_local::Limits;

/// One Redis connection per token, so that every request reuses the one
/// the previous request left behind.
fn one_connection() -> Limits {
    Limits { redis_connections: 1, command_timeout: Duration::from_secs(2), ..Limits::default() }
}

/// Whether the Redis behind `local` answers a PING of its own within a second.
async fn redis_answers(local: &Local) -> bool {
    let ping = async {
        let mut redis = local.redis_direct().await;
        redis::cmd("PING").query_async::<String>(&mut redis).await
    };
    matches!(tokio::time::timeout(Duration::from_secs(1), ping).await, Ok(Ok(pong)) if pong == "PONG")
}

#[tokio::test]
async fn script_debug_is_refused_and_redis_keeps_serving_everyone() {
    let local = Local::start_with(one_connection()).await;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(3)).build().unwrap();
    let post =
        |body: serde_json::Value| http.post(format!("{}/", local.server.url())).bearer_auth(support::TOKEN).json(&body);

    // As in the report: SYNC mode, then any script, froze the whole server.
    for mode in ["SYNC", "YES", "sync"] {
        let (status, body) = send(post(json!(["SCRIPT", "DEBUG", mode]))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "SCRIPT DEBUG {mode} → {body}");
        assert!(error_of(&body).starts_with("ERR command 'script debug' is not allowed: "), "{body}");
    }
    let answer = send(post(json!(["EVAL", "return 1", "0"]))).await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": 1})), "the script runs, no debugger prompt");
    assert!(redis_answers(&local).await, "Redis serves other clients");

    // In a pipeline (one item refused) and a transaction (all refused).
    let (status, body) = send(
        local
            .request(Method::POST, "/pipeline")
            .json(&json!([["SCRIPT", "DEBUG", "YES"], ["SCRIPT", "LOAD", "return 2"]])),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(error_of(&body[0]).contains("'script debug'"), "{body}");
    let digest = body[1]["result"].as_str().unwrap().to_string();
    assert_eq!(local.command(json!(["EVALSHA", digest, "0"])).await, (StatusCode::OK, json!({"result": 2})));
    let (status, _) =
        send(local.request(Method::POST, "/multi-exec").json(&json!([["SCRIPT", "DEBUG", "SYNC"], ["PING"]]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(redis_answers(&local).await);
}

#[tokio::test]
async fn commands_that_change_a_connections_state_are_refused() {
    let local = Local::start_with(one_connection()).await;
    local.command(json!(["SET", "k", "v"])).await;
    for command in [
        json!(["SELECT", "1"]),
        json!(["CLIENT", "REPLY", "OFF"]),
        json!(["CLIENT", "TRACKING", "ON"]),
        json!(["CLIENT", "SETNAME", "x"]),
        json!(["CLIENT", "NO-EVICT", "ON"]),
        json!(["RESET"]),
        json!(["HELLO", "3"]),
        json!(["AUTH", "default", "x"]),
        json!(["READONLY"]),
        json!(["READWRITE"]),
        json!(["MULTI"]),
        json!(["WATCH", "k"]),
        json!(["SUBSCRIBE", "c"]),
        json!(["PSUBSCRIBE", "c*"]),
        json!(["SSUBSCRIBE", "c"]),
        json!(["MONITOR"]),
        json!(["SCRIPT", "DEBUG", "YES"]),
        json!(["QUIT"]),
        json!(["SYNC"]),
        json!(["PSYNC", "?", "-1"]),
    ] {
        let (status, body) = local.command(command.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{command} → {body}");
        assert!(error_of(&body).contains("is not allowed"), "{command} → {body}");
        // The one pooled connection still answers as a fresh one would.
        assert_eq!(local.command(json!(["GET", "k"])).await, (StatusCode::OK, json!({"result": "v"})), "{command}");
        assert_eq!(local.command(json!(["EVAL", "return 7", "0"])).await.1, json!({"result": 7}), "{command}");
    }
}
