//! The Redis users requests run as, created (or reset) by upstash-local at
//! start-up on the Redis it fronts, so that Redis itself checks every
//! command, including those a script sends with `redis.call`, which the
//! REST layer never sees.
//!
//! - **Full access** (`upstash-local-rw-<12 hex>`): every command except
//!   what the REST API refuses and scripts could otherwise reach: the
//!   `@admin` and `@dangerous` categories (`MIGRATE`, `SWAPDB`, `SLOWLOG`,
//!   `INFO`, `FLUSHALL`, `LASTSAVE`, `CONFIG`, `DEBUG`, `MONITOR`, ...) save
//!   `KEYS`, `SORT`, `SORT_RO`, `FLUSHDB`, `RESTORE`, `ACL USERS` and `ACL
//!   DRYRUN`, which the REST API offers; and `SELECT` (but the URL's own
//!   database), `MOVE`, `CLIENT`, `SCRIPT DEBUG`, `MEMORY` (but `MEMORY
//!   USAGE`), `CLUSTER`, `LOLWUT`, `READONLY`, `READWRITE`, `ASKING`,
//!   `WAIT` and `WAITAOF`. `INFO` and `CONFIG GET`/`SET` sent to the REST
//!   API run as the URL's own user (their replies are filtered, see
//!   [`crate::emulated`]), never from a script.
//! - **Read-only** (`upstash-local-ro-<12 hex>`): the `@read` category but
//!   `KEYS` and `SCAN` (as on Upstash), plus `PING`, `ECHO`, `TIME`, the
//!   read-only script and function commands (and `EVALSHA`, whose script
//!   may only read then), `MULTI`/`EXEC`/`DISCARD`, and the subscribe
//!   commands (listening is reading); `SELECT` of the URL's database only.
//!
//! Each user's name is derived from its token (the first 12 hex digits of
//! the token's SHA-1), so that several upstash-local processes with the
//! same token on one Redis share one user and never clobber each other;
//! its password is derived from the token too (SHA-256 of a label and the
//! token, in hex), so that they agree on it. `ACL SETUSER` is sent the
//! password's SHA-256 (`#<hex>`), never the password itself; the password
//! is only ever sent in `AUTH`, which Redis leaves out of `SLOWLOG` and
//! `MONITOR`, and it never appears on a command line or in a message.
//!
//! A rule naming a command the server does not know (`WAITAOF` before
//! Redis 7.2) is left out: Redis would refuse the whole `ACL SETUSER`.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::protocol::Command;

/// Which of the two users.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// The full-access token's user.
    Full,
    /// The read-only token's user.
    ReadOnly,
}

impl Role {
    fn label(self) -> &'static str {
        match self {
            Role::Full => "rw",
            Role::ReadOnly => "ro",
        }
    }
}

/// The name of `role`'s user for `token`: `upstash-local-<rw|ro>-<12 hex
/// digits of the token's SHA-1>`.
pub(crate) fn user_name(role: Role, token: &str) -> String {
    let hex = sha1_smol::Sha1::from(token).digest().to_string();
    format!("upstash-local-{}-{}", role.label(), &hex[..12])
}

/// The password of `role`'s user for `token`, derived from it (see the
/// module docs).
pub(crate) fn password(role: Role, token: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"upstash-local ACL user password\0");
    hasher.update(role.label().as_bytes());
    hasher.update(b"\0");
    hasher.update(token.as_bytes());
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What the full-access user may run, after `+@all`.
const FULL_ACCESS_RULES: &[&str] = &[
    "-@admin",
    "-@dangerous",
    // Dangerous by Redis's categories, offered by the REST API (and by Upstash).
    "+keys",
    "+sort",
    "+sort_ro",
    "+flushdb",
    "+restore",
    "+acl|users",
    "+acl|dryrun",
    // Neither admin nor dangerous, refused all the same.
    "-select",
    "-move",
    "-client",
    "-script|debug",
    "-memory",
    "+memory|usage",
    "-cluster",
    "-lolwut",
    "-readonly",
    "-readwrite",
    "-asking",
    "-wait",
    "-waitaof",
];

