//! The script flag Upstash accepts and open-source Redis refuses.
//!
//! Upstash asks scripts to declare `#!lua flags=allow-key-locking` (so a
//! script locks only the keys it declares), and @upstash/ratelimit 2.1 and
//! later start every script with it; Redis 7 refuses the flag with
//! `ERR Unexpected flag in script shebang`. upstash-local removes the flag
//! before Redis sees a script (`EVAL`, `EVAL_RO`, `SCRIPT LOAD`), and keeps the
//! digest a client knows (the SHA1 of the script as it sent it) mapped to the
//! digest Redis knows, so `EVALSHA`, `EVALSHA_RO` and `SCRIPT EXISTS` with the
//! client's digest find the script and `SCRIPT LOAD` answers the client's
//! digest, as Upstash does.
//!
//! Upstash also takes the flag on functions, in the library's
//! `redis.register_function{..., flags={'no-writes', 'allow-key-locking'}}`,
//! which Redis refuses with `ERR unknown flag given`: `FUNCTION LOAD` drops
//! the quoted flag (with its comma) from the library's code. Functions are
//! called by name, so nothing else changes. It is the only flag of its own
//! Upstash documents.
//!
//! The digest table keeps the [`MAX_REWRITTEN_SCRIPTS`] most recently used
//! scripts. One forgotten is as a script after Upstash's (or Redis's)
//! `SCRIPT FLUSH`: `EVALSHA` of the client's digest answers `NOSCRIPT No
//! matching script. Please use EVAL.`, which clients meet by sending
//! `EVAL`, which maps it again. So any number of distinct scripts costs a
//! bounded table, and a client's working set of scripts stays mapped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use crate::protocol::Command;

/// The flag removed from shebangs.
const UPSTASH_ONLY_FLAG: &str = "allow-key-locking";

/// How many rewritten scripts' digests are kept (the most recently used).
pub(crate) const MAX_REWRITTEN_SCRIPTS: usize = 10_000;

/// Client digest → Redis digest, for scripts whose shebang was rewritten.
#[derive(Default)]
pub(crate) struct ScriptFlags {
    digests: Mutex<Digests>,
}

/// Client digest → Redis digest, forgetting the least recently used past
/// [`MAX_REWRITTEN_SCRIPTS`].
#[derive(Default)]
struct Digests {
    /// Client digest → (Redis digest, when last used).
    map: HashMap<String, (String, u64)>,
    /// When last used → client digest, oldest first.
    by_use: BTreeMap<u64, String>,
    clock: u64,
}

impl Digests {
    fn insert(&mut self, client: String, redis: String) {
        self.clock += 1;
        if let Some((_, used)) = self.map.insert(client.clone(), (redis, self.clock)) {
            self.by_use.remove(&used);
        }
        self.by_use.insert(self.clock, client);
        while self.map.len() > MAX_REWRITTEN_SCRIPTS {
            let Some((_, oldest)) = self.by_use.pop_first() else { break };
            self.map.remove(&oldest);
        }
    }

    fn get(&mut self, client: &str) -> Option<String> {
        self.clock += 1;
        let (redis, used) = self.map.get_mut(client)?;
        self.by_use.remove(used);
        *used = self.clock;
        self.by_use.insert(self.clock, client.to_string());
        Some(redis.clone())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.map.len()
    }
}

impl ScriptFlags {
    /// Rewrites `command` for Redis in place. Answers the reply to send
    /// instead of Redis's when there is one (the client's digest, for a
    /// `SCRIPT LOAD` of a rewritten script).
    pub(crate) fn rewrite(&self, command: &mut Command) -> Option<Vec<u8>> {
        let name = command.first()?.to_ascii_uppercase();
        match name.as_slice() {
            b"EVAL" | b"EVAL_RO" => self.rewrite_script(command, 1).map(|_| ()),
            b"EVALSHA" | b"EVALSHA_RO" => self.map_digest(command, 1),
            b"FUNCTION" if command.get(1)?.eq_ignore_ascii_case(b"LOAD") => {
                // FUNCTION LOAD [REPLACE] <code>: the code comes last.
                let code = command.last_mut()?;
                if let Some(rewritten) = without_function_flag(code) {
                    *code = rewritten;
                }
                None
            }
            b"SCRIPT" => {
                let sub = command.get(1)?.to_ascii_uppercase();
                match sub.as_slice() {
                    b"LOAD" => return self.rewrite_script(command, 2).map(String::into_bytes),
                    b"EXISTS" => (2..command.len()).for_each(|i| {
                        self.map_digest(command, i);
                    }),
                    _ => {}
                }
                None
            }
            _ => None,
        }?;
        None
    }

