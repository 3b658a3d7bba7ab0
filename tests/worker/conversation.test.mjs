// Conversation configs: tenant defaults and user overrides, cached apart and
// resolved field by field per request (both read in the request's one round
// trip), so a new tenant default is one invalidation however many users.
import { test, before, describe } from "node:test";
import assert from "node:assert/strict";
import { putJson, useWorker } from "./harness.mjs";

const tenantPath = (t) => `/v1/tenants/${t}/conversation-config`;
const userPath = (t, u) => `/v1/tenants/${t}/users/${u}/conversation-config`;

describe("conversation configs over Upstash", () => {
  const s = useWorker();

  async function get(path) {
    const response = await s.worker.fetch(path);
    return { status: response.status, cache: response.headers.get("x-cache"), body: await response.json() };
  }

  test("a user's config is the override resolved over the tenant default", async () => {
    assert.equal((await putJson(s.worker, tenantPath("acme"), { systemPrompt: "be brief", temperature: 0.2, maxTurns: 10 })).status, 200);
    const override = await putJson(s.worker, userPath("acme", "u1"), { temperature: 1.5 });
    assert.equal(override.status, 200);
    assert.deepEqual((await override.json()).userId, "u1");

    const first = await get(userPath("acme", "u1"));
    assert.equal(first.status, 200);
    assert.equal(first.cache, "miss");
    assert.equal(first.body.systemPrompt, "be brief");
    assert.equal(first.body.temperature, 1.5, "the override wins");
    assert.equal(first.body.maxTurns, 10);
    assert.equal(first.body.hasUserOverride, true);
    assert.equal((await get(userPath("acme", "u1"))).cache, "hit");

    const other = await get(userPath("acme", "u2"));
    assert.equal(other.body.temperature, 0.2, "no override: the tenant default");
    assert.equal(other.body.hasUserOverride, false);
  });

  test("a new tenant default reaches every user through one invalidated entry, deleting no key", async () => {
    await putJson(s.worker, tenantPath("tagco"), { systemPrompt: "v1", temperature: 0.5 });
    await putJson(s.worker, userPath("tagco", "a"), { temperature: 1.0 });
    for (const user of ["a", "b", "c"]) {
      await get(userPath("tagco", user));
      assert.equal((await get(userPath("tagco", user))).cache, "hit", user);
    }
    const entries = (await s.upstash.keysWithPttl(s.vars.CACHE_KEY_PREFIX)).filter(({ key }) => key.includes(":conv:") && key.includes("tagco") && !key.includes(":~"));
    assert.deepEqual(entries.map(({ key }) => key.split(":conv:")[1]).sort(), ["config:tagco", "override:tagco%2Fa", "override:tagco%2Fb", "override:tagco%2Fc"], "the default once, an override (or its absence) per user");

    await putJson(s.worker, tenantPath("tagco"), { systemPrompt: "v2", temperature: 0.7 });
    const first = await get(userPath("tagco", "a"));
    assert.deepEqual([first.cache, first.body.systemPrompt, first.body.temperature], ["miss", "v2", 1.0], "the new default, a's override still winning");
    for (const user of ["b", "c"]) {
      const after = await get(userPath("tagco", user));
      assert.deepEqual([after.cache, after.body.systemPrompt], ["hit", "v2"], `${user}: the new default, cached once for every user`);
    }
    // The old default was invalidated by a version bump, not found and deleted.
    for (const { key } of entries) assert.equal(await s.upstash.command("EXISTS", key), 1, key);
  });

  test("the tenant's tag invalidates its default, which every user's config reads", async () => {
    await putJson(s.worker, tenantPath("tagall"), { maxTurns: 3 });
    await putJson(s.worker, userPath("tagall", "u"), { maxTurns: 30 });
    await get(userPath("tagall", "u"));
    assert.equal((await get(userPath("tagall", "u"))).cache, "hit");
    const response = await s.worker.fetch("/admin/cache/invalidate", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ tags: ["tenant:tagall"] }) });
    assert.equal(response.status, 200);
    const after = await get(userPath("tagall", "u"));
    assert.deepEqual([after.cache, after.body.maxTurns], ["miss", 30], "the default was read again; the override still wins");
    assert.equal((await get(tenantPath("tagall"))).cache, "hit", "the user's read cached the default again");
  });

  test("a user override invalidates only that user's config", async () => {
    await putJson(s.worker, tenantPath("oneco"), { maxTurns: 5 });
    for (const user of ["x", "y"]) {
      await get(userPath("oneco", user));
      assert.equal((await get(userPath("oneco", user))).cache, "hit");
    }
    await putJson(s.worker, userPath("oneco", "x"), { maxTurns: 50 });
    const x = await get(userPath("oneco", "x"));
    assert.equal(x.cache, "miss");
    assert.equal(x.body.maxTurns, 50);
    assert.equal((await get(userPath("oneco", "y"))).cache, "hit");
  });

  test("the tenant default route reads through the cache too", async () => {
    await putJson(s.worker, tenantPath("defco"), { temperature: 1 });
    assert.equal((await get(tenantPath("defco"))).cache, "miss");
    const hit = await get(tenantPath("defco"));
    assert.equal(hit.cache, "hit");
    assert.equal(hit.body.temperature, 1);
    assert.equal(hit.body.userId, undefined);
  });

  test("unknown configs are 404; bad bodies and ids are 400 and change nothing", async () => {
    assert.equal((await get(userPath("nobody", "u1"))).status, 404);
    assert.equal((await get(tenantPath("nobody"))).status, 404);
    for (const [path, body, message] of [
      [tenantPath("acme"), { temperature: 3 }, /temperature must be between 0 and 2/],
      [tenantPath("acme"), { maxTurns: 0 }, /maxTurns/],
      [tenantPath("acme"), { mood: "calm" }, /unknown field `mood`/],
      [userPath("acme", "u1"), { temperature: "hot" }, /invalid type/],
      [userPath("acme", "u.1"), { temperature: 1 }, /user id must match/],
      [userPath("ac:me", "u1"), { temperature: 1 }, /tenant id must match/],
    ]) {
      const response = await putJson(s.worker, path, body);
      assert.equal(response.status, 400, path);
      assert.match((await response.json()).error, message);
    }
    const acme = await get(userPath("acme", "u1"));
    assert.equal(acme.body.temperature, 1.5, "unchanged");
    assert.equal(acme.body.systemPrompt, "be brief");
  });

  test("stats count hits by tier and misses", async () => {
    const stats = await (await s.worker.fetch("/admin/stats")).json();
    assert.ok(stats.cache.misses > 0, JSON.stringify(stats));
    assert.ok(stats.cache.l1Hits + stats.cache.l2Hits > 0, JSON.stringify(stats));
    assert.equal(stats.cache.l1MaxStalenessMs, 1000);
    assert.ok(stats.cache.hitRate > 0 && stats.cache.hitRate < 1);
  });
});
