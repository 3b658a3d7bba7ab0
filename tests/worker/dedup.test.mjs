// Webhook deduplication across two Miniflare instances (two workerd
// processes, as two Workers locations would be) sharing one Upstash: of many
// concurrent deliveries of one id, exactly one is accepted.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { startUpstashLocal, startWorker, upstashVars } from "./harness.mjs";

const claim = (worker, delivery) => worker.fetch(`/v1/tenants/acme/webhooks/${delivery}`, { method: "POST" });

describe("webhook dedup", () => {
  test("of 40 concurrent deliveries across two Miniflare instances exactly one is accepted", async () => {
    const upstash = await startUpstashLocal();
    const vars = upstashVars(upstash, { WEBHOOK_DEDUP_TTL_SECS: "5" });
    const a = await startWorker(vars);
    const b = await startWorker(vars);
    try {
      const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => claim(i % 2 ? a : b, "evt_1")));
      const bodies = await Promise.all(responses.map((r) => r.json()));
      const statuses = responses.map((r) => r.status);
      assert.equal(statuses.filter((s) => s >= 500).length, 0, JSON.stringify(bodies.filter((b) => b.error)));
      assert.equal(statuses.filter((s) => s === 202).length, 1, `statuses: ${statuses}`);
      assert.equal(bodies.filter((body) => body.status === "duplicate").length, 39);
      assert.equal((await claim(a, "evt_2")).status, 202, "another delivery id is its own");

      // Safe by default: an anonymous caller claims nothing.
      const anonymous = await a.anonymous("/v1/tenants/acme/webhooks/evt_3", { method: "POST" });
      assert.equal(anonymous.status, 401);
      assert.equal((await claim(b, "evt_3")).status, 202, "the anonymous call left no claim behind");
      const bad = await claim(a, "evt%20with%20space");
      assert.equal(bad.status, 400, "delivery ids are validated");
    } finally {
      await a.dispose();
      await b.dispose();
      await upstash.stop();
    }
  });
});
