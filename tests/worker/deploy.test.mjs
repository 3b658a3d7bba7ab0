// `wrangler deploy --dry-run` bundles the built worker as a deploy would, and
// the gzip size the README states is the size it reports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./harness.mjs";

const FREE_PLAN_LIMIT_KIB = 3 * 1024;

test("wrangler deploy --dry-run succeeds; the README's gzip size is current", async () => {
  const outdir = mkdtempSync(path.join(tmpdir(), "edgecache-dry-run-"));
  const { stdout, stderr } = await promisify(execFile)(
    path.join(ROOT, "node_modules/.bin/wrangler"),
    ["deploy", "--dry-run", "--outdir", outdir],
    // The tests run after a build: skip wrangler's [build] step.
    { cwd: ROOT, env: { ...process.env, EDGECACHE_SKIP_BUILD: "1", WRANGLER_SEND_METRICS: "false" } },
  );
  const output = stdout + stderr;
  assert.match(output, /--dry-run: exiting now/);
  assert.match(output, /env\.DB \(edgecache\)\s+D1 Database/);
  assert.match(output, /Read \d+ files from the assets directory .*www/, "the dashboard ships as static assets");
  const [, totalKib, gzipKib] = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(output).map(Number);
  console.log(`worker size: ${totalKib} KiB, ${gzipKib} KiB gzip`);
  assert.ok(gzipKib < FREE_PLAN_LIMIT_KIB, `${gzipKib} KiB gzip exceeds the free plan's 3 MB`);

  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const stated = /worker is about \*\*(\d+) KiB gzip\*\*/.exec(readme);
  assert.ok(stated, "README states the gzip size as 'worker is about **N KiB gzip**'");
  const ratio = gzipKib / Number(stated[1]);
  assert.ok(ratio > 0.85 && ratio < 1.15, `README says ${stated[1]} KiB gzip, wrangler reports ${gzipKib} KiB: update the README`);
});
