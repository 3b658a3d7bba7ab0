// `npm run bench`: what a request costs, in counts and ratios rather than
// absolute times (these machines are shared and noisy).
// - REST round trips per request, counted by upstash-local;
//   as the admin, and with a tenant API key (whose validation is read through
//   the cache: from this isolate's L1, from Upstash only, or from D1 on the
//   key's first request);
// - throughput of cache hits relative to reads that bypass the cache (D1 only).
// (The wasm's size is tests/bench/size.mjs.)
import { POLICY, TOKEN, putJson, startIsolates, startUpstashLocal, startWorker, upstashVars } from "../worker/harness.mjs";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);

async function stats(upstash, reset = false) {
  const response = await fetch(`${upstash.url}/__local/stats${reset ? "/reset" : ""}`, {
    method: reset ? "POST" : "GET",
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return reset ? null : (await response.json()).requests;
}

/**
 * Average REST round trips of `measured`, over `times` calls; `prepare` runs
 * before each call and is not counted.
 */
async function roundTrips(upstash, times, measured, prepare = async () => {}) {
  let total = 0;
  for (let i = 0; i < times; i++) {
    await prepare();
    await stats(upstash, true);
    await measured();
    total += await stats(upstash);
  }
  return total / times;
}

async function requestsPerSecond(worker, pathname, expectCache) {
  for (let i = 0; i < 20; i++) await (await worker.fetch(pathname)).arrayBuffer(); // warm up
  const started = process.hrtime.bigint();
  for (let i = 0; i < ROUNDS; i++) {
    const response = await worker.fetch(pathname);
    await response.arrayBuffer();
    if (response.headers.get("x-cache") !== expectCache) throw new Error(`expected ${expectCache}`);
  }
  return ROUNDS / (Number(process.hrtime.bigint() - started) / 1e9);
}

const upstash = await startUpstashLocal();
// Two isolates of one worker (a key validated in A is in Upstash, not in B's L1), and one with the cache off.
// Limits high enough never to refuse: what is counted is their cost.
const unlimited = { RATE_LIMIT_TENANT_LIMIT: "1000000", RATE_LIMIT_CLIENT_LIMIT: "1000000" };
const [cached, other] = await startIsolates(upstashVars(upstash, unlimited));
const bypass = await startWorker(upstashVars(upstash, { ...unlimited, CACHE_ENABLED: "false" }));
const policy = "/v1/tenants/bench/policy";
const newKey = async () => (await (await cached.fetch("/admin/tenants/bench/keys", { method: "POST" })).json()).key;
try {
  await putJson(cached, policy, POLICY);
  await putJson(bypass, policy, POLICY);
  const key = await newKey();
  for (let i = 0; i < 2; i++) await cached.as(key, policy); // the key's validation and the policy cached
  let fresh;
  const rows = [
    ["PUT policy (limit check; D1 write + outbox row; one MULTI/EXEC invalidation)", await roundTrips(upstash, 20, () => putJson(cached, policy, POLICY))],
    ["GET policy, miss (limits + MGET, then fenced write-back)", await roundTrips(upstash, 20, () => cached.fetch(policy), () => putJson(cached, policy, POLICY))],
    ["GET policy, hit (admin token)", await roundTrips(upstash, 50, () => cached.fetch(policy))],
    ["GET policy, hit, API key validated from L1", await roundTrips(upstash, 50, () => cached.as(key, policy))],
    // A fresh key each time: validated in A (so in Upstash), then used in B.
    ["GET policy, hit, API key validated from Upstash (other isolate)", await roundTrips(upstash, 10, () => other.as(fresh, policy), async () => {
      fresh = await newKey();
      await cached.as(fresh, policy);
    })],
    ["GET policy, hit, a new API key's first request (validation from D1)", await roundTrips(upstash, 10, () => other.as(fresh, policy), async () => {
      fresh = await newKey();
    })],
    ["GET policy, cache off (limit check; D1 read)", await roundTrips(upstash, 20, () => bypass.fetch(policy))],
    ["GET /health (one write check per HEALTH_CACHE_MS per isolate)", await roundTrips(upstash, 50, () => cached.fetch("/health"))],
  ];
  console.log("\nREST round trips per request (counted by upstash-local)");
  console.table(rows.map(([request, trips]) => ({ request, "round trips": Number(trips.toFixed(2)) })));

  const hit = await requestsPerSecond(cached, policy, "hit");
  const d1 = await requestsPerSecond(bypass, policy, "bypass");
  console.log(`\nThroughput, sequential, ${ROUNDS} requests each (local upstash-local and local D1: a ratio, not a forecast)`);
  console.table([{ "hit vs D1-only reads": `${(hit / d1).toFixed(2)}x` }]);
} finally {
  await cached.dispose();
  await bypass.dispose();
  await upstash.stop();
}
