// The fleet's counters in workerd: two isolates (the harness's
// startIsolates) flush what they count into Upstash (here every second,
// STATS_FLUSH_INTERVAL_MS=1000), `/admin/stats?scope=cluster` sums them,
// `/admin/metrics` serves them to Prometheus, a cached GET still costs one
// round trip with flushing on, and every request logs one JSON line.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import parsePrometheus from "parse-prometheus-text-format";
import { ADMIN_TOKEN, POLICY, putJson, startIsolates, startUpstashLocal, startWorker, upstashVars, within } from "./harness.mjs";

const FLUSH_MS = 1_000;
const WRONG_TOKEN = "a-wrong-token-of-more-than-thirty-two-characters";
/** An address in 198.51.100.0/24 (TEST-NET-2) that sends a wrong token. */
const GUESSER = "198.51.100.66";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const json = async (response) => {
  const text = await response.text();
  assert.ok(response.ok, `${response.status} ${text}`);
  return JSON.parse(text);
};
const isolateStats = async (worker) => json(await worker.fetch("/admin/stats"));
const clusterStats = async (worker, minutes = 15) => json(await worker.fetch(`/admin/stats?scope=cluster&minutes=${minutes}`));

/** The request lines a worker logged (its console's JSON lines with msg "request"). */
function requestLines(logs) {
  return logs.flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      const value = JSON.parse(line);
      return value.msg === "request" ? [value] : [];
    } catch {
      return [];
    }
  });
}

/** The counters both answers have, from the isolate's view (`cache`, `limiter`, `responses`). */
function ownCounters(stats) {
  const c = stats.cache;
  const limiter = Object.fromEntries(
    Object.entries(stats.limiter ?? {}).map(([name, l]) => [
      name,
      // Every refusal, whatever refused it (this limit, the other limit checked with it, the block cache, a failure policy).
      { refused: l.refused + l.refusedByOtherLimit + l.refusedFromBlockCache + l.failedClosed + l.localRefused, allowed: l.allowed + l.failedOpen + l.localAllowed },
    ]),
  );
  return {
    cache: { l1Hits: c.l1Hits, l2Hits: c.l2Hits, misses: c.misses, staleServed: c.staleServed, coalesced: c.coalesced, negativeHits: c.negativeHits, bypasses: c.bypasses },
    limiter,
    responses: stats.responses.byStatusClass,
  };
}

/** The same counters from a cluster answer's `sum`. */
function clusterCounters(sum, names) {
  const c = sum.cache;
  return {
    cache: { l1Hits: c.l1Hits, l2Hits: c.l2Hits, misses: c.misses, staleServed: c.staleServed, coalesced: c.coalesced, negativeHits: c.negativeHits, bypasses: c.bypasses },
    limiter: Object.fromEntries(names.map((name) => [name, { refused: sum.limiter[name].refused, allowed: sum.limiter[name].allowed }])),
    responses: sum.responses.byStatusClass,
  };
}

function add(a, b) {
  if (typeof a === "number") return a + b;
  return Object.fromEntries(Object.keys(a).map((key) => [key, add(a[key], b[key])]));
}

