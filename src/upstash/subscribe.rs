//! Pub/sub over the REST API: `SUBSCRIBE` and `PSUBSCRIBE` as Upstash serves
//! them, Server-Sent Events on `POST /subscribe/{channel}` and
//! `POST /psubscribe/{pattern}` (`Accept: text/event-stream`), one request
//! per channel or pattern (as @upstash/redis does).
//!
//! Each event's data is one line of Redis's pub/sub protocol, its fields
//! joined by commas (payloads as published, never base64):
//!
//! ```text
//! data: subscribe,<channel>,<count>
//! data: message,<channel>,<payload>
//! data: psubscribe,<pattern>,<count>
//! data: pmessage,<pattern>,<channel>,<payload>
//! ```
//!
//! The payload is everything after the last field before it, commas and
//! all. Lines starting with `:` are comments (keep-alives); an event ends
//! at an empty line, and several `data:` lines of one event join with `\n`
//! (the SSE standard, WHATWG HTML § 9.2).
//!
//! Natively only: a Workers isolate serves requests that end, so it keeps
//! the cache's stated L1 bound instead of listening.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};

use super::client::UpstashClient;
use super::transport::{Failure, Post};
use super::UpstashError;

/// One event of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PubSubEvent {
    /// The subscription to `channel` (or pattern) is active: messages
    /// published from now on arrive.
    Subscribed {
        /// The channel or pattern.
        channel: String,
        /// Subscriptions of that connection.
        count: u64,
    },
    /// A published message.
    Message(Message),
}

/// A message published on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The channel it was published on.
    pub channel: String,
    /// The pattern that matched it, for a `psubscribe`.
    pub pattern: Option<String>,
    /// The message as published.
    pub payload: String,
}

/// The events of one or more subscriptions, as a [`Stream`]. It ends when
/// every server stream has ended (Redis went away, the server shut down);
/// dropping it cancels the subscriptions (the connections close).
pub struct Subscription {
    inner: BoxStream<'static, Result<PubSubEvent, UpstashError>>,
}

impl Stream for Subscription {
    type Item = Result<PubSubEvent, UpstashError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription").finish_non_exhaustive()
    }
}

impl UpstashClient {
    /// Subscribes to `channels` (one SSE request each, merged).
    ///
    /// # Errors
    /// [`UpstashError`] when `channels` is empty, or a request fails or is
    /// refused (401, a read-only token without the channel, a 4xx).
    pub async fn subscribe(&self, channels: &[&str]) -> Result<Subscription, UpstashError> {
        self.open_subscriptions("subscribe", channels).await
    }

    /// Subscribes to the channels matching `patterns` (glob-style, as Redis's
    /// `PSUBSCRIBE`); messages carry the pattern that matched.
    ///
    /// # Errors
    /// As [`subscribe`](Self::subscribe).
    pub async fn psubscribe(&self, patterns: &[&str]) -> Result<Subscription, UpstashError> {
        self.open_subscriptions("psubscribe", patterns).await
    }

    async fn open_subscriptions(&self, kind: &str, names: &[&str]) -> Result<Subscription, UpstashError> {
        if names.is_empty() {
            return Err(UpstashError::Protocol { status: 0, message: format!("{kind} needs at least one name") });
        }
        let mut streams = Vec::with_capacity(names.len());
        for name in names {
            streams.push(self.open_subscription(kind, name).await?);
        }
        Ok(Subscription { inner: stream::select_all(streams).boxed() })
    }

