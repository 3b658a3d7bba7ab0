//! Concurrency (`scripts/concurrency.lua`): leases on at most `limit`
//! in-flight slots, each ending after `ttl` ms unless given back.
//! See [`Algorithm::Concurrency`](crate::ratelimit::Algorithm::Concurrency).

use super::math::floor_div;
use super::state::{Mode, State, Verdict};

/// One concurrency check at `now_us`: `cost` 1 takes (or renews) `lease`,
/// -1 gives it back, 0 only looks; as the script's peek or commit.
pub(super) fn concurrency(
    limit: i64,
    ttl: i64,
    lease: u64,
    state: &State,
    now_us: i64,
    cost: i64,
    mode: Mode,
) -> (Verdict, State) {
    let now = floor_div(now_us, 1000);
    let mut leases: Vec<(u64, i64)> = match state {
        State::Concurrency { leases } => leases.clone(),
        _ => Vec::new(),
    };
    // What the script reads: leases ending after now.
    let report = |leases: &[(u64, i64)]| {
        let live: Vec<i64> = leases.iter().map(|(_, end)| *end).filter(|end| *end > now).collect();
        let first_end = live.iter().copied().min();
        (live.len() as i64, first_end)
    };
    if mode == Mode::Commit {
        leases.retain(|(_, end)| *end > now);
        leases.retain(|(id, _)| *id != lease);
        if cost > 0 {
            leases.push((lease, now + ttl));
        }
        leases.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.to_string().cmp(&b.0.to_string())));
        let (count, first_end) = report(&leases);
        let next = if leases.is_empty() { State::Empty } else { State::Concurrency { leases } };
        return (Verdict::clamped(true, (limit - count).clamp(0, limit), first_end.unwrap_or(now), 0, 0), next);
    }
    let (count, first_end) = report(&leases);
    let renewing = leases.iter().any(|(id, end)| *id == lease && *end > now);
    let (ok, retry) = if cost < 0 || renewing {
        (true, 0)
    } else {
        let ok = count < limit;
        (ok, if ok { 0 } else { first_end.map_or(0, |end| end - now) })
    };
    (Verdict::clamped(ok, (limit - count).clamp(0, limit), first_end.unwrap_or(now), retry, 0), state.clone())
}
