// Issue 21 (the worker): who spends which limit, failed credentials, self-
// checking API keys, RFC 6750 status codes, revocations that cannot be lost,
// the memory provider's per-isolate cache, capped overrides, a public health
// that says little, no token in clear, response headers and the SSE relay.
// Each test names one guarantee of the README's "Security" section.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { ADMIN_TOKEN, NO_FLUSH, POLICY, SHARED_REDIS_URL, TOKEN, putJson, startIsolates, startUpstashLocal, startWorker, unique, upstashVars, withWorker, within } from "./harness.mjs";

const policyPath = (tenant) => `/v1/tenants/${tenant}/policy`;
const userConfigPath = (tenant, user) => `/v1/tenants/${tenant}/users/${user}/conversation-config`;
const from = (ip, init = {}) => ({ ...init, headers: { ...(init.headers ?? {}), "CF-Connecting-IP": ip } });
/** The address every Cloudflare Worker calling from another zone arrives from. */
const WORKERS_ADDRESS = "2a06:98c0:3600::103";
const WRONG_TOKEN = "wrong-token-of-forty-characters-0123456789";

async function createKey(worker, tenant) {
  const response = await worker.fetch(`/admin/tenants/${tenant}/keys`, { method: "POST" });
  assert.equal(response.status, 201);
  return response.json();
}

/** A refusal of credentials (the status itself is item 4's). */
const refused = (status) => status === 401 || status === 403;

const revoke = (worker, tenant, id) => worker.fetch(`/admin/tenants/${tenant}/keys/${id}`, { method: "DELETE" });

describe("item 1: authenticated requests never spend an address's limit", () => {
  test("a neighbour on a shared address cannot lock out a tenant's valid key or the admin", async () => {
    await withWorker({ RATE_LIMIT_CLIENT_LIMIT: "3", AUTH_FAILURE_LIMIT: "1000" }, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key } = await createKey(worker, "acme");
      // A neighbour behind the same address spends the address's bucket with bad credentials.
      // (Forged keys and wrong tokens: whichever of them the address's limits count.)
      const neighbour = [];
      for (const token of [`ek_${"N".repeat(43)}`, WRONG_TOKEN]) {
        for (let i = 0; i < 5; i++) neighbour.push((await worker.as(token, policyPath("acme"), from(WORKERS_ADDRESS))).status);
      }
      assert.ok(neighbour.includes(429), `the neighbour is throttled: ${neighbour}`);
      const tenant = await worker.as(key, policyPath("acme"), from(WORKERS_ADDRESS));
      assert.equal(tenant.status, 200, "the tenant's key still works from that address");
      assert.doesNotMatch(tenant.headers.get("ratelimit") ?? "", /"client"/, "it counts against its tenant, not the address");
      assert.match(tenant.headers.get("ratelimit"), /"tenant";r=\d+/);
      assert.equal((await worker.fetch(policyPath("acme"), from(WORKERS_ADDRESS))).status, 200, "and so does the admin token");
    });
  });

  test("a tenant's many valid requests from one address never spend that address's client bucket", async () => {
    await withWorker({ RATE_LIMIT_CLIENT_LIMIT: "3" }, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key, id } = await createKey(worker, "acme");
      for (let i = 0; i < 6; i++) assert.equal((await worker.as(key, policyPath("acme"), from("192.0.2.50"))).status, 200, `request ${i}`);
      const client = await (await worker.fetch("/admin/ratelimit/client/192.0.2.50")).json();
      assert.equal(client.remaining, 3, "untouched");
      const perKey = await (await worker.fetch(`/admin/ratelimit/key/${id}`)).json();
      assert.ok(perKey.remaining < perKey.limit, `the key's own limit counted them: ${JSON.stringify(perKey)}`);
    });
  });
});

