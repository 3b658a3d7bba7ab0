//! The bodies of the admin routes that change the cache, checked before
//! anything changes: an invalid body is a 400 and nothing happens.

use serde::Deserialize;

use super::body::{parse_json_object, MAX_BODY_BYTES};
use super::error::ApiError;
use super::routes::path::id;
use crate::cache::MAX_EVENT_ITEMS;
use crate::keys::KeySpace;
use crate::Invalidation;

/// Longest cache key an invalidation may name.
pub const MAX_KEY_LEN: usize = 512;
/// Longest tag an invalidation may name.
pub const MAX_TAG_LEN: usize = 256;
/// Most tenants one warm call loads (within Workers' subrequest limits:
/// per 100 tenants two D1 queries and two Upstash round trips per 100 entries).
pub const MAX_WARM_TENANTS: usize = 500;

/// `POST /admin/cache/invalidate`: `{"keys"?: [...], "tags"?: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InvalidateBody {
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    tags: Vec<String>,
}

/// Parses an invalidation: 1 to 1000 items in all (one `MULTI/EXEC`),
/// keys under `prefix` that name entries (not version keys), printable tags.
///
/// # Errors
/// 400 (or 413) naming what is wrong.
pub fn parse_invalidation(body: &[u8], prefix: &str) -> Result<Invalidation, ApiError> {
    let body: InvalidateBody = parse_json_object(body, MAX_BODY_BYTES, "invalidation")?;
    let count = body.keys.len() + body.tags.len();
    if count == 0 || count > MAX_EVENT_ITEMS {
        return Err(ApiError::bad_request(format!("give 1 to {MAX_EVENT_ITEMS} keys and tags in all, got {count}")));
    }
    let under = format!("{prefix}:");
    for key in &body.keys {
        let entry = key.starts_with(&under) && key.len() <= MAX_KEY_LEN && !key.contains(":~") && printable(key);
        if !entry {
            return Err(ApiError::bad_request(format!(
                "keys must be cache keys under {under} (at most {MAX_KEY_LEN} printable characters, not a version key), got {:?}",
                shown(key)
            )));
        }
    }
    if let Some(tag) = body.tags.iter().find(|t| t.is_empty() || t.len() > MAX_TAG_LEN || !printable(t)) {
        return Err(ApiError::bad_request(format!(
            "tags must be 1 to {MAX_TAG_LEN} printable characters, got {:?}",
            shown(tag)
        )));
    }
    Ok(Invalidation { keys: body.keys, tags: body.tags, namespaces: Vec::new() })
}

/// `POST /admin/cache/clear`: `{"namespace"?: "llm:policy"}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearBody {
    namespace: Option<String>,
}

/// Parses a clear: the namespace `{domain}:{entity}` to clear under
/// `prefix`, or `None` for everything under it.
///
/// # Errors
/// 400 for another body or a namespace that is not two plain segments.
pub fn parse_clear(body: &[u8], prefix: &str) -> Result<Option<KeySpace>, ApiError> {
    let body: ClearBody = parse_json_object(body, MAX_BODY_BYTES, "clear")?;
    let Some(namespace) = body.namespace else { return Ok(None) };
    let invalid = || {
        ApiError::bad_request(format!("namespace must be domain:entity, e.g. llm:policy, got {:?}", shown(&namespace)))
    };
    let (domain, entity) = namespace.split_once(':').ok_or_else(invalid)?;
    KeySpace::new(prefix, domain, entity).map(Some).map_err(|_| invalid())
}

/// Which tenants a warm loads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarmScope {
    /// These (distinct, in order).
    Tenants(Vec<String>),
    /// Every tenant, in id order: at most `limit` after `after`.
    All {
        /// Start after this tenant id (the `next` of the previous call).
        after: Option<String>,
        /// Most tenants this call loads.
        limit: usize,
    },
}

/// `POST /admin/cache/warm`: `{"tenants": [...]}` or `{"all": true, "after"?, "limit"?}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WarmBody {
    tenants: Option<Vec<String>>,
    all: Option<bool>,
    after: Option<String>,
    limit: Option<usize>,
}