    /// Removes the flag from the script at `index`; answers the client's digest.
    fn rewrite_script(&self, command: &mut Command, index: usize) -> Option<String> {
        let script = command.get(index)?;
        let rewritten = without_flag(script)?;
        let client_digest = sha1_smol::Sha1::from(script.as_slice()).digest().to_string();
        let redis_digest = sha1_smol::Sha1::from(rewritten.as_slice()).digest().to_string();
        crate::lock(&self.digests).insert(client_digest.clone(), redis_digest);
        command[index] = rewritten;
        Some(client_digest)
    }

    /// Replaces the digest at `index` by Redis's, when the script was rewritten.
    fn map_digest(&self, command: &mut Command, index: usize) -> Option<()> {
        let digest = String::from_utf8(command.get(index)?.to_ascii_lowercase()).ok()?;
        let mapped = crate::lock(&self.digests).get(&digest)?;
        command[index] = mapped.into_bytes();
        Some(())
    }
}

/// The script without `allow-key-locking` in its shebang's `flags=`;
/// `None` when it has no such flag.
fn without_flag(script: &[u8]) -> Option<Vec<u8>> {
    if !script.starts_with(b"#!lua") {
        return None;
    }
    let line_end = script.iter().position(|&b| b == b'\n').unwrap_or(script.len());
    let shebang = std::str::from_utf8(&script[..line_end]).ok()?;
    let mut found = false;
    let words: Vec<String> = shebang
        .split(' ')
        .filter_map(|word| match word.strip_prefix("flags=") {
            Some(flags) => {
                let kept: Vec<&str> = flags
                    .split(',')
                    .filter(|flag| {
                        let ours = flag.trim() == UPSTASH_ONLY_FLAG;
                        found |= ours;
                        !ours
                    })
                    .collect();
                (!kept.is_empty()).then(|| format!("flags={}", kept.join(",")))
            }
            None => Some(word.to_owned()),
        })
        .collect();
    if !found {
        return None;
    }
    let mut rewritten = words.join(" ").into_bytes();
    rewritten.extend_from_slice(&script[line_end..]);
    Some(rewritten)
}

