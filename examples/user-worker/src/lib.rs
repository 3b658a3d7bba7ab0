//! A user's worker: what someone writes who adds edgecache to a Cloudflare
//! Worker of their own. Every request passes a per-client limit, then:
//!
//! | route | what |
//! | --- | --- |
//! | `GET /users/{id}` | a cached read of the D1 table `users`; `x-cache: hit`, `miss`, `stale` or `bypass` |
//! | `PUT /users/{id}` | writes D1, then invalidates the cached entry |
//! | `POST /webhooks/{id}` | 202 the first time an id is delivered, 200 for a duplicate |
//!
//! Vars: `UPSTASH_REDIS_REST_URL` and `UPSTASH_REDIS_REST_TOKEN` (secrets),
//! `USER_LIMIT` (requests per client per minute, default 5), `KEY_PREFIX`.

// A worker only runs on wasm32, and natively this crate would not compile:
// edgecache's stores must be `Send + Sync` there, and a D1 handle is a
// JavaScript value, which never is. So on the host (`cargo test --workspace`
// in edgecache's repository) the crate is empty.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::num::NonZeroU64;
use std::rc::Rc;
use std::sync::Arc;

use edgecache::config::{parse_number, ConfigError, Vars};
use edgecache::dedup::{Claim, Dedup};
use edgecache::ratelimit::{headers, Algorithm, Decision, LimitSpec, Limiter};
use edgecache::upstash::{UpstashClient, UpstashConfig};
use edgecache::{Cache, CachingStore, FailurePolicy, ReadStore, Store, StoreError, Ttl};
use serde_json::{json, Value};
use worker::{event, query, Context, D1Database, Env, Method, Request, Response, Result};

/// `USER_LIMIT`'s default: requests per client per minute.
const DEFAULT_USER_LIMIT: NonZeroU64 = NonZeroU64::new(5).unwrap();

/// What the worker builds once per isolate and shares with every request.
struct App {
    cache: Cache,
    per_client: Limiter,
    webhooks: Dedup,
}

thread_local! {
    static APP: RefCell<Option<Rc<App>>> = const { RefCell::new(None) };
}

/// The isolate's [`App`], built on its first request. Building awaits
/// nothing, so no request ever waits on another's I/O; a bad setting is
/// answered (naming the variable) and tried again on the next request.
fn app(env: &Env) -> std::result::Result<Rc<App>, ConfigError> {
    if let Some(app) = APP.with(|app| app.borrow().clone()) {
        return Ok(app);
    }
    let app = Rc::new(build(&Vars::new(|name| env.var(name).ok().map(|v| v.to_string())))?);
    APP.with(|slot| *slot.borrow_mut() = Some(app.clone()));
    Ok(app)
}

// The Arcs share within the isolate's one thread.
#[allow(clippy::arc_with_non_send_sync)]
fn build(vars: &Vars) -> std::result::Result<App, ConfigError> {
    let upstash =
        UpstashConfig::from_env(vars)?.ok_or_else(|| ConfigError::new("UPSTASH_REDIS_REST_URL", "is not set"))?;
    let prefix = vars.get("KEY_PREFIX").unwrap_or_else(|| "app".to_owned());
    let limit = parse_number(vars, "USER_LIMIT", 1..=1_000_000)?.and_then(NonZeroU64::new);
    let client = Arc::new(UpstashClient::new(&upstash));
    Ok(App {
        // Upstash, with an in-isolate L1 in front (on by default).
        cache: Cache::builder().upstash_client(client.clone()).key_prefix(&prefix).build(),
        per_client: Limiter::builder(
            client.clone(),
            "client",
            Algorithm::Gcra,
            LimitSpec::per_minute(limit.unwrap_or(DEFAULT_USER_LIMIT)),
        )
        .prefix(&prefix)
        .build()?,
        webhooks: Dedup::new(client, &prefix, "webhooks")?,
    })
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let app = match app(&env) {
        Ok(app) => app,
        Err(error) => return Response::error(error.to_string(), 500),
    };
    let client_ip = req.headers().get("cf-connecting-ip")?.unwrap_or_else(|| "unknown".to_owned());
    let decision = app.per_client.limit(&client_ip, 1).await.map_err(|e| e.to_string())?;
    let response =
        if decision.success { route(req, &env, &app).await? } else { Response::error("too many requests", 429)? };
    with_rate_limit_headers(response, &app.per_client, &decision)
}

