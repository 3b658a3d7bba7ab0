//! End-to-end tests of the REST protocol against the real redis-server on
//! 127.0.0.1:6379. Every test uses its own key prefix, so they run in parallel.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use upstash_local::testing::OwnRedis;
use upstash_local::{Config, Server, MAX_REQUEST_SIZE};

const REDIS_URL: &str = "redis://127.0.0.1:6379";
const TOKEN: &str = "test-token";
const READ_ONLY_TOKEN: &str = "test-read-only-token";

/// A server on a free port plus a unique key prefix.
struct Fixture {
    server: Server,
    http: reqwest::Client,
    prefix: String,
}

fn config(redis_url: &str, read_only_token: Option<&str>) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        redis_url: redis_url.to_string(),
        token: TOKEN.to_string(),
        read_only_token: read_only_token.map(str::to_string),
    }
}

fn unique_prefix() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos();
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("upstash-local-test:{}:{nanos}:{n}:", std::process::id())
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(config(REDIS_URL, None)).await
    }

    async fn start_with(config: Config) -> Self {
        Fixture {
            server: Server::start(config).await.expect("server starts"),
            http: reqwest::Client::new(),
            prefix: unique_prefix(),
        }
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.server.url())).bearer_auth(TOKEN)
    }

    /// `POST /` with a JSON command.
    async fn command(&self, command: Value) -> (StatusCode, Value) {
        send(self.request(Method::POST, "/").json(&command)).await
    }

    async fn post_json(&self, path: &str, body: Value) -> (StatusCode, Value) {
        send(self.request(Method::POST, path).json(&body)).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        send(self.request(Method::GET, path)).await
    }
}

async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request is answered");
    let status = response.status();
    assert_eq!(response.headers()["content-type"], "application/json", "every answer is JSON");
    (status, response.json().await.expect("JSON body"))
}

#[tokio::test]
async fn body_array_turns_numbers_and_booleans_into_arguments() {
    let f = Fixture::start().await;
    let (k1, k2, k3) = (f.key("float"), f.key("bool"), f.key("counter"));

    let (status, body) = f.command(json!(["SET", k1, 1.5, "EX", 100])).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": "OK"})));
    assert_eq!(f.command(json!(["GET", k1])).await.1, json!({"result": "1.5"}));
    let ttl = f.command(json!(["TTL", k1])).await.1["result"].as_i64().unwrap();
    assert!((1..=100).contains(&ttl), "EX 100 applied, ttl {ttl}");

    f.command(json!(["SET", k2, true])).await;
    assert_eq!(f.command(json!(["GET", k2])).await.1, json!({"result": "true"}));

    let (status, body) = f.command(json!(["INCRBY", k3, 100])).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": 100})));
    f.command(json!(["DEL", k1, k2, k3])).await;
}

