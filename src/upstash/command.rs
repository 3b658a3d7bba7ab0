//! Redis commands as sent over REST, and Lua scripts with their SHA1 digests.

/// One Redis command: a name and its arguments, sent as a JSON array of strings.
///
/// Upstash REST carries arguments as JSON strings, so an argument is text;
/// numbers are sent as their decimal form, which is what Redis parses.
///
/// ```
/// use edgecache::upstash::Command;
/// let set = Command::new("SET").arg("greeting").arg("hello").arg("PX").arg(5000);
/// assert_eq!(set.args(), ["SET", "greeting", "hello", "PX", "5000"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    args: Vec<String>,
}

impl Command {
    /// A command named `name` (e.g. `"GET"`), with no arguments yet.
    pub fn new(name: &str) -> Self {
        Command { args: vec![name.to_owned()] }
    }

    /// Appends one argument.
    pub fn arg(mut self, value: impl ToString) -> Self {
        self.args.push(value.to_string());
        self
    }

    /// Appends several arguments.
    pub fn args_from<I, T>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: ToString,
    {
        self.args.extend(values.into_iter().map(|v| v.to_string()));
        self
    }

    /// The command name followed by its arguments.
    pub fn args(&self) -> &[String] {
        &self.args
    }
}

/// A Lua script, identified by the SHA1 of its source as Redis does.
///
/// [`UpstashClient::eval`](super::UpstashClient::eval) runs it with `EVALSHA`
/// and falls back to `EVAL` (which also loads it) when Redis answers
/// `NOSCRIPT`, e.g. after a failover or `SCRIPT FLUSH`. Upstash asks scripts
/// to name every key they touch in `KEYS`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    source: &'static str,
    sha1: String,
}

impl Script {
    /// A script with the given Lua source.
    pub fn new(source: &'static str) -> Self {
        Script { source, sha1: sha1_smol::Sha1::from(source).digest().to_string() }
    }

    /// The lowercase hex SHA1 of the source (what `EVALSHA` takes).
    pub fn sha1(&self) -> &str {
        &self.sha1
    }

    /// The Lua source.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// `EVALSHA sha1 numkeys keys... args...`
    pub fn evalsha_command<K: ToString, A: ToString>(&self, keys: &[K], args: &[A]) -> Command {
        self.invocation("EVALSHA", &self.sha1, keys, args)
    }

    /// `EVAL source numkeys keys... args...`
    pub fn eval_command<K: ToString, A: ToString>(&self, keys: &[K], args: &[A]) -> Command {
        self.invocation("EVAL", self.source, keys, args)
    }

    fn invocation<K: ToString, A: ToString>(&self, verb: &str, body: &str, keys: &[K], args: &[A]) -> Command {
        Command::new(verb)
            .arg(body)
            .arg(keys.len())
            .args_from(keys.iter().map(ToString::to_string))
            .args_from(args.iter().map(ToString::to_string))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_digest_matches_redis_sha1() {
        // `redis-cli SCRIPT LOAD "return 1"` answers this digest.
        assert_eq!(Script::new("return 1").sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
    }

    #[test]
    fn evalsha_lists_keys_then_args() {
        let cmd = Script::new("return 1").evalsha_command(&["k1", "k2"], &[5]);
        assert_eq!(cmd.args(), ["EVALSHA", "e0e1f9fabfc9d4800c877a703b823ac0578ff8db", "2", "k1", "k2", "5"]);
    }
}
