// Load generation shared by the workerd load test (tests/worker/load.test.mjs)
// and the side-by-side benchmark (tests/bench/compare.mjs): a seeded PRNG, a
// Zipf sampler, and a closed-loop runner of N concurrent clients.
//
// The workload follows the shape of Twitter's production cache study (Yang
// et al., "A large scale analysis of hundreds of in-memory cache clusters at
// Twitter", OSDI 2020): Zipf popularity, small values, and either a
// read-heavy or a write-heavy mix.

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sampler of ranks 0..n-1 where rank r has weight 1 / (r + 1)^s
 * (Zipf with exponent `s`; 1.0 is the classic skew).
 */
export function zipf(n, s, random) {
  const cdf = new Float64Array(n);
  let total = 0;
  for (let r = 0; r < n; r++) {
    total += 1 / Math.pow(r + 1, s);
    cdf[r] = total;
  }
  return () => {
    const x = random() * total;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** The `q` quantile (0..1) of sorted numbers. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

export function median(values) {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/**
 * Runs `clients` concurrent closed-loop clients for `durationMs`: each takes
 * the next request from `nextRequest()` (`{ label, send: () => Promise<Response> }`),
 * awaits its whole answer, and goes on. Answers counts by label and status,
 * sorted latencies (ms), failures (thrown errors, with their message), and
 * the first few 5xx bodies.
 */
export async function runClosedLoop({ clients, durationMs, nextRequest }) {
  const deadline = Date.now() + durationMs;
  const statuses = new Map(); // "label status" -> count
  const latencies = [];
  const failures = [];
  const errorSamples = [];
  let requests = 0;
  const started = process.hrtime.bigint();
  async function client() {
    while (Date.now() < deadline) {
      const { label, send } = nextRequest();
      const t0 = process.hrtime.bigint();
      try {
        const response = await send();
        const body = await response.text();
        if (response.status >= 500 && errorSamples.length < 5) errorSamples.push(`${label} ${response.status}: ${body.slice(0, 200)}`);
        const key = `${label} ${response.status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
      } catch (error) {
        failures.push(`${label}: ${error.message}`);
      }
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      requests++;
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  const byStatus = (predicate) =>
    [...statuses].filter(([key]) => predicate(Number(key.split(" ").pop()))).reduce((n, [, c]) => n + c, 0);
  return {
    requests,
    elapsedS,
    perSecond: requests / elapsedS,
    statuses: Object.fromEntries([...statuses].sort()),
    serverErrors: byStatus((s) => s >= 500),
    latencies,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    failures,
    errorSamples,
  };
}
