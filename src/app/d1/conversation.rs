//! Conversation configs in D1 (`conversation_configs`): tenant defaults
//! (`user_id = ''`) and user overrides.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::outbox;
use super::query::{execute, placeholders, select_all, select_first, statement};
use crate::app::conversation::{split_user_config_id, ConfigFields, Scope, StoredConfig};
use crate::{Invalidation, ReadStore, Store, StoreError};

#[derive(Deserialize)]
struct Row {
    tenant_id: String,
    user_id: String,
    system_prompt: Option<String>,
    temperature: Option<f64>,
    max_turns: Option<f64>,
    updated_at_ms: f64,
}

impl Row {
    fn into_stored(self) -> StoredConfig {
        StoredConfig {
            tenant_id: self.tenant_id,
            user_id: (!self.user_id.is_empty()).then_some(self.user_id),
            fields: ConfigFields {
                system_prompt: self.system_prompt,
                temperature: self.temperature,
                max_turns: self.max_turns.map(|t| t as u32),
            },
            updated_at_ms: self.updated_at_ms as u64,
        }
    }
}

const COLUMNS: &str = "tenant_id, user_id, system_prompt, temperature, max_turns, updated_at_ms";

async fn read_row(db: &D1Database, tenant: &str, user: &str) -> Result<Option<StoredConfig>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM conversation_configs WHERE tenant_id = ?1 AND user_id = ?2");
    let row: Option<Row> = select_first(db, &sql, &[tenant.into(), user.into()]).await?;
    Ok(row.map(Row::into_stored))
}

fn upsert(db: &D1Database, tenant: &str, user: &str, config: &StoredConfig) -> Result<D1PreparedStatement, StoreError> {
    let sql = format!(
        "INSERT INTO conversation_configs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(tenant_id, user_id) {UPDATE}"
    );
    statement(db, &sql, &values(tenant, user, config))
}

/// What an upsert of an existing config changes.
const UPDATE: &str = "DO UPDATE SET system_prompt = excluded.system_prompt, temperature = excluded.temperature, \
                      max_turns = excluded.max_turns, updated_at_ms = excluded.updated_at_ms";

/// `config` as `?1` to `?6`, in the order of [`COLUMNS`].
fn values(tenant: &str, user: &str, config: &StoredConfig) -> Vec<wasm_bindgen::JsValue> {
    let optional_text = |v: &Option<String>| v.as_deref().map_or(wasm_bindgen::JsValue::NULL, Into::into);
    let optional_number = |v: Option<f64>| v.map_or(wasm_bindgen::JsValue::NULL, Into::into);
    vec![
        tenant.into(),
        user.into(),
        optional_text(&config.fields.system_prompt),
        optional_number(config.fields.temperature),
        optional_number(config.fields.max_turns.map(f64::from)),
        (config.updated_at_ms as f64).into(),
    ]
}

/// [`upsert`] of a user override, unless it would be the tenant's
/// `cap + 1`th: an existing override is always updated, a new one inserted
/// only while the tenant has fewer than `cap`. Counted and written in one
/// statement (one transaction), so concurrent writes cannot pass the cap.
fn upsert_capped(
    db: &D1Database,
    tenant: &str,
    user: &str,
    config: &StoredConfig,
    cap: u64,
) -> Result<D1PreparedStatement, StoreError> {
    let sql = format!(
        "INSERT INTO conversation_configs ({COLUMNS}) SELECT ?1, ?2, ?3, ?4, ?5, ?6 \
         WHERE EXISTS (SELECT 1 FROM conversation_configs WHERE tenant_id = ?1 AND user_id = ?2) \
         OR (SELECT COUNT(*) FROM conversation_configs WHERE tenant_id = ?1 AND user_id != '') < ?7 \
         ON CONFLICT(tenant_id, user_id) {UPDATE}"
    );
    let mut values = values(tenant, user, config);
    values.push((cap as f64).into());
    statement(db, &sql, &values)
}

