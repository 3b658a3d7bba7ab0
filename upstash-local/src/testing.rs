//! A redis-server of one's own, for tests and the `upstash-local own-redis`
//! command.
//!
//! Tests that do anything destructive to Redis (stop it, `FLUSHALL`,
//! `CONFIG SET`, `SHUTDOWN`) must do it to a redis-server they started
//! themselves, never to the machine's shared one on 127.0.0.1:6379.
//! [`OwnRedis::start`] is that server: its own free loopback port, no
//! persistence, gone when the handle is dropped. Every test suite of this
//! repository starts its Redis through here (the Rust suites directly, the
//! JavaScript ones through `upstash-local own-redis`), so there is one
//! launcher to fix when something about starting Redis changes.
//!
//! This module is compiled in every build (it is small and has no extra
//! dependencies), but it is not part of serving the REST API.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};

/// How long a new redis-server gets to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How often to retry [`OwnRedis::try_start`] when the free port was taken
/// by someone else between choosing it and redis-server binding it.
const PORT_ATTEMPTS: usize = 3;
/// How many of redis-server's last log lines an error shows.
const LOG_LINES_KEPT: usize = 20;

/// A loopback port that was free a moment ago (the OS picked it for a
/// listener that is closed again before this returns). Another process may
/// take it before the caller binds it; callers that spawn servers on it
/// should notice that and retry.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("the OS hands out a free loopback port")
}

/// A redis-server of its own on `127.0.0.1:port`, started with
/// `--save "" --appendonly no` (nothing written to disk). Killed (SIGKILL)
/// and waited for by [`OwnRedis::stop`] or on drop.
pub struct OwnRedis {
    /// The loopback port it listens on.
    pub port: u16,
    /// `None` once stopped.
    child: Option<Child>,
    /// redis-server's last log lines, for error messages.
    log: Arc<Mutex<VecDeque<String>>>,
}

impl OwnRedis {
    /// Starts a redis-server on a free loopback port and waits until it
    /// accepts connections.
    ///
    /// # Panics
    ///
    /// When it cannot: redis-server is not on `PATH`, or it exited or did
    /// not answer in time (the message says which, with its log).
    pub fn start() -> OwnRedis {
        Self::try_start().unwrap_or_else(|err| panic!("{err:#}"))
    }

    /// [`OwnRedis::start`], answering an error instead of panicking.
    pub fn try_start() -> anyhow::Result<OwnRedis> {
        let mut last_error = None;
        for _ in 0..PORT_ATTEMPTS {
            match Self::try_start_on(free_port()) {
                Ok(redis) => return Ok(redis),
                Err(err) if err.is::<PortTaken>() => last_error = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow!("no free port")))
    }

    /// Starts a redis-server on `port` (e.g. to bring back one that was
    /// stopped, at the same address) and waits until it accepts connections.
    ///
    /// # Panics
    ///
    /// As [`OwnRedis::start`].
    pub fn start_on(port: u16) -> OwnRedis {
        Self::try_start_on(port).unwrap_or_else(|err| panic!("{err:#}"))
    }

    /// [`OwnRedis::start_on`], answering an error instead of panicking.
    pub fn try_start_on(port: u16) -> anyhow::Result<OwnRedis> {
        let mut child = spawn_redis_server(port)?;
        let log = keep_last_lines(child.stdout.take());
        let mut redis = OwnRedis { port, child: Some(child), log };
        redis.wait_until_ready()?;
        Ok(redis)
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server and waits for it to exit. Does nothing the second time.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Polls until the Redis answering on the port is this one (its
    /// `process_id`, not some other Redis that already had the port); fails
    /// if it exits first (then the port is usually taken) or takes too long.
    fn wait_until_ready(&mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let pid = self.child.as_ref().map(Child::id);
        loop {
            if pid.is_some() && answering_pid(self.port) == pid {
                return Ok(());
            }
            let exited = match self.child.as_mut().map(Child::try_wait) {
                Some(Ok(status)) => status,
                Some(Err(err)) => return Err(err).context("cannot check on redis-server"),
                None => bail!("redis-server was stopped while starting"),
            };
            if let Some(status) = exited {
                self.child = None;
                // Let the log reader take the last lines.
                std::thread::sleep(Duration::from_millis(50));
                let log = self.log_text();
                let err = anyhow!("redis-server exited ({status}) before listening on 127.0.0.1:{}{log}", self.port);
                return Err(if log.contains("Address already in use") { err.context(PortTaken) } else { err });
            }
            if Instant::now() > deadline {
                let log = self.log_text();
                self.stop();
                bail!("redis-server did not answer on 127.0.0.1:{} within {START_TIMEOUT:?}{log}", self.port);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// redis-server's last log lines, as the tail of an error message.
    fn log_text(&self) -> String {
        let lines = crate::lock(&self.log);
        if lines.is_empty() {
            return String::new();
        }
        let text: Vec<&str> = lines.iter().map(String::as_str).collect();
        format!("; its log ends:\n{}", text.join("\n"))
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Marks a start that failed because the port was taken: worth retrying on
/// another port.
#[derive(Debug)]
struct PortTaken;

impl std::fmt::Display for PortTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the port was taken")
    }
}

fn spawn_redis_server(port: u16) -> anyhow::Result<Child> {
    Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => {
                anyhow!("redis-server is not on PATH: install Redis (e.g. `apt-get install redis-server`)")
            }
            _ => anyhow!("cannot run redis-server: {err}"),
        })
}

/// Reads `output` to its end on a thread of its own (so redis-server never
/// blocks on a full pipe), keeping the last [`LOG_LINES_KEPT`] lines.
fn keep_last_lines(output: Option<impl Read + Send + 'static>) -> Arc<Mutex<VecDeque<String>>> {
    let lines = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(output) = output {
        let kept = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(output).lines().map_while(Result::ok) {
                let mut kept = crate::lock(&kept);
                if kept.len() == LOG_LINES_KEPT {
                    kept.pop_front();
                }
                kept.push_back(line);
            }
        });
    }
    lines
}

/// The `process_id` of the Redis answering on `127.0.0.1:port`, if one does
/// (from `INFO server`, a bulk string of `name:value` lines).
fn answering_pid(port: u16) -> Option<u32> {
    let attempt = || -> std::io::Result<String> {
        let stream = TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(200))?;
        stream.set_read_timeout(Some(Duration::from_millis(500)))?;
        (&stream).write_all(b"INFO server\r\n")?;
        let mut reader = BufReader::new(&stream);
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let length: usize = header.trim_end().strip_prefix('$').and_then(|n| n.parse().ok()).unwrap_or(0);
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body)?;
        Ok(String::from_utf8_lossy(&body).into_owned())
    };
    let info = attempt().ok()?;
    info.lines().find_map(|line| line.strip_prefix("process_id:")?.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops() {
        let mut redis = OwnRedis::start();
        assert!(answering_pid(redis.port).is_some());
        assert_eq!(redis.url(), format!("redis://127.0.0.1:{}", redis.port));
        redis.stop();
        assert_eq!(answering_pid(redis.port), None);
        redis.stop();
    }

    #[test]
    fn a_taken_port_is_a_clear_error() {
        let redis = OwnRedis::start();
        let err = OwnRedis::try_start_on(redis.port).err().expect("the port is taken");
        let text = format!("{err:#}");
        assert!(text.contains(&format!("before listening on 127.0.0.1:{}", redis.port)), "{text}");
        assert!(text.contains("Address already in use"), "{text}");
    }
}
