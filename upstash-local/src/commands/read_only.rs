//! Which commands only read: a token sent in the query string (`?_token=`)
//! may run nothing else (see the `http` module).

use super::{name, subcommand};
use crate::protocol::Command;

/// Commands that only read, by Redis 7's command table (the `readonly`
/// flag), plus the flagless ones that change nothing (`PING`, `ECHO`,
/// `TIME`, `INFO`). A command missing here (one newer than this list, say)
/// counts as a write: the rule using this list fails closed.
const READ_ONLY: &[&str] = &[
    "bitcount",
    "bitfield_ro",
    "bitpos",
    "dbsize",
    "dump",
    "echo",
    "eval_ro",
    "evalsha_ro",
    "exists",
    "expiretime",
    "fcall_ro",
    "geodist",
    "geohash",
    "geopos",
    "georadius_ro",
    "georadiusbymember_ro",
    "geosearch",
    "get",
    "getbit",
    "getrange",
    "hexists",
    "hget",
    "hgetall",
    "hkeys",
    "hlen",
    "hmget",
    "hrandfield",
    "hscan",
    "hstrlen",
    "hvals",
    "info",
    "keys",
    "lcs",
    "lindex",
    "llen",
    "lpos",
    "lrange",
    "mget",
    "pexpiretime",
    "pfcount",
    "ping",
    "pttl",
    "randomkey",
    "scan",
    "scard",
    "sdiff",
    "sinter",
    "sintercard",
    "sismember",
    "smembers",
    "smismember",
    "sort_ro",
    "srandmember",
    "sscan",
    "strlen",
    "substr",
    "sunion",
    "time",
    "touch",
    "ttl",
    "type",
    "xlen",
    "xpending",
    "xrange",
    "xread",
    "xrevrange",
    "zcard",
    "zcount",
    "zdiff",
    "zinter",
    "zintercard",
    "zlexcount",
    "zmscore",
    "zrandmember",
    "zrange",
    "zrangebylex",
    "zrangebyscore",
    "zrank",
    "zrevrange",
    "zrevrangebylex",
    "zrevrangebyscore",
    "zrevrank",
    "zscan",
    "zscore",
    "zunion",
];

/// Whether `command` only reads (see [`READ_ONLY`]); subcommands count for
/// `OBJECT`, `XINFO`, `PUBSUB`, `COMMAND`, `MEMORY USAGE`, `SCRIPT EXISTS`
/// and `CONFIG GET`.
pub(crate) fn is_read_only(command: &Command) -> bool {
    let name = name(command);
    match name.as_str() {
        "object" | "xinfo" | "pubsub" | "command" => true,
        "memory" => subcommand(command) == "usage",
        "script" => subcommand(command) == "exists",
        "config" => subcommand(command) == "get",
        _ => READ_ONLY.binary_search(&name.as_str()).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(text: &str) -> Command {
        text.split(' ').map(|arg| arg.as_bytes().to_vec()).collect()
    }

    #[test]
    fn the_read_only_list_is_sorted_for_binary_search() {
        assert!(READ_ONLY.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn read_only_commands() {
        for text in [
            "GET k",
            "mget a b",
            "PING",
            "EVAL_RO s 0",
            "EVALSHA_RO d 0",
            "SCAN 0",
            "OBJECT ENCODING k",
            "XINFO STREAM s",
            "PUBSUB NUMSUB c",
            "SCRIPT EXISTS d",
            "CONFIG GET *",
            "MEMORY USAGE k",
            "INFO",
        ] {
            assert!(is_read_only(&cmd(text)), "{text}");
        }
        for text in [
            "SET k v",
            "FLUSHALL",
            "EVAL s 0",
            "EVALSHA d 0",
            "PUBLISH c m",
            "SCRIPT FLUSH",
            "SCRIPT LOAD s",
            "CONFIG SET notify-keyspace-events KEA",
            "DEL k",
            "HGETDEL k FIELDS 1 f",
            "NOSUCHCOMMAND",
        ] {
            assert!(!is_read_only(&cmd(text)), "{text}");
        }
    }
}
