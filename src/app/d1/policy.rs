//! The source of truth for tenant policies: the D1 table `tenant_llm_policies`
//! (schema in migrations/).

use serde::Deserialize;
use worker::D1Database;

use super::outbox;
use super::query::{execute, placeholders, select_all, select_first, statement};
use crate::app::policy::TenantPolicy;
use crate::{Invalidation, ReadStore, Store, StoreError};

/// Tenant LLM policies in D1.
pub struct D1PolicyStore {
    db: D1Database,
}

#[derive(Deserialize)]
struct PolicyRow {
    tenant_id: String,
    default_model: String,
    allowed_models: String,
    max_tokens_per_request: u32,
    updated_at_ms: f64,
}

const COLUMNS: &str = "tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms";

impl PolicyRow {
    fn into_policy(self) -> Result<TenantPolicy, StoreError> {
        Ok(TenantPolicy {
            allowed_models: serde_json::from_str(&self.allowed_models)
                .map_err(|e| StoreError::backing(format!("allowed_models of {}: {e}", self.tenant_id)))?,
            tenant_id: self.tenant_id,
            default_model: self.default_model,
            max_tokens_per_request: self.max_tokens_per_request,
            updated_at_ms: self.updated_at_ms as u64,
        })
    }
}

impl D1PolicyStore {
    /// A store over the database bound as `db`.
    pub fn new(db: D1Database) -> Self {
        D1PolicyStore { db }
    }

    /// The policies of `tenants` (at most 100: D1 binds at most 100
    /// parameters), one query; tenants without one are left out.
    ///
    /// # Errors
    /// [`StoreError::Backing`] when D1 fails.
    pub async fn get_many(&self, tenants: &[String]) -> Result<Vec<TenantPolicy>, StoreError> {
        if tenants.is_empty() {
            return Ok(Vec::new());
        }
        let sql =
            format!("SELECT {COLUMNS} FROM tenant_llm_policies WHERE tenant_id IN ({})", placeholders(tenants.len()));
        let params: Vec<wasm_bindgen::JsValue> = tenants.iter().map(|t| t.as_str().into()).collect();
        let rows: Vec<PolicyRow> = select_all(&self.db, &sql, &params).await?;
        rows.into_iter().map(PolicyRow::into_policy).collect()
    }

    fn upsert(&self, id: &str, value: &TenantPolicy) -> Result<worker::D1PreparedStatement, StoreError> {
        let allowed_models =
            serde_json::to_string(&value.allowed_models).map_err(|e| StoreError::Codec { message: e.to_string() })?;
        statement(
            &self.db,
            "INSERT INTO tenant_llm_policies \
             (tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms) \
             VALUES (?1, ?2, ?3, ?4, ?5) \
             ON CONFLICT(tenant_id) DO UPDATE SET default_model = excluded.default_model, \
             allowed_models = excluded.allowed_models, \
             max_tokens_per_request = excluded.max_tokens_per_request, \
             updated_at_ms = excluded.updated_at_ms",
            &[
                id.into(),
                value.default_model.as_str().into(),
                allowed_models.into(),
                f64::from(value.max_tokens_per_request).into(),
                (value.updated_at_ms as f64).into(),
            ],
        )
    }
}

impl ReadStore for D1PolicyStore {
    type Value = TenantPolicy;

    async fn get(&self, id: &str) -> Result<Option<TenantPolicy>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM tenant_llm_policies WHERE tenant_id = ?1");
        let row: Option<PolicyRow> = select_first(&self.db, &sql, &[id.into()]).await?;
        row.map(PolicyRow::into_policy).transpose()
    }
}

impl Store for D1PolicyStore {
    async fn set(&self, id: &str, value: &TenantPolicy) -> Result<TenantPolicy, StoreError> {
        self.upsert(id, value)?.run().await.map_err(StoreError::backing)?;
        Ok(TenantPolicy { tenant_id: id.to_owned(), ..value.clone() })
    }

    async fn set_recording(
        &self,
        id: &str,
        value: &TenantPolicy,
        pending: &Invalidation,
    ) -> Result<(TenantPolicy, Option<i64>), StoreError> {
        let ticket = outbox::write_recording(&self.db, self.upsert(id, value)?, pending).await?;
        Ok((TenantPolicy { tenant_id: id.to_owned(), ..value.clone() }, Some(ticket)))
    }

    async fn complete_recorded(&self, ticket: i64) -> Result<(), StoreError> {
        outbox::complete(&self.db, ticket).await
    }

    async fn delete(&self, id: &str) -> Result<bool, StoreError> {
        Ok(execute(&self.db, "DELETE FROM tenant_llm_policies WHERE tenant_id = ?1", &[id.into()]).await? > 0)
    }
}
