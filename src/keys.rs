//! Cache keys: `{prefix}:{domain}:{entity}:{id}` with ids escaped.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::config::ConfigError;

/// The namespace of one kind of cached entity, e.g. `edgecache:llm:policy`.
///
/// Keys are `{prefix}:{domain}:{entity}:{id}`, the usual Redis namespace
/// convention (environment, then domain, entity and identifier). The
/// prefix, domain and entity are fixed segments of `A-Z a-z 0-9 _ - .`; ids
/// come from user input and are escaped by [`escape_id`], so no id can name a
/// key in another namespace or entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySpace {
    prefix: String,
    base: String,
}

/// The keys one cached entry involves: its own, and the version keys its
/// freshness depends on (the namespace epoch, the entry's own version, one
/// per tag, then the prefix's epoch, which clears everything).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryKey {
    /// The entry's key.
    pub key: String,
    /// The entry's tags, as given.
    pub tags: Vec<String>,
    /// `[namespace epoch, entry version, tag versions..., prefix epoch]`,
    /// read with the entry in one `MGET`.
    pub version_keys: Vec<String>,
}

impl KeySpace {
    /// The namespace `{prefix}:{domain}:{entity}`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the segment that is empty, longer than 64
    /// characters or holds a character outside `A-Z a-z 0-9 _ - .`.
    pub fn new(prefix: &str, domain: &str, entity: &str) -> Result<Self, ConfigError> {
        for (name, segment) in [("key prefix", prefix), ("key domain", domain), ("key entity", entity)] {
            check_segment(name, segment)?;
        }
        Ok(KeySpace { prefix: prefix.to_owned(), base: format!("{prefix}:{domain}:{entity}") })
    }

    /// The key of the entity with this `id`: `{prefix}:{domain}:{entity}:{escaped id}`.
    pub fn key(&self, id: &str) -> String {
        format!("{}:{}", self.base, escape_id(id))
    }

    /// The key of an entity named by several ids (e.g. tenant then user),
    /// each escaped and joined with `:`.
    pub fn key_of(&self, ids: &[&str]) -> String {
        let mut key = self.base.clone();
        for id in ids {
            key.push(':');
            key.push_str(&escape_id(id));
        }
        key
    }

    /// `{prefix}:{domain}:{entity}`.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// The namespace epoch key, `{prefix}:{domain}:{entity}:~epoch`; bumping
    /// it clears the namespace. (`~` never survives [`escape_id`], so no id
    /// names this key.)
    pub fn epoch_key(&self) -> String {
        epoch_key(&self.base)
    }

    /// The keys of entry `id` carrying `tags` (tags live under the prefix, so
    /// one tag spans every namespace of the prefix).
    pub fn entry(&self, id: &str, tags: Vec<String>) -> EntryKey {
        let key = self.key(id);
        let mut version_keys = Vec::with_capacity(tags.len() + 3);
        version_keys.push(self.epoch_key());
        version_keys.push(entry_version_key(&key));
        version_keys.extend(tags.iter().map(|tag| tag_key(&self.prefix, tag)));
        version_keys.push(epoch_key(&self.prefix));
        EntryKey { key, tags, version_keys }
    }

