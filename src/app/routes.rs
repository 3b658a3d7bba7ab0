//! Routing: method and path to an [`Endpoint`], with 404 / 405 / 400 answers.

use super::api_error::ApiError;

/// What a request asks for, its path parameters validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /`: the web page.
    Page,
    /// `GET /health`.
    Health,
    /// `GET /v1/tenants/{tenant}/policy`.
    GetPolicy {
        /// The tenant id.
        tenant: String,
    },
    /// `PUT /v1/tenants/{tenant}/policy`.
    PutPolicy {
        /// The tenant id.
        tenant: String,
    },
    /// `GET /stats`: the cache's counters in this isolate.
    Stats,
    /// `GET /v1/tenants/{tenant}/conversation-config`: the tenant default.
    GetTenantConfig {
        /// The tenant id.
        tenant: String,
    },
    /// `PUT /v1/tenants/{tenant}/conversation-config`.
    PutTenantConfig {
        /// The tenant id.
        tenant: String,
    },
    /// `GET /v1/tenants/{tenant}/users/{user}/conversation-config`: resolved.
    GetUserConfig {
        /// The tenant id.
        tenant: String,
        /// The user id.
        user: String,
    },
    /// `PUT /v1/tenants/{tenant}/users/{user}/conversation-config`: the override.
    PutUserConfig {
        /// The tenant id.
        tenant: String,
        /// The user id.
        user: String,
    },
}

impl Endpoint {
    /// True for the `/v1/*` API routes (rate limited, outbox drained before them).
    pub fn is_api(&self) -> bool {
        self.tenant().is_some()
    }

    /// The tenant a `/v1/*` route acts for.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Endpoint::Page | Endpoint::Health | Endpoint::Stats => None,
            Endpoint::GetPolicy { tenant }
            | Endpoint::PutPolicy { tenant }
            | Endpoint::GetTenantConfig { tenant }
            | Endpoint::PutTenantConfig { tenant }
            | Endpoint::GetUserConfig { tenant, .. }
            | Endpoint::PutUserConfig { tenant, .. } => Some(tenant),
        }
    }
}

/// Longest tenant id accepted.
pub const MAX_ID_LEN: usize = 64;

/// Resolves `method` and `path` (without query string) to an endpoint.
///
/// # Errors
/// 404 for an unknown path, 405 (with `Allow`) for a known path and another
/// method, 400 for a tenant id outside `[A-Za-z0-9_-]{1,64}`.
pub fn resolve(method: &str, path: &str) -> Result<Endpoint, ApiError> {
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let method = method.to_ascii_uppercase();
    let read_only = |endpoint: Endpoint| match method.as_str() {
        "GET" | "HEAD" => Ok(endpoint),
        _ => Err(ApiError::method_not_allowed(&method, "GET, HEAD")),
    };
    match segments.as_slice() {
        [""] => read_only(Endpoint::Page),
        ["health"] => read_only(Endpoint::Health),
        ["stats"] => read_only(Endpoint::Stats),
        ["v1", "tenants", tenant, "policy"] => {
            let tenant = check_id("tenant", tenant)?;
            read_write(&method, Endpoint::GetPolicy { tenant: tenant.clone() }, Endpoint::PutPolicy { tenant })
        }
        ["v1", "tenants", tenant, "conversation-config"] => {
            let tenant = check_id("tenant", tenant)?;
            read_write(
                &method,
                Endpoint::GetTenantConfig { tenant: tenant.clone() },
                Endpoint::PutTenantConfig { tenant },
            )
        }
        ["v1", "tenants", tenant, "users", user, "conversation-config"] => {
            let (tenant, user) = (check_id("tenant", tenant)?, check_id("user", user)?);
            read_write(
                &method,
                Endpoint::GetUserConfig { tenant: tenant.clone(), user: user.clone() },
                Endpoint::PutUserConfig { tenant, user },
            )
        }
        _ => Err(ApiError::not_found(format!("no route for {path}"))),
    }
}

fn read_write(method: &str, get: Endpoint, put: Endpoint) -> Result<Endpoint, ApiError> {
    match method {
        "GET" | "HEAD" => Ok(get),
        "PUT" => Ok(put),
        _ => Err(ApiError::method_not_allowed(method, "GET, HEAD, PUT")),
    }
}

/// Checks an id taken from the path: `[A-Za-z0-9_-]{1,64}`.
///
/// # Errors
/// 400 naming the parameter.
pub fn check_id(name: &str, raw: &str) -> Result<String, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_resolve() {
        assert_eq!(resolve("GET", "/health"), Ok(Endpoint::Health));
        assert_eq!(resolve("GET", "/"), Ok(Endpoint::Page));
        assert_eq!(
            resolve("get", "/v1/tenants/acme_1-x/policy"),
            Ok(Endpoint::GetPolicy { tenant: "acme_1-x".into() })
        );
        assert_eq!(resolve("PUT", "/v1/tenants/acme/policy"), Ok(Endpoint::PutPolicy { tenant: "acme".into() }));
    }

    #[test]
    fn unknown_paths_are_404_and_wrong_methods_405() {
        assert_eq!(resolve("GET", "/v1/tenants/acme/policy/").unwrap_err().status, 404);
        assert_eq!(resolve("GET", "/v2/x").unwrap_err().status, 404);
        let err = resolve("DELETE", "/v1/tenants/acme/policy").unwrap_err();
        assert_eq!((err.status, err.allow), (405, Some("GET, HEAD, PUT")));
        assert_eq!(resolve("POST", "/health").unwrap_err().status, 405);
    }

    #[test]
    fn tenant_ids_outside_the_pattern_are_400() {
        for bad in ["ac%20me", "a.b", "a:b", "é", &"x".repeat(65)] {
            let err = resolve("GET", &format!("/v1/tenants/{bad}/policy")).unwrap_err();
            assert_eq!(err.status, 400, "{bad}");
        }
        assert!(resolve("GET", &format!("/v1/tenants/{}/policy", "x".repeat(64))).is_ok());
    }
}
