//! Typed events on a Redis pub/sub channel: published as JSON, validated on
//! both sides, so a subscriber only ever handles events that parse as its
//! type and pass its validator. Invalid events are counted and dropped,
//! never handed on.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::upstash::{Command, UpstashClient, UpstashError};

/// Why an event was not published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The validator refused the event; nothing was sent.
    #[error("invalid event: {0}")]
    Invalid(String),
    /// The event does not serialize as JSON.
    #[error("event does not serialize: {0}")]
    Serialize(String),
    /// The backend failed.
    #[error(transparent)]
    Backend(#[from] UpstashError),
}

/// A validator: `Ok` for an event fit to publish or handle, else why not.
pub type Validator<E> = Arc<dyn Fn(&E) -> Result<(), String> + Send + Sync>;

/// Events of type `E` on one channel.
///
/// ```no_run
/// # async fn example(client: std::sync::Arc<edgecache::upstash::UpstashClient>) -> Result<(), Box<dyn std::error::Error>> {
/// use edgecache::event_channel::EventChannel;
/// use futures_util::StreamExt;
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct ChannelActivated { channel_id: String }
///
/// let events = EventChannel::<ChannelActivated>::new(client, "channel-activations")
///     .validate(|e| if e.channel_id.is_empty() { Err("empty channel_id".into()) } else { Ok(()) });
/// let mut incoming = events.subscribe().await?;
/// events.publish(&ChannelActivated { channel_id: "42".into() }).await?;
/// while let Some(event) = incoming.next().await {
///     println!("activated {}", event?.channel_id);
/// }
/// # Ok(()) }
/// ```
pub struct EventChannel<E> {
    client: Arc<UpstashClient>,
    channel: String,
    validator: Validator<E>,
    dropped: Arc<AtomicU64>,
    _event: PhantomData<fn() -> E>,
}

impl<E: Serialize + DeserializeOwned + Send + 'static> EventChannel<E> {
    /// Events on `channel`, every event valid until [`validate`](Self::validate) says otherwise.
    pub fn new(client: Arc<UpstashClient>, channel: &str) -> Self {
        EventChannel {
            client,
            channel: channel.to_owned(),
            validator: Arc::new(|_| Ok(())),
            dropped: Arc::new(AtomicU64::new(0)),
            _event: PhantomData,
        }
    }

    /// Runs `validator` on every event published and every event received.
    pub fn validate(mut self, validator: impl Fn(&E) -> Result<(), String> + Send + Sync + 'static) -> Self {
        self.validator = Arc::new(validator);
        self
    }

    /// Received events dropped so far: not JSON of `E`, or refused by the validator.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Publishes `event` (`PUBLISH`, one round trip); answers how many
    /// subscribers received it.
    ///
    /// # Errors
    /// [`PublishError::Invalid`] when the validator refuses it (nothing is
    /// sent); the backend's error.
    pub async fn publish(&self, event: &E) -> Result<u64, PublishError> {
        (self.validator)(event).map_err(PublishError::Invalid)?;
        let json = serde_json::to_string(event).map_err(|e| PublishError::Serialize(e.to_string()))?;
        let receivers = self.client.command(&Command::new("PUBLISH").arg(&self.channel).arg(json)).await?;
        Ok(receivers.into_int()?.max(0) as u64)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod subscribe {
    use futures_util::stream::{Stream, StreamExt};

    use super::*;
    use crate::upstash::PubSubEvent;

    impl<E: Serialize + DeserializeOwned + Send + 'static> EventChannel<E> {
        /// The valid events published from now on (the subscription is
        /// active when this answers). Invalid ones are logged, counted in
        /// [`dropped`](Self::dropped) and skipped. The stream ends when the
        /// server ends it; drop it to unsubscribe.
        ///
        /// # Errors
        /// The backend's error when the subscription cannot be opened.
        pub async fn subscribe(&self) -> Result<impl Stream<Item = Result<E, UpstashError>> + Send, UpstashError> {
            let mut subscription = self.client.subscribe(&[&self.channel]).await?;
            // Wait for Redis's confirmation, so a publish after this is seen.
            match subscription.next().await {
                Some(Ok(PubSubEvent::Subscribed { .. })) => {}
                Some(Err(error)) => return Err(error),
                _ => {
                    return Err(UpstashError::Protocol {
                        status: 200,
                        message: "the subscription ended before it was confirmed".into(),
                    })
                }
            }
            let (validator, dropped, channel) = (self.validator.clone(), self.dropped.clone(), self.channel.clone());
            Ok(subscription.filter_map(move |event| {
                let event = match event {
                    Ok(PubSubEvent::Message(message)) => match serde_json::from_str::<E>(&message.payload) {
                        Ok(event) => match validator(&event) {
                            Ok(()) => Some(Ok(event)),
                            Err(why) => {
                                log::warn!("edgecache: dropped an invalid event on {channel}: {why}");
                                dropped.fetch_add(1, Ordering::Relaxed);
                                None
                            }
                        },
                        Err(error) => {
                            log::warn!("edgecache: dropped an event on {channel} that does not parse: {error}");
                            dropped.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                    },
                    Ok(PubSubEvent::Subscribed { .. }) => None,
                    Err(error) => Some(Err(error)),
                };
                std::future::ready(event)
            }))
        }
    }
}
