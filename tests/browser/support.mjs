// Shared by the browser tests and the README screenshot script: headless
// Debian Chromium driven by playwright-core, against the built worker in
// Miniflare with D1 and Redis through upstash-local (tests/worker/harness.mjs).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { ADMIN_TOKEN, POLICY, ROOT, putJson, startUpstashLocal, startWorker, unique, upstashVars } from "../worker/harness.mjs";

export { ADMIN_TOKEN, POLICY, ROOT, putJson, unique };

export const CHROMIUM = "/usr/bin/chromium";
export const SCREENSHOTS = path.join(ROOT, "test-results/screenshots");

/** The flags this machine's headless Chromium needs (no GPU, no sandbox as root, no calls home). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Headless Chromium with a fresh, empty user-data-dir of its own (removed
 * by `close()`). Each test opens its own context from it: fresh storage.
 */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ensure-chromium.sh`);
  const userDataDir = mkdtempSync(path.join(tmpdir(), "edgecache-chromium-"));
  // launchPersistentContext is playwright's way to give Chromium a user-data-dir;
  // the browser it belongs to opens further, isolated contexts for the tests.
  const persistent = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const browser = persistent.browser();
  return {
    /** A new isolated context (its own sessionStorage, localStorage and cookies). */
    async newContext(options = {}) {
      return browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
    },
    async close() {
      await persistent.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Worker settings for the dashboard tests: fast failure detection, limits that do not get in the way. */
export const DASHBOARD_VARS = {
  HEALTH_CACHE_MS: "1000",
  CACHE_TIMEOUT_MS: "400",
  RATE_LIMIT_TIMEOUT_MS: "400",
  RATE_LIMIT_CLIENT_LIMIT: "100000",
  RATE_LIMIT_TENANT_LIMIT: "1000",
  RATE_LIMIT_TENANT_WINDOW_SECS: "3600",
};

/** upstash-local (on the machine's Redis) and the worker on it, with a live-events channel. */
export async function startStack(extra = {}) {
  const upstash = await startUpstashLocal();
  const vars = upstashVars(upstash, { CACHE_EVENTS_CHANNEL: unique("events"), ...DASHBOARD_VARS, ...extra });
  const worker = await startWorker(vars);
  return {
    upstash,
    vars,
    worker,
    async stop() {
      await worker.dispose();
      await upstash.stop();
    },
  };
}

/** Saves a full-page screenshot as test-results/screenshots/NAME.png. */
export async function screenshot(page, name, options = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // From the top: a full-page picture taken while scrolled shows the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage: true, animations: "disabled", ...options });
  return file;
}

/** Opens the dashboard and signs in with `token`; resolves once the tiles have figures. */
export async function signIn(page, baseUrl, token = ADMIN_TOKEN) {
  await page.goto(`${baseUrl}/`);
  await page.getByLabel("Admin token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Collects the page's console errors and uncaught exceptions, to assert there were none. */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  return errors;
}

/** Some traffic through the worker: policies written and read, so every tier has figures. */
export async function makeTraffic(worker, tenants = ["acme", "globex", "initech"], reads = 6) {
  for (const tenant of tenants) {
    const put = await putJson(worker, `/v1/tenants/${tenant}/policy`, POLICY);
    if (put.status !== 200) throw new Error(`PUT policy ${tenant}: ${put.status} ${await put.text()}`);
    const config = await putJson(worker, `/v1/tenants/${tenant}/conversation-config`, { systemPrompt: `You help ${tenant}.`, temperature: 0.4, maxTurns: 20 });
    if (config.status !== 200) throw new Error(`PUT config ${tenant}: ${config.status} ${await config.text()}`);
  }
  for (let i = 0; i < reads; i++) {
    await Promise.all(
      tenants.flatMap((tenant) => [
        worker.fetch(`/v1/tenants/${tenant}/policy`).then((r) => r.arrayBuffer()),
        worker.fetch(`/v1/tenants/${tenant}/conversation-config`).then((r) => r.arrayBuffer()),
      ]),
    );
  }
  // A read of a tenant that does not exist: a negative entry.
  await (await worker.fetch("/v1/tenants/nobody/policy")).arrayBuffer();
}

/**
 * `count` tenants' policies written straight into D1 (`${prefix}-0000`, …),
 * behind the cache's back, as a bulk import would: cold until warmed.
 */
export async function seedTenants(db, count, prefix = "seed") {
  const now = Date.now();
  const allowed = JSON.stringify(POLICY.allowedModels).replace(/'/g, "''");
  for (let start = 0; start < count; start += 100) {
    const rows = [];
    for (let i = start; i < Math.min(count, start + 100); i++) {
      const id = `${prefix}-${String(i).padStart(4, "0")}`;
      rows.push(`('${id}', '${POLICY.defaultModel}', '${allowed}', ${POLICY.maxTokensPerRequest}, ${now})`);
    }
    await db
      .prepare(
        `INSERT OR REPLACE INTO tenant_llm_policies (tenant_id, default_model, allowed_models, max_tokens_per_request, updated_at_ms) VALUES ${rows.join(", ")}`,
      )
      .run();
  }
}
