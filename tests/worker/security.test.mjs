// Black-box security tests of the reference worker: the built worker in
// workerd (Miniflare), a real local D1, real Redis through upstash-local.
// Each test names one guarantee of the README's "Security" section.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { ADMIN_TOKEN, NO_FLUSH, POLICY, TOKEN, putJson, startUpstashLocal, startIsolates, startWorker, upstashVars, withWorker, within } from "./harness.mjs";

const policyPath = (tenant) => `/v1/tenants/${tenant}/policy`;
const configPath = (tenant) => `/v1/tenants/${tenant}/conversation-config`;
const from = (ip, headers = {}) => ({ headers: { "CF-Connecting-IP": ip, ...headers } });

/** A new API key of `tenant`, made through the admin API. */
async function createKey(worker, tenant) {
  const response = await worker.fetch(`/admin/tenants/${tenant}/keys`, { method: "POST" });
  assert.equal(response.status, 201);
  return response.json();
}

/** upstash-local and a worker on it; `run(worker, upstash, vars)`; both stopped after. */
describe("authentication", () => {
  test("a request without credentials is refused with 401 before any cache, D1 or quota work", async () => {
    await withWorker(NO_FLUSH, async (worker, upstash, vars) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const keysBefore = (await upstash.keysWithPttl(vars.CACHE_KEY_PREFIX)).map(({ key }) => key).sort();
      await upstash.resetRequests();
      for (const [method, path] of [["GET", policyPath("acme")], ["PUT", configPath("acme")], ["GET", "/admin/stats"]]) {
        const response = await worker.anonymous(path, { method, headers: { "content-type": "application/json" }, body: method === "PUT" ? "{}" : undefined });
        assert.equal(response.status, 401, `${method} ${path}`);
        assert.equal(response.headers.get("www-authenticate"), "Bearer");
        assert.match((await response.json()).error, /missing credentials/);
      }
      for (const header of ["Basic YWRtaW46YWRtaW4=", "Bearer", "token"]) {
        assert.equal((await worker.anonymous(policyPath("acme"), { headers: { authorization: header } })).status, 401, header);
      }
      assert.equal(await upstash.requests(), 0, "no REST request: no cache read, no limit spent");
      const keysAfter = (await upstash.keysWithPttl(vars.CACHE_KEY_PREFIX)).map(({ key }) => key).sort();
      assert.deepEqual(keysAfter, keysBefore, "nothing was written");
    });
  });

  test("an anonymous or wrong-token PUT cannot rewrite what a tenant's users are told", async () => {
    await withWorker({}, async (worker) => {
      assert.equal((await putJson(worker, configPath("acme"), { systemPrompt: "be helpful" })).status, 200);
      const attack = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ systemPrompt: "leak secrets" }) };
      assert.equal((await worker.anonymous(configPath("acme"), attack)).status, 401);
      assert.equal((await worker.as("not-the-admin-token", configPath("acme"), attack)).status, 401);
      assert.equal((await worker.as(`ek1_${"0".repeat(16)}_${"A".repeat(64)}`, configPath("acme"), attack)).status, 401, "a forged key");
      assert.equal((await (await worker.fetch(configPath("acme"))).json()).systemPrompt, "be helpful");
    });
  });

  test("without ADMIN_TOKEN every authenticated route fails closed with 503", async () => {
    await withWorker({ ADMIN_TOKEN: null }, async (worker) => {
      for (const path of [policyPath("acme"), "/admin/stats", "/admin/tenants/acme/keys"]) {
        const response = await worker.as("anything-at-all-long-enough", path);
        assert.equal(response.status, 503, path);
        assert.deepEqual(await response.json(), { error: "ADMIN_TOKEN is not configured", code: "admin_token_not_configured", requestId: response.headers.get("x-request-id") });
      }
      assert.equal((await worker.anonymous(policyPath("acme"))).status, 401, "no credentials is still 401");
      assert.equal((await worker.anonymous("/health")).status, 200, "/health is public");
    });
  });

  test("a tenant key reads its own tenant and writes its own configs; other tenants and policies are 403 insufficient_scope", async () => {
    await withWorker({}, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      await putJson(worker, policyPath("other"), POLICY);
      const { key, id, createdAtMs } = await createKey(worker, "acme");
      assert.match(key, /^ek1_[0-9a-f]{16}_[A-Za-z0-9_-]{64}$/);
      assert.ok(id && createdAtMs > 0);
      assert.equal((await worker.as(key, policyPath("acme"))).status, 200);
      assert.equal((await worker.as(key, "/v1/tenants/acme/users/u1/conversation-config")).status, 404);
      const put = (path, body) =>
        worker.as(key, path, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      assert.equal((await put(configPath("acme"), { temperature: 0.5 })).status, 200);
      assert.equal((await put("/v1/tenants/acme/users/u1/conversation-config", { maxTurns: 3 })).status, 200);
      assert.equal((await put(policyPath("acme"), POLICY)).status, 403, "policies are admin-only");
      assert.equal((await worker.as(key, policyPath("other"))).status, 403);
      assert.equal((await put(configPath("other"), { temperature: 1 })).status, 403);
      assert.equal((await worker.as(key, "/admin/stats")).status, 403, "a tenant key is not the admin token");
      const listed = await (await worker.fetch("/admin/tenants/acme/keys")).json();
      assert.deepEqual(listed, { tenant: "acme", keys: [{ id, createdAtMs }] }, "listed by id; the key itself never again");
    });
  });

  test("a valid key costs no D1 read: its validation is read through the cache", async () => {
    await withWorker({}, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key } = await createKey(worker, "acme");
      assert.equal((await worker.as(key, policyPath("acme"))).status, 200, "validated once (D1), cached");
      // Remove the key from D1 behind the worker's back: only the cache can still vouch for it.
      await worker.db.prepare("DELETE FROM tenant_api_keys").run();
      for (let i = 0; i < 3; i++) assert.equal((await worker.as(key, policyPath("acme"))).status, 200);
    });
  });

  test("a revoked key is refused at once in its isolate and within the L1 bound in others", async () => {
    const upstash = await startUpstashLocal();
    const vars = upstashVars(upstash, { CACHE_L1_MAX_STALENESS_MS: "1000" });
    const [a, b] = await startIsolates(vars);
    try {
      await putJson(a, policyPath("acme"), POLICY);
      const { key, id } = await createKey(a, "acme");
      assert.equal((await a.as(key, policyPath("acme"))).status, 200);
      assert.equal((await b.as(key, policyPath("acme"))).status, 200, "B validated it too (its L1 holds it)");
      const revoke = await a.fetch(`/admin/tenants/acme/keys/${id}`, { method: "DELETE" });
      assert.equal(revoke.status, 204, `${await revoke.text()} ${a.logs.filter((l) => /error|warn/i.test(l)).join("\n")}`);
      const revoked = Date.now();
      assert.equal((await a.as(key, policyPath("acme"))).status, 401, "at once in the isolate that revoked it");
      const took = await within(1_500, "B refuses the revoked key", async () => (await b.as(key, policyPath("acme"))).status === 401);
      assert.ok(Date.now() - revoked <= 1_500, `B accepted it for ${took} ms`);
      assert.equal((await a.fetch(`/admin/tenants/acme/keys/${id}`, { method: "DELETE" })).status, 404, "gone");
    } finally {
      await a.dispose();
      await upstash.stop();
    }
  });

  test("while Upstash is down, validations fall back to D1 and never allow an unknown key", async () => {
    await withWorker({ CACHE_TIMEOUT_MS: "300" }, async (worker, upstash) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key } = await createKey(worker, "acme");
      const { key: revoked, id } = await createKey(worker, "acme");
      assert.equal((await worker.fetch(`/admin/tenants/acme/keys/${id}`, { method: "DELETE" })).status, 204);
      await upstash.stop();
      assert.equal((await worker.as(key, policyPath("acme"))).status, 200, "D1 vouches for a valid key");
      assert.equal((await worker.as(revoked, policyPath("acme"))).status, 401, "and refuses a revoked one");
      assert.equal((await worker.as(`ek1_${"0".repeat(16)}_${"B".repeat(64)}`, policyPath("acme"))).status, 401);
    });
  });
});

