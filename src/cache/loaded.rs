//! What a loader may say about the value it loaded: its TTL and its tags
//! (adaptive caching), known only once the data is.

use crate::Ttl;

/// A loaded value with the TTL and tags the loader chose for it, e.g. "the
/// members of guild 123, for 30 s, tagged `guild:123`", decided where the
/// data is known rather than at the call site.
///
/// A TTL given here replaces the [`EntryOptions`](super::EntryOptions)' one
/// (jitter and grace still apply). Tags given here are *adaptive*: unlike
/// the tags of an [`EntryKey`](crate::keys::EntryKey), which every read checks in
/// its one `MGET`, they cost reads nothing. The write-back adds the entry to
/// each tag's member set (in the same script), and
/// [`Cache::invalidate_tags`](super::Cache::invalidate_tags) bumps the
/// version of every member, so its next read misses. A write-back whose load
/// raced an invalidation of one of its tags is refused (the backend notes
/// when each tag was last invalidated, by its own clock).
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T> {
    /// The value.
    pub value: T,
    /// How long it stays fresh; `None`: the entry options' TTL.
    pub ttl: Option<Ttl>,
    /// Adaptive tags (at most [`MAX_ADAPTIVE_TAGS`]; more are refused).
    pub tags: Vec<String>,
}

/// Most adaptive tags one value may carry.
pub const MAX_ADAPTIVE_TAGS: usize = 16;

impl<T> Loaded<T> {
    /// `value`, with the entry options' TTL and no tags.
    pub fn new(value: T) -> Self {
        Loaded { value, ttl: None, tags: Vec::new() }
    }

    /// Fresh for `ttl` instead of the entry options' TTL.
    pub fn ttl(mut self, ttl: Ttl) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Adds the adaptive tag `tag`.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// The same TTL and tags around `f(value)`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Loaded<U> {
        Loaded { value: f(self.value), ttl: self.ttl, tags: self.tags }
    }
}
