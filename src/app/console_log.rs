//! Routes the `log` facade to the Workers console (wrangler tail, Miniflare's output).

struct ConsoleLogger;

impl log::Log for ConsoleLogger {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Info
    }

    fn log(&self, record: &log::Record<'_>) {
        match record.level() {
            log::Level::Error => worker::console_error!("{}", record.args()),
            log::Level::Warn => worker::console_warn!("{}", record.args()),
            _ => worker::console_log!("{}", record.args()),
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