/// A function library's code without the quoted flag in its
/// `register_function` flags (`'allow-key-locking'` or `"allow-key-locking"`,
/// with the comma that joins it to another flag); `None` when it has none.
fn without_function_flag(code: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(code).ok()?;
    let quoted = [format!("'{UPSTASH_ONLY_FLAG}'"), format!("\"{UPSTASH_ONLY_FLAG}\"")];
    if !quoted.iter().any(|flag| text.contains(flag.as_str())) {
        return None;
    }
    let mut text = text.to_string();
    for flag in &quoted {
        while let Some(start) = text.find(flag.as_str()) {
            let mut end = start + flag.len();
            let before = text[..start].trim_end();
            let after = text[end..].trim_start();
            let start = if let Some(rest) = after.strip_prefix(',') {
                // `flag, next`: the comma after it goes too.
                end = text.len() - rest.trim_start().len();
                start
            } else if before.ends_with(',') {
                // `previous, flag`: the comma before it goes too.
                before.len() - 1
            } else {
                start
            };
            text.replace_range(start..end, "");
        }
    }
    Some(text.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(args: &[&str]) -> Command {
        args.iter().map(|a| a.as_bytes().to_vec()).collect()
    }

    #[test]
    fn removes_only_the_upstash_flag() {
        let flagged = b"#!lua flags=allow-key-locking\nreturn 1";
        assert_eq!(without_flag(flagged).unwrap(), b"#!lua\nreturn 1");
        let two = b"#!lua flags=no-writes,allow-key-locking\nreturn 1";
        assert_eq!(without_flag(two).unwrap(), b"#!lua flags=no-writes\nreturn 1");
        assert!(without_flag(b"#!lua flags=no-writes\nreturn 1").is_none());
        assert!(without_flag(b"return 1").is_none());
    }

    #[test]
    fn evalsha_and_script_load_use_the_clients_digest() {
        let flags = ScriptFlags::default();
        let script = "#!lua flags=allow-key-locking\nreturn 1";
        let client = sha1_smol::Sha1::from(script).digest().to_string();
        let redis = sha1_smol::Sha1::from("#!lua\nreturn 1").digest().to_string();
        let mut load = command(&["SCRIPT", "LOAD", script]);
        assert_eq!(flags.rewrite(&mut load), Some(client.clone().into_bytes()));
        assert_eq!(load[2], b"#!lua\nreturn 1");
        let mut evalsha = command(&["evalsha", &client.to_uppercase(), "0"]);
        assert_eq!(flags.rewrite(&mut evalsha), None);
        assert_eq!(evalsha[1], redis.as_bytes());
        let mut unknown = command(&["EVALSHA", "ffff", "0"]);
        flags.rewrite(&mut unknown);
        assert_eq!(unknown[1], b"ffff", "digests of scripts never rewritten pass as they are");
    }

    #[test]
    fn the_digest_table_is_bounded_and_forgets_the_least_recently_used() {
        let flags = ScriptFlags::default();
        let script = |n: usize| format!("#!lua flags=allow-key-locking\nreturn {n}");
        let digest = |n: usize| sha1_smol::Sha1::from(script(n)).digest().to_string();
        let mut first = command(&["EVAL", &script(0), "0"]);
        flags.rewrite(&mut first);
        for n in 1..50_000 {
            flags.rewrite(&mut command(&["EVAL", &script(n), "0"]));
            if n % 1000 == 0 {
                // Still in use: kept.
                flags.rewrite(&mut command(&["EVALSHA", &digest(0), "0"]));
            }
        }
        let kept = crate::lock(&flags.digests).len();
        assert_eq!(kept, MAX_REWRITTEN_SCRIPTS, "{kept} kept");
        assert_eq!(crate::lock(&flags.digests).by_use.len(), kept);
        let mut used = command(&["EVALSHA", &digest(0), "0"]);
        flags.rewrite(&mut used);
        assert_ne!(used[1], digest(0).as_bytes(), "the script used all along is still mapped");
        let mut forgotten = command(&["EVALSHA", &digest(1), "0"]);
        flags.rewrite(&mut forgotten);
        assert_eq!(forgotten[1], digest(1).as_bytes(), "an old one is forgotten: Redis answers NOSCRIPT, clients EVAL");
    }

    #[test]
    fn function_libraries_lose_the_flag_and_keep_the_others() {
        let flags = ScriptFlags::default();
        let library = |flags: &str| {
            format!("#!lua name=l\nredis.register_function{{function_name='f', callback=f, flags={{{flags}}}}}")
        };
        for (given, kept) in [
            ("'no-writes', 'allow-key-locking'", "'no-writes'"),
            ("'allow-key-locking', 'no-writes'", "'no-writes'"),
            ("\"allow-key-locking\"", ""),
            ("'allow-key-locking','no-writes','allow-stale'", "'no-writes','allow-stale'"),
        ] {
            let mut load = command(&["FUNCTION", "LOAD", "REPLACE", &library(given)]);
            assert_eq!(flags.rewrite(&mut load), None);
            assert_eq!(String::from_utf8(load[3].clone()).unwrap(), library(kept), "{given}");
        }
        let untouched = library("'no-writes'");
        let mut load = command(&["function", "load", &untouched]);
        flags.rewrite(&mut load);
        assert_eq!(load[2], untouched.as_bytes());
    }
}
