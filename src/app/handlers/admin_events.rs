//! `GET /admin/events`: invalidation events as Server-Sent Events, for the
//! dashboard's live feed.
//!
//! The worker subscribes to `CACHE_EVENTS_CHANNEL` over Upstash's SSE
//! endpoint (`POST /subscribe/{channel}`, as @upstash/redis's `subscribe()`
//! does), within this request's own context, and relays every message that
//! parses as an [`InvalidationEvent`]; anything else on the channel is
//! dropped and logged. The stream says `event: ready` once Upstash confirms
//! the subscription, sends a comment every 15 s so proxies keep it open, and
//! ends by itself after [`STREAM_MS`] with `event: end` (a client reconnects;
//! `retry:` tells a browser's EventSource how soon). Frames:
//!
//! ```text
//! retry: 2000
//! event: ready
//! data: {"channel":"edgecache:events"}
//!
//! event: invalidate
//! data: {"type":"invalidate","version":1,"source":"edgecache","atMs":...,"tags":["tenant:acme"]}
//! ```

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use worker::worker_sys::web_sys::{self, AbortController};
use worker::{ByteStream, Delay, Response};

use super::RequestContext;
use crate::app::error::ApiError;
use crate::app::respond::with_headers;
use crate::app::sse::{frame, Parser};
use crate::cache::InvalidationEvent;

/// How long one stream lasts before it ends by itself, in ms.
pub const STREAM_MS: u64 = 55_000;
/// How often an idle stream sends a keep-alive comment, in ms.
const KEEPALIVE_MS: u64 = 15_000;

/// The event stream.
///
/// # Errors
/// 404 without `CACHE_EVENTS_CHANNEL` or without Upstash; 503 when Upstash
/// does not accept the subscription.
pub async fn stream(rc: &RequestContext) -> Result<Response, ApiError> {
    let config = &rc.state.settings.cache;
    let channel = config.events_channel.clone().ok_or_else(|| {
        ApiError::not_found("CACHE_EVENTS_CHANNEL is not configured").with_code("events_not_configured")
    })?;
    let upstash = config.upstash.as_ref().ok_or_else(|| {
        ApiError::not_found("live events need an Upstash database").with_code("events_not_configured")
    })?;
    // The runtime's own fetch, as the REST client's (`upstash/transport.rs`):
    // `worker::Fetch` would bring the `worker` crate's request options (its
    // `cf` properties and image resizing) into the wasm for this one call.
    let js = |what: &'static str| move |e: wasm_bindgen::JsValue| ApiError::internal(format!("{what}: {e:?}"));
    let controller = AbortController::new().map_err(js("AbortController"))?;
    let url = format!(
        "{}/subscribe/{}",
        upstash.url.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(&channel, percent_encoding::NON_ALPHANUMERIC)
    );
    let headers = web_sys::Headers::new().map_err(js("Headers"))?;
    headers.set("authorization", &format!("Bearer {}", upstash.token)).map_err(js("Headers"))?;
    headers.set("accept", "text/event-stream").map_err(js("Headers"))?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_headers(&headers);
    init.set_signal(Some(&controller.signal()));
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let answer = JsFuture::from(global.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|e| ApiError::unavailable("Upstash is unavailable", format!("{e:?}")))?;
    let upstream: web_sys::Response = answer.unchecked_into();
    if upstream.status() != 200 {
        let status = upstream.status();
        return Err(ApiError::unavailable(format!("Upstash refused the subscription (HTTP {status})"), status));
    }
    let body = upstream.body().ok_or_else(|| ApiError::unavailable("Upstash answered without a stream", "no body"))?;
    let relay = Relay::new(ByteStream::from(body), channel, controller);
    let events = futures_util::stream::unfold(relay, |mut relay| async move {
        let frame = relay.next_frame().await?;
        Some((Ok::<Vec<u8>, worker::Error>(frame), relay))
    });
    let response = Response::from_stream(events)?;
    with_headers(
        response,
        &[
            ("content-type", "text/event-stream".into()),
            ("cache-control", "no-cache".into()),
            ("x-accel-buffering", "no".into()),
        ],
    )
}

/// The state of one relay: Upstash's stream, what is left of its last
/// chunk, frames waiting to go out, and the two timers.
struct Relay {
    upstream: ByteStream,
    channel: String,
    parser: Parser,
    out: VecDeque<Vec<u8>>,
    deadline: Pin<Box<Delay>>,
    keepalive: Pin<Box<Delay>>,
    controller: Option<AbortController>,
    ended: bool,
}

impl Relay {
    fn new(upstream: ByteStream, channel: String, controller: AbortController) -> Self {
        Relay {
            upstream,
            channel,
            parser: Parser::new(),
            out: VecDeque::from([b"retry: 2000\n\n".to_vec()]),
            deadline: Box::pin(Delay::from(Duration::from_millis(STREAM_MS))),
            keepalive: Box::pin(Delay::from(Duration::from_millis(KEEPALIVE_MS))),
            controller: Some(controller),
            ended: false,
        }
    }

    /// The next frame to send; `None` once the stream has ended (Upstash's
    /// subscription is aborted then).
    async fn next_frame(&mut self) -> Option<Vec<u8>> {
        loop {
            if let Some(frame) = self.out.pop_front() {
                return Some(frame);
            }
            if self.ended {
                if let Some(controller) = self.controller.take() {
                    controller.abort();
                }
                return None;
            }
            self.wait().await;
        }
    }

    /// Waits for Upstash, the deadline or the keep-alive, whichever comes first.
    async fn wait(&mut self) {
        let timers = select(self.deadline.as_mut(), self.keepalive.as_mut());
        match select(self.upstream.next(), timers).await {
            Either::Left((Some(Ok(chunk)), _)) => self.take(&chunk),
            Either::Left((Some(Err(error)), _)) => {
                log::warn!("edgecache: the event subscription failed: {error}");
                self.end("upstream failed");
            }
            Either::Left((None, _)) => self.end("upstream closed"),
            Either::Right((Either::Left(_), _)) => self.end("time limit"),
            Either::Right((Either::Right(_), _)) => {
                self.out.push_back(b": keepalive\n\n".to_vec());
                self.keepalive = Box::pin(Delay::from(Duration::from_millis(KEEPALIVE_MS)));
            }
        }
    }

    /// Adds a chunk of Upstash's stream and relays each complete event in
    /// it: an event's `data:` lines are one payload, joined with `\n`, as
    /// the SSE standard says (a message published with line breaks arrives
    /// as several lines of one event).
    fn take(&mut self, chunk: &[u8]) {
        for event in self.parser.feed(chunk) {
            self.relay(&event.data);
        }
    }

    /// The data of one of Upstash's events: `subscribe,<channel>,<n>` or
    /// `message,<channel>,<payload>`.
    fn relay(&mut self, data: &str) {
        let channel = &self.channel;
        if data.starts_with(&format!("subscribe,{channel},")) {
            let ready = serde_json::json!({ "channel": channel });
            self.out.push_back(frame("ready", &ready.to_string()));
        } else if let Some(payload) = data.strip_prefix(&format!("message,{channel},")) {
            match InvalidationEvent::parse(payload) {
                Ok(event) => self.out.push_back(frame("invalidate", &event.to_json())),
                Err(error) => log::warn!("edgecache: dropped a message on {channel}: {error}"),
            }
        }
    }

    fn end(&mut self, reason: &str) {
        let end = serde_json::json!({ "reason": reason });
        self.out.push_back(frame("end", &end.to_string()));
        self.ended = true;
    }
}
