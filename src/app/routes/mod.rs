//! Routing: method and path to a [`Route`], with 404 / 405 / 400 answers.
//!
//! Every route but `GET /health` needs credentials: `/v1/*` an API key of
//! its tenant or the admin token, `/admin/*` the admin token (`/health`
//! with the admin token answers the details `/admin/health` does). The
//! dashboard under `/` is static assets, served before the worker runs.

use super::error::ApiError;

/// What a request asks for, its path parameters validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /health`: public, answered from a per-isolate cached check
    /// (healthy or not, and its age; the details with the admin token).
    Health,
    /// `/v1/tenants/{tenant}/...`: a tenant's data.
    Tenant(TenantRoute),
    /// `/admin/...`: operators.
    Admin(AdminRoute),
}

/// The `/v1` routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantRoute {
    /// `GET /v1/tenants/{tenant}/policy`.
    GetPolicy {
        /// The tenant id.
        tenant: String,
    },
    /// `PUT /v1/tenants/{tenant}/policy`: admin only.
    PutPolicy {
        /// The tenant id.
        tenant: String,
    },
    /// `GET .../conversation-config`: the tenant default (`user` none), or
    /// a user's config resolved over it.
    GetConfig {
        /// The tenant id.
        tenant: String,
        /// The user id, for a user's config.
        user: Option<String>,
    },
    /// `PUT .../conversation-config`: the tenant default (`user` none), or a
    /// user's override.
    PutConfig {
        /// The tenant id.
        tenant: String,
        /// The user id, for a user's override.
        user: Option<String>,
    },
    /// `POST /v1/tenants/{tenant}/llm/admit`: admits one LLM call (the
    /// policy's model and size, a free in-flight slot, the token budget).
    AdmitLlm {
        /// The tenant id.
        tenant: String,
    },
    /// `POST /v1/tenants/{tenant}/llm/settle`: gives an admission's slot
    /// back and refunds its unused tokens.
    SettleLlm {
        /// The tenant id.
        tenant: String,
    },
    /// `POST /v1/tenants/{tenant}/webhooks/{delivery}`: claims a webhook
    /// delivery once across every isolate (202 the first time, 200
    /// `duplicate` after).
    ClaimWebhook {
        /// The tenant id.
        tenant: String,
        /// The sender's delivery id.
        delivery: String,
    },
}

impl TenantRoute {
    /// The tenant the route acts for.
    pub fn tenant(&self) -> &str {
        match self {
            TenantRoute::GetPolicy { tenant }
            | TenantRoute::PutPolicy { tenant }
            | TenantRoute::GetConfig { tenant, .. }
            | TenantRoute::PutConfig { tenant, .. }
            | TenantRoute::AdmitLlm { tenant }
            | TenantRoute::SettleLlm { tenant }
            | TenantRoute::ClaimWebhook { tenant, .. } => tenant,
        }
    }

    /// True for the routes only the admin token may call.
    pub fn admin_only(&self) -> bool {
        matches!(self, TenantRoute::PutPolicy { .. })
    }
}

/// The rate limits an operator can look up and reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimiterName {
    /// Per client address.
    Client,
    /// Per tenant.
    Tenant,
    /// Per API key (by its id).
    Key,
    /// Failed credentials per client address.
    Auth,
    /// The LLM gateway's daily token budget per tenant (and its slots).
    Llm,
}

impl LimiterName {
    /// `client`, `tenant`, `key`, `auth` or `llm`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimiterName::Client => "client",
            LimiterName::Tenant => "tenant",
            LimiterName::Key => "key",
            LimiterName::Auth => "auth",
            LimiterName::Llm => "llm",
        }
    }

    /// The limiter named `name` in a path.
    ///
    /// # Errors
    /// 404 naming the limiters there are.
    pub fn parse(name: &str) -> Result<LimiterName, ApiError> {
        match name {
            "client" => Ok(LimiterName::Client),
            "tenant" => Ok(LimiterName::Tenant),
            "key" => Ok(LimiterName::Key),
            "auth" => Ok(LimiterName::Auth),
            "llm" => Ok(LimiterName::Llm),
            _ => {
                let shown: String = name.chars().take(40).collect();
                Err(ApiError::not_found(format!("no rate limit named {shown:?}: client, auth, tenant, key or llm")))
            }
        }
    }

    /// True for the limits an identifier may have an override of:
    /// `client`, `tenant` and `llm`.
    pub fn overridable(self) -> bool {
        matches!(self, LimiterName::Client | LimiterName::Tenant | LimiterName::Llm)
    }
}

