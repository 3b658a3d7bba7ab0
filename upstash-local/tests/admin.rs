//! What a token may do beyond data commands: administrative commands are
//! refused as Upstash refuses them, `CONFIG` and `INFO` answer as Upstash's
//! do, and a token in the query string only reads. Each test has a Redis of
//! its own: were a refusal to fail, the command would reach it.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::json;
use support::{error_of, send, Local, READ_ONLY_TOKEN, TOKEN};

#[tokio::test]
async fn administrative_commands_are_refused_before_redis_sees_them() {
    let local = Local::start().await;
    local.command(json!(["SET", "kept", "1"])).await;
    let refused = [
        (json!(["SHUTDOWN", "NOSAVE"]), "shutdown"),
        (json!(["REPLICAOF", "127.0.0.1", "1"]), "replicaof"),
        (json!(["SLAVEOF", "127.0.0.1", "1"]), "slaveof"),
        (json!(["MIGRATE", "127.0.0.1", "1", "kept", "0", "1000"]), "migrate"),
        (json!(["SYNC"]), "sync"),
        (json!(["DEBUG", "SLEEP", "1"]), "debug"),
        (json!(["MONITOR"]), "monitor"),
        (json!(["CONFIG", "SET", "dir", "/tmp"]), "config set"),
        (json!(["CONFIG", "REWRITE"]), "config rewrite"),
        (json!(["ACL", "LIST"]), "acl list"),
        (json!(["ACL", "SETUSER", "intruder", "on", ">pw", "+@all"]), "acl setuser"),
        (json!(["CLIENT", "PAUSE", "10000"]), "client"),
        (json!(["WAIT", "1", "0"]), "wait"),
        (json!(["SWAPDB", "0", "1"]), "swapdb"),
        (json!(["BGSAVE"]), "bgsave"),
        (json!(["MODULE", "LOAD", "/tmp/x.so"]), "module"),
    ];
    for (command, name) in &refused {
        let (status, body) = local.command(command.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{command} → {body}");
        let text = error_of(&body);
        assert!(text.starts_with(&format!("ERR command '{name}' is not allowed: ")), "{text}");
    }
    // Path style, in a pipeline (one item each), in a transaction (all of it).
    assert_eq!(send(local.request(Method::GET, "/shutdown")).await.0, StatusCode::BAD_REQUEST);
    let (status, body) =
        send(local.request(Method::POST, "/pipeline").json(&json!([["DEBUG", "SLEEP", "0"], ["GET", "kept"]]))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(error_of(&body[0]).starts_with("ERR command 'debug' is not allowed"), "{body}");
    assert_eq!(body[1], json!({"result": "1"}));
    let (status, body) =
        send(local.request(Method::POST, "/multi-exec").json(&json!([["SET", "kept", "2"], ["SHUTDOWN"]]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(local.command(json!(["GET", "kept"])).await.1, json!({"result": "1"}), "nothing ran");

    // Redis is still there, not a replica, with no new user.
    let mut redis = local.redis_direct().await;
    let role: Vec<redis::Value> = redis::cmd("ROLE").query_async(&mut redis).await.unwrap();
    assert_eq!(role[0], redis::Value::BulkString(b"master".to_vec()));
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query_async(&mut redis).await.unwrap();
    assert!(!users.contains(&"intruder".to_string()), "{users:?}");
}

#[tokio::test]
async fn what_upstash_offers_still_runs() {
    let local = Local::start().await;
    local.command(json!(["SET", "k", "v"])).await;
    assert_eq!(local.command(json!(["DBSIZE"])).await.1, json!({"result": 1}));
    assert_eq!(local.command(json!(["SCRIPT", "FLUSH"])).await.1, json!({"result": "OK"}));
    let whoami = local.command(json!(["ACL", "WHOAMI"])).await.1;
    assert!(whoami["result"].as_str().unwrap().starts_with("upstash-local-rw-"), "{whoami}");
    assert_eq!(local.command(json!(["MEMORY", "USAGE", "k"])).await.0, StatusCode::OK);
    // FLUSHALL and FLUSHDB stay, with the token in the header.
    assert_eq!(send(local.request(Method::GET, "/flushall")).await, (StatusCode::OK, json!({"result": "OK"})));
    assert_eq!(local.command(json!(["FLUSHDB"])).await.1, json!({"result": "OK"}));
    assert_eq!(local.command(json!(["DBSIZE"])).await.1, json!({"result": 0}));
}

#[tokio::test]
async fn config_reads_and_sets_only_notify_keyspace_events() {
    let local = Local::start().await;
    assert_eq!(
        local.command(json!(["CONFIG", "SET", "notify-keyspace-events", "KEA"])).await,
        (StatusCode::OK, json!({"result": "OK"}))
    );
    let (status, body) = local.command(json!(["CONFIG", "GET", "*"])).await;
    assert_eq!(status, StatusCode::OK);
    let result = body["result"].as_array().unwrap();
    assert_eq!(result.len(), 2, "{body}");
    assert_eq!(result[0], "notify-keyspace-events");
    let flags = result[1].as_str().unwrap();
    assert!(flags.contains('A') && flags.contains('K') && flags.contains('E'), "{flags}");
    assert_eq!(local.command(json!(["CONFIG", "GET", "dir"])).await.1, json!({"result": []}));
}

#[tokio::test]
async fn info_answers_upstashs_sections_without_paths() {
    let local = Local::start().await;
    let (status, body) = local.command(json!(["INFO"])).await;
    assert_eq!(status, StatusCode::OK);
    let info = body["result"].as_str().unwrap();
    for section in ["# Server", "# Clients", "# Memory", "# Stats", "# Keyspace"] {
        assert!(info.contains(section), "{section} missing");
    }
    for hidden in ["# Persistence", "# Replication", "# CPU", "executable:", "config_file:"] {
        assert!(!info.contains(hidden), "{hidden} shown");
    }
    let (_, body) = local.command(json!(["INFO", "replication"])).await;
    assert_eq!(body["result"].as_str().unwrap().trim(), "# Replication", "the heading alone");
}

#[tokio::test]
async fn a_token_in_the_query_string_only_reads() {
    let local = Local::start().await;
    local.command(json!(["SET", "k", "v"])).await;
    let with_token = |method: Method, path: &str, token: &str| {
        let separator = if path.contains('?') { '&' } else { '?' };
        local.bare(method, &format!("{path}{separator}_token={token}"))
    };

    // As from an <img> tag or a form on any web page.
    for (method, path) in
        [(Method::GET, "/flushall"), (Method::HEAD, "/flushdb"), (Method::POST, "/flushall"), (Method::GET, "/set/k/x")]
    {
        let response = with_token(method.clone(), path, TOKEN).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let (status, body) = send(with_token(Method::GET, "/flushall", TOKEN)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(error_of(&body).contains("query string (_token) may only run read-only commands"), "{body}");
    let (status, _) =
        send(with_token(Method::POST, "/pipeline", TOKEN).json(&json!([["GET", "k"], ["DEL", "k"]]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "one write refuses the whole pipeline");
    let (status, _) = send(with_token(Method::POST, "/", TOKEN).json(&json!(["EVAL", "return 1", "0"]))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a script may write");
    assert_eq!(local.command(json!(["GET", "k"])).await.1, json!({"result": "v"}), "nothing written");

    // Reads are fine, whichever token, and so is listening.
    assert_eq!(send(with_token(Method::GET, "/get/k", TOKEN)).await, (StatusCode::OK, json!({"result": "v"})));
    assert_eq!(send(with_token(Method::GET, "/get/k", READ_ONLY_TOKEN)).await.1, json!({"result": "v"}));
    let (status, body) =
        send(with_token(Method::POST, "/multi-exec", TOKEN).json(&json!([["GET", "k"], ["EXISTS", "k"]]))).await;
    assert_eq!((status, body), (StatusCode::OK, json!([{"result": "v"}, {"result": 1}])));
    let (status, _) = send(with_token(Method::POST, "/", TOKEN).json(&json!(["EVAL_RO", "return 1", "0"]))).await;
    assert_eq!(status, StatusCode::OK);
    let subscribed = with_token(Method::GET, "/subscribe/news", TOKEN).send().await.unwrap();
    assert_eq!(subscribed.status(), StatusCode::OK);
    let monitor = with_token(Method::GET, "/monitor", TOKEN).send().await.unwrap();
    assert_eq!(monitor.status(), StatusCode::UNAUTHORIZED, "MONITOR shows every client's commands");
}

#[tokio::test]
async fn functions_may_declare_upstashs_allow_key_locking_flag() {
    let local = Local::start().await;
    let library = "#!lua name=locks\n\
                   local function count(keys, args) return redis.call('INCR', keys[1]) end\n\
                   local function peek(keys, args) return redis.call('GET', keys[1]) end\n\
                   redis.register_function{function_name='count', callback=count, flags={'allow-key-locking'}}\n\
                   redis.register_function{function_name='peek', callback=peek, flags={'no-writes', 'allow-key-locking'}}";
    assert_eq!(local.command(json!(["FUNCTION", "LOAD", library])).await, (StatusCode::OK, json!({"result": "locks"})));
    assert_eq!(local.command(json!(["FCALL", "count", 1, "n"])).await.1, json!({"result": 1}));
    assert_eq!(local.read_only(json!(["FCALL_RO", "peek", 1, "n"])).await, (StatusCode::OK, json!({"result": "1"})));
    let (status, body) = local.read_only(json!(["FCALL_RO", "count", 1, "n"])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no-writes was kept, and only it: {body}");
}

#[tokio::test]
async fn flushall_empties_the_endpoints_database_only() {
    let own = upstash_local::testing::OwnRedis::start();
    let client = redis::Client::open(own.url()).unwrap();
    let mut direct = client.get_multiplexed_async_connection().await.unwrap();
    let _: () = redis::cmd("SET").arg("other-database").arg("kept").query_async(&mut direct).await.unwrap();
    let config = upstash_local::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        redis_url: format!("{}/3", own.url()),
        token: TOKEN.to_string(),
        read_only_token: Some(READ_ONLY_TOKEN.to_string()),
    };
    let server = upstash_local::Server::start(config).await.unwrap();
    let http = reqwest::Client::new();
    let command = |body: serde_json::Value| http.post(format!("{}/", server.url())).bearer_auth(TOKEN).json(&body);
    assert_eq!(send(command(json!(["SET", "mine", "1"]))).await.1, json!({"result": "OK"}));
    for flush in [json!(["FLUSHALL"]), json!(["FLUSHALL", "ASYNC"]), json!(["flushall", "SYNC"])] {
        send(command(json!(["SET", "mine", "1"]))).await;
        assert_eq!(send(command(flush.clone())).await, (StatusCode::OK, json!({"result": "OK"})), "{flush}");
        assert_eq!(send(command(json!(["DBSIZE"]))).await.1, json!({"result": 0}), "{flush}");
        let kept: Option<String> = redis::cmd("GET").arg("other-database").query_async(&mut direct).await.unwrap();
        assert_eq!(kept.as_deref(), Some("kept"), "{flush} emptied database 0 too");
    }
    let (status, body) = send(command(json!(["FLUSHALL", "NOW"]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "Redis's own syntax error: {body}");
    // Path style and in a pipeline too.
    send(command(json!(["SET", "mine", "1"]))).await;
    let (status, _) = send(http.get(format!("{}/flushall", server.url())).bearer_auth(TOKEN)).await;
    assert_eq!(status, StatusCode::OK);
    let piped = http.post(format!("{}/pipeline", server.url())).bearer_auth(TOKEN);
    assert_eq!(send(piped.json(&json!([["FLUSHALL"], ["DBSIZE"]]))).await.1, json!([{"result": "OK"}, {"result": 0}]));
    let kept: Option<String> = redis::cmd("GET").arg("other-database").query_async(&mut direct).await.unwrap();
    assert_eq!(kept.as_deref(), Some("kept"));
}