async fn route(mut req: Request, env: &Env, app: &App) -> Result<Response> {
    let path = req.path();
    match (req.method(), path.split('/').collect::<Vec<_>>().as_slice()) {
        (Method::Get, ["", "users", id]) if !id.is_empty() => get_user(&users(env, app)?, id).await,
        (Method::Put, ["", "users", id]) if !id.is_empty() => {
            let user: Value = req.json().await?;
            put_user(&users(env, app)?, id, &user).await
        }
        (Method::Post, ["", "webhooks", id]) if !id.is_empty() => webhook(&app.webhooks, id).await,
        _ => Response::error("not found", 404),
    }
}

/// The users table behind the isolate's cache. Per request, because the D1
/// binding comes with the request's `env`; wrapping it costs nothing.
fn users(env: &Env, app: &App) -> Result<CachingStore<D1Users>> {
    CachingStore::builder(D1Users(env.d1("DB")?), &app.cache)
        .key_space("accounts", "user")
        .ttl(Ttl::secs(300))
        .build()
        .map_err(|e| e.to_string().into())
}

async fn get_user(users: &CachingStore<D1Users>, id: &str) -> Result<Response> {
    let lookup = users.get_traced(id).await.map_err(|e| e.to_string())?;
    let mut response = match lookup.value {
        Some(user) => Response::from_json(&user)?,
        None => Response::error("no such user", 404)?,
    };
    response.headers_mut().set("x-cache", lookup.status.as_str())?;
    Ok(response)
}

async fn put_user(users: &CachingStore<D1Users>, id: &str, user: &Value) -> Result<Response> {
    let stored = users.set(id, user).await.map_err(|e| e.to_string())?;
    Response::from_json(&stored)
}

async fn webhook(webhooks: &Dedup, id: &str) -> Result<Response> {
    let claim = webhooks.claim(id, Ttl::secs(3_600), FailurePolicy::FailClosed).await.map_err(|e| e.to_string())?;
    match claim {
        // First delivery: handle it here.
        Claim::Claimed | Claim::Unchecked => {
            Ok(Response::from_json(&json!({ "status": "accepted" }))?.with_status(202))
        }
        Claim::Duplicate => Response::from_json(&json!({ "status": "duplicate" })),
    }
}

/// `RateLimit-Policy`, `RateLimit`, and `Retry-After` on a refusal.
fn with_rate_limit_headers(mut response: Response, limiter: &Limiter, decision: &Decision) -> Result<Response> {
    let out = response.headers_mut();
    out.set(headers::POLICY_HEADER, &headers::policy_header([limiter]))?;
    for (name, value) in decision.headers() {
        out.set(name, &value)?;
    }
    Ok(response)
}

/// The source of truth: the D1 table `users (id, body)`, `body` a JSON text.
struct D1Users(D1Database);

impl ReadStore for D1Users {
    type Value = Value;

    async fn get(&self, id: &str) -> std::result::Result<Option<Value>, StoreError> {
        let statement = query!(&self.0, "SELECT body FROM users WHERE id = ?1", id).map_err(StoreError::backing)?;
        let body: Option<String> = statement.first(Some("body")).await.map_err(StoreError::backing)?;
        body.map(|body| serde_json::from_str(&body).map_err(StoreError::codec)).transpose()
    }
}

impl Store for D1Users {
    async fn set(&self, id: &str, user: &Value) -> std::result::Result<Value, StoreError> {
        let sql = "INSERT INTO users (id, body) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET body = excluded.body";
        let statement = query!(&self.0, sql, id, user.to_string()).map_err(StoreError::backing)?;
        statement.run().await.map_err(StoreError::backing)?;
        Ok(user.clone())
    }

    async fn delete(&self, id: &str) -> std::result::Result<bool, StoreError> {
        let statement = query!(&self.0, "DELETE FROM users WHERE id = ?1", id).map_err(StoreError::backing)?;
        let meta = statement.run().await.map_err(StoreError::backing)?.meta().map_err(StoreError::backing)?;
        Ok(meta.and_then(|m| m.changes).unwrap_or(0) > 0)
    }
}