describe("item 2: failed credentials are throttled and logged", () => {
  test("wrong tokens from one address get 401, then 429 past AUTH_FAILURE_LIMIT; the token is never logged", async () => {
    await withWorker({ AUTH_FAILURE_LIMIT: "3", RATE_LIMIT_CLIENT_LIMIT: "1000" }, async (worker) => {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await worker.as(WRONG_TOKEN, "/admin/stats", from("198.51.100.7"))).status);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
      const refused = await worker.as(WRONG_TOKEN, policyPath("acme"), from("198.51.100.7"));
      assert.equal(refused.status, 429, "on /v1 too");
      assert.ok(Number(refused.headers.get("retry-after")) >= 1);
      assert.equal((await refused.json()).code, "too_many_auth_failures");
      assert.equal((await worker.as(WRONG_TOKEN, "/admin/stats", from("198.51.100.8"))).status, 401, "another address is not throttled");
      assert.equal((await worker.fetch("/admin/stats", from("198.51.100.7"))).status, 200, "a valid credential is never refused for its address");
      await within(2_000, "the failures are logged", () => worker.logs.some((l) => /authentication failed/.test(l) && l.includes("198.51.100.7")));
      assert.ok(!worker.logs.some((l) => l.includes(WRONG_TOKEN) || l.includes(ADMIN_TOKEN)), "never a token");
    });
  });

  test("without Upstash, failed credentials are throttled per isolate", async () => {
    const worker = await startWorker({ AUTH_FAILURE_LIMIT: "2" });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await worker.as(WRONG_TOKEN, "/admin/stats", from("198.51.100.9"))).status);
      assert.deepEqual(statuses, [401, 401, 429, 429]);
    } finally {
      await worker.dispose();
    }
  });

  test("an ADMIN_TOKEN shorter than 32 characters is refused, naming the variable and never the value", async () => {
    const worker = await startWorker({ ADMIN_TOKEN: "short-but-16-plus-Zq9" });
    try {
      const response = await worker.fetch("/admin/stats");
      const body = await response.json();
      assert.equal(response.status, 500);
      assert.match(body.error, /ADMIN_TOKEN/);
      assert.match(body.error, /32/);
      assert.doesNotMatch(JSON.stringify(body), /short-but-16-plus-Zq9/);
    } finally {
      await worker.dispose();
    }
  });
});

describe("item 3: API keys are self-checking", () => {
  test("a forged or mistyped key is refused before any Upstash request or D1 read", async () => {
    await withWorker(NO_FLUSH, async (worker, upstash) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key, id } = await createKey(worker, "acme");
      assert.match(key, /^ek1_[0-9a-f]{16}_[A-Za-z0-9_-]{64}$/);
      assert.equal(key.slice(4, 20), id, "the key names its id");
      assert.equal((await worker.as(key, policyPath("acme"))).status, 200);
      // Without the table, any D1 read would answer 503.
      await worker.db.prepare("DROP TABLE tenant_api_keys").run();
      const last = key.at(-1) === "A" ? "B" : "A";
      const mistyped = key.slice(0, -1) + last;
      const forged = `ek1_${id}_${randomBytes(48).toString("base64url")}`;
      const legacyShaped = `ek_${randomBytes(32).toString("base64url")}`;
      await upstash.resetRequests();
      for (const bad of [mistyped, forged, legacyShaped]) {
        const response = await worker.as(bad, policyPath("acme"), from("192.0.2.77"));
        assert.equal(response.status, 401, bad);
        assert.equal(response.headers.get("www-authenticate"), 'Bearer error="invalid_token"');
      }
      assert.equal(await upstash.requests(), 0, "no Upstash request");
    });
  });

  test("legacy ek_ keys work only with API_KEY_ACCEPT_LEGACY=true", async () => {
    const legacy = `ek_${randomBytes(32).toString("base64url")}`;
    const digest = createHash("sha256").update(legacy).digest("hex");
    const seed = async (worker) =>
      worker.db.prepare("INSERT INTO tenant_api_keys (key_sha256, id, tenant_id, created_at_ms) VALUES (?1, ?2, ?3, ?4)").bind(digest, "0123456789abcdef", "acme", Date.now()).run();
    await withWorker({}, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      await seed(worker);
      const response = await worker.as(legacy, policyPath("acme"));
      assert.equal(response.status, 401);
      assert.match((await response.json()).error, /legacy/);
    });
    await withWorker({ API_KEY_ACCEPT_LEGACY: "true" }, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      await seed(worker);
      assert.equal((await worker.as(legacy, policyPath("acme"))).status, 200);
    });
  });

  test("API_KEY_SECRET must be at least 32 characters", async () => {
    const worker = await startWorker({ API_KEY_SECRET: "too-short" });
    try {
      const response = await worker.fetch("/admin/stats");
      assert.equal(response.status, 500);
      const body = await response.text();
      assert.match(body, /API_KEY_SECRET/);
      assert.doesNotMatch(body, /too-short/);
    } finally {
      await worker.dispose();
    }
  });
});

