//! Loader plumbing: what a loader may fail with, and loaders with their
//! types erased, so the read path below the public entries is compiled once
//! per error type, not once per caller's closure (each copy of an async
//! state machine costs the Worker's wasm size).

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::loaded::Loaded;
use super::lookup::{CachedBytes, Lookup};
use crate::backend::CacheError;

/// The error a loader may fail with: anything a [`CacheError`] converts into
/// (what a read answers under
/// [`FailurePolicy::FailClosed`](crate::FailurePolicy::FailClosed)), `Clone`
/// (single-flight hands the leader's error to the reads that waited for it,
/// as moka's `try_get_with` does) and `Display` (for the log). Implemented
/// for every such type, e.g. [`StoreError`](crate::StoreError).
pub trait LoadError: From<CacheError> + Clone + std::fmt::Display + crate::MaybeSendSync + 'static {}

impl<E: From<CacheError> + Clone + std::fmt::Display + crate::MaybeSendSync + 'static> LoadError for E {}

/// The error a leader hands its followers, whatever the loader's type.
#[cfg(not(target_arch = "wasm32"))]
pub(super) type AnyError = Arc<dyn Any + Send + Sync>;
/// The error a leader hands its followers, whatever the loader's type.
#[cfg(target_arch = "wasm32")]
pub(super) type AnyError = Arc<dyn Any>;

/// What single-flight hands from a leader to its followers.
pub(super) type Shared = Result<Lookup<CachedBytes>, AnyError>;

/// A loader's future, its type erased.
#[cfg(not(target_arch = "wasm32"))]
pub(super) type BoxedLoad<'a, E> = Pin<Box<dyn Future<Output = Result<Loaded<CachedBytes>, E>> + Send + 'a>>;
/// A loader's future, its type erased.
#[cfg(target_arch = "wasm32")]
pub(super) type BoxedLoad<'a, E> = Pin<Box<dyn Future<Output = Result<Loaded<CachedBytes>, E>> + 'a>>;

/// A loader, its type erased.
#[cfg(not(target_arch = "wasm32"))]
pub(super) type BoxedLoader<'a, E> = Box<dyn FnOnce() -> BoxedLoad<'a, E> + Send + 'a>;
/// A loader, its type erased (see the native definition).
#[cfg(target_arch = "wasm32")]
pub(super) type BoxedLoader<'a, E> = Box<dyn FnOnce() -> BoxedLoad<'a, E> + 'a>;

/// `loader`, boxed.
pub(super) fn boxed<'a, E, F, Fut>(loader: F) -> BoxedLoader<'a, E>
where
    F: FnOnce() -> Fut + crate::MaybeSend + 'a,
    Fut: Future<Output = Result<CachedBytes, E>> + crate::MaybeSend + 'a,
    E: 'a,
{
    Box::new(move || Box::pin(async move { loader().await.map(Loaded::new) }))
}

/// `loader`, which gives its value's TTL and tags, boxed.
pub(super) fn boxed_adaptive<'a, E, F, Fut>(loader: F) -> BoxedLoader<'a, E>
where
    F: FnOnce() -> Fut + crate::MaybeSend + 'a,
    Fut: Future<Output = Result<Loaded<CachedBytes>, E>> + crate::MaybeSend + 'a,
{
    Box::new(move || Box::pin(loader()))
}

/// Why a load did not produce a value.
pub(super) enum LoadFailed<E> {
    /// The loader failed.
    Loader(E),
    /// The write-back failed under
    /// [`FailurePolicy::FailClosed`](crate::FailurePolicy::FailClosed).
    Cache(CacheError),
}
