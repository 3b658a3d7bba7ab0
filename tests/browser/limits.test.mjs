// The dashboard's limits in headless Chromium: an LLM tenant's tokens and
// slots, an override set, read and cleared, and the deny list added to,
// listed and emptied, against the built worker and a real Upstash stand-in.
// Screenshots under test-results/screenshots/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DASHBOARD_VARS, POLICY, launchBrowser, putJson, screenshot, signIn, startStack, watchErrors } from "./support.mjs";

let browser;
let stack;

before(async () => {
  browser = await launchBrowser();
  stack = await startStack({ ...DASHBOARD_VARS, LLM_MAX_IN_FLIGHT: "2", LLM_DAILY_TOKENS: "10000" });
  assert.equal((await putJson(stack.worker, "/v1/tenants/acme/policy", POLICY)).status, 200);
  const admitted = await stack.worker.fetch("/v1/tenants/acme/llm/admit", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ maxTokens: 700 }),
  });
  assert.equal(admitted.status, 201);
});

after(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the dashboard's limits", () => {
  test("a tenant's tokens and slots, an override, and the deny list", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors = watchErrors(page);
    await signIn(page, stack.worker.url);

    await page.selectOption("#rl-limiter", "llm");
    await page.fill("#rl-identifier", "acme");
    await page.click("#rl-lookup");
    await page.locator("#rl-detail", { hasText: "slots 1 in use of 2" }).waitFor();
    assert.equal(await page.locator("#rl-remaining").innerText(), "9,300");

    await page.selectOption("#ovr-limiter", "llm");
    await page.fill("#ovr-identifier", "acme");
    await page.fill("#ovr-limit", "50000");
    await page.fill("#ovr-window", "86400");
    await page.click("#ovr-set");
    await page.locator("#override-result", { hasText: "Set llm acme: 50000 per 86400 s" }).waitFor();
    await page.fill("#ovr-limit", "");
    await page.click("#ovr-get");
    await page.locator("#override-result", { hasText: "Override of llm acme" }).waitFor();
    assert.equal(await page.inputValue("#ovr-limit"), "50000");
    await page.click("#rl-lookup");
    await page.locator("#rl-limit", { hasText: "50,000" }).waitFor();

    await page.fill("#deny-ips", "203.0.113.0/24");
    await page.fill("#deny-ids", "globex");
    await page.click("#deny-add");
    await page.locator("#deny-list li[data-entry='203.0.113.0/24']").waitFor();
    await page.locator("#deny-list li[data-entry='globex']").waitFor();
    const denied = await stack.worker.fetch("/v1/tenants/globex/policy");
    assert.equal(denied.status, 403, "the tenant is denied on its next request");
    await screenshot(page, "dashboard-limits");
    await page.locator("#deny-list li[data-entry='globex'] button").click();
    await page.locator("#deny-list li[data-entry='globex']").waitFor({ state: "detached" });
    await page.click("#ovr-clear");
    await page.locator("#override-result", { hasText: "Cleared" }).waitFor();
    assert.deepEqual(errors, []);
    await context.close();
  });
});
