//! The transactional outbox in D1 (`cache_outbox`): writes record the cache
//! invalidation they need in the same batch; rows left by a cache outage are
//! drained once the cache answers again.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::{Cache, Invalidation, StoreError};

/// Most rows one drain handles.
const DRAIN_BATCH: u32 = 100;

/// Runs `write` and records `pending` in one D1 batch (one transaction);
/// answers the outbox row id.
///
/// # Errors
/// [`StoreError::Backing`] when the batch did not commit (neither happened).
pub async fn write_recording(
    db: &D1Database,
    write: D1PreparedStatement,
    pending: &Invalidation,
) -> Result<i64, StoreError> {
    let json = serde_json::to_string(pending).map_err(|e| StoreError::Codec { message: e.to_string() })?;
    let record = db
        .prepare("INSERT INTO cache_outbox (invalidation, created_at_ms) VALUES (?1, ?2)")
        .bind(&[json.into(), (crate::clock::now_ms() as f64).into()])
        .map_err(StoreError::backing)?;
    let results = db.batch(vec![write, record]).await.map_err(StoreError::backing)?;
    if let Some(error) = results.iter().find_map(|r| r.error()) {
        return Err(StoreError::backing(error));
    }
    results
        .last()
        .and_then(|r| r.meta().ok().flatten())
        .and_then(|meta| meta.last_row_id)
        .ok_or_else(|| StoreError::backing("D1 did not answer the outbox row id"))
}

/// Deletes outbox row `ticket` (its invalidation ran).
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn complete(db: &D1Database, ticket: i64) -> Result<(), StoreError> {
    db.prepare("DELETE FROM cache_outbox WHERE id = ?1")
        .bind(&[(ticket as f64).into()])
        .map_err(StoreError::backing)?
        .run()
        .await
        .map_err(StoreError::backing)?;
    Ok(())
}

#[derive(Deserialize)]
struct Row {
    id: f64,
    invalidation: String,
}

/// Most batches one drain handles (so at most 1000 rows per drain).
const DRAIN_BATCHES: usize = 10;

/// Applies the pending invalidations, oldest first, 100 per cache round trip,
/// deleting their rows as each batch runs; answers how many ran. The cache
/// call goes out even while its circuit breaker is open (a drain is also the
/// probe that finds the cache back). With the cache still down, nothing is
/// deleted and the rows wait for the next drain.
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn drain(db: &D1Database, cache: &Cache) -> Result<usize, StoreError> {
    let mut drained = 0;
    for _ in 0..DRAIN_BATCHES {
        let batch = drain_batch(db, cache).await?;
        drained += batch;
        if batch < DRAIN_BATCH as usize {
            break;
        }
    }
    if drained > 0 {
        log::info!("edgecache: drained {drained} outbox invalidation(s)");
    }
    Ok(drained)
}

async fn drain_batch(db: &D1Database, cache: &Cache) -> Result<usize, StoreError> {
    let rows: Vec<Row> = db
        .prepare(format!("SELECT id, invalidation FROM cache_outbox ORDER BY id LIMIT {DRAIN_BATCH}"))
        .all()
        .await
        .map_err(StoreError::backing)?
        .results()
        .map_err(StoreError::backing)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut merged = Invalidation::default();
    for row in &rows {
        match serde_json::from_str::<Invalidation>(&row.invalidation) {
            Ok(invalidation) => merged.merge(invalidation),
            // Unreadable rows are dropped with a warning, not retried forever.
            Err(error) => log::warn!("edgecache: dropping unreadable outbox row {}: {error}", row.id),
        }
    }
    if !cache.apply_pending(&merged).await {
        return Ok(0);
    }
    let last_id = rows.iter().map(|r| r.id).fold(0.0, f64::max);
    db.prepare("DELETE FROM cache_outbox WHERE id <= ?1")
        .bind(&[last_id.into()])
        .map_err(StoreError::backing)?
        .run()
        .await
        .map_err(StoreError::backing)?;
    Ok(rows.len())
}
