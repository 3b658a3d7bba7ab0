// The dashboard's fleet view (the default) in headless Chromium, against two
// isolates of the built worker (the harness's startIsolates) that flush their
// counters every second into Upstash: the fleet's totals and per-minute chart,
// the isolates reporting, the limiter decisions by reason; the isolate view one
// click away; and the view without Upstash, and with Upstash gone. Screenshots
// under test-results/screenshots/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DASHBOARD_VARS, launchBrowser, makeTraffic, screenshot, signIn, unique, watchErrors } from "./support.mjs";
import { startIsolates, startUpstashLocal, startWorker, upstashVars } from "../worker/harness.mjs";

const WRONG_TOKEN = "a-wrong-token-of-more-than-thirty-two-characters";
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let browser;
let upstash;
let a;
let b;

/** A fresh page polling every second, in the view the page picks by default (no view stored). */
async function openPage(viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(() => localStorage.setItem("edgecache.pollMs", "1000"));
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  return { context, page, errors: watchErrors(page) };
}

/** Waits until `selector` holds text matching `pattern`; answers that text. */
async function textOf(page, selector, pattern) {
  const locator = page.locator(selector).filter({ hasText: pattern });
  await locator.first().waitFor({ state: "visible" });
  return locator.first().innerText();
}

/** Whether `selector` is shown. */
const shown = (page, selector) => page.locator(selector).first().isVisible();

