// `npm run bench`: what a request costs, in counts and ratios rather than
// absolute times (these machines are shared and noisy).
// - REST round trips per request, counted by upstash-local;
// - throughput of cache hits relative to reads that bypass the cache (D1 only);
// - bytes of the worker's wasm, raw and gzip.
import { gzipSync } from "node:zlib";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { POLICY, ROOT, TOKEN, putJson, startUpstashLocal, startWorker, upstashVars } from "../worker/harness.mjs";

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
const cached = await startWorker(upstashVars(upstash));
const bypass = await startWorker(upstashVars(upstash, { CACHE_ENABLED: "false" }));
const policy = "/v1/tenants/bench/policy";
try {
  await putJson(cached, policy, POLICY);
  await putJson(bypass, policy, POLICY);
  const rows = [
    ["PUT policy (D1 write, then DEL)", await roundTrips(upstash, 20, () => putJson(cached, policy, POLICY))],
    ["GET policy, miss (GET, then write-back SET)", await roundTrips(upstash, 20, () => cached.fetch(policy), () => putJson(cached, policy, POLICY))],
    ["GET policy, hit", await roundTrips(upstash, 50, () => cached.fetch(policy))],
    ["GET policy, cache off (bypass)", await roundTrips(upstash, 20, () => bypass.fetch(policy))],
    ["GET /health (PING)", await roundTrips(upstash, 20, () => cached.fetch("/health"))],
  ];
  console.log("\nREST round trips per request (counted by upstash-local)");
  console.table(rows.map(([request, trips]) => ({ request, "round trips": Number(trips.toFixed(2)) })));

  const hit = await requestsPerSecond(cached, policy, "hit");
  const d1 = await requestsPerSecond(bypass, policy, "bypass");
  console.log(`\nThroughput, sequential, ${ROUNDS} requests each (local upstash-local and local D1: a ratio, not a forecast)`);
  console.table([{ "hit vs D1-only reads": `${(hit / d1).toFixed(2)}x` }]);

  const wasm = readdirSync(path.join(ROOT, "build")).find((f) => f.endsWith(".wasm"));
  const bytes = readFileSync(path.join(ROOT, "build", wasm));
  console.log("\nWorker size");
  console.table([{ file: `build/${wasm}`, bytes: bytes.length, "gzip bytes": gzipSync(bytes, { level: 9 }).length }]);
} finally {
  await cached.dispose();
  await bypass.dispose();
  await upstash.stop();
}
