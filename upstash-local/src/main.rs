//! The `upstash-local` command: serves the Upstash Redis REST API in front
//! of a real redis-server until stopped, or, as `upstash-local own-redis`,
//! runs a redis-server of its own for a test suite.
//!
//! Tokens come from the environment or from files, never from the command
//! line: every user of the machine can read a process's arguments (`ps`).

use std::ffi::OsString;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use upstash_local::testing::OwnRedis;
use upstash_local::{Config, Limits, Server};

/// Serve the Upstash Redis REST API in front of a real redis-server.
///
/// With no subcommand, serves until SIGINT (Ctrl-C) or SIGTERM, after
/// printing `upstash-local listening on http://<address>`: commands (`POST
/// /`, path style, `/pipeline`, `/multi-exec`), Redis pub/sub and MONITOR as
/// Server-Sent Events (`/subscribe/<channel>`, `/psubscribe/<pattern>`,
/// `/monitor`), and its own `/__local/stats` request count. The full-access
/// token is required: set UPSTASH_LOCAL_TOKEN, or pass --token-file. A
/// read-only token is optional: UPSTASH_LOCAL_READ_ONLY_TOKEN or
/// --read-only-token-file. Give each token one way only; each must be at
/// least 16 characters long, and the two must differ. Tokens are never
/// taken on the command line, where `ps` shows them to every user.
#[derive(Parser)]
#[command(version, about, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a redis-server of its own, for a test suite.
    ///
    /// Starts redis-server on a free loopback port (no persistence: --save ""
    /// --appendonly no), waits until it answers, prints exactly one line,
    /// `redis listening on redis://127.0.0.1:<port>`, and stops it, exiting
    /// 0, on SIGTERM, SIGINT or end of standard input (so it also stops when
    /// the process that started it dies, if that process holds its stdin).
    /// Tests may do anything to that Redis (stop it, FLUSHALL, CONFIG SET)
    /// without touching the machine's shared one.
    OwnRedis,
}

/// What the server is told on its command line.
#[derive(Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port, printed at startup).
    #[arg(long, default_value = "127.0.0.1:8079")]
    listen: SocketAddr,
    /// Redis to serve. A password in it is visible to `ps` on the command
    /// line, like any argument: give such a URL in UPSTASH_LOCAL_REDIS_URL
    /// instead (messages show the password as ***).
    #[arg(long, env = "UPSTASH_LOCAL_REDIS_URL", hide_env_values = true, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// How long a request waits for Redis's answer before it gets a 500,
    /// its Redis connection is closed and a script it ran is killed.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..))]
    command_timeout_ms: u64,
    /// File holding the full-access token (surrounding whitespace trimmed);
    /// instead of setting UPSTASH_LOCAL_TOKEN.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// File holding the read-only token (surrounding whitespace trimmed);
    /// instead of setting UPSTASH_LOCAL_READ_ONLY_TOKEN. Requests with it
    /// run as a Redis ACL user that can only read (and subscribe).
    #[arg(long, value_name = "PATH")]
    read_only_token_file: Option<PathBuf>,
    /// No longer accepted: refused with a pointer to the alternatives.
    #[arg(long, hide = true, value_name = "TOKEN")]
    token: Option<OsString>,
    /// No longer accepted: refused with a pointer to the alternatives.
    #[arg(long, hide = true, value_name = "TOKEN")]
    read_only_token: Option<OsString>,
}

/// Where one token may come from: an environment variable or a file flag.
struct TokenSource {
    /// The environment variable holding the token itself.
    env: &'static str,
    /// The flag naming a file that holds it.
    file_flag: &'static str,
    /// The flag that used to take it on the command line.
    old_flag: &'static str,
}

/// The shortest token accepted: anything shorter is guessable.
const MIN_TOKEN_LENGTH: usize = 16;

const FULL_TOKEN: TokenSource =
    TokenSource { env: "UPSTASH_LOCAL_TOKEN", file_flag: "--token-file", old_flag: "--token" };