/// Parses a warm.
///
/// # Errors
/// 400 for neither or both of `tenants` and `all`, more than
/// [`MAX_WARM_TENANTS`] tenants, or an id outside `[A-Za-z0-9_-]{1,64}`.
pub fn parse_warm(body: &[u8]) -> Result<WarmScope, ApiError> {
    let body: WarmBody = parse_json_object(body, MAX_BODY_BYTES, "warm")?;
    match (body.tenants, body.all) {
        (Some(tenants), None) if body.after.is_none() && body.limit.is_none() => {
            if tenants.is_empty() || tenants.len() > MAX_WARM_TENANTS {
                return Err(ApiError::bad_request(format!("tenants must list 1 to {MAX_WARM_TENANTS} ids")));
            }
            let mut distinct: Vec<String> = Vec::with_capacity(tenants.len());
            for tenant in tenants {
                let tenant = id("tenant", &tenant)?;
                if !distinct.contains(&tenant) {
                    distinct.push(tenant);
                }
            }
            Ok(WarmScope::Tenants(distinct))
        }
        (None, Some(true)) => {
            let limit = body.limit.unwrap_or(MAX_WARM_TENANTS);
            if !(1..=MAX_WARM_TENANTS).contains(&limit) {
                return Err(ApiError::bad_request(format!("limit must be 1 to {MAX_WARM_TENANTS}, got {limit}")));
            }
            let after = body.after.map(|a| id("after", &a)).transpose()?;
            Ok(WarmScope::All { after, limit })
        }
        _ => Err(ApiError::bad_request(
            "give either {\"tenants\": [...]} or {\"all\": true} (with \"after\" and \"limit\" to page through)",
        )),
    }
}

fn printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fn shown(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidations_name_entries_under_the_prefix_and_printable_tags() {
        let ok = parse_invalidation(br#"{"keys":["p:llm:policy:acme"],"tags":["tenant:acme"]}"#, "p").unwrap();
        assert_eq!((ok.keys.len(), ok.tags.len()), (1, 1));
        for bad in [
            r#"{}"#,
            r#"{"keys":["other:llm:policy:acme"]}"#,
            r#"{"keys":["p:llm:policy:acme:~v"]}"#,
            r#"{"keys":["p:~epoch"]}"#,
            r#"{"tags":[""]}"#,
            r#"{"tags":["a\nb"]}"#,
            r#"{"keys":"p:x"}"#,
            r#"{"keys":[],"extra":1}"#,
            r#"[]"#,
        ] {
            assert_eq!(parse_invalidation(bad.as_bytes(), "p").unwrap_err().status, 400, "{bad}");
        }
        let many: Vec<String> = (0..1001).map(|i| format!("t{i}")).collect();
        let body = serde_json::json!({ "tags": many }).to_string();
        assert_eq!(parse_invalidation(body.as_bytes(), "p").unwrap_err().status, 400);
    }

    #[test]
    fn clears_name_a_namespace_or_everything() {
        assert_eq!(parse_clear(b"{}", "p").unwrap(), None);
        assert_eq!(parse_clear(br#"{"namespace":"llm:policy"}"#, "p").unwrap().unwrap().as_str(), "p:llm:policy");
        for bad in [r#"{"namespace":"llm"}"#, r#"{"namespace":"llm:~x"}"#, r#"{"namespace":"a:b:c"}"#, "", "null"] {
            assert_eq!(parse_clear(bad.as_bytes(), "p").unwrap_err().status, 400, "{bad}");
        }
    }

    #[test]
    fn warms_name_tenants_or_page_through_all() {
        assert_eq!(
            parse_warm(br#"{"tenants":["a","b","a"]}"#).unwrap(),
            WarmScope::Tenants(vec!["a".into(), "b".into()])
        );
        assert_eq!(parse_warm(br#"{"all":true}"#).unwrap(), WarmScope::All { after: None, limit: 500 });
        assert_eq!(
            parse_warm(br#"{"all":true,"after":"t9","limit":10}"#).unwrap(),
            WarmScope::All { after: Some("t9".into()), limit: 10 }
        );
        for bad in [
            r#"{}"#,
            r#"{"all":false}"#,
            r#"{"tenants":[]}"#,
            r#"{"tenants":["a b"]}"#,
            r#"{"tenants":["a"],"all":true}"#,
            r#"{"tenants":["a"],"after":"b"}"#,
            r#"{"all":true,"limit":0}"#,
            r#"{"all":true,"limit":501}"#,
        ] {
            assert_eq!(parse_warm(bad.as_bytes()).unwrap_err().status, 400, "{bad}");
        }
    }
}
