// `npm run bench`: the worker's size, and what it is made of.
// - bytes of build/index_bg.wasm (what is deployed, after wasm-opt) and
//   build/index.js, raw and gzip; the budget is 350 KiB gzip for the wasm;
// - the ten largest contributors to the code, by crate (and by module of
//   edgecache), from twiggy on the same code built with function names
//   (cargo's `worker-names` profile, which scripts/bench.sh builds; the
//   deployed wasm has none) before wasm-bindgen and wasm-opt, which shrink
//   everything afterwards: read the shares, not the bytes. Skipped, saying
//   so, when twiggy or that build is missing.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { ROOT } from "../worker/harness.mjs";

const BUDGET_GZIP_BYTES = 350 * 1024;
const NAMED_WASM = path.join(ROOT, "target/wasm32-unknown-unknown/worker-names/edgecache.wasm");

const kib = (bytes) => Number((bytes / 1024).toFixed(1));

function sizes() {
  return ["build/index_bg.wasm", "build/index.js"].map((file) => {
    const bytes = readFileSync(path.join(ROOT, file));
    const gzip = gzipSync(bytes, { level: 9 }).length;
    return { file, "KiB": kib(bytes.length), "gzip KiB": kib(gzip), gzip };
  });
}

/** The crate (or `edgecache::module`) a twiggy item belongs to. */
function owner(name) {
  if (name.startsWith("data segment") || name.startsWith("data[")) return "[static data]";
  if (/^(code|func|elem|table|type|import|export)\[/.test(name)) return "[unnamed code, tables]";
  const bare = name.replace(/^<+/, "").replace(/^(&mut |&|\*const |\*mut |dyn )/, "");
  const crate = bare.match(/^[A-Za-z_][A-Za-z0-9_]*/)?.[0] ?? "[other]";
  if (crate !== "edgecache") return crate;
  const [, module = "", sub = ""] = bare.split("::");
  return module === "app" ? `edgecache::app::${sub.split("<")[0]}` : `edgecache::${module.split("<")[0]}`;
}

function contributors() {
  if (!existsSync(NAMED_WASM)) return { skipped: `${path.relative(ROOT, NAMED_WASM)} is missing (\`cargo build --lib --target wasm32-unknown-unknown --profile worker-names --features worker-app\`)` };
  let csv;
  try {
    csv = execFileSync("twiggy", ["top", "-n", "1000000", "--format", "csv", NAMED_WASM], { encoding: "utf8", maxBuffer: 256 << 20 });
  } catch (error) {
    return { skipped: `twiggy could not run (${error.code ?? error.message}); \`cargo install --locked twiggy\`` };
  }
  const totals = new Map();
  let all = 0;
  for (const line of csv.trim().split("\n").slice(1)) {
    // Name,ShallowSize,...: a name with commas or quotes is quoted, quotes doubled.
    const match = line.match(/^("(?:[^"]|"")*"|[^,]*),(\d+),/);
    if (!match) continue;
    const name = match[1].startsWith('"') ? match[1].slice(1, -1).replace(/""/g, '"') : match[1];
    const size = Number(match[2]);
    // Names and custom sections are not shipped (wasm-bindgen and wasm-opt drop them).
    if (/custom section|function names|^export /.test(name)) continue;
    const who = owner(name);
    totals.set(who, (totals.get(who) ?? 0) + size);
    all += size;
  }
  const top = [...totals].sort((a, b) => b[1] - a[1]).slice(0, 10);
  return { rows: top.map(([who, bytes]) => ({ contributor: who, "share of code": `${((100 * bytes) / all).toFixed(1)}%`, "KiB before wasm-opt": kib(bytes) })) };
}

const files = sizes();
console.log("\nWorker size (what wrangler deploys)");
console.table(files.map(({ gzip, ...row }) => row));
const wasmGzip = files[0].gzip;
console.log(`wasm gzip: ${kib(wasmGzip)} KiB of the ${kib(BUDGET_GZIP_BYTES)} KiB budget (${((100 * wasmGzip) / BUDGET_GZIP_BYTES).toFixed(0)}%)`);

const { rows, skipped } = contributors();
console.log("\nTen largest contributors to the wasm (twiggy, by crate)");
if (skipped) console.log(`skipped: ${skipped}`);
else console.table(rows);