/// The `/admin` routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminRoute {
    /// `GET /admin/stats`: this isolate's counters, or with
    /// `?scope=cluster&minutes=N` the fleet's.
    Stats,
    /// `GET /admin/metrics`: the fleet's counters as a Prometheus (or
    /// OpenMetrics) scrape.
    Metrics,
    /// `GET /admin/health`: the health check in detail (also `GET /health`
    /// with the admin token).
    Health,
    /// `POST /admin/cache/invalidate`.
    Invalidate,
    /// `POST /admin/cache/clear`.
    Clear,
    /// `POST /admin/cache/warm`.
    Warm,
    /// `GET /admin/ratelimit/{limiter}/{identifier}`.
    GetRateLimit {
        /// Which limit.
        limiter: LimiterName,
        /// Whose (percent-decoded): a client address or a tenant id.
        identifier: String,
    },
    /// `DELETE /admin/ratelimit/{limiter}/{identifier}`.
    ResetRateLimit {
        /// Which limit.
        limiter: LimiterName,
        /// Whose (percent-decoded).
        identifier: String,
    },
    /// `PUT|GET|DELETE /admin/ratelimit/{client|tenant|llm}/{identifier}/override`.
    Override {
        /// Which limit.
        limiter: LimiterName,
        /// Whose (percent-decoded).
        identifier: String,
        /// `PUT` sets, `GET` reads, `DELETE` clears.
        method: Method,
    },
    /// `POST|GET|DELETE /admin/ratelimit/deny`: add to, list or remove
    /// from the deny list.
    Deny {
        /// `POST` adds, `GET` lists, `DELETE` removes.
        method: Method,
    },
    /// `GET /admin/events`: invalidation events as Server-Sent Events.
    Events,
    /// `POST /admin/tenants/{tenant}/keys`.
    CreateKey {
        /// The tenant id.
        tenant: String,
    },
    /// `GET /admin/tenants/{tenant}/keys`.
    ListKeys {
        /// The tenant id.
        tenant: String,
    },
    /// `DELETE /admin/tenants/{tenant}/keys/{id}`.
    RevokeKey {
        /// The tenant id.
        tenant: String,
        /// The key's id.
        id: String,
    },
}

/// The methods a route that reads, writes and removes one thing takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Reads.
    Get,
    /// Writes (`PUT`, or `POST` to add).
    Write,
    /// Removes.
    Delete,
}

/// Longest id taken from a path.
pub const MAX_ID_LEN: usize = 64;

/// Resolves `method` and `path` (without query string) to a route.
///
/// # Errors
/// 404 for an unknown path, 405 (with `Allow`) for a known path and another
/// method, 400 for an id outside `[A-Za-z0-9_-]{1,64}` or an identifier that
/// is not percent-encoded UTF-8.
pub fn resolve(method: &str, path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let method = method.to_ascii_uppercase();
    let m = method.as_str();
    match segments.as_slice() {
        ["health"] => only(m, &[("GET", Route::Health), ("HEAD", Route::Health)]),
        ["v1", "tenants", tenant, rest @ ..] => tenant_route(m, id("tenant", tenant)?, rest).map(Route::Tenant),
        ["admin", rest @ ..] => admin_route(m, rest).map(Route::Admin),
        _ => Err(not_found(path)),
    }
}

fn tenant_route(m: &str, tenant: String, rest: &[&str]) -> Result<TenantRoute, ApiError> {
    match rest {
        ["llm", "admit"] => return only(m, &[("POST", TenantRoute::AdmitLlm { tenant })]),
        ["llm", "settle"] => return only(m, &[("POST", TenantRoute::SettleLlm { tenant })]),
        _ => {}
    }
    if let ["webhooks", delivery] = rest {
        let delivery = id("delivery", delivery)?;
        return only(m, &[("POST", TenantRoute::ClaimWebhook { tenant, delivery })]);
    }
    let (get, put) = match rest {
        ["policy"] => (TenantRoute::GetPolicy { tenant: tenant.clone() }, TenantRoute::PutPolicy { tenant }),
        ["conversation-config"] => (
            TenantRoute::GetConfig { tenant: tenant.clone(), user: None },
            TenantRoute::PutConfig { tenant, user: None },
        ),
        ["users", user, "conversation-config"] => {
            let user = Some(id("user", user)?);
            (
                TenantRoute::GetConfig { tenant: tenant.clone(), user: user.clone() },
                TenantRoute::PutConfig { tenant, user },
            )
        }
        _ => return Err(not_found(&format!("/v1/tenants/{tenant}/{}", rest.join("/")))),
    };
    only(m, &[("GET", get.clone()), ("HEAD", get), ("PUT", put)])
}