    async fn open_subscription(
        &self,
        kind: &str,
        name: &str,
    ) -> Result<BoxStream<'static, Result<PubSubEvent, UpstashError>>, UpstashError> {
        let url = format!("{}/{kind}/{}", self.base_url(), utf8_percent_encode(name, NON_ALPHANUMERIC));
        let headers = [
            ("Authorization", self.bearer()),
            ("Accept", "text/event-stream"),
            ("Cache-Control", "no-cache"),
            ("Content-Type", "application/json"),
        ];
        let timeout_ms = self.timeout_ms();
        let post = Post { url: &url, headers: &headers, body: b"[]".to_vec(), timeout_ms };
        let (status, chunks) = self.transport().open_stream(post).await.map_err(|failure| match failure {
            Failure::Timeout => UpstashError::Timeout { timeout_ms },
            Failure::Transport(message) => UpstashError::Transport { status: None, message },
        })?;
        if status != 200 {
            let mut body = Vec::new();
            let mut chunks = chunks;
            while let Some(Ok(chunk)) = chunks.next().await {
                body.extend(chunk);
                if body.len() > 4096 {
                    break;
                }
            }
            return Err(super::client::status_error(status, &body));
        }
        let state = (chunks, SseParser::default(), VecDeque::new());
        Ok(stream::unfold(state, |(mut chunks, mut parser, mut ready)| async move {
            loop {
                if let Some(event) = ready.pop_front() {
                    return Some((Ok(event), (chunks, parser, ready)));
                }
                match chunks.next().await {
                    Some(Ok(chunk)) => ready.extend(parser.feed(&chunk)),
                    Some(Err(message)) => {
                        let error = UpstashError::Transport { status: None, message };
                        // One error, then the stream ends.
                        return Some((Err(error), (stream::empty().boxed(), parser, ready)));
                    }
                    None => return None,
                }
            }
        })
        .boxed())
    }
}

/// Turns SSE bytes into pub/sub events; see the module docs.
#[derive(Default)]
struct SseParser {
    /// Bytes of a line not yet ended.
    line: Vec<u8>,
    /// The `data:` lines of the event being read.
    data: Vec<String>,
}

impl SseParser {
    /// The events completed by `chunk`.
    fn feed(&mut self, chunk: &[u8]) -> Vec<PubSubEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                self.line.push(byte);
                continue;
            }
            let mut line = std::mem::take(&mut self.line);
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            let line = String::from_utf8_lossy(&line).into_owned();
            if line.is_empty() {
                let data = std::mem::take(&mut self.data);
                if !data.is_empty() {
                    events.extend(parse_event(&data.join("\n")));
                }
            } else if let Some(value) = line.strip_prefix("data:") {
                self.data.push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
            // Comments (":…", keep-alives) and other fields carry nothing here.
        }
        events
    }
}

/// One event's data: `kind,field,…,payload`.
fn parse_event(data: &str) -> Option<PubSubEvent> {
    let (kind, rest) = data.split_once(',')?;
    match kind {
        "subscribe" | "psubscribe" => {
            let (channel, count) = rest.rsplit_once(',')?;
            Some(PubSubEvent::Subscribed { channel: channel.to_owned(), count: count.parse().ok()? })
        }
        "message" => {
            let (channel, payload) = rest.split_once(',')?;
            Some(PubSubEvent::Message(Message {
                channel: channel.to_owned(),
                pattern: None,
                payload: payload.to_owned(),
            }))
        }
        "pmessage" => {
            let (pattern, rest) = rest.split_once(',')?;
            let (channel, payload) = rest.split_once(',')?;
            Some(PubSubEvent::Message(Message {
                channel: channel.to_owned(),
                pattern: Some(pattern.to_owned()),
                payload: payload.to_owned(),
            }))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(channel: &str, payload: &str) -> PubSubEvent {
        PubSubEvent::Message(Message { channel: channel.into(), pattern: None, payload: payload.into() })
    }

    #[test]
    fn events_split_across_chunks_keep_commas_in_payloads_and_skip_comments() {
        let mut parser = SseParser::default();
        let stream = b"data: subscribe,ch,1\n\n: keep-alive\n\ndata: message,ch,{\"a\":1,\"b\":2}\r\n\r\ndata: pmessage,c*,cx,hi\n\n";
        let mut events = Vec::new();
        for chunk in stream.chunks(5) {
            events.extend(parser.feed(chunk));
        }
        assert_eq!(
            events,
            [
                PubSubEvent::Subscribed { channel: "ch".into(), count: 1 },
                message("ch", r#"{"a":1,"b":2}"#),
                PubSubEvent::Message(Message {
                    channel: "cx".into(),
                    pattern: Some("c*".into()),
                    payload: "hi".into()
                }),
            ]
        );
    }

    #[test]
    fn continuation_lines_join_with_line_breaks_and_unknown_kinds_are_skipped() {
        let mut parser = SseParser::default();
        let events = parser.feed(b"data: message,ch,one\ndata:two\n\ndata: unsubscribe,ch,0\n\ndata: nonsense\n\n");
        assert_eq!(events, [message("ch", "one\ntwo")]);
    }
}
