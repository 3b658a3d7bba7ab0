-- Transactional outbox: each write records the cache invalidation it needs in
-- the same D1 batch; the row is deleted once the invalidation ran. Rows left
-- by a cache outage are drained as soon as Upstash answers again.
CREATE TABLE IF NOT EXISTS cache_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  invalidation TEXT NOT NULL, -- JSON: {"keys":[...],"tags":[...],"namespaces":[...]}
  created_at_ms INTEGER NOT NULL
);
