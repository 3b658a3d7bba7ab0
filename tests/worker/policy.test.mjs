// The reference worker in workerd (Miniflare) over a local D1, caching in real
// Redis through upstash-local: the policy routes, x-cache, TTLs and bad input.
import { test, before, describe } from "node:test";
import assert from "node:assert/strict";
import { POLICY, putJson, useWorker } from "./harness.mjs";

describe("policy routes over Upstash", () => {
  const s = useWorker();

  test("PUT stores the policy in D1 and answers it", async () => {
    const response = await putJson(s.worker, "/v1/tenants/acme/policy", POLICY);
    assert.equal(response.status, 200);
    const stored = await response.json();
    assert.deepEqual({ ...stored, updatedAtMs: undefined }, { tenantId: "acme", ...POLICY, updatedAtMs: undefined });
    assert.ok(stored.updatedAtMs > 0);
    const row = await s.worker.db.prepare("SELECT * FROM tenant_llm_policies WHERE tenant_id = ?").bind("acme").first();
    assert.equal(row.default_model, "m1");
    assert.deepEqual(JSON.parse(row.allowed_models), ["m1", "m2"]);
  });

  test("GET misses, then hits, with the same body", async () => {
    await putJson(s.worker, "/v1/tenants/hitco/policy", POLICY);
    const first = await s.worker.fetch("/v1/tenants/hitco/policy");
    assert.equal(first.status, 200);
    assert.equal(first.headers.get("x-cache"), "miss");
    const second = await s.worker.fetch("/v1/tenants/hitco/policy");
    assert.equal(second.headers.get("x-cache"), "hit");
    assert.deepEqual(await second.json(), await first.json());
    const cached = JSON.parse(await s.upstash.command("GET", `${s.vars.CACHE_KEY_PREFIX}:llm:policy:hitco`));
    assert.equal(cached.v.defaultModel, "m1", "the entry lives in Redis under {prefix}:llm:policy:{tenant}");
  });

  test("a hit is served from Redis, not D1", async () => {
    await putJson(s.worker, "/v1/tenants/fromredis/policy", POLICY);
    await s.worker.fetch("/v1/tenants/fromredis/policy"); // miss: cached
    // Change D1 behind the cache's back: a hit must still answer the cached copy.
    await s.worker.db.prepare("UPDATE tenant_llm_policies SET default_model = 'm2' WHERE tenant_id = 'fromredis'").run();
    const hit = await s.worker.fetch("/v1/tenants/fromredis/policy");
    assert.equal(hit.headers.get("x-cache"), "hit");
    assert.equal((await hit.json()).defaultModel, "m1");
  });

  test("PUT invalidates: the next GET answers the new policy", async () => {
    await putJson(s.worker, "/v1/tenants/invco/policy", POLICY);
    await s.worker.fetch("/v1/tenants/invco/policy");
    assert.equal((await s.worker.fetch("/v1/tenants/invco/policy")).headers.get("x-cache"), "hit");
    const updated = { defaultModel: "m2", allowedModels: ["m2", "m3"], maxTokensPerRequest: 100 };
    assert.equal((await putJson(s.worker, "/v1/tenants/invco/policy", updated)).status, 200);
    const next = await s.worker.fetch("/v1/tenants/invco/policy");
    assert.equal(next.headers.get("x-cache"), "miss");
    const body = await next.json();
    assert.equal(body.defaultModel, "m2");
    assert.deepEqual(body.allowedModels, ["m2", "m3"]);
    assert.equal(body.maxTokensPerRequest, 100);
  });

  test("an unknown tenant is a JSON 404 with x-cache", async () => {
    const response = await s.worker.fetch("/v1/tenants/nobody/policy");
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("x-cache"), "miss");
    assert.match((await response.json()).error, /no policy for tenant nobody/);
  });

  test("every key written has a TTL: entries at most the configured 300 s, versions at most a day", async () => {
    for (const tenant of ["ttl1", "ttl2"]) {
      await putJson(s.worker, `/v1/tenants/${tenant}/policy`, POLICY);
      await s.worker.fetch(`/v1/tenants/${tenant}/policy`);
    }
    const keys = await s.upstash.keysWithPttl(s.vars.CACHE_KEY_PREFIX);
    assert.ok(keys.length >= 2, `expected cached keys, got ${JSON.stringify(keys)}`);
    for (const { key, pttl } of keys) {
      const limit = key.includes(":~") ? 86_400_000 : 300_000; // version keys (~epoch, ~tag) outlive entries
      assert.ok(pttl > 0 && pttl <= limit, `${key} has PTTL ${pttl}`);
    }
  });

  test("health reports the s.upstash backend", async () => {
    const response = await s.worker.fetch("/health");
    assert.equal(response.status, 200);
    const health = await response.json();
    assert.equal(health.healthy, true);
    assert.equal(health.backend, "upstash");
    assert.equal(typeof health.latencyMs, "number");
    assert.equal(health.error, undefined);
  });

  test("the web page is served at /", async () => {
    const response = await s.worker.fetch("/");
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type"), /text\/html/);
    assert.match(await response.text(), /<title>edgecache dashboard<\/title>/);
  });
});

