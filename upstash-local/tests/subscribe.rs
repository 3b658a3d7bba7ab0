//! End-to-end tests of `/subscribe/<channel>...`, `/psubscribe/<pattern>...`
//! and `/monitor` (Server-Sent Events) against the real redis-server on
//! 127.0.0.1:6379, or one of the test's own where the test watches every
//! command (`/monitor`). Every test uses channels of its own; pub/sub leaves
//! no data behind.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use upstash_local::testing::OwnRedis;
use upstash_local::{Config, Limits, Server};

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const TOKEN: &str = "test-token";
const READ_ONLY_TOKEN: &str = "test-read-only-token";
/// How long a test waits for an event before failing.
const EVENT_TIMEOUT: Duration = Duration::from_secs(5);

async fn start(redis_url: &str) -> Server {
    start_with(redis_url, Limits::default()).await
}

async fn start_with(redis_url: &str, limits: Limits) -> Server {
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        redis_url: redis_url.to_string(),
        token: TOKEN.to_string(),
        read_only_token: Some(READ_ONLY_TOKEN.to_string()),
    };
    Server::start_with(config, limits).await.expect("server starts")
}

/// A channel name no other test (or run) uses.
fn channel(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("upstash-local-test:{}:{nanos}:{}:{name}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Runs one command through the REST API; answers its result.
async fn command(server: &Server, command: Value) -> Value {
    let response =
        reqwest::Client::new().post(format!("{}/", server.url())).bearer_auth(TOKEN).json(&command).send().await;
    let body: Value = response.unwrap().json().await.unwrap();
    assert!(body.get("error").is_none(), "{command} → {body}");
    body["result"].clone()
}

/// An open event stream, read one event (up to its empty line) at a time.
struct Events {
    response: reqwest::Response,
    buffer: Vec<u8>,
}

impl Events {
    /// Opens `path` with `method` and `token`, checking it is an event stream.
    async fn open(server: &Server, method: Method, path: &str, token: &str) -> Events {
        let response = reqwest::Client::new()
            .request(method, format!("{}{path}", server.url()))
            .bearer_auth(token)
            .header("accept", "text/event-stream")
            .body("[]")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        assert_eq!(response.headers()["cache-control"], "no-cache");
        Events { response, buffer: Vec::new() }
    }

    /// The next event's text, its final empty line included.
    async fn next(&mut self) -> String {
        loop {
            if let Some(end) = self.buffer.windows(2).position(|pair| pair == b"\n\n") {
                let event: Vec<u8> = self.buffer.drain(..end + 2).collect();
                return String::from_utf8(event).unwrap();
            }
            let chunk = tokio::time::timeout(EVENT_TIMEOUT, self.response.chunk())
                .await
                .expect("an event within the timeout")
                .unwrap()
                .expect("the stream goes on");
            self.buffer.extend_from_slice(&chunk);
        }
    }

    /// Whether the stream ends (rather than sending more) within `within`.
    async fn ends_within(mut self, within: Duration) -> bool {
        matches!(tokio::time::timeout(within, self.response.chunk()).await, Ok(Ok(None)))
    }
}

/// Polls until `PUBSUB NUMSUB channel` is `expected`; answers how long it took.
async fn numsub_becomes(server: &Server, channel: &str, expected: i64, within: Duration) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < within {
        let result = command(server, json!(["PUBSUB", "NUMSUB", channel])).await;
        if result[1] == json!(expected) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn subscribe_streams_the_confirmation_then_each_published_message() {
    let server = start(REDIS_URL).await;
    let channel = channel("news a,b");
    let path = format!("/subscribe/{}", channel.replace(' ', "%20"));
    let mut events = Events::open(&server, Method::POST, &path, TOKEN).await;
    assert_eq!(events.next().await, format!("data: subscribe,{channel},1\n\n"));

    // As @upstash/redis publishes: JSON, commas and quotes included, not base64.
    let payload = r#"{"id":7,"tags":["a","b"],"text":"x, y"}"#;
    assert_eq!(command(&server, json!(["PUBLISH", channel, payload])).await, json!(1), "one subscriber");
    assert_eq!(events.next().await, format!("data: message,{channel},{payload}\n\n"));

    command(&server, json!(["PUBLISH", channel, "plain"])).await;
    command(&server, json!(["PUBLISH", channel, ""])).await;
    assert_eq!(events.next().await, format!("data: message,{channel},plain\n\n"));
    assert_eq!(events.next().await, format!("data: message,{channel},\n\n"));
}

#[tokio::test]
async fn line_breaks_in_a_payload_stay_inside_one_event() {
    let server = start(REDIS_URL).await;
    let channel = channel("lines");
    let mut events = Events::open(&server, Method::POST, &format!("/subscribe/{channel}"), TOKEN).await;
    events.next().await;

    let forged = format!("first\n\ndata: message,{channel},forged\r\n second");
    command(&server, json!(["PUBLISH", channel, forged])).await;
    command(&server, json!(["PUBLISH", channel, "after"])).await;
    assert_eq!(
        events.next().await,
        format!("data: message,{channel},first\ndata:\ndata:data: message,{channel},forged\ndata:  second\n\n")
    );
    assert_eq!(events.next().await, format!("data: message,{channel},after\n\n"), "the stream stays in step");
}

#[tokio::test]
async fn psubscribe_streams_pattern_messages() {
    let server = start(REDIS_URL).await;
    let prefix = channel("p");
    let pattern = format!("{prefix}:*");
    let mut events = Events::open(&server, Method::POST, &format!("/psubscribe/{pattern}"), TOKEN).await;
    assert_eq!(events.next().await, format!("data: psubscribe,{pattern},1\n\n"));
    command(&server, json!(["PUBLISH", format!("{prefix}:one"), "[1,2]"])).await;
    command(&server, json!(["PUBLISH", format!("{prefix}x"), "not matched"])).await;
    command(&server, json!(["PUBLISH", format!("{prefix}:two"), "2"])).await;
    assert_eq!(events.next().await, format!("data: pmessage,{pattern},{prefix}:one,[1,2]\n\n"));
    assert_eq!(events.next().await, format!("data: pmessage,{pattern},{prefix}:two,2\n\n"));
}

#[tokio::test]
async fn get_and_the_read_only_token_and_the_token_parameter_may_subscribe() {
    let server = start(REDIS_URL).await;
    let channel = channel("ro");
    let mut read_only = Events::open(&server, Method::GET, &format!("/subscribe/{channel}"), READ_ONLY_TOKEN).await;
    assert_eq!(read_only.next().await, format!("data: subscribe,{channel},1\n\n"));
    let mut read_only_pattern =
        Events::open(&server, Method::POST, &format!("/psubscribe/{channel}*"), READ_ONLY_TOKEN).await;
    read_only_pattern.next().await;

    let url = format!("{}/subscribe/{channel}?_token={TOKEN}", server.url());
    let response = reqwest::Client::new().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut by_parameter = Events { response, buffer: Vec::new() };
    by_parameter.next().await;

    assert_eq!(command(&server, json!(["PUBLISH", channel, "hi"])).await, json!(3));
    assert_eq!(read_only.next().await, format!("data: message,{channel},hi\n\n"));
    assert_eq!(read_only_pattern.next().await, format!("data: pmessage,{channel}*,{channel},hi\n\n"));
    assert_eq!(by_parameter.next().await, format!("data: message,{channel},hi\n\n"));

    // Subscribing does not let the read-only token publish.
    let response = reqwest::Client::new()
        .post(format!("{}/", server.url()))
        .bearer_auth(READ_ONLY_TOKEN)
        .json(&json!(["PUBLISH", channel, "x"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn wrong_token_other_methods_and_missing_names_are_refused_as_json() {
    let server = start(REDIS_URL).await;
    let http = reqwest::Client::new();
    let url = format!("{}/subscribe/{}", server.url(), channel("refused"));
    let cases = [
        (http.post(&url), StatusCode::UNAUTHORIZED, json!({"error": "Unauthorized"})),
        (http.post(&url).bearer_auth("wrong"), StatusCode::UNAUTHORIZED, json!({"error": "Unauthorized"})),
        (http.get(format!("{url}?_token=wrong")), StatusCode::UNAUTHORIZED, json!({"error": "Unauthorized"})),
        (http.delete(&url).bearer_auth(TOKEN), StatusCode::METHOD_NOT_ALLOWED, json!({"error": "Method Not Allowed"})),
        (http.put(&url).bearer_auth(TOKEN), StatusCode::METHOD_NOT_ALLOWED, json!({"error": "Method Not Allowed"})),
        (
            http.post(format!("{}/subscribe/", server.url())).bearer_auth(TOKEN),
            StatusCode::BAD_REQUEST,
            json!({"error": "ERR missing channel: use /subscribe/<channel>"}),
        ),
        (
            http.post(format!("{}/psubscribe", server.url())).bearer_auth(TOKEN),
            StatusCode::BAD_REQUEST,
            json!({"error": "ERR missing pattern: use /psubscribe/<pattern>"}),
        ),
    ];
    for (request, status, body) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.json::<Value>().await.unwrap(), body);
    }
    let head = http.head(&url).bearer_auth(TOKEN).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn stream_paths_are_streams_in_any_case() {
    let server = start(REDIS_URL).await;
    let channel = channel("any-case");
    let mut events = Events::open(&server, Method::GET, &format!("/SUBSCRIBE/{channel}"), TOKEN).await;
    assert_eq!(events.next().await, format!("data: subscribe,{channel},1\n\n"));
    let mut patterns = Events::open(&server, Method::POST, &format!("/PSubscribe/{channel}*"), READ_ONLY_TOKEN).await;
    assert_eq!(patterns.next().await, format!("data: psubscribe,{channel}*,1\n\n"));
    Events::open(&server, Method::POST, "/Monitor", TOKEN).await;
    let http = reqwest::Client::new();
    for (method, path) in [(Method::HEAD, "/MONITOR"), (Method::PUT, "/Subscribe/x"), (Method::PUT, "/monitor")] {
        let response = http.request(method.clone(), format!("{}{path}", server.url())).bearer_auth(TOKEN).send().await;
        assert_eq!(response.unwrap().status(), StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
    }
}

#[tokio::test]
async fn disconnecting_frees_the_redis_connection() {
    let server = start(REDIS_URL).await;
    let channel = channel("gone");
    let mut events = Events::open(&server, Method::POST, &format!("/subscribe/{channel}"), TOKEN).await;
    events.next().await;
    assert_eq!(command(&server, json!(["PUBSUB", "NUMSUB", channel])).await, json!([channel, 1]));
    drop(events);
    let took = numsub_becomes(&server, &channel, 0, Duration::from_secs(1)).await;
    assert!(took.is_some(), "PUBSUB NUMSUB {channel} still not 0 a second after the client left");
}

#[tokio::test]
async fn subscriptions_are_counted_as_requests() {
    let server = start(REDIS_URL).await;
    let channel = channel("counted");
    let mut events = Events::open(&server, Method::POST, &format!("/subscribe/{channel}"), TOKEN).await;
    events.next().await;
    let _refused = reqwest::Client::new().post(format!("{}/subscribe/{channel}", server.url())).send().await.unwrap();
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let server = start(REDIS_URL).await;
    let channel = channel("shutdown");
    let mut events = Events::open(&server, Method::POST, &format!("/subscribe/{channel}"), TOKEN).await;
    events.next().await;
    server.shutdown();
    assert!(events.ends_within(Duration::from_secs(2)).await, "the stream ended");
}

#[tokio::test]
async fn redis_down_is_500_and_a_stream_ends_when_redis_goes() {
    let mut redis = OwnRedis::start();
    let server = start(&redis.url()).await;
    let channel = channel("down");
    let mut events = Events::open(&server, Method::POST, &format!("/subscribe/{channel}"), TOKEN).await;
    events.next().await;
    redis.stop();
    assert!(events.ends_within(Duration::from_secs(2)).await, "the stream ended with its connection");

    let response =
        reqwest::Client::new().post(format!("{}/subscribe/{channel}", server.url())).bearer_auth(TOKEN).send().await;
    let response = response.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().starts_with("ERR Redis unavailable"), "{body}");
}

#[tokio::test]
async fn one_request_may_subscribe_to_several_channels_or_patterns() {
    let server = start(REDIS_URL).await;
    let (a, b) = (channel("a"), channel("b/with a slash"));
    let path = format!("/subscribe/{a}/{}/{a}", b.replace('/', "%2F").replace(' ', "%20"));
    let mut events = Events::open(&server, Method::POST, &path, TOKEN).await;
    assert_eq!(events.next().await, format!("data: subscribe,{a},1\n\n"));
    assert_eq!(events.next().await, format!("data: subscribe,{b},2\n\n"));
    assert_eq!(events.next().await, format!("data: subscribe,{a},2\n\n"), "a channel named twice counts once");
    command(&server, json!(["PUBLISH", b, "to b"])).await;
    command(&server, json!(["PUBLISH", a, "to a"])).await;
    assert_eq!(events.next().await, format!("data: message,{b},to b\n\n"));
    assert_eq!(events.next().await, format!("data: message,{a},to a\n\n"));

    let prefix = channel("p");
    let mut patterns = Events::open(&server, Method::GET, &format!("/psubscribe/{prefix}:x*/{prefix}:y*"), TOKEN).await;
    assert_eq!(patterns.next().await, format!("data: psubscribe,{prefix}:x*,1\n\n"));
    assert_eq!(patterns.next().await, format!("data: psubscribe,{prefix}:y*,2\n\n"));
    command(&server, json!(["PUBLISH", format!("{prefix}:y1"), "y"])).await;
    assert_eq!(patterns.next().await, format!("data: pmessage,{prefix}:y*,{prefix}:y1,y\n\n"));

    drop(events);
    assert!(numsub_becomes(&server, &b, 0, Duration::from_secs(1)).await.is_some(), "closing unsubscribes");
}

#[tokio::test]
async fn quiet_streams_send_keep_alive_comments() {
    let keep_alive_interval = Duration::from_millis(150);
    let server = start_with(REDIS_URL, Limits { keep_alive_interval, ..Limits::default() }).await;
    let channel = channel("quiet");
    let mut events = Events::open(&server, Method::POST, &format!("/subscribe/{channel}"), TOKEN).await;
    assert_eq!(events.next().await, format!("data: subscribe,{channel},1\n\n"));
    let started = Instant::now();
    assert_eq!(events.next().await, ": keep-alive\n\n");
    assert!(started.elapsed() >= keep_alive_interval - Duration::from_millis(50));
    command(&server, json!(["PUBLISH", channel, "still here"])).await;
    let mut next = events.next().await;
    while next == ": keep-alive\n\n" {
        next = events.next().await;
    }
    assert_eq!(next, format!("data: message,{channel},still here\n\n"));
}

#[tokio::test]
async fn monitor_streams_every_command_for_the_full_token_only() {
    let redis = OwnRedis::start();
    let server = start(&redis.url()).await;
    let mut events = Events::open(&server, Method::POST, "/monitor", TOKEN).await;
    assert_eq!(events.next().await, "data: \"OK\"\n\n");
    command(&server, json!(["SET", "watched", "value"])).await;
    let mut seen = events.next().await;
    while !seen.contains("\"SET\" \"watched\" \"value\"") {
        seen = events.next().await;
    }
    assert!(seen.starts_with("data: ") && seen.ends_with("\n\n"), "{seen}");

    let read_only = reqwest::Client::new()
        .post(format!("{}/monitor", server.url()))
        .bearer_auth(READ_ONLY_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(read_only.status(), StatusCode::BAD_REQUEST);
    let body: Value = read_only.json().await.unwrap();
    assert_eq!(body, json!({"error": "NOPERM this user has no permissions to run the 'monitor' command"}));
}
