//! `/subscribe/<channel>` and `/psubscribe/<pattern>`: Redis pub/sub as
//! Server-Sent Events, the way Upstash serves them and @upstash/redis reads
//! them.
//!
//! Each request gets a Redis connection of its own, subscribed to exactly one
//! channel or pattern; the response streams one SSE event per line of
//! Redis's pub/sub protocol, its fields joined by commas:
//!
//! ```text
//! data: subscribe,<channel>,1            once subscribed
//! data: message,<channel>,<payload>      per message
//! data: psubscribe,<pattern>,1
//! data: pmessage,<pattern>,<channel>,<payload>
//! ```
//!
//! each followed by an empty line. The count is always 1: one subscription
//! per connection. Payloads are the bytes as published (not base64, whatever
//! `Upstash-Encoding` says).
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
//! subscription) when the client disconnects, when Redis closes it, or when
//! the server shuts down, which also ends the stream.

use std::convert::Infallible;

use axum::body::{Body, Bytes};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use percent_encoding::percent_decode_str;
use redis::{ErrorKind, Msg, RedisError};
use tokio::sync::watch;

use crate::redis_exec::{Access, Redis};

/// What one streaming request subscribes to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Subscription {
    /// `/subscribe/<channel>`: `SUBSCRIBE <channel>`.
    Channel(Vec<u8>),
    /// `/psubscribe/<pattern>`: `PSUBSCRIBE <pattern>`.
    Pattern(Vec<u8>),
}

impl Subscription {
    /// The subscription a path asks for: `None` when the path is not
    /// `/subscribe/...` or `/psubscribe/...` (the first segment compared
    /// case-insensitively, as command names are); `Err` when the channel or
    /// pattern is missing. The name is the rest of the path, percent-decoded,
    /// slashes included (@upstash/redis puts it in the URL unencoded).
    pub(crate) fn from_path(path: &str) -> Option<Result<Subscription, String>> {
        let path = path.strip_prefix('/').unwrap_or(path);
        let (first, rest) = path.split_once('/').unwrap_or((path, ""));
        let (what, make): (&str, fn(Vec<u8>) -> Subscription) = if first.eq_ignore_ascii_case("subscribe") {
            ("channel", Subscription::Channel)
        } else if first.eq_ignore_ascii_case("psubscribe") {
            ("pattern", Subscription::Pattern)
        } else {
            return None;
        };
        if rest.is_empty() {
            let name = first.to_ascii_lowercase();
            return Some(Err(format!("ERR missing {what}: use /{name}/<{what}>")));
        }
        Some(Ok(make(percent_decode_str(rest).collect())))
    }
}

/// Subscribes on a new connection and answers the event stream; answers a
/// JSON error instead when Redis refuses (400, e.g. `NOPERM`) or cannot be
/// reached (500). The stream ends when `closing` turns true.
pub(crate) async fn stream(
    redis: &Redis,
    access: Access,
    subscription: Subscription,
    closing: watch::Receiver<bool>,
) -> Result<Response, RedisError> {
    let mut pubsub = redis.pubsub(access).await?;
    let confirmation = match &subscription {
        Subscription::Channel(channel) => {
            pubsub.subscribe(channel).await?;
            data(&[b"subscribe", channel, b"1"])
        }
        Subscription::Pattern(pattern) => {
            pubsub.psubscribe(pattern).await?;
            data(&[b"psubscribe", pattern, b"1"])
        }
    };
    let messages = pubsub.into_on_message().map(|message| message_data(&message));
    let events = stream::once(async move { confirmation })
        .chain(messages)
        .map(|data| Ok::<_, Infallible>(Bytes::from(event(&data))))
        .take_until(closed(closing));
    let headers = [(CONTENT_TYPE, "text/event-stream"), (CACHE_CONTROL, "no-cache")];
    Ok((StatusCode::OK, headers, Body::from_stream(events)).into_response())
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
        let channel = |name: &str| Some(Ok(Subscription::Channel(name.as_bytes().to_vec())));
        assert_eq!(Subscription::from_path("/subscribe/news"), channel("news"));
        assert_eq!(Subscription::from_path("/SUBSCRIBE/a%20b/c"), channel("a b/c"));
        assert_eq!(Subscription::from_path("/psubscribe/n*"), Some(Ok(Subscription::Pattern(b"n*".to_vec()))));
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
