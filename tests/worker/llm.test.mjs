// The LLM gateway across two isolates sharing one Upstash: in-flight slots,
// a daily token budget that reserves and settles, per-tenant overrides and
// the deny list, each inside the admission's one round trip.
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { POLICY, putJson, startIsolates, startUpstashLocal, upstashVars } from "./harness.mjs";

const admit = (worker, tenant, body, init = {}) =>
  worker.fetch(`/v1/tenants/${tenant}/llm/admit`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(init.headers ?? {}) },
    body: JSON.stringify(body),
  });
const settle = (worker, tenant, admission, usedTokens) =>
  worker.fetch(`/v1/tenants/${tenant}/llm/settle`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ admission, usedTokens }),
  });
const postJson = (worker, pathname, body, method = "POST") =>
  worker.fetch(pathname, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const budget = async (worker, tenant) => (await (await worker.fetch(`/admin/ratelimit/llm/${tenant}`)).json());

describe("LLM gateway", () => {
  let upstash, a, b;
  before(async () => {
    upstash = await startUpstashLocal();
    [a, b] = await startIsolates(
      upstashVars(upstash, { LLM_MAX_IN_FLIGHT: "3", LLM_LEASE_SECS: "2", LLM_DAILY_TOKENS: "10000" }),
    );
    for (const tenant of ["acme", "globex", "initech", "umbrella", "hooli"]) {
      assert.equal((await putJson(a, `/v1/tenants/${tenant}/policy`, POLICY)).status, 200);
    }
  });
  after(async () => {
    await a?.dispose();
    await upstash?.stop();
  });

  test("exactly the slots are admitted, whatever the interleaving of two isolates, and come back on settle and after the lease", async () => {
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => admit(i % 2 ? a : b, "acme", { model: "m1", maxTokens: 100 })),
    );
    const bodies = await Promise.all(responses.map((r) => r.json()));
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s >= 500).length, 0, JSON.stringify(bodies));
    const admitted = bodies.filter((_, i) => statuses[i] === 201);
    assert.equal(admitted.length, 3, `statuses ${statuses}`);
    const refused = responses.find((r) => r.status === 429);
    assert.ok(refused.headers.get("retry-after"), "a refusal says when the earliest lease ends");
    assert.ok(admitted.every((body) => /^adm_[0-9a-f]{26}$/.test(body.admission) && body.model === "m1"));
    const { tokensRemaining } = await budget(a, "acme").then((body) => ({ tokensRemaining: body.remaining }));
    assert.equal(tokensRemaining, 10000 - 300, "only the admitted reserved tokens");

    // A settle gives the slot back and refunds what was not used, once.
    const first = await settle(b, "acme", admitted[0].admission, 40);
    assert.equal(first.status, 200);
    assert.deepEqual((({ refunded, alreadySettled }) => ({ refunded, alreadySettled }))(await first.json()), {
      refunded: 60,
      alreadySettled: false,
    });
    const retried = await settle(a, "acme", admitted[0].admission, 40);
    assert.equal(retried.status, 200);
    assert.deepEqual((({ refunded, alreadySettled }) => ({ refunded, alreadySettled }))(await retried.json()), {
      refunded: 0,
      alreadySettled: true,
    });
    assert.equal((await budget(a, "acme")).remaining, 10000 - 300 + 60);
    assert.equal((await admit(a, "acme", { maxTokens: 10 })).status, 201, "the settled slot is free again");
    // Another tenant's admission is unknown here.
    assert.equal((await settle(a, "globex", admitted[1].admission, 0)).status, 404);

    // Slots never given back end with their lease (LLM_LEASE_SECS=2).
    assert.equal((await admit(b, "acme", { maxTokens: 10 })).status, 429);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    assert.equal((await admit(b, "acme", { maxTokens: 10 })).status, 201, "a crashed caller's slot came back");
  });

  test("the policy decides model and size before anything stays spent; bad bodies spend nothing at all", async () => {
    const before = (await budget(a, "globex")).remaining;
    for (const [body, code] of [
      [{ model: "m9", maxTokens: 10 }, "model_not_allowed"],
      [{ model: "m1", maxTokens: 5000 }, "max_tokens_too_large"],
    ]) {
      const response = await admit(a, "globex", body);
      assert.equal(response.status, 400);
      assert.equal((await response.json()).code, code);
    }
    assert.equal((await admit(a, "nopolicy", { maxTokens: 10 })).status, 404, "no policy for the tenant");
    const requestsBefore = await upstash.requests();
    for (const body of [{ maxTokens: 0 }, { model: "m1" }, { maxTokens: 1, extra: true }]) {
      assert.equal((await admit(a, "globex", body)).status, 400);
    }
    assert.equal(await upstash.requests(), requestsBefore, "a bad body costs no Upstash request");
    const after = await budget(a, "globex");
    assert.equal(after.remaining, before, "the budget is whole again");
    assert.equal(after.slots.inUse, 0, "and every slot free");
    const anonymous = await a.anonymous("/v1/tenants/globex/llm/admit", { method: "POST", body: "{}" });
    assert.equal(anonymous.status, 401, "credentials first, even with a bad body");
  });

  test("a budget under concurrent admissions and retried settles never goes below zero or above its limit", async () => {
    const tenant = "initech";
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      const responses = await Promise.all(
        Array.from({ length: 6 }, (_, i) => admit(i % 2 ? a : b, tenant, { maxTokens: 900 })),
      );
      const admitted = (await Promise.all(responses.map((r) => r.json()))).filter((_, i) => responses[i].status === 201);
      assert.ok(admitted.length <= 3);
      await Promise.all(
        admitted.flatMap((body, i) => [settle(a, tenant, body.admission, 100 * i), settle(b, tenant, body.admission, 100 * i)]),
      );
      const { remaining, limit } = await budget(a, tenant);
      assert.ok(remaining >= 0 && remaining <= limit, `remaining ${remaining} of ${limit}`);
    }
    const spent = 10000 - (await budget(a, tenant)).remaining;
    assert.ok(spent >= 0 && spent <= 10000);
  });

  test("an override and a deny entry take effect on the next request, with no extra round trip", async () => {
    assert.equal((await admit(a, "umbrella", { maxTokens: 4000 })).status, 201);
    const override = await putJson(a, "/admin/ratelimit/llm/umbrella/override", { limit: 5000, windowSecs: 86400 });
    assert.equal(override.status, 200);
    assert.deepEqual(await (await a.fetch("/admin/ratelimit/llm/umbrella/override")).json(), {
      limiter: "llm",
      identifier: "umbrella",
      limit: 5000,
      windowSecs: 86400,
    });
    // 4000 spent of the override's 5000: another 4000 is refused in the other isolate.
    const requests = await upstash.requests();
    const refused = await admit(b, "umbrella", { maxTokens: 4000 });
    assert.equal(refused.status, 429);
    assert.equal((await upstash.requests()) - requests, 1, "the override was read inside the admission's round trip");
    assert.equal((await admit(b, "umbrella", { maxTokens: 900 })).status, 201);
    assert.equal((await a.fetch("/admin/ratelimit/llm/umbrella/override", { method: "DELETE" })).status, 204);

    // The deny list: a tenant, then an address range.
    const added = await postJson(a, "/admin/ratelimit/deny", { identifiers: ["hooli"], ips: ["203.0.113.0/24"], ttlSecs: 60 });
    assert.equal(added.status, 200);
    const listed = (await (await a.fetch("/admin/ratelimit/deny")).json()).entries.map((e) => e.entry).sort();
    assert.deepEqual(listed, ["203.0.113.0/24", "hooli"]);
    const before = await upstash.requests();
    const denied = await admit(b, "hooli", { maxTokens: 10 });
    assert.equal(denied.status, 403);
    assert.equal((await denied.json()).code, "denied");
    assert.equal((await upstash.requests()) - before, 1, "screened inside the same round trip");
    const fromRange = await admit(b, "globex", { maxTokens: 10 }, { headers: { "cf-connecting-ip": "203.0.113.9" } });
    assert.equal(fromRange.status, 403);
    const elsewhere = await admit(b, "globex", { maxTokens: 10 }, { headers: { "cf-connecting-ip": "198.51.100.9" } });
    assert.equal(elsewhere.status, 201);
    assert.equal((await b.fetch("/v1/tenants/hooli/policy")).status, 403, "every /v1 route of a denied tenant");
    const removed = await postJson(a, "/admin/ratelimit/deny", { identifiers: ["hooli"], ips: ["203.0.113.0/24"] }, "DELETE");
    assert.equal(removed.status, 204);
    assert.equal((await admit(b, "hooli", { maxTokens: 10 })).status, 201, "allowed again on the next request");
    for (const bad of [{ ips: ["not-an-ip"], ttlSecs: 60 }, { identifiers: ["x"] }, {}]) {
      assert.equal((await postJson(a, "/admin/ratelimit/deny", bad)).status, 400, JSON.stringify(bad));
    }
    const anonymous = await a.anonymous("/admin/ratelimit/deny");
    assert.equal(anonymous.status, 401);
  });
});
