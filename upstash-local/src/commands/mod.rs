//! Which commands the REST API runs, refuses, or treats as read-only.
//!
//! The rules, each with the reason a refused client is told:
//!
//! - **Blocking commands** (`BLPOP`, `BRPOP`, `BRPOPLPUSH`, `BLMOVE`,
//!   `BLMPOP`, `BZPOPMIN`, `BZPOPMAX`, `BZMPOP`, `WAIT`, `WAITAOF`, and
//!   `XREAD`/`XREADGROUP` with `BLOCK`): a REST request cannot hold a
//!   connection open waiting, as on Upstash's REST API.
//! - **Command-by-command transactions** (`MULTI`, `EXEC`, `DISCARD`,
//!   `WATCH`, `UNWATCH`): use `/multi-exec`.
//! - **Long-lived connections** (`SUBSCRIBE`, `PSUBSCRIBE`, `SSUBSCRIBE`,
//!   their `UNSUBSCRIBE`s, `MONITOR`): use `/subscribe`, `/psubscribe`,
//!   `/monitor`.
//! - **Connection commands** other than `PING` and `ECHO` (`AUTH`, `HELLO`,
//!   `SELECT`, `QUIT`, `RESET`, `CLIENT ...`), as on Upstash's REST API.
//! - **Administrative commands**, which Upstash does not offer: `SHUTDOWN`,
//!   `REPLICAOF`/`SLAVEOF`, `FAILOVER`, `SYNC`, `PSYNC`, `REPLCONF`,
//!   `MIGRATE`, `DEBUG`, `MODULE`, `SAVE`, `BGSAVE`, `BGREWRITEAOF`,
//!   `LASTSAVE`, `SLOWLOG`, `LATENCY`, `ROLE`, `CLUSTER`, `READONLY`,
//!   `READWRITE`, `ASKING`, `RESTORE-ASKING`, `PFDEBUG`, `PFSELFTEST`,
//!   `LOLWUT`, and `MEMORY` except `MEMORY USAGE`; `SWAPDB` and `MOVE`
//!   (one database per endpoint).
//! - **`CONFIG`**: as on Upstash, only `notify-keyspace-events` can be read
//!   (`CONFIG GET`, whose reply leaves every other parameter out) or set
//!   (`CONFIG SET`); other subcommands are refused.
//! - **`ACL`**: `CAT`, `DRYRUN`, `GENPASS`, `HELP`, `USERS` and `WHOAMI`
//!   run; the rest is refused, unlike Upstash: upstash-local fronts a whole
//!   Redis server, often shared, whose users are not the REST API's to
//!   change or list (Upstash's `RESTTOKEN` and `GENTOKEN` do not exist here:
//!   upstash-local's tokens are set when it starts).
//! - **`FLUSHALL`, `FLUSHDB`, `SCRIPT FLUSH`, `FUNCTION FLUSH`, `KEYS`,
//!   `INFO`** run, as on Upstash (`FLUSHALL` empties the endpoint's
//!   database only, and `INFO` answers a subset of sections, see
//!   [`crate::emulated`]).
//!
//! Everything else goes to Redis, which answers as it does.
//!
//! Separately, [`is_read_only`] says which commands only read: a token sent
//! in the query string (`?_token=`) may run nothing else (see the `http` module).

use crate::protocol::Command;

mod read_only;

pub(crate) use read_only::is_read_only;

/// Why commands of a kind are refused.
const BLOCKING: &str = "blocking commands are not supported over REST";
const TRANSACTION: &str = "transactions cannot be built command by command over REST, use /multi-exec";
const LONG_LIVED: &str = "it needs a long-lived connection, which is not supported over REST";
const CONNECTION: &str = "connection commands other than PING and ECHO are not supported over REST";
const ADMIN: &str = "administrative commands are not available over REST (Upstash does not offer them either)";
const ONE_DATABASE: &str = "there is one database per REST endpoint, as on Upstash";
const DEBUGGER: &str = "the Lua debugger holds its connection, and in SYNC mode the whole Redis server, until a \
                        client answers its prompts; Upstash does not offer it";
const CONFIG: &str = "only CONFIG GET and CONFIG SET of notify-keyspace-events are available, as on Upstash";
const ACL: &str = "upstash-local fronts a whole Redis server, whose users are not the REST API's to change or list; \
                   ACL CAT, DRYRUN, GENPASS, HELP, USERS and WHOAMI are available";
