//! The cache's health, as `GET /health` reports it.

use super::Cache;

/// The cache's health.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    /// True when the backend answered (or caching is off: nothing to fail).
    pub healthy: bool,
    /// `"upstash"`, `"memory"` or `"none"` (caching off).
    pub backend: &'static str,
    /// How long the check took, in milliseconds.
    pub latency_ms: u64,
    /// Why the backend is unhealthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Cache {
    /// Pings the backend (bypassing the breaker) and reports its health.
    pub async fn health(&self) -> Health {
        let Some(backend) = self.backend() else {
            return Health { healthy: true, backend: "none", latency_ms: 0, error: None };
        };
        let started_ms = crate::clock::now_ms();
        // Not observed: a PING that answers must not close the breaker while
        // real reads still fail, and /health must not be able to hold it shut.
        let result = backend.ping().await;
        let latency_ms = crate::clock::now_ms().saturating_sub(started_ms);
        Health {
            healthy: result.is_ok(),
            backend: backend.kind().as_str(),
            latency_ms,
            error: result.err().map(|e| e.to_string()),
        }
    }
}