fn admin_route(m: &str, rest: &[&str]) -> Result<AdminRoute, ApiError> {
    match rest {
        ["stats"] => only(m, &[("GET", AdminRoute::Stats)]),
        ["metrics"] => only(m, &[("GET", AdminRoute::Metrics)]),
        ["health"] => only(m, &[("GET", AdminRoute::Health), ("HEAD", AdminRoute::Health)]),
        ["events"] => only(m, &[("GET", AdminRoute::Events)]),
        ["cache", "invalidate"] => only(m, &[("POST", AdminRoute::Invalidate)]),
        ["cache", "clear"] => only(m, &[("POST", AdminRoute::Clear)]),
        ["cache", "warm"] => only(m, &[("POST", AdminRoute::Warm)]),
        ["ratelimit", "deny"] => only(
            m,
            &[
                ("GET", AdminRoute::Deny { method: Method::Get }),
                ("POST", AdminRoute::Deny { method: Method::Write }),
                ("DELETE", AdminRoute::Deny { method: Method::Delete }),
            ],
        ),
        ["ratelimit", limiter, identifier, "override"] => {
            let limiter = LimiterName::parse(limiter)?;
            if !limiter.overridable() {
                return Err(ApiError::not_found(format!(
                    "the {} limit has no overrides: client, tenant or llm",
                    limiter.as_str()
                )));
            }
            let identifier = decoded("identifier", identifier)?;
            let route = |method| AdminRoute::Override { limiter, identifier: identifier.clone(), method };
            only(m, &[("GET", route(Method::Get)), ("PUT", route(Method::Write)), ("DELETE", route(Method::Delete))])
        }
        ["ratelimit", limiter, identifier] => {
            let limiter = LimiterName::parse(limiter)?;
            let identifier = decoded("identifier", identifier)?;
            only(
                m,
                &[
                    ("GET", AdminRoute::GetRateLimit { limiter, identifier: identifier.clone() }),
                    ("DELETE", AdminRoute::ResetRateLimit { limiter, identifier }),
                ],
            )
        }
        ["tenants", tenant, "keys"] => {
            let tenant = id("tenant", tenant)?;
            only(
                m,
                &[("GET", AdminRoute::ListKeys { tenant: tenant.clone() }), ("POST", AdminRoute::CreateKey { tenant })],
            )
        }
        ["tenants", tenant, "keys", key] => {
            let (tenant, id) = (id("tenant", tenant)?, id("key id", key)?);
            only(m, &[("DELETE", AdminRoute::RevokeKey { tenant, id })])
        }
        _ => Err(not_found(&format!("/admin/{}", rest.join("/")))),
    }
}