const ACL_UPSTASH_ONLY: &str = "Upstash-only: upstash-local's tokens are set when it starts";

/// The one configuration parameter Upstash lets clients read and set.
pub(crate) const CONFIGURABLE: &str = "notify-keyspace-events";

/// The command's name, lower-cased (`"get"`).
pub(crate) fn name(command: &Command) -> String {
    String::from_utf8_lossy(&command[0]).to_ascii_lowercase()
}

/// The command's first argument, lower-cased: its subcommand, for commands
/// that have them (`CONFIG GET` → `"get"`).
fn subcommand(command: &Command) -> String {
    command.get(1).map(|sub| String::from_utf8_lossy(sub).to_ascii_lowercase()).unwrap_or_default()
}

/// Why the REST API refuses `command` without sending it to Redis, if it
/// does: `ERR command '<name>' is not allowed: <why>`, answered as a 400
/// `{"error": ...}` (Upstash's shape for an unsupported command).
pub(crate) fn refusal(command: &Command) -> Option<String> {
    let name = name(command);
    let sub = subcommand(command);
    let refused = |shown: String, why: &str| Some(format!("ERR command '{shown}' is not allowed: {why}"));
    let with_sub = || if sub.is_empty() { name.clone() } else { format!("{name} {sub}") };
    match name.as_str() {
        "blpop" | "brpop" | "brpoplpush" | "blmove" | "blmpop" | "bzpopmin" | "bzpopmax" | "bzmpop" | "wait"
        | "waitaof" => refused(name, BLOCKING),
        "xread" | "xreadgroup" if has_block_option(&name, &command[1..]) => {
            refused(name, "BLOCK makes it a blocking command, which is not supported over REST")
        }
        "multi" | "exec" | "discard" | "watch" | "unwatch" => refused(name, TRANSACTION),
        "subscribe" | "psubscribe" => refused(
            name,
            "it needs a long-lived connection: stream it from /subscribe/<channel> or /psubscribe/<pattern>",
        ),
        "monitor" => refused(name, "it needs a long-lived connection: stream it from /monitor"),
        "ssubscribe" | "unsubscribe" | "punsubscribe" | "sunsubscribe" => refused(name, LONG_LIVED),
        "auth" | "select" | "quit" | "hello" | "reset" | "client" => refused(name, CONNECTION),
        "shutdown" | "replicaof" | "slaveof" | "failover" | "sync" | "psync" | "replconf" | "migrate" | "debug"
        | "module" | "save" | "bgsave" | "bgrewriteaof" | "lastsave" | "slowlog" | "latency" | "role" | "cluster"
        | "readonly" | "readwrite" | "asking" | "restore-asking" | "pfdebug" | "pfselftest" | "lolwut" => {
            refused(name, ADMIN)
        }
        "memory" if sub != "usage" => refused(with_sub(), ADMIN),
        "swapdb" | "move" => refused(name, ONE_DATABASE),
        // COPY source destination [DB destination-db] [REPLACE]
        "copy" if command.iter().skip(3).any(|arg| arg.eq_ignore_ascii_case(b"db")) => {
            refused("copy ... db".to_string(), ONE_DATABASE)
        }
        "script" if sub == "debug" => refused(with_sub(), DEBUGGER),
        "config" => match sub.as_str() {
            "get" => None,
            "set" if sets_only_the_configurable_parameter(&command[2..]) => None,
            _ => refused(with_sub(), CONFIG),
        },
        "acl" => match sub.as_str() {
            "cat" | "dryrun" | "genpass" | "help" | "users" | "whoami" => None,
            "resttoken" | "gentoken" => refused(with_sub(), ACL_UPSTASH_ONLY),
            _ => refused(with_sub(), ACL),
        },
        _ => None,
    }
}

