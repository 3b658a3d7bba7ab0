//! Tenant API keys in D1 (`tenant_api_keys`), stored only as the SHA-256 of
//! the key: a store keyed by that digest, whose reads the worker caches (a
//! valid request costs no D1 read) and whose writes and revocations record
//! their cache invalidation in the outbox, like every other write.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::outbox;
use super::query::{changes, select_all, select_first, statement};
use crate::app::auth::ApiKeyRecord;
use crate::{Invalidation, ReadStore, Store, StoreError};

/// API keys by digest.
pub struct D1ApiKeyStore {
    db: D1Database,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    tenant_id: String,
    created_at_ms: f64,
}

impl Row {
    fn into_record(self) -> ApiKeyRecord {
        ApiKeyRecord { id: self.id, tenant_id: self.tenant_id, created_at_ms: self.created_at_ms as u64 }
    }
}

impl D1ApiKeyStore {
    /// A store over the database bound as `db`.
    pub fn new(db: D1Database) -> Self {
        D1ApiKeyStore { db }
    }

    /// The keys of `tenant`, oldest first (ids and creation times only).
    ///
    /// # Errors
    /// [`StoreError::Backing`] when D1 fails.
    pub async fn list(&self, tenant: &str) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let sql =
            "SELECT id, tenant_id, created_at_ms FROM tenant_api_keys WHERE tenant_id = ?1 ORDER BY created_at_ms, id";
        let rows: Vec<Row> = select_all(&self.db, sql, &[tenant.into()]).await?;
        Ok(rows.into_iter().map(Row::into_record).collect())
    }

    /// The digest of `tenant`'s key `id`, if there is one.
    ///
    /// # Errors
    /// [`StoreError::Backing`] when D1 fails.
    pub async fn digest_of(&self, tenant: &str, id: &str) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Digest {
            key_sha256: String,
        }
        let sql = "SELECT key_sha256 FROM tenant_api_keys WHERE tenant_id = ?1 AND id = ?2";
        let row: Option<Digest> = select_first(&self.db, sql, &[tenant.into(), id.into()]).await?;
        Ok(row.map(|r| r.key_sha256))
    }

    fn insert(&self, digest: &str, record: &ApiKeyRecord) -> Result<D1PreparedStatement, StoreError> {
        statement(
            &self.db,
            "INSERT INTO tenant_api_keys (key_sha256, id, tenant_id, created_at_ms) VALUES (?1, ?2, ?3, ?4)",
            &[
                digest.into(),
                record.id.as_str().into(),
                record.tenant_id.as_str().into(),
                (record.created_at_ms as f64).into(),
            ],
        )
    }

    fn remove(&self, digest: &str) -> Result<D1PreparedStatement, StoreError> {
        statement(&self.db, "DELETE FROM tenant_api_keys WHERE key_sha256 = ?1", &[digest.into()])
    }
}

impl ReadStore for D1ApiKeyStore {
    type Value = ApiKeyRecord;

    async fn get(&self, digest: &str) -> Result<Option<ApiKeyRecord>, StoreError> {
        let sql = "SELECT id, tenant_id, created_at_ms FROM tenant_api_keys WHERE key_sha256 = ?1";
        let row: Option<Row> = select_first(&self.db, sql, &[digest.into()]).await?;
        Ok(row.map(Row::into_record))
    }
}

impl Store for D1ApiKeyStore {
    async fn set(&self, digest: &str, record: &ApiKeyRecord) -> Result<ApiKeyRecord, StoreError> {
        self.insert(digest, record)?.run().await.map_err(StoreError::backing)?;
        Ok(record.clone())
    }

    async fn set_recording(
        &self,
        digest: &str,
        record: &ApiKeyRecord,
        pending: &Invalidation,
    ) -> Result<(ApiKeyRecord, Option<i64>), StoreError> {
        let ticket = outbox::write_recording(&self.db, self.insert(digest, record)?, pending).await?;
        Ok((record.clone(), Some(ticket)))
    }

    async fn delete(&self, digest: &str) -> Result<bool, StoreError> {
        let result = self.remove(digest)?.run().await.map_err(StoreError::backing)?;
        Ok(changes(&result)? > 0)
    }

    async fn delete_recording(&self, digest: &str, pending: &Invalidation) -> Result<(bool, Option<i64>), StoreError> {
        let ticket = outbox::write_recording(&self.db, self.remove(digest)?, pending).await?;
        Ok((true, Some(ticket)))
    }

    async fn complete_recorded(&self, ticket: i64) -> Result<(), StoreError> {
        outbox::complete(&self.db, ticket).await
    }
}
