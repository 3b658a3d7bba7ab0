// The admin API against the built worker in workerd, a real local D1 and
// real Redis through upstash-local: what each route answers, that bad input
// changes nothing, round trips, warming, and the live event stream.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { NO_FLUSH, POLICY, putJson, unique, useWorker } from "./harness.mjs";

const post = (worker, path, body) =>
  worker.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body) });

/** Reads Server-Sent Events from `response` until `want(event)` or `timeoutMs`. */
async function readEvents(response, want, timeoutMs = 5_000) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const events = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { value, done } = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r({ timeout: true }), deadline - Date.now()))]);
    if (done || value === undefined) break;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: "message", data: "" };
      for (const line of frame.split("\n")) {
        if (line.startsWith("event: ")) event.event = line.slice(7);
        if (line.startsWith("data: ")) event.data += line.slice(6);
      }
      if (frame.startsWith(":") || frame.startsWith("retry:")) continue;
      events.push(event);
      if (want(event)) return { events, reader };
    }
  }
  await reader.cancel();
  throw new Error(`not within ${timeoutMs} ms; saw ${JSON.stringify(events)}`);
}

describe("admin API", () => {
  const channel = unique("events");
  // Sliding log: exact counts that time does not refill within a test (GCRA,
  // the default, gives a tenant of 1000/min one unit back every 60 ms).
  // NO_FLUSH: round trips are counted exactly below.
  const s = useWorker({ ...NO_FLUSH, CACHE_EVENTS_CHANNEL: channel, RATE_LIMIT_CLIENT_LIMIT: "100", AUTH_FAILURE_LIMIT: "1000", RATE_LIMIT_ALGORITHM: "sliding-log" });
  const WRONG_TOKEN = "a-wrong-token-of-more-than-thirty-two-characters";

  test("stats report this isolate's counters, the breaker, the outbox and Upstash's figures", async () => {
    await putJson(s.worker, "/v1/tenants/acme/policy", POLICY);
    await s.worker.fetch("/v1/tenants/acme/policy");
    await s.worker.fetch("/v1/tenants/acme/policy");
    const stats = await (await s.worker.fetch("/admin/stats")).json();
    assert.ok(stats.cache.misses >= 1 && stats.cache.l1Hits + stats.cache.l2Hits >= 1, JSON.stringify(stats.cache));
    assert.equal(stats.cache.hitRatePercent, Math.round(stats.cache.hitRate * 1000) / 10);
    assert.deepEqual(Object.keys(stats.limiter).sort(), ["auth", "client", "key", "llm", "llm_slots", "tenant"]);
    assert.deepEqual(Object.keys(stats.limiter.client.byReason).sort(), ["backend_error", "backend_misconfigured", "cache_block", "circuit_open", "deny_list", "local_fallback", "none", "timeout"]);
    assert.equal(stats.breaker.open, false);
    assert.equal(stats.outbox.depth, 0);
    assert.ok(stats.upstash.dbsize > 0 && stats.upstash.usedMemoryBytes > 0 && stats.upstash.latencyMs >= 0, JSON.stringify(stats.upstash));
    assert.equal(stats.cache.hits, stats.cache.l1Hits + stats.cache.l2Hits, JSON.stringify(stats.cache));
    assert.ok(stats.cache.hits >= 1, JSON.stringify(stats.cache));
    assert.ok(Number.isInteger(stats.upstash.evictedKeys) && stats.upstash.evictedKeys >= 0, JSON.stringify(stats.upstash));
    assert.ok(Math.abs(Date.parse(stats.timestamp) - stats.timestampMs) < 1, stats.timestamp);
    assert.equal(stats.settings.eventsChannel, channel);
    assert.match(stats.isolate.id, /^[0-9a-f]{16}$/);
    assert.ok(stats.responses.byStatusClass["2xx"] >= 3, JSON.stringify(stats.responses));
    await s.worker.fetch("/v1/tenants/acme/nothing-here");
    const after = await (await s.worker.fetch("/admin/stats")).json();
    assert.equal(after.isolate.id, stats.isolate.id, "one isolate");
    assert.equal(after.responses.total, stats.responses.total + 2, "the 404 and the first stats call");
    assert.equal(after.responses.byStatusClass["4xx"], stats.responses.byStatusClass["4xx"] + 1);
  });

  test("each limit counts the requests it refused itself", async () => {
    // The per-client limit (100) and the auth-failure limit (1000 here) count failed credentials.
    const ip = "203.0.113.77";
    const before = (await (await s.worker.fetch("/admin/stats")).json()).limiter;
    const wrong = { headers: { "CF-Connecting-IP": ip, authorization: `Bearer ${WRONG_TOKEN}` } };
    for (let i = 0; i < 100; i++) assert.equal((await s.worker.fetch("/v1/tenants/acme/policy", wrong)).status, 401);
    const refused = await s.worker.fetch("/v1/tenants/acme/policy", wrong);
    assert.equal(refused.status, 429);
    const after = (await (await s.worker.fetch("/admin/stats")).json()).limiter;
    assert.ok(after.client.refused + after.client.refusedFromBlockCache > before.client.refused + before.client.refusedFromBlockCache, "the client limit refused");
    assert.equal(after.auth.refused, before.auth.refused, "the auth-failure limit had room");
    assert.equal(after.auth.refusedByOtherLimit + after.auth.refused, before.auth.refusedByOtherLimit + before.auth.refused + (after.client.refused - before.client.refused));
    assert.equal(after.tenant.allowed, before.tenant.allowed, "failed credentials spend nothing of a tenant's");
  });

  test("invalidate takes keys and tags in one round trip, and bad input changes nothing", async () => {
    const prefix = s.vars.CACHE_KEY_PREFIX;
    await putJson(s.worker, "/v1/tenants/inv/conversation-config", { temperature: 1 });
    assert.equal((await s.worker.fetch("/v1/tenants/inv/conversation-config")).headers.get("x-cache"), "miss");
    assert.equal((await s.worker.fetch("/v1/tenants/inv/conversation-config")).headers.get("x-cache"), "hit");
    for (const bad of ["{}", '{"tags":[]}', '{"keys":["other:x"]}', `{"keys":["${prefix}:conv:config:inv:~v"]}`, '{"tags":"tenant:inv"}', "[1]", "not json"]) {
      const response = await post(s.worker, "/admin/cache/invalidate", bad);
      assert.equal(response.status, 400, bad);
      assert.ok((await response.json()).error);
    }
    assert.equal((await s.worker.fetch("/v1/tenants/inv/conversation-config")).headers.get("x-cache"), "hit", "nothing changed");
    const tags = Array.from({ length: 998 }, (_, i) => `unrelated:${i}`).concat("tenant:inv");
    const keys = [`${prefix}:llm:policy:inv`];
    const tooMany = await post(s.worker, "/admin/cache/invalidate", { keys, tags: tags.concat("one-more") });
    assert.equal(tooMany.status, 400, "1001 items is over the limit");
    assert.match((await tooMany.json()).error, /1 to 1000/);
    assert.equal((await s.worker.fetch("/v1/tenants/inv/conversation-config")).headers.get("x-cache"), "hit", "nothing changed");
    await s.upstash.resetRequests();
    const response = await post(s.worker, "/admin/cache/invalidate", { keys, tags });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { invalidated: { keys: 1, tags: 999 } });
    assert.equal(await s.upstash.requests(), 1, "1000 items, one MULTI/EXEC");
    assert.equal((await s.worker.fetch("/v1/tenants/inv/conversation-config")).headers.get("x-cache"), "miss");
  });

  test("clear takes a namespace or everything, one version bump each", async () => {
    await putJson(s.worker, "/v1/tenants/clr/policy", POLICY);
    await putJson(s.worker, "/v1/tenants/clr/conversation-config", { maxTurns: 3 });
    const read = async (path) => (await s.worker.fetch(path)).headers.get("x-cache");
    const warmBoth = async () => {
      await read("/v1/tenants/clr/policy");
      await read("/v1/tenants/clr/conversation-config");
    };
    await warmBoth();
    assert.equal((await post(s.worker, "/admin/cache/clear", { namespace: "nope" })).status, 400);
    assert.equal((await post(s.worker, "/admin/cache/clear", { all: true })).status, 400, "unknown fields are refused");
    assert.equal(await read("/v1/tenants/clr/policy"), "hit", "nothing changed");
    await s.upstash.resetRequests();
    const namespace = await post(s.worker, "/admin/cache/clear", { namespace: "llm:policy" });
    assert.deepEqual(await namespace.json(), { cleared: `${s.vars.CACHE_KEY_PREFIX}:llm:policy` });
    assert.equal(await s.upstash.requests(), 1);
    assert.equal(await read("/v1/tenants/clr/policy"), "miss");
    assert.equal(await read("/v1/tenants/clr/conversation-config"), "hit", "another namespace keeps its entries");
    await warmBoth();
    const everything = await post(s.worker, "/admin/cache/clear", {});
    assert.deepEqual(await everything.json(), { cleared: s.vars.CACHE_KEY_PREFIX });
    assert.equal(await read("/v1/tenants/clr/policy"), "miss");
    assert.equal(await read("/v1/tenants/clr/conversation-config"), "miss");
  });

  test("warm loads named tenants, or every tenant a page at a time", async () => {
    const tenants = Array.from({ length: 30 }, (_, i) => `warm-${String(i).padStart(2, "0")}`);
    const statements = tenants.map((t) =>
      s.worker.db
        .prepare("INSERT INTO tenant_llm_policies (tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms) VALUES (?1, 'm1', '[\"m1\"]', 100, 1)")
        .bind(t),
    );
    await s.worker.db.batch(statements);
    for (const bad of [{}, { tenants: [] }, { tenants: ["a b"] }, { all: true, limit: 0 }, { tenants: ["a"], all: true }]) {
      assert.equal((await post(s.worker, "/admin/cache/warm", bad)).status, 400, JSON.stringify(bad));
    }
    const named = await (await post(s.worker, "/admin/cache/warm", { tenants: ["warm-00", "warm-01", "nobody"] })).json();
    assert.deepEqual(named, { tenants: 3, warmed: 2, skipped: 0, failed: 0, missing: 1, next: null });
    assert.equal((await s.worker.fetch("/v1/tenants/warm-00/policy")).headers.get("x-cache"), "hit", "served from the warmed entry");
    let after;
    let warmed = 0;
    let skipped = 0;
    let pages = 0;
    do {
      const page = await (await post(s.worker, "/admin/cache/warm", { all: true, limit: 8, ...(after ? { after } : {}) })).json();
      warmed += page.warmed;
      skipped += page.skipped;
      after = page.next;
      pages++;
    } while (after && pages < 20);
    assert.ok(pages >= 4, `${pages} pages of 8`);
    assert.ok(warmed >= 28 && warmed + skipped >= 30, `warmed ${warmed}, skipped ${skipped}`);
    assert.equal((await s.worker.fetch("/v1/tenants/warm-29/policy")).headers.get("x-cache"), "hit");
  });

  test("a rate limit can be looked up and reset", async () => {
    const ip = "203.0.113.50";
    for (let i = 0; i < 3; i++) {
      await s.worker.fetch("/v1/tenants/rl/policy", { headers: { "CF-Connecting-IP": ip } }); // the admin: the tenant's limit
      await s.worker.fetch("/v1/tenants/rl/policy", { headers: { "CF-Connecting-IP": ip, authorization: `Bearer ${WRONG_TOKEN}` } }); // the address's
    }
    const lookup = await (await s.worker.fetch(`/admin/ratelimit/client/${ip}`)).json();
    assert.deepEqual([lookup.limiter, lookup.identifier, lookup.limit, lookup.remaining], ["client", ip, 100, 97]);
    assert.ok(lookup.resetMs > 0 && lookup.retryAfterMs === 0);
    const again = await (await s.worker.fetch(`/admin/ratelimit/client/${ip}`)).json();
    assert.equal(again.remaining, 97, "a lookup spends nothing");
    assert.deepEqual(await (await s.worker.fetch(`/admin/ratelimit/client/${ip}`, { method: "DELETE" })).json(), { reset: true, limiter: "client", identifier: ip });
    assert.equal((await (await s.worker.fetch(`/admin/ratelimit/client/${ip}`)).json()).remaining, 100);
    const tenant = await (await s.worker.fetch("/admin/ratelimit/tenant/rl")).json();
    assert.equal(tenant.remaining, 1000 - 3, "the tenant's limit, named by its id");
    const auth = await (await s.worker.fetch(`/admin/ratelimit/auth/${ip}`)).json();
    assert.deepEqual([auth.limiter, auth.remaining], ["auth", 1000 - 3], "failed credentials, by address");
    assert.equal((await s.worker.fetch("/admin/ratelimit/key/0123456789abcdef")).status, 200, "a key, by its id");
    assert.equal((await s.worker.fetch("/admin/ratelimit/client/not-an-ip")).status, 400);
    assert.equal((await s.worker.fetch("/admin/ratelimit/tenant/a%20b")).status, 400);
    assert.equal((await s.worker.fetch("/admin/ratelimit/other/x")).status, 404);
  });

  test("events relay validated invalidations from Upstash as they happen", async () => {
    const response = await s.worker.fetch("/admin/events");
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/event-stream");
    const { events: ready, reader } = await readEvents(response, (e) => e.event === "ready");
    assert.deepEqual(JSON.parse(ready.at(-1).data), { channel });
    // Something else on the channel is dropped; an invalidation is relayed.
    await s.upstash.command("PUBLISH", channel, "not an event");
    assert.equal((await post(s.worker, "/admin/cache/invalidate", { tags: ["tenant:events"] })).status, 200);
    const rest = { body: new ReadableStream({ pull: async (c) => { const { value, done } = await reader.read(); done ? c.close() : c.enqueue(value); } }) };
    const { events } = await readEvents(rest, (e) => e.event === "invalidate");
    const event = JSON.parse(events.at(-1).data);
    assert.deepEqual([event.type, event.version, event.tags], ["invalidate", 1, ["tenant:events"]]);
    assert.ok(!events.some((e) => e.data.includes("not an event")));
    await reader.cancel();
  });
});

describe("admin API without an events channel", () => {
  const s = useWorker({});
  test("the event stream says it is not configured", async () => {
    const response = await s.worker.fetch("/admin/events");
    assert.equal(response.status, 404);
    assert.deepEqual(await response.json(), { error: "CACHE_EVENTS_CHANNEL is not configured", code: "events_not_configured" });
  });
});