/// What the read-only user may run.
const READ_ONLY_RULES: &[&str] = &[
    "+@read",
    "+ping",
    "+echo",
    "+time",
    "-keys",
    "-scan",
    "-lolwut",
    "+evalsha",
    "+eval_ro",
    "+evalsha_ro",
    "+fcall_ro",
    "+multi",
    "+exec",
    "+discard",
    "+subscribe",
    "+psubscribe",
    "+unsubscribe",
    "+punsubscribe",
];

/// `ACL SETUSER` for `role`'s user `name` with `password`, on a server
/// whose commands are `known` (`None`: unknown, every rule is kept), for
/// database `db` (which it may `SELECT`, and no other).
pub(crate) fn setuser(role: Role, name: &str, password: &str, db: i64, known: Option<&HashSet<String>>) -> Command {
    let mut rules: Vec<String> = vec![
        "ACL".into(),
        "SETUSER".into(),
        name.into(),
        "reset".into(),
        "on".into(),
        format!("#{}", hex(&Sha256::digest(password.as_bytes()))),
        "~*".into(),
        "&*".into(),
    ];
    let own = match role {
        Role::Full => {
            rules.push("+@all".into());
            FULL_ACCESS_RULES
        }
        Role::ReadOnly => READ_ONLY_RULES,
    };
    rules.extend(own.iter().filter(|rule| is_known(rule, known)).map(|rule| rule.to_string()));
    if db != 0 {
        // Connections select the URL's database as they open.
        rules.push(format!("+select|{db}"));
    }
    rules.into_iter().map(String::into_bytes).collect()
}

/// Whether the server knows the command a `+`/`-` rule names (categories
/// always are). A `container|subcommand` rule needs the subcommand known.
fn is_known(rule: &str, known: Option<&HashSet<String>>) -> bool {
    let Some(known) = known else {
        return true;
    };
    let name = &rule[1..];
    name.starts_with('@') || known.contains(name)
}

/// The names in `COMMAND LIST`'s reply, lower-cased (subcommands as
/// `container|subcommand`).
pub(crate) fn known_commands(names: impl IntoIterator<Item = Vec<u8>>) -> HashSet<String> {
    names.into_iter().map(|name| String::from_utf8_lossy(&name).to_ascii_lowercase()).collect()
}

/// `ACL DELUSER` for `name`.
pub(crate) fn deluser(name: &str) -> Command {
    vec![b"ACL".to_vec(), b"DELUSER".to_vec(), name.as_bytes().to_vec()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(command: &Command) -> Vec<String> {
        command.iter().map(|arg| String::from_utf8_lossy(arg).into_owned()).collect()
    }

    #[test]
    fn names_and_passwords_are_derived_from_the_token_and_never_show_it() {
        let token = "a-token-of-sixteen-chars";
        assert_eq!(user_name(Role::Full, token), user_name(Role::Full, token));
        assert!(user_name(Role::Full, token).starts_with("upstash-local-rw-"));
        assert!(user_name(Role::ReadOnly, token).starts_with("upstash-local-ro-"));
        let (full, read_only) = (password(Role::Full, token), password(Role::ReadOnly, token));
        assert_ne!(full, read_only);
        assert_eq!(full.len(), 64);
        assert_ne!(password(Role::Full, "another-token-0123456"), full);
        let rules = text(&setuser(Role::Full, "u", &full, 0, None)).join(" ");
        assert!(!rules.contains(token) && !rules.contains(&full), "{rules}");
        assert!(rules.contains(&format!("#{}", hex(&Sha256::digest(full.as_bytes())))), "{rules}");
    }

    #[test]
    fn rules_for_unknown_commands_are_left_out() {
        let known = known_commands(["get", "select", "memory|usage", "acl|users"].map(|n| n.as_bytes().to_vec()));
        let rules = text(&setuser(Role::Full, "u", "p", 2, Some(&known)));
        assert!(rules.contains(&"-select".to_string()) && rules.contains(&"+select|2".to_string()), "{rules:?}");
        assert!(rules.contains(&"+memory|usage".to_string()));
        assert!(!rules.contains(&"-waitaof".to_string()), "{rules:?}");
        assert!(rules.contains(&"-@dangerous".to_string()));
        let all = text(&setuser(Role::Full, "u", "p", 0, None));
        assert!(all.contains(&"-waitaof".to_string()));
        assert!(!all.iter().any(|rule| rule.starts_with("+select")), "{all:?}");
    }
}
