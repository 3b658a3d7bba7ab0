//! The REST client against upstash-local over a real redis-server: every
//! protocol point the client relies on.

mod common;

use std::time::{Duration, Instant};

use common::*;
use edgecache::upstash::{Command, Reply, Script, UpstashError};

fn cmd(args: &[&str]) -> Command {
    Command::new(args[0]).args_from(&args[1..])
}

#[tokio::test]
async fn single_commands_round_trip_with_numbers_as_arguments() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("single");
    let set = client.command(&Command::new("SET").arg(&key).arg(42).arg("EX").arg(100)).await.unwrap();
    assert!(set.is_ok_status(), "{set:?}");
    assert_eq!(client.command(&cmd(&["GET", &key])).await.unwrap(), Reply::Bytes(b"42".to_vec()));
    assert_eq!(client.command(&cmd(&["INCR", &key])).await.unwrap(), Reply::Int(43));
    assert_eq!(client.command(&cmd(&["GET", &format!("{key}:absent")])).await.unwrap(), Reply::Nil);
    let ttl = client.command(&cmd(&["TTL", &key])).await.unwrap().into_int().unwrap();
    assert!((1..=100).contains(&ttl), "{ttl}");
    assert_eq!(client.round_trips(), 5);
}

#[tokio::test]
async fn binary_values_decode_exactly() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("binary");
    // Lua writes bytes that are not UTF-8: the REST body could not carry them.
    let writer = Script::new("return redis.call('SET', KEYS[1], string.char(0, 255, 254, 10, 79, 75), 'EX', 60)");
    client.eval(&writer, &[&key], &[] as &[&str]).await.unwrap();
    let got = client.command(&cmd(&["GET", &key])).await.unwrap().into_bytes().unwrap();
    assert_eq!(got, Some(vec![0, 255, 254, 10, b'O', b'K']));
    // "OK" itself, which Upstash leaves plain, still decodes to the two bytes.
    let ok = client.command(&cmd(&["SET", &key, "OK", "EX", "60"])).await.unwrap();
    assert_eq!(ok, Reply::Bytes(b"OK".to_vec()));
    assert_eq!(client.command(&cmd(&["GET", &key])).await.unwrap(), Reply::Bytes(b"OK".to_vec()));
}

#[tokio::test]
async fn redis_errors_keep_their_text() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("wrongtype");
    client.command(&cmd(&["LPUSH", &key, "x"])).await.unwrap();
    client.command(&cmd(&["EXPIRE", &key, "60"])).await.unwrap();
    let err = client.command(&cmd(&["GET", &key])).await.unwrap_err();
    match err {
        UpstashError::Command { message } => assert!(message.starts_with("WRONGTYPE"), "{message}"),
        other => panic!("expected a Command error, got {other:?}"),
    }
}

#[tokio::test]
async fn pipeline_runs_in_order_and_isolates_a_failing_command() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("pipeline");
    let list = format!("{key}:list");
    let outcomes = client
        .pipeline(&[
            cmd(&["SET", &key, "1", "EX", "60"]),
            cmd(&["LPUSH", &list, "x"]),
            cmd(&["INCR", &list]), // WRONGTYPE: fails alone
            cmd(&["INCR", &key]),
            cmd(&["EXPIRE", &list, "60"]),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 5);
    assert!(outcomes[0].as_ref().unwrap().is_ok_status());
    assert_eq!(outcomes[1], Ok(Reply::Int(1)));
    assert!(matches!(&outcomes[2], Err(UpstashError::Command { message }) if message.starts_with("WRONGTYPE")));
    assert_eq!(outcomes[3], Ok(Reply::Int(2)), "commands after the failure still ran");
    assert_eq!(client.round_trips(), 1, "a pipeline is one REST round trip");
}

#[tokio::test]
async fn multi_exec_applies_atomically_and_reports_runtime_errors_per_command() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("multi");
    let list = format!("{key}:list");
    client.command(&cmd(&["LPUSH", &list, "x"])).await.unwrap();
    client.command(&cmd(&["EXPIRE", &list, "60"])).await.unwrap();
    let outcomes = client
        .multi_exec(&[cmd(&["SET", &key, "5", "EX", "60"]), cmd(&["INCR", &list]), cmd(&["INCR", &key])])
        .await
        .unwrap();
    assert!(outcomes[0].as_ref().unwrap().is_ok_status());
    assert!(matches!(&outcomes[1], Err(UpstashError::Command { message }) if message.starts_with("WRONGTYPE")));
    assert_eq!(outcomes[2], Ok(Reply::Int(6)), "the others still apply");
}

#[tokio::test]
async fn a_discarded_transaction_applies_nothing() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("discarded");
    let err = client
        .multi_exec(&[
            cmd(&["SET", &key, "1", "EX", "60"]),
            cmd(&["GET"]), /* wrong arity: rejected while queuing */
        ])
        .await
        .unwrap_err();
    assert!(matches!(&err, UpstashError::Command { message } if message.starts_with("EXECABORT")), "{err:?}");
    assert_eq!(client.command(&cmd(&["EXISTS", &key])).await.unwrap(), Reply::Int(0));
}

