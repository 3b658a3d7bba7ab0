//! Following the invalidation channel in a long-lived process (a native
//! service): every invalidation published by any instance drops this
//! cache's L1 copies at once, instead of within the L1 staleness bound.
//! Workers isolates serve requests that end and cannot hold a subscription
//! open between them; they keep the stated bound.

use std::future::Future;

use futures_util::StreamExt;

use super::events::InvalidationEvent;
use super::Cache;
use crate::backend::CacheError;
use crate::upstash::{PubSubEvent, UpstashError};

impl Cache {
    /// Subscribes to this cache's events channel and answers, once the
    /// subscription is active, the future that applies every invalidation
    /// published on it to this isolate's L1 and in-flight lookups. Run it
    /// (e.g. `tokio::spawn`); it ends when the server ends the stream. A
    /// message that is not an invalidation event is logged and skipped.
    ///
    /// # Errors
    /// [`CacheError::NotConfigured`] when the cache has no events channel or
    /// no Upstash backend; the backend's error when the subscription fails.
    pub async fn follow_invalidations(&self) -> Result<impl Future<Output = ()> + Send + 'static, CacheError> {
        let unavailable = |why: &str| CacheError::NotConfigured(format!("cannot follow invalidations: {why}"));
        let channel = self.inner.events_channel.clone().ok_or_else(|| unavailable("no events channel is set"))?;
        let client = self
            .backend()
            .and_then(|backend| backend.upstash_client())
            .ok_or_else(|| unavailable("the backend is not Upstash"))?;
        let mut subscription = client.subscribe(&[&channel]).await?;
        match subscription.next().await {
            Some(Ok(PubSubEvent::Subscribed { .. })) => {}
            Some(Err(error)) => return Err(error.into()),
            _ => {
                return Err(UpstashError::Protocol { status: 200, message: "subscription not confirmed".into() }.into())
            }
        }
        let cache = self.clone();
        Ok(async move {
            while let Some(event) = subscription.next().await {
                match event {
                    Ok(PubSubEvent::Message(message)) => match InvalidationEvent::parse(&message.payload) {
                        Ok(event) => {
                            let version_keys = cache.version_keys_of(&event.invalidation);
                            cache.forget_locally(&event.invalidation, &version_keys);
                        }
                        Err(error) => log::warn!("edgecache: skipped a message on {channel}: {error}"),
                    },
                    Ok(PubSubEvent::Subscribed { .. }) => {}
                    Err(error) => log::warn!("edgecache: the subscription to {channel} failed: {error}"),
                }
            }
        })
    }
}
