//! Conversation configs: a tenant default, per-user overrides, and the
//! resolved config a user gets (the override over the default, field by field).

use serde::{Deserialize, Serialize};

use super::body::{parse_json_object, MAX_BODY_BYTES};
use super::error::ApiError;

/// Longest system prompt accepted, in characters.
pub const MAX_SYSTEM_PROMPT_CHARS: usize = 8_000;

/// The fields of a conversation config, each optional:
/// `{"systemPrompt": string, "temperature": number 0..2, "maxTurns": integer 1..1000}`.
/// The body of both PUT routes; unknown fields are refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigFields {
    /// The system prompt, at most 8000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_prompt: Option<String>,
    /// Sampling temperature, 0 to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Most turns in a conversation, 1 to 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_turns: Option<u32>,
}

impl ConfigFields {
    /// Parses and validates a request body.
    ///
    /// # Errors
    /// 413 past 64 KiB; 400 for a body that is not a JSON object of these
    /// fields, wrong types, or values out of range.
    pub fn parse(body: &[u8]) -> Result<ConfigFields, ApiError> {
        let fields: ConfigFields = parse_json_object(body, MAX_BODY_BYTES, "conversation config")?;
        if let Some(prompt) = &fields.system_prompt {
            if prompt.chars().count() > MAX_SYSTEM_PROMPT_CHARS {
                return Err(ApiError::bad_request(format!(
                    "systemPrompt exceeds {MAX_SYSTEM_PROMPT_CHARS} characters"
                )));
            }
        }
        if let Some(t) = fields.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(ApiError::bad_request(format!("temperature must be between 0 and 2, got {t}")));
            }
        }
        if let Some(turns) = fields.max_turns {
            if !(1..=1000).contains(&turns) {
                return Err(ApiError::bad_request(format!("maxTurns must be between 1 and 1000, got {turns}")));
            }
        }
        Ok(fields)
    }

    /// `self` over `fallback`, field by field.
    pub fn over(&self, fallback: &ConfigFields) -> ConfigFields {
        ConfigFields {
            system_prompt: self.system_prompt.clone().or_else(|| fallback.system_prompt.clone()),
            temperature: self.temperature.or(fallback.temperature),
            max_turns: self.max_turns.or(fallback.max_turns),
        }
    }
}

/// A stored config: a tenant default (`user_id` absent) or a user override.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredConfig {
    /// The tenant.
    pub tenant_id: String,
    /// The user, for an override.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The fields set.
    #[serde(flatten)]
    pub fields: ConfigFields,
    /// When it was written, in ms since the Unix epoch.
    pub updated_at_ms: u64,
}

/// What `GET /v1/tenants/{tenant}/users/{user}/conversation-config` answers:
/// the user's override over the tenant default, field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedConfig {
    /// The tenant.
    pub tenant_id: String,
    /// The user.
    pub user_id: String,
    /// The resolved fields.
    #[serde(flatten)]
    pub fields: ConfigFields,
    /// Whether a tenant default and a user override exist.
    pub has_tenant_default: bool,
    /// See `has_tenant_default`.
    pub has_user_override: bool,
}

impl ResolvedConfig {
    /// Resolves `user` over `tenant`; `None` when neither exists.
    pub fn resolve(
        tenant_id: &str,
        user_id: &str,
        tenant: Option<&ConfigFields>,
        user: Option<&ConfigFields>,
    ) -> Option<Self> {
        if tenant.is_none() && user.is_none() {
            return None;
        }
        let empty = ConfigFields::default();
        let fields = user.unwrap_or(&empty).over(tenant.unwrap_or(&empty));
        Some(ResolvedConfig {
            tenant_id: tenant_id.to_owned(),
            user_id: user_id.to_owned(),
            fields,
            has_tenant_default: tenant.is_some(),
            has_user_override: user.is_some(),
        })
    }
}

/// Which conversation configs a store holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Tenant defaults; ids are tenants.
    Tenant,
    /// User overrides; ids are `tenant/user` ([`user_config_id`]).
    User,
}

/// The cache tag of everything derived from tenant `tenant`'s default.
pub fn tenant_tag(tenant: &str) -> String {
    format!("tenant:{tenant}")
}

/// The cache tag of everything derived from `user`'s override in `tenant`.
pub fn user_tag(tenant: &str, user: &str) -> String {
    format!("user:{tenant}:{user}")
}

/// The store id of a user's config: `{tenant}/{user}` (ids are `[A-Za-z0-9_-]`,
/// so `/` separates them unambiguously).
pub fn user_config_id(tenant: &str, user: &str) -> String {
    format!("{tenant}/{user}")
}

/// Splits a [`user_config_id`].
pub fn split_user_config_id(id: &str) -> Option<(&str, &str)> {
    id.split_once('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_override_wins_field_by_field() {
        let tenant =
            ConfigFields { system_prompt: Some("be brief".into()), temperature: Some(0.2), max_turns: Some(10) };
        let user = ConfigFields { temperature: Some(1.5), ..Default::default() };
        let resolved = ResolvedConfig::resolve("acme", "u1", Some(&tenant), Some(&user)).unwrap();
        assert_eq!(
            resolved.fields,
            ConfigFields { system_prompt: Some("be brief".into()), temperature: Some(1.5), max_turns: Some(10) }
        );
        assert!(ResolvedConfig::resolve("acme", "u1", None, None).is_none());
        let only_user = ResolvedConfig::resolve("acme", "u1", None, Some(&user)).unwrap();
        assert!(!only_user.has_tenant_default && only_user.has_user_override);
    }

    #[test]
    fn bodies_are_validated() {
        assert_eq!(ConfigFields::parse(b"{}").unwrap(), ConfigFields::default());
        assert_eq!(ConfigFields::parse(br#"{"maxTurns":1000,"temperature":0}"#).unwrap().max_turns, Some(1000));
        for (body, expected) in [
            (r#"{"temperature":2.5}"#, "temperature"),
            (r#"{"temperature":"hot"}"#, "invalid type"),
            (r#"{"maxTurns":0}"#, "maxTurns"),
            (r#"{"maxTurns":1.5}"#, "invalid type"),
            (r#"{"mood":"calm"}"#, "unknown field"),
            (r#"[]"#, "invalid conversation config body"),
        ] {
            let err = ConfigFields::parse(body.as_bytes()).expect_err(body);
            assert_eq!(err.status, 400, "{body}");
            assert!(err.message.contains(expected), "{body}: {}", err.message);
        }
        let long = format!(r#"{{"systemPrompt":"{}"}}"#, "x".repeat(MAX_SYSTEM_PROMPT_CHARS + 1));
        assert_eq!(ConfigFields::parse(long.as_bytes()).unwrap_err().status, 400);
    }
}
