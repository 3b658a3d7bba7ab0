//! The few ways the D1 stores talk to D1: a bound statement, all rows, the
//! first row, a run that counts changed rows. Every D1 error becomes
//! [`StoreError::Backing`] here (its text goes to the log, never to a client).

use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement};

use crate::StoreError;

/// `sql` with `params` bound to `?1`, `?2`, … in order: for a batch.
///
/// # Errors
/// [`StoreError::Backing`] when D1 refuses the statement or a parameter.
pub fn statement(db: &D1Database, sql: &str, params: &[JsValue]) -> Result<D1PreparedStatement, StoreError> {
    db.prepare(sql).bind(params).map_err(StoreError::backing)
}

/// Every row `sql` selects, as `T` (fields named as the columns).
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails or a row does not fit `T`.
pub async fn select_all<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<Vec<T>, StoreError> {
    let result = statement(db, sql, params)?.all().await.map_err(StoreError::backing)?;
    result.results().map_err(StoreError::backing)
}

/// The first row `sql` selects, if any.
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails or the row does not fit `T`.
pub async fn select_first<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    params: &[JsValue],
) -> Result<Option<T>, StoreError> {
    statement(db, sql, params)?.first(None).await.map_err(StoreError::backing)
}

/// Runs `sql`; answers how many rows it changed.
///
/// # Errors
/// [`StoreError::Backing`] when D1 fails.
pub async fn execute(db: &D1Database, sql: &str, params: &[JsValue]) -> Result<u64, StoreError> {
    let result = statement(db, sql, params)?.run().await.map_err(StoreError::backing)?;
    changes(&result)
}

/// Rows a statement's run changed.
///
/// # Errors
/// [`StoreError::Backing`] when D1's answer has no readable metadata.
pub fn changes(result: &worker::D1Result) -> Result<u64, StoreError> {
    Ok(result.meta().map_err(StoreError::backing)?.and_then(|m| m.changes).unwrap_or(0) as u64)
}

/// `?1, ?2, …, ?count`: the placeholders of an `IN (…)` list.
pub fn placeholders(count: usize) -> String {
    (1..=count).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}
