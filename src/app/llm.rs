//! The LLM gateway's settings, bodies and admission ids (platform-free).
//!
//! `POST /v1/tenants/{t}/llm/admit` admits one LLM call when the tenant's
//! policy allows the model and size, the tenant has a free in-flight slot
//! (`LLM_MAX_IN_FLIGHT`, a concurrency lease of `LLM_LEASE_SECS`) and its
//! daily token budget (`LLM_DAILY_TOKENS`) covers `maxTokens`, reserved
//! now. `POST .../llm/settle` gives the slot back and refunds the tokens
//! reserved beyond those used, once.

use std::num::NonZeroU64;
use std::time::Duration;

use serde::Deserialize;

use super::body::{parse_json_object, MAX_BODY_BYTES};
use super::error::ApiError;
use super::policy::{check_model, TenantPolicy, MAX_TOKENS_LIMIT};
use crate::config::{parse_number, ConfigError, Vars};
use crate::ratelimit::{Lease, LimitSpec, Reservation};

/// Default `LLM_MAX_IN_FLIGHT`: LLM calls a tenant may have running at once.
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 4;
/// Default `LLM_LEASE_SECS`: how long a slot is held when never settled.
pub const DEFAULT_LEASE_SECS: u64 = 300;
/// Default `LLM_DAILY_TOKENS`: tokens a tenant may reserve per UTC day.
pub const DEFAULT_DAILY_TOKENS: u64 = 1_000_000;
/// Default `RATE_LIMIT_MAX_OVERRIDES`: identifiers with limits of their own, per limiter.
pub const DEFAULT_MAX_OVERRIDES: u64 = 1_000;
/// A day, the budget's window.
const DAY: Duration = Duration::from_secs(86_400);

/// `LLM_*` and `RATE_LIMIT_MAX_OVERRIDES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LlmSettings {
    /// In-flight slots per tenant, and their lease TTL.
    pub slots: LimitSpec,
    /// Tokens per tenant per UTC day.
    pub daily_tokens: LimitSpec,
    /// Most overrides per limiter (`client`, `tenant`, `llm`).
    pub max_overrides: usize,
}

impl LlmSettings {
    /// Reads `LLM_MAX_IN_FLIGHT` (1 to 10,000), `LLM_LEASE_SECS` (1 to 3600),
    /// `LLM_DAILY_TOKENS` (1 to 10^12) and `RATE_LIMIT_MAX_OVERRIDES` (1 to 100,000).
    ///
    /// # Errors
    /// [`ConfigError`] naming the variable out of its range.
    pub fn from_env(env: &Vars<'_>) -> Result<LlmSettings, ConfigError> {
        let number = |name: &str, max: u64, default: u64| {
            Ok::<_, ConfigError>(parse_number(env, name, 1..=max)?.unwrap_or(default))
        };
        let nonzero = |n: u64| NonZeroU64::new(n).expect("parsed from 1");
        let slots = number("LLM_MAX_IN_FLIGHT", 10_000, DEFAULT_MAX_IN_FLIGHT)?;
        let lease_secs = number("LLM_LEASE_SECS", 3_600, DEFAULT_LEASE_SECS)?;
        let tokens = number("LLM_DAILY_TOKENS", 1_000_000_000_000, DEFAULT_DAILY_TOKENS)?;
        let max_overrides = number("RATE_LIMIT_MAX_OVERRIDES", 100_000, DEFAULT_MAX_OVERRIDES)?;
        Ok(LlmSettings {
            slots: LimitSpec::per_window(nonzero(slots), Duration::from_secs(lease_secs)).expect("whole seconds"),
            daily_tokens: LimitSpec::per_window(nonzero(tokens), DAY).expect("a day"),
            max_overrides: usize::try_from(max_overrides).unwrap_or(usize::MAX),
        })
    }
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings::from_env(&Vars::from_pairs(&[])).expect("the defaults are valid")
    }
}

