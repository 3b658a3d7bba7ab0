// Makes docs/dashboard.png, the README's picture of the dashboard: the real
// page in headless Chromium at 1280×1000, in its fleet view, against three
// isolates of the built worker in Miniflare with upstash-local, after a few
// minutes of realistic traffic spread over them (reads across tenants, a few
// writes and invalidations, a client guessing tokens) so the tiles, the
// per-minute chart and the live feed all have something to show.
//
//   node tests/browser/readme-screenshot.mjs [output.png]
//
// REVIEW=1 also saves phone-width sections under test-results/screenshots/.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DASHBOARD_VARS, POLICY, ROOT, SCREENSHOTS, launchBrowser, putJson, screenshot, seedTenants, signIn } from "./support.mjs";
import { startIsolates, startUpstashLocal, upstashVars } from "../worker/harness.mjs";

const OUTPUT = path.resolve(process.argv[2] ?? path.join(ROOT, "docs/dashboard.png"));
const TRAFFIC_MS = Number(process.env.TRAFFIC_MS ?? 200_000);
const TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"];

/** An address in 203.0.113.0/24 (TEST-NET-3): only a header value, nothing is sent there. */
const client = (n) => `203.0.113.${1 + (n % 200)}`;

// A prefix and channel of the picture's own (the test Redis is shared), named like a real deployment's.
const upstash = await startUpstashLocal();
const vars = upstashVars(upstash, { ...DASHBOARD_VARS, CACHE_KEY_PREFIX: "edgecache-demo", CACHE_EVENTS_CHANNEL: "edgecache-demo:events" });
// Nothing left from an earlier run under the same prefix: the fleet's counters live a day.
for (const key of await upstash.command("KEYS", "edgecache-demo:fleet:*")) await upstash.command("DEL", key);
const isolates = await startIsolates(vars, { count: 3 });
const stack = {
  async stop() {
    await isolates[0].dispose();
    await upstash.stop();
  },
};
const browser = await launchBrowser();
// The browser talks to the first isolate; the traffic goes to any of them.
const worker = isolates[0];
let n = 0;
const any = () => isolates[Math.floor(Math.random() * isolates.length)];
const get = (pathname, ip = client(n++)) => any().fetch(pathname, { headers: { "CF-Connecting-IP": ip } }).then((r) => r.arrayBuffer());
const guess = () =>
  any()
    .as("a-guessed-token-of-more-than-thirty-two-characters", "/v1/tenants/acme/policy", { headers: { "CF-Connecting-IP": "198.51.100.23" } })
    .then((r) => r.arrayBuffer());

try {
  // Nothing left from an earlier run under the same prefix.
  await worker.fetch("/admin/cache/clear", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  await seedTenants(worker.db, 160, "tenant");
  for (const [i, tenant] of TENANTS.entries()) {
    await putJson(worker, `/v1/tenants/${tenant}/policy`, { ...POLICY, maxTokensPerRequest: 2048 * (1 + (i % 4)) });
    await putJson(worker, `/v1/tenants/${tenant}/conversation-config`, { systemPrompt: `You are ${tenant}'s assistant.`, temperature: 0.3, maxTurns: 24 });
  }

  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
  await context.addInitScript(() => {
    localStorage.setItem("edgecache.pollMs", "1000");
    localStorage.setItem("edgecache.fleetMinutes", "5");
  });
  const page = await context.newPage();
  await signIn(page, worker.url);
  await page.locator("#poll-status").filter({ hasText: /Updated/ }).waitFor();
  await page.locator("#feed-state").filter({ hasText: "live" }).waitFor();

  // A few minutes of traffic whose rate rises and falls, with a few writes,
  // invalidations and a client guessing tokens past its limit. It keeps going
  // while the picture is taken, so the figures are live ones.
  let running = true;
  const traffic = (async () => {
    for (let second = 0; running; second++) {
      const tick = Date.now();
      const perSecond = Math.round(16 + 12 * Math.sin(second / 7) + 6 * Math.sin(second / 2.3));
      const reads = [];
      for (let i = 0; i < perSecond; i++) {
        const hot = Math.random() < 0.8;
        const tenant = hot ? TENANTS[Math.floor(Math.random() ** 2 * TENANTS.length)] : `tenant-${String(Math.floor(Math.random() * 160)).padStart(4, "0")}`;
        reads.push(get(Math.random() < 0.6 ? `/v1/tenants/${tenant}/policy` : `/v1/tenants/${tenant}/conversation-config`));
      }
      await Promise.all(reads);
      if (second % 9 === 4) {
        const tenant = TENANTS[second % TENANTS.length];
        await putJson(worker, `/v1/tenants/${tenant}/conversation-config`, { systemPrompt: `You are ${tenant}'s assistant (v${second}).`, temperature: 0.3, maxTurns: 24 });
      }
      if (second % 13 === 7) {
        await worker.fetch("/admin/cache/invalidate", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ tags: [`tenant:${TENANTS[(second + 3) % TENANTS.length]}`] }),
        });
      }
      if (second % 60 >= 20 && second % 60 < 25) {
        // One client guessing tokens for five seconds: past its 10 failures a minute, refused with 429.
        await Promise.all(Array.from({ length: 6 }, guess));
      }
      await sleep(Math.max(0, 1000 - (Date.now() - tick)));
    }
  })();
  await sleep(TRAFFIC_MS);
  // Right after a poll, so the tiles and the chart's last point agree.
  const last = await page.locator("#poll-status").innerText();
  await page.waitForFunction((before) => document.getElementById("poll-status").textContent !== before, last);
  await page.evaluate(() => document.activeElement?.blur());

  mkdirSync(path.dirname(OUTPUT), { recursive: true });
  const png = await page.screenshot({ fullPage: false });
  writeFileSync(OUTPUT, png);
  console.log(`${path.relative(ROOT, OUTPUT)}: ${Math.round(png.length / 1024)} KiB`);
  running = false;
  await traffic;

  if (process.env.REVIEW) {
    await screenshot(page, "review-desktop-full");
    await page.setViewportSize({ width: 375, height: 812 });
    await sleep(300);
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    for (let y = 0, i = 0; y < height; y += 812, i++) {
      await page.screenshot({ path: path.join(SCREENSHOTS, `review-phone-${i}.png`), fullPage: true, clip: { x: 0, y, width: 375, height: Math.min(812, height - y) } });
    }
    console.log(`review screenshots in ${path.relative(ROOT, SCREENSHOTS)}`);
  }
  await context.close();
} finally {
  await browser.close();
  await stack.stop();
}
