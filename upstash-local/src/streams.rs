//! The Server-Sent Events endpoints, the way Upstash serves them and
//! @upstash/redis reads them: `/subscribe/<channel>...` and
//! `/psubscribe/<pattern>...` (Redis pub/sub), and `/monitor` (Redis
//! `MONITOR`).
//!
//! Each request gets a Redis connection of its own, subscribed to the
//! channels or patterns named by the path's segments (percent-decoded, so a
//! name with a `/` in it is sent as `%2F`; @upstash/redis opens one request
//! per channel). The response streams one SSE event per line of Redis's
//! pub/sub protocol, its fields joined by commas:
//!
//! ```text
//! data: subscribe,<channel>,<count>      once per channel subscribed
//! data: message,<channel>,<payload>      per message
//! data: psubscribe,<pattern>,<count>
//! data: pmessage,<pattern>,<channel>,<payload>
//! ```
//!
//! each followed by an empty line; `<count>` is the number of channels (or
//! patterns) the request has subscribed to so far. Payloads are the bytes as
//! published (not base64, whatever `Upstash-Encoding` says). `/monitor`
//! streams `data: "OK"`, then one `data: <line>` per command Redis runs, as
//! Redis's `MONITOR` writes it.
//!
//! Every [`crate::Limits::keep_alive_interval`] with nothing else to send, a
//! stream sends the SSE comment `: keep-alive` (and its empty line), which
//! SSE readers skip, so that idle proxies and clients keep the connection.
//!
//! How @upstash/redis 1.39 reads this (`Subscriber.handleMessage`): it splits
//! the stream on `\n`, takes every line starting with `data: `, and splits
//! the rest at the first two commas (three for `pmessage`): type, channel,
//! then *everything after* as the payload, which it `JSON.parse`s when it
//! can. So commas in a payload are fine (a JSON payload arrives whole and
//! parsed), commas in a channel or pattern name are not (a limit of the
//! client, as on Upstash).
//!
//! Line breaks in the data (a payload, or a channel from a pattern match,
//! with `\n`, `\r` or `\r\n`) are framed as the SSE standard says: each line
//! after the first goes in a `data:` line of its own within the same event,
//! so an `EventSource`-style parser gets the data back whole (line breaks as
//! `\n`). Those continuation lines are written `data:<line>` without the
//! space when the line does not start with one, which @upstash/redis ignores;
//! when it does start with a space, `data: <line>` (the standard drops that
//! one space), which @upstash/redis reads as an event whose type starts with
//! a space, one no listener has. Either way a payload can never make
//! @upstash/redis see a message that was not published, and the stream stays
//! in step; a subscriber using @upstash/redis gets only the first line of a
//! multi-line payload.
//!
//! The Redis connection is dropped (and so closed, and Redis forgets the
//! subscription) when the client disconnects, when the server shuts down, or
//! when Redis closes it; the stream then ends cleanly (its last chunk sent).

use std::convert::Infallible;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, BoxStream, StreamExt};
use percent_encoding::percent_decode_str;
use redis::{ErrorKind, Msg, RedisError};
use tokio::sync::watch;

use crate::redis_exec::{Access, Redis};

/// The SSE comment a stream sends when it has been quiet for a while.
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";

/// What one streaming request subscribes to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Subscription {
    /// `/subscribe/<channel>...`: `SUBSCRIBE <channel>...`.
    Channels(Vec<Vec<u8>>),
    /// `/psubscribe/<pattern>...`: `PSUBSCRIBE <pattern>...`.
    Patterns(Vec<Vec<u8>>),
}

/// Builds a [`Subscription`] from its names.
type MakeSubscription = fn(Vec<Vec<u8>>) -> Subscription;

