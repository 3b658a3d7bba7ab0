//! The route table: method and path to a [`Route`], with 404 / 405 / 400
//! answers.

use super::path::{decoded, id};
use super::{AdminRoute, LimiterName, Method, Route, TenantRoute};
use crate::app::error::ApiError;

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
