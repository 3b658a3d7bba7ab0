// Black-box fault tests of the reference worker: a fault-injecting proxy
// (tests/support/upstash-proxy.mjs) between the built worker (workerd) and
// upstash-local over real Redis answers as Upstash does when it stalls,
// fails, or refuses the token. Each test names one guarantee of the
// README's "Security" section.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { POLICY, TOKEN, putJson, startUpstashLocal, startWorker, unique, within } from "./harness.mjs";
import { startUpstashProxy } from "../support/upstash-proxy.mjs";

const policyPath = (tenant) => `/v1/tenants/${tenant}/policy`;

/** upstash-local behind a proxy, a worker on the proxy; `run(worker, proxy, upstash)`. */
async function withProxiedWorker(extraVars, run) {
  const upstash = await startUpstashLocal();
  const proxy = await startUpstashProxy(upstash.url);
  const worker = await startWorker({
    UPSTASH_REDIS_REST_URL: proxy.url,
    UPSTASH_REDIS_REST_TOKEN: TOKEN,
    CACHE_KEY_PREFIX: unique("ft"),
    ...extraVars,
  });
  try {
    await run(worker, proxy, upstash);
  } finally {
    await worker.dispose();
    await proxy.stop();
    await upstash.stop();
  }
}

describe("health", () => {
  test("1000 calls to /health cost at most one Upstash request per isolate per interval", async () => {
    await withProxiedWorker({ HEALTH_CACHE_MS: "60000" }, async (worker, proxy) => {
      proxy.reset();
      for (let i = 0; i < 1000; i += 100) {
        const answers = await Promise.all(Array.from({ length: 100 }, () => worker.anonymous("/health")));
        assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
      }
      assert.equal(proxy.requests(), 1, "one check, shared by every caller");
      const body = await (await worker.anonymous("/health")).json();
      assert.equal(body.healthy, true);
      assert.ok(body.ageMs >= 0 && body.checkedAtMs > 0, JSON.stringify(body));
    });
  });

  test("a read-only or revoked token is unhealthy (503), reported as such to the admin and logged as an error", async () => {
    await withProxiedWorker({ HEALTH_CACHE_MS: "1000" }, async (worker, proxy) => {
      proxy.mode = "noperm"; // a read-only token: Redis refuses the health check's write
      let response = await worker.fetch("/admin/health");
      let body = await response.json();
      assert.equal(response.status, 503);
      assert.equal(body.healthy, false);
      assert.match(body.error, /NOPERM/);
      const open = await worker.anonymous("/health");
      assert.equal(open.status, 503);
      assert.deepEqual(Object.keys(await open.json()).sort(), ["ageMs", "checkedAtMs", "healthy"], "no error text in public");
      proxy.mode = "401"; // a revoked token
      await new Promise((r) => setTimeout(r, 1_100)); // the last check ages past HEALTH_CACHE_MS
      response = await worker.fetch("/health"); // /health with the admin token: the details
      body = await response.json();
      assert.equal(response.status, 503);
      assert.match(body.error, /unauthorized \(HTTP 401\)/);
      assert.ok(worker.logs.some((l) => /refused the token/.test(l)), "logged as an error, naming the cause");
      const stats = await (await worker.fetch("/admin/stats")).json();
      assert.ok(stats.backend.misconfigurations >= 2, "counted apart from outages");
      assert.equal(stats.backend.failures, 0);
    });
  });
});

describe("a refused token is a misconfiguration, not an outage", () => {
  test("limits follow their failure policy with reason backend_misconfigured", async () => {
    await withProxiedWorker({ RATE_LIMIT_FAIL_CLOSED: "true" }, async (worker, proxy) => {
      await putJson(worker, policyPath("acme"), POLICY);
      proxy.mode = "401";
      const refused = await worker.fetch(policyPath("acme"));
      assert.equal(refused.status, 429, "fail-closed refuses");
      assert.equal((await refused.json()).reason, "backend_misconfigured");
    });
    await withProxiedWorker({}, async (worker, proxy) => {
      await putJson(worker, policyPath("acme"), POLICY);
      proxy.mode = "noperm";
      const allowed = await worker.fetch(policyPath("acme"));
      assert.equal(allowed.status, 200, "fail-open allows; the read comes from D1");
      assert.equal(allowed.headers.get("x-cache"), "bypass");
      proxy.mode = "pass";
      const stats = await (await worker.fetch("/admin/stats")).json();
      assert.ok(stats.limiter.tenant.byReason.backend_misconfigured >= 1, JSON.stringify(stats.limiter.tenant));
    });
  });
});