impl Subscription {
    /// The subscription a path asks for: `None` when the path is not
    /// `/subscribe/...` or `/psubscribe/...` (the first segment compared
    /// case-insensitively, as command names are); `Err` when no channel or
    /// pattern is named. Each further segment, percent-decoded, is one
    /// channel or pattern, as each is one argument of a path-style command.
    pub(crate) fn from_path(path: &str) -> Option<Result<Subscription, String>> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let (first, rest) = path.split_once('/').unwrap_or((path, ""));
        let (what, make): (&str, MakeSubscription) = if first.eq_ignore_ascii_case("subscribe") {
            ("channel", Subscription::Channels)
        } else if first.eq_ignore_ascii_case("psubscribe") {
            ("pattern", Subscription::Patterns)
        } else {
            return None;
        };
        let names: Vec<Vec<u8>> = rest
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(|name| percent_decode_str(name).collect())
            .collect();
        if names.is_empty() {
            let name = first.to_ascii_lowercase();
            return Some(Err(format!("ERR missing {what}: use /{name}/<{what}>")));
        }
        Some(Ok(make(names)))
    }
}

/// Subscribes on a new connection and answers the event stream; answers a
/// JSON error instead when Redis refuses (400, e.g. `NOPERM`) or cannot be
/// reached (500). The stream ends when `closing` turns true.
pub(crate) async fn subscribe(
    redis: &Redis,
    access: Access,
    subscription: Subscription,
    closing: watch::Receiver<bool>,
    keep_alive: Duration,
) -> Result<Response, RedisError> {
    let mut pubsub = redis.pubsub(access).await?;
    let mut confirmations = Vec::new();
    let mut subscribed: Vec<&[u8]> = Vec::new();
    let (kind, names) = match &subscription {
        Subscription::Channels(channels) => (&b"subscribe"[..], channels),
        Subscription::Patterns(patterns) => (&b"psubscribe"[..], patterns),
    };
    for name in names {
        match subscription {
            Subscription::Channels(_) => pubsub.subscribe(name).await?,
            Subscription::Patterns(_) => pubsub.psubscribe(name).await?,
        }
        if !subscribed.contains(&name.as_slice()) {
            subscribed.push(name);
        }
        confirmations.push(data(&[kind, name, subscribed.len().to_string().as_bytes()]));
    }
    let messages = pubsub.into_on_message().map(|message| message_data(&message));
    let events = stream::iter(confirmations).chain(messages).boxed();
    Ok(event_stream(events, closing, keep_alive))
}

/// Starts `MONITOR` on a new connection and answers the event stream.
pub(crate) async fn monitor(
    redis: &Redis,
    closing: watch::Receiver<bool>,
    keep_alive: Duration,
) -> Result<Response, RedisError> {
    let monitor = redis.monitor().await?;
    let lines = monitor.into_on_message::<String>().map(String::into_bytes);
    let events = stream::once(async { b"\"OK\"".to_vec() }).chain(lines).boxed();
    Ok(event_stream(events, closing, keep_alive))
}

/// What an event stream sends next.
enum Next {
    /// An event with this data.
    Data(Vec<u8>),
    /// A keep-alive comment.
    KeepAlive,
    /// Nothing more: Redis closed the connection.
    End,
}

