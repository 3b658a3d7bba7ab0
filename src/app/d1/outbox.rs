//! The transactional outbox in D1 (`cache_outbox`): each write records the
//! cache invalidation it needs in the same batch; rows left by a cache
//! outage are drained once the cache answers again.
//!
//! One row per distinct invalidation: a write whose invalidation already
//! waits refreshes that row's `generation` (a random ticket) instead of
//! adding one, so an outage grows the outbox by the distinct keys written,
//! not by every write. A write completes its row only while the row still
//! carries its generation, so a later write's pending invalidation is never
//! deleted by an earlier one.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::query::{execute, select_all, select_first, statement};
use crate::{Cache, Invalidation, StoreError};

/// Rows one drain batch reads and applies (one cache round trip).
const DRAIN_BATCH: usize = 100;
/// Most rows one drain handles: it runs after a response or on the cron,
/// and stops here even if more wait (the next drain goes on).
pub const MAX_DRAIN_ROWS: usize = 500;

/// Runs `write` and records `pending` in one D1 batch (one transaction);
/// answers the ticket that [`complete`] takes.
///
/// # Errors
/// [`StoreError::Backing`] when the batch did not commit (neither happened).
pub async fn write_recording(
    db: &D1Database,
    write: D1PreparedStatement,
    pending: &Invalidation,
) -> Result<i64, StoreError> {
    Ok(write_recording_counted(db, write, pending).await?.1)
}

/// [`write_recording`], answering also how many rows `write` changed (a
/// conditional write may change none; its recorded invalidation is then
/// harmless, and [`complete`] removes it).
///
/// # Errors
/// [`StoreError::Backing`] when the batch did not commit (neither happened).
pub async fn write_recording_counted(
    db: &D1Database,
    write: D1PreparedStatement,
    pending: &Invalidation,
) -> Result<(u64, i64), StoreError> {
    let json = serde_json::to_string(pending).map_err(StoreError::codec)?;
    let ticket = new_ticket()?;
    let record = statement(
        db,
        "INSERT INTO cache_outbox (invalidation, created_at_ms, generation) VALUES (?1, ?2, ?3) \
         ON CONFLICT (invalidation) DO UPDATE SET created_at_ms = excluded.created_at_ms, \
         generation = excluded.generation",
        &[json.into(), (crate::clock::now_ms() as f64).into(), (ticket as f64).into()],
    )?;
    let results = db.batch(vec![write, record]).await.map_err(StoreError::backing)?;
    if let Some(error) = results.iter().find_map(|r| r.error()) {
        return Err(StoreError::backing(error));
    }
    let changed = match results.first() {
        Some(result) => super::query::changes(result)?,
        None => 0,
    };
    Ok((changed, ticket))
}

/// A random ticket that JavaScript numbers hold exactly (below 2^53).
fn new_ticket() -> Result<i64, StoreError> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(StoreError::backing)?;
    Ok((u64::from_le_bytes(bytes) >> 11) as i64)
}

/// Deletes the row of `ticket` if no later write refreshed it.
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn complete(db: &D1Database, ticket: i64) -> Result<(), StoreError> {
    execute(db, "DELETE FROM cache_outbox WHERE generation = ?1", &[(ticket as f64).into()]).await?;
    Ok(())
}

/// How many invalidations wait.
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn depth(db: &D1Database) -> Result<u64, StoreError> {
    #[derive(Deserialize)]
    struct Count {
        n: f64,
    }
    let count: Option<Count> = select_first(db, "SELECT COUNT(*) AS n FROM cache_outbox", &[]).await?;
    Ok(count.map_or(0, |c| c.n as u64))
}

#[derive(Deserialize)]
struct Row {
    id: f64,
    invalidation: String,
    generation: f64,
}

/// Applies the pending invalidations, oldest first, [`DRAIN_BATCH`] per
/// cache round trip and at most [`MAX_DRAIN_ROWS`], deleting each row as its
/// batch runs (unless a write refreshed it meanwhile); answers how many ran.
/// The cache call goes out even while its circuit breaker is open (a drain
/// is also the probe that finds the cache back). With the cache still down,
/// nothing is deleted and the rows wait for the next drain.
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn drain(db: &D1Database, cache: &Cache) -> Result<usize, StoreError> {
    let mut drained = 0;
    while drained < MAX_DRAIN_ROWS {
        let batch = drain_batch(db, cache).await?;
        drained += batch;
        if batch < DRAIN_BATCH {
            break;
        }
    }
    if drained > 0 {
        log::info!("edgecache: drained {drained} outbox invalidation(s)");
    }
    Ok(drained)
}

async fn drain_batch(db: &D1Database, cache: &Cache) -> Result<usize, StoreError> {
    let sql = format!("SELECT id, invalidation, generation FROM cache_outbox ORDER BY id LIMIT {DRAIN_BATCH}");
    let rows: Vec<Row> = select_all(db, &sql, &[]).await?;
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
    let mut deletes = Vec::with_capacity(rows.len());
    for row in &rows {
        let sql = "DELETE FROM cache_outbox WHERE id = ?1 AND generation = ?2";
        deletes.push(statement(db, sql, &[row.id.into(), row.generation.into()])?);
    }
    db.batch(deletes).await.map_err(StoreError::backing)?;
    Ok(rows.len())
}
