//! The reference worker's sources of truth in D1 (schema in migrations/):
//! tenant policies, conversation configs, API keys, and the outbox of cache
//! invalidations that every write records in the same batch.

pub mod api_keys;
pub mod conversation;
pub mod outbox;
pub mod policy;
pub mod query;

use serde::Deserialize;
use worker::D1Database;

use crate::StoreError;

/// Tenant ids with a policy or a default conversation config, in order,
/// at most `limit` after `after` (for paging through every tenant).
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn tenant_ids_after(db: &D1Database, after: Option<&str>, limit: usize) -> Result<Vec<String>, StoreError> {
    #[derive(Deserialize)]
    struct Tenant {
        tenant_id: String,
    }
    let rows: Vec<Tenant> = query::select_all(
        db,
        "SELECT tenant_id FROM tenant_llm_policies WHERE tenant_id > ?1 \
         UNION SELECT tenant_id FROM conversation_configs WHERE user_id = '' AND tenant_id > ?1 \
         ORDER BY tenant_id LIMIT ?2",
        &[after.unwrap_or("").into(), (limit as f64).into()],
    )
    .await?;
    Ok(rows.into_iter().map(|row| row.tenant_id).collect())
}
