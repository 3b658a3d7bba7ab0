//! Reading settings from environment variables: [`Vars`], [`ConfigError`]
//! and the parsers every setting goes through.
//!
//! Each setting is read and checked once, at start-up; a value that cannot
//! be used is an error naming its variable. The settings themselves live
//! with what they configure: [`CacheConfig`](crate::CacheConfig),
//! [`RateLimitConfig`](crate::ratelimit::RateLimitConfig),
//! [`UpstashConfig`](crate::upstash::UpstashConfig).

use std::ops::RangeInclusive;

/// A read-only view of environment variables (process env natively, the
/// Worker's `env` vars and secrets on Workers). A variable that is set to an
/// empty or blank string counts as unset.
///
/// A view may also list the names it holds ([`with_names`](Self::with_names),
/// [`from_pairs`](Self::from_pairs), [`process`](Self::process)); settings use
/// the list to refuse a variable that nothing reads, e.g. a misspelt
/// `CACHE_TTL_<NAME>_SECONDS`. A view built with [`new`](Self::new) cannot
/// list its names, and those checks are skipped.
pub struct Vars<'a> {
    lookup: Lookup<'a>,
    names: Option<Vec<String>>,
}

/// How an [`Vars`] answers a variable's value.
type Lookup<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

impl<'a> Vars<'a> {
    /// An environment answered by `lookup`, whose names cannot be listed.
    pub fn new(lookup: impl Fn(&str) -> Option<String> + 'a) -> Self {
        Vars { lookup: Box::new(lookup), names: None }
    }

    /// An environment answered by `lookup` that holds the variables `names`
    /// (names `lookup` does not answer are ignored; on Workers, the keys of
    /// the `env` object, bindings included).
    pub fn with_names(lookup: impl Fn(&str) -> Option<String> + 'a, names: impl IntoIterator<Item = String>) -> Self {
        Vars { lookup: Box::new(lookup), names: Some(names.into_iter().collect()) }
    }

    /// An environment holding exactly `pairs`; handy in tests.
    pub fn from_pairs(pairs: &'a [(&'a str, &'a str)]) -> Self {
        Vars::with_names(
            move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()),
            pairs.iter().map(|(k, _)| (*k).to_owned()),
        )
    }

    /// The process environment (names that are not valid Unicode are not listed).
    pub fn process() -> Vars<'static> {
        let names = std::env::vars_os().filter_map(|(name, _)| name.into_string().ok());
        Vars::with_names(|name| std::env::var(name).ok(), names)
    }

    /// The trimmed value of `name`, or `None` when unset or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// The names of the variables that are set (not blank), sorted; `None`
    /// when this view cannot list them (built with [`new`](Self::new)).
    pub fn names(&self) -> Option<Vec<String>> {
        let mut names: Vec<String> = self.names.as_ref()?.iter().filter(|n| self.get(n).is_some()).cloned().collect();
        names.sort();
        names.dedup();
        Some(names)
    }
}

/// A configuration value that cannot be used, with the variable it came from.
///
/// The message says why; it never repeats a value that may hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration {variable}: {message}")]
pub struct ConfigError {
    /// The environment variable (or field) at fault, e.g. `CACHE_MEMORY_SIZE`.
    pub variable: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    /// An error about `variable`.
    pub fn new(variable: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError { variable: variable.into(), message: message.into() }
    }
}

/// Parses `name` as an integer within `range`; `None` when unset.
///
/// # Errors
/// [`ConfigError`] naming `name` when set to anything else.
pub fn parse_number(env: &Vars<'_>, name: &str, range: RangeInclusive<u64>) -> Result<Option<u64>, ConfigError> {
    env.get(name)
        .map(|raw| match raw.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(ConfigError::new(
                name,
                format!("must be an integer from {} to {}, got {raw:?}", range.start(), range.end()),
            )),
        })
        .transpose()
}

/// Parses `name` as a boolean (`true/false`, `1/0`, `yes/no`, `on/off`); `None` when unset.
///
/// # Errors
/// [`ConfigError`] naming `name` for any other value.
pub fn parse_bool(env: &Vars<'_>, name: &str) -> Result<Option<bool>, ConfigError> {
    env.get(name)
        .map(|raw| match raw.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err(ConfigError::new(name, format!("must be true or false, got {raw:?}"))),
        })
        .transpose()
}

/// Longest duration any `*_MS` setting takes: one hour, in ms.
pub const MAX_DURATION_MS: u64 = 3_600_000;
/// Longest TTL any `*_SECONDS` setting takes: 30 days, in seconds.
pub const MAX_TTL_SECS: u64 = 30 * 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_outside_their_range_name_the_variable_and_the_range() {
        let env = Vars::from_pairs(&[("A", "0"), ("B", "7"), ("C", "lots"), ("D", " ")]);
        let err = parse_number(&env, "A", 1..=10).unwrap_err();
        assert_eq!(err.to_string(), "invalid configuration A: must be an integer from 1 to 10, got \"0\"");
        assert_eq!(parse_number(&env, "B", 1..=10), Ok(Some(7)));
        assert_eq!(parse_number(&env, "C", 1..=10).unwrap_err().variable, "C");
        assert_eq!(parse_number(&env, "D", 1..=10), Ok(None), "blank is unset");
    }

    #[test]
    fn names_are_listed_when_known_without_blank_ones() {
        let env = Vars::from_pairs(&[("B", "1"), ("A", "2"), ("BLANK", " ")]);
        assert_eq!(env.names(), Some(vec!["A".to_owned(), "B".to_owned()]));
        assert_eq!(Vars::new(|_| Some("x".to_owned())).names(), None, "a bare lookup cannot list");
        let listed = Vars::with_names(|name| (name == "SET").then(|| "1".to_owned()), ["SET".into(), "GONE".into()]);
        assert_eq!(listed.names(), Some(vec!["SET".to_owned()]), "a name the lookup does not answer is not set");
        assert!(Vars::process().names().is_some());
    }
}