/// Whether `command` would leave its connection in a state of its own:
/// selecting a database, authenticating, in a transaction, subscribed,
/// monitoring, in the Lua debugger, replying differently (`CLIENT REPLY`),
/// tracking keys... The REST API refuses each of these (see [`refusal`]);
/// a connection that ran one anyway is closed, not pooled.
pub(crate) fn changes_connection_state(command: &Command) -> bool {
    match name(command).as_str() {
        "select" | "auth" | "hello" | "reset" | "quit" | "client" | "readonly" | "readwrite" | "asking" | "multi"
        | "watch" | "subscribe" | "psubscribe" | "ssubscribe" | "monitor" | "sync" | "psync" | "replconf" => true,
        "script" => subcommand(command) == "debug",
        _ => false,
    }
}

/// Whether `CONFIG SET`'s parameter/value pairs all name the one parameter
/// Upstash lets clients set (an odd count is left for Redis to refuse).
fn sets_only_the_configurable_parameter(pairs: &[Vec<u8>]) -> bool {
    !pairs.is_empty()
        && pairs.iter().step_by(2).all(|parameter| parameter.eq_ignore_ascii_case(CONFIGURABLE.as_bytes()))
}

/// Whether XREAD/XREADGROUP options (everything before STREAMS) include BLOCK.
fn has_block_option(name: &str, args: &[Vec<u8>]) -> bool {
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = String::from_utf8_lossy(arg).to_ascii_uppercase();
        match arg.as_str() {
            "BLOCK" => return true,
            "STREAMS" => return false,
            "COUNT" => {
                args.next();
            }
            "GROUP" if name == "xreadgroup" => {
                args.nth(1);
            }
            _ => {}
        }
    }
    false
}

/// Whether `command` runs a script or a function (`EVAL`, `EVALSHA`,
/// `EVAL_RO`, `EVALSHA_RO`, `FCALL`, `FCALL_RO`), which Redis can only stop
/// with `SCRIPT KILL` or `FUNCTION KILL`.
pub(crate) fn runs_code(command: &Command) -> Option<CodeKind> {
    match name(command).as_str() {
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" => Some(CodeKind::Script),
        "fcall" | "fcall_ro" => Some(CodeKind::Function),
        _ => None,
    }
}

