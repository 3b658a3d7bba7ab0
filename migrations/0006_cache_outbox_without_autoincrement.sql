-- The outbox without AUTOINCREMENT: each insert then writes the row and its
-- unique index, not also the sqlite_sequence row (D1 bills rows written, and
-- every write of a cached entity passes through here). Ids still grow with
-- insertion order among the rows present, which is all the drain's "oldest
-- first" needs; SQLite may reuse an id only after its row is gone.
CREATE TABLE cache_outbox_next (
  id INTEGER PRIMARY KEY,
  invalidation TEXT NOT NULL, -- JSON: {"keys":[...],"tags":[...],"namespaces":[...]}
  created_at_ms INTEGER NOT NULL,
  generation INTEGER NOT NULL DEFAULT 0
);
INSERT INTO cache_outbox_next (id, invalidation, created_at_ms, generation)
  SELECT id, invalidation, created_at_ms, generation FROM cache_outbox;
DROP TABLE cache_outbox;
ALTER TABLE cache_outbox_next RENAME TO cache_outbox;
CREATE UNIQUE INDEX IF NOT EXISTS cache_outbox_invalidation ON cache_outbox (invalidation);