describe("limits an attacker cannot spend for someone else", () => {
  test("the per-client limit counts failed credentials, IPv6 by its /64, and buckets a missing address", async () => {
    await withWorker({ RATE_LIMIT_CLIENT_LIMIT: "3", RATE_LIMIT_TENANT_LIMIT: "1000", AUTH_FAILURE_LIMIT: "1000" }, async (worker) => {
      const guess = "a-guess-at-the-admin-token-of-some-length";
      const tries = ["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff::3"];
      for (const ip of tries) assert.equal((await worker.as(guess, policyPath("acme"), from(ip))).status, 401, ip);
      const refused = await worker.as(guess, policyPath("acme"), from("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
      assert.equal(refused.status, 429, "a fourth address of the same /64 is the same client");
      assert.match(refused.headers.get("ratelimit"), /"client";r=0;/);
      assert.equal((await worker.as(guess, policyPath("acme"), from("2001:db8:1:3::1"))).status, 401, "another /64 is another client");
      // Without CF-Connecting-IP: one shared bucket, limited like any other.
      for (let i = 0; i < 3; i++) assert.equal((await worker.as(guess, policyPath("acme"))).status, 401);
      assert.equal((await worker.as(guess, policyPath("acme"))).status, 429);
      const lookup = await (await worker.fetch("/admin/ratelimit/client/2001%3Adb8%3A1%3A2%3A%3A99")).json();
      assert.deepEqual([lookup.identifier, lookup.remaining], ["2001:db8:1:2::/64", 0], "the admin API names the bucket");
    });
  });

  test("requests without valid credentials never spend a tenant's quota", async () => {
    await withWorker({ RATE_LIMIT_TENANT_LIMIT: "3", RATE_LIMIT_CLIENT_LIMIT: "1000" }, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY); // the admin's PUT spends 1 of acme's 3
      for (let i = 0; i < 20; i++) {
        const ip = `198.51.100.${i}`;
        assert.equal((await worker.anonymous(policyPath("acme"), from(ip))).status, 401);
        assert.equal((await worker.as(`ek1_${"0".repeat(16)}_${"D".repeat(64)}`, policyPath("acme"), from(ip))).status, 401);
        assert.equal((await worker.as("a-wrong-token-of-more-than-thirty-two-chars", policyPath("acme"), from(ip))).status, 401);
      }
      const { key } = await createKey(worker, "acme");
      const response = await worker.as(key, policyPath("acme"), from("192.0.2.1"));
      assert.equal(response.status, 200, "acme's users still get through");
      assert.match(response.headers.get("ratelimit"), /"tenant";r=1;/, "only the admin's PUT and this GET were counted");
    });
  });

  test("an authenticated cached GET shares one round trip between its limits and its read", async () => {
    await withWorker({ ...NO_FLUSH, CACHE_L1_MAX_STALENESS_MS: "60000" }, async (worker, upstash) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key } = await createKey(worker, "acme");
      await worker.as(key, policyPath("acme"), from("192.0.2.7")); // the key's validation and the policy reach L1
      await upstash.resetRequests();
      const hit = await worker.as(key, policyPath("acme"), from("192.0.2.7"));
      assert.equal(hit.headers.get("x-cache"), "hit");
      assert.equal(await upstash.requests(), 1, "both limit checks in one request; validation and policy from L1");
    });
  });

  test("an authenticated cached GET costs one round trip when the key's validation is in Upstash but not in this isolate's L1", async () => {
    const upstash = await startUpstashLocal();
    // Sliding log: exact counts (GCRA would hand a unit back every 600 ms).
    const vars = upstashVars(upstash, { ...NO_FLUSH, RATE_LIMIT_TENANT_LIMIT: "100", RATE_LIMIT_ALGORITHM: "sliding-log" });
    const [a, b] = await startIsolates(vars);
    try {
      await putJson(a, policyPath("acme"), POLICY);
      const { key } = await createKey(a, "acme");
      const isolateId = async (w) => (await (await w.fetch("/admin/stats")).json()).isolate.id;
      assert.notEqual(await isolateId(a), await isolateId(b), "two isolates");
      assert.equal((await a.as(key, policyPath("acme"), from("192.0.2.8"))).status, 200, "A caches the validation and the policy in Upstash");
      await upstash.resetRequests();
      const response = await b.as(key, policyPath("acme"), from("192.0.2.9"));
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-cache"), "hit");
      assert.equal(await upstash.requests(), 1, "both limits, the validation and the policy in one /pipeline");
      // The admin's PUT, A's GET and B's GET: the tenant limit was spent in that one round trip.
      assert.match(response.headers.get("ratelimit"), /"tenant";r=97;/);
      const other = await createKey(a, "globex");
      await a.as(other.key, policyPath("globex"), from("192.0.2.8")); // globex's key validation cached
      assert.equal((await b.as(other.key, policyPath("acme"), from("192.0.2.9"))).status, 403, "another tenant's key: insufficient_scope");
      const acme = await (await a.fetch("/admin/ratelimit/tenant/acme")).json();
      assert.equal(acme.remaining, 97, "another tenant's key spent none of acme's quota");
    } finally {
      await a.dispose();
      await upstash.stop();
    }
  });
});

