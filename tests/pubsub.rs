//! Pub/sub over the REST API's Server-Sent Events against real Redis through
//! upstash-local: the client's subscribe/psubscribe streams, typed validated
//! events, and a cache that follows its invalidation channel.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use edgecache::backend::UpstashBackend;
use edgecache::cache::SetOptions;
use edgecache::event_channel::{EventChannel, PublishError};
use edgecache::keys::KeySpace;
use edgecache::upstash::{Command, Message, PubSubEvent, Subscription, UpstashClient};
use edgecache::{Cache, EntryOptions, FailurePolicy, L1Settings, MemoryBounds, Ttl};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

async fn next(subscription: &mut Subscription) -> PubSubEvent {
    tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .expect("an event within 5 s")
        .unwrap()
        .unwrap()
}

async fn publish(client: &UpstashClient, channel: &str, payload: &str) -> i64 {
    client.command(&Command::new("PUBLISH").arg(channel).arg(payload)).await.unwrap().into_int().unwrap()
}

#[tokio::test]
async fn subscribe_and_psubscribe_stream_messages_and_end_when_the_server_does() {
    let server = start_server().await;
    let client = client(&server);
    let (a, b) = (unique("ch-a"), unique("ch-b"));
    let mut channels = client.subscribe(&[&a, &b]).await.unwrap();
    let mut subscribed = Vec::new();
    for _ in 0..2 {
        match next(&mut channels).await {
            PubSubEvent::Subscribed { channel, .. } => subscribed.push(channel),
            other => panic!("expected the confirmations first, got {other:?}"),
        }
    }
    subscribed.sort();
    assert_eq!(subscribed, {
        let mut both = vec![a.clone(), b.clone()];
        both.sort();
        both
    });
    let prefix = a.trim_end_matches(|c: char| c != ':');
    let mut pattern = client.psubscribe(&[&format!("{prefix}*")]).await.unwrap();
    assert!(matches!(next(&mut pattern).await, PubSubEvent::Subscribed { .. }));

    assert_eq!(publish(&client, &a, r#"{"id":1,"tags":["x","y"]}"#).await, 2, "both subscriptions received it");
    assert_eq!(publish(&client, &b, "plain, with commas").await, 1);
    let mut got = [next(&mut channels).await, next(&mut channels).await];
    got.sort_by_key(|e| format!("{e:?}"));
    assert!(got.contains(&PubSubEvent::Message(Message {
        channel: a.clone(),
        pattern: None,
        payload: r#"{"id":1,"tags":["x","y"]}"#.into()
    })));
    assert!(got.contains(&PubSubEvent::Message(Message {
        channel: b.clone(),
        pattern: None,
        payload: "plain, with commas".into()
    })));
    match next(&mut pattern).await {
        PubSubEvent::Message(message) => {
            assert_eq!(
                (message.channel.as_str(), message.pattern.as_deref()),
                (a.as_str(), Some(&*format!("{prefix}*")))
            );
        }
        other => panic!("expected a pmessage, got {other:?}"),
    }

    // Dropping a subscription unsubscribes it (the connection closes).
    drop(pattern);
    let mut receivers = 2;
    for _ in 0..50 {
        receivers = publish(&client, &a, "after the drop").await;
        if receivers == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(receivers, 1, "the dropped pattern subscription is gone");

    server.shutdown();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(event) = channels.next().await {
            if event.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream ends when the server ends it");
}

#[tokio::test]
async fn subscribing_with_a_wrong_token_or_no_channel_is_an_error() {
    let server = start_server().await;
    let wrong = client_for(&server.url(), "not-the-token", 1_000);
    let error = wrong.subscribe(&["x"]).await.unwrap_err();
    assert!(error.is_misconfiguration(), "{error}");
    assert!(client(&server).subscribe(&[]).await.is_err());
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Activated {
    channel_id: String,
}

#[tokio::test]
async fn typed_events_are_validated_on_both_sides_and_invalid_ones_dropped() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let name = unique("activations");
    let events = EventChannel::<Activated>::new(client.clone(), &name).validate(|e| {
        if e.channel_id.is_empty() {
            Err("empty channel_id".into())
        } else {
            Ok(())
        }
    });
    let mut incoming = Box::pin(events.subscribe().await.unwrap());

    let refused = events.publish(&Activated { channel_id: String::new() }).await.unwrap_err();
    assert!(matches!(refused, PublishError::Invalid(_)), "{refused}");
    // What a publisher without the validator could send: dropped, counted.
    publish(&client, &name, "not json").await;
    publish(&client, &name, r#"{"channel_id":""}"#).await;
    assert_eq!(events.publish(&Activated { channel_id: "42".into() }).await.unwrap(), 1);

    let first = tokio::time::timeout(Duration::from_secs(5), incoming.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(first, Activated { channel_id: "42".into() }, "only the valid event is handed on");
    assert_eq!(events.dropped(), 2);
}

#[tokio::test]
async fn a_cache_following_its_channel_drops_l1_copies_at_once() {
    let server = start_server().await;
    let client = Arc::new(client(&server));
    let prefix = key_prefix("follow");
    let channel = unique("invalidations");
    let cache = || {
        let l1 =
            L1Settings { bounds: MemoryBounds::default(), max_staleness: std::time::Duration::from_millis(60_000) };
        Cache::builder()
            .backend(Arc::new(UpstashBackend::new(client.clone())))
            .without_l1()
            .key_prefix(&prefix)
            .l1(l1)
            .events_channel(&channel)
            .build()
    };
    let (writer, follower) = (cache(), cache());
    let key = KeySpace::new(&prefix, "guild", "members").unwrap().entry("1", vec!["guild:1".into()]);
    writer.set(&key, &"old", &SetOptions::ttl(Ttl::secs(60))).await.unwrap();
    let options = EntryOptions::new(Ttl::secs(60));
    let load = |v: &'static str| move || async move { Ok::<_, std::io::Error>(v.to_string()) };
    assert_eq!(follower.remember(&key, &options, load("unused")).await.unwrap(), "old", "now in the follower's L1");

    let following = tokio::spawn(follower.follow_invalidations().await.unwrap());
    writer.invalidate_tags(&["guild:1"], FailurePolicy::FailClosed).await.unwrap();
    // Without following, the follower would serve "old" from L1 for 60 s.
    let mut seen = String::new();
    for _ in 0..100 {
        seen = follower.remember(&key, &options, load("new")).await.unwrap();
        if seen == "new" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(seen, "new", "the invalidation reached the follower's L1 through the channel");
    following.abort();

    let unfollowable = Cache::builder().backend(Arc::new(UpstashBackend::new(client.clone()))).without_l1().build();
    assert!(unfollowable.follow_invalidations().await.is_err(), "no events channel: an error, not a silent no-op");
}
