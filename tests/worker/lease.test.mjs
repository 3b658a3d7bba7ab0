// Cross-isolate leases: concurrent misses of one key in two isolates run
// the loader (a D1 read) once, where single-flight alone runs it once per
// isolate.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { POLICY, putJson, startIsolates, startUpstashLocal, upstashVars } from "./harness.mjs";

const policyPath = "/v1/tenants/acme/policy";

/** Loader runs (cache misses) of both isolates for 50 concurrent GETs of a cold key. */
async function missesFor50ConcurrentReads(extraVars) {
  const upstash = await startUpstashLocal();
  const [a, b] = await startIsolates(upstashVars(upstash, { CACHE_L1_MAX_STALENESS_MS: "0", ...extraVars }));
  try {
    await putJson(a, policyPath, POLICY); // written to D1, the cache entry invalidated
    const misses = async () =>
      (await Promise.all([a, b].map(async (w) => (await (await w.fetch("/admin/stats")).json()).cache.misses))).reduce((x, y) => x + y);
    const before = await misses();
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).fetch(policyPath)));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    assert.deepEqual([...new Set(statuses)], [200], `statuses: ${statuses}`);
    const stats = await Promise.all([a, b].map(async (w) => (await (await w.fetch("/admin/stats")).json()).cache));
    return { loads: (await misses()) - before, stats };
  } finally {
    await a.dispose();
    await upstash.stop();
  }
}

describe("leases", () => {
  test("50 concurrent misses over two isolates run the loader once with CACHE_LEASE_MS", async () => {
    const leased = await missesFor50ConcurrentReads({ CACHE_LEASE_MS: "5000" });
    assert.equal(leased.loads, 1, JSON.stringify(leased.stats));
    assert.equal(leased.stats.reduce((n, s) => n + s.leasesTaken, 0), 1);
    const unleased = await missesFor50ConcurrentReads({});
    // Single-flight alone: about once per isolate that missed (by timing;
    // more when a read lands between a flight's end and its write-back).
    assert.ok(unleased.loads >= 1, JSON.stringify(unleased.stats));
    console.log(`loader runs for 50 concurrent misses over 2 isolates: ${leased.loads} with a lease, ${unleased.loads} without`);
  });
});
