//! A client of the Upstash Redis REST API, for wasm32 (Workers' `fetch`) and native.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use edgecache::upstash::{Command, UpstashClient, UpstashConfig};
//! let client = UpstashClient::new(&UpstashConfig::new("https://eu1-x.upstash.io", "token")?);
//! client.command(&Command::new("SET").arg("k").arg("v").arg("EX").arg(60)).await?;
//! let value = client.command(&Command::new("GET").arg("k")).await?.into_bytes()?;
//! assert_eq!(value.as_deref(), Some(&b"v"[..]));
//! # Ok(()) }
//! ```

mod client;
mod command;
mod config;
mod error;
mod reply;
#[cfg(not(target_arch = "wasm32"))]
mod subscribe;
mod transport;

pub use client::UpstashClient;
pub use command::{Command, Script};
pub use config::{UpstashConfig, DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS};
pub use error::UpstashError;
pub use reply::Reply;
#[cfg(not(target_arch = "wasm32"))]
pub use subscribe::{Message, PubSubEvent, Subscription};