const READ_ONLY_TOKEN: TokenSource = TokenSource {
    env: "UPSTASH_LOCAL_READ_ONLY_TOKEN",
    file_flag: "--read-only-token-file",
    old_flag: "--read-only-token",
};

impl TokenSource {
    /// The token from exactly one of the variable (`env_value`, as read from
    /// the environment) and `file`; `None` when neither gives one. Errors
    /// name the variable or flag at fault and never contain the token.
    fn read(&self, env_value: Option<OsString>, file: Option<&Path>) -> Result<Option<String>, String> {
        let token = match (env_value, file) {
            (Some(_), Some(_)) => {
                return Err(format!("{} is set and {} is given: give the token one way only", self.env, self.file_flag))
            }
            (Some(value), None) => match value.into_string() {
                Ok(token) if token.is_empty() => return Err(format!("{} is set but empty", self.env)),
                Ok(token) => (token, self.env.to_string()),
                Err(_) => return Err(format!("{} is not valid UTF-8", self.env)),
            },
            (None, Some(path)) => (self.read_file(path)?, format!("{} {}", self.file_flag, path.display())),
            (None, None) => return Ok(None),
        };
        match token {
            (token, _) if token.chars().count() >= MIN_TOKEN_LENGTH => Ok(Some(token)),
            (_, source) => {
                Err(format!("{source}: the token is too short: give one of at least {MIN_TOKEN_LENGTH} characters"))
            }
        }
    }

    /// The token in `path`, trimmed.
    fn read_file(&self, path: &Path) -> Result<String, String> {
        let flag = self.file_flag;
        let bytes = std::fs::read(path).map_err(|err| format!("{flag} {}: cannot read it: {err}", path.display()))?;
        let text = String::from_utf8(bytes).map_err(|_| format!("{flag} {}: not UTF-8 text", path.display()))?;
        match text.trim() {
            "" => Err(format!("{flag} {}: the file is empty", path.display())),
            token => Ok(token.to_string()),
        }
    }

    /// The error for a token given on the command line (its value unshown).
    fn refuse_old_flag(&self) -> String {
        format!(
            "{} is no longer accepted (`ps` shows command lines to every user): set {} or pass {} PATH",
            self.old_flag, self.env, self.file_flag
        )
    }
}

/// The server's configuration from its arguments and the environment.
fn serve_config(args: ServeArgs) -> Result<Config, String> {
    if args.token.is_some() {
        return Err(FULL_TOKEN.refuse_old_flag());
    }
    if args.read_only_token.is_some() {
        return Err(READ_ONLY_TOKEN.refuse_old_flag());
    }
    let token = FULL_TOKEN.read(std::env::var_os(FULL_TOKEN.env), args.token_file.as_deref())?.ok_or_else(|| {
        format!("no token: set {} or pass {} PATH (it is required)", FULL_TOKEN.env, FULL_TOKEN.file_flag)
    })?;
    let read_only_token =
        READ_ONLY_TOKEN.read(std::env::var_os(READ_ONLY_TOKEN.env), args.read_only_token_file.as_deref())?;
    if read_only_token.as_ref() == Some(&token) {
        return Err("the read-only token is the full-access token: give two different tokens".to_string());
    }
    Ok(Config { listen: args.listen, redis_url: args.redis_url, token, read_only_token })
}

/// The server's limits from its arguments.
fn serve_limits(args: &ServeArgs) -> Limits {
    Limits { command_timeout: Duration::from_millis(args.command_timeout_ms), ..Limits::default() }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::OwnRedis) => own_redis().await,
        None => serve(cli.serve).await,
    }
}

