//! Routes the `log` facade to the Workers console (wrangler tail, Miniflare's
//! output), one line per record: a multi-line error text (D1's, with its JS
//! stack) is folded, so a record is never split from its request id.

struct ConsoleLogger;

impl log::Log for ConsoleLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        let text = record.args().to_string();
        let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
        match record.level() {
            log::Level::Error => worker::console_error!("{line}"),
            log::Level::Warn => worker::console_warn!("{line}"),
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
