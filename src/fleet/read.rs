//! [`read_window`]: the fleet's counters over the last minutes.

use super::{isolates_key, minute_key, totals_key, Sample, Series};
use crate::upstash::{Command, Reply, UpstashClient, UpstashError};

/// The longest window [`read_window`] reads: a day of minutes (the buckets'
/// TTL).
pub const MAX_WINDOW_MINUTES: u64 = 1_440;

/// The fleet's counters over a window of minutes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FleetWindow {
    /// Each minute of the window (ms since the epoch / 60,000), oldest
    /// first, with what the fleet counted in it (empty when nothing).
    pub minutes: Vec<(u64, Sample)>,
    /// The sum over the window.
    pub sum: Sample,
    /// The running totals (since the fleet was last idle for a day).
    pub totals: Sample,
    /// Isolates that reported within the window (HyperLogLog: within about
    /// 1% of the true count).
    pub isolates: u64,
}

/// Reads the last `minutes` minute buckets up to `now_ms` (1 to
/// [`MAX_WINDOW_MINUTES`]; clamped), their isolates and the totals: one
/// `/pipeline`, one round trip.
///
/// # Errors
/// [`UpstashError`] when the request fails, or a reply is not what the
/// buckets hold.
pub async fn read_window(
    client: &UpstashClient,
    prefix: &str,
    now_ms: u64,
    minutes: u64,
) -> Result<FleetWindow, UpstashError> {
    read_window_with(client, prefix, now_ms, minutes, &[]).await.map(|(window, _)| window)
}

/// [`read_window`], with `extra` commands of the caller's in the same
/// `/pipeline` (say `DBSIZE` and `INFO`): still one round trip. Answers the
/// window and each extra command's outcome, in order.
///
/// # Errors
/// [`UpstashError`] when the request fails, or a reply of the window is not
/// what the buckets hold (an extra command's failure is its own outcome).
pub async fn read_window_with(
    client: &UpstashClient,
    prefix: &str,
    now_ms: u64,
    minutes: u64,
    extra: &[Command],
) -> Result<(FleetWindow, Vec<Result<Reply, UpstashError>>), UpstashError> {
    let last = now_ms / 60_000;
    let first = (last + 1).saturating_sub(minutes.clamp(1, MAX_WINDOW_MINUTES));
    let mut commands: Vec<Command> =
        (first..=last).map(|m| Command::new("HGETALL").arg(minute_key(prefix, m))).collect();
    commands.push(isolates_command(prefix, first, last));
    commands.push(Command::new("HGETALL").arg(totals_key(prefix)));
    commands.extend(extra.iter().cloned());
    let mut replies = client.pipeline(&commands).await?.into_iter();
    let mut window = FleetWindow::default();
    for minute in first..=last {
        let sample = sample_of(replies.next().expect("one reply per command")?)?;
        window.sum.merge(&sample);
        window.minutes.push((minute, sample));
    }
    window.isolates = count_of(replies.next().expect("the PFCOUNT reply")?)?;
    window.totals = sample_of(replies.next().expect("the totals reply")?)?;
    Ok((window, replies.collect()))
}

/// The running totals and the isolates that reported in the last `minutes`
/// (1 to [`MAX_WINDOW_MINUTES`]; clamped): what a scrape needs, in one
/// `/pipeline` of two commands.
///
/// # Errors
/// [`UpstashError`] when the request fails, or a reply is not what the
/// keys hold.
pub async fn read_totals(
    client: &UpstashClient,
    prefix: &str,
    now_ms: u64,
    minutes: u64,
) -> Result<(Sample, u64), UpstashError> {
    let last = now_ms / 60_000;
    let first = (last + 1).saturating_sub(minutes.clamp(1, MAX_WINDOW_MINUTES));
    let commands = [isolates_command(prefix, first, last), Command::new("HGETALL").arg(totals_key(prefix))];
    let mut replies = client.pipeline(&commands).await?.into_iter();
    let isolates = count_of(replies.next().expect("the PFCOUNT reply")?)?;
    let totals = sample_of(replies.next().expect("the totals reply")?)?;
    Ok((totals, isolates))
}

/// `PFCOUNT` of the isolates of minutes `first..=last` (their union).
fn isolates_command(prefix: &str, first: u64, last: u64) -> Command {
    Command::new("PFCOUNT").args_from((first..=last).map(|m| isolates_key(prefix, m)))
}

fn count_of(reply: Reply) -> Result<u64, UpstashError> {
    Ok(u64::try_from(reply.into_int()?).unwrap_or(0))
}

/// A hash's `HGETALL` as a sample; fields that are not series are skipped.
fn sample_of(reply: Reply) -> Result<Sample, UpstashError> {
    let items = reply.into_array()?;
    let mut sample = Sample::new();
    for pair in items.chunks_exact(2) {
        let field = pair[0].clone().into_bytes()?.unwrap_or_default();
        let value = pair[1].clone().into_bytes()?.unwrap_or_default();
        let (Ok(field), Ok(value)) = (String::from_utf8(field), String::from_utf8(value)) else { continue };
        if let (Some(series), Ok(value)) = (Series::parse(&field), value.parse::<u64>()) {
            sample.add_series(series, value);
        }
    }
    Ok(sample)
}