/// The body of `POST .../llm/admit`: `{"model": "m1", "maxTokens": 512}`;
/// `model` may be left out for the policy's default.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdmitInput {
    /// The model asked for.
    pub model: Option<String>,
    /// The most tokens the call may use: what is reserved.
    pub max_tokens: u32,
}

impl AdmitInput {
    /// Parses and validates a request body (before any I/O).
    ///
    /// # Errors
    /// 413 past the body bound; 400 for a body that is not the object above,
    /// a model name out of its rules, or `maxTokens` outside 1 to 10,000,000.
    pub fn parse(body: &[u8]) -> Result<AdmitInput, ApiError> {
        let input: AdmitInput = parse_json_object(body, MAX_BODY_BYTES, "admission")?;
        if let Some(model) = &input.model {
            check_model("model", model)?;
        }
        if input.max_tokens == 0 || input.max_tokens > MAX_TOKENS_LIMIT {
            return Err(ApiError::bad_request(format!("maxTokens must be 1 to {MAX_TOKENS_LIMIT}")));
        }
        Ok(input)
    }

    /// The model this call uses under `policy`, if the policy allows it
    /// and the size.
    ///
    /// # Errors
    /// 400 `model_not_allowed` or `max_tokens_too_large`.
    pub fn admitted_model<'p>(&'p self, policy: &'p TenantPolicy) -> Result<&'p str, ApiError> {
        let model = self.model.as_deref().unwrap_or(&policy.default_model);
        if !policy.allowed_models.iter().any(|allowed| allowed == model) {
            return Err(ApiError::bad_request(format!("model {model:?} is not allowed for this tenant"))
                .with_code("model_not_allowed"));
        }
        if self.max_tokens > policy.max_tokens_per_request {
            return Err(ApiError::bad_request(format!(
                "maxTokens {} is over this tenant's maxTokensPerRequest {}",
                self.max_tokens, policy.max_tokens_per_request
            ))
            .with_code("max_tokens_too_large"));
        }
        Ok(model)
    }
}

/// The body of `POST .../llm/settle`: `{"admission": "adm_…", "usedTokens": 120}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SettleInput {
    /// The admission's id, as admit answered it.
    pub admission: String,
    /// Tokens the call used.
    pub used_tokens: u64,
}

impl SettleInput {
    /// Parses a request body and its admission id (before any I/O).
    ///
    /// # Errors
    /// 413 past the body bound; 400 for a body that is not the object
    /// above, or an admission id that is not one this worker makes.
    pub fn parse(body: &[u8]) -> Result<(SettleInput, AdmissionId), ApiError> {
        let input: SettleInput = parse_json_object(body, MAX_BODY_BYTES, "settlement")?;
        let id = AdmissionId::parse(&input.admission)
            .ok_or_else(|| ApiError::bad_request("admission is not an admission id (adm_ and 26 hex digits)"))?;
        Ok((input, id))
    }
}

/// An admission: its slot's lease id and its reservation's id, as the
/// text `adm_{lease:013x}{reservation:013x}`. It names nothing of its
/// tenant's: the tenant comes from the route, and the ids are looked up
/// under it, so another tenant's admission is unknown there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionId {
    /// The concurrency lease's id.
    pub lease: u64,
    /// The token reservation's id.
    pub reservation: u64,
}

impl AdmissionId {
    /// The id of an admission that took `lease` and reserved `reservation`.
    pub fn of(lease: &Lease, reservation: &Reservation) -> AdmissionId {
        AdmissionId { lease: lease.id, reservation: reservation.id }
    }