describe("the local fallback (the default failure policy of limits)", () => {
  test("while Upstash fails, each isolate enforces the tenant limit itself: neither open nor shut", async () => {
    await withProxiedWorker({ RATE_LIMIT_TENANT_LIMIT: "3", CACHE_BREAKER_FAILURES: "0" }, async (worker, proxy) => {
      await putJson(worker, policyPath("acme"), POLICY);
      proxy.mode = "500";
      const from = (ip) => ({ headers: { "cf-connecting-ip": ip } });
      const statuses = [];
      const reasons = [];
      for (let i = 0; i < 5; i++) {
        const response = await worker.fetch(policyPath("acme"), from("203.0.113.7"));
        statuses.push(response.status);
        if (response.status === 429) reasons.push((await response.json()).reason);
        else await response.arrayBuffer();
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429], "3 pass, as the limit says, then refused");
      assert.deepEqual(reasons, ["local_fallback", "local_fallback"]);
      assert.equal((await worker.fetch(policyPath("other"), from("203.0.113.7"))).status, 404, "another tenant has its own count");
      const stats = await (await worker.fetch("/admin/stats")).json();
      assert.ok(stats.limiter.tenant.byReason.local_fallback >= 5, JSON.stringify(stats.limiter.tenant));
    });
  });
});

describe("a stalled Upstash", () => {
  test("once the breaker opens, /v1 requests answer in well under 100 ms, outbox drains included", async () => {
    const vars = {
      CACHE_TIMEOUT_MS: "250",
      RATE_LIMIT_TIMEOUT_MS: "250",
      CACHE_BREAKER_FAILURES: "2",
      CACHE_BREAKER_COOLDOWN_MS: "60000",
      CACHE_OUTBOX_DRAIN_INTERVAL_MS: "500",
    };
    await withProxiedWorker(vars, async (worker, proxy) => {
      await putJson(worker, policyPath("acme"), POLICY);
      proxy.mode = "stall";
      // A write during the stall commits; its invalidation waits in the outbox.
      assert.equal((await putJson(worker, policyPath("acme"), { ...POLICY, maxTokensPerRequest: 9 })).status, 200);
      for (let i = 0; i < 3; i++) await worker.fetch(policyPath("acme")); // the breaker opens
      const took = [];
      for (let i = 0; i < 12; i++) {
        // Every few requests a drain is due: it runs after the response, not before.
        if (i % 4 === 3) await new Promise((r) => setTimeout(r, 600));
        const started = performance.now();
        const response = await worker.fetch(policyPath("acme"));
        took.push(Math.round(performance.now() - started));
        assert.equal(response.status, 200);
        assert.equal((await response.json()).maxTokensPerRequest, 9, "answered from D1");
      }
      assert.ok(Math.max(...took) < 100, `request times: ${took.join(", ")} ms`);
      const stats = await (await worker.fetch("/admin/stats")).json();
      assert.equal(stats.breaker.open, true);
      assert.ok(stats.limiter.tenant.byReason.circuit_open > 0, "checks answered by the failure policy at once");
      assert.equal(stats.outbox.depth, 1, "the write's invalidation still waits");
    });
  });
});

describe("the outbox", () => {
  test("writes during an outage keep one row per key, and one drain handles at most 500 rows", async () => {
    const prefix = unique("outbox");
    const vars = { CACHE_KEY_PREFIX: prefix, CACHE_TIMEOUT_MS: "300", CACHE_OUTBOX_DRAIN_INTERVAL_MS: "1", CACHE_TAG_TTL_SECONDS: "60" };
    await withProxiedWorker(vars, async (worker, proxy) => {
      const depth = async () => (await worker.db.prepare("SELECT COUNT(*) AS n FROM cache_outbox").first()).n;
      proxy.mode = "500";
      for (let i = 0; i < 3; i++) {
        assert.equal((await putJson(worker, policyPath("acme"), { ...POLICY, maxTokensPerRequest: i + 1 })).status, 200);
      }
      assert.equal(await depth(), 1, "three writes of one key, one pending invalidation");
      const rows = Array.from({ length: 700 }, (_, i) => JSON.stringify({ keys: [`${prefix}:llm:policy:filler-${i}`] }));
      for (let i = 0; i < rows.length; i += 50) {
        const batch = rows.slice(i, i + 50).map((r) => worker.db.prepare("INSERT INTO cache_outbox (invalidation, created_at_ms) VALUES (?1, 0)").bind(r));
        await worker.db.batch(batch);
      }
      proxy.mode = "pass";
      await worker.fetch(policyPath("acme")); // due: a drain runs after this response
      await within(5_000, "one drain of 500 rows", async () => (await depth()) === 201);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(await depth(), 201, "one drain stops at 500 rows; the rest waits for the next");
      await worker.fetch(policyPath("acme"));
      await within(5_000, "the next drain empties it", async () => (await depth()) === 0);
      assert.equal((await (await worker.fetch(policyPath("acme"))).json()).maxTokensPerRequest, 3, "the last write wins");
    });
  });
});