describe("item 4: status codes follow RFC 6750", () => {
  test("missing, wrong, unknown and revoked credentials are 401; a valid one out of its scope is 403", async () => {
    await withWorker({}, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      await putJson(worker, policyPath("other"), POLICY);
      const { key, id } = await createKey(worker, "acme");
      const { key: revoked, id: revokedId } = await createKey(worker, "acme");
      assert.equal((await worker.as(revoked, policyPath("acme"))).status, 200);
      assert.ok([202, 204].includes((await revoke(worker, "acme", revokedId)).status));
      const check = async (response, status, challenge, what) => {
        assert.equal(response.status, status, what);
        assert.equal(response.headers.get("www-authenticate"), challenge, what);
        return response.json();
      };
      await check(await worker.anonymous(policyPath("acme")), 401, "Bearer", "missing");
      await check(await worker.anonymous(policyPath("acme"), { headers: { authorization: "Basic YTpi" } }), 401, "Bearer", "another scheme");
      const wrong = await check(await worker.as(WRONG_TOKEN, "/admin/stats"), 401, 'Bearer error="invalid_token"', "a wrong token");
      assert.equal(wrong.code, "invalid_token");
      await check(await worker.as(revoked, policyPath("acme")), 401, 'Bearer error="invalid_token"', "a revoked key");
      const scope = await check(await worker.as(key, policyPath("other")), 403, 'Bearer error="insufficient_scope"', "another tenant");
      assert.equal(scope.code, "insufficient_scope");
      await check(await worker.as(key, "/admin/stats"), 403, 'Bearer error="insufficient_scope"', "an admin route");
      const put = { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(POLICY) };
      await check(await worker.as(key, policyPath("acme"), put), 403, 'Bearer error="insufficient_scope"', "a policy write");
      assert.equal((await worker.as(key, policyPath("acme"))).status, 200, `key ${id} still works`);
    });
  });
});

describe("item 5: a revocation is applied or says it is pending", () => {
  test("with Upstash down, a revocation answers 202 pending", async () => {
    await withWorker({ CACHE_TIMEOUT_MS: "300" }, async (worker, upstash) => {
      await putJson(worker, policyPath("acme"), POLICY);
      const { key, id } = await createKey(worker, "acme");
      assert.equal((await worker.as(key, policyPath("acme"))).status, 200);
      await upstash.stop();
      const response = await revoke(worker, "acme", id);
      assert.equal(response.status, 202);
      assert.deepEqual(await response.json(), { status: "pending", id, tenant: "acme" });
      assert.equal((await worker.as(key, policyPath("acme"))).status, 401, "refused here at once");
    });
  });

  test("with the breaker open but Upstash back, a revocation reaches Upstash: other isolates refuse the key within the L1 bound", async () => {
    const upstash = await startUpstashLocal();
    const vars = upstashVars(upstash, {
      CACHE_TIMEOUT_MS: "300",
      CACHE_BREAKER_FAILURES: "1",
      CACHE_BREAKER_COOLDOWN_MS: "600000",
      CACHE_OUTBOX_DRAIN_INTERVAL_MS: "600000",
      CACHE_L1_MAX_STALENESS_MS: "1000",
    });
    const [a, b] = await startIsolates(vars);
    let restarted;
    try {
      await putJson(a, policyPath("acme"), POLICY);
      const { key, id } = await createKey(a, "acme");
      assert.equal((await a.as(key, policyPath("acme"))).status, 200);
      assert.equal((await b.as(key, policyPath("acme"))).status, 200);
      await upstash.stop();
      await a.fetch(policyPath("acme")); // fails against the stopped Upstash: A's breaker opens
      assert.equal((await (await a.fetch("/admin/stats")).json()).breaker.open, true);
      restarted = await startUpstashLocal(SHARED_REDIS_URL, { port: upstash.port });
      const response = await revoke(a, "acme", id);
      assert.equal(response.status, 204, await response.text());
      await within(1_500, "B refuses the revoked key", async () => refused((await b.as(key, policyPath("acme"))).status));
    } finally {
      await a.dispose();
      await restarted?.stop();
      await upstash.stop();
    }
  });
});

