//! Property-based fuzzing of everything in the reference worker that reads
//! untrusted bytes: the route (method and path), request bodies (the JSON
//! object reader and each body parser), the `Authorization` header, bearer
//! tokens and API keys, `CF-Connecting-IP`, and the settings. Arbitrary
//! bytes and structured near-misses alike must never panic, and garbage
//! must be answered as a client error (4xx), never a 5xx.
//!
//! `cargo test` runs each property 256 times by default (a few seconds in
//! all); for a longer run: `PROPTEST_CASES=100000 cargo test -p edgecache
//! --features worker-app,testing --lib app::fuzz`.

use proptest::prelude::*;

use super::admin::{parse_clear, parse_invalidation, parse_warm};
use super::auth::api_key::{ApiKeySigner, KeyCheck};
use super::auth::{bearer, identify, AdminToken, Failure, Presented};
use super::body::{parse_json_object, MAX_BODY_BYTES};
use super::client_ip::client_identity;
use super::conversation::ConfigFields;
use super::policy::PolicyInput;
use super::routes::path::path_of_url;
use super::routes::resolve;
use super::settings::AppSettings;
use super::sse::Parser;
use crate::config::Vars;

const ADMIN: &str = "an-admin-token-of-forty-characters-long!";
const SECRET: &str = "an-api-key-secret-of-forty-characters-ok";

/// JSON values of any shape: scalars, and arrays and objects of them.
fn json_values() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,40}".prop_map(Value::String),
        "[a-z:_-]{1,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bytes that are often almost JSON: arbitrary bytes, JSON-ish text, and
/// real JSON values of arbitrary shape.
fn bodies() -> impl Strategy<Value = Vec<u8>> {
    let json = json_values().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default());
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        "[\\[\\]{}\":,0-9a-zA-Z .eE+-]{0,128}".prop_map(String::into_bytes),
        json,
        object_bodies(),
    ]
}

/// JSON objects with the field names the parsers know and values of any type.
fn object_bodies() -> impl Strategy<Value = Vec<u8>> {
    let names = prop_oneof![
        Just("defaultModel"),
        Just("allowedModels"),
        Just("maxTokensPerRequest"),
        Just("systemPrompt"),
        Just("temperature"),
        Just("maxTurns"),
        Just("keys"),
        Just("tags"),
        Just("namespace"),
        Just("tenants"),
        Just("all"),
        Just("after"),
        Just("limit"),
        Just("other"),
    ];
    proptest::collection::btree_map(names, json_values(), 0..6).prop_map(|fields| {
        let object: serde_json::Map<String, serde_json::Value> =
            fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
        serde_json::to_vec(&object).unwrap_or_default()
    })
}

proptest::prop_compose! {
    /// Paths shaped like the worker's routes, with arbitrary segments.
    fn route_paths()(
        head in prop_oneof![Just("v1/tenants"), Just("admin"), Just("health"), Just("admin/tenants"), Just("admin/ratelimit"), Just("")],
        segments in proptest::collection::vec(
            prop_oneof![
                "[A-Za-z0-9_-]{0,70}",
                Just("policy".to_owned()),
                Just("conversation-config".to_owned()),
                Just("users".to_owned()),
                Just("keys".to_owned()),
                Just("webhooks".to_owned()),
                Just("client".to_owned()),
                Just("key".to_owned()),
                "%[0-9A-Fa-f]{2}[^/]{0,8}",
                "[^/]{0,16}",
            ],
            0..6,
        ),
    ) -> String {
        format!("/{head}/{}", segments.join("/"))
    }
}

fn methods() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("HEAD".to_owned()),
        Just("PUT".to_owned()),
        Just("POST".to_owned()),
        Just("DELETE".to_owned()),
        Just("get".to_owned()),
        ".{0,12}",
    ]
}

