// The side-by-side bench's report: medians across rounds, the tables, the
// cost per million requests, the goals, and an SVG chart.
import { median } from "../../load/workload.mjs";
import { PRICES, costPerMillion } from "./prices.mjs";

export const WORKER_IDS = ["edgecache", "js"];
const METRICS = [
  ["requests/s", "perSecond", 0],
  ["p50 ms", "p50", 1],
  ["p99 ms", "p99", 1],
  ["REST round trips / request", "tripsPerRequest", 2],
  ["REST round trips / cached GET", "tripsPerCachedGet", 2],
  ["Redis commands / request", "commandsPerRequest", 2],
  ["D1 round trips / request", "d1TripsPerRequest", 2],
  ["D1 rows read / request", "rowsReadPerRequest", 2],
  ["D1 rows written / request", "rowsWrittenPerRequest", 2],
  ["CPU ms / request, all its processes", "cpuMsPerRequest", 3],
  ["  of which the worker's workerd", "workerCpuMsPerRequest", 3],
  ["hit rate (hit+stale / GETs)", "hitRate", 3],
  ["errors (5xx + thrown)", "errors", 0],
];
const MEDIANS = ["perSecond", "p50", "p99", "tripsPerRequest", "commandsPerRequest", "d1TripsPerRequest", "rowsReadPerRequest", "rowsWrittenPerRequest", "cpuMsPerRequest", "workerCpuMsPerRequest", "hitRate"];

/** Medians across rounds per mix and worker (errors and refusals: totals), with the cost per million requests. */
export function summarize(runs, mixes, cachedGets) {
  const summary = {};
  for (const mix of mixes) {
    summary[mix.name] = {};
    for (const id of WORKER_IDS) {
      const mine = runs.filter((run) => run.mix === mix.name && run.worker === id);
      const row = Object.fromEntries(MEDIANS.map((field) => [field, median(mine.map((run) => run[field]))]));
      row.tripsPerCachedGet = cachedGets[id].tripsPerHit;
      for (const field of ["errors", "refused", "otherClientErrors"]) row[field] = mine.reduce((n, run) => n + run[field], 0);
      row.cost = costPerMillion({
        commands: row.commandsPerRequest,
        rowsRead: Number.isFinite(row.rowsReadPerRequest) ? row.rowsReadPerRequest : 0,
        rowsWritten: Number.isFinite(row.rowsWrittenPerRequest) ? row.rowsWrittenPerRequest : 0,
        cpuMs: row.workerCpuMsPerRequest,
      });
      summary[mix.name][id] = row;
    }
  }
  return summary;
}

const ratioText = (a, b) => {
  const ratio = b ? a / b : a ? Infinity : NaN;
  return Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : "n/a";
};

/** One table per mix, then the cost table. */
export function printTables(mode, summary, mixes, settings) {
  for (const mix of mixes) {
    const [edge, js] = [summary[mix.name].edgecache, summary[mix.name].js];
    const rows = {};
    for (const [label, field, digits] of METRICS) {
      if (!Number.isFinite(edge[field]) && !Number.isFinite(js[field])) continue;
      rows[label] = { edgecache: Number(edge[field].toFixed(digits)), "@upstash JS": Number(js[field].toFixed(digits)), "edgecache / JS": ratioText(edge[field], js[field]) };
    }
    console.log(`\n[${mode}] ${mix.label}: medians of ${settings.rounds} round(s) of ${settings.seconds} s, ${settings.clients} clients, ${settings.tenants} tenants (errors: totals)`);
    console.table(rows);
    for (const id of WORKER_IDS) {
      const { refused, otherClientErrors } = summary[mix.name][id];
      if (refused || otherClientErrors) console.log(`  ${id}: ${refused} x 429, ${otherClientErrors} other 4xx (expected none)`);
    }
  }
  // The cost needs D1's rows, which only the production-shaped mode counts.
  if (!mixes.every((mix) => WORKER_IDS.every((id) => Number.isFinite(summary[mix.name][id].rowsWrittenPerRequest)))) return;
  console.log(`\n[${mode}] cost per million requests, US$ (prices of ${PRICES.readOn}: tests/bench/side-by-side/prices.mjs; CPU: the worker's workerd, its local D1 included)`);
  const rows = {};
  for (const mix of mixes) {
    for (const id of WORKER_IDS) {
      const { cost } = summary[mix.name][id];
      rows[`${mix.short}, ${id}`] = Object.fromEntries(Object.entries(cost).map(([line, dollars]) => [line, Number(dollars.toFixed(3))]));
    }
    rows[`${mix.short}, edgecache / JS`] = { total: ratioText(summary[mix.name].edgecache.cost.total, summary[mix.name].js.cost.total) };
  }
  console.table(rows);
}

