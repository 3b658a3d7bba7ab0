//! A tenant's LLM policy: the request body, its validation, the stored form.

use serde::{Deserialize, Serialize};

use super::body::{parse_json_object, MAX_BODY_BYTES};
use super::error::ApiError;

/// Longest model name accepted, in characters.
pub const MAX_MODEL_LEN: usize = 128;
/// Most models a policy may allow.
pub const MAX_ALLOWED_MODELS: usize = 100;
/// Largest `maxTokensPerRequest` accepted.
pub const MAX_TOKENS_LIMIT: u32 = 10_000_000;

/// The body of `PUT /v1/tenants/{tenant}/policy`, e.g.
/// `{"defaultModel":"m1","allowedModels":["m1","m2"],"maxTokensPerRequest":4096}`.
/// Every field is required; unknown fields are refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyInput {
    /// The model used when a request names none; must be one of `allowed_models`.
    pub default_model: String,
    /// Models the tenant may use: 1 to 100 distinct names.
    pub allowed_models: Vec<String>,
    /// Upper bound on tokens per LLM request, 1 to 10,000,000.
    pub max_tokens_per_request: u32,
}

/// A policy as stored in D1 and cached: the input plus its tenant and write time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantPolicy {
    /// The tenant id.
    pub tenant_id: String,
    /// See [`PolicyInput::default_model`].
    pub default_model: String,
    /// See [`PolicyInput::allowed_models`].
    pub allowed_models: Vec<String>,
    /// See [`PolicyInput::max_tokens_per_request`].
    pub max_tokens_per_request: u32,
    /// When it was written, in milliseconds since the Unix epoch.
    pub updated_at_ms: u64,
}

impl PolicyInput {
    /// Parses and validates a request body.
    ///
    /// # Errors
    /// 413 past [`MAX_BODY_BYTES`]; 400 for a body that is not JSON, has unknown
    /// or missing fields, wrong types, or values out of range.
    pub fn parse(body: &[u8]) -> Result<PolicyInput, ApiError> {
        let input: PolicyInput = parse_json_object(body, MAX_BODY_BYTES, "policy")?;
        input.validate()?;
        Ok(input)
    }

    fn validate(&self) -> Result<(), ApiError> {
        check_model("defaultModel", &self.default_model)?;
        if self.allowed_models.is_empty() || self.allowed_models.len() > MAX_ALLOWED_MODELS {
            return Err(ApiError::bad_request(format!(
                "allowedModels must list 1 to {MAX_ALLOWED_MODELS} models, got {}",
                self.allowed_models.len()
            )));
        }
        for (i, model) in self.allowed_models.iter().enumerate() {
            check_model("allowedModels", model)?;
            if self.allowed_models[..i].contains(model) {
                return Err(ApiError::bad_request(format!("allowedModels lists {model:?} twice")));
            }
        }
        if !self.allowed_models.contains(&self.default_model) {
            return Err(ApiError::bad_request(format!(
                "defaultModel {:?} must be one of allowedModels",
                self.default_model
            )));
        }
        if !(1..=MAX_TOKENS_LIMIT).contains(&self.max_tokens_per_request) {
            return Err(ApiError::bad_request(format!(
                "maxTokensPerRequest must be between 1 and {MAX_TOKENS_LIMIT}, got {}",
                self.max_tokens_per_request
            )));
        }
        Ok(())
    }

    /// The stored form for `tenant_id`, written at `now_ms`.
    pub fn into_stored(self, tenant_id: &str, now_ms: u64) -> TenantPolicy {
        TenantPolicy {
            tenant_id: tenant_id.to_owned(),
            default_model: self.default_model,
            allowed_models: self.allowed_models,
            max_tokens_per_request: self.max_tokens_per_request,
            updated_at_ms: now_ms,
        }
    }
}

pub(crate) fn check_model(field: &str, model: &str) -> Result<(), ApiError> {
    let length = model.chars().count();
    if length == 0 || length > MAX_MODEL_LEN || model.chars().any(char::is_control) || model.trim() != model {
        return Err(ApiError::bad_request(format!(
            "{field}: a model name is 1 to {MAX_MODEL_LEN} printable characters without surrounding spaces, got {:?}",
            model.chars().take(40).collect::<String>()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_valid_body_parses() {
        let input =
            PolicyInput::parse(br#"{"defaultModel":"m1","allowedModels":["m1","m2"],"maxTokensPerRequest":4096}"#)
                .unwrap();
        let stored = input.into_stored("acme", 7);
        assert_eq!(stored.allowed_models, ["m1", "m2"]);
        assert_eq!(serde_json::to_value(&stored).unwrap()["maxTokensPerRequest"], 4096);
    }

    #[test]
    fn every_bad_body_is_a_400_naming_the_problem() {
        let cases = [
            (r#"{"defaultModel":"m1""#, "invalid policy body"),
            (r#"[]"#, "invalid policy body"),
            (r#"["m1",["m1"],4096]"#, "expected a JSON object, got an array"),
            (r#"{"defaultModel":"m1","allowedModels":["m1"],"maxTokensPerRequest":1,"extra":1}"#, "unknown field"),
            (r#"{"defaultModel":"m1","allowedModels":["m1"]}"#, "missing field"),
            (r#"{"defaultModel":1,"allowedModels":["m1"],"maxTokensPerRequest":1}"#, "invalid type"),
            (r#"{"defaultModel":"m1","allowedModels":["m1"],"maxTokensPerRequest":-1}"#, "invalid value"),
            (r#"{"defaultModel":"m1","allowedModels":["m1"],"maxTokensPerRequest":1.5}"#, "invalid type"),
            (r#"{"defaultModel":"m1","allowedModels":[],"maxTokensPerRequest":1}"#, "allowedModels"),
            (r#"{"defaultModel":"m3","allowedModels":["m1"],"maxTokensPerRequest":1}"#, "must be one of"),
            (r#"{"defaultModel":"m1","allowedModels":["m1","m1"],"maxTokensPerRequest":1}"#, "twice"),
            (r#"{"defaultModel":"","allowedModels":["m1"],"maxTokensPerRequest":1}"#, "defaultModel"),
            (r#"{"defaultModel":"m1","allowedModels":["m1"],"maxTokensPerRequest":0}"#, "maxTokensPerRequest"),
        ];
        for (body, expected) in cases {
            let err = PolicyInput::parse(body.as_bytes()).expect_err(body);
            assert_eq!(err.status, 400, "{body}");
            assert!(err.message.contains(expected), "{body}: {}", err.message);
        }
    }

    #[test]
    fn oversized_bodies_are_413() {
        let body = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(PolicyInput::parse(&body).unwrap_err().status, 413);
    }
}
