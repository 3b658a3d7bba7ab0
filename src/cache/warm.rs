//! Warming: writing many entries ahead of reads, a batch at a time, each
//! batch in two round trips (one pipeline of reads, one of fenced writes),
//! so a warm never overwrites a value a concurrent write put there.

use serde::Serialize;

use super::entry::Judgement;
use super::fence::{judge, read_keys, Fence};
use super::guarded::GuardedBackend;
use super::loaded::Loaded;
use super::lookup::CachedBytes;
use super::options::EntryOptions;
use super::reads::ReadPath;
use super::write::{LoadedFor, PreparedWrite, Writes};
use crate::backend::{CacheError, FencedWrite, VersionCheck};
use crate::keys::EntryKey;

/// Most entries one batch of [`Cache::warm_bytes`](crate::Cache::warm_bytes) reads and writes.
pub const WARM_BATCH: usize = 100;

/// What [`Cache::warm_bytes`](crate::Cache::warm_bytes) did with its entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WarmReport {
    /// Entries written.
    pub warmed: usize,
    /// Entries left as they were: already cached and fresh, or moved by a
    /// concurrent write or invalidation since the warm read them (fenced).
    pub skipped: usize,
    /// Entries that could not be written (the backend failed, a value that
    /// is not JSON).
    pub failed: usize,
}

impl WarmReport {
    /// Adds `other`'s counts.
    pub fn add(&mut self, other: WarmReport) {
        self.warmed += other.warmed;
        self.skipped += other.skipped;
        self.failed += other.failed;
    }
}

/// The components a warm writes through.
pub(super) struct Warmer<'a> {
    pub guarded: &'a GuardedBackend,
    pub reads: &'a ReadPath,
    pub writes: &'a Writes,
}

impl Warmer<'_> {
    /// Writes `entries` [`WARM_BATCH`] at a time (see `Cache::warm_bytes`).
    pub async fn warm_bytes(
        &self,
        entries: &[(EntryKey, CachedBytes)],
        options: &EntryOptions,
    ) -> Result<WarmReport, CacheError> {
        let mut report = WarmReport::default();
        for batch in entries.chunks(WARM_BATCH) {
            report.add(self.warm_batch(batch, options).await?);
        }
        Ok(report)
    }

    async fn warm_batch(
        &self,
        batch: &[(EntryKey, CachedBytes)],
        options: &EntryOptions,
    ) -> Result<WarmReport, CacheError> {
        if batch.is_empty() {
            return Ok(WarmReport::default());
        }
        let guarded = self.guarded;
        let backend = guarded.gate()?;
        let mark = self.reads.l1_mark();
        let reads: Vec<Vec<&str>> = batch.iter().map(|(key, _)| read_keys(key)).collect();
        let mut report = WarmReport::default();
        let values = match guarded.observe("warm read", backend.get_many_batch(&reads).await) {
            Ok(values) => values,
            Err(_) => return Ok(WarmReport { failed: batch.len(), ..report }),
        };
        let mut pending = Vec::new();
        for ((key, value), read) in batch.iter().zip(values) {
            let found = judge(key, read, mark, self.reads.now_ms());
            if found.judgement == Judgement::Fresh {
                report.skipped += 1;
            } else {
                pending.push((key, value, found.fence));
            }
        }
        let prepared = self.prepare_batch(&pending, options, &mut report);
        let checks: Vec<Vec<VersionCheck<'_>>> = prepared.iter().map(|(key, _, w)| w.checks(key)).collect();
        let writes: Vec<FencedWrite<'_>> =
            prepared.iter().zip(&checks).map(|((key, _, w), checks)| w.fenced(key, checks)).collect();
        if writes.is_empty() {
            return Ok(report);
        }
        let outcomes = match guarded.observe("warm write", backend.set_fenced_batch(&writes).await) {
            Ok(outcomes) => outcomes,
            Err(_) => return Ok(WarmReport { failed: report.failed + writes.len(), ..report }),
        };
        for ((key, fence, write), outcome) in prepared.into_iter().zip(outcomes) {
            match outcome {
                Ok(true) => {
                    report.warmed += 1;
                    self.reads.l1_put(key, write.entry, fence);
                }
                Ok(false) => report.skipped += 1,
                Err(_) => report.failed += 1,
            }
        }
        Ok(report)
    }

    /// The fenced writes of a batch's `pending` entries (those not fresh),
    /// counting in `report` the ones that need no write or cannot be written.
    ///
    /// Entries of a batch share versions (their namespace's epoch, the
    /// prefix's): one absent at the read is created by the first write that
    /// needs it, with the version every write of this isolate creates it
    /// with, so the later writes of the pipeline accept it.
    fn prepare_batch<'k>(
        &self,
        pending: &'k [(&'k EntryKey, &'k CachedBytes, Fence)],
        options: &EntryOptions,
        report: &mut WarmReport,
    ) -> Vec<(&'k EntryKey, &'k Fence, PreparedWrite)> {
        let mut prepared = Vec::with_capacity(pending.len());
        for (key, value, fence) in pending {
            let loaded = Loaded::new((*value).clone());
            let load = LoadedFor::untimed(&loaded);
            match self.writes.prepare_write(key, fence, load, options, self.reads.now_ms()) {
                Ok(Some(write)) => prepared.push((*key, fence, write)),
                Ok(None) => report.skipped += 1,
                Err(_) => report.failed += 1,
            }
        }
        prepared
    }
}