    /// Parses `adm_` and 26 lowercase hex digits.
    pub fn parse(text: &str) -> Option<AdmissionId> {
        let hex = text.strip_prefix("adm_")?;
        if hex.len() != 26 || !hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return None;
        }
        let lease = u64::from_str_radix(&hex[..13], 16).ok()?;
        let reservation = u64::from_str_radix(&hex[13..], 16).ok()?;
        Some(AdmissionId { lease, reservation })
    }

    /// The lease, for `tenant`'s slots limiter `limiter`.
    pub fn lease(&self, limiter: &str, tenant: &str) -> Lease {
        Lease { limiter: limiter.into(), identifier: tenant.to_owned(), id: self.lease }
    }

    /// The reservation, for `tenant`'s budget limiter `limiter` (what it
    /// reserved is read from Redis when it settles).
    pub fn reservation(&self, limiter: &str, tenant: &str) -> Reservation {
        Reservation { limiter: limiter.into(), identifier: tenant.to_owned(), id: self.reservation, cost: 0 }
    }
}

impl std::fmt::Display for AdmissionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "adm_{:013x}{:013x}", self.lease, self.reservation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> TenantPolicy {
        TenantPolicy {
            tenant_id: "acme".into(),
            default_model: "m1".into(),
            allowed_models: vec!["m1".into(), "m2".into()],
            max_tokens_per_request: 4096,
            updated_at_ms: 0,
        }
    }

    #[test]
    fn an_admission_id_reads_back_and_refuses_anything_else() {
        let id = AdmissionId { lease: (1 << 52) - 1, reservation: 42 };
        assert_eq!(AdmissionId::parse(&id.to_string()), Some(id));
        assert_eq!(id.to_string().len(), 30);
        for bad in [
            "",
            "adm_",
            "adm_zzzzzzzzzzzzzzzzzzzzzzzzzz",
            "adm_0000000000000000000000000",
            "ADM_00000000000000000000000000",
        ] {
            assert_eq!(AdmissionId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn bodies_are_checked_before_any_io_and_the_policy_decides_model_and_size() {
        let input = AdmitInput::parse(br#"{"model":"m2","maxTokens":512}"#).unwrap();
        assert_eq!(input.admitted_model(&policy()).unwrap(), "m2");
        let default = AdmitInput::parse(br#"{"maxTokens":512}"#).unwrap();
        assert_eq!(default.admitted_model(&policy()).unwrap(), "m1");
        let other = AdmitInput::parse(br#"{"model":"m9","maxTokens":512}"#).unwrap();
        assert_eq!(other.admitted_model(&policy()).unwrap_err().code, "model_not_allowed");
        let big = AdmitInput::parse(br#"{"model":"m1","maxTokens":5000}"#).unwrap();
        assert_eq!(big.admitted_model(&policy()).unwrap_err().code, "max_tokens_too_large");
        for bad in [
            &br#"{"maxTokens":0}"#[..],
            br#"{"maxTokens":-1}"#,
            br#"{"model":"m1"}"#,
            br#"{"maxTokens":1,"x":1}"#,
            b"[]",
        ] {
            assert_eq!(AdmitInput::parse(bad).unwrap_err().status, 400, "{}", String::from_utf8_lossy(bad));
        }
        assert!(SettleInput::parse(br#"{"admission":"adm_x","usedTokens":1}"#).is_err());
        let body = format!(r#"{{"admission":"{}","usedTokens":7}}"#, AdmissionId { lease: 1, reservation: 2 });
        let (settle, id) = SettleInput::parse(body.as_bytes()).unwrap();
        assert_eq!((settle.used_tokens, id.lease, id.reservation), (7, 1, 2));
    }

    #[test]
    fn settings_default_and_name_their_variable() {
        let settings = LlmSettings::default();
        assert_eq!(settings.slots.limit(), DEFAULT_MAX_IN_FLIGHT);
        assert_eq!(settings.daily_tokens.window(), DAY);
        let error = LlmSettings::from_env(&Vars::from_pairs(&[("LLM_MAX_IN_FLIGHT", "0")])).unwrap_err();
        assert_eq!(error.variable, "LLM_MAX_IN_FLIGHT");
    }
}
