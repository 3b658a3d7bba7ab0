//! Replies Upstash gives differently from Redis, reshaped after Redis
//! answers:
//!
//! - `CONFIG GET`: Upstash exposes only `notify-keyspace-events`; other
//!   parameters are left out of the reply (no error), so patterns such as
//!   `*` match that one parameter at most.
//! - `INFO`: Upstash answers the sections `server`, `clients`, `memory`,
//!   `stats`, `cluster` and `keyspace`; with no section (or `default`,
//!   `all`, `everything`) those, and a section asked for by name that is not
//!   one of them gets its heading alone. The `server` section leaves out the
//!   paths of the machine's files (`executable`, `config_file`), and the
//!   `keyspace` section shows the endpoint's own database only, as `db0`
//!   (on Upstash a database is the whole server).
//! - `FLUSHALL`: on Upstash a database is the whole server, so `FLUSHALL`
//!   empties the endpoint's database: upstash-local sends `FLUSHDB` (with
//!   the same `ASYNC`/`SYNC` argument) instead, and other databases of the
//!   Redis server it fronts keep their keys.

use crate::commands::{name, CONFIGURABLE};
use crate::protocol::Command;
use crate::resp::Value;

/// The INFO sections Upstash answers.
const INFO_SECTIONS: &[&str] = &["server", "clients", "memory", "stats", "cluster", "keyspace"];
/// INFO fields left out: paths on the machine running Redis.
const HIDDEN_INFO_FIELDS: &[&str] = &["executable", "config_file"];

/// How a command's successful reply is reshaped before the client sees it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Adjust {
    /// The reply is this string instead (a `SCRIPT LOAD` of a script whose
    /// shebang was rewritten answers the client's digest).
    Replace(Vec<u8>),
    /// `CONFIG GET`: only `notify-keyspace-events` stays.
    ConfigGet,
    /// `INFO`: only Upstash's sections; `named` are the sections asked for
    /// by name (empty for the default set); `db` is the endpoint's database.
    Info { named: Vec<String>, db: i64 },
}

/// `command` as Redis is sent it: `FLUSHALL [ASYNC|SYNC]` becomes `FLUSHDB
/// [ASYNC|SYNC]` (see the module docs).
pub(crate) fn rewrite(command: &mut Command) {
    if command[0].eq_ignore_ascii_case(b"flushall") {
        command[0] = b"FLUSHDB".to_vec();
    }
}

/// The reshaping `command`'s reply needs, if any (see the module docs), for
/// an endpoint fronting database `db`.
pub(crate) fn adjustment(command: &Command, db: i64) -> Option<Adjust> {
    match name(command).as_str() {
        "config" if command.get(1).is_some_and(|sub| sub.eq_ignore_ascii_case(b"get")) => Some(Adjust::ConfigGet),
        "info" => {
            let named: Vec<String> = command[1..]
                .iter()
                .map(|section| String::from_utf8_lossy(section).to_ascii_lowercase())
                .filter(|section| !matches!(section.as_str(), "default" | "all" | "everything"))
                .collect();
            Some(Adjust::Info { named, db })
        }
        _ => None,
    }
}

impl Adjust {
    /// `value` (a successful reply) as the client sees it.
    pub(crate) fn apply(&self, value: Value) -> Value {
        match (self, value) {
            (Adjust::Replace(answer), _) => Value::Bulk(answer.clone()),
            (Adjust::ConfigGet, Value::Array(items)) => Value::Array(configurable_only(items)),
            (Adjust::Info { named, db }, Value::Bulk(text)) => Value::Bulk(info_subset(&text, named, *db)),
            (_, value) => value,
        }
    }
}

fn is_configurable(name: &Value) -> bool {
    matches!(name, Value::Bulk(bytes) if bytes.eq_ignore_ascii_case(CONFIGURABLE.as_bytes()))
}

/// A flat `[name, value, name, value...]` reply without the pairs of other parameters.
fn configurable_only(items: Vec<Value>) -> Vec<Value> {
    let mut kept = Vec::new();
    let mut items = items.into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        if is_configurable(&name) {
            kept.extend([name, value]);
        }
    }
    kept
}

