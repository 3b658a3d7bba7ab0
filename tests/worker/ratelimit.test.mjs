// Rate limiting on the /v1/* routes: per tenant and per key for authenticated
// requests, per client address for failed credentials; 429 with the standard
// headers, one REST round trip shared with the cache read.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { NO_FLUSH, POLICY, putJson, startStalledServer, startWorker, withWorker } from "./harness.mjs";

const from = (ip, init = {}) => ({ ...init, headers: { ...(init.headers ?? {}), "CF-Connecting-IP": ip } });
const WRONG_TOKEN = "a-wrong-token-of-more-than-thirty-two-characters";
const put = (worker, path, body, ip) =>
  worker.fetch(path, from(ip, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));

describe("rate limits on /v1/*", () => {
  test("an address over its client limit gets 429 for failed credentials, with Retry-After and the RateLimit headers", async () => {
    await withWorker({ RATE_LIMIT_CLIENT_LIMIT: "3", RATE_LIMIT_CLIENT_WINDOW_SECS: "60", AUTH_FAILURE_LIMIT: "1000" }, async (worker) => {
      assert.equal((await put(worker, "/v1/tenants/acme/policy", POLICY, "10.0.0.1")).status, 200);
      const wrong = (init = {}) => ({ ...init, headers: { ...(init.headers ?? {}), authorization: `Bearer ${WRONG_TOKEN}` } });
      for (let i = 0; i < 3; i++) {
        const failed = await worker.fetch("/v1/tenants/acme/policy", from("10.0.0.1", wrong()));
        assert.equal(failed.status, 401);
      }
      const refused = await worker.fetch("/v1/tenants/acme/policy", from("10.0.0.1", wrong()));
      assert.equal(refused.status, 429);
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);
      assert.match(refused.headers.get("ratelimit"), /"client";r=0;t=\d+/);
      assert.equal(refused.headers.get("ratelimit-policy"), '"client";q=3;w=60, "auth";q=1000;w=60');
      const body = await refused.json();
      assert.equal(body.code, "too_many_auth_failures");
      assert.ok(body.retryAfterMs > 0);
      // A PUT with bad credentials from that address is refused before its body is read.
      const attack = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ ...POLICY, defaultModel: "m2" }) };
      assert.equal((await worker.fetch("/v1/tenants/acme/policy", from("10.0.0.1", wrong(attack)))).status, 429);
      // Valid credentials from that address go on: they count against their tenant.
      const allowed = await worker.fetch("/v1/tenants/acme/policy", from("10.0.0.1"));
      assert.equal(allowed.status, 200);
      assert.equal((await allowed.json()).defaultModel, "m1");
      assert.match(allowed.headers.get("ratelimit"), /"tenant";r=\d+;t=\d+/);
      assert.equal(allowed.headers.get("ratelimit-policy"), '"tenant";q=1000;w=60, "key";q=1000;w=60');
      // Another address is not affected.
      assert.equal((await worker.fetch("/v1/tenants/acme/policy", from("10.0.0.2", wrong()))).status, 401);
      // Health is not limited.
      assert.equal((await worker.fetch("/health", from("10.0.0.1"))).status, 200);
    });
  });

  test("a tenant over its limit is refused whichever client asks", async () => {
    await withWorker({ RATE_LIMIT_TENANT_LIMIT: "2" }, async (worker) => {
      assert.equal((await put(worker, "/v1/tenants/busy/policy", POLICY, "10.0.1.1")).status, 200);
      assert.equal((await worker.fetch("/v1/tenants/busy/policy", from("10.0.1.2"))).status, 200);
      const refused = await worker.fetch("/v1/tenants/busy/conversation-config", from("10.0.1.3"));
      assert.equal(refused.status, 429);
      assert.match(refused.headers.get("ratelimit"), /"tenant";r=0/);
      assert.equal((await worker.fetch("/v1/tenants/quiet/policy", from("10.0.1.3"))).status, 404, "other tenants go on");
    });
  });

  test("a refused limit consumes nothing from the other (all-or-nothing)", async () => {
    await withWorker({ RATE_LIMIT_TENANT_LIMIT: "1", RATE_LIMIT_KEY_LIMIT: "5", RATE_LIMIT_ALGORITHM: "sliding-log" }, async (worker) => {
      const created = await worker.fetch("/admin/tenants/t1/keys", { method: "POST" });
      const { key, id } = await created.json();
      const asKey = { headers: { authorization: `Bearer ${key}` } };
      assert.equal((await worker.fetch("/v1/tenants/t1/policy", from("10.0.2.1", asKey))).status, 404);
      for (let i = 0; i < 3; i++) assert.equal((await worker.fetch("/v1/tenants/t1/policy", from("10.0.2.1", asKey))).status, 429);
      // Had the refused requests spent the key's quota, only 1 of 5 would be left.
      const perKey = await (await worker.fetch(`/admin/ratelimit/key/${id}`)).json();
      assert.equal(perKey.remaining, 4);
    });
  });

  test("a rate-limited cache hit costs one REST round trip", async () => {
    await withWorker({ ...NO_FLUSH, CACHE_L1_MAX_STALENESS_MS: "0" }, async (worker, upstash) => {
      await put(worker, "/v1/tenants/one/policy", POLICY, "10.0.3.1");
      await worker.fetch("/v1/tenants/one/policy", from("10.0.3.1")); // miss: cached; scripts loaded
      await worker.fetch("/v1/tenants/one/policy", from("10.0.3.1"));
      await upstash.resetRequests();
      const hit = await worker.fetch("/v1/tenants/one/policy", from("10.0.3.1"));
      assert.equal(hit.headers.get("x-cache"), "hit");
      assert.ok(hit.headers.get("ratelimit"));
      assert.equal(await upstash.requests(), 1, "the limit check and the cache read shared one request");
    });
  });

  test("every cached GET costs exactly one REST round trip, even when L1 ages past its bound mid-request", async () => {
    // With an 8 ms bound (a few request times here), the L1 copy often turns
    // stale between the rate-limit check and the read of the same request.
    // The request decides once: it either sent its check alone and serves
    // L1, or read along with the check. (Deciding twice cost 121-138 REST
    // requests for these 100 GETs.)
    await withWorker({ ...NO_FLUSH, CACHE_L1_MAX_STALENESS_MS: "8", RATE_LIMIT_TENANT_LIMIT: "10000" }, async (worker, upstash) => {
      await put(worker, "/v1/tenants/aging/policy", POLICY, "10.0.3.2");
      await worker.fetch("/v1/tenants/aging/policy", from("10.0.3.2")); // miss: cached; scripts loaded
      const gets = 100;
      // Stats are read outside the counted window: /admin/stats asks Upstash too.
      const l1Hits = async () => (await (await worker.fetch("/admin/stats")).json()).cache.l1Hits;
      const before = await l1Hits();
      await upstash.resetRequests();
      for (let i = 0; i < gets; i++) {
        const hit = await worker.fetch("/v1/tenants/aging/policy", from("10.0.3.2"));
        assert.equal(hit.headers.get("x-cache"), "hit");
        await hit.arrayBuffer();
        if (i % 4 === 3) await new Promise((r) => setTimeout(r, 1 + (i % 3)));
      }
      const requests = await upstash.requests();
      const l1Served = (await l1Hits()) - before;
      assert.equal(requests, gets, `${gets} cached GETs, ${l1Served} of them from L1`);
      assert.ok(l1Served > 0 && l1Served < gets, `both tiers served (${l1Served} from L1)`);
    });
  });

  test("RATE_LIMIT_ENABLED=false turns limiting off", async () => {
    await withWorker({ RATE_LIMIT_ENABLED: "false", RATE_LIMIT_CLIENT_LIMIT: "1" }, async (worker) => {
      for (let i = 0; i < 3; i++) {
        const response = await worker.fetch("/v1/tenants/acme/policy", from("10.0.4.1"));
        assert.equal(response.status, 404);
        assert.equal(response.headers.get("ratelimit"), null);
      }
    });
  });

  test("bad settings name their variable", async () => {
    for (const [name, value] of [["RATE_LIMIT_CLIENT_LIMIT", "0"], ["RATE_LIMIT_ALGORITHM", "leaky"], ["RATE_LIMIT_TENANT_WINDOW_SECS", "x"]]) {
      const worker = await startWorker({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t", [name]: value });
      try {
        const response = await worker.fetch("/v1/tenants/acme/policy");
        assert.equal(response.status, 500, name);
        assert.match((await response.json()).error, new RegExp(name));
      } finally {
        await worker.dispose();
      }
    }
    const noDatabase = await startWorker({ RATE_LIMIT_ENABLED: "true" });
    try {
      assert.match((await (await noDatabase.fetch("/health")).json()).error, /RATE_LIMIT_ENABLED/);
    } finally {
      await noDatabase.dispose();
    }
  });

  test("with Upstash stalled, requests are allowed (fail-open) within the timeout", async () => {
    const stalled = await startStalledServer();
    const worker = await startWorker({
      UPSTASH_REDIS_REST_URL: stalled.url,
      UPSTASH_REDIS_REST_TOKEN: "t",
      RATE_LIMIT_TIMEOUT_MS: "300",
      // The GET's check rides in the cache read's request: the limiter's
      // shorter timeout must still hold.
      CACHE_TIMEOUT_MS: "5000",
      RATE_LIMIT_FAILURE_POLICY: "fail-open",
    });
    try {
      const started = Date.now();
      const response = await worker.fetch("/v1/tenants/acme/policy", from("10.0.5.1"));
      assert.equal(response.status, 404, "allowed, then answered from D1");
      assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
      assert.match(response.headers.get("ratelimit"), /"tenant";r=1000;/, "fail-open answers with the real limit");
    } finally {
      await worker.dispose();
      await stalled.stop();
    }
  });
});
