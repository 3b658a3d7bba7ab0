//! The limits that keep upstash-local safe to leave running: time limits on
//! clients and on Redis, how many connections it holds, and how much request
//! data it works on at once.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::encode::{self, Encoding};
use crate::resp::{ReadError, VALUE_OVERHEAD};
use crate::MAX_REQUEST_SIZE;

/// How a [`crate::Server`] protects itself. [`Limits::default`] is what the
/// `upstash-local` command uses (its `--command-timeout-ms` sets
/// `command_timeout`); tests shorten the times.
#[derive(Clone, Debug)]
pub struct Limits {
    /// How long a request waits for Redis's answer (default 5 s). Past it,
    /// the request gets a 500 `{"error":"ERR no reply from Redis within
    /// ..."}`, its Redis connection is closed (freeing whatever it was
    /// blocked on), and a script or function it ran is killed with
    /// `SCRIPT KILL` / `FUNCTION KILL` (see the `redis_exec` module).
    pub command_timeout: Duration,
    /// How long a client has to send a request's headers, counted from
    /// when the connection is ready for a request (so it also closes idle
    /// keep-alive connections); default 30 s. Past it, the connection is
    /// closed.
    pub header_read_timeout: Duration,
    /// How long a client has to send a request's body once its headers are
    /// in (default 30 s); past it, 408 `{"error":"ERR ..."}`.
    pub body_read_timeout: Duration,
    /// How often an event stream (`/subscribe`, `/psubscribe`, `/monitor`)
    /// with nothing to send sends a `: keep-alive` comment (default 15 s).
    pub keep_alive_interval: Duration,
    /// Redis connections per token (default 64): requests in flight beyond
    /// that wait for one, up to `command_timeout`. Event streams have
    /// connections of their own, outside this count.
    pub redis_connections: u32,
    /// HTTP connections served at once (default 1024); more wait in the
    /// listen queue until one closes.
    pub max_connections: usize,
    /// Requests worked on at once, once their body is in (default 64),
    /// event streams aside; more wait their turn. With
    /// `max_body_bytes_in_flight`, this bounds the memory requests take: a
    /// small body (16 KiB at most) costs at most a few MB however its JSON
    /// is made.
    pub max_requests_in_flight: usize,
    /// Request body and reply bytes worked on at once (default 16 MiB): a
    /// request with a body over 16 KiB waits until its size (its
    /// `content-length`, or 10 MiB when it sends none) fits, and a request
    /// whose reply grows past 256 KiB waits, before reading more of it,
    /// until a share of `max_reply_bytes` (at most all of this) fits, so
    /// that large requests and large replies, which cost a few times their
    /// size while they are worked on, cannot add up to more memory than
    /// this allows whatever their number. A body's share is given back once
    /// its commands are sent to Redis; a reply's once its answer is sent.
    /// The default lets one 10 MiB body, or one reply of up to
    /// `max_reply_bytes`, be worked on at a time, beside small ones.
    pub max_body_bytes_in_flight: usize,
    /// The largest answer one request may get (default 16 MiB), counted
    /// while Redis's replies are read: each string as its JSON text (so
    /// with `Upstash-Encoding: base64`, or the `\u0000` escapes of binary
    /// data without it) and every value 32 bytes more, what holding it
    /// costs. A request past it gets 400 `{"error":"ERR max request size
    /// exceeded: ..."}` (the text Upstash answers for a reply over its
    /// limit); its commands ran, the rest of their replies is not read, and
    /// its Redis connection is closed.
    pub max_reply_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            command_timeout: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            keep_alive_interval: Duration::from_secs(15),
            redis_connections: 64,
            max_connections: 1024,
            max_requests_in_flight: 64,
            max_body_bytes_in_flight: 16 * 1024 * 1024,
            max_reply_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Bodies at most this large need no share of the byte budget.
const SMALL_BODY: usize = 16 * 1024;
/// Replies at most this large need no share of the byte budget.
const SMALL_REPLY: usize = 256 * 1024;
/// The byte budget's unit.
const KIB: usize = 1024;

/// Who may be worked on now: [`Limits::max_requests_in_flight`] and
/// [`Limits::max_body_bytes_in_flight`].
#[derive(Clone)]
pub(crate) struct Admission {
    requests: Arc<Semaphore>,
    kib: Arc<Semaphore>,
    total_kib: usize,
}

impl Admission {
    pub(crate) fn new(limits: &Limits) -> Admission {
        let total_kib = (limits.max_body_bytes_in_flight / KIB).max(1);
        Admission {
            requests: Arc::new(Semaphore::new(limits.max_requests_in_flight.max(1))),
            kib: Arc::new(Semaphore::new(total_kib)),
            total_kib,
        }
    }