/// INFO's text with only Upstash's sections (each `# Heading` line starts
/// one), the hidden fields left out, and of the keyspace only database
/// `db`, shown as `db0`; sections in `named` that are not Upstash's keep
/// their heading alone.
fn info_subset(text: &[u8], named: &[String], db: i64) -> Vec<u8> {
    let text = String::from_utf8_lossy(text);
    let own_database = format!("db{db}");
    let mut out = String::new();
    let mut section = String::new();
    let mut keep_lines = false;
    for line in text.split_inclusive('\n') {
        if let Some(heading) = line.strip_prefix("# ") {
            section = heading.trim_end().to_ascii_lowercase();
            keep_lines = INFO_SECTIONS.contains(&section.as_str());
            if keep_lines || named.contains(&section) {
                out.push_str(line);
            }
            continue;
        }
        let (field, rest) = line.split_once(':').unwrap_or((line, ""));
        if !keep_lines || HIDDEN_INFO_FIELDS.contains(&field) {
            continue;
        }
        if section == "keyspace" && field.starts_with("db") {
            if field == own_database {
                out.push_str("db0:");
                out.push_str(rest);
            }
            continue;
        }
        out.push_str(line);
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::Bulk(text.as_bytes().to_vec())
    }

    fn cmd(text: &str) -> Command {
        text.split(' ').map(|arg| arg.as_bytes().to_vec()).collect()
    }

    #[test]
    fn config_get_keeps_only_notify_keyspace_events() {
        let reply = Value::Array(vec![
            bulk("dir"),
            bulk("/var/lib/redis"),
            bulk("notify-keyspace-events"),
            bulk("KEA"),
            bulk("requirepass"),
            bulk("secret"),
        ]);
        let adjust = adjustment(&cmd("config get *"), 0).unwrap();
        assert_eq!(adjust.apply(reply), Value::Array(vec![bulk("notify-keyspace-events"), bulk("KEA")]));
        assert_eq!(adjust.apply(Value::Array(vec![bulk("dir"), bulk("/x")])), Value::Array(vec![]));
    }

    #[test]
    fn info_answers_upstashs_sections_without_paths() {
        let text =
            "# Server\r\nredis_version:7.0.15\r\nexecutable:/usr/bin/redis-server\r\nconfig_file:/etc/r.conf\r\n\r\n\
                    # Persistence\r\nloading:0\r\n\r\n# Keyspace\r\ndb0:keys=1\r\ndb3:keys=7\r\n";
        let default = adjustment(&cmd("INFO"), 0).unwrap();
        assert_eq!(
            default.apply(bulk(text)),
            bulk("# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=1\r\n")
        );
        let fronting_3 = adjustment(&cmd("INFO keyspace"), 3).unwrap();
        assert_eq!(
            fronting_3.apply(bulk(text)),
            bulk("# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=7\r\n")
        );
        let named = adjustment(&cmd("INFO persistence"), 0).unwrap();
        assert_eq!(named.apply(bulk("# Persistence\r\nloading:0\r\n")), bulk("# Persistence\r\n"));
        assert_eq!(adjustment(&cmd("INFO all"), 0), Some(Adjust::Info { named: vec![], db: 0 }));
    }

    #[test]
    fn flushall_empties_the_endpoints_database() {
        for (given, sent) in
            [("FLUSHALL", "FLUSHDB"), ("flushall ASYNC", "FLUSHDB ASYNC"), ("FLUSHDB SYNC", "FLUSHDB SYNC")]
        {
            let mut command = cmd(given);
            rewrite(&mut command);
            assert_eq!(command, cmd(sent));
        }
    }

    #[test]
    fn other_commands_are_left_alone() {
        assert_eq!(adjustment(&cmd("CONFIG SET notify-keyspace-events KEA"), 0), None);
        assert_eq!(adjustment(&cmd("GET k"), 0), None);
    }
}