    /// The first key segment.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// The version key of the entry at `key`: `{key}:~v`. Invalidating the entry
/// bumps it, so a write fenced on an older read is refused even when the
/// entry has no tags. (`~` never survives [`escape_id`], so no id names it.)
pub fn entry_version_key(key: &str) -> String {
    format!("{key}:~v")
}

/// The lease key of the entry at `key`: `{key}:~lease`, held by the one
/// reader that loads the entry while others wait for it.
pub fn lease_key(key: &str) -> String {
    format!("{key}:~lease")
}

/// The epoch key of namespace `namespace` (`{prefix}:{domain}:{entity}`),
/// or of a whole prefix (`{prefix}`): bumping it clears what it names.
pub fn epoch_key(namespace: &str) -> String {
    format!("{namespace}:~epoch")
}

/// The key health checks write under `prefix`: `{prefix}:~health`.
pub fn health_key(prefix: &str) -> String {
    format!("{prefix}:~health")
}

/// The version key of `tag` under `prefix`: `{prefix}:~tag:{escaped tag}`.
pub fn tag_key(prefix: &str, tag: &str) -> String {
    format!("{prefix}:~tag:{}", escape_id(tag))
}

/// The member set of `tag` under `prefix`, `{prefix}:~tagm:{escaped tag}`:
/// the version keys of the entries whose loader named the tag (adaptive
/// tags, known only once the value is loaded). Invalidating the tag bumps
/// each member's version.
pub fn tag_members_key(prefix: &str, tag: &str) -> String {
    format!("{prefix}:~tagm:{}", escape_id(tag))
}

/// When `tag` under `prefix` was last invalidated, in ms of the backend's
/// clock: `{prefix}:~tagt:{escaped tag}`. A write-back naming the tag is
/// refused if this is more recent than its load, so a load that raced the
/// invalidation cannot join the member set after it was emptied.
pub fn tag_invalidated_key(prefix: &str, tag: &str) -> String {
    format!("{prefix}:~tagt:{}", escape_id(tag))
}

/// Longest fixed key segment (prefix, domain, entity, limiter name).
pub const MAX_SEGMENT_LEN: usize = 64;

/// Checks a fixed key segment (a prefix, domain, entity or limiter name):
/// 1 to 64 characters of `A-Z a-z 0-9 _ - .`, so it can never hold the `:`
/// that separates segments, nor a glob or hash-slot character.
///
/// # Errors
/// [`ConfigError`] naming `what` (a variable or field) and the rule.
pub fn check_segment(what: &str, segment: &str) -> Result<(), ConfigError> {
    if (1..=MAX_SEGMENT_LEN).contains(&segment.len()) && segment.bytes().all(is_plain_byte) {
        Ok(())
    } else {
        Err(ConfigError::new(
            what,
            format!("must be 1 to {MAX_SEGMENT_LEN} characters of A-Z a-z 0-9 _ - . (no ':'), got {segment:?}"),
        ))
    }
}

fn is_plain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

/// Escapes an id for use as one key segment: bytes outside
/// `A-Z a-z 0-9 _ - .` become `%XX` (so `:` is `%3A` and `%` is `%25`).
///
/// The mapping is injective and its output never holds `:`, `*`, `{` or `}`,
/// so an id cannot add a segment, match a glob or pick a cluster hash slot.
pub fn escape_id(id: &str) -> Cow<'_, str> {
    if !id.is_empty() && id.bytes().all(is_plain_byte) {
        return Cow::Borrowed(id);
    }
    let mut escaped = String::with_capacity(id.len() + 8);
    if id.is_empty() {
        // An empty id would end the key in ':'; give it a visible form that
        // no escaped non-empty id can take.
        escaped.push('%');
        return Cow::Owned(escaped);
    }
    for b in id.bytes() {
        if is_plain_byte(b) {
            escaped.push(b as char);
        } else {
            let _ = write!(escaped, "%{b:02X}");
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_namespace_convention() {
        let space = KeySpace::new("copilot", "llm", "policy").unwrap();
        assert_eq!(space.key("acme"), "copilot:llm:policy:acme");
        assert_eq!(space.key_of(&["acme", "u1"]), "copilot:llm:policy:acme:u1");
    }

    #[test]
    fn ids_cannot_escape_their_segment() {
        let space = KeySpace::new("p", "conv", "config").unwrap();
        // Without escaping, tenant "a:b" + user "c" and tenant "a" + user "b:c" collide.
        assert_ne!(space.key_of(&["a:b", "c"]), space.key_of(&["a", "b:c"]));
        assert_eq!(space.key("a:b*{x}%"), "p:conv:config:a%3Ab%2A%7Bx%7D%25");
        assert_ne!(space.key(""), space.key("%"));
    }

    #[test]
    fn version_keys_cannot_be_named_by_ids_or_domains() {
        let space = KeySpace::new("p", "conv", "config").unwrap();
        let entry = space.entry("a", vec!["tenant:acme".into()]);
        assert_eq!(
            entry.version_keys,
            ["p:conv:config:~epoch", "p:conv:config:a:~v", "p:~tag:tenant%3Aacme", "p:~epoch"]
        );
        assert_ne!(space.key("~epoch"), space.epoch_key());
        assert!(KeySpace::new("p", "~tag", "x").is_err());
    }

    #[test]
    fn segments_are_checked() {
        assert!(KeySpace::new("p", "a:b", "c").is_err());
        assert!(KeySpace::new("", "a", "c").is_err());
    }
}