/** Elements past the right edge of the page, and its scroll width. */
const overflow = (page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const wide = [...document.querySelectorAll("body *")].filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > width + 0.5);
    return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 8).map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`) };
  });

before(async () => {
  browser = await launchBrowser();
  upstash = await startUpstashLocal();
  const vars = upstashVars(upstash, { CACHE_EVENTS_CHANNEL: unique("events"), ...DASHBOARD_VARS, STATS_FLUSH_INTERVAL_MS: "1000", AUTH_FAILURE_LIMIT: "3" });
  [a, b] = await startIsolates(vars);
  // Traffic on both isolates, and a guesser refused past its 3 failures.
  await makeTraffic(a, ["acme", "globex", "initech"], 6);
  await makeTraffic(b, ["acme", "globex"], 4);
  for (let i = 0; i < 6; i++) await (i % 2 ? a : b).as(WRONG_TOKEN, "/v1/tenants/acme/policy", { headers: { "cf-connecting-ip": "198.51.100.44" } });
  // One interval on, a request to each sends its counts.
  await sleep(1_100);
  await Promise.all([a.fetch("/health"), b.fetch("/health")]);
});

after(async () => {
  await browser?.close();
  await a?.dispose();
  await upstash?.stop();
});

describe("fleet view", () => {
  test("the fleet is the default view: every isolate's totals, a chart per minute, the isolates reporting and the decisions by reason", async () => {
    const { context, page, errors } = await openPage();
    try {
      await signIn(page, a.url);
      assert.equal(await page.locator("#view-fleet").getAttribute("aria-pressed"), "true");
      await textOf(page, '[data-v="fleet-isolates"]', /^2$/);
      assert.match(await page.locator('[data-v="fleet-isolates-sub"]').innerText(), /each flushes at most every 1 s/);
      await textOf(page, '[data-v="fleet-hit-rate"]', /^\d+(\.\d)?%$/);
      assert.match(await page.locator('[data-v="fleet-l1"]').innerText(), /^[1-9][\d,]*$/, "L1 hits of the fleet");
      assert.match(await page.locator('[data-v="fleet-l2"]').innerText(), /^[1-9][\d,]*$/, "the second isolate read from L2");
      assert.match(await page.locator('[data-v="fleet-misses"]').innerText(), /^[1-9][\d,]*$/);
      assert.match(await page.locator('[data-v="fleet-upstash-requests"]').innerText(), /^[1-9][\d,]*$/);
      // The guesser's refusals, by limiter and reason.
      const auth = page.locator('[data-tile="fleet-limiter"] [data-limiter="auth"]');
      await auth.waitFor();
      assert.equal(await auth.locator('[data-field="allowed"]').innerText(), "3", "3 failures allowed");
      assert.match(await auth.locator('[data-field="refused"]').innerText(), /^[1-9]/);
      assert.ok(await page.locator('[data-tile="fleet-limiter"] [data-outcome="refused"]').first().isVisible(), "refusals by reason");
      assert.match(await page.locator('[data-tile="fleet-limiter"]').innerText(), /refused: (over the limit|block cache) \d/);
      assert.match(await page.locator('[data-tile="fleet-limiter"] [data-limiter="tenant"] [data-field="allowed"]').innerText(), /^[1-9]/);
      // The chart: one point per minute over the window.
      assert.equal(await page.locator("#chart-h").innerText(), "Hit rate and requests, per minute");
      await page.locator("#chart svg path.line").first().waitFor({ state: "attached" });
      // The per-isolate counters are the other view's; the worker's health, Upstash, breaker and outbox stay.
      assert.equal(await shown(page, '[data-tile="hit-rate"]'), false);
      assert.equal(await shown(page, '[data-tile="limiter"]'), false);
      await textOf(page, '[data-v="health"]', "Healthy");
      assert.equal(await shown(page, '[data-tile="outbox"]'), true);
      assert.match(await page.locator("#footer-isolate").innerText(), /Fleet counters from 2 isolates/);
      await screenshot(page, "20-fleet-view");

      // More traffic on the second isolate shows up once it flushes.
      const before = Number((await page.locator('[data-v="fleet-misses"]').innerText()).replace(/,/g, ""));
      await makeTraffic(b, ["umbrella", "hooli"], 2);
      await sleep(1_100);
      await b.fetch("/health");
      await page.waitForFunction((n) => Number(document.querySelector('[data-v="fleet-misses"]').textContent.replace(/,/g, "")) > n, before);

      // The window: an hour, read as such.
      const [hour] = await Promise.all([
        page.waitForResponse((r) => r.url().includes("/admin/stats?scope=cluster&minutes=60")),
        page.locator("#fleet-window").selectOption("60"),
      ]);
      assert.equal(hour.status(), 200);
      await textOf(page, '[data-v="fleet-hit-rate-sub"]', /over 1 h/);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("the isolate view is one click away, and the choice is kept", async () => {
    const { context, page, errors } = await openPage();
    try {
      await signIn(page, a.url);
      await textOf(page, '[data-v="fleet-isolates"]', /^2$/);
      await page.getByRole("button", { name: "This isolate", exact: true }).click();
      assert.equal(await page.locator("#view-isolate").getAttribute("aria-pressed"), "true");
      await textOf(page, '[data-v="hit-rate"]', /^\d+(\.\d)?%$/);
      assert.equal(await shown(page, "#fleet-tiles"), false);
      assert.equal(await shown(page, "#fleet-window-label"), false, "no window in the isolate view");
      assert.equal(await page.locator("#chart-h").innerText(), "Hit rate and requests");
      await textOf(page, "#view-note", /isolate that answered/);
      assert.match(await page.locator('[data-tile="limiter"] [data-limiter="auth"] [data-field="allowed"]').innerText(), /^\d/);
      await screenshot(page, "21-isolate-view");
      await page.reload();
      await textOf(page, '[data-v="hit-rate"]', /%$/);
      assert.equal(await shown(page, "#fleet-tiles"), false, "the isolate view again after a reload");
      await page.getByRole("button", { name: "Fleet", exact: true }).click();
      await textOf(page, '[data-v="fleet-isolates"]', /^2$/);
      assert.equal(await shown(page, '[data-tile="hit-rate"]'), false);
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("the fleet view at phone width: no horizontal scrolling", async () => {
    const { context, page, errors } = await openPage({ width: 375, height: 812 });
    try {
      await signIn(page, a.url);
      await textOf(page, '[data-v="fleet-isolates"]', /^2$/);
      await page.locator('[data-tile="fleet-limiter"] [data-limiter="auth"]').waitFor();
      const layout = await overflow(page);
      assert.ok(layout.scrollWidth <= layout.width && layout.wide.length === 0, JSON.stringify(layout));
      await screenshot(page, "22-fleet-view-375x812");
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });

  test("without Upstash the fleet view shows the one isolate and says so", async () => {
    const worker = await startWorker({ STATS_FLUSH_INTERVAL_MS: "1000" });
    const { context, page, errors } = await openPage();
    try {
      await makeTraffic(worker, ["acme"], 3);
      await signIn(page, worker.url);
      await textOf(page, '[data-v="fleet-isolates"]', /^1$/);
      await textOf(page, '[data-v="fleet-isolates-sub"]', /this isolate only/);
      await textOf(page, "#view-note", /No Upstash: these are the counters of the one isolate/);
      assert.equal(await page.locator("#view-note").getAttribute("data-state"), "warn");
      assert.match(await page.locator('[data-v="fleet-misses"]').innerText(), /^[1-9]/);
      await textOf(page, '[data-v="fleet-limiter"]', "Off");
      await screenshot(page, "23-fleet-view-memory");
      // Live events are off without Upstash: /admin/events answers 404, which Chromium reports.
      assert.deepEqual(errors.filter((e) => !/status of 404/.test(e)), []);
    } finally {
      await context.close();
      await worker.dispose();
    }
  });

  test("with Upstash gone, the fleet view says its counters are unavailable and keeps the last ones", async () => {
    const { context, page, errors } = await openPage();
    try {
      await signIn(page, a.url);
      await textOf(page, '[data-v="fleet-isolates"]', /^2$/);
      await upstash.stop();
      await textOf(page, "#view-note", /fleet's counters are unavailable: the fleet's counters cannot be read from Upstash \(HTTP 503\)\. Showing the last ones\./);
      assert.equal(await page.locator("#view-note").getAttribute("data-state"), "bad");
      assert.equal(await page.locator('[data-v="fleet-isolates"]').innerText(), "2", "the last figures stay");
      await textOf(page, ".banner.bad", /Upstash is down/);
      await screenshot(page, "24-fleet-view-upstash-down");
      // The 503s are the failed loads Chromium reports.
      assert.deepEqual(errors.filter((e) => !/status of 503/.test(e)), []);
    } finally {
      await context.close();
    }
  });
});
