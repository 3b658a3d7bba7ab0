//! The `upstash-local` command: serves the Upstash Redis REST API in front
//! of a real redis-server until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use upstash_local::{Config, Server};

/// Serve the Upstash Redis REST API in front of a real redis-server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Address to listen on (port 0 picks a free port, printed at startup).
    #[arg(long, default_value = "127.0.0.1:8079")]
    listen: SocketAddr,
    /// Redis to serve.
    #[arg(long, default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
    /// Token granting full access (`Authorization: Bearer <token>` or `?_token=`).
    #[arg(long)]
    token: String,
    /// Token granting read-only access (runs as a Redis ACL user that can only read).
    #[arg(long)]
    read_only_token: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = Config {
        listen: args.listen,
        redis_url: args.redis_url,
        token: args.token,
        read_only_token: args.read_only_token,
    };
    let server = match Server::start(config).await {
        Ok(server) => server,
        Err(err) => {
            eprintln!("upstash-local: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("upstash-local listening on {}", server.url());
    let _ = std::io::stdout().flush();
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("upstash-local: cannot wait for Ctrl-C: {err}");
        std::future::pending::<()>().await;
    }
    server.shutdown();
    ExitCode::SUCCESS
}