async fn delete_row(db: &D1Database, tenant: &str, user: &str) -> Result<bool, StoreError> {
    let sql = "DELETE FROM conversation_configs WHERE tenant_id = ?1 AND user_id = ?2";
    Ok(execute(db, sql, &[tenant.into(), user.into()]).await? > 0)
}

fn split(id: &str) -> Result<(&str, &str), StoreError> {
    split_user_config_id(id).ok_or_else(|| StoreError::backing(format!("{id:?} is not tenant/user")))
}

/// Conversation configs of one [`Scope`]: tenant defaults (ids are
/// tenants) or user overrides (ids are `tenant/user`). Writes record their
/// cache invalidation in the outbox, in the same D1 batch.
pub struct D1ConfigStore {
    db: D1Database,
    scope: Scope,
}

impl D1ConfigStore {
    /// The configs of `scope`.
    pub fn new(db: D1Database, scope: Scope) -> Self {
        D1ConfigStore { db, scope }
    }

    fn row_of<'a>(&self, id: &'a str) -> Result<(&'a str, &'a str), StoreError> {
        match self.scope {
            Scope::Tenant => Ok((id, "")),
            Scope::User => split(id),
        }
    }

    /// The tenant defaults of `tenants` (at most 100), one query; tenants
    /// without one are left out.
    ///
    /// # Errors
    /// [`StoreError::Backing`] when D1 fails.
    pub async fn defaults_of(&self, tenants: &[String]) -> Result<Vec<StoredConfig>, StoreError> {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM conversation_configs WHERE user_id = '' AND tenant_id IN ({})",
            placeholders(tenants.len())
        );
        let params: Vec<wasm_bindgen::JsValue> = tenants.iter().map(|t| t.as_str().into()).collect();
        let rows: Vec<Row> = select_all(&self.db, &sql, &params).await?;
        Ok(rows.into_iter().map(Row::into_stored).collect())
    }
}

impl D1ConfigStore {
    /// Writes the user override `id` (`tenant/user`) and records `pending`
    /// in the outbox, in one batch, unless the tenant already has `cap`
    /// overrides and this is a new one: answers the outbox ticket, or
    /// `None` when the cap refused it (nothing written, nothing left in the outbox).
    ///
    /// # Errors
    /// [`StoreError::Backing`] when D1 fails, or `id` is not `tenant/user`.
    pub async fn set_user_override_capped(
        &self,
        id: &str,
        value: &StoredConfig,
        pending: &Invalidation,
        cap: u64,
    ) -> Result<Option<i64>, StoreError> {
        let (tenant, user) = split(id)?;
        let write = upsert_capped(&self.db, tenant, user, value, cap)?;
        let (changed, ticket) = outbox::write_recording_counted(&self.db, write, pending).await?;
        if changed == 0 {
            outbox::complete(&self.db, ticket).await?;
            return Ok(None);
        }
        Ok(Some(ticket))
    }
}

impl ReadStore for D1ConfigStore {
    type Value = StoredConfig;

    async fn get(&self, id: &str) -> Result<Option<StoredConfig>, StoreError> {
        let (tenant, user) = self.row_of(id)?;
        read_row(&self.db, tenant, user).await
    }
}

impl Store for D1ConfigStore {
    async fn set(&self, id: &str, value: &StoredConfig) -> Result<StoredConfig, StoreError> {
        let (tenant, user) = self.row_of(id)?;
        upsert(&self.db, tenant, user, value)?.run().await.map_err(StoreError::backing)?;
        Ok(value.clone())
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let (tenant, user) = self.row_of(id)?;
        delete_row(&self.db, tenant, user).await
    }

    async fn set_recording(
        &self,
        id: &str,
        value: &StoredConfig,
        pending: &Invalidation,
    ) -> Result<(StoredConfig, Option<i64>), StoreError> {
        let (tenant, user) = self.row_of(id)?;
        let ticket = outbox::write_recording(&self.db, upsert(&self.db, tenant, user, value)?, pending).await?;
        Ok((value.clone(), Some(ticket)))
    }

    async fn complete_recorded(&self, ticket: i64) -> Result<(), StoreError> {
        outbox::complete(&self.db, ticket).await
    }
}