describe("fleet counters over two isolates", () => {
  let upstash;
  let vars;
  let a;
  let b;
  before(async () => {
    upstash = await startUpstashLocal();
    // Failed credentials refused past 5 an hour per address: refusals (of the
    // auth limit) that do not refill during the suite.
    vars = upstashVars(upstash, { STATS_FLUSH_INTERVAL_MS: String(FLUSH_MS), AUTH_FAILURE_LIMIT: "5", AUTH_FAILURE_WINDOW_SECS: "3600", RATE_LIMIT_ALGORITHM: "sliding-log" });
    [a, b] = await startIsolates(vars);
  });
  after(async () => {
    await a?.dispose();
    await upstash?.stop();
  });

  test("the cluster's sums equal the sum of both isolates' own counters within one flush interval", async () => {
    for (const tenant of ["acme", "globex"]) assert.equal((await putJson(a, `/v1/tenants/${tenant}/policy`, POLICY)).status, 200);
    // Traffic on both: hits of both tiers, misses, negative hits, and a
    // wrong token from one address, refused (429) past its 5 failures.
    const reads = [];
    for (let i = 0; i < 30; i++) {
      reads.push(a.fetch(`/v1/tenants/${i % 2 ? "acme" : "globex"}/policy`), b.fetch(`/v1/tenants/${i % 3 ? "acme" : "nobody"}/policy`));
      if (i % 3 === 0) reads.push((i % 2 ? a : b).as(WRONG_TOKEN, "/v1/tenants/acme/policy", { headers: { "cf-connecting-ip": GUESSER } }));
    }
    const statuses = await Promise.all(reads.map(async (r) => (await r).status));
    assert.ok(statuses.includes(429), "the guesser went over its limit");
    assert.ok(statuses.includes(404), "nobody is a negative entry");

    // Quiet now. One interval later, a request to each isolate answers its
    // own counters and, after its answer, finds a flush due: it sends them
    // (itself included) in its waitUntil.
    await sleep(FLUSH_MS + 100);
    const [ownA, ownB] = await Promise.all([isolateStats(a), isolateStats(b)]);
    assert.notEqual(ownA.isolate.id, ownB.isolate.id);
    const expected = add(ownCounters(ownA), ownCounters(ownB));
    // The two stats requests themselves are in the flushes (each counted after its answer).
    expected.responses["2xx"] += 2;
    const names = Object.keys(ownA.limiter);
    let cluster;
    const tookMs = await within(FLUSH_MS, "the flushes land", async () => {
      cluster = await clusterStats(b);
      return JSON.stringify(clusterCounters(cluster.sum, names)) === JSON.stringify(expected);
    }).catch((error) => {
      assert.deepEqual(clusterCounters(cluster.sum, names), expected, error.message);
    });
    console.log(`cluster sums matched the isolates' own counters ${tookMs} ms after the flushes were sent`);
    assert.equal(cluster.scope, "cluster");
    assert.equal(cluster.fleet, true);
    assert.equal(cluster.isolates, 2);
    assert.equal(cluster.flushIntervalMs, FLUSH_MS);
    const { auth, tenant } = cluster.sum.limiter;
    assert.ok(tenant.allowed > 0 && auth.refused > 0 && auth.allowed === 5, JSON.stringify(cluster.sum.limiter));
    assert.equal(auth.refusedByReason.none + auth.refusedByReason.cache_block, auth.refused);
    assert.deepEqual(cluster.totals.cache, cluster.sum.cache, "a fresh prefix: the window holds everything");
    // The per-minute series adds up to the window's sums.
    assert.equal(cluster.series.length, 15);
    assert.equal(cluster.series.reduce((n, p) => n + p.requests, 0), cluster.sum.responses.total);
    assert.equal(cluster.series.reduce((n, p) => n + p.reads, 0), cluster.sum.cache.reads);
    // Seed 002's getStats() fields.
    const { stats } = cluster;
    assert.equal(stats.hits, cluster.sum.cache.hits);
    assert.equal(stats.misses, cluster.sum.cache.misses);
    assert.equal(stats.hitRate, Math.round(cluster.sum.cache.hitRate * 10_000) / 100);
    assert.match(stats.memoryUsed, /^\d+(\.\d+)?[BKMGTP]$/);
    assert.ok(Number.isInteger(stats.evictedKeys) && stats.keyCount > 0, JSON.stringify(stats));
    // Upstash requests: every one the isolates sent is counted (the last flushes' own excepted).
    assert.ok(cluster.sum.upstash.requests > 0 && cluster.sum.upstash.requests <= (await upstash.requests()), JSON.stringify(cluster.sum.upstash));
  });

  test("a cached GET costs one round trip on average over 200 requests, flushes included", async () => {
    assert.equal((await putJson(a, "/v1/tenants/cached/policy", POLICY)).status, 200);
    const created = await json(await a.fetch("/admin/tenants/cached/keys", { method: "POST" }));
    // Each isolate validates the key and reads the policy once (misses), and
    // loads the flush script; then one interval for the flushes to pass.
    for (const worker of [a, b, a, b]) assert.equal((await worker.as(created.key, "/v1/tenants/cached/policy")).status, 200);
    await sleep(FLUSH_MS + 100);
    for (const worker of [a, b]) await worker.as(created.key, "/v1/tenants/cached/policy");
    await sleep(300);
    await upstash.resetRequests();
    // 200 requests over about 2 s: each isolate finds a flush due about
    // every second of it.
    const started = Date.now();
    const answers = [];
    for (let i = 0; i < 100; i++) {
      answers.push(...(await Promise.all([a, b].map((w) => w.as(created.key, "/v1/tenants/cached/policy")))));
      await sleep(10);
    }
    const spanMs = Date.now() - started;
    for (const response of answers) {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get("x-cache"), "hit");
    }
    // The flushes these requests claimed run in their waitUntil: let them land.
    await sleep(500);
    const requests = await upstash.requests();
    const ratio = requests / 200;
    const flushes = requests - 200;
    console.log(`200 cached GETs over ${spanMs} ms on 2 isolates: ${requests} Upstash requests (${flushes} flushes), ${ratio.toFixed(3)} per GET`);
    assert.ok(flushes >= 2, `flushes happened during the run (${flushes})`);
    assert.ok(ratio <= 1.05, `${ratio} round trips per cached GET`);
  });

  test("/admin/metrics is a Prometheus scrape of the fleet that a real parser reads, in one round trip", async () => {
    assert.equal((await a.anonymous("/admin/metrics")).status, 401);
    await sleep(FLUSH_MS + 100);
    await Promise.all([a.fetch("/health"), b.fetch("/health")]);
    await sleep(300);
    await upstash.resetRequests();
    const response = await a.fetch("/admin/metrics");
    const text = await response.text();
    assert.equal(response.status, 200, text);
    assert.equal(await upstash.requests(), 1, "one round trip");
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(response.headers.get("x-edgecache-scope"), "cluster");
    const families = Object.fromEntries(parsePrometheus(text).map((family) => [family.name, family]));
    for (const name of [
      "edgecache_cache_hits_total",
      "edgecache_cache_misses_total",
      "edgecache_cache_stale_served_total",
      "edgecache_cache_coalesced_total",
      "edgecache_ratelimit_decisions_total",
      "edgecache_upstash_requests_total",
      "edgecache_upstash_errors_total",
      "edgecache_http_responses_total",
    ]) {
      assert.equal(families[name]?.type, "COUNTER", `${name} in\n${text}`);
    }
    assert.equal(families.edgecache_isolates.type, "GAUGE");
    assert.equal(Number(families.edgecache_isolates.metrics[0].value), 2);
    const tiers = families.edgecache_cache_hits_total.metrics.map((m) => m.labels.tier).sort();
    assert.deepEqual(tiers, ["l1", "l2"]);
    const refused = families.edgecache_ratelimit_decisions_total.metrics.filter((m) => m.labels.limiter === "auth" && m.labels.outcome === "refused");
    assert.ok(refused.length > 0 && refused.every((m) => typeof m.labels.reason === "string"), JSON.stringify(refused));
    const classes = families.edgecache_http_responses_total.metrics.map((m) => m.labels.class);
    assert.ok(classes.includes("2xx") && classes.includes("4xx"), classes.join());
    // Bounded labels: no tenant, key or identifier anywhere.
    for (const secret of ["acme", "globex", "nobody", "cached", "ek1_", GUESSER, ADMIN_TOKEN]) assert.ok(!text.includes(secret), `${secret} in the scrape`);
    // The counters are the cluster's totals.
    const cluster = await clusterStats(b);
    const misses = Number(families.edgecache_cache_misses_total.metrics[0].value);
    assert.ok(misses <= cluster.totals.cache.misses && misses > 0, `${misses} vs ${cluster.totals.cache.misses}`);

    const open = await a.fetch("/admin/metrics", { headers: { accept: "application/openmetrics-text; version=1.0.0, text/plain;q=0.5" } });
    const openText = await open.text();
    assert.equal(open.headers.get("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
    assert.ok(openText.endsWith("# EOF\n"));
    // OpenMetrics names a counter's family without `_total` and its samples with it.
    const declared = new Map([...openText.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1], m[2]]));
    assert.equal(declared.get("edgecache_cache_hits"), "counter");
    assert.equal(declared.get("edgecache_isolates"), "gauge");
    for (const sample of openText.split("\n").filter((l) => l && !l.startsWith("#"))) {
      const name = /^[a-z_]+/.exec(sample)[0];
      assert.ok(declared.get(name.replace(/_total$/, "")) === "counter" || declared.get(name) === "gauge", sample);
    }
  });

  test("every request logs one JSON line: its id, route template, status, cache, limit, round trips and duration, and no secret", async () => {
    const created = await json(await a.fetch("/admin/tenants/acme/keys", { method: "POST" }));
    const before = a.logs.length;
    await a.as(created.key, "/v1/tenants/acme/policy");
    const response = await a.as(created.key, "/v1/tenants/acme/policy");
    const id = response.headers.get("x-request-id");
    assert.equal(response.headers.get("x-cache"), "hit");
    const throttled = await a.as(WRONG_TOKEN, "/v1/tenants/acme/policy", { headers: { "cf-connecting-ip": GUESSER } });
    assert.equal(throttled.status, 429);
    const refusedId = throttled.headers.get("x-request-id");
    const wrong = await a.as(WRONG_TOKEN, "/admin/stats", { headers: { "cf-connecting-ip": "198.51.100.67" } });
    const notFound = await a.fetch("/v1/tenants/acme/nothing-here");
    await within(2_000, "the lines are written", () => requestLines(a.logs).some((l) => l.requestId === notFound.headers.get("x-request-id")));
    const lines = requestLines(a.logs.slice(before));
    const line = lines.find((l) => l.requestId === id);
    assert.ok(line, `a line for ${id} among\n${a.logs.slice(before).join("\n")}`);
    assert.deepEqual(Object.keys(line).sort(), ["cache", "durationMs", "isolate", "level", "limiter", "method", "msg", "requestId", "route", "status", "upstashRoundTrips"]);
    assert.equal(line.method, "GET");
    assert.equal(line.route, "/v1/tenants/{tenant}/policy");
    assert.equal(line.status, 200);
    assert.equal(line.level, "info");
    assert.equal(line.cache, "hit");
    assert.deepEqual(line.limiter, { name: "tenant", outcome: "allowed", reason: "none" });
    assert.equal(line.upstashRoundTrips, 1, "the limit checks, the validation and the read: one /pipeline");
    assert.ok(Number.isInteger(line.durationMs) && line.durationMs >= 0);
    const refused = lines.find((l) => l.requestId === refusedId);
    assert.equal(refused.status, 429);
    assert.equal(refused.level, "warn");
    assert.equal(refused.limiter.outcome, "refused");
    assert.ok(["auth", "client"].includes(refused.limiter.name), refused.limiter.name);
    assert.ok(["none", "cache_block"].includes(refused.limiter.reason), refused.limiter.reason);
    const unauthorized = lines.find((l) => l.requestId === wrong.headers.get("x-request-id"));
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.route, "/admin/stats");
    const unmatched = lines.find((l) => l.requestId === notFound.headers.get("x-request-id"));
    assert.equal(unmatched.route, null, "no route matched: no path logged");
    const written = a.logs.slice(before).join("\n");
    for (const l of lines) assert.ok(!JSON.stringify(l).includes("nothing-here") && !JSON.stringify(l).includes(GUESSER), "no raw path, no address");
    for (const secret of [created.key, ADMIN_TOKEN, WRONG_TOKEN, vars.UPSTASH_REDIS_REST_TOKEN]) {
      assert.ok(!written.includes(secret), `${secret} in the log`);
    }
  });
});

