// Concurrent load in one workerd isolate: many clients at once over a skewed
// key set, with misses, writes (invalidations) and stale-while-revalidate
// refreshes in the mix. workerd cancels a request that waits on a promise
// woken from another request's context once that request has ended, so
// anything shared between requests (single-flight, refreshes, lazy state)
// shows up here as 5xx answers and "hung" log lines. Asserts none, and that
// single-flight still coalesces concurrent misses.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { POLICY, putJson, startUpstashLocal, startWorker, upstashVars } from "./harness.mjs";
import { runClosedLoop, seededRandom, zipf } from "../load/workload.mjs";

const CLIENTS = 16;
const DURATION_MS = Number(process.env.LOAD_TEST_MS ?? 10_000);
const TENANTS = 200;
const KNOWN_TENANTS = 150; // the others answer 404 (negative caching)
/** What workerd prints when one request waited on another's I/O. */
const CROSS_REQUEST = /different request context|had hung|never generate a response/i;

const settings = {
  // Short TTLs and a long grace: entries go stale during the run and are
  // served while ctx.waitUntil refreshes them.
  CACHE_TTL_POLICY_SECONDS: "1",
  CACHE_TTL_CONFIG_SECONDS: "2",
  CACHE_GRACE_SECONDS: "30",
  CACHE_NEGATIVE_TTL_SECONDS: "1",
  RATE_LIMIT_CLIENT_LIMIT: "1000000",
  RATE_LIMIT_TENANT_LIMIT: "1000000",
};

async function stats(worker) {
  return (await (await worker.fetch("/admin/stats")).json()).cache;
}

/** A request mix: 85% reads, 15% writes, over Zipf-popular tenants. */
function mix(worker, seed) {
  const random = seededRandom(seed);
  const tenant = zipf(TENANTS, 1.0, random);
  return () => {
    const t = `t${tenant()}`;
    const ip = { "CF-Connecting-IP": `10.1.${Math.floor(random() * 250)}.1` };
    const roll = random();
    if (roll < 0.6) return { label: "GET policy", send: () => worker.fetch(`/v1/tenants/${t}/policy`, { headers: ip }) };
    if (roll < 0.75) {
      const user = `u${Math.floor(random() * 5)}`;
      return { label: "GET user config", send: () => worker.fetch(`/v1/tenants/${t}/users/${user}/conversation-config`, { headers: ip }) };
    }
    if (roll < 0.85) return { label: "GET tenant config", send: () => worker.fetch(`/v1/tenants/${t}/conversation-config`, { headers: ip }) };
    if (roll < 0.95) {
      const policy = { ...POLICY, maxTokensPerRequest: 1 + Math.floor(random() * 4096) };
      return { label: "PUT policy", send: () => putJson(worker, `/v1/tenants/${t}/policy`, policy) };
    }
    return { label: "PUT tenant config", send: () => putJson(worker, `/v1/tenants/${t}/conversation-config`, { temperature: random() * 2 }) };
  };
}

async function seed(worker) {
  for (let i = 0; i < KNOWN_TENANTS; i++) {
    assert.equal((await putJson(worker, `/v1/tenants/t${i}/policy`, POLICY)).status, 200);
  }
}

/**
 * 50 concurrent reads of a key nobody has read since its write: one loader
 * run. Those that arrive while it runs wait for it (coalesced); later ones hit.
 */
async function herd(worker) {
  const path = "/v1/tenants/herd/policy";
  assert.equal((await putJson(worker, path, POLICY)).status, 200);
  const before = await stats(worker);
  const answers = await Promise.all(Array.from({ length: 50 }, () => worker.fetch(path)));
  assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
  const after = await stats(worker);
  const hits = after.l1Hits + after.l2Hits - before.l1Hits - before.l2Hits;
  return { misses: after.misses - before.misses, coalesced: after.coalesced - before.coalesced, hits };
}

async function loadAndCheck(worker, label) {
  await seed(worker);
  const result = await runClosedLoop({ clients: CLIENTS, durationMs: DURATION_MS, nextRequest: mix(worker, 7) });
  const crossRequest = worker.logs.filter((line) => CROSS_REQUEST.test(line));
  const summary = { label, requests: result.requests, perSecond: Math.round(result.perSecond), statuses: result.statuses };
  console.log(JSON.stringify(summary));
  assert.deepEqual(result.failures, [], "every request got an answer");
  assert.equal(result.serverErrors, 0, `no 5xx: ${JSON.stringify(result.statuses)} ${result.errorSamples.join(" | ")}`);
  assert.deepEqual(crossRequest, [], "no request waited on another request's I/O");
  assert.ok(result.requests > CLIENTS * 20, `the load ran (${result.requests} requests)`);
  const cache = await stats(worker);
  assert.ok(cache.staleServed > 0, "stale entries were served while refreshing");
  assert.ok(cache.coalesced > 0, "concurrent misses were coalesced under load");
  const { misses, coalesced, hits } = await herd(worker);
  console.log(JSON.stringify({ label, cache, herd: { misses, coalesced, hits } }));
  assert.ok(misses <= 2, `50 concurrent reads of a cold key ran the loader ${misses} times`);
  assert.equal(misses + coalesced + hits, 50);
  return { coalesced, hits };
}

describe("concurrent load in one isolate", () => {
  test("memory cache (the default): zero 5xx, zero hung requests, misses coalesced", async () => {
    const worker = await startWorker({ ...settings });
    try {
      await loadAndCheck(worker, "memory");
    } finally {
      await worker.dispose();
    }
  });

  test("Upstash through upstash-local: zero 5xx, zero hung requests, misses coalesced", async () => {
    const upstash = await startUpstashLocal();
    const worker = await startWorker(upstashVars(upstash, settings));
    try {
      const { coalesced, hits } = await loadAndCheck(worker, "upstash");
      // Every read but the loader's waited for its flight or, coming after
      // it, found the entry in L1 (its write-back runs after the response);
      // faults.test.mjs's herd, slowed by a proxy, holds the waiting itself.
      assert.ok(coalesced + hits >= 48, `${coalesced} waited and ${hits} hit of 50: the rest loaded again`);
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });

  test("Upstash with cross-isolate leases (CACHE_LEASE_MS): zero 5xx, zero hung requests", async () => {
    // Lease waiters poll Upstash on timers of their own request: the same
    // load must not hang or fail a request.
    const upstash = await startUpstashLocal();
    const worker = await startWorker(upstashVars(upstash, { ...settings, CACHE_LEASE_MS: "2000" }));
    try {
      await loadAndCheck(worker, "upstash+lease");
      const cache = await stats(worker);
      assert.ok(cache.leasesTaken > 0, "misses took leases");
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });
});