async fn serve(args: ServeArgs) -> ExitCode {
    let limits = serve_limits(&args);
    let config = match serve_config(args) {
        Ok(config) => config,
        Err(text) => {
            eprintln!("upstash-local: {text}");
            return ExitCode::FAILURE;
        }
    };
    let server = match Server::start_with(config, limits).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("upstash-local: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let stop = stop_signal();
    println!("upstash-local listening on {}", server.url());
    let _ = std::io::stdout().flush();
    stop.await;
    server.stop().await;
    ExitCode::SUCCESS
}

async fn own_redis() -> ExitCode {
    let mut redis = match OwnRedis::try_start() {
        Ok(redis) => redis,
        Err(err) => {
            eprintln!("upstash-local own-redis: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let stop = stop_signal();
    println!("redis listening on {}", redis.url());
    let _ = std::io::stdout().flush();
    tokio::select! {
        () = stop => {}
        () = stdin_closed() => {}
    }
    redis.stop();
    ExitCode::SUCCESS
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM. The handlers are installed when
/// this is called, not when first polled, so that a signal sent as soon as
/// the caller announces itself is never missed.
fn stop_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut interrupt), Ok(mut terminate)) => {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                }
                (Err(err), _) | (_, Err(err)) => {
                    eprintln!("upstash-local: cannot wait for SIGINT/SIGTERM: {err}");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            eprintln!("upstash-local: cannot wait for Ctrl-C: {err}");
            std::future::pending::<()>().await;
        }
    }
}

/// Resolves when standard input reaches its end. Read on a plain thread:
/// a blocking read cannot be cancelled, and tokio's stdin would hold up the
/// runtime's shutdown until it returned.
async fn stdin_closed() {
    let (closed, on_close) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = closed.send(());
    });
    let _ = on_close.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_with(content: &str) -> PathBuf {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("upstash-local-token-{}-{n}", std::process::id()));
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn a_token_comes_from_the_variable_or_the_trimmed_file() {
        assert_eq!(FULL_TOKEN.read(Some("from-env-0123456789".into()), None), Ok(Some("from-env-0123456789".into())));
        let file = file_with("  from-file-0123456789\n");
        assert_eq!(FULL_TOKEN.read(None, Some(&file)), Ok(Some("from-file-0123456789".into())));
        assert_eq!(FULL_TOKEN.read(None, None), Ok(None));
        std::fs::remove_file(file).unwrap();
    }

    #[test]
    fn token_errors_name_the_source_and_never_the_token() {
        let file = file_with("secret-in-file");
        let both = FULL_TOKEN.read(Some("secret-in-env".into()), Some(&file)).unwrap_err();
        assert!(both.contains("UPSTASH_LOCAL_TOKEN") && both.contains("--token-file"), "{both}");
        assert!(!both.contains("secret"), "{both}");
        std::fs::remove_file(file).unwrap();

        let empty = file_with(" \n");
        let text = READ_ONLY_TOKEN.read(None, Some(&empty)).unwrap_err();
        assert!(text.starts_with("--read-only-token-file ") && text.ends_with("the file is empty"), "{text}");
        std::fs::remove_file(empty).unwrap();

        let missing = std::env::temp_dir().join("upstash-local-no-such-token-file");
        let text = FULL_TOKEN.read(None, Some(&missing)).unwrap_err();
        assert!(text.starts_with("--token-file ") && text.contains("cannot read it"), "{text}");
        assert_eq!(FULL_TOKEN.read(Some("".into()), None).unwrap_err(), "UPSTASH_LOCAL_TOKEN is set but empty");
    }

    #[test]
    fn short_tokens_are_refused() {
        let text = FULL_TOKEN.read(Some("secret-15-chars".into()), None).unwrap_err();
        assert_eq!(text, "UPSTASH_LOCAL_TOKEN: the token is too short: give one of at least 16 characters");
        let file = file_with("short\n");
        let text = READ_ONLY_TOKEN.read(None, Some(&file)).unwrap_err();
        assert!(text.starts_with("--read-only-token-file ") && text.ends_with("at least 16 characters"), "{text}");
        std::fs::remove_file(file).unwrap();
        assert!(FULL_TOKEN.read(Some("é".repeat(16).into()), None).is_ok(), "characters, not bytes");
    }
}