#[tokio::test]
async fn malformed_body_arrays_are_400() {
    let f = Fixture::start().await;
    let bodies = [
        json!(["GET", null]),
        json!(["GET", {"a": 1}]),
        json!(["GET", ["nested"]]),
        json!([]),
        json!({"command": "GET"}),
        json!("GET"),
    ];
    for body in bodies {
        let (status, answer) = f.command(body.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let text = answer["error"].as_str().unwrap();
        assert!(text.starts_with("ERR "), "{body} → {text}");
    }
    let (status, answer) = send(f.request(Method::POST, "/").body("not json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().unwrap().starts_with("ERR "));
}

#[tokio::test]
async fn path_style_with_body_then_query_arguments() {
    let f = Fixture::start().await;
    let (k1, k2, k3) = (f.key("p1"), f.key("p2"), f.key("p3"));

    let (status, body) = f.get(&format!("/set/{k1}/hello%20world?EX=100")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": "OK"})));
    assert_eq!(f.get(&format!("/get/{k1}")).await.1, json!({"result": "hello world"}));
    let ttl = f.get(&format!("/ttl/{k1}")).await.1["result"].as_i64().unwrap();
    assert!((1..=100).contains(&ttl), "EX=100 appended, ttl {ttl}");

    // A parameter without a value appends just its name: SET k v NX.
    assert_eq!(f.get(&format!("/set/{k1}/other?NX")).await.1, json!({"result": null}));

    // POST body is the last argument, raw.
    let answer = send(f.request(Method::POST, &format!("/set/{k2}")).body("raw \"body\" bytes")).await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": "OK"})));
    assert_eq!(f.get(&format!("/get/{k2}")).await.1, json!({"result": "raw \"body\" bytes"}));

    // The body follows the path, then the query: SET k <body> EX 100
    // (Upstash's docs: `POST -d $VALUE /set/foo?EX=100` is `/set/foo/$VALUE/EX/100`).
    let answer = send(f.request(Method::PUT, &format!("/set/{k3}?EX=100")).body("put body")).await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": "OK"})));
    assert_eq!(f.get(&format!("/get/{k3}")).await.1, json!({"result": "put body"}));
    let ttl = f.get(&format!("/ttl/{k3}")).await.1["result"].as_i64().unwrap();
    assert!((1..=100).contains(&ttl), "EX=100 applied after the body, ttl {ttl}");

    // HEAD behaves as GET, without a body.
    let response = f.request(Method::HEAD, &format!("/get/{k2}")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.bytes().await.unwrap().is_empty());

    f.command(json!(["DEL", k1, k2, k3])).await;
}

#[tokio::test]
async fn base64_encoding_returns_raw_bytes_and_leaves_ok_plain() {
    let f = Fixture::start().await;
    let key = f.key("binary");
    let bytes = vec![0x00u8, 0xff, 0xfe];

    let answer =
        send(f.request(Method::POST, &format!("/set/{key}")).header("Upstash-Encoding", "base64").body(bytes.clone()))
            .await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": "OK"})), "OK is not encoded");

    let (status, body) =
        send(f.request(Method::GET, &format!("/get/{key}")).header("upstash-encoding", "BASE64")).await;
    assert_eq!(status, StatusCode::OK);
    let encoded = body["result"].as_str().unwrap();
    assert_eq!(STANDARD.decode(encoded).unwrap(), bytes);

    // Arrays, integers and null inside a pipeline.
    let (status, body) =
        send(f.request(Method::POST, "/pipeline").header("Upstash-Encoding", "base64").json(&json!([
            ["MGET", key, f.key("missing")],
            ["STRLEN", key],
            ["PING"]
        ])))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([{"result": ["AP/+", null]}, {"result": 3}, {"result": "UE9ORw=="}]));

    // Error texts are never encoded.
    let (status, body) =
        send(f.request(Method::GET, &format!("/hget/{key}/field")).header("Upstash-Encoding", "base64")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("WRONGTYPE"));
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn without_encoding_header_strings_are_lossy_utf8() {
    let f = Fixture::start().await;
    let key = f.key("binary");
    send(f.request(Method::POST, &format!("/set/{key}")).body(vec![b'a', 0x00, 0xff, 0xfe])).await;
    assert_eq!(f.get(&format!("/get/{key}")).await.1, json!({"result": "a\u{0}\u{fffd}\u{fffd}"}));
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn missing_or_wrong_token_is_401() {
    let f = Fixture::start().await;
    let url = format!("{}/ping", f.server.url());
    let unauthorized = (StatusCode::UNAUTHORIZED, json!({"error": "Unauthorized"}));

    assert_eq!(send(f.http.get(&url)).await, unauthorized);
    assert_eq!(send(f.http.get(&url).bearer_auth("wrong")).await, unauthorized);
    assert_eq!(send(f.http.get(&url).bearer_auth(format!("{TOKEN}x"))).await, unauthorized);
    assert_eq!(send(f.http.get(format!("{url}?_token=wrong"))).await, unauthorized);
    assert_eq!(send(f.http.post(format!("{}/", f.server.url())).json(&json!(["PING"]))).await, unauthorized);

    let ok = (StatusCode::OK, json!({"result": "PONG"}));
    assert_eq!(send(f.http.get(&url).bearer_auth(TOKEN)).await, ok);
    assert_eq!(send(f.http.get(format!("{url}?_token={TOKEN}"))).await, ok);
}

#[tokio::test]
async fn read_only_token_reads_and_writes_fail_with_noperm_from_redis() {
    let f = Fixture::start_with(config(REDIS_URL, Some(READ_ONLY_TOKEN))).await;
    let key = f.key("ro");
    f.command(json!(["SET", key, "value"])).await;
    let ro = |method: Method, path: &str| {
        f.http.request(method, format!("{}{path}", f.server.url())).bearer_auth(READ_ONLY_TOKEN)
    };

    assert_eq!(send(ro(Method::GET, &format!("/get/{key}"))).await, (StatusCode::OK, json!({"result": "value"})));
    assert_eq!(
        send(f.http.get(format!("{}/get/{key}?_token={READ_ONLY_TOKEN}", f.server.url()))).await,
        (StatusCode::OK, json!({"result": "value"}))
    );
    assert_eq!(
        send(ro(Method::POST, "/").json(&json!(["SET", key, "changed"]))).await,
        (StatusCode::BAD_REQUEST, json!({"error": "NOPERM this user has no permissions to run the 'set' command"}))
    );
    let (status, body) = send(ro(Method::GET, "/keys/*")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("NOPERM"), "{body}");

    let (status, body) = send(ro(Method::POST, "/pipeline").json(&json!([["GET", key], ["DEL", key]]))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0], json!({"result": "value"}));
    assert!(body[1]["error"].as_str().unwrap().starts_with("NOPERM"), "{body}");

    // Read-only transactions work; a write discards the transaction.
    let (status, body) = send(ro(Method::POST, "/multi-exec").json(&json!([["GET", key]]))).await;
    assert_eq!((status, body), (StatusCode::OK, json!([{"result": "value"}])));
    let (status, body) = send(ro(Method::POST, "/multi-exec").json(&json!([["GET", key], ["SET", key, "x"]]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("EXECABORT"), "{body}");

    assert_eq!(f.get(&format!("/get/{key}")).await.1, json!({"result": "value"}), "nothing written");
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn other_methods_are_405() {
    let f = Fixture::start().await;
    for method in [Method::DELETE, Method::PATCH, Method::OPTIONS] {
        assert_eq!(
            send(f.request(method.clone(), "/get/x")).await,
            (StatusCode::METHOD_NOT_ALLOWED, json!({"error": "Method Not Allowed"})),
            "{method}"
        );
    }
    // The routes' own methods: the same answer, counted, with a sync token.
    let before = f.server.request_count();
    for (method, path) in [
        (Method::DELETE, "/"),
        (Method::PATCH, "/pipeline"),
        (Method::OPTIONS, "/multi-exec"),
        (Method::DELETE, "/monitor"),
        (Method::POST, "/__local/stats"),
        (Method::GET, "/__local/stats/reset"),
    ] {
        let response = f.request(method.clone(), path).send().await.unwrap();
        assert!(response.headers().contains_key("upstash-sync-token"), "{method} {path}");
        assert_eq!(
            (response.status(), response.json::<serde_json::Value>().await.unwrap()),
            (StatusCode::METHOD_NOT_ALLOWED, json!({"error": "Method Not Allowed"})),
            "{method} {path}"
        );
    }
    assert_eq!(f.server.request_count(), before + 4, "the stats endpoints' own are not counted");
}

#[tokio::test]
async fn commands_take_get_head_post_and_put() {
    let f = Fixture::start().await;
    for method in [Method::GET, Method::POST, Method::PUT] {
        let (status, body) = send(f.request(method.clone(), "/").json(&json!(["ECHO", "hi"]))).await;
        assert_eq!((status, body), (StatusCode::OK, json!({"result": "hi"})), "{method} /");
        let (status, body) = send(f.request(method.clone(), "/pipeline").json(&json!([["ECHO", "a"]]))).await;
        assert_eq!((status, body), (StatusCode::OK, json!([{"result": "a"}])), "{method} /pipeline");
        let (status, body) = send(f.request(method.clone(), "/multi-exec").json(&json!([["ECHO", "b"]]))).await;
        assert_eq!((status, body), (StatusCode::OK, json!([{"result": "b"}])), "{method} /multi-exec");
    }
    let head = f.request(Method::HEAD, "/").json(&json!(["PING"])).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    // A path that only looks like a route is a path-style command.
    let (status, body) = f.get("/PIPELINE").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("unknown command"), "{body}");
}

#[tokio::test]
async fn bodies_over_10_mib_are_refused() {
    let f = Fixture::start().await;
    let key = f.key("big");
    let exact = vec![b'a'; MAX_REQUEST_SIZE];
    assert_eq!(MAX_REQUEST_SIZE, 10 * 1024 * 1024);

    let answer = send(f.request(Method::POST, &format!("/set/{key}")).body(exact)).await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": "OK"})), "exactly 10 MiB is fine");
    assert_eq!(f.get(&format!("/strlen/{key}")).await.1, json!({"result": MAX_REQUEST_SIZE}));

    let over = vec![b'b'; MAX_REQUEST_SIZE + 1];
    let answer = send(f.request(Method::POST, &format!("/set/{key}")).body(over)).await;
    assert_eq!(answer, (StatusCode::BAD_REQUEST, json!({"error": "ERR max request size exceeded"})));
    assert_eq!(
        f.get(&format!("/getrange/{key}/0/0")).await.1,
        json!({"result": "a"}),
        "the oversized write did not happen"
    );
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn blocking_transaction_pubsub_and_connection_commands_are_refused() {
    let f = Fixture::start().await;
    let key = f.key("list");
    let refused = [
        (json!(["BLPOP", key, 0]), "blpop"),
        (json!(["brpop", key, 0]), "brpop"),
        (json!(["BZPOPMIN", key, 0]), "bzpopmin"),
        (json!(["XREAD", "COUNT", 1, "BLOCK", 0, "STREAMS", key, "$"]), "xread"),
        (json!(["MULTI"]), "multi"),
        (json!(["exec"]), "exec"),
        (json!(["WATCH", key]), "watch"),
        (json!(["SUBSCRIBE", "channel"]), "subscribe"),
        (json!(["MONITOR"]), "monitor"),
        (json!(["SELECT", 1]), "select"),
        (json!(["AUTH", "x"]), "auth"),
        (json!(["CLIENT", "LIST"]), "client"),
    ];
    for (command, name) in refused {
        let (status, body) = f.command(command.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{command}");
        let text = body["error"].as_str().unwrap();
        assert!(text.starts_with("ERR ") && text.contains(&format!("'{name}'")), "{text}");
    }
    let (_, body) = f.command(json!(["MULTI"])).await;
    assert!(body["error"].as_str().unwrap().contains("/multi-exec"), "{body}");
    let (_, body) = f.command(json!(["SUBSCRIBE", "channel"])).await;
    assert!(body["error"].as_str().unwrap().contains("/subscribe/<channel>"), "{body}");

    // Path style too, and PING/ECHO/non-blocking XREAD still work.
    assert_eq!(f.get(&format!("/blpop/{key}/0")).await.0, StatusCode::BAD_REQUEST);
    assert_eq!(f.get("/ping").await.1, json!({"result": "PONG"}));
    assert_eq!(f.get("/echo/hi").await.1, json!({"result": "hi"}));
    let (status, body) = f.command(json!(["XREAD", "COUNT", 1, "STREAMS", key, "0"])).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"result": null})));
}

#[tokio::test]
async fn redis_errors_are_400_with_redis_text() {
    let f = Fixture::start().await;
    let key = f.key("hash");
    f.command(json!(["HSET", key, "f", "v"])).await;
    assert_eq!(
        f.command(json!(["GET"])).await,
        (StatusCode::BAD_REQUEST, json!({"error": "ERR wrong number of arguments for 'get' command"}))
    );
    assert_eq!(
        f.command(json!(["GET", key])).await,
        (
            StatusCode::BAD_REQUEST,
            json!({"error": "WRONGTYPE Operation against a key holding the wrong kind of value"})
        )
    );
    assert_eq!(
        f.command(json!(["EVALSHA", "0123456789012345678901234567890123456789", 0])).await,
        (StatusCode::BAD_REQUEST, json!({"error": "NOSCRIPT No matching script. Please use EVAL."}))
    );
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn pipeline_reports_each_command_and_keeps_going_after_an_error() {
    let f = Fixture::start().await;
    let key = f.key("counter");
    let (status, body) =
        f.post_json("/pipeline", json!([["SET", key, 1], ["HGET", key, "f"], ["BLPOP", key, 0], ["INCR", key]])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body[0], json!({"result": "OK"}));
    assert_eq!(body[1], json!({"error": "WRONGTYPE Operation against a key holding the wrong kind of value"}));
    assert!(body[2]["error"].as_str().unwrap().contains("'blpop'"), "{body}");
    assert_eq!(body[3], json!({"result": 2}));
    assert_eq!(body.as_array().unwrap().len(), 4);
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn multi_exec_applies_all_commands() {
    let f = Fixture::start().await;
    let (a, n) = (f.key("a"), f.key("n"));
    let (status, body) = f.post_json("/multi-exec", json!([["SET", a, "x"], ["GET", a], ["INCRBY", n, 5]])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!([{"result": "OK"}, {"result": "x"}, {"result": 5}]));
    f.command(json!(["DEL", a, n])).await;
}

#[tokio::test]
async fn multi_exec_runtime_error_is_one_item_and_the_rest_applies() {
    let f = Fixture::start().await;
    let (a, b) = (f.key("a"), f.key("b"));
    let (status, body) = f.post_json("/multi-exec", json!([["SET", a, "x"], ["INCR", a], ["SET", b, "y"]])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([
            {"result": "OK"},
            {"error": "ERR value is not an integer or out of range"},
            {"result": "OK"}
        ])
    );
    assert_eq!(f.command(json!(["GET", b])).await.1, json!({"result": "y"}));
    f.command(json!(["DEL", a, b])).await;
}

#[tokio::test]
async fn discarded_multi_exec_is_one_execabort_error_and_applies_nothing() {
    let f = Fixture::start().await;
    let (a, b) = (f.key("a"), f.key("b"));
    for bad in [json!(["NOSUCHCOMMAND", a]), json!(["GET"])] {
        let (status, body) = f.post_json("/multi-exec", json!([["SET", a, "x"], bad, ["SET", b, "y"]])).await;
        assert_eq!(
            (status, body),
            (StatusCode::BAD_REQUEST, json!({"error": "EXECABORT Transaction discarded because of previous errors."}))
        );
        assert_eq!(f.command(json!(["EXISTS", a, b])).await.1, json!({"result": 0}));
    }

    // A refused command refuses the whole transaction, before Redis sees it.
    let (status, body) = f.post_json("/multi-exec", json!([["SET", a, "x"], ["BLPOP", b, 0]])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().contains("'blpop'"), "{body}");
    assert_eq!(f.command(json!(["EXISTS", a])).await.1, json!({"result": 0}));
}

#[tokio::test]
async fn scripts_with_upstashs_allow_key_locking_flag_run_as_on_upstash() {
    // @upstash/ratelimit 2.1+ starts its scripts with this shebang; Redis 7 alone refuses it.
    let f = Fixture::start().await;
    let key = f.key("locked");
    let script = format!("#!lua flags=allow-key-locking\nreturn redis.call('INCR', KEYS[1]) -- {}", f.prefix);
    let digest = sha1_smol::Sha1::from(script.as_str()).digest().to_string();
    let (status, body) = f.command(json!(["EVALSHA", digest, 1, key])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("NOSCRIPT"), "{body}");
    assert_eq!(f.command(json!(["EVAL", script, 1, key])).await, (StatusCode::OK, json!({"result": 1})));
    assert_eq!(f.command(json!(["EVALSHA", digest, 1, key])).await, (StatusCode::OK, json!({"result": 2})));
    assert_eq!(f.command(json!(["SCRIPT", "LOAD", script])).await, (StatusCode::OK, json!({"result": digest})));
    let (status, body) =
        f.post_json("/pipeline", json!([["EVALSHA", digest, 1, key], ["SCRIPT", "EXISTS", digest]])).await;
    assert_eq!((status, body), (StatusCode::OK, json!([{"result": 3}, {"result": [1]}])));
    f.command(json!(["DEL", key])).await;
}

#[tokio::test]
async fn every_response_has_a_fresh_sync_token() {
    let f = Fixture::start().await;
    let token_of =
        |response: &reqwest::Response| response.headers()["upstash-sync-token"].to_str().unwrap().to_string();
    let first = f.request(Method::GET, "/ping").send().await.unwrap();
    let second = f.request(Method::GET, "/ping").header("upstash-sync-token", token_of(&first)).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::OK, "the header is accepted on requests");
    let unauthorized = f.http.get(format!("{}/ping", f.server.url())).send().await.unwrap();
    let not_allowed = f.request(Method::DELETE, "/ping").send().await.unwrap();
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(not_allowed.status(), StatusCode::METHOD_NOT_ALLOWED);

    let tokens: Vec<String> = [&first, &second, &unauthorized, &not_allowed].into_iter().map(token_of).collect();
    let mut unique = tokens.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), tokens.len(), "{tokens:?}");
}

#[tokio::test]
async fn redis_down_is_500() {
    let mut redis = OwnRedis::start();
    let f = Fixture::start_with(config(&redis.url(), None)).await;
    assert_eq!(f.command(json!(["SET", "k", "v"])).await, (StatusCode::OK, json!({"result": "OK"})));

    redis.stop();
    for request in [
        f.request(Method::POST, "/").json(&json!(["GET", "k"])),
        f.request(Method::GET, "/get/k"),
        f.request(Method::POST, "/pipeline").json(&json!([["GET", "k"]])),
        f.request(Method::POST, "/multi-exec").json(&json!([["GET", "k"]])),
    ] {
        let (status, body) = send(request).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert!(body["error"].as_str().is_some_and(|text| !text.is_empty()), "{body}");
    }

    // Once Redis is back, requests succeed again.
    let _redis = OwnRedis::start_on(redis.port);
    for _ in 0..50 {
        if f.get("/ping").await.0 == StatusCode::OK {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no recovery after Redis came back");
}

#[tokio::test]
async fn start_fails_fast_naming_an_unreachable_redis() {
    let mut redis = OwnRedis::start();
    redis.stop();
    let url = redis.url();
    let started = std::time::Instant::now();
    let err = Server::start(config(&url, None)).await.err().expect("start fails");
    assert!(err.to_string().contains(&url), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn request_counter_and_stats_endpoints() {
    let f = Fixture::start().await;
    assert_eq!(f.server.request_count(), 0);

    f.get("/ping").await;
    f.post_json("/pipeline", json!([["PING"], ["PING"]])).await;
    f.http.get(format!("{}/ping", f.server.url())).send().await.unwrap(); // 401 counts too
    assert_eq!(f.server.request_count(), 3);

    assert_eq!(f.get("/__local/stats").await, (StatusCode::OK, json!({"requests": 3})));
    assert_eq!(f.server.request_count(), 3, "stats requests are not counted");
    assert_eq!(send(f.http.get(format!("{}/__local/stats", f.server.url()))).await.0, StatusCode::UNAUTHORIZED);

    let (status, _) = send(f.request(Method::POST, "/__local/stats/reset")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(f.server.request_count(), 0);
    f.get("/ping").await;
    assert_eq!(f.get("/__local/stats").await.1, json!({"requests": 1}));
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let f = Fixture::start().await;
    let url = format!("{}/ping", f.server.url());
    assert_eq!(f.get("/ping").await.0, StatusCode::OK);
    f.server.shutdown();
    let http = reqwest::Client::new();
    for _ in 0..50 {
        if http.get(&url).bearer_auth(TOKEN).send().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("still serving after shutdown");
}

/// Tokens for the `upstash-local` command, which refuses tokens shorter
/// than 16 characters.
const CLI_TOKEN: &str = "test-token-for-the-cli";
const CLI_READ_ONLY_TOKEN: &str = "test-read-only-token-for-the-cli";

/// The `upstash-local` binary, with no token variables inherited.
fn cli() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_upstash-local"));
    command
        .env_remove("UPSTASH_LOCAL_TOKEN")
        .env_remove("UPSTASH_LOCAL_READ_ONLY_TOKEN")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    command
}

/// A file holding `content`, removed on drop.
struct TempFile(std::path::PathBuf);

impl TempFile {
    fn with(content: &str) -> TempFile {
        let path = std::env::temp_dir().join(unique_prefix().replace(':', "-"));
        std::fs::write(&path, content).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Reads the first line `child` prints.
async fn first_line(child: &mut tokio::process::Child) -> String {
    use tokio::io::AsyncBufReadExt;
    let stdout = child.stdout.take().expect("stdout piped");
    let mut line = String::new();
    tokio::io::BufReader::new(stdout).read_line(&mut line).await.unwrap();
    line
}

/// Starts the server command with `command`'s tokens; answers its URL.
async fn serving(mut command: tokio::process::Command) -> (tokio::process::Child, String) {
    let mut child = command
        .args(["--listen", "127.0.0.1:0", "--redis-url", REDIS_URL])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let line = first_line(&mut child).await;
    let url = line
        .trim()
        .strip_prefix("upstash-local listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(!url.ends_with(":0"), "{url}");
    (child, url)
}

#[tokio::test]
async fn cli_takes_the_token_from_its_variable_prints_the_bound_address_and_serves() {
    let mut command = cli();
    command.env("UPSTASH_LOCAL_TOKEN", CLI_TOKEN);
    let (mut child, url) = serving(command).await;
    let answer = send(reqwest::Client::new().get(format!("{url}/echo/cli")).bearer_auth(CLI_TOKEN)).await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": "cli"})));
    child.kill().await.unwrap();
}

#[tokio::test]
async fn cli_takes_tokens_from_files_trimmed() {
    let (full, read_only) =
        (TempFile::with(&format!("{CLI_TOKEN}\n")), TempFile::with(&format!("  {CLI_READ_ONLY_TOKEN}\n")));
    let mut command = cli();
    command.arg("--token-file").arg(&full.0).arg("--read-only-token-file").arg(&read_only.0);
    let (mut child, url) = serving(command).await;
    let http = reqwest::Client::new();
    assert_eq!(send(http.get(format!("{url}/echo/a")).bearer_auth(CLI_TOKEN)).await.1, json!({"result": "a"}));
    assert_eq!(
        send(http.get(format!("{url}/echo/b")).bearer_auth(CLI_READ_ONLY_TOKEN)).await.1,
        json!({"result": "b"})
    );
    let (status, body) =
        send(http.post(format!("{url}/")).bearer_auth(CLI_READ_ONLY_TOKEN).json(&json!(["SET", "k", "v"]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["error"].as_str().unwrap().starts_with("NOPERM"), "{body}");
    child.kill().await.unwrap();
}

/// Runs the server command with `args` and `env`, expecting it to fail at
/// startup without serving or showing any token; answers its stderr.
async fn startup_error(args: &[&std::ffi::OsStr], env: &[(&str, &str)]) -> String {
    let mut command = cli();
    command.args(args).envs(env.iter().copied()).args(["--listen", "127.0.0.1:0", "--redis-url", REDIS_URL]);
    let output = command.output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!output.status.success(), "{args:?} {env:?}");
    assert!(output.stdout.is_empty(), "nothing served: {}", String::from_utf8_lossy(&output.stdout));
    assert!(!stderr.contains("secret"), "{stderr}");
    stderr
}

#[tokio::test]
async fn cli_token_mistakes_are_clear_startup_errors_that_never_show_the_token() {
    let (token_file, empty_file) = (TempFile::with("secret-in-file-0123456789"), TempFile::with("\n  \n"));
    let (token_file, empty_file) = (token_file.0.as_os_str(), empty_file.0.as_os_str());
    let missing = std::env::temp_dir().join(format!("{}missing", unique_prefix().replace(':', "-")));
    let env_token = ("UPSTASH_LOCAL_TOKEN", "secret-in-env-0123456789");
    let flag = std::ffi::OsStr::new;
    let expectations = [
        (startup_error(&[], &[]).await, "no token: set UPSTASH_LOCAL_TOKEN or pass --token-file PATH".to_string()),
        (
            startup_error(&[flag("--token-file"), token_file], &[env_token]).await,
            "UPSTASH_LOCAL_TOKEN is set and --token-file is given".to_string(),
        ),
        (
            startup_error(
                &[flag("--read-only-token-file"), token_file],
                &[env_token, ("UPSTASH_LOCAL_READ_ONLY_TOKEN", "secret-read-only-0123456789")],
            )
            .await,
            "UPSTASH_LOCAL_READ_ONLY_TOKEN is set and --read-only-token-file is given".to_string(),
        ),
        (
            startup_error(&[flag("--token-file"), missing.as_os_str()], &[]).await,
            format!("--token-file {}: cannot read it", missing.display()),
        ),
        (
            startup_error(&[flag("--token-file"), token_file, flag("--read-only-token-file"), empty_file], &[]).await,
            format!("--read-only-token-file {}: the file is empty", std::path::Path::new(empty_file).display()),
        ),
        (
            startup_error(&[], &[("UPSTASH_LOCAL_TOKEN", "secret-short")]).await,
            "UPSTASH_LOCAL_TOKEN: the token is too short: give one of at least 16 characters".to_string(),
        ),
        (startup_error(&[], &[("UPSTASH_LOCAL_TOKEN", "")]).await, "UPSTASH_LOCAL_TOKEN is set but empty".to_string()),
        (
            startup_error(&[], &[env_token, ("UPSTASH_LOCAL_READ_ONLY_TOKEN", env_token.1)]).await,
            "the read-only token is the full-access token".to_string(),
        ),
        (
            startup_error(&[flag("--token"), flag("secret-on-argv")], &[env_token]).await,
            "--token is no longer accepted".to_string(),
        ),
        (
            startup_error(&[flag("--read-only-token=secret-on-argv")], &[env_token]).await,
            "--read-only-token is no longer accepted".to_string(),
        ),
    ];
    for (stderr, expected) in expectations {
        assert!(stderr.contains(&expected), "expected {expected:?} in {stderr}");
    }
}

#[tokio::test]
async fn cli_fails_with_a_clear_message_when_redis_is_unreachable() {
    let mut redis = OwnRedis::start();
    redis.stop();
    let url = redis.url();
    let output = cli()
        .env("UPSTASH_LOCAL_TOKEN", CLI_TOKEN)
        .args(["--listen", "127.0.0.1:0", "--redis-url", &url])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(&format!("cannot connect to Redis at {url}")), "{stderr}");
}

#[tokio::test]
async fn cli_never_shows_a_redis_password() {
    let output = cli()
        .env("UPSTASH_LOCAL_TOKEN", CLI_TOKEN)
        .args(["--listen", "127.0.0.1:0", "--redis-url", "redis://user:hunter2@127.0.0.1:1"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("cannot connect to Redis at redis://user:***@127.0.0.1:1"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// `upstash-local own-redis`, its stdin a pipe: the child, the port from
/// the line it printed, and the rest of its output.
async fn own_redis_command() -> (tokio::process::Child, u16, impl tokio::io::AsyncRead) {
    use tokio::io::AsyncBufReadExt;
    let mut child = cli()
        .arg("own-redis")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).await.unwrap();
    let port = line
        .strip_prefix("redis listening on redis://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix('\n'))
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"));
    (child, port, stdout)
}

/// Whether a Redis on `port` answers (upstash-local can start in front of it).
async fn redis_answers(port: u16) -> bool {
    match Server::start(config(&format!("redis://127.0.0.1:{port}"), None)).await {
        Ok(server) => {
            server.shutdown();
            true
        }
        Err(_) => false,
    }
}

/// Waits for `child` to exit 0, then checks it printed nothing more and its
/// redis-server is gone.
async fn exits_cleanly(mut child: tokio::process::Child, port: u16, mut rest: impl tokio::io::AsyncRead + Unpin) {
    use tokio::io::AsyncReadExt;
    let status = tokio::time::timeout(Duration::from_secs(5), child.wait()).await.expect("it exits").unwrap();
    assert!(status.success(), "{status}");
    let mut more = String::new();
    rest.read_to_string(&mut more).await.unwrap();
    assert_eq!(more, "", "exactly one line on stdout");
    assert!(!redis_answers(port).await, "its redis-server stopped too");
}

#[tokio::test]
async fn own_redis_prints_one_line_and_stops_on_sigterm() {
    let (child, port, rest) = own_redis_command().await;
    assert!(redis_answers(port).await);
    let pid = child.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    exits_cleanly(child, port, rest).await;
}

#[tokio::test]
async fn own_redis_stops_at_the_end_of_its_input() {
    let (mut child, port, rest) = own_redis_command().await;
    assert!(redis_answers(port).await);
    drop(child.stdin.take());
    exits_cleanly(child, port, rest).await;
}
