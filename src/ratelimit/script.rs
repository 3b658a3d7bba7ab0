//! The one Lua script every check runs, its arguments and its reply.

use std::sync::LazyLock;

use super::model::Verdict;
use crate::upstash::{Reply, Script, UpstashError};

/// The concatenation of `scripts/*.lua` (prelude, one file per algorithm,
/// driver), comments stripped (`lua!`): one script, one SHA1, so a single
/// `NOSCRIPT` recovery loads every algorithm.
pub(crate) const SOURCE: &str = concat!(
    lua!("ratelimit/scripts/prelude.lua"),
    lua!("ratelimit/scripts/fixed_window.lua"),
    lua!("ratelimit/scripts/sliding_window.lua"),
    lua!("ratelimit/scripts/sliding_log.lua"),
    lua!("ratelimit/scripts/token_bucket.lua"),
    lua!("ratelimit/scripts/gcra.lua"),
    lua!("ratelimit/scripts/concurrency.lua"),
    lua!("ratelimit/scripts/upstash_fixed_window.lua"),
    lua!("ratelimit/scripts/upstash_sliding_window.lua"),
    lua!("ratelimit/scripts/driver.lua"),
);

/// The script, with its SHA1 for `EVALSHA`.
pub(crate) static SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(SOURCE));

/// Arguments per limit after the header (see `scripts/driver.lua`).
pub(crate) const ARGS_PER_LIMIT: usize = 9;
/// Values per limit in the reply after the leading `all_ok` and `denied_until_ms`.
const VALUES_PER_LIMIT: usize = 9;

/// One limit's answer: the [`Verdict`] (the same type the pure [`model`](super::model)
/// produces), on which rate and clock it was decided, and what only the
/// script can say (a guard that did not hold, what a settle gave back).
/// Decoded from the script's reply, or made without Redis by the block cache
/// and the failure policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The decision's math: fits, remaining, reset, retry and block times.
    pub verdict: Verdict,
    /// The limit's guard did not hold: it was neither checked nor spent
    /// (`verdict.ok` is then true: a skipped limit refuses nothing).
    pub skipped: bool,
    /// When it was decided, epoch ms (Redis's clock, or the caller's).
    pub now_ms: u64,
    /// The limit (units per window) the answer used: an override's, or the limiter's own.
    pub limit: u64,
    /// The window of that limit, in milliseconds.
    pub window_ms: u64,
    /// What a settle did: units given back, or -1 (no such reservation),
    /// -2 (settled before); 0 for every other check.
    pub refunded: i64,
}

impl Answer {
    /// `verdict`, decided without Redis at `now_ms` on a limit of `limit` per `window_ms`.
    pub fn without_redis(verdict: Verdict, limit: u64, window_ms: u64, now_ms: u64) -> Self {
        Answer { verdict, skipped: false, now_ms, limit, window_ms, refunded: 0 }
    }

    /// What the failure policy `FailOpen` answers: allowed, nothing spent.
    pub fn allow_all(limit: u64, window_ms: u64, now_ms: u64) -> Self {
        let verdict = Verdict { ok: true, remaining: limit, reset_ms: now_ms, retry_after_ms: 0, block_ms: 0 };
        Answer::without_redis(verdict, limit, window_ms, now_ms)
    }

    /// A refusal without Redis of a limit of `limit` per `window_ms`: retry in `retry_ms`.
    pub fn refuse_for(limit: u64, window_ms: u64, retry_ms: u64, now_ms: u64) -> Self {
        let verdict =
            Verdict { ok: false, remaining: 0, reset_ms: now_ms + retry_ms, retry_after_ms: retry_ms, block_ms: 0 };
        Answer::without_redis(verdict, limit, window_ms, now_ms)
    }
}

/// The script's answer: whether every limit passed, until when a deny-list
/// entry refuses the call (`None`: not denied), and one answer per limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptReply {
    /// Every limit passed (and was spent).
    pub all_ok: bool,
    /// The deny list refused the call until this epoch ms.
    pub denied_until_ms: Option<u64>,
    /// One per limit, in the order of the call.
    pub answers: Vec<Answer>,
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
    let answers = ints[2..]
        .chunks_exact(VALUES_PER_LIMIT)
        .map(|v| Answer {
            verdict: Verdict {
                ok: v[0] == 1 || v[0] == 2,
                remaining: nonneg(v[1]),
                reset_ms: nonneg(v[2]),
                retry_after_ms: nonneg(v[3]),
                block_ms: nonneg(v[4]),
            },
            skipped: v[0] == 2,
            now_ms: nonneg(v[5]),
            limit: nonneg(v[6]),
            window_ms: nonneg(v[7]),
            refunded: v[8],
        })
        .collect();
    Ok(ScriptReply { all_ok: ints[0] == 1, denied_until_ms: (ints[1] > 0).then(|| nonneg(ints[1])), answers })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scripts as written (commented and indented), which `SOURCE`
    /// carries stripped (`build.rs`).
    const WRITTEN: &str = concat!(
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

    #[test]
    fn script_is_the_concatenation_and_declares_no_global() {
        assert!(WRITTEN.starts_with("-- edgecache rate limiting"));
        assert!(SOURCE.trim_end().ends_with("return out"));
        // Redis forbids new globals in scripts: every top-level name is local
        // or a field of ALG.
        for line in WRITTEN.lines() {
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
    fn the_script_sent_is_the_written_one_without_comments_blank_lines_or_indentation() {
        let code: Vec<&str> =
            WRITTEN.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with("--")).collect();
        assert_eq!(SOURCE.lines().collect::<Vec<_>>(), code);
        assert!(SOURCE.len() < WRITTEN.len() * 2 / 3, "{} of {} bytes", SOURCE.len(), WRITTEN.len());
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
        let ScriptReply { all_ok: all, denied_until_ms, answers: v } = parse_reply(reply, 3).unwrap();
        assert!(all);
        assert_eq!(denied_until_ms, None);
        assert_eq!((v[0].limit, v[0].window_ms), (5, 1000));
        assert_eq!(v[2].refunded, 3);
        assert_eq!(v[0].verdict.remaining, 4);
        assert!(!v[1].verdict.ok && !v[1].skipped);
        assert_eq!(v[1].verdict.retry_after_ms, 5);
        assert!(v[2].skipped && v[2].verdict.ok, "a skipped limit refuses nothing");
        assert!(parse_reply(Reply::Array(vec![Reply::Int(1)]), 1).is_err());
        let denied = Reply::Array([0, 5000, 0, 0, 5000, 4000, 0, 1000, 0, 0, 0].into_iter().map(Reply::Int).collect());
        let reply = parse_reply(denied, 1).unwrap();
        assert_eq!(reply.denied_until_ms, Some(5000));
        assert!(!reply.answers[0].verdict.ok);
    }
}
