-- Conversation configs: a tenant default (user_id = '') and per-user overrides.
-- Behind GET/PUT /v1/tenants/{tenant}/conversation-config and
-- GET/PUT /v1/tenants/{tenant}/users/{user}/conversation-config.
CREATE TABLE IF NOT EXISTS conversation_configs (
  tenant_id TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  system_prompt TEXT,
  temperature REAL CHECK (temperature IS NULL OR (temperature >= 0 AND temperature <= 2)),
  max_turns INTEGER CHECK (max_turns IS NULL OR (max_turns >= 1 AND max_turns <= 1000)),
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);