describe("bad input gets a clear error and changes nothing", () => {
  const s = useWorker();
  before(async () => {
    await putJson(s.worker, "/v1/tenants/acme/policy", POLICY);
  });

  const cases = [
    ["malformed JSON", "/v1/tenants/acme/policy", '{"defaultModel":', 400, /invalid policy body/],
    ["not an object", "/v1/tenants/acme/policy", "[1,2]", 400, /invalid policy body/],
    ["unknown field", "/v1/tenants/acme/policy", { ...POLICY, tenantId: "other" }, 400, /unknown field `tenantId`/],
    ["missing field", "/v1/tenants/acme/policy", { defaultModel: "m1", allowedModels: ["m1"] }, 400, /missing field/],
    ["wrong type", "/v1/tenants/acme/policy", { ...POLICY, maxTokensPerRequest: "4096" }, 400, /invalid type/],
    ["out of range", "/v1/tenants/acme/policy", { ...POLICY, maxTokensPerRequest: 0 }, 400, /maxTokensPerRequest/],
    ["default not allowed", "/v1/tenants/acme/policy", { ...POLICY, defaultModel: "m9" }, 400, /must be one of/],
    ["oversized body", "/v1/tenants/acme/policy", JSON.stringify({ ...POLICY, pad: "x".repeat(70_000) }), 413, /65536 bytes/],
    ["tenant with a dot", "/v1/tenants/a.b/policy", POLICY, 400, /tenant id must match/],
    ["tenant too long", `/v1/tenants/${"t".repeat(65)}/policy`, POLICY, 400, /tenant id must match/],
    ["tenant percent-encoded", "/v1/tenants/a%3Ab/policy", POLICY, 400, /tenant id must match/],
  ];
  for (const [name, pathname, body, status, message] of cases) {
    test(`${name} → ${status}`, async () => {
      const response = await putJson(s.worker, pathname, body);
      assert.equal(response.status, status);
      assert.match(response.headers.get("content-type"), /application\/json/);
      assert.match((await response.json()).error, message);
    });
  }

  test("a non-JSON content type → 415", async () => {
    const response = await s.worker.fetch("/v1/tenants/acme/policy", {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(POLICY),
    });
    assert.equal(response.status, 415);
  });

  test("unknown route → 404, wrong method → 405 with Allow", async () => {
    const missing = await s.worker.fetch("/v1/nothing");
    assert.equal(missing.status, 404);
    assert.match((await missing.json()).error, /no route/);
    const wrong = await s.worker.fetch("/v1/tenants/acme/policy", { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET, HEAD, PUT");
    assert.match((await wrong.json()).error, /DELETE not allowed/);
    assert.equal((await s.worker.fetch("/health", { method: "POST" })).status, 405);
  });

  test("after all of it, the stored policy is unchanged and no stray key was written", async () => {
    const rows = await s.worker.db.prepare("SELECT tenant_id, default_model, max_tokens_per_request FROM tenant_llm_policies").all();
    assert.deepEqual(rows.results, [{ tenant_id: "acme", default_model: "m1", max_tokens_per_request: 4096 }]);
    // The one good PUT left acme's entry version; nothing else was written.
    const keys = (await s.upstash.keysWithPttl(s.vars.CACHE_KEY_PREFIX)).map(({ key }) => key);
    assert.deepEqual(keys, [`${s.vars.CACHE_KEY_PREFIX}:llm:policy:acme:~v`], "bad requests wrote nothing to the cache");
  });
});