    /// Waits until a body of `content_length` bytes (unknown: the largest
    /// allowed) fits in the byte budget, and holds its share until the
    /// permit is dropped; taken before the body is read. `None` for a body
    /// of 16 KiB at most, or one too large to be read at all (it is refused
    /// unread).
    pub(crate) async fn body(&self, content_length: Option<usize>) -> Option<OwnedSemaphorePermit> {
        let bytes = content_length.unwrap_or(MAX_REQUEST_SIZE);
        if bytes <= SMALL_BODY || bytes > MAX_REQUEST_SIZE {
            return None;
        }
        let kib = bytes.div_ceil(KIB).min(self.total_kib);
        // The semaphores are never closed.
        Some(self.kib.clone().acquire_many_owned(kib as u32).await.expect("never closed"))
    }

    /// Waits for a place among the requests in flight, held until the
    /// permit is dropped; taken once the body is in, so that clients slow to
    /// send theirs hold no place.
    pub(crate) async fn request(&self) -> OwnedSemaphorePermit {
        self.requests.clone().acquire_owned().await.expect("never closed")
    }

    /// Waits until a reply of up to `bytes` fits in the byte budget (all of
    /// it at most), and holds that share until the permit is dropped. Taken
    /// all at once, so that a request holding its share never waits for
    /// more: shares cannot wait on each other.
    async fn reply(&self, bytes: usize) -> OwnedSemaphorePermit {
        let kib = bytes.div_ceil(KIB).clamp(1, self.total_kib);
        self.kib.clone().acquire_many_owned(kib as u32).await.expect("never closed")
    }
}

/// What a value read from Redis costs a [`ReplyBudget`].
pub(crate) enum Charge<'a> {
    /// This many bytes.
    Fixed(usize),
    /// A string's JSON text (as the request's encoding writes it), plus
    /// [`VALUE_OVERHEAD`].
    Text(&'a [u8]),
    /// An error's JSON text (errors are never encoded), plus [`VALUE_OVERHEAD`].
    Error(&'a str),
    /// What a bulk string's JSON text takes beyond its bytes (which, with
    /// the overhead, were charged before they were read).
    TextBeyondBytes(&'a [u8]),
}

/// How much of its reply a request may still read: [`Limits::max_reply_bytes`]
/// for the request, and the share of [`Limits::max_body_bytes_in_flight`] a
/// reply over 256 KiB must hold.
pub(crate) struct ReplyBudget {
    limit: usize,
    used: usize,
    encoding: Encoding,
    /// Where a large reply takes its share, if it must.
    admission: Option<Admission>,
    /// That share, once taken.
    share: Option<OwnedSemaphorePermit>,
    /// The request body's share, given back once the commands are sent.
    body_share: Option<OwnedSemaphorePermit>,
}

impl ReplyBudget {
    /// The budget of a request answered with `encoding`, holding
    /// `body_share` until [`ReplyBudget::commands_sent`].
    pub(crate) fn new(
        limits: &Limits,
        admission: &Admission,
        encoding: Encoding,
        body_share: Option<OwnedSemaphorePermit>,
    ) -> ReplyBudget {
        ReplyBudget {
            limit: limits.max_reply_bytes,
            used: 0,
            encoding,
            admission: Some(admission.clone()),
            share: None,
            body_share,
        }
    }

    /// A budget of `limit` bytes outside the shared budget: for
    /// upstash-local's own commands (the users it creates, ...) and tests.
    pub(crate) fn unshared(limit: usize, encoding: Encoding) -> ReplyBudget {
        ReplyBudget { limit, used: 0, encoding, admission: None, share: None, body_share: None }
    }

    /// The request's limit, for its error message.
    pub(crate) fn limit(&self) -> usize {
        self.limit
    }

    /// Whether `more` bytes would still fit (nothing is charged).
    pub(crate) fn within(&self, more: usize) -> bool {
        self.used.saturating_add(more) <= self.limit
    }

    /// Charges `charge`; past the limit, [`ReadError::TooLarge`]. Past 256
    /// KiB, first waits for the reply's share of the shared budget.
    pub(crate) async fn charge(&mut self, charge: Charge<'_>) -> Result<(), ReadError> {
        let bytes = match charge {
            Charge::Fixed(bytes) => bytes,
            Charge::Text(text) => VALUE_OVERHEAD + encode::string_json_len(text, self.encoding),
            Charge::Error(text) => VALUE_OVERHEAD + encode::text_json_len(text),
            Charge::TextBeyondBytes(bytes) => encode::string_json_len(bytes, self.encoding).saturating_sub(bytes.len()),
        };
        self.used = self.used.saturating_add(bytes);
        if self.used > self.limit {
            return Err(ReadError::TooLarge);
        }
        if self.used > SMALL_REPLY && self.share.is_none() {
            if let Some(admission) = &self.admission {
                self.share = Some(admission.reply(self.limit).await);
            }
        }
        Ok(())
    }

    /// The commands are sent: the body they came from no longer needs its share.
    pub(crate) fn commands_sent(&mut self) {
        self.body_share = None;
    }

    /// How the answer writes strings.
    pub(crate) fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The reply's share, which the answer holds until it is sent, if it
    /// took one (the body's share, if still held, goes now).
    pub(crate) fn into_share(self) -> Option<OwnedSemaphorePermit> {
        self.share
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn large_bodies_wait_for_their_share() {
        let limits = Limits { max_body_bytes_in_flight: 3 * MAX_REQUEST_SIZE / 2, ..Limits::default() };
        let admission = Admission::new(&limits);
        let quick = Duration::from_millis(50);
        assert!(admission.body(Some(16 * 1024)).await.is_none(), "small bodies need no share");
        assert!(admission.body(Some(MAX_REQUEST_SIZE + 1)).await.is_none(), "refused bodies are not kept");
        let first = admission.body(None).await;
        assert!(first.is_some(), "an unknown length counts as the largest");
        assert!(tokio::time::timeout(quick, admission.body(Some(MAX_REQUEST_SIZE))).await.is_err(), "waits");
        let half = tokio::time::timeout(quick, admission.body(Some(MAX_REQUEST_SIZE / 2))).await;
        assert!(half.is_ok(), "a 5 MiB body fits beside the first");
        drop(first);
        let second = tokio::time::timeout(quick, admission.body(Some(MAX_REQUEST_SIZE))).await;
        assert!(second.is_ok(), "it goes once the first is done");
    }

    #[tokio::test]
    async fn large_replies_wait_for_a_share_of_their_own() {
        let limits = Limits { max_body_bytes_in_flight: 4 << 20, max_reply_bytes: 3 << 20, ..Limits::default() };
        let admission = Admission::new(&limits);
        let quick = Duration::from_millis(50);
        let mut first = ReplyBudget::new(&limits, &admission, Encoding::Lossy, None);
        first.charge(Charge::Fixed(SMALL_REPLY)).await.unwrap();
        assert!(first.share.is_none(), "a small reply takes no share");
        first.charge(Charge::Fixed(1)).await.unwrap();
        assert!(first.share.is_some(), "a larger one takes a share of the whole limit");
        let mut second = ReplyBudget::new(&limits, &admission, Encoding::Lossy, None);
        second.charge(Charge::Fixed(SMALL_REPLY)).await.unwrap();
        assert!(tokio::time::timeout(quick, second.charge(Charge::Fixed(1))).await.is_err(), "waits");
        let err = first.charge(Charge::Fixed(3 << 20)).await.unwrap_err();
        assert!(matches!(err, ReadError::TooLarge), "past the limit: {err:?}");
        drop(first);
        let mut third = ReplyBudget::new(&limits, &admission, Encoding::Lossy, None);
        third.charge(Charge::Fixed(SMALL_REPLY + 1)).await.unwrap();
        assert!(third.into_share().is_some());
    }

    #[tokio::test]
    async fn strings_count_as_their_json_text() {
        let mut budget = ReplyBudget::unshared(1000, Encoding::Lossy);
        budget.charge(Charge::Text(&[0u8; 10])).await.unwrap();
        assert_eq!(budget.used, VALUE_OVERHEAD + 2 + 60, "ten \\u0000 escapes in quotes");
        let mut budget = ReplyBudget::unshared(1000, Encoding::Base64);
        budget.charge(Charge::Text(&[0u8; 10])).await.unwrap();
        assert_eq!(budget.used, VALUE_OVERHEAD + 2 + 16);
        budget.charge(Charge::TextBeyondBytes(&[0u8; 3])).await.unwrap();
        assert_eq!(budget.used, VALUE_OVERHEAD + 2 + 16 + 3, "\"AAAA\" is 6 bytes, 3 beyond the 3 read");
    }

    #[tokio::test]
    async fn requests_wait_for_a_place() {
        let admission = Admission::new(&Limits { max_requests_in_flight: 2, ..Limits::default() });
        let quick = Duration::from_millis(50);
        let first = admission.request().await;
        let _second = admission.request().await;
        assert!(tokio::time::timeout(quick, admission.request()).await.is_err(), "a third waits");
        drop(first);
        assert!(tokio::time::timeout(quick, admission.request()).await.is_ok());
    }
}