/// The `text/event-stream` response sending each of `events` as an SSE
/// event, with keep-alive comments in between; it ends when `events` does
/// or `closing` turns true.
fn event_stream(events: BoxStream<'static, Vec<u8>>, closing: watch::Receiver<bool>, keep_alive: Duration) -> Response {
    let events = events.map(Next::Data).chain(stream::once(async { Next::End }));
    let start = tokio::time::Instant::now() + keep_alive;
    let ticks = stream::unfold(tokio::time::interval_at(start, keep_alive), |mut interval| async move {
        interval.tick().await;
        Some((Next::KeepAlive, interval))
    });
    let body = stream::select(events, ticks)
        .take_while(|next| std::future::ready(!matches!(next, Next::End)))
        .map(|next| match next {
            Next::Data(data) => event(&data),
            _ => KEEP_ALIVE.to_vec(),
        })
        .map(|bytes| Ok::<_, Infallible>(Bytes::from(bytes)))
        .take_until(closed(closing));
    let headers = [(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")];
    (StatusCode::OK, headers, Body::from_stream(body)).into_response()
}

/// Whether a failed subscription is Redis refusing it (the client's fault,
/// like a failed command) rather than Redis being unreachable.
pub(crate) fn is_refusal(err: &RedisError) -> bool {
    matches!(err.kind(), ErrorKind::Server(_))
}

/// Resolves once `closing` turns true (or its sender is gone).
async fn closed(mut closing: watch::Receiver<bool>) {
    let _ = closing.wait_for(|closing| *closing).await;
}

/// The event data of a published message: `message,<channel>,<payload>` or
/// `pmessage,<pattern>,<channel>,<payload>`.
fn message_data(message: &Msg) -> Vec<u8> {
    let channel = message.get_channel::<Vec<u8>>().unwrap_or_default();
    let payload = message.get_payload_bytes();
    if message.from_pattern() {
        let pattern = message.get_pattern::<Vec<u8>>().unwrap_or_default();
        data(&[b"pmessage", &pattern, &channel, payload])
    } else {
        data(&[b"message", &channel, payload])
    }
}

/// Fields joined by commas.
fn data(fields: &[&[u8]]) -> Vec<u8> {
    fields.join(&b","[..])
}

/// One SSE event carrying `data`: a `data:` line per line of it (see the
/// module docs for why continuation lines are written as they are), then the
/// empty line that ends the event.
fn event(data: &[u8]) -> Vec<u8> {
    let mut event = Vec::with_capacity(data.len() + 8);
    for (index, line) in lines(data).into_iter().enumerate() {
        let continued_without_space = index > 0 && !line.starts_with(b" ");
        event.extend_from_slice(if continued_without_space { b"data:" } else { b"data: " });
        event.extend_from_slice(line);
        event.push(b'\n');
    }
    event.push(b'\n');
    event
}

/// `data` split at SSE line breaks: `\r\n`, `\r` or `\n`.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut index = 0;
    while index < data.len() {
        match data[index] {
            b'\n' => {
                lines.push(&data[start..index]);
                start = index + 1;
            }
            b'\r' => {
                lines.push(&data[start..index]);
                if data.get(index + 1) == Some(&b'\n') {
                    index += 1;
                }
                start = index + 1;
            }
            _ => {}
        }
        index += 1;
    }
    lines.push(&data[start..]);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let channels = |names: &[&str]| {
            Some(Ok(Subscription::Channels(names.iter().map(|name| name.as_bytes().to_vec()).collect())))
        };
        assert_eq!(Subscription::from_path("/subscribe/news"), channels(&["news"]));
        assert_eq!(Subscription::from_path("/SUBSCRIBE/a%20b/c/"), channels(&["a b", "c"]));
        assert_eq!(Subscription::from_path("/subscribe/a%2Fb"), channels(&["a/b"]));
        assert_eq!(Subscription::from_path("/psubscribe/n*"), Some(Ok(Subscription::Patterns(vec![b"n*".to_vec()]))));
        assert_eq!(
            Subscription::from_path("/subscribe"),
            Some(Err("ERR missing channel: use /subscribe/<channel>".into()))
        );
        assert!(matches!(Subscription::from_path("/psubscribe/"), Some(Err(_))));
        assert_eq!(Subscription::from_path("/subscribers/x"), None);
        assert_eq!(Subscription::from_path("/get/subscribe"), None);
    }

    #[test]
    fn one_line_events() {
        assert_eq!(event(b"subscribe,news,1"), b"data: subscribe,news,1\n\n");
        assert_eq!(event(br#"message,news,{"a":1,"b":[2,3]}"#), b"data: message,news,{\"a\":1,\"b\":[2,3]}\n\n");
        assert_eq!(event(b"message,news,"), b"data: message,news,\n\n");
    }

    mod fuzz {
        use super::super::*;
        use proptest::prelude::*;

        fn config() -> ProptestConfig {
            ProptestConfig::with_cases(std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(256))
        }

        /// The events an `EventSource` (the SSE standard's parser) reads
        /// from `stream`: each event's data.
        fn parse_events(stream: &[u8]) -> Vec<Vec<u8>> {
            let mut events = Vec::new();
            let mut data: Option<Vec<u8>> = None;
            for line in lines(stream) {
                if line.is_empty() {
                    if let Some(mut done) = data.take() {
                        done.pop(); // the last line break
                        events.push(done);
                    }
                    continue;
                }
                if line.starts_with(b":") {
                    continue;
                }
                let (field, value) = match line.iter().position(|&b| b == b':') {
                    Some(at) => (&line[..at], &line[at + 1..]),
                    None => (line, &b""[..]),
                };
                let value = value.strip_prefix(b" ").unwrap_or(value);
                if field == b"data" {
                    let buffer = data.get_or_insert_with(Vec::new);
                    buffer.extend_from_slice(value);
                    buffer.push(b'\n');
                }
            }
            events
        }

        /// `data` with its line breaks (`\r\n`, `\r`, `\n`) as `\n`.
        fn normalized(data: &[u8]) -> Vec<u8> {
            lines(data).join(&b"\n"[..])
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn any_data_is_one_event_read_back_whole(payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..4)) {
                let stream: Vec<u8> = payloads.iter().flat_map(|data| event(data)).collect();
                let expected: Vec<Vec<u8>> = payloads.iter().map(|data| normalized(data)).collect();
                prop_assert_eq!(parse_events(&stream), expected);
                for data in &payloads {
                    let framed = event(data);
                    prop_assert!(framed.ends_with(b"\n\n"));
                    prop_assert!(!framed[..framed.len() - 1].windows(2).any(|pair| pair == b"\n\n"), "one event, no empty line inside");
                    prop_assert!(!framed.contains(&b'\r'));
                }
            }

            #[test]
            fn a_payload_never_forges_a_message_for_upstash_redis(channel in "[a-z]{1,8}", payload in proptest::collection::vec(any::<u8>(), 0..64)) {
                // @upstash/redis takes each line starting with `data: ` as an
                // event of its own: only the first line of ours may look like
                // `data: message,...`.
                let framed = event(&data(&[b"message", channel.as_bytes(), &payload]));
                let lines: Vec<&[u8]> = framed.split(|&b| b == b'\n').collect();
                for line in &lines[1..] {
                    let forged = line.strip_prefix(b"data: ").is_some_and(|rest| {
                        rest.starts_with(b"message,") || rest.starts_with(b"pmessage,") || rest.starts_with(b"subscribe,")
                    });
                    prop_assert!(!forged, "{:?}", String::from_utf8_lossy(line));
                }
            }

            #[test]
            fn arbitrary_paths_never_panic(path in any::<String>()) {
                if let Some(Ok(subscription)) = Subscription::from_path(&path) {
                    let names = match subscription {
                        Subscription::Channels(names) | Subscription::Patterns(names) => names,
                    };
                    prop_assert!(!names.is_empty());
                }
            }
        }
    }

    #[test]
    fn line_breaks_become_continuation_lines() {
        assert_eq!(event(b"message,c,a\nb\r\nc\rd"), b"data: message,c,a\ndata:b\ndata:c\ndata:d\n\n");
        assert_eq!(event(b"message,c,a\n\nb\n"), b"data: message,c,a\ndata:\ndata:b\ndata:\n\n");
        assert_eq!(event(b"message,c,a\n data: x"), b"data: message,c,a\ndata:  data: x\n\n");
        // A payload that tries to forge a second event stays inside the first.
        assert_eq!(
            event(b"message,c,x\n\ndata: message,c,forged"),
            b"data: message,c,x\ndata:\ndata:data: message,c,forged\n\n"
        );
    }
}
