//! No request wedges the others: blocking commands are refused, a request
//! Redis does not answer in time gets a 500 and its connection closed while
//! other requests go on on connections of their own, and a script that runs
//! on is killed. Each test has a Redis of its own (they pause it and run
//! endless scripts on it).

mod support;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{error_of, send, Local};
use upstash_local::Limits;

/// The command timeout these tests set.
const TIMEOUT: Duration = Duration::from_millis(500);

fn limits() -> Limits {
    Limits { command_timeout: TIMEOUT, ..Limits::default() }
}

#[tokio::test]
async fn wait_and_other_blocking_commands_are_refused_at_once() {
    let local = Local::start_with(limits()).await;
    for command in [
        json!(["WAIT", "1", "0"]),
        json!(["WAITAOF", "0", "1", "0"]),
        json!(["BLPOP", "list", "0"]),
        json!(["BZMPOP", "0", "1", "zset", "MIN"]),
        json!(["XREAD", "BLOCK", "0", "STREAMS", "stream", "$"]),
        json!(["CLIENT", "PAUSE", "100000"]),
    ] {
        let started = Instant::now();
        let (status, body) = local.command(command.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{command} → {body}");
        assert!(started.elapsed() < Duration::from_millis(200), "{command} answered at once");
    }
    assert_eq!(send(local.request(Method::GET, "/wait/1/0")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(local.command(json!(["PING"])).await.1, json!({"result": "PONG"}));
}

#[tokio::test]
async fn a_request_redis_holds_times_out_alone_and_its_connection_recovers() {
    let local = Local::start_with(limits()).await;
    local.command(json!(["SET", "k", "before"])).await;
    // Redis holds every write for 1.5 s (as a replica catching up might).
    let mut redis = local.redis_direct().await;
    let _: () = redis::cmd("CLIENT").arg("PAUSE").arg(1500).arg("WRITE").query_async(&mut redis).await.unwrap();
    let paused = Instant::now();

    let write = local.command(json!(["SET", "k", "during"]));
    let reads = async {
        // Reads keep going meanwhile, each at once.
        let mut slowest = Duration::ZERO;
        for _ in 0..10 {
            let started = Instant::now();
            assert_eq!(local.command(json!(["GET", "k"])).await.1, json!({"result": "before"}));
            slowest = slowest.max(started.elapsed());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        slowest
    };
    let ((status, body), slowest_read) = tokio::join!(write, reads);
    let write_took = paused.elapsed();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(error_of(&body).starts_with("ERR no reply from Redis within 500 ms"), "{body}");
    assert!(write_took < TIMEOUT + Duration::from_millis(400), "the write gave up after {write_took:?}");
    assert!(slowest_read < Duration::from_millis(200), "a read waited {slowest_read:?}");

    // Once Redis takes writes again, so does upstash-local.
    tokio::time::sleep(Duration::from_millis(1500).saturating_sub(paused.elapsed())).await;
    assert_eq!(local.command(json!(["SET", "k", "after"])).await, (StatusCode::OK, json!({"result": "OK"})));
    assert_eq!(local.command(json!(["GET", "k"])).await.1, json!({"result": "after"}));
}

#[tokio::test]
async fn an_endless_read_only_script_is_killed_and_the_others_go_on() {
    let local = Local::start_with(limits()).await;
    // Redis answers BUSY to others after 200 ms of a script, and only then
    // takes SCRIPT KILL.
    let mut redis = local.redis_direct().await;
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("busy-reply-threshold").arg(200).query_async(&mut redis).await.unwrap();
    local.command(json!(["SET", "k", "v"])).await;

    let started = Instant::now();
    let (status, body) = local.read_only(json!(["EVAL_RO", "while true do end", "0"])).await;
    let gave_up = started.elapsed();
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert!(error_of(&body).contains("killed"), "{body}");
    assert!(gave_up < TIMEOUT + Duration::from_millis(400), "gave up after {gave_up:?}");

    // Everyone else is answered again soon after: the script was killed.
    let recovered = loop {
        let (status, body) = local.command(json!(["GET", "k"])).await;
        if status == StatusCode::OK {
            assert_eq!(body, json!({"result": "v"}));
            break started.elapsed();
        }
        assert!(error_of(&body).starts_with("BUSY"), "{body}");
        assert!(started.elapsed() < Duration::from_secs(5), "still busy after {:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    eprintln!("endless EVAL_RO: answered 500 after {gave_up:?}, Redis answering again after {recovered:?}");
    assert!(recovered < Duration::from_secs(2), "recovered after {recovered:?}");
}

#[tokio::test]
async fn an_endless_script_in_a_transaction_is_killed_too() {
    let local = Local::start_with(limits()).await;
    let mut redis = local.redis_direct().await;
    let _: () =
        redis::cmd("CONFIG").arg("SET").arg("busy-reply-threshold").arg(200).query_async(&mut redis).await.unwrap();
    let (status, _) = send(
        local.request(Method::POST, "/multi-exec").json(&json!([["GET", "k"], ["EVAL", "while true do end", "0"]])),
    )
    .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let started = Instant::now();
    while local.command(json!(["PING"])).await.0 != StatusCode::OK {
        assert!(started.elapsed() < Duration::from_secs(3), "still busy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
