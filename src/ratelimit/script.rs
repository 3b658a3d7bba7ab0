//! The one Lua script every check runs, its arguments and its reply.

use std::sync::LazyLock;

use crate::upstash::{Reply, Script, UpstashError};

/// The concatenation of `scripts/*.lua` (prelude, one file per algorithm,
/// driver): one script, one SHA1, so a single `NOSCRIPT` recovery loads
/// every algorithm.
pub(crate) const SOURCE: &str = concat!(
    include_str!("scripts/prelude.lua"),
    include_str!("scripts/fixed_window.lua"),
    include_str!("scripts/sliding_window.lua"),
    include_str!("scripts/sliding_log.lua"),
    include_str!("scripts/token_bucket.lua"),
    include_str!("scripts/gcra.lua"),
    include_str!("scripts/upstash_fixed_window.lua"),
    include_str!("scripts/upstash_sliding_window.lua"),
    include_str!("scripts/driver.lua"),
);

pub(crate) static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCE));

/// Arguments per limit after the two header arguments.
pub(crate) const ARGS_PER_LIMIT: usize = 7;
/// Values per limit in the reply after the leading `all_ok`.
const VALUES_PER_LIMIT: usize = 6;

/// One limit's answer as the script returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawVerdict {
    /// The limit's guard did not hold: it was neither checked nor spent.
    pub skipped: bool,
    pub ok: bool,
    pub remaining: u64,
    pub reset_ms: u64,
    pub retry_ms: u64,
    pub block_ms: u64,
    pub now_ms: u64,
}

impl RawVerdict {
    /// What the failure policy `FailOpen` answers: allowed, nothing spent.
    pub fn allow_all(limit: u64, now_ms: u64) -> Self {
        RawVerdict { skipped: false, ok: true, remaining: limit, reset_ms: now_ms, retry_ms: 0, block_ms: 0, now_ms }
    }

    /// A refusal without Redis: retry in `retry_ms`.
    pub fn refuse_for(retry_ms: u64, now_ms: u64) -> Self {
        RawVerdict {
            skipped: false,
            ok: false,
            remaining: 0,
            reset_ms: now_ms + retry_ms,
            retry_ms,
            block_ms: 0,
            now_ms,
        }
    }
}

/// Parses `{all_ok, (ok, remaining, reset_ms, retry_ms, block_ms, now_ms) * n}`,
/// `ok` being 1, 0, or 2 for a limit whose guard did not hold.
pub(crate) fn parse_reply(reply: Reply, n: usize) -> Result<(bool, Vec<RawVerdict>), UpstashError> {
    let items = reply.into_array()?;
    if items.len() != 1 + n * VALUES_PER_LIMIT {
        return Err(UpstashError::Protocol {
            status: 200,
            message: format!("rate limit script answered {} values for {n} limits", items.len()),
        });
    }
    let mut ints = Vec::with_capacity(items.len());
    for item in items {
        ints.push(item.into_int()?);
    }
    let nonneg = |x: i64| x.max(0) as u64;
    let verdicts = ints[1..]
        .chunks_exact(VALUES_PER_LIMIT)
        .map(|v| RawVerdict {
            skipped: v[0] == 2,
            ok: v[0] != 0,
            remaining: nonneg(v[1]),
            reset_ms: nonneg(v[2]),
            retry_ms: nonneg(v[3]),
            block_ms: nonneg(v[4]),
            now_ms: nonneg(v[5]),
        })
        .collect();
    Ok((ints[0] == 1, verdicts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_is_the_concatenation_and_declares_no_global() {
        assert!(SOURCE.starts_with("-- edgecache rate limiting"));
        assert!(SOURCE.trim_end().ends_with("return out"));
        // Redis forbids new globals in scripts: every top-level name is local
        // or a field of ALG.
        for line in SOURCE.lines() {
            let line = line.trim_end();
            if line.is_empty() || line.starts_with(' ') || line.starts_with("--") {
                continue;
            }
            let ok =
                ["local ", "ALG.", "if ", "else", "end", "for ", "return ", "}"].iter().any(|p| line.starts_with(p));
            assert!(ok, "top-level line that may assign a global: {line}");
        }
        assert_eq!(SCRIPT.sha1().len(), 40);
    }

    #[test]
    fn parses_flags_and_clamps_nothing_negative() {
        let reply = Reply::Array(
            [1, 1, 4, 1000, 0, 0, 999, 0, 0, 2000, 5, 7, 999, 2, 0, 0, 0, 0, 999].into_iter().map(Reply::Int).collect(),
        );
        let (all, v) = parse_reply(reply, 3).unwrap();
        assert!(all);
        assert_eq!(v[0].remaining, 4);
        assert!(!v[1].ok && !v[1].skipped);
        assert_eq!(v[1].retry_ms, 5);
        assert!(v[2].skipped && v[2].ok, "a skipped limit refuses nothing");
        assert!(parse_reply(Reply::Array(vec![Reply::Int(1)]), 1).is_err());
    }
}