/**
 * The goals of the production-shaped mode, each with what was measured and
 * whether it was met. `wasmGzipBytes` is the deployed wasm's size.
 */
export function goals(summary, wasmGzipBytes) {
  const ratio = (mix, field) => summary[mix].edgecache[field] / summary[mix].js[field];
  const cost = (mix) => summary[mix].edgecache.cost.total / summary[mix].js.cost.total;
  const errors = ["read-heavy", "write-heavy"].reduce((n, mix) => n + summary[mix].edgecache.errors + summary[mix].js.errors, 0);
  const rows = [
    ["zero errors (both workers, both mixes)", errors, (v) => v === 0, (v) => String(v)],
    ["throughput >= 2x, read-heavy", ratio("read-heavy", "perSecond"), (v) => v >= 2, (v) => `${v.toFixed(2)}x`],
    ["throughput >= 1.5x, write-heavy", ratio("write-heavy", "perSecond"), (v) => v >= 1.5, (v) => `${v.toFixed(2)}x`],
    ["p99 <= 0.7x, read-heavy", ratio("read-heavy", "p99"), (v) => v <= 0.7, (v) => `${v.toFixed(2)}x`],
    ["p99 <= 0.7x, write-heavy", ratio("write-heavy", "p99"), (v) => v <= 0.7, (v) => `${v.toFixed(2)}x`],
    ["Redis commands / request <= 0.6x, read-heavy", ratio("read-heavy", "commandsPerRequest"), (v) => v <= 0.6, (v) => `${v.toFixed(2)}x`],
    ["Redis commands / request <= 0.6x, write-heavy", ratio("write-heavy", "commandsPerRequest"), (v) => v <= 0.6, (v) => `${v.toFixed(2)}x`],
    ["cost / million requests <= 0.6x, read-heavy", cost("read-heavy"), (v) => v <= 0.6, (v) => `${v.toFixed(2)}x`],
    ["cost / million requests <= 0.6x, write-heavy", cost("write-heavy"), (v) => v <= 0.6, (v) => `${v.toFixed(2)}x`],
    ["wasm <= 350 KiB gzip", wasmGzipBytes / 1024, (v) => v <= 350, (v) => `${v.toFixed(0)} KiB`],
  ];
  return rows.map(([goal, value, met, show]) => ({ goal, measured: show(value), met: met(value) ? "yes" : "NO" }));
}

const escapeXml = (text) => String(text).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** The smallest 1, 2, 2.5 or 5 times a power of ten at or above `value`. */
function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= value);
}

const COLORS = { edgecache: "#f38020", js: "#3b6ea5" };
const TITLES = { edgecache: "edgecache", js: "@upstash/redis + @upstash/ratelimit" };

/** One panel of grouped bars: `groups` are `{ label, values: { edgecache, js } }`. */
function barPanel({ x, y, width, height, title, groups, digits }) {
  const top = niceMax(Math.max(...groups.flatMap((g) => Object.values(g.values).filter(Number.isFinite))));
  const plot = { x: x + 60, y: y + 40, width: width - 80, height: height - 90 };
  const scale = (v) => (Number.isFinite(v) ? (v / top) * plot.height : 0);
  const parts = [`<text x="${x + 10}" y="${y + 20}" class="title">${escapeXml(title)}</text>`];
  for (let i = 0; i <= 5; i++) {
    const value = (top * i) / 5;
    const ty = plot.y + plot.height - (plot.height * i) / 5;
    parts.push(`<line x1="${plot.x}" y1="${ty}" x2="${plot.x + plot.width}" y2="${ty}" class="grid"/>`);
    parts.push(`<text x="${plot.x - 6}" y="${ty + 4}" class="tick">${escapeXml(Number(value.toPrecision(3)))}</text>`);
  }
  const slot = plot.width / groups.length;
  const barWidth = Math.min(48, (slot - 24) / 2);
  groups.forEach((group, g) => {
    const center = plot.x + slot * (g + 0.5);
    WORKER_IDS.forEach((id, w) => {
      const value = group.values[id];
      const h = scale(value);
      const bx = center - barWidth + w * barWidth;
      const by = plot.y + plot.height - h;
      parts.push(`<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[id]}"/>`);
      const label = Number.isFinite(value) ? value.toFixed(digits) : "n/a";
      parts.push(`<text x="${(bx + barWidth / 2).toFixed(1)}" y="${(by - 4).toFixed(1)}" class="value">${label}</text>`);
    });
    parts.push(`<text x="${center.toFixed(1)}" y="${plot.y + plot.height + 18}" class="group">${escapeXml(group.label)}</text>`);
    const ratio = group.values.edgecache / group.values.js;
    if (Number.isFinite(ratio)) parts.push(`<text x="${center.toFixed(1)}" y="${plot.y + plot.height + 34}" class="ratio">edgecache / JS ${ratio.toFixed(2)}x</text>`);
  });
  parts.push(`<line x1="${plot.x}" y1="${plot.y + plot.height}" x2="${plot.x + plot.width}" y2="${plot.y + plot.height}" class="axis"/>`);
  return parts.join("\n");
}