describe("memory", () => {
  test("the memory cache is bounded in bytes, and a size setting beyond its bound names its variable", async () => {
    const worker = await startWorker({ CACHE_MEMORY_MAX_BYTES: "262144", CACHE_MEMORY_SIZE: "100000" });
    try {
      const prompt = "x".repeat(7_900);
      for (let i = 0; i < 40; i++) {
        const path = `/v1/tenants/big-${i}/conversation-config`;
        assert.equal((await putJson(worker, path, { systemPrompt: prompt })).status, 200);
        assert.equal((await worker.fetch(path)).status, 200);
      }
      const { memory } = (await (await worker.fetch("/admin/stats")).json()).cache;
      assert.ok(memory.bytes <= 262_144, `${memory.bytes} bytes held of 262144`);
      assert.equal(memory.maxBytes, 262_144);
      // 40 entries of 8 KB do not fit in 256 KiB: some were evicted and miss again.
      let misses = 0;
      for (let i = 0; i < 40; i++) {
        const response = await worker.fetch(`/v1/tenants/big-${i}/conversation-config`);
        if (response.headers.get("x-cache") === "miss") misses++;
      }
      assert.ok(misses > 0, "large entries were evicted to stay within bytes");
    } finally {
      await worker.dispose();
    }
    for (const [variable, value] of [["CACHE_MEMORY_SIZE", "99999999999"], ["CACHE_MEMORY_MAX_BYTES", "1000000000"], ["RATE_LIMIT_BLOCK_CACHE_SIZE", "99999999999"]]) {
      const bad = await startWorker({ [variable]: value });
      try {
        const response = await bad.fetch("/health");
        assert.equal(response.status, 500, variable);
        assert.match((await response.json()).error, new RegExp(variable));
      } finally {
        await bad.dispose();
      }
    }
  });
});

describe("scoped invalidation", () => {
  test("writes to one tenant do not end another key's single-flight", async () => {
    // No L1, so a miss writes back before it answers: its flight stays open
    // for the load and the write-back, and the herd meets it there.
    const vars = { RATE_LIMIT_CLIENT_LIMIT: "100000", RATE_LIMIT_TENANT_LIMIT: "100000", CACHE_L1_MAX_STALENESS_MS: "0" };
    await withProxiedWorker(vars, async (worker, proxy, upstash) => {
      await putJson(worker, policyPath("hot"), POLICY);
      await putJson(worker, policyPath("busy"), POLICY);
      const stats = async () => (await (await worker.fetch("/admin/stats")).json()).cache;
      const before = await stats();
      proxy.mode = "pass";
      // Every Upstash round trip takes 30 ms, as over a network: the herd's
      // reads all arrive before the first load and its write-back end.
      proxy.delayMs = 30;
      const herd = Array.from({ length: 40 }, () => worker.fetch(policyPath("hot")));
      const writes = Array.from({ length: 6 }, (_, i) => putJson(worker, policyPath("busy"), { ...POLICY, maxTokensPerRequest: i + 1 }));
      const answers = await Promise.all([...herd, ...writes]);
      assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
      const after = await stats();
      const misses = after.misses - before.misses;
      assert.ok(misses <= 2, `the hot key's loader ran ${misses} times while another tenant was written`);
      // The rest waited for that one run (or found its entry written).
      const coalesced = after.coalesced - before.coalesced;
      const hits = after.l1Hits + after.l2Hits - before.l1Hits - before.l2Hits;
      assert.ok(coalesced >= 20, `${coalesced} of 40 reads waited for it`);
      assert.equal(misses + coalesced + hits, 40, `${misses} loaded, ${coalesced} waited, ${hits} hit`);
      void upstash;
    });
  });
});
