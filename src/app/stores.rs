//! The cached stores of one request: each D1 store behind the isolate's
//! cache, with its key space, entry options and tags.

use std::sync::Arc;

use worker::{Context, D1Database, Env};

use super::conversation::{tenant_tag, user_tag, Scope};
use super::d1::api_keys::D1ApiKeyStore;
use super::d1::conversation::D1ConfigStore;
use super::d1::policy::D1PolicyStore;
use super::error::ApiError;
use super::state::AppState;
use crate::store::BoxFuture;
use crate::{Background, Cache, CachingStore};

/// `ctx.wait_until` as edgecache's [`Background`]: stale-while-revalidate
/// refreshes run after the response, in the request's own context.
pub struct WaitUntil(pub Arc<Context>);

impl Background for WaitUntil {
    fn spawn(&self, task: BoxFuture) {
        self.0.wait_until(task);
    }
}

/// The D1 database bound as `DB`.
///
/// # Errors
/// 500 when the binding is missing (a deployment without it).
pub fn database(env: &Env) -> Result<D1Database, ApiError> {
    env.d1("DB")
        .map_err(|e| ApiError::new(500, "the D1 binding DB is not configured").with_code("config_error").with_cause(e))
}

/// The stores of one request (they share the isolate's cache).
pub struct Stores {
    /// The isolate's cache, which every store below uses.
    pub cache: Cache,
    pub policies: CachingStore<D1PolicyStore>,
    pub tenant_configs: CachingStore<D1ConfigStore>,
    pub user_overrides: CachingStore<D1ConfigStore>,
    pub api_keys: CachingStore<D1ApiKeyStore>,
}

impl Stores {
    /// The stores over `env`'s D1, refreshing stale entries through `ctx`.
    ///
    /// # Errors
    /// 500 when the D1 binding is missing.
    pub fn new(state: &AppState, env: &Env, ctx: &Arc<Context>) -> Result<Stores, ApiError> {
        let background: Arc<dyn Background> = Arc::new(WaitUntil(ctx.clone()));
        let (cache, options) = (&state.cache, &state.options);
        Ok(Stores {
            cache: cache.clone(),
            policies: CachingStore::builder(D1PolicyStore::new(database(env)?), cache)
                .key_space("llm", "policy")
                .options(options.policy.clone())
                .background(background.clone())
                .build()?,
            // A default is tagged with its tenant, an override with its user:
            // a write bumps its own tags, so each stays one entry's tag (a
            // tenant tag on overrides would make every override write
            // invalidate the tenant's other overrides).
            tenant_configs: CachingStore::builder(D1ConfigStore::new(database(env)?, Scope::Tenant), cache)
                .key_space("conv", "config")
                .options(options.config.clone())
                .tags(|tenant| vec![tenant_tag(tenant)])
                .background(background.clone())
                .build()?,
            user_overrides: CachingStore::builder(D1ConfigStore::new(database(env)?, Scope::User), cache)
                .key_space("conv", "override")
                .options(options.config.clone())
                .tags(|id| id.split_once('/').map(|(t, u)| vec![user_tag(t, u)]).unwrap_or_default())
                .background(background)
                .build()?,
            // API-key validations, `{prefix}:auth:validation:{sha256 of the
            // key}`: no background refresh and no grace, so a validation is
            // never served stale.
            api_keys: CachingStore::builder(D1ApiKeyStore::new(database(env)?), cache)
                .key_space("auth", "validation")
                .options(options.auth.clone())
                .build()?,
        })
    }
}