describe("item 6: the memory provider is per isolate", () => {
  test("a revocation reaches other isolates within the L1 bound; health and the log say the cache is per isolate", async () => {
    const [a, b] = await startIsolates({ CACHE_L1_MAX_STALENESS_MS: "1000" });
    try {
      await putJson(a, policyPath("acme"), POLICY);
      await putJson(b, policyPath("acme"), POLICY);
      const { key, id } = await createKey(a, "acme");
      assert.equal((await a.as(key, policyPath("acme"))).status, 200);
      assert.equal((await b.as(key, policyPath("acme"))).status, 200);
      assert.equal((await revoke(a, "acme", id)).status, 204);
      const revokedAt = Date.now();
      await within(1_500, "B refuses the revoked key", async () => refused((await b.as(key, policyPath("acme"))).status));
      assert.ok(Date.now() - revokedAt <= 1_600);
      const health = await (await a.fetch("/admin/health")).json();
      assert.equal(health.cache.scope, "isolate");
      assert.ok(a.logs.some((l) => /per isolate/.test(l)), a.logs.join("\n"));
    } finally {
      await a.dispose();
    }
  });
});

describe("item 7: user overrides are capped per tenant", () => {
  test("past MAX_USER_OVERRIDES_PER_TENANT a new override is 409; updates and other tenants go on", async () => {
    await withWorker({ MAX_USER_OVERRIDES_PER_TENANT: "3" }, async (worker) => {
      for (let i = 0; i < 3; i++) assert.equal((await putJson(worker, userConfigPath("acme", `u${i}`), { maxTurns: 3 })).status, 200);
      const refused = await putJson(worker, userConfigPath("acme", "u3"), { maxTurns: 3 });
      assert.equal(refused.status, 409);
      assert.equal((await refused.json()).code, "too_many_user_overrides");
      assert.equal((await worker.fetch(userConfigPath("acme", "u3"))).status, 404, "nothing was written");
      assert.equal((await putJson(worker, userConfigPath("acme", "u1"), { maxTurns: 4 })).status, 200, "an update");
      assert.equal((await putJson(worker, userConfigPath("globex", "u3"), { maxTurns: 3 })).status, 200, "another tenant");
      assert.equal((await putJson(worker, "/v1/tenants/acme/conversation-config", { maxTurns: 3 })).status, 200, "the tenant default is not an override");
      const { n } = await worker.db.prepare("SELECT COUNT(*) AS n FROM conversation_configs WHERE tenant_id = 'acme' AND user_id != ''").first();
      assert.equal(n, 3);
      const { outbox } = await worker.db.prepare("SELECT COUNT(*) AS outbox FROM cache_outbox").first();
      assert.equal(outbox, 0, "the refused write left nothing in the outbox");
    });
  });
});

describe("item 8: public health says little", () => {
  test("anonymous /health answers healthy and its age only; details need the admin token", async () => {
    await withWorker({}, async (worker) => {
      const open = await worker.anonymous("/health");
      assert.equal(open.status, 200);
      assert.deepEqual(Object.keys(await open.json()).sort(), ["ageMs", "checkedAtMs", "healthy"]);
      const details = await (await worker.fetch("/admin/health")).json();
      assert.equal(details.backend, "upstash");
      assert.equal(typeof details.latencyMs, "number");
      assert.equal((await worker.anonymous("/admin/health")).status, 401);
    });
  });

  test("an unhealthy backend's error text is not public", async () => {
    const worker = await startWorker({ UPSTASH_REDIS_REST_URL: "http://127.0.0.1:9", UPSTASH_REDIS_REST_TOKEN: "t", CACHE_TIMEOUT_MS: "300" });
    try {
      const open = await worker.anonymous("/health");
      assert.equal(open.status, 503);
      assert.deepEqual(Object.keys(await open.json()).sort(), ["ageMs", "checkedAtMs", "healthy"]);
      const details = await (await worker.fetch("/admin/health")).json();
      assert.equal(details.healthy, false);
      assert.ok(details.error, JSON.stringify(details));
    } finally {
      await worker.dispose();
    }
  });

  test("HEALTH_CACHE_MS below 1000 is refused", async () => {
    const worker = await startWorker({ HEALTH_CACHE_MS: "0" });
    try {
      const response = await worker.anonymous("/health");
      assert.equal(response.status, 500);
      assert.match((await response.json()).error, /HEALTH_CACHE_MS/);
    } finally {
      await worker.dispose();
    }
  });
});

