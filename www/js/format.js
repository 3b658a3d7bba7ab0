// @ts-check
// Formatting helpers: numbers, bytes, durations, times. Pure functions.

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/**
 * 1234567 → "1,234,567"; null/undefined → "—".
 * @param {number | null | undefined} n
 */
export function count(n) {
  return n === null || n === undefined || Number.isNaN(n) ? "—" : integer.format(n);
}

/**
 * A rate per second with sensible precision: 0.25 → "0.25", 12.3 → "12.3", 1234 → "1,234".
 * @param {number | null | undefined} n
 */
export function rate(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  if (n === 0) return "0";
  if (n < 1) return n.toFixed(2);
  if (n < 100) return n.toFixed(1);
  return integer.format(n);
}

/**
 * 0.571 → "57.1%"; null → "—".
 * @param {number | null | undefined} ratio
 * @param {number} [digits]
 */
export function percent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return "—";
  return `${(ratio * 100).toFixed(digits)}%`;
}

/**
 * 3340912 → "3.2 MiB".
 * @param {number | null | undefined} n
 */
export function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/**
 * 850 → "850 ms", 4200 → "4.2 s", 5000 → "5 s", 192000 → "3 min 12 s", 60000 → "1 min", 3.6e6 → "1 h".
 * @param {number | null | undefined} ms
 */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) {
    const s = ms / 1000;
    return `${s < 10 && Math.round(s * 10) % 10 !== 0 ? s.toFixed(1) : Math.round(s)} s`;
  }
  const join = (a, unitA, b, unitB) => (b ? `${a} ${unitA} ${b} ${unitB}` : `${a} ${unitA}`);
  const s = Math.round(ms / 1000);
  if (s < 3600) return join(Math.floor(s / 60), "min", s % 60, "s");
  const m = Math.floor(s / 60);
  if (m < 48 * 60) return join(Math.floor(m / 60), "h", m % 60, "min");
  return join(Math.floor(m / 1440), "d", Math.floor((m % 1440) / 60), "h");
}

/**
 * A window length for "100 / min": 60000 → "min", 3600000 → "h", 10000 → "10 s".
 * @param {number} ms
 */
export function per(ms) {
  if (ms === 1000) return "s";
  if (ms === 60_000) return "min";
  if (ms === 3_600_000) return "h";
  if (ms === 86_400_000) return "day";
  return duration(ms);
}

/** @param {number} n */
const pad = (n) => String(n).padStart(2, "0");

/**
 * Local wall-clock time of an epoch-ms timestamp: "21:05:26".
 * @param {number} ms
 */
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/**
 * "21:05" for chart ticks.
 * @param {number} ms
 */
export function clockShort(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * ISO 8601, for <time datetime> and titles.
 * @param {number} ms
 */
export function iso(ms) {
  return new Date(ms).toISOString();
}

/**
 * "2026-11-21 21:05" in local time, for created-at columns.
 * @param {number} ms
 */
export function dateTime(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * "1 key" / "3 keys".
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
export function plural(n, one, many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}
