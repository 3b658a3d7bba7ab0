// Two isolates sharing one Redis and one D1; a stalled cache; an outage
// during a write and the outbox that repairs it.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { POLICY, putJson, startStalledServer, startUpstashLocal, startIsolates, startWorker, upstashVars, within } from "./harness.mjs";

const policyPath = "/v1/tenants/acme/policy";
const model = async (worker) => (await (await worker.fetch(policyPath)).json()).defaultModel;

describe("across isolates", () => {
  test("after a write in one isolate, no other serves the old value past the L1 staleness bound", async () => {
    const upstash = await startUpstashLocal();
    const vars = upstashVars(upstash, { CACHE_L1_MAX_STALENESS_MS: "1000" });
    const [a, b] = await startIsolates(vars);
    try {
      await putJson(a, policyPath, POLICY);
      assert.equal(await model(a), "m1");
      const before = (await (await a.fetch("/admin/stats")).json()).cache.l1Hits;
      assert.equal(await model(a), "m1");
      assert.equal((await (await a.fetch("/admin/stats")).json()).cache.l1Hits, before + 1, "A answers from its L1");

      assert.equal((await putJson(b, policyPath, { ...POLICY, defaultModel: "m2" })).status, 200);
      const written = Date.now();
      assert.equal(await model(b), "m2", "B reads its own write");
      // A may answer m1 from L1 for up to 1000 ms, and must answer m2 after.
      await new Promise((r) => setTimeout(r, Math.max(0, 1_000 - (Date.now() - written)) + 50));
      assert.equal(await model(a), "m2", "A revalidated at the bound");
    } finally {
      await a.dispose();
      await upstash.stop();
    }
  });
});

describe("grace", () => {
  test("past its TTL an entry is served stale while ctx.waitUntil refreshes it", async () => {
    const upstash = await startUpstashLocal();
    const worker = await startWorker(
      upstashVars(upstash, { CACHE_TTL_POLICY_SECONDS: "1", CACHE_GRACE_SECONDS: "60", CACHE_L1_MAX_STALENESS_MS: "0" }),
    );
    try {
      await putJson(worker, policyPath, POLICY);
      assert.equal((await worker.fetch(policyPath)).headers.get("x-cache"), "miss");
      // Change the source of truth behind the cache's back, then let the TTL pass.
      await worker.db.prepare("UPDATE tenant_llm_policies SET default_model = 'm2' WHERE tenant_id = 'acme'").run();
      await new Promise((r) => setTimeout(r, 1_100));
      const stale = await worker.fetch(policyPath);
      assert.equal(stale.headers.get("x-cache"), "stale");
      assert.equal((await stale.json()).defaultModel, "m1", "the stale copy, at once");
      await within(3_000, "the refreshed entry", async () => {
        const response = await worker.fetch(policyPath);
        return response.headers.get("x-cache") === "hit" && (await response.json()).defaultModel === "m2";
      });
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });
});

describe("failures", () => {
  test("a stalled Upstash: reads answer from D1 within the timeout", async () => {
    const stalled = await startStalledServer();
    const worker = await startWorker({
      UPSTASH_REDIS_REST_URL: stalled.url,
      UPSTASH_REDIS_REST_TOKEN: "t",
      CACHE_TIMEOUT_MS: "300",
    });
    try {
      // The PUT's invalidation times out too; the write still commits.
      assert.equal((await putJson(worker, policyPath, POLICY)).status, 200);
      const started = Date.now();
      const response = await worker.fetch(policyPath);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-cache"), "bypass");
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
      const health = await (await worker.fetch("/health")).json();
      assert.match(health.error, /no answer within 300 ms/);
    } finally {
      await worker.dispose();
      await stalled.stop();
    }
  });

  test("a write during an outage is recorded in the outbox and applied within seconds of recovery", async () => {
    let upstash = await startUpstashLocal();
    const vars = upstashVars(upstash);
    const worker = await startWorker(vars);
    try {
      await putJson(worker, policyPath, POLICY);
      assert.equal(await model(worker), "m1"); // cached in Redis

      await upstash.stop();
      assert.equal((await putJson(worker, policyPath, { ...POLICY, defaultModel: "m2" })).status, 200);
      const pending = await worker.db.prepare("SELECT invalidation FROM cache_outbox").all();
      assert.equal(pending.results.length, 1, "the invalidation waits in the outbox");
      assert.deepEqual(JSON.parse(pending.results[0].invalidation).keys, [`${vars.CACHE_KEY_PREFIX}:llm:policy:acme`]);
      assert.equal(await model(worker), "m2", "during the outage reads come from D1");

      upstash = await startUpstashLocal(undefined, { port: upstash.port });
      const recovered = Date.now();
      assert.equal(await upstash.command("EXISTS", `${vars.CACHE_KEY_PREFIX}:llm:policy:acme`), 1, "Redis still holds m1");
      // Bound: CACHE_OUTBOX_DRAIN_INTERVAL_MS + CACHE_L1_MAX_STALENESS_MS = 3 s (+ polling slack).
      await within(3_300, "the new policy after recovery", async () => (await model(worker)) === "m2");
      assert.ok(Date.now() - recovered < 3_300, `${Date.now() - recovered} ms`);
      await within(4_000, "the outbox drained", async () => {
        await worker.fetch(policyPath);
        return (await worker.db.prepare("SELECT COUNT(*) AS n FROM cache_outbox").first()).n === 0;
      });
      const entry = JSON.parse(await upstash.command("GET", `${vars.CACHE_KEY_PREFIX}:llm:policy:acme`));
      assert.equal(entry.v.defaultModel, "m2", "the stale entry was replaced");
      // From now on reads see m2 whatever tier answers.
      for (let i = 0; i < 3; i++) assert.equal(await model(worker), "m2");
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });
});