describe("item 9: no Upstash token in clear", () => {
  test("an http:// Upstash URL is refused unless it is loopback or UPSTASH_ALLOW_INSECURE_HTTP=true", async () => {
    const vars = { UPSTASH_REDIS_REST_URL: "http://upstash.example.internal:8080", UPSTASH_REDIS_REST_TOKEN: "t", CACHE_TIMEOUT_MS: "200" };
    let worker = await startWorker(vars);
    try {
      const response = await worker.fetch("/admin/tenants/acme/keys");
      assert.equal(response.status, 500);
      const { error } = await response.json();
      assert.match(error, /UPSTASH_REDIS_REST_URL/);
      assert.match(error, /UPSTASH_ALLOW_INSECURE_HTTP/);
    } finally {
      await worker.dispose();
    }
    worker = await startWorker({ ...vars, UPSTASH_ALLOW_INSECURE_HTTP: "true" });
    try {
      assert.equal((await worker.fetch("/admin/tenants/acme/keys")).status, 200);
    } finally {
      await worker.dispose();
    }
  });
});

describe("item 10: response headers and the event relay", () => {
  test("API answers carry nosniff and a restrictive Content-Security-Policy", async () => {
    await withWorker({}, async (worker) => {
      await putJson(worker, policyPath("acme"), POLICY);
      for (const response of [
        await worker.fetch(policyPath("acme")),
        await worker.anonymous(policyPath("acme")),
        await worker.anonymous("/health"),
        await worker.fetch("/v1/nope"),
        await worker.fetch("/admin/stats"),
      ]) {
        assert.equal(response.headers.get("x-content-type-options"), "nosniff", response.url);
        assert.equal(response.headers.get("content-security-policy"), "default-src 'none'; frame-ancestors 'none'", response.url);
      }
    });
  });

  test("a multi-line event is relayed whole, as one event", async () => {
    const channel = unique("events");
    await withWorker({ CACHE_EVENTS_CHANNEL: channel }, async (worker, upstash) => {
      const response = await worker.fetch("/admin/events");
      assert.equal(response.status, 200);
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const events = [];
      const read = async (want) => {
        const deadline = Date.now() + 5_000;
        while (Date.now() < deadline) {
          const { value, done } = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r({}), deadline - Date.now()))]);
          if (done || value === undefined) break;
          text += decoder.decode(value, { stream: true });
          let end;
          while ((end = text.indexOf("\n\n")) >= 0) {
            const frame = text.slice(0, end);
            text = text.slice(end + 2);
            const event = { event: "message", data: [] };
            for (const line of frame.split("\n")) {
              if (line.startsWith("event:")) event.event = line.slice(6).trim();
              if (line.startsWith("data:")) event.data.push(line.slice(5).replace(/^ /, ""));
            }
            if (event.data.length === 0) continue;
            event.data = event.data.join("\n");
            events.push(event);
            if (want(event)) return event;
          }
        }
        throw new Error(`not within 5 s; saw ${JSON.stringify(events)}`);
      };
      await read((e) => e.event === "ready");
      const pretty = JSON.stringify({ type: "invalidate", version: 1, source: "elsewhere", atMs: Date.now(), tags: ["tenant:multi"] }, null, 2);
      assert.ok(pretty.includes("\n"));
      await upstash.command("PUBLISH", channel, pretty);
      const event = await read((e) => e.event === "invalidate");
      assert.deepEqual(JSON.parse(event.data).tags, ["tenant:multi"]);
      assert.equal(events.filter((e) => e.event === "invalidate").length, 1);
      await reader.cancel();
    });
  });
});

// The default admin token of every test worker is long enough for the new rule.
test("the harness's admin token has at least 32 characters", () => {
  assert.ok(ADMIN_TOKEN.length >= 32);
  assert.ok(TOKEN);
});
