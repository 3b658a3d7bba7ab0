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
    include_str!("scripts/concurrency.lua"),
    include_str!("scripts/upstash_fixed_window.lua"),
    include_str!("scripts/upstash_sliding_window.lua"),
    include_str!("scripts/driver.lua"),
);

pub(crate) static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCE));

/// Arguments per limit after the header (see `scripts/driver.lua`).
pub(crate) const ARGS_PER_LIMIT: usize = 9;
/// Values per limit in the reply after the leading `all_ok` and `denied_until_ms`.
const VALUES_PER_LIMIT: usize = 9;

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
    /// The limit and window the script used: an override's, or the limiter's own.
    pub limit: u64,
    pub window_ms: u64,
    /// What a settle did: units given back, or -1 (no such reservation),
    /// -2 (settled before).
    pub refunded: i64,
}

impl RawVerdict {
    /// What the failure policy `FailOpen` answers: allowed, nothing spent.
    pub fn allow_all(limit: u64, window_ms: u64, now_ms: u64) -> Self {
        RawVerdict {
            skipped: false,
            ok: true,
            remaining: limit,
            reset_ms: now_ms,
            retry_ms: 0,
            block_ms: 0,
            now_ms,
            limit,
            window_ms,
            refunded: 0,
        }
    }

    /// A refusal without Redis of a limit of `limit` per `window_ms`: retry in `retry_ms`.
    pub fn refuse_for(limit: u64, window_ms: u64, retry_ms: u64, now_ms: u64) -> Self {
        RawVerdict {
            skipped: false,
            ok: false,
            remaining: 0,
            reset_ms: now_ms + retry_ms,
            retry_ms,
            block_ms: 0,
            now_ms,
            limit,
            window_ms,
            refunded: 0,
        }
    }
}

/// The script's answer: whether every limit passed, until when a deny-list
/// entry refuses the call (`None`: not denied), and one verdict per limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptReply {
    pub all_ok: bool,
    pub denied_until_ms: Option<u64>,
    pub verdicts: Vec<RawVerdict>,
}

/// Parses `{all_ok, denied_until_ms, (ok, remaining, reset_ms, retry_ms,
/// block_ms, now_ms, limit, window_ms, refunded) * n}`, `ok` being 1, 0, or 2
/// for a limit whose guard did not hold.
pub(crate) fn parse_reply(reply: Reply, n: usize) -> Result<ScriptReply, UpstashError> {
    let items = reply.into_array()?;
    if items.len() != 2 + n * VALUES_PER_LIMIT {
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
    let verdicts = ints[2..]
        .chunks_exact(VALUES_PER_LIMIT)
        .map(|v| RawVerdict {
            skipped: v[0] == 2,
            ok: v[0] == 1 || v[0] == 2,
            remaining: nonneg(v[1]),
            reset_ms: nonneg(v[2]),
            retry_ms: nonneg(v[3]),
            block_ms: nonneg(v[4]),
            now_ms: nonneg(v[5]),
            limit: nonneg(v[6]),
            window_ms: nonneg(v[7]),
            refunded: v[8],
        })
        .collect();
    Ok(ScriptReply { all_ok: ints[0] == 1, denied_until_ms: (ints[1] > 0).then(|| nonneg(ints[1])), verdicts })
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
            [
                [1, 0].as_slice(),
                &[1, 4, 1000, 0, 0, 999, 5, 1000, 0],
                &[0, 0, 2000, 5, 7, 999, 5, 1000, 0],
                &[2, 0, 0, 0, 0, 999, 5, 1000, 3],
            ]
            .concat()
            .into_iter()
            .map(Reply::Int)
            .collect(),
        );
        let ScriptReply { all_ok: all, denied_until_ms, verdicts: v } = parse_reply(reply, 3).unwrap();
        assert!(all);
        assert_eq!(denied_until_ms, None);
        assert_eq!((v[0].limit, v[0].window_ms), (5, 1000));
        assert_eq!(v[2].refunded, 3);
        assert_eq!(v[0].remaining, 4);
        assert!(!v[1].ok && !v[1].skipped);
        assert_eq!(v[1].retry_ms, 5);
        assert!(v[2].skipped && v[2].ok, "a skipped limit refuses nothing");
        assert!(parse_reply(Reply::Array(vec![Reply::Int(1)]), 1).is_err());
        let denied = Reply::Array([0, 5000, 0, 0, 5000, 4000, 0, 1000, 0, 0, 0].into_iter().map(Reply::Int).collect());
        let reply = parse_reply(denied, 1).unwrap();
        assert_eq!(reply.denied_until_ms, Some(5000));
        assert!(!reply.verdicts[0].ok);
    }
}