proptest! {
    #[test]
    fn routes_resolve_or_answer_404_405_or_400(method in methods(), path in prop_oneof![route_paths(), ".{0,200}"]) {
        if let Err(error) = resolve(&method, &path) {
            prop_assert!(matches!(error.status, 400 | 404 | 405), "{} for {method} {path:?}", error.status);
        }
    }

    #[test]
    fn any_url_has_a_path(url in prop_oneof![".{0,200}", "https?://[a-z.]{1,20}(:[0-9]{1,5})?/.{0,100}"]) {
        let path = path_of_url(&url);
        prop_assert!(path.starts_with('/'), "{path:?} of {url:?}");
        prop_assert!(!path.contains(['?', '#']));
    }

    #[test]
    fn bodies_parse_or_answer_400_or_413(body in bodies()) {
        let generic: Result<serde_json::Map<String, serde_json::Value>, _> = parse_json_object(&body, MAX_BODY_BYTES, "x");
        for error in [
            generic.err(),
            PolicyInput::parse(&body).err(),
            ConfigFields::parse(&body).err(),
            parse_invalidation(&body, "edgecache").err(),
            parse_clear(&body, "edgecache").err(),
            parse_warm(&body).err(),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(matches!(error.status, 400 | 413), "{} for {:?}", error.status, String::from_utf8_lossy(&body));
        }
    }

    #[test]
    fn oversized_bodies_are_413_before_parsing(extra in 1usize..64, fill in any::<u8>()) {
        let body = vec![fill; MAX_BODY_BYTES + extra];
        prop_assert_eq!(PolicyInput::parse(&body).unwrap_err().status, 413);
        prop_assert_eq!(ConfigFields::parse(&body).unwrap_err().status, 413);
    }

    #[test]
    fn authorization_headers_give_a_token_or_a_401(header in prop_oneof![".{0,100}", "(Bearer|bearer|Basic|BEARER)[ \t]{0,3}.{0,60}"]) {
        match bearer(Some(&header)) {
            Ok(token) => {
                prop_assert!(!token.is_empty());
                prop_assert_eq!(token, token.trim());
            }
            Err(error) => prop_assert_eq!(error.status, 401),
        }
    }

    #[test]
    fn arbitrary_tokens_are_never_the_admin_nor_a_signed_key(token in prop_oneof![
        ".{0,120}",
        "ek1_[0-9a-f]{16}_[A-Za-z0-9_-]{64}",
        "ek1_.{0,90}",
        "ek_[A-Za-z0-9_-]{43}",
    ]) {
        let admin = AdminToken::parse(ADMIN).unwrap();
        let signer = ApiKeySigner::from_secret(SECRET).unwrap();
        match identify(&token, &admin, &signer, true) {
            Presented::Admin => prop_assert_eq!(token.as_str(), ADMIN),
            Presented::Key { id: Some(_) } => prop_assert!(false, "a key nobody signed passed: {token}"),
            Presented::Key { id: None } => prop_assert!(token.starts_with("ek_") && token.len() == 46),
            Presented::Refused(failure) => prop_assert_eq!(failure.error().status, 401),
        }
    }

    #[test]
    fn every_change_to_a_signed_key_is_caught(bytes in any::<[u8; 40]>(), at in 0usize..85, to in any::<u8>()) {
        let signer = ApiKeySigner::from_secret(SECRET).unwrap();
        let key = signer.issue_from(&bytes);
        prop_assert_eq!(signer.check(&key.key), KeyCheck::Signed { id: key.id.clone() });
        let mut changed = key.key.clone().into_bytes();
        prop_assume!(changed[at] != to);
        changed[at] = to;
        let changed = String::from_utf8_lossy(&changed).into_owned();
        prop_assert_eq!(signer.check(&changed), KeyCheck::Forged);
        let admin = AdminToken::parse(ADMIN).unwrap();
        prop_assert!(matches!(
            identify(&changed, &admin, &signer, false),
            Presented::Refused(Failure::ForgedKey | Failure::LegacyKey | Failure::WrongToken)
        ));
    }

    #[test]
    fn any_connecting_ip_is_one_bucket(header in prop_oneof![".{0,80}", "[0-9a-fA-F:.]{0,45}"], prefix in 16u8..=128) {
        let bucket = client_identity(Some(&header), prefix);
        prop_assert!(!bucket.is_empty() && bucket.len() <= 64, "{bucket:?}");
    }

    #[test]
    fn settings_load_or_name_a_variable(
        pairs in proptest::collection::vec(
            (
                prop_oneof![
                    Just("ADMIN_TOKEN"),
                    Just("API_KEY_SECRET"),
                    Just("API_KEY_ACCEPT_LEGACY"),
                    Just("AUTH_FAILURE_LIMIT"),
                    Just("AUTH_FAILURE_WINDOW_SECS"),
                    Just("RATE_LIMIT_KEY_LIMIT"),
                    Just("MAX_USER_OVERRIDES_PER_TENANT"),
                    Just("HEALTH_CACHE_MS"),
                    Just("UPSTASH_REDIS_REST_URL"),
                    Just("UPSTASH_REDIS_REST_TOKEN"),
                    Just("UPSTASH_ALLOW_INSECURE_HTTP"),
                    Just("RATE_LIMIT_IPV6_PREFIX"),
                ],
                prop_oneof![".{0,60}", "[0-9]{1,12}", "https?://[a-z0-9.:\\[\\]@]{0,30}"],
            ),
            0..6,
        )
    ) {
        let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let vars = Vars::from_pairs(&pairs);
        let read = AppSettings::from_env(&vars);
        if let Err(error) = read {
            prop_assert!(pairs.iter().any(|(name, _)| *name == error.variable)
                || error.variable.starts_with("UPSTASH_") || error.variable.starts_with("RATE_LIMIT"),
                "{error}");
        }
    }

    #[test]
    fn upstash_event_streams_never_panic(stream in proptest::collection::vec(any::<u8>(), 0..1024), cut in 0usize..1024) {
        let mut parser = Parser::new();
        let cut = cut.min(stream.len());
        let _ = parser.feed(&stream[..cut]);
        let _ = parser.feed(&stream[cut..]);
    }
}