/// What kind of code a command runs, and so how to stop it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CodeKind {
    /// A Lua script (`EVAL`...): stopped by `SCRIPT KILL`.
    Script,
    /// A function (`FCALL`...): stopped by `FUNCTION KILL`.
    Function,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(text: &str) -> Command {
        text.split(' ').map(|arg| arg.as_bytes().to_vec()).collect()
    }

    #[test]
    fn administrative_commands_are_refused_naming_themselves() {
        for text in [
            "SHUTDOWN NOSAVE",
            "replicaof 127.0.0.1 1",
            "SLAVEOF no one",
            "MIGRATE h 1 k 0 5000",
            "SYNC",
            "PSYNC ? -1",
            "DEBUG SLEEP 1",
            "MODULE LIST",
            "BGSAVE",
            "SAVE",
            "FAILOVER",
            "LATENCY RESET",
            "SLOWLOG GET",
            "CLUSTER INFO",
            "SWAPDB 0 1",
            "MOVE k 1",
            "COPY a b DB 1",
            "copy a b replace db 0",
            "SCRIPT DEBUG SYNC",
            "script debug yes",
            "SCRIPT DEBUG NO",
        ] {
            let why = refusal(&cmd(text)).unwrap_or_else(|| panic!("{text} runs"));
            let name = text.split(' ').next().unwrap().to_ascii_lowercase();
            assert!(why.starts_with(&format!("ERR command '{name}")), "{why}");
            assert!(why.contains("' is not allowed: "), "{why}");
        }
    }

    #[test]
    fn blocking_commands_are_refused() {
        for text in ["WAIT 1 0", "WAITAOF 0 1 0", "BLPOP k 0", "bzmpop 0 1 k MIN", "XREAD COUNT 2 BLOCK 0 STREAMS s 0"]
        {
            let why = refusal(&cmd(text)).unwrap_or_else(|| panic!("{text} runs"));
            assert!(why.contains("blocking"), "{why}");
        }
        assert!(refusal(&cmd("xread streams block 0")).is_none());
        assert!(refusal(&cmd("XREADGROUP GROUP block c STREAMS s >")).is_none());
        assert!(refusal(&cmd("XREADGROUP GROUP g c block 10 STREAMS s >")).is_some());
    }

    #[test]
    fn config_is_limited_to_notify_keyspace_events() {
        assert_eq!(refusal(&cmd("CONFIG GET *")), None, "answered, with the reply filtered");
        assert_eq!(refusal(&cmd("config set notify-keyspace-events KEA")), None);
        assert_eq!(refusal(&cmd("CONFIG SET Notify-Keyspace-Events Ex notify-keyspace-events KEA")), None);
        for text in ["CONFIG SET maxmemory 1", "CONFIG SET notify-keyspace-events KEA dir /tmp", "CONFIG REWRITE"] {
            let why = refusal(&cmd(text)).unwrap_or_else(|| panic!("{text} runs"));
            assert!(why.contains("notify-keyspace-events"), "{why}");
        }
        assert!(refusal(&cmd("CONFIG RESETSTAT")).unwrap().starts_with("ERR command 'config resetstat'"));
    }

    #[test]
    fn acl_may_only_look_at_itself() {
        for text in ["ACL WHOAMI", "ACL CAT", "acl genpass", "ACL USERS", "ACL DRYRUN default GET k"] {
            assert_eq!(refusal(&cmd(text)), None, "{text}");
        }
        for text in ["ACL SETUSER x on", "ACL DELUSER x", "ACL LIST", "ACL GETUSER default", "ACL LOG", "ACL SAVE"] {
            assert!(refusal(&cmd(text)).is_some(), "{text}");
        }
        assert!(refusal(&cmd("ACL RESTTOKEN default p")).unwrap().contains("Upstash-only"));
    }

    #[test]
    fn what_upstash_offers_runs() {
        for text in [
            "FLUSHALL",
            "FLUSHDB ASYNC",
            "COPY a b",
            "COPY db DB",
            "COPY a b REPLACE",
            "SCRIPT FLUSH",
            "SCRIPT LOAD x",
            "SCRIPT KILL",
            "FUNCTION FLUSH",
            "INFO memory",
            "DBSIZE",
            "TIME",
            "KEYS *",
            "MEMORY USAGE k",
            "PUBLISH c m",
            "PING",
            "ECHO x",
        ] {
            assert_eq!(refusal(&cmd(text)), None, "{text}");
        }
        assert!(refusal(&cmd("MEMORY STATS")).is_some());
    }

    #[test]
    fn connection_transaction_and_pubsub_commands_say_what_to_use_instead() {
        assert!(refusal(&cmd("MULTI")).unwrap().contains("/multi-exec"));
        assert!(refusal(&cmd("SUBSCRIBE c")).unwrap().contains("/subscribe/<channel>"));
        assert!(refusal(&cmd("MONITOR")).unwrap().contains("/monitor"));
        assert!(refusal(&cmd("CLIENT PAUSE 1000")).unwrap().contains("PING and ECHO"));
        assert!(refusal(&cmd("SELECT 1")).is_some());
    }

    #[test]
    fn everything_that_changes_a_connections_state_is_refused() {
        for text in [
            "SELECT 1",
            "AUTH x",
            "HELLO 3",
            "RESET",
            "QUIT",
            "CLIENT REPLY OFF",
            "CLIENT TRACKING ON",
            "CLIENT SETNAME x",
            "READONLY",
            "READWRITE",
            "ASKING",
            "MULTI",
            "WATCH k",
            "SUBSCRIBE c",
            "PSUBSCRIBE c",
            "SSUBSCRIBE c",
            "MONITOR",
            "SCRIPT DEBUG YES",
            "SYNC",
            "PSYNC ? -1",
            "REPLCONF x y",
        ] {
            assert!(changes_connection_state(&cmd(text)), "{text}");
            assert!(refusal(&cmd(text)).is_some(), "{text} changes a pooled connection's state");
        }
        for text in ["SCRIPT LOAD x", "GET k", "EXEC", "PING"] {
            assert!(!changes_connection_state(&cmd(text)), "{text}");
        }
    }

    #[test]
    fn code_runners() {
        assert_eq!(runs_code(&cmd("EVAL s 0")), Some(CodeKind::Script));
        assert_eq!(runs_code(&cmd("evalsha_ro d 0")), Some(CodeKind::Script));
        assert_eq!(runs_code(&cmd("FCALL f 0")), Some(CodeKind::Function));
        assert_eq!(runs_code(&cmd("GET k")), None);
    }
}