describe("fleet settings and answers", () => {
  test("scope and minutes are checked; the isolate's answer stays the default", async () => {
    const upstash = await startUpstashLocal();
    const worker = await startWorker(upstashVars(upstash));
    try {
      for (const query of ["scope=fleet", "scope=cluster&minutes=0", "scope=cluster&minutes=1441", "scope=cluster&minutes=x", "minutes=5", "scope=cluster&scope=cluster", "other=1"]) {
        const response = await worker.fetch(`/admin/stats?${query}`);
        assert.equal(response.status, 400, query);
        assert.equal((await response.json()).code, "bad_request");
      }
      const plain = await isolateStats(worker);
      assert.equal(plain.scope, "isolate");
      assert.ok("l1Hits" in plain.cache && "byStatusClass" in plain.responses && plain.isolate.id);
      assert.deepEqual(Object.keys(await isolateStats(worker)).sort(), Object.keys((await json(await worker.fetch("/admin/stats?scope=isolate")))).sort());
      const day = await clusterStats(worker, 1440);
      assert.equal(day.series.length, 1440);
      assert.equal(day.window.minutes, 1440);
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });

  test("a bad STATS_FLUSH_INTERVAL_MS or LOG_LEVEL fails start-up, naming it", async () => {
    for (const [name, value] of [
      ["STATS_FLUSH_INTERVAL_MS", "999"],
      ["STATS_FLUSH_INTERVAL_MS", "soon"],
      ["LOG_LEVEL", "loud"],
    ]) {
      const worker = await startWorker({ [name]: value });
      try {
        const response = await worker.fetch("/admin/stats");
        assert.equal(response.status, 500);
        assert.match((await response.json()).error, new RegExp(name));
      } finally {
        await worker.dispose();
      }
    }
  });

  test("LOG_LEVEL=warn logs only refused and failed requests", async () => {
    const worker = await startWorker({ LOG_LEVEL: "warn" });
    try {
      const ok = await worker.fetch("/admin/stats");
      const missing = await worker.fetch("/v1/tenants/nobody/policy");
      assert.equal(ok.status, 200);
      assert.equal(missing.status, 404);
      await within(2_000, "the 404's line", () => requestLines(worker.logs).some((l) => l.requestId === missing.headers.get("x-request-id")));
      assert.ok(!requestLines(worker.logs).some((l) => l.requestId === ok.headers.get("x-request-id")), "no line for a 200");
    } finally {
      await worker.dispose();
    }
  });

  test("with caching off and rate limiting on, the fleet's counters go through the limiters' client", async () => {
    const upstash = await startUpstashLocal();
    const worker = await startWorker(upstashVars(upstash, { CACHE_ENABLED: "false", STATS_FLUSH_INTERVAL_MS: String(FLUSH_MS) }));
    try {
      assert.equal((await putJson(worker, "/v1/tenants/acme/policy", POLICY)).status, 200);
      assert.equal((await worker.fetch("/v1/tenants/acme/policy")).headers.get("x-cache"), "bypass");
      await sleep(FLUSH_MS + 100);
      await worker.fetch("/health");
      let cluster;
      await within(2_000, "the flush lands", async () => {
        cluster = await clusterStats(worker);
        return cluster.isolates === 1;
      });
      assert.equal(cluster.fleet, true);
      assert.ok(cluster.sum.cache.bypasses >= 1 && cluster.sum.limiter.tenant.allowed >= 2, JSON.stringify(cluster.sum));
    } finally {
      await worker.dispose();
      await upstash.stop();
    }
  });

  test("without Upstash, scope=cluster answers the one isolate's own counters and says so", async () => {
    const worker = await startWorker({ STATS_FLUSH_INTERVAL_MS: String(FLUSH_MS) });
    try {
      assert.equal((await putJson(worker, "/v1/tenants/acme/policy", POLICY)).status, 200);
      for (let i = 0; i < 5; i++) await worker.fetch("/v1/tenants/acme/policy");
      const own = await isolateStats(worker);
      const cluster = await clusterStats(worker);
      assert.equal(cluster.fleet, false);
      assert.match(cluster.note, /one isolate/);
      assert.equal(cluster.isolates, 1);
      assert.equal(cluster.isolate.id, own.isolate.id);
      assert.deepEqual(clusterCounters(cluster.sum, []).cache, ownCounters(own).cache);
      // Its responses so far: the isolate answer's, and that answer itself.
      assert.equal(cluster.sum.responses.total, own.responses.total + 1);
      assert.equal(cluster.series.reduce((n, p) => n + p.reads, 0), cluster.sum.cache.reads);
      assert.equal(cluster.upstash, null);
      assert.ok(cluster.stats.keyCount >= 1 && /[BK]$/.test(cluster.stats.memoryUsed), JSON.stringify(cluster.stats));
      const metrics = await worker.fetch("/admin/metrics");
      assert.equal(metrics.headers.get("x-edgecache-scope"), "isolate");
      const families = Object.fromEntries(parsePrometheus(await metrics.text()).map((f) => [f.name, f]));
      assert.equal(Number(families.edgecache_isolates.metrics[0].value), 1);
      assert.ok(Number(families.edgecache_cache_misses_total.metrics[0].value) >= 1);
    } finally {
      await worker.dispose();
    }
  });
});
