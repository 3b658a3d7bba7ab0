//! The standard rate-limit response headers, as text: platform-free, set them
//! on whatever response type the worker uses.
//!
//! Source: "RateLimit header fields for HTTP", draft-ietf-httpapi-ratelimit-headers
//! (revisions 09 to 11; text checked against -10, sections 3 and 4):
//!
//! - `RateLimit-Policy` (section 3) is a Structured Fields List of quota
//!   policies: a String naming the policy, with `q` (the quota, units) and
//!   `w` (the window, an integer number of seconds; sub-second windows are
//!   not expressible, so `w` is rounded up). Example from the draft:
//!   `RateLimit-Policy: "burst";q=100;w=60,"daily";q=1000;w=86400`.
//! - `RateLimit` (section 4) is a List of service limits: the policy name
//!   with `r` (remaining quota units) and `t` (seconds until additional quota
//!   is made available, a delay, not a timestamp, so clocks need not agree).
//!   Example: `RateLimit: "default";r=50;t=30`.
//! - `Retry-After` (RFC 9110, section 10.2.3) in delay-seconds on refusals,
//!   rounded up so a client that waits that long is not refused again for
//!   lack of time.
//!
//! ```
//! use edgecache::ratelimit::{headers, Decision, Reason};
//! let d = Decision { success: true, limit: 100, remaining: 42, reset_ms: 18_000,
//!     retry_after_ms: 0, reason: Reason::None, now_ms: 0, limiter: "client".into(), settled: None };
//! assert_eq!(headers::rate_limit_header([&d]), r#""client";r=42;t=18"#);
//! assert_eq!(headers::policy_value("client", 100, 60_000), r#""client";q=100;w=60"#);
//! ```

use super::decision::{Decision, MultiDecision};
use super::limiter::Limiter;

/// `RateLimit-Policy`.
pub const POLICY_HEADER: &str = "RateLimit-Policy";
/// `RateLimit`.
pub const RATE_LIMIT_HEADER: &str = "RateLimit";
/// `Retry-After`.
pub const RETRY_AFTER_HEADER: &str = "Retry-After";

/// One policy item: `"name";q=limit;w=seconds` (window rounded up to whole
/// seconds, at least 1).
pub fn policy_value(name: &str, limit: u64, window_ms: u64) -> String {
    format!("{};q={limit};w={}", sf_string(name), window_ms.div_ceil(1000).max(1))
}

/// The `RateLimit-Policy` value for these limiters, e.g.
/// `"client";q=100;w=60, "tenant";q=1000;w=60`.
pub fn policy_header<'a>(limiters: impl IntoIterator<Item = &'a Limiter>) -> String {
    limiters.into_iter().map(|l| policy_value(l.name(), l.quota(), l.window_ms())).collect::<Vec<_>>().join(", ")
}

/// One service-limit item: `"name";r=remaining;t=seconds`, `t` being the
/// seconds from the decision's own clock to `reset_ms`, rounded up.
pub fn rate_limit_value(decision: &Decision) -> String {
    let wait_ms = decision.reset_ms.saturating_sub(decision.now_ms);
    format!("{};r={};t={}", sf_string(&decision.limiter), decision.remaining, wait_ms.div_ceil(1000))
}

/// The `RateLimit` value for these decisions, e.g. `"client";r=42;t=18`.
pub fn rate_limit_header<'a>(decisions: impl IntoIterator<Item = &'a Decision>) -> String {
    decisions.into_iter().map(rate_limit_value).collect::<Vec<_>>().join(", ")
}

/// Seconds to wait before retrying, rounded up: the largest
/// `retry_after_ms` among the refused decisions (at least 1 s); `None` when
/// none is refused.
pub fn retry_after_secs<'a>(decisions: impl IntoIterator<Item = &'a Decision>) -> Option<u64> {
    decisions.into_iter().filter(|d| !d.success).map(|d| d.retry_after_ms.div_ceil(1000).max(1)).max()
}

/// `RateLimit` for every decision, and `Retry-After` when one refused:
/// `(header name, value)` pairs to set on the response.
pub fn response_headers<'a>(decisions: impl IntoIterator<Item = &'a Decision> + Clone) -> Vec<(&'static str, String)> {
    let mut out = Vec::with_capacity(2);
    let value = rate_limit_header(decisions.clone());
    if !value.is_empty() {
        out.push((RATE_LIMIT_HEADER, value));
    }
    if let Some(secs) = retry_after_secs(decisions) {
        out.push((RETRY_AFTER_HEADER, secs.to_string()));
    }
    out
}

/// A Structured Fields String: quoted, `\` and `"` escaped, other characters
/// outside printable ASCII dropped (the String type cannot carry them).
fn sf_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {}
        }
    }
    out.push('"');
    out
}

impl Decision {
    /// The response headers of this one decision: `RateLimit`, and
    /// `Retry-After` when refused (draft-ietf-httpapi-ratelimit-headers);
    /// `RateLimit-Policy` comes from the limiter
    /// ([`policy_header`]).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        response_headers(std::iter::once(self))
    }
}

impl MultiDecision {
    /// `RateLimit` (every evaluated policy) and, when refused, `Retry-After`
    /// (seconds, rounded up): see [`response_headers`].
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        response_headers(self.evaluated())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ratelimit::Reason;

    fn decision(policy: &str, success: bool, remaining: u64, wait_ms: u64, retry_ms: u64) -> Decision {
        Decision {
            success,
            limit: 100,
            remaining,
            reset_ms: 1_000_000 + wait_ms,
            retry_after_ms: retry_ms,
            reason: Reason::None,
            now_ms: 1_000_000,
            limiter: policy.into(),
            settled: None,
        }
    }

    #[test]
    fn policy_and_limit_values_follow_the_draft_examples() {
        assert_eq!(
            [policy_value("client", 100, 60_000), policy_value("tenant", 1000, 60_000)].join(", "),
            r#""client";q=100;w=60, "tenant";q=1000;w=60"#
        );
        assert_eq!(policy_value("fast", 5, 1_500), r#""fast";q=5;w=2"#);
        assert_eq!(policy_value("tiny", 5, 10), r#""tiny";q=5;w=1"#);
        let a = decision("client", true, 42, 17_001, 0);
        let b = decision("tenant", true, 900, 0, 0);
        assert_eq!(rate_limit_header([&a, &b]), r#""client";r=42;t=18, "tenant";r=900;t=0"#);
        assert_eq!(sf_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn retry_after_is_the_longest_refusal_rounded_up() {
        let ok = decision("a", true, 3, 1_000, 0);
        let no1 = decision("b", false, 0, 5_000, 1_001);
        let no2 = decision("c", false, 0, 5_000, 10);
        assert_eq!(retry_after_secs([&ok]), None);
        assert_eq!(retry_after_secs([&ok, &no1, &no2]), Some(2));
        assert_eq!(retry_after_secs([&no2]), Some(1));
        let headers = response_headers([&ok, &no1]);
        assert_eq!(headers[0].0, "RateLimit");
        assert_eq!(headers[1], ("Retry-After", "2".to_owned()));
    }
}
