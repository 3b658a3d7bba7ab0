//! Per-identifier overrides of a limiter's limit and window (plan tiers):
//! stored in Redis, read inside every check's own script (no round trip and
//! no command outside the script added), bounded in count.
//!
//! Layout: `{prefix}:rl:{name}:ovr:{escaped identifier}` holds
//! `"{limit} {window_ms}"`; the sorted set `{prefix}:rl:{name}:ovr` lists
//! the identifiers that have one (for listing, and to bound their number).
//! Overrides are settings, not counters: they have no TTL and stay until
//! cleared.

use std::num::NonZeroU64;
use std::sync::LazyLock;
use std::time::Duration;

use super::algorithm::LimitSpec;
use super::decision::RateLimitError;
use super::limiter::Limiter;
use super::seen_overrides::SeenOverrides;
use super::settings::validate;
use crate::keys::escape_id;
use crate::upstash::{Command, Reply, Script};

static SET_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SET_SOURCE));

const SET_SOURCE: &str = r"
-- KEYS[1] the index, KEYS[2] the override; ARGV[1] identifier, ARGV[2] value, ARGV[3] most.
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
return 1
";

fn parse_value(bytes: &[u8]) -> Option<LimitSpec> {
    let text = std::str::from_utf8(bytes).ok()?;
    let (limit, window_ms) = text.split_once(' ')?;
    let limit = NonZeroU64::new(limit.parse().ok()?)?;
    LimitSpec::per_window(limit, Duration::from_millis(window_ms.parse().ok()?))
}

impl Limiter {
    /// The key of `identifier`'s override.
    pub(super) fn override_key(&self, identifier: &str) -> String {
        format!("{}:ovr:{}", self.overrides_index(), escape_id(identifier))
    }

    fn overrides_index(&self) -> String {
        format!("{}:rl:{}:ovr", self.prefix, self.name)
    }

    fn overrides_or_refuse(&self) -> Result<&SeenOverrides, RateLimitError> {
        self.overrides.as_ref().ok_or_else(|| RateLimitError::Unsupported {
            limiter: self.name.to_string(),
            operation: "an override (see LimiterBuilder::overrides)",
            algorithm: self.algorithm,
        })
    }

    /// Gives `identifier` its own limit and window (`spec`; a burst set on
    /// it is ignored: GCRA's burst follows the override's limit when the
    /// limiter's follows its own, else stays, capped at the new limit).
    /// Every check of the identifier uses it from the next one on, in every
    /// isolate (the block cache of this isolate forgets the identifier; other
    /// isolates' block caches hold a refusal at most until it ends). One
    /// round trip.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] without
    /// [`LimiterBuilder::overrides`](super::LimiterBuilder::overrides);
    /// [`RateLimitError::OverrideRefused`] when `spec` is out of the
    /// algorithm's bounds (as [`LimiterBuilder::build`](super::LimiterBuilder::build)
    /// checks them) or the limiter holds its most overrides already;
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn set_override(&self, identifier: &str, spec: LimitSpec) -> Result<(), RateLimitError> {
        let seen = self.overrides_or_refuse()?;
        let refused = |message: String| RateLimitError::OverrideRefused { limiter: self.name.to_string(), message };
        let plain = LimitSpec::per_window(spec.limit_nonzero(), spec.window()).expect("a valid spec");
        validate(&self.name, self.algorithm, plain, Some(&self.prefix)).map_err(|e| refused(e.to_string()))?;
        let keys = [self.overrides_index(), self.override_key(identifier)];
        let args = [identifier.to_owned(), format!("{} {}", spec.limit(), spec.window_ms()), seen.max().to_string()];
        let stored = self.client.eval(&SET_SCRIPT, &keys, &args).await?.into_int()?;
        if stored == 0 {
            return Err(refused(format!("it holds its most overrides ({})", seen.max())));
        }
        self.blocks.forget(identifier);
        seen.note(identifier, Some((spec.limit(), spec.window_ms())));
        Ok(())
    }

    /// `identifier`'s override, if any: one round trip.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] without overrides;
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn get_override(&self, identifier: &str) -> Result<Option<LimitSpec>, RateLimitError> {
        self.overrides_or_refuse()?;
        let reply = self.client.command(&Command::new("GET").arg(self.override_key(identifier))).await?;
        Ok(reply.into_bytes()?.as_deref().and_then(parse_value))
    }

    /// Removes `identifier`'s override; answers whether it had one. One
    /// round trip.
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] without overrides;
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn clear_override(&self, identifier: &str) -> Result<bool, RateLimitError> {
        let seen = self.overrides_or_refuse()?;
        let commands = [
            Command::new("DEL").arg(self.override_key(identifier)),
            Command::new("ZREM").arg(self.overrides_index()).arg(identifier),
        ];
        let replies = self.client.multi_exec(&commands).await?;
        self.blocks.forget(identifier);
        seen.note(identifier, None);
        Ok(matches!(replies.first(), Some(Ok(Reply::Int(n))) if *n > 0))
    }

    /// Every override, by identifier: two round trips (at most
    /// [`LimiterBuilder::overrides`](super::LimiterBuilder::overrides) of them).
    ///
    /// # Errors
    /// [`RateLimitError::Unsupported`] without overrides;
    /// [`RateLimitError::Backend`] when Redis fails.
    pub async fn overrides(&self) -> Result<Vec<(String, LimitSpec)>, RateLimitError> {
        self.overrides_or_refuse()?;
        let reply = self.client.command(&Command::new("ZRANGE").arg(self.overrides_index()).arg(0).arg(-1)).await?;
        let identifiers: Vec<String> = reply
            .into_array()?
            .into_iter()
            .filter_map(|item| item.into_bytes().ok().flatten())
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .collect();
        if identifiers.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<String> = identifiers.iter().map(|id| self.override_key(id)).collect();
        let values = self.client.command(&Command::new("MGET").args_from(&keys)).await?.into_array()?;
        Ok(identifiers
            .into_iter()
            .zip(values)
            .filter_map(|(id, value)| Some((id, value.into_bytes().ok().flatten().as_deref().and_then(parse_value)?)))
            .collect())
    }
}
