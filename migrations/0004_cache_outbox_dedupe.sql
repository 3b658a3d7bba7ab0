-- The outbox holds one row per distinct invalidation: a write during an
-- outage to a key already waiting only refreshes that row's generation, so
-- the outbox grows with the distinct keys written, not with every write.
-- A write completes its row only while the row still has the generation it
-- set; a later write's newer generation keeps the row for the drain.
ALTER TABLE cache_outbox ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
DELETE FROM cache_outbox WHERE id NOT IN (SELECT MIN(id) FROM cache_outbox GROUP BY invalidation);
CREATE UNIQUE INDEX IF NOT EXISTS cache_outbox_invalidation ON cache_outbox (invalidation);
