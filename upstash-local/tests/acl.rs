//! Scripts run as Redis ACL users that upstash-local creates at start-up,
//! so what the REST API refuses stays refused from Lua (`redis.call`), where
//! only Redis can check it. Each test has Redis servers of its own.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use support::{error_of, send, Local, READ_ONLY_TOKEN, TOKEN};
use upstash_local::testing::OwnRedis;

/// Whether a script's answer is Redis refusing the command: for the user,
/// or (`LATENCY`...) for any script.
fn refused_by_acl(body: &Value) -> bool {
    let text = error_of(body);
    text.contains("can't run this command") || text.contains("NOPERM") || text.contains("not allowed from script")
}

#[tokio::test]
async fn scripts_cannot_reach_what_the_rest_api_refuses() {
    let local = Local::start().await;
    let elsewhere = OwnRedis::start();
    local.command(json!(["SET", "k", "v"])).await;
    let script = |call: &str| json!(["EVAL", format!("return redis.call({call})"), "0"]);
    let migrate = format!("'MIGRATE', '127.0.0.1', '{}', 'k', '0', '1000'", elsewhere.port);
    for call in [
        migrate.as_str(),
        "'SELECT', '1'",
        "'SWAPDB', '0', '1'",
        "'MOVE', 'k', '1'",
        "'SLOWLOG', 'GET'",
        "'INFO'",
        "'INFO', 'server'",
        "'FLUSHALL'",
        "'LASTSAVE'",
        "'MEMORY', 'DOCTOR'",
        "'LATENCY', 'LATEST'",
        "'CLUSTER', 'INFO'",
        "'LOLWUT'",
        "'PFSELFTEST'",
    ] {
        let (status, body) = local.command(script(call)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "redis.call({call}) → {body}");
        assert!(refused_by_acl(&body), "redis.call({call}) → {body}");
    }
    let client = redis::Client::open(elsewhere.url()).unwrap();
    let mut other = client.get_multiplexed_async_connection().await.unwrap();
    let moved: i64 = redis::cmd("EXISTS").arg("k").query_async(&mut other).await.unwrap();
    assert_eq!(moved, 0, "MIGRATE moved nothing");
    assert_eq!(local.command(json!(["GET", "k"])).await.1, json!({"result": "v"}));

    // From the query string (EVAL_RO, the full token) and the read-only token.
    let query = local.bare(Method::POST, &format!("/?_token={TOKEN}"));
    let (status, body) = send(query.json(&json!(["EVAL_RO", "return redis.call('SLOWLOG', 'GET')", "0"]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(refused_by_acl(&body), "{body}");
    for call in ["'SLOWLOG', 'GET'", "'INFO'", "'SELECT', '1'", "'KEYS', '*'"] {
        let (status, body) = local.read_only(json!(["EVAL_RO", format!("return redis.call({call})"), "0"])).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "read-only redis.call({call}) → {body}");
        assert!(refused_by_acl(&body), "read-only redis.call({call}) → {body}");
    }
}

#[tokio::test]
async fn what_clients_and_edgecaches_scripts_use_still_runs() {
    let local = Local::start().await;
    // TIME and data commands from scripts, both tokens (edgecache's limiter
    // and cache scripts use only these).
    let time = "local t = redis.call('TIME') redis.call('SET', KEYS[1], t[1]) return redis.call('GET', KEYS[1])";
    let (status, body) = local.command(json!(["EVAL", time, "1", "t"])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = local.read_only(json!(["EVAL_RO", "return redis.call('TIME')", "0"])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(local.read_only(json!(["TIME"])).await.0, StatusCode::OK);
    let digest = local.command(json!(["SCRIPT", "LOAD", "return redis.call('INCR', KEYS[1])"])).await.1["result"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(local.command(json!(["EVALSHA", digest, "1", "n"])).await.1, json!({"result": 1}));
    let library = "#!lua name=lib\nredis.register_function('f', function(keys) return redis.call('INCR', keys[1]) end)";
    assert_eq!(local.command(json!(["FUNCTION", "LOAD", "REPLACE", library])).await.1, json!({"result": "lib"}));
    assert_eq!(local.command(json!(["FCALL", "f", "1", "n"])).await.1, json!({"result": 2}));
    // What the REST API answers itself or filters.
    let (status, body) = local.command(json!(["INFO", "server"])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["result"].as_str().unwrap().contains("redis_version:"));
    let (status, body) = local.command(json!(["CONFIG", "GET", "notify-keyspace-events"])).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // In their place in a pipeline and a transaction, run as the URL's user.
    for path in ["/pipeline", "/multi-exec"] {
        let batch = json!([["SET", "p", "1"], ["INFO", "keyspace"], ["CONFIG", "GET", "dir"], ["GET", "p"]]);
        let (status, body) = send(local.request(Method::POST, path).json(&batch)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(body[0], json!({"result": "OK"}), "{path}");
        assert!(body[1]["result"].as_str().unwrap().starts_with("# Keyspace"), "{path}: {body}");
        assert_eq!(body[2], json!({"result": []}), "{path}");
        assert_eq!(body[3], json!({"result": "1"}), "{path}");
    }
    let (status, body) =
        send(local.request(Method::POST, "/multi-exec").json(&json!([["INFO"], ["NOSUCHCOMMAND"]]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "discarded: {body}");
    for command in [
        json!(["KEYS", "*"]),
        json!(["SORT", "nosuchlist"]),
        json!(["FLUSHDB"]),
        json!(["SCRIPT", "FLUSH"]),
        json!(["ACL", "WHOAMI"]),
        json!(["ACL", "CAT"]),
        json!(["MEMORY", "USAGE", "n"]),
        json!(["DBSIZE"]),
        json!(["PUBLISH", "c", "m"]),
    ] {
        let (status, body) = local.command(command.clone()).await;
        assert_eq!(status, StatusCode::OK, "{command} → {body}");
    }
}

#[tokio::test]
async fn a_redis_that_refuses_acl_setuser_is_served_as_before_with_a_warning() {
    let own = OwnRedis::start();
    let client = redis::Client::open(own.url()).unwrap();
    let mut admin = client.get_multiplexed_async_connection().await.unwrap();
    // A managed Redis's user: everything but ACL.
    let _: () = redis::cmd("ACL")
        .arg(&["SETUSER", "tenant", "on", ">tenant-password-0123", "~*", "&*", "+@all", "-acl"])
        .query_async(&mut admin)
        .await
        .unwrap();
    let url = format!("redis://tenant:tenant-password-0123@127.0.0.1:{}", own.port);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_upstash-local"))
        .env("UPSTASH_LOCAL_TOKEN", "acl-test-token-0123456789")
        .env_remove("UPSTASH_LOCAL_READ_ONLY_TOKEN")
        .env("UPSTASH_LOCAL_REDIS_URL", &url)
        .args(["--listen", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    tokio::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).await.unwrap();
    let base = line.trim().strip_prefix("upstash-local listening on ").expect("it serves").to_string();
    let answer = send(
        reqwest::Client::new().post(format!("{base}/")).bearer_auth("acl-test-token-0123456789").json(&json!(["PING"])),
    )
    .await;
    assert_eq!(answer, (StatusCode::OK, json!({"result": "PONG"})));
    child.kill().await.unwrap();
    let mut stderr = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).await.unwrap();
    assert!(stderr.contains("warning") && stderr.contains("ACL SETUSER"), "{stderr}");
    assert!(!stderr.contains("tenant-password") && !stderr.contains("acl-test-token"), "{stderr}");
}

#[tokio::test]
async fn the_users_passwords_never_reach_redis_in_clear_nor_the_logs() {
    let local = Local::start().await;
    let mut redis = local.redis_direct().await;
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query_async(&mut redis).await.unwrap();
    let ours: Vec<&String> = users.iter().filter(|user| user.starts_with("upstash-local-")).collect();
    assert_eq!(ours.len(), 2, "{users:?}");
    let list: Vec<String> = redis::cmd("ACL").arg("LIST").query_async(&mut redis).await.unwrap();
    for rule in list.iter().filter(|rule| rule.contains("upstash-local-")) {
        assert!(!rule.contains(TOKEN) && !rule.contains(READ_ONLY_TOKEN), "{rule}");
        assert!(rule.contains(" #"), "a password hash: {rule}");
    }
}

/// The users upstash-local made on the Redis at `url`.
async fn our_users(url: &str) -> Vec<String> {
    let client = redis::Client::open(url).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let users: Vec<String> = redis::cmd("ACL").arg("USERS").query_async(&mut redis).await.unwrap();
    users.into_iter().filter(|user| user.starts_with("upstash-local-")).collect()
}

fn config(url: &str) -> upstash_local::Config {
    upstash_local::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        redis_url: url.to_string(),
        token: TOKEN.to_string(),
        read_only_token: Some(READ_ONLY_TOKEN.to_string()),
    }
}

#[tokio::test]
async fn a_stopped_server_removes_its_users_unless_another_uses_them() {
    let own = OwnRedis::start();
    let first = upstash_local::Server::start(config(&own.url())).await.unwrap();
    let second = upstash_local::Server::start(config(&own.url())).await.unwrap();
    assert_eq!(our_users(&own.url()).await.len(), 2, "one pair for one pair of tokens");
    second.stop().await;
    assert_eq!(our_users(&own.url()).await.len(), 2, "the first server still uses them");
    let http = reqwest::Client::new();
    let ping = http.post(format!("{}/", first.url())).bearer_auth(READ_ONLY_TOKEN).json(&json!(["PING"]));
    assert_eq!(send(ping).await, (StatusCode::OK, json!({"result": "PONG"})));
    first.stop().await;
    assert_eq!(our_users(&own.url()).await, Vec::<String>::new());
}

#[tokio::test]
async fn after_redis_restarts_the_users_are_made_again() {
    let mut own = OwnRedis::start();
    let server = upstash_local::Server::start(config(&own.url())).await.unwrap();
    own.stop();
    // A Redis without the users (ACL SETUSER is not persisted without an ACL file).
    let _restarted = OwnRedis::start_on(own.port);
    let http = reqwest::Client::new();
    let command = |token: &str, body: Value| http.post(format!("{}/", server.url())).bearer_auth(token).json(&body);
    // Each pool's first request meets its closed connection; then they recover.
    for (token, body) in [(TOKEN, json!(["SET", "k", "v"])), (READ_ONLY_TOKEN, json!(["GET", "k"]))] {
        let mut answer = None;
        for _ in 0..50 {
            let (status, body) = send(command(token, body.clone())).await;
            if status == StatusCode::OK {
                answer = Some(body);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(answer.is_some(), "no recovery after Redis came back: {body}");
    }
    assert_eq!(send(command(READ_ONLY_TOKEN, json!(["GET", "k"]))).await, (StatusCode::OK, json!({"result": "v"})));
    let (status, body) = send(command(TOKEN, json!(["EVAL", "return redis.call('SLOWLOG', 'GET')", "0"]))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "still a boundary: {body}");
    let events = http.get(format!("{}/subscribe/c", server.url())).bearer_auth(READ_ONLY_TOKEN).send().await.unwrap();
    assert_eq!(events.status(), StatusCode::OK);
}
