// The operator dashboard (www/) in headless Debian Chromium, driven by
// playwright-core, against the built worker in Miniflare with a local D1
// and real Redis through upstash-local. Each test saves a screenshot under
// test-results/screenshots/.
//
//   bash scripts/ensure-chromium.sh && node --test tests/browser/
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  ADMIN_TOKEN,
  POLICY,
  launchBrowser,
  makeTraffic,
  putJson,
  screenshot,
  seedTenants,
  signIn,
  startStack,
  watchErrors,
} from "./support.mjs";
import { startUpstashLocal, startWorker, upstashVars } from "../worker/harness.mjs";

const TOKEN_KEY = "edgecache.adminToken";

let browser;
let stack;

/** A fresh context and page at `viewport`, polling every second, in the isolate view; `errors` collects console errors. */
async function openPage(viewport = { width: 1280, height: 800 }, contextOptions = {}) {
  const context = await browser.newContext({ viewport, ...contextOptions });
  // The isolate view, whose tiles these tests read (fleet.test.mjs: the fleet view, the default, and the toggle).
  await context.addInitScript(() => {
    localStorage.setItem("edgecache.pollMs", "1000");
    localStorage.setItem("edgecache.view", "isolate");
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors = watchErrors(page);
  return { context, page, errors };
}

/** Waits until `selector` holds text matching `pattern`; answers that text. */
async function textOf(page, selector, pattern) {
  const locator = page.locator(selector).filter({ hasText: pattern });
  await locator.first().waitFor({ state: "visible" });
  return locator.first().innerText();
}

/** Resolves once the page has shown figures from at least one /admin/stats answer. */
async function signedIn(page) {
  await page.locator("#poll-status").filter({ hasText: /Updated/ }).waitFor();
}

/** The console errors, less the ones a test provoked on purpose (refused requests show up as failed loads). */
function unexpected(errors, allowed = []) {
  return errors.filter((e) => !allowed.some((pattern) => pattern.test(e)));
}

before(async () => {
  browser = await launchBrowser();
  stack = await startStack();
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("dashboard", () => {
  test("sign in with the admin token and see the tiles fill", async () => {
    await makeTraffic(stack.worker);
    const { context, page, errors } = await openPage();
    try {
      const response = await page.goto(`${stack.worker.url}/`);
      assert.match(response.headers()["content-security-policy"] ?? "", /default-src 'none'/, "www/_headers applies");
      assert.equal(response.headers()["referrer-policy"], "no-referrer");
      assert.equal(await page.getByRole("heading", { name: "edgecache" }).isVisible(), true, "the sign-in shows first");
      await signIn(page, stack.worker.url);
      await signedIn(page);

      await textOf(page, '[data-v="hit-rate"]', /^\d+(\.\d)?%$/);
      assert.match(await page.locator('[data-v="l1"]').innerText(), /^[1-9][\d,]*$/, "L1 hits counted");
      await textOf(page, '[data-v="health"]', "Healthy");
      await textOf(page, '[data-v="upstash"]', /^[\d,]+$/);
      await textOf(page, '[data-v="breaker"]', "Closed");
      await textOf(page, '[data-v="outbox"]', /^\d+$/);
      assert.match(await page.locator('[data-v="memory"]').innerText(), /B$/, "in-isolate memory in bytes");
      assert.match(await page.locator('[data-limiter="tenant"] [data-field="allowed"]').innerText(), /^[1-9]/);
      assert.equal(await page.locator("#key-prefix").innerText(), stack.vars.CACHE_KEY_PREFIX);

      // Requests/s comes from the change between two polls: more traffic, then a rate above zero.
      await makeTraffic(stack.worker, ["acme"], 10);
      await page.waitForFunction(() => Number(document.querySelector('[data-v="rps"]').textContent.replace(/,/g, "")) > 0);
      await page.locator("#chart svg path.line").first().waitFor({ state: "attached" });

      // The token lives in sessionStorage only: not in the URL, not in localStorage.
      assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), ADMIN_TOKEN);
      assert.ok(!page.url().includes(ADMIN_TOKEN));
      assert.ok(!(await page.evaluate(() => JSON.stringify(localStorage))).includes(ADMIN_TOKEN));
      await screenshot(page, "01-signed-in");

      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByLabel("Admin token").waitFor();
      assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null, "sign out forgets the token");
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await context.close();
    }
  });

  test("a wrong token is refused and the page says so", async () => {
    const { context, page, errors } = await openPage();
    try {
      await signIn(page, stack.worker.url, "not-the-admin-token-at-all");
      const message = await textOf(page, "#signin-error", /refused this token/);
      assert.match(message, /HTTP 401/);
      assert.equal(await page.locator("#app").isVisible(), false, "the dashboard stays closed");
      assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null, "a refused token is not kept");
      await screenshot(page, "02-wrong-token");

      // A token refused while signed in (rotated, say): back to the sign-in, with the reason.
      await page.evaluate((key) => sessionStorage.setItem(key, "a-token-that-was-rotated-away"), TOKEN_KEY);
      await page.reload();
      await textOf(page, "#signin-error", /refused this token \(HTTP 401/);
      assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), TOKEN_KEY), null);
      await screenshot(page, "02-wrong-token-while-signed-in");
      assert.deepEqual(unexpected(errors, [/401/]), []);
    } finally {
      await context.close();
    }
  });

  test("invalidating a tag shows the event in the live feed and the next read misses", async () => {
    const config = "/v1/tenants/acme/conversation-config";
    await putJson(stack.worker, config, { systemPrompt: "You help acme.", temperature: 0.3, maxTurns: 12 });
    await (await stack.worker.fetch(config)).arrayBuffer();
    const cached = await stack.worker.fetch(config);
    await cached.arrayBuffer();
    assert.equal(cached.headers.get("x-cache"), "hit", "acme's config is cached before the invalidation");

    const { context, page, errors } = await openPage();
    try {
      await signIn(page, stack.worker.url);
      await signedIn(page);
      await textOf(page, "#feed-state", "live");
      assert.match(await page.locator("#feed-detail").innerText(), new RegExp(stack.vars.CACHE_EVENTS_CHANNEL));
      await page.getByRole("button", { name: "Clear list" }).click();

      await page.getByRole("textbox", { name: "Tags (one per line)" }).fill("tenant:acme");
      await page.getByRole("button", { name: "Invalidate", exact: true }).click();
      await textOf(page, "#invalidate-result", "Invalidated 0 keys and 1 tag");

      const event = page.locator("#feed li").first();
      await event.filter({ hasText: "tenant:acme" }).waitFor();
      assert.match(await event.locator("time").innerText(), /^\d\d:\d\d:\d\d$/);
      assert.match(await event.innerText(), /tags/i);

      const next = await stack.worker.fetch(config);
      assert.equal(next.status, 200);
      assert.equal(next.headers.get("x-cache"), "miss", "the next read of the entry misses");
      assert.equal((await next.json()).systemPrompt, "You help acme.");
      await screenshot(page, "03-invalidate-live-feed");

      // An API error is shown next to the form that caused it.
      await page.getByRole("textbox", { name: "Tags (one per line)" }).fill("tenant:acme");
      await page.getByRole("textbox", { name: "Keys (full cache keys, one per line)" }).fill("not-under-the-prefix:x");
      await page.getByRole("button", { name: "Invalidate", exact: true }).click();
      const error = await textOf(page, '#invalidate-result[data-kind="error"]', /HTTP 400/);
      assert.match(error, /Not invalidated/);
      assert.deepEqual(unexpected(errors, [/400/]), []);
    } finally {
      await context.close();
    }
  });

  test("look up a rate limit and reset it", async () => {
    const tenant = "limited";
    await putJson(stack.worker, `/v1/tenants/${tenant}/policy`, POLICY);
    for (let i = 0; i < 12; i++) await (await stack.worker.fetch(`/v1/tenants/${tenant}/policy`)).arrayBuffer();

    const { context, page, errors } = await openPage();
    try {
      await signIn(page, stack.worker.url);
      await signedIn(page);
      await page.getByLabel("Limit", { exact: true }).selectOption("tenant");
      await page.getByLabel("Identifier").fill(tenant);
      await page.getByRole("button", { name: "Look up" }).click();
      await textOf(page, "#ratelimit-result", "Looked up");
      const spent = Number((await page.locator("#rl-remaining").innerText()).replace(/,/g, ""));
      assert.equal(await page.locator("#rl-limit").innerText(), "1,000");
      assert.ok(spent <= 990, `13 requests spent in an hour-long window: ${spent} left`);
      await screenshot(page, "04-ratelimit-lookup");

      await page.getByRole("button", { name: "Reset" }).click();
      await textOf(page, "#ratelimit-result", `Reset tenant ${tenant}`);
      assert.equal(await page.locator("#rl-remaining").innerText(), "1,000", "remaining goes back up");
      const api = await (await stack.worker.fetch(`/admin/ratelimit/tenant/${tenant}`)).json();
      assert.equal(api.remaining, 1000);

      // A client is an IP address; an IPv6 one is counted by its /64.
      await page.getByLabel("Limit", { exact: true }).selectOption("client");
      await page.getByLabel("Identifier").fill("2001:db8:1:2::99");
      await page.getByRole("button", { name: "Look up" }).click();
      await textOf(page, "#rl-detail", "2001:db8:1:2::/64");
      await screenshot(page, "04-ratelimit-reset");
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await context.close();
    }
  });

  test("create a tenant key, see it listed, revoke it; the revoked key is refused", async () => {
    const tenant = "keyco";
    await putJson(stack.worker, `/v1/tenants/${tenant}/policy`, POLICY);
    const { context, page, errors } = await openPage(undefined, { permissions: ["clipboard-read", "clipboard-write"] });
    try {
      await signIn(page, stack.worker.url);
      await signedIn(page);
      await page.getByLabel("Tenant id", { exact: true }).fill(tenant);
      await page.getByRole("button", { name: "Create key" }).click();
      await page.locator("#new-key").waitFor();
      const key = await page.getByLabel("New API key").inputValue();
      assert.match(key, /^ek1_[0-9a-f]{16}_[A-Za-z0-9_-]{64}$/);
      const created = await textOf(page, "#keys-result", /Created key/);
      const id = /Created key (\S+) for/.exec(created)[1];
      await page.locator(`[data-key-id="${id}"]`).waitFor();
      assert.match(await page.locator("#keys-caption").innerText(), /1 key of keyco/);

      await page.getByRole("button", { name: "Copy" }).click();
      await textOf(page, "#new-key-copy", "Copied");
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key, "the copy button copies the key");
      await screenshot(page, "05-key-created");

      const ok = await stack.worker.as(key, `/v1/tenants/${tenant}/policy`);
      assert.equal(ok.status, 200, "the new key works");

      // Shown once: hidden for good once the operator has it.
      await page.getByRole("button", { name: "I have stored it, hide it" }).click();
      assert.equal(await page.locator("#new-key").isVisible(), false);
      await page.getByRole("button", { name: "List keys" }).click();
      await page.locator(`[data-key-id="${id}"]`).waitFor();
      assert.ok(!(await page.content()).includes(key), "the key is on the page no more");

      await page.getByRole("button", { name: `Revoke key ${id}` }).click();
      await page.getByRole("button", { name: `Confirm: revoke key ${id}` }).click();
      await textOf(page, "#keys-result", `Revoked key ${id}`);
      await page.locator(`[data-key-id="${id}"]`).waitFor({ state: "detached" });
      assert.match(await page.locator("#keys-caption").innerText(), /keyco has no API keys/);
      await screenshot(page, "05-key-revoked");

      const refused = await stack.worker.as(key, `/v1/tenants/${tenant}/policy`);
      assert.equal(refused.status, 401, "the revoked key is refused");
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await context.close();
    }
  });

  test("warm all tenants, following `next` page by page with a progress bar", async () => {
    const seeded = 300;
    await seedTenants(stack.worker.db, seeded, "warm");
    const total = (await stack.worker.db
      .prepare("SELECT COUNT(*) AS n FROM (SELECT tenant_id FROM tenant_llm_policies UNION SELECT tenant_id FROM conversation_configs WHERE user_id = '')")
      .first()).n;
    const limit = 40;
    const pages = Math.floor(total / limit) + 1; // the last page is short (or empty) and answers next: null
    const { context, page, errors } = await openPage();
    try {
      await signIn(page, stack.worker.url);
      await signedIn(page);
      await page.getByLabel("All tenants").check();
      await page.getByLabel("Tenants per request (1–500)").fill(String(limit));
      // Every text the progress line shows, in order, and whether the bar was moving meanwhile.
      await page.evaluate(() => {
        window.__progress = [];
        const text = document.getElementById("warm-progress-text");
        const bar = document.getElementById("warm-bar");
        new MutationObserver(() => window.__progress.push({ text: text.textContent, moving: bar.dataset.indeterminate === "true", visible: !bar.closest("[hidden]") })).observe(text, {
          childList: true,
          characterData: true,
          subtree: true,
        });
      });
      await page.getByRole("button", { name: "Warm", exact: true }).click();
      const done = await textOf(page, "#warm-result", "Warmed every tenant");
      assert.match(done, / 0 failed/);

      const progress = await page.evaluate(() => window.__progress);
      const pageTexts = progress.filter((p) => /^Page \d+:/.test(p.text));
      assert.ok(pageTexts.length >= 3, `several pages shown: ${JSON.stringify(progress.map((p) => p.text))}`);
      assert.ok(pageTexts.every((p) => p.moving && p.visible), "the bar is visible and moving while pages come in");
      assert.match(pageTexts[0].text, new RegExp(`^Page 1: ${limit} tenants so far`));
      assert.match(pageTexts[1].text, new RegExp(`^Page 2: ${2 * limit} tenants so far`));
      const final = await page.locator("#warm-progress-text").innerText();
      assert.match(final, new RegExp(`^Done: ${total} tenants in ${pages} pages`));
      assert.equal(await page.locator("#warm-bar").getAttribute("aria-valuenow"), "100");

      // The warmed entries are in Redis: a read in the middle of the range is a hit, not a D1 load.
      const read = await stack.worker.fetch("/v1/tenants/warm-0150/policy");
      assert.equal(read.status, 200);
      assert.equal(read.headers.get("x-cache"), "hit");
      await screenshot(page, "06-warm-all");
      assert.deepEqual(unexpected(errors), []);
    } finally {
      await context.close();
    }
  });

  test("the layout holds at 1280×800 and at 375×812 (no horizontal scrolling on a phone)", async () => {
    await makeTraffic(stack.worker, ["acme", "globex"], 4);
    for (const [name, viewport] of [
      ["07-layout-1280x800", { width: 1280, height: 800 }],
      ["07-layout-375x812", { width: 375, height: 812 }],
    ]) {
      const { context, page, errors } = await openPage(viewport);
      try {
        await signIn(page, stack.worker.url);
        await signedIn(page);
        await textOf(page, "#feed-state", "live");
        // Long, unbreakable content: a feed event with a long key, an open confirmation, a shown key.
        await putJson(stack.worker, "/v1/tenants/a-tenant-with-a-rather-long-identifier-0123456789/policy", POLICY);
        await page.locator("#feed li").first().waitFor();
        await page.getByLabel("Tenant id", { exact: true }).fill("acme");
        await page.getByRole("button", { name: "Create key" }).click();
        await page.locator("#new-key").waitFor();
        await page.getByRole("button", { name: "Clear…" }).click();
        await page.locator("#clear-confirm").waitFor();
        await page.waitForFunction(() => Number(document.querySelector('[data-v="rps"]').textContent.replace(/,/g, "")) >= 0);

        const overflow = await page.evaluate(() => {
          const width = document.documentElement.clientWidth;
          const wide = [...document.querySelectorAll("body *")]
            .filter((el) => el.getClientRects().length && el.getBoundingClientRect().right > width + 0.5)
            .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${el.className}`);
          return { scrollWidth: document.documentElement.scrollWidth, width, wide: wide.slice(0, 10) };
        });
        assert.ok(overflow.scrollWidth <= overflow.width, `${name}: the page is ${overflow.scrollWidth}px wide in ${overflow.width}px: ${overflow.wide.join(", ")}`);
        assert.deepEqual(overflow.wide, [], `${name}: elements past the right edge`);

        // Every input, select and button has an accessible name.
        const unnamed = await page.evaluate(() =>
          [...document.querySelectorAll("input, select, textarea, button")]
            .filter((el) => el.getClientRects().length)
            .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby") || (el.tagName === "BUTTON" && el.textContent.trim())))
            .map((el) => el.id || el.outerHTML.slice(0, 60)),
        );
        assert.deepEqual(unnamed, [], "controls without a label");

        await page.getByRole("button", { name: "Cancel" }).click();
        await page.getByRole("button", { name: "I have stored it, hide it" }).click();
        await page.evaluate(() => window.scrollTo(0, 0));
        await screenshot(page, `${name}-viewport`, { fullPage: false });
        await screenshot(page, name);
        assert.deepEqual(unexpected(errors), []);
      } finally {
        await context.close();
      }
    }
  });

  test("clear everything after a confirmation; then Upstash goes down and the page says so and stays usable", async () => {
    const policy = "/v1/tenants/acme/policy";
    await (await stack.worker.fetch(policy)).arrayBuffer();
    const before = await stack.worker.fetch(policy);
    await before.arrayBuffer();
    assert.equal(before.headers.get("x-cache"), "hit");

    const { context, page, errors } = await openPage();
    try {
      await signIn(page, stack.worker.url);
      await signedIn(page);
      await page.getByLabel("What to clear").selectOption("");
      await page.getByRole("button", { name: "Clear…" }).click();
      const question = await textOf(page, "#clear-confirm-text", stack.vars.CACHE_KEY_PREFIX);
      assert.match(question, /Clear everything under/);
      await page.getByRole("button", { name: "Cancel" }).click();
      assert.equal(await page.locator("#clear-confirm").isVisible(), false, "cancelled: nothing cleared");
      assert.equal((await stack.worker.fetch(policy)).headers.get("x-cache"), "hit");

      await page.getByRole("button", { name: "Clear…" }).click();
      await screenshot(page, "08-clear-confirm");
      await page.getByRole("button", { name: "Yes, clear everything" }).click();
      await textOf(page, "#clear-result", `Cleared ${stack.vars.CACHE_KEY_PREFIX}`);
      const after = await stack.worker.fetch(policy);
      await after.arrayBuffer();
      assert.equal(after.headers.get("x-cache"), "miss", "everything under the prefix was cleared");

      // Upstash goes away.
      await stack.upstash.stop();
      await textOf(page, ".banner.bad", /Upstash is down/);
      await textOf(page, '[data-v="upstash"]', "Down");
      await textOf(page, '[data-v="health"]', "Unhealthy");
      await textOf(page, "#feed-state", "reconnecting");
      assert.equal(await page.locator("#app").isVisible(), true, "still signed in");

      // Still usable: D1-backed operations work; cache operations fail next to their form, with a request id.
      await page.getByLabel("Tenant id", { exact: true }).fill("acme");
      await page.getByRole("button", { name: "List keys" }).click();
      await textOf(page, "#keys-caption", /acme/);
      await page.getByRole("textbox", { name: "Tags (one per line)" }).fill("tenant:acme");
      await page.getByRole("button", { name: "Invalidate", exact: true }).click();
      const failure = await textOf(page, '#invalidate-result[data-kind="error"]', /HTTP 503/);
      assert.match(failure, /request id [0-9a-f]+/);
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, "08-upstash-down");
      assert.deepEqual(unexpected(errors, [/503/]), []);
    } finally {
      await context.close();
    }
  });

  test("a worker without Upstash: empty cache, rate limiting and live events off, said plainly", async () => {
    const worker = await startWorker({});
    const { context, page, errors } = await openPage();
    try {
      await signIn(page, worker.url);
      await signedIn(page);
      await textOf(page, '[data-v="hit-rate-sub"]', "No reads yet");
      await textOf(page, ".banner", /No Upstash configured/);
      await textOf(page, "#feed-state", "off");
      await textOf(page, "#feed-detail", /Live events are off/);
      await textOf(page, "#ratelimit-result", /Rate limiting is off/);
      assert.equal(await page.getByRole("button", { name: "Look up" }).isDisabled(), true);
      await textOf(page, '[data-v="upstash"]', "Off");
      await screenshot(page, "09-no-upstash");
      assert.deepEqual(unexpected(errors, [/404/]), []);
    } finally {
      await context.close();
      await worker.dispose();
    }
  });

  test("Upstash refusing the worker's token: misconfigured, said plainly, the limits decided in each isolate", async () => {
    const upstash = await startUpstashLocal();
    const worker = await startWorker(upstashVars(upstash, { UPSTASH_REDIS_REST_TOKEN: "not-the-token-upstash-knows", HEALTH_CACHE_MS: "1000" }));
    const { context, page, errors } = await openPage();
    try {
      const read = await worker.fetch("/v1/tenants/acme/policy");
      await read.arrayBuffer();
      await signIn(page, worker.url);
      await signedIn(page);
      const banner = await textOf(page, ".banner.bad", /Upstash refuses the worker's token/);
      assert.match(banner, /HTTP 401/);
      await textOf(page, '[data-v="upstash"]', "Refused");
      await textOf(page, '[data-v="health"]', "Unhealthy");
      assert.match(banner, /each isolate enforces the rate limits on its own/);
      await textOf(page, '[data-tile="limiter"]', /decided in this isolate 1/);
      await textOf(page, '[data-tile="limiter"]', /backend misconfigured 1/);
      await screenshot(page, "10-upstash-misconfigured");
      assert.deepEqual(unexpected(errors, [/404/, /503/]), [], "only the refused loads: /health's 503, /admin/events' 404");
    } finally {
      await context.close();
      await worker.dispose();
      await upstash.stop();
    }
  });
});