/// The route for `method` among `allowed`; 405 listing them otherwise.
fn only<T: Clone>(method: &str, allowed: &[(&'static str, T)]) -> Result<T, ApiError> {
    match allowed.iter().find(|(m, _)| *m == method) {
        Some((_, route)) => Ok(route.clone()),
        None => {
            let allow: Vec<&str> = allowed.iter().map(|(m, _)| *m).collect();
            Err(ApiError::method_not_allowed(method, allow_header(&allow)))
        }
    }
}

/// The `Allow` values the routes use, as static strings.
fn allow_header(methods: &[&str]) -> &'static str {
    match methods {
        ["GET", "HEAD"] => "GET, HEAD",
        ["GET", "HEAD", "PUT"] => "GET, HEAD, PUT",
        ["GET"] => "GET",
        ["POST"] => "POST",
        ["GET", "DELETE"] => "GET, DELETE",
        ["GET", "PUT", "DELETE"] => "GET, PUT, DELETE",
        ["GET", "POST", "DELETE"] => "GET, POST, DELETE",
        ["GET", "POST"] => "GET, POST",
        ["DELETE"] => "DELETE",
        _ => "",
    }
}

fn not_found(path: &str) -> ApiError {
    let shown: String = path.chars().take(120).collect();
    ApiError::not_found(format!("no route for {shown}"))
}

/// The path of an absolute URL (`https://host/path?query#f` → `/path`),
/// read as text: the Workers runtime hands the worker well-formed URLs, so
/// it needs no URL parser (and its wasm carries none).
pub fn path_of_url(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |start| &after_scheme[start..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// Checks an id taken from the path: `[A-Za-z0-9_-]{1,64}`.
///
/// # Errors
/// 400 naming the parameter.
pub fn id(name: &str, raw: &str) -> Result<String, ApiError> {
    let valid = (1..=MAX_ID_LEN).contains(&raw.len())
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::bad_request(format!(
            "{name} id must match [A-Za-z0-9_-]{{1,{MAX_ID_LEN}}}, got {:?}",
            raw.chars().take(80).collect::<String>()
        )))
    }
}

/// A percent-decoded path segment of printable text, at most 128 bytes.
fn decoded(name: &str, raw: &str) -> Result<String, ApiError> {
    let text = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::bad_request(format!("{name} must be percent-encoded UTF-8")))?;
    if text.is_empty() || text.len() > 128 || text.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!("{name} must be 1 to 128 printable characters")));
    }
    Ok(text.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_resolve() {
        assert_eq!(resolve("GET", "/health"), Ok(Route::Health));
        assert_eq!(
            resolve("get", "/v1/tenants/acme_1-x/policy"),
            Ok(Route::Tenant(TenantRoute::GetPolicy { tenant: "acme_1-x".into() }))
        );
        assert_eq!(
            resolve("PUT", "/v1/tenants/acme/users/u1/conversation-config"),
            Ok(Route::Tenant(TenantRoute::PutConfig { tenant: "acme".into(), user: Some("u1".into()) }))
        );
        assert_eq!(
            resolve("DELETE", "/admin/ratelimit/client/2001%3Adb8%3A%3A1"),
            Ok(Route::Admin(AdminRoute::ResetRateLimit {
                limiter: LimiterName::Client,
                identifier: "2001:db8::1".into()
            }))
        );
        assert_eq!(
            resolve("POST", "/v1/tenants/acme/llm/admit"),
            Ok(Route::Tenant(TenantRoute::AdmitLlm { tenant: "acme".into() }))
        );
        assert_eq!(
            resolve("PUT", "/admin/ratelimit/llm/acme/override"),
            Ok(Route::Admin(AdminRoute::Override {
                limiter: LimiterName::Llm,
                identifier: "acme".into(),
                method: Method::Write
            }))
        );
        assert_eq!(
            resolve("DELETE", "/admin/ratelimit/deny"),
            Ok(Route::Admin(AdminRoute::Deny { method: Method::Delete }))
        );
        assert_eq!(
            resolve("PUT", "/admin/ratelimit/key/k1/override").unwrap_err().status,
            404,
            "keys have no overrides"
        );
        assert_eq!(resolve("GET", "/v1/tenants/acme/llm/admit").unwrap_err().status, 405);
        assert_eq!(
            resolve("DELETE", "/admin/tenants/acme/keys/k1"),
            Ok(Route::Admin(AdminRoute::RevokeKey { tenant: "acme".into(), id: "k1".into() }))
        );
    }

    #[test]
    fn paths_are_read_from_absolute_urls() {
        assert_eq!(path_of_url("https://example.com/v1/tenants/a/policy?x=1#f"), "/v1/tenants/a/policy");
        assert_eq!(path_of_url("http://localhost:8787/health"), "/health");
        assert_eq!(path_of_url("https://example.com"), "/");
        assert_eq!(path_of_url("https://example.com?q"), "/");
        assert_eq!(
            path_of_url("http://h/admin/ratelimit/client/2001%3Adb8%3A%3A1"),
            "/admin/ratelimit/client/2001%3Adb8%3A%3A1"
        );
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert_eq!(resolve("GET", "/v1/tenants/acme/policy/").unwrap_err().status, 404);
        assert_eq!(resolve("GET", "/v2/x").unwrap_err().status, 404);
        assert_eq!(resolve("GET", "/stats").unwrap_err().status, 404, "stats are admin-only now");
        let err = resolve("DELETE", "/v1/tenants/acme/policy").unwrap_err();
        assert_eq!((err.status, err.headers), (405, vec![("allow", "GET, HEAD, PUT".to_string())]));
        assert_eq!(resolve("POST", "/health").unwrap_err().status, 405);
        assert_eq!(resolve("GET", "/admin/cache/clear").unwrap_err().status, 405);
        assert_eq!(resolve("GET", "/admin/ratelimit/other/x").unwrap_err().status, 404);
    }

    #[test]
    fn ids_outside_the_pattern_are_400() {
        for bad in ["ac%20me", "a.b", "a:b", "é", &"x".repeat(65)] {
            let err = resolve("GET", &format!("/v1/tenants/{bad}/policy")).unwrap_err();
            assert_eq!(err.status, 400, "{bad}");
        }
        assert!(resolve("GET", &format!("/v1/tenants/{}/policy", "x".repeat(64))).is_ok());
        assert_eq!(resolve("GET", "/admin/ratelimit/client/%FF").unwrap_err().status, 400);
        assert_eq!(resolve("GET", "/admin/ratelimit/client/a%0Ab").unwrap_err().status, 400);
    }
}
