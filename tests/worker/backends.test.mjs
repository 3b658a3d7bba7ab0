// The worker's other cache modes: the embedded in-memory default, caching
// turned off, configuration errors, and Redis stopped under a running worker.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { POLICY, putJson, startRedis, startUpstashLocal, startWorker, upstashVars } from "./harness.mjs";

describe("cache modes", () => {
  test("with no Upstash configured, the in-memory cache is the default", async () => {
    const worker = await startWorker({});
    try {
      const { healthy, backend } = await (await worker.fetch("/health")).json();
      assert.deepEqual({ healthy, backend }, { healthy: true, backend: "memory" });
      await putJson(worker, "/v1/tenants/mem/policy", POLICY);
      assert.equal((await worker.fetch("/v1/tenants/mem/policy")).headers.get("x-cache"), "miss");
      assert.equal((await worker.fetch("/v1/tenants/mem/policy")).headers.get("x-cache"), "hit");
      await putJson(worker, "/v1/tenants/mem/policy", { ...POLICY, maxTokensPerRequest: 7 });
      const next = await worker.fetch("/v1/tenants/mem/policy");
      assert.equal(next.headers.get("x-cache"), "miss");
      assert.equal((await next.json()).maxTokensPerRequest, 7);
    } finally {
      await worker.dispose();
    }
  });

  test("CACHE_ENABLED=false bypasses the cache on every read", async () => {
    const upstash = await startUpstashLocal();
    const vars = upstashVars(upstash, { CACHE_ENABLED: "false" });
    const worker = await startWorker(vars);
    try {
      await putJson(worker, "/v1/tenants/off/policy", POLICY);
      for (let i = 0; i < 2; i++) {
        const response = await worker.fetch("/v1/tenants/off/policy");
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-cache"), "bypass");
      }
      assert.equal((await (await worker.fetch("/health")).json()).backend, "none");
      assert.deepEqual(await upstash.keysWithPttl(vars.CACHE_KEY_PREFIX), []);
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });

  test("a bad setting fails every request with a message naming the variable", async () => {
    for (const [name, value] of [
      ["CACHE_MEMORY_SIZE", "lots"],
      ["CACHE_TTL_POLICY_SECONDS", "0"],
      ["CACHE_ENABLED", "perhaps"],
      ["UPSTASH_REDIS_REST_URL", "redis.example.com"],
    ]) {
      const worker = await startWorker({ [name]: value });
      try {
        const response = await worker.fetch("/v1/tenants/acme/policy");
        assert.equal(response.status, 500, name);
        assert.match((await response.json()).error, new RegExp(name), name);
      } finally {
        await worker.dispose();
      }
    }
  });

  test("a CACHE_TTL_<NAME>_SECONDS the worker does not read fails every request, naming it and the ones read", async () => {
    const worker = await startWorker({ CACHE_TTL_FOO_SECONDS: "60", CACHE_TTL_JITTER_PERCENT: "10" });
    try {
      const response = await worker.fetch("/v1/tenants/acme/policy");
      assert.equal(response.status, 500);
      const { error } = await response.json();
      assert.match(error, /CACHE_TTL_FOO_SECONDS/);
      assert.match(error, /CACHE_TTL_POLICY_SECONDS, CACHE_TTL_CONFIG_SECONDS, CACHE_TTL_AUTH_SECONDS/);
    } finally {
      await worker.dispose();
    }
  });

  test("CACHE_TTL_POLICY_SECONDS sets the TTL of policy entries", async () => {
    const upstash = await startUpstashLocal();
    const vars = upstashVars(upstash, { CACHE_TTL_POLICY_SECONDS: "42" });
    const worker = await startWorker(vars);
    try {
      await putJson(worker, "/v1/tenants/ttl/policy", POLICY);
      await worker.fetch("/v1/tenants/ttl/policy");
      const keys = await upstash.keysWithPttl(vars.CACHE_KEY_PREFIX);
      const { pttl } = keys.find(({ key }) => key.endsWith(":llm:policy:ttl"));
      assert.ok(pttl > 40_000 && pttl <= 42_000, `PTTL ${pttl}`);
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });
});

describe("Redis stopped under a running worker", () => {
  test("reads answer from D1 with x-cache: bypass, writes commit, the outage is logged once", async () => {
    const redis = await startRedis();
    const upstash = await startUpstashLocal(redis.url);
    // L1 off: every read goes to Redis (with L1, reads within its staleness
    // bound would still hit the isolate's copy; isolation.test.mjs covers that).
    const worker = await startWorker(upstashVars(upstash, { CACHE_L1_MAX_STALENESS_MS: "0" }));
    try {
      await putJson(worker, "/v1/tenants/acme/policy", POLICY);
      assert.equal((await worker.fetch("/v1/tenants/acme/policy")).headers.get("x-cache"), "miss");
      assert.equal((await worker.fetch("/v1/tenants/acme/policy")).headers.get("x-cache"), "hit");
      assert.equal((await (await worker.fetch("/admin/stats")).json()).cache.l2Hits, 1, "that hit came from Redis");

      await redis.stop();
      for (let i = 0; i < 3; i++) {
        const response = await worker.fetch("/v1/tenants/acme/policy");
        assert.equal(response.status, 200);
        assert.equal(response.headers.get("x-cache"), "bypass");
        assert.equal((await response.json()).defaultModel, "m1");
      }
      const write = await putJson(worker, "/v1/tenants/acme/policy", { ...POLICY, defaultModel: "m2" });
      assert.equal(write.status, 200, "the write commits to D1 although its invalidation cannot run");
      const read = await worker.fetch("/v1/tenants/acme/policy");
      assert.equal(read.headers.get("x-cache"), "bypass");
      assert.equal((await read.json()).defaultModel, "m2");

      const health = await worker.fetch("/health");
      assert.equal(health.status, 503);
      const body = await health.json();
      assert.equal(body.healthy, false);
      assert.equal(body.backend, "upstash");
      assert.match(body.error, /500/);

      const warnings = worker.logs.filter((line) => line.includes("cache backend failed"));
      assert.equal(warnings.length, 1, `one warning per outage, got:\n${worker.logs.join("\n")}`);
    } finally {
      await worker.dispose();
      await upstash.stop();
      await redis.stop();
    }
  });

  test("with upstash-local itself gone, reads still answer from D1", async () => {
    const upstash = await startUpstashLocal();
    const worker = await startWorker(upstashVars(upstash, { CACHE_TIMEOUT_MS: "500" }));
    try {
      await putJson(worker, "/v1/tenants/gone/policy", POLICY);
      await upstash.stop();
      const response = await worker.fetch("/v1/tenants/gone/policy");
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-cache"), "bypass");
    } finally {
      await worker.dispose();
    }
  });
});
