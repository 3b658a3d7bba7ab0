//! One HTTP `POST` to the REST API, aborted after a timeout: the platform's
//! own `fetch` on wasm32 (so the Worker carries no HTTP client crate, nor
//! the URL and header parsers one brings), reqwest natively.

/// The request: where, which headers, what body, how long to wait.
pub(super) struct Post<'a> {
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: Vec<u8>,
    pub timeout_ms: u64,
}

/// The answer: its status, one header the client needs, and its body.
pub(super) struct Answer {
    pub status: u16,
    /// The `upstash-sync-token` header, if any.
    pub sync_token: Option<String>,
    pub body: Vec<u8>,
}

/// Why no answer came.
pub(super) enum Failure {
    /// Nothing within the timeout; the request was aborted.
    Timeout,
    /// The connection failed; what the platform said.
    Transport(String),
}

/// The header that carries the replica sync token, both ways.
pub(super) const SYNC_TOKEN_HEADER: &str = "upstash-sync-token";

#[cfg(not(target_arch = "wasm32"))]
pub(super) use native::Transport;
#[cfg(target_arch = "wasm32")]
pub(super) use wasm::Transport;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Duration;

    use super::{Answer, Failure, Post, SYNC_TOKEN_HEADER};
    use crate::clock::now_ms;

    /// reqwest, with its connection pool.
    pub struct Transport {
        http: reqwest::Client,
    }

    impl Transport {
        pub fn new() -> Self {
            Transport { http: reqwest::Client::new() }
        }

        pub async fn post(&self, post: Post<'_>) -> Result<Answer, Failure> {
            let mut request = self.http.post(post.url).timeout(Duration::from_millis(post.timeout_ms)).body(post.body);
            for (name, value) in post.headers {
                request = request.header(*name, *value);
            }
            let started_ms = now_ms();
            let failed = |error: reqwest::Error| {
                if error.is_timeout() || now_ms().saturating_sub(started_ms) >= post.timeout_ms {
                    Failure::Timeout
                } else {
                    Failure::Transport(error.to_string())
                }
            };
            let response = request.send().await.map_err(failed)?;
            let status = response.status().as_u16();
            let sync_token = response.headers().get(SYNC_TOKEN_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
            let body = response.bytes().await.map_err(failed)?.to_vec();
            Ok(Answer { status, sync_token, body })
        }

        /// POSTs and answers the status and the body as a stream of chunks,
        /// for as long as the server sends (no timeout once it answered: a
        /// Server-Sent Events stream is meant to stay open). Dropping the
        /// stream closes the connection.
        pub async fn open_stream(
            &self,
            post: Post<'_>,
        ) -> Result<(u16, futures_util::stream::BoxStream<'static, Result<Vec<u8>, String>>), Failure> {
            use futures_util::StreamExt;
            let mut request = self.http.post(post.url).body(post.body);
            for (name, value) in post.headers {
                request = request.header(*name, *value);
            }
            let send = tokio_free_timeout(post.timeout_ms, request.send());
            let response = send.await?.map_err(|error| Failure::Transport(error.to_string()))?;
            let status = response.status().as_u16();
            let chunks = response.bytes_stream().map(|chunk| chunk.map(|b| b.to_vec()).map_err(|e| e.to_string()));
            Ok((status, chunks.boxed()))
        }
    }

    /// `future`, or [`Failure::Timeout`] after `timeout_ms` (on a timer that
    /// needs no particular runtime).
    async fn tokio_free_timeout<T>(
        timeout_ms: u64,
        future: impl std::future::Future<Output = T>,
    ) -> Result<T, Failure> {
        use futures_util::future::{select, Either};
        let timer = futures_timer::Delay::new(Duration::from_millis(timeout_ms));
        match select(Box::pin(future), timer).await {
            Either::Left((value, _)) => Ok(value),
            Either::Right(_) => Err(Failure::Timeout),
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use js_sys::{JsString, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;
    use web_sys::{AbortSignal, Headers, RequestInit, Response, WorkerGlobalScope};

    use super::{Answer, Failure, Post, SYNC_TOKEN_HEADER};

    /// The Workers runtime's `fetch`: nothing to keep between requests.
    pub struct Transport;

    impl Transport {
        pub fn new() -> Self {
            Transport
        }

        pub async fn post(&self, post: Post<'_>) -> Result<Answer, Failure> {
            // Aborts the fetch, and the read of its body, after the timeout.
            let signal = AbortSignal::timeout_with_u32(u32::try_from(post.timeout_ms).unwrap_or(u32::MAX));
            let failed = |error: JsValue| {
                if signal.aborted() {
                    Failure::Timeout
                } else {
                    Failure::Transport(describe(&error))
                }
            };
            let headers = Headers::new().map_err(failed)?;
            for (name, value) in post.headers {
                headers.set(name, value).map_err(failed)?;
            }
            let init = RequestInit::new();
            init.set_method("POST");
            init.set_headers(&headers);
            init.set_body(&Uint8Array::from(post.body.as_slice()));
            init.set_signal(Some(&signal));
            let global: WorkerGlobalScope = js_sys::global().unchecked_into();
            let response: Response =
                JsFuture::from(global.fetch_with_str_and_init(post.url, &init)).await.map_err(failed)?.unchecked_into();
            let sync_token = response.headers().get(SYNC_TOKEN_HEADER).ok().flatten();
            let buffer = JsFuture::from(response.array_buffer().map_err(failed)?).await.map_err(failed)?;
            Ok(Answer { status: response.status(), sync_token, body: Uint8Array::new(&buffer).to_vec() })
        }
    }

    /// A rejected promise's error, as text: its `message` when it is an Error.
    fn describe(error: &JsValue) -> String {
        match error.dyn_ref::<js_sys::Error>() {
            Some(error) => String::from(error.message()),
            None => error.dyn_ref::<JsString>().map(String::from).unwrap_or_else(|| "fetch failed".to_owned()),
        }
    }
}