/** The chart of one mode: throughput, latency, round trips and the cost per million requests. */
export function drawSvg(title, summary, mixes, caption) {
  const width = 980;
  const panelHeight = 300;
  const shown = mixes.filter((mix) => mix.getShare > 0);
  const values = (mix, pick) => Object.fromEntries(WORKER_IDS.map((id) => [id, pick(summary[mix.name][id])]));
  const panels = [
    { title: "Throughput, requests/s (higher is better)", digits: 0, groups: shown.map((mix) => ({ label: mix.short, values: values(mix, (s) => s.perSecond) })) },
    {
      title: "Latency, ms (lower is better)",
      digits: 1,
      groups: shown.flatMap((mix) => [
        { label: `${mix.short} p50`, values: values(mix, (s) => s.p50) },
        { label: `${mix.short} p99`, values: values(mix, (s) => s.p99) },
      ]),
    },
    {
      title: "Upstash REST round trips and Redis commands per request (lower is better)",
      digits: 2,
      groups: shown.flatMap((mix) => [
        { label: `round trips, ${mix.short}`, values: values(mix, (s) => s.tripsPerRequest) },
        { label: `commands, ${mix.short}`, values: values(mix, (s) => s.commandsPerRequest) },
      ]),
    },
  ];
  // The cost needs D1's rows, which only the production-shaped mode counts.
  if (mixes.every((mix) => WORKER_IDS.every((id) => Number.isFinite(summary[mix.name][id].rowsWrittenPerRequest)))) {
    const groups = mixes.map((mix) => ({ label: mix.short, values: values(mix, (s) => s.cost.total) }));
    panels.push({ title: `Cost per million requests, US$ (prices of ${PRICES.readOn}; lower is better)`, digits: 2, groups });
  }
  const height = 95 + panels.length * panelHeight + 10;
  const legend = WORKER_IDS.map(
    (id, i) => `<rect x="${20 + i * 330}" y="68" width="14" height="14" fill="${COLORS[id]}"/><text x="${40 + i * 330}" y="80" class="legend">${escapeXml(TITLES[id])}</text>`,
  ).join("\n");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
  .heading { font-size: 18px; font-weight: 600; fill: #222; }
  .sub { font-size: 12px; fill: #555; }
  .title { font-size: 14px; font-weight: 600; fill: #222; }
  .tick { font-size: 11px; fill: #555; text-anchor: end; }
  .value { font-size: 11px; fill: #222; text-anchor: middle; }
  .group { font-size: 12px; fill: #333; text-anchor: middle; }
  .ratio { font-size: 11px; fill: #666; text-anchor: middle; }
  .legend { font-size: 13px; fill: #222; }
  .grid { stroke: #e4e4e4; stroke-width: 1; }
  .axis { stroke: #888; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="20" y="26" class="heading">${escapeXml(title)}</text>
${caption.map((line, i) => `<text x="20" y="${44 + i * 15}" class="sub">${escapeXml(line)}</text>`).join("\n")}
${legend}
${panels.map((panel, i) => barPanel({ x: 0, y: 95 + i * panelHeight, width, height: panelHeight, ...panel })).join("\n")}
</svg>
`;
}
