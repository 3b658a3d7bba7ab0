//! Routing: what a request may ask for ([`Route`] and its parts), resolved
//! from method and path by [`resolve`] (the route table, with 404 / 405 /
//! 400 answers) after [`path`] has read and validated the path.
//!
//! Every route but `GET /health` needs credentials: `/v1/*` an API key of
//! its tenant or the admin token, `/admin/*` the admin token (`/health`
//! with the admin token answers the details `/admin/health` does). The
//! dashboard under `/` is static assets, served before the worker runs.

pub mod path;
mod table;

pub use self::table::resolve;

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