#[tokio::test]
async fn evalsha_falls_back_to_eval_on_noscript() {
    let server = start_server().await;
    let client = client(&server);
    let key = unique("script");
    // A script no other test uses, so its digest is surely unknown to Redis.
    let source: &'static str = Box::leak(format!("-- {key}\nreturn redis.call('INCR', KEYS[1])").into_boxed_str());
    let script = Script::new(source);
    client.command(&cmd(&["SET", &key, "0", "EX", "60"])).await.unwrap();
    let before = client.round_trips();
    assert_eq!(client.eval(&script, &[&key], &[] as &[&str]).await.unwrap(), Reply::Int(1));
    assert_eq!(client.round_trips() - before, 2, "NOSCRIPT, then EVAL");
    assert_eq!(client.eval(&script, &[&key], &[] as &[&str]).await.unwrap(), Reply::Int(2));
    assert_eq!(client.round_trips() - before, 3, "EVALSHA alone once the script is loaded");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized() {
    let server = start_server().await;
    let wrong = client_for(&server.url(), "not-the-token", 2_000);
    let err = wrong.ping().await.unwrap_err();
    assert!(matches!(err, UpstashError::Unauthorized { status: 401, .. }), "{err:?}");
    // Batches are authenticated too.
    let err = wrong.pipeline(&[cmd(&["PING"])]).await.unwrap_err();
    assert!(matches!(err, UpstashError::Unauthorized { status: 401, .. }), "{err:?}");
}

#[tokio::test]
async fn the_read_only_token_reads_but_cannot_write() {
    let server = start_server().await;
    let key = unique("readonly");
    client(&server).command(&cmd(&["SET", &key, "v", "EX", "60"])).await.unwrap();
    let reader = client_for(&server.url(), READ_ONLY_TOKEN, 2_000);
    assert_eq!(reader.command(&cmd(&["GET", &key])).await.unwrap(), Reply::Bytes(b"v".to_vec()));
    let err = reader.command(&cmd(&["SET", &key, "w"])).await.unwrap_err();
    assert!(matches!(&err, UpstashError::Command { message } if message.starts_with("NOPERM")), "{err:?}");
    assert_eq!(reader.command(&cmd(&["GET", &key])).await.unwrap(), Reply::Bytes(b"v".to_vec()));
}

#[tokio::test]
async fn the_client_keeps_the_latest_sync_token() {
    let server = start_server().await;
    let client = client(&server);
    assert_eq!(client.sync_token(), None);
    client.ping().await.unwrap();
    let first = client.sync_token().expect("upstash-sync-token header");
    client.ping().await.unwrap();
    let second = client.sync_token().unwrap();
    assert_ne!(first, second, "the server hands out a new token on every response");
}

#[tokio::test]
async fn a_stalled_server_times_out_and_the_fetch_is_aborted() {
    let (addr, closed_after) = raw_http_server(None);
    let client = client_for(&format!("http://{addr}"), TOKEN, 300);
    let started = Instant::now();
    let err = client.ping().await.unwrap_err();
    assert_eq!(err, UpstashError::Timeout { timeout_ms: 300 });
    assert!(started.elapsed() < Duration::from_millis(2_000), "{:?}", started.elapsed());
    // Wait off the runtime thread: the client's connection task must run to close the socket.
    let held = tokio::task::spawn_blocking(move || closed_after.recv_timeout(Duration::from_secs(5)))
        .await
        .unwrap()
        .expect("connection closed by the client");
    assert!(held < Duration::from_millis(2_000), "the connection was held {held:?} after the timeout");
}

#[tokio::test]
async fn a_refused_connection_is_a_transport_error() {
    let client = client_for(&format!("http://127.0.0.1:{}", free_port()), TOKEN, 2_000);
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, UpstashError::Transport { status: None, .. }), "{err:?}");
    assert!(err.is_unavailable());
}

#[tokio::test]
async fn redis_down_behind_the_server_is_a_5xx_transport_error() {
    let mut redis = OwnRedis::start();
    let server = start_server_for(&redis.url()).await;
    let client = client(&server);
    client.ping().await.unwrap();
    redis.stop();
    let err = client.ping().await.unwrap_err();
    assert!(matches!(err, UpstashError::Transport { status: Some(500), .. }), "{err:?}");
}

#[tokio::test]
async fn an_answer_of_the_wrong_shape_is_a_protocol_error() {
    let (addr, _) = raw_http_server(Some(
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\nconnection: close\r\n\r\nnot json",
    ));
    let err = client_for(&format!("http://{addr}"), TOKEN, 2_000).ping().await.unwrap_err();
    assert!(matches!(err, UpstashError::Protocol { status: 200, .. }), "{err:?}");
}
