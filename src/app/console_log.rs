//! Routes the `log` facade to the Workers console (wrangler tail, Miniflare's
//! output), one line per record: a multi-line error text (D1's, with its JS
//! stack) is folded, so a record is never split from its request id. And
//! each request's JSON line ([`request`]). `LOG_LEVEL` filters both.

use super::request_log::{LogLevel, RequestLine};

struct ConsoleLogger;

impl log::Log for ConsoleLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        let text = record.args().to_string();
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match record.level() {
            log::Level::Error => worker::console_error!("{line}"),
            log::Level::Warn => worker::console_warn!("{line}"),
            log::Level::Debug | log::Level::Trace => worker::console_debug!("{line}"),
            _ => worker::console_log!("{line}"),
        }
    }

    fn flush(&self) {}
}

static LOGGER: ConsoleLogger = ConsoleLogger;

/// Installs the console logger once per isolate; later calls do nothing.
pub fn init() {
    if log::set_logger(&LOGGER).is_ok() {
        log::set_max_level(log::LevelFilter::Info);
    }
}

/// Applies `LOG_LEVEL` to the `log` facade (a store of one number).
pub fn set_level(level: LogLevel) {
    log::set_max_level(level.filter());
}

/// Logs a request's line if `level` lets it through: `console.error` for a
/// 5xx, `console.warn` for a 4xx, `console.log` otherwise.
pub fn request(line: &RequestLine<'_>, level: LogLevel) {
    let own = line.level();
    if own > level {
        return;
    }
    let json = line.to_json();
    match own {
        LogLevel::Error => worker::console_error!("{json}"),
        LogLevel::Warn => worker::console_warn!("{json}"),
        _ => worker::console_log!("{json}"),
    }
}
