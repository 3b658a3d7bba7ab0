//! Shared set-up for the suites that need a Redis of their own (they send
//! commands, or make Redis misbehave, in ways the machine's shared Redis
//! must never see): a server in front of an [`OwnRedis`], and requests.

#![allow(dead_code)]

use reqwest::{Method, StatusCode};
use serde_json::Value;
use upstash_local::testing::OwnRedis;
use upstash_local::{Config, Limits, Server};

pub const TOKEN: &str = "support-test-token-0123456789";
pub const READ_ONLY_TOKEN: &str = "support-read-only-token-0123456789";

/// upstash-local, with both tokens, in front of a redis-server of its own.
pub struct Local {
    pub server: Server,
    pub redis: OwnRedis,
    pub http: reqwest::Client,
}

impl Local {
    pub async fn start() -> Local {
        Self::start_with(Limits::default()).await
    }

    pub async fn start_with(limits: Limits) -> Local {
        let redis = OwnRedis::start();
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            redis_url: redis.url(),
            token: TOKEN.to_string(),
            read_only_token: Some(READ_ONLY_TOKEN.to_string()),
        };
        let server = Server::start_with(config, limits).await.expect("server starts");
        Local { server, redis, http: reqwest::Client::new() }
    }

    /// A request to `path` with the full-access token in the header.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.server.url())).bearer_auth(TOKEN)
    }

    /// A request to `path` with no token (add one in the query string).
    pub fn bare(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http.request(method, format!("{}{path}", self.server.url()))
    }

    /// `POST /` with `command`, full access.
    pub async fn command(&self, command: Value) -> (StatusCode, Value) {
        send(self.request(Method::POST, "/").json(&command)).await
    }

    /// `POST /` with `command`, read-only token.
    pub async fn read_only(&self, command: Value) -> (StatusCode, Value) {
        send(self.bare(Method::POST, "/").bearer_auth(READ_ONLY_TOKEN).json(&command)).await
    }

    /// A direct connection to the Redis behind it, bypassing upstash-local.
    pub async fn redis_direct(&self) -> redis::aio::MultiplexedConnection {
        let client = redis::Client::open(self.redis.url()).unwrap();
        client.get_multiplexed_async_connection().await.unwrap()
    }
}

/// Sends `request`; answers its status and JSON body.
pub async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("request is answered");
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, body)
}

/// The `error` text of a body.
pub fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_else(|| panic!("no error in {body}"))
}
