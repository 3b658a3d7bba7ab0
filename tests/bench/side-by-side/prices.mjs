// The platform's published prices, in one place, so the bench's cost table
// can be brought up to date by editing this file alone. Pay-as-you-go rates
// beyond each plan's included usage (what the millionth-and-later request
// costs), in US dollars. Read on the date below; check the sources before
// quoting a figure.
export const PRICES = {
  readOn: "2026-12-04",
  upstash: {
    /** Upstash Redis pay-as-you-go: $0.20 per 100,000 commands. */
    perMillionCommands: 2.0,
    source: "https://upstash.com/pricing/redis",
  },
  d1: {
    /** Workers Paid: $0.001 per million rows read beyond 25 billion a month. */
    perMillionRowsRead: 0.001,
    /** Workers Paid: $1.00 per million rows written beyond 50 million a month. */
    perMillionRowsWritten: 1.0,
    source: "https://developers.cloudflare.com/d1/platform/pricing/",
  },
  workers: {
    /** Workers Standard: $0.30 per million requests beyond 10 million a month. */
    perMillionRequests: 0.3,
    /** Workers Standard: $0.02 per million CPU milliseconds beyond 30 million a month. */
    perMillionCpuMs: 0.02,
    source: "https://developers.cloudflare.com/workers/platform/pricing/",
  },
};

/**
 * Dollars per million requests, by line, from per-request counts:
 * `{ commands, rowsRead, rowsWritten, cpuMs }` (each per request).
 */
export function costPerMillion({ commands, rowsRead, rowsWritten, cpuMs }) {
  const lines = {
    upstash: commands * PRICES.upstash.perMillionCommands,
    d1Reads: rowsRead * PRICES.d1.perMillionRowsRead,
    d1Writes: rowsWritten * PRICES.d1.perMillionRowsWritten,
    workersRequests: PRICES.workers.perMillionRequests,
    workersCpu: cpuMs * PRICES.workers.perMillionCpuMs,
  };
  return { ...lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}
