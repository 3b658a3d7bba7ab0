//! Following the invalidation channel in a long-lived process (a native
//! service): every invalidation published by any instance drops this
//! cache's L1 copies at once, instead of within the L1 staleness bound.
//! Workers isolates serve requests that end and cannot hold a subscription
//! open between them; they keep the stated bound.

use std::future::Future;
use std::sync::Arc;

use futures_util::StreamExt;

use super::events::InvalidationEvent;
use super::invalidation::Invalidation;
use crate::backend::{CacheBackend, CacheError};
use crate::upstash::{PubSubEvent, UpstashError};

/// Subscribes to `channel` on `backend`'s Upstash client and answers, once
/// the subscription is active, the future that hands every invalidation
/// published on it to `forget` (see `Cache::follow_invalidations`).
///
/// # Errors
/// [`CacheError::NotConfigured`] without a channel or an Upstash backend;
/// the backend's error when the subscription fails.
pub(super) async fn follow(
    channel: Option<&str>,
    backend: Option<&Arc<dyn CacheBackend>>,
    forget: impl Fn(&Invalidation) + Send + 'static,
) -> Result<impl Future<Output = ()> + Send + 'static, CacheError> {
    let unavailable = |why: &str| CacheError::NotConfigured(format!("cannot follow invalidations: {why}"));
    let channel = channel.map(str::to_owned).ok_or_else(|| unavailable("no events channel is set"))?;
    let client = backend
        .and_then(|backend| backend.upstash_client())
        .ok_or_else(|| unavailable("the backend is not Upstash"))?;
    let mut subscription = client.subscribe(&[&channel]).await?;
    match subscription.next().await {
        Some(Ok(PubSubEvent::Subscribed { .. })) => {}
        Some(Err(error)) => return Err(error.into()),
        _ => return Err(UpstashError::Protocol { status: 200, message: "subscription not confirmed".into() }.into()),
    }
    Ok(async move {
        while let Some(event) = subscription.next().await {
            match event {
                Ok(PubSubEvent::Message(message)) => match InvalidationEvent::parse(&message.payload) {
                    Ok(event) => forget(&event.invalidation),
                    Err(error) => log::warn!("edgecache: skipped a message on {channel}: {error}"),
                },
                Ok(PubSubEvent::Subscribed { .. }) => {}
                Err(error) => log::warn!("edgecache: the subscription to {channel} failed: {error}"),
            }
        }
    })
}
