-- Tenant LLM policies: the source of truth behind GET/PUT /v1/tenants/{tenant}/policy.
CREATE TABLE IF NOT EXISTS tenant_llm_policies (
  tenant_id TEXT PRIMARY KEY NOT NULL,
  default_model TEXT NOT NULL,
  allowed_models TEXT NOT NULL, -- JSON array of model names
  max_tokens_per_request INTEGER NOT NULL CHECK (max_tokens_per_request > 0),
  updated_at_ms INTEGER NOT NULL
);
