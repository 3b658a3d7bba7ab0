-- Tenant API keys, stored only as the SHA-256 of the key (hex). A key is
-- shown once, when it is created; `id` is how it is listed and revoked.
-- Validations are read through the cache (auth:validation:{key_sha256}).
CREATE TABLE IF NOT EXISTS tenant_api_keys (
  key_sha256 TEXT PRIMARY KEY NOT NULL,
  id TEXT NOT NULL UNIQUE,
  tenant_id TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tenant_api_keys_tenant ON tenant_api_keys (tenant_id, created_at_ms);