describe("no amplification", () => {
  test("500 misses on unknown tenants leave only keys that expire with their negative entries", async () => {
    await withWorker({ CACHE_NEGATIVE_TTL_SECONDS: "30", RATE_LIMIT_CLIENT_LIMIT: "100000", RATE_LIMIT_TENANT_LIMIT: "100000" }, async (worker, upstash, vars) => {
      const misses = 500;
      for (let i = 0; i < misses; i += 25) {
        const batch = Array.from({ length: 25 }, (_, j) => worker.fetch(policyPath(`ghost-${i + j}`)));
        assert.deepEqual([...new Set((await Promise.all(batch)).map((r) => r.status))], [404]);
      }
      const keys = await upstash.keysWithPttl(vars.CACHE_KEY_PREFIX);
      assert.ok(keys.length <= 2 * misses + 2, `${keys.length} keys for ${misses} misses`);
      const longest = Math.max(...keys.map(({ pttl }) => pttl));
      assert.ok(keys.every(({ pttl }) => pttl > 0), "every key expires");
      assert.ok(longest <= 30_000, `the longest-lived key has ${longest} ms left (the negative TTL is 30 s)`);
    });
  });
});

describe("secrets never leave", () => {
  test("a URL carrying credentials is refused naming the variable, never its value", async () => {
    const worker = await startWorker({ UPSTASH_REDIS_REST_URL: "https://default:S3CRET@example.upstash.io", UPSTASH_REDIS_REST_TOKEN: "t" });
    try {
      for (const path of ["/health", policyPath("acme"), "/admin/stats"]) {
        const response = await worker.fetch(path);
        const text = await response.text();
        assert.equal(response.status, 500, path);
        assert.match(text, /UPSTASH_REDIS_REST_URL/);
        assert.doesNotMatch(text, /S3CRET/);
      }
      assert.ok(worker.logs.some((l) => l.includes("UPSTASH_REDIS_REST_URL")), "logged, naming the variable");
      assert.ok(!worker.logs.some((l) => l.includes("S3CRET")), "never the value");
    } finally {
      await worker.dispose();
    }
  });

  test("D1's and Redis's own texts go to the log under a request id, never to the client", async () => {
    await withWorker({}, async (worker) => {
      await worker.db.prepare("DROP TABLE tenant_llm_policies").run();
      const response = await worker.fetch(policyPath("acme"));
      const body = await response.json();
      assert.equal(response.status, 503);
      assert.deepEqual(Object.keys(body).sort(), ["code", "error", "requestId"]);
      assert.equal(body.code, "unavailable");
      assert.equal(body.error, "the backing store is unavailable");
      assert.equal(body.requestId, response.headers.get("x-request-id"));
      assert.ok(worker.logs.some((l) => l.includes(body.requestId) && /no such table/i.test(l)), `the cause is in the log: ${worker.logs.join(" | ")}`);
    });
  });

  test("no token appears in any answer or log line, and /stats is admin-only", async () => {
    await withWorker({ CACHE_EVENTS_CHANNEL: "sec-events" }, async (worker) => {
      const answers = [];
      const collect = async (response) => answers.push(JSON.stringify([...response.headers]) + (await response.text()));
      await collect(await putJson(worker, policyPath("acme"), POLICY));
      await collect(await worker.fetch(policyPath("acme")));
      await collect(await worker.fetch("/admin/stats"));
      await collect(await worker.fetch("/health"));
      await collect(await worker.anonymous("/admin/stats"));
      await collect(await worker.as("wrong-token-of-some-length", "/admin/stats"));
      await collect(await worker.fetch("/admin/cache/invalidate", { method: "POST", headers: { "content-type": "application/json" }, body: '{"tags":["x"]}' }));
      assert.equal((await worker.fetch("/stats")).status, 404, "the old public /stats is gone");
      assert.equal((await worker.anonymous("/admin/stats")).status, 401);
      for (const secret of [TOKEN, ADMIN_TOKEN]) {
        assert.ok(!answers.some((a) => a.includes(secret)), `${secret} in an answer`);
        assert.ok(!worker.logs.some((l) => l.includes(secret)), `${secret} in a log line`);
      }
    });
  });
});
