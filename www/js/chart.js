// @ts-check
// A small SVG line chart: requests/s and cache reads/s on the left axis,
// hit rate (0–100 %) on the right, time along the bottom. No library. And
// the chart's card, redrawn after each poll and when its width changes.

import { clock, clockShort, percent, rate } from "./format.js";

const NS = "http://www.w3.org/2000/svg";

/** @typedef {import("./types.js").RatePoint} RatePoint */

/**
 * An SVG element.
 * @param {string} name
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 */
function el(name, attrs = {}, text) {
  const node = document.createElementNS(NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * A "nice" axis maximum and step for values up to `max` (about `ticks` ticks).
 * @param {number} max
 * @param {number} [ticks]
 */
export function niceScale(max, ticks = 4) {
  if (!(max > 0)) return { max: 1, step: 0.2 };
  const raw = max / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? 10 * magnitude;
  return { max: Math.ceil(max / step) * step, step };
}

/**
 * An axis label: whole numbers plain, fractions with the step's decimals.
 * @param {number} v
 * @param {number} step
 */
function tickLabel(v, step) {
  if (Number.isInteger(step)) return Math.round(v).toLocaleString("en-US");
  const decimals = Math.min(3, (String(+step.toPrecision(6)).split(".")[1] ?? "").length);
  return v.toFixed(decimals);
}

/**
 * A time step (ms) giving about `count` ticks over `spanMs`.
 * @param {number} spanMs
 * @param {number} count
 */
function timeStep(spanMs, count) {
  const steps = [5e3, 10e3, 15e3, 30e3, 60e3, 120e3, 300e3, 600e3, 900e3, 1800e3, 3600e3];
  return steps.find((s) => spanMs / s <= count) ?? steps[steps.length - 1];
}

/** @typedef {{ key: "rps" | "reads" | "hitRate", label: string, axis: "left" | "right", className: string }} Series */

/** @type {Series[]} */
export const SERIES = [
  { key: "rps", label: "Requests/s", axis: "left", className: "s-rps" },
  { key: "reads", label: "Cache reads/s", axis: "left", className: "s-reads" },
  { key: "hitRate", label: "Hit rate", axis: "right", className: "s-hit" },
];

/**
 * Draws `points` ([{t, rps, reads, hitRate}], oldest first; a null value is a
 * gap) into `container`, `width` × `height` CSS pixels. `series` is the
 * subset of SERIES to draw.
 * @param {Element} container
 * @param {readonly RatePoint[]} points
 * @param {{ width: number, height: number, series?: Series[], minSpanMs?: number }} options
 */
export function drawChart(container, points, { width, height, series = SERIES, minSpanMs = 60_000 }) {
  const compact = width < 480;
  const m = { top: 24, right: compact ? 40 : 50, bottom: 30, left: compact ? 40 : 50 };
  const w = Math.max(10, width - m.left - m.right);
  const h = Math.max(10, height - m.top - m.bottom);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, class: "chart-svg", role: "img", "aria-labelledby": "chart-title chart-desc" });
  svg.append(el("title", { id: "chart-title" }, "Hit rate and requests over time"));

  const last = points[points.length - 1];
  const end = last ? last.t : Date.now();
  const start = Math.min(points.length ? points[0].t : end - minSpanMs, end - minSpanMs);
  const x = (t) => m.left + ((t - start) / (end - start || 1)) * w;

  const leftKeys = series.filter((s) => s.axis === "left").map((s) => s.key);
  const leftMax = Math.max(0, ...points.flatMap((p) => leftKeys.map((k) => p[k] ?? 0)));
  const left = niceScale(leftMax, 4);
  const yLeft = (v) => m.top + h - (v / left.max) * h;
  const yRight = (v) => m.top + h - v * h;

  const desc = last
    ? `Latest: ${series.map((s) => `${s.label} ${s.key === "hitRate" ? percent(last[s.key]) : rate(last[s.key])}`).join(", ")}, at ${clock(last.t)}.`
    : "No data yet.";
  svg.append(el("desc", { id: "chart-desc" }, desc));

  // Grid and the left axis (requests per second).
  const grid = el("g", { class: "grid" });
  for (let v = 0; v <= left.max + left.step / 2; v += left.step) {
    const y = yLeft(v);
    grid.append(el("line", { x1: m.left, x2: m.left + w, y1: y, y2: y }));
    grid.append(el("text", { x: m.left - 6, y: y + 4, "text-anchor": "end", class: "tick s-rps-text" }, tickLabel(v, left.step)));
  }
  // The right axis (hit rate): 0, 25, 50, 75, 100 %.
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    grid.append(el("text", { x: m.left + w + 6, y: yRight(v) + 4, "text-anchor": "start", class: "tick s-hit-text" }, `${v * 100}%`));
  }
  // Time ticks.
  const step = timeStep(end - start, Math.max(2, Math.floor(w / (compact ? 70 : 90))));
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    const xt = x(t);
    grid.append(el("line", { x1: xt, x2: xt, y1: m.top + h, y2: m.top + h + 4 }));
    grid.append(el("text", { x: xt, y: m.top + h + 18, "text-anchor": "middle", class: "tick" }, step < 60_000 ? clock(t) : clockShort(t)));
  }
  grid.append(el("line", { x1: m.left, x2: m.left + w, y1: m.top + h, y2: m.top + h, class: "axis" }));
  svg.append(grid);

  // Axis titles.
  svg.append(el("text", { x: m.left - 6, y: 12, "text-anchor": "end", class: "axis-title s-rps-text" }, "per s"));
  svg.append(el("text", { x: m.left + w + 6, y: 12, "text-anchor": "start", class: "axis-title s-hit-text" }, "hit"));

  for (const s of series) {
    const y = s.axis === "left" ? yLeft : yRight;
    let d = "";
    let pen = false;
    const dots = [];
    for (const p of points) {
      const v = p[s.key];
      // A gap: the pen lifts.
      if (v === null || v === undefined || !Number.isFinite(v)) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
      dots.push([x(p.t), y(v)]);
    }
    if (d) svg.append(el("path", { d, class: `line ${s.className}` }));
    // A lone point (or the latest) is easier to see with a dot.
    if (dots.length) {
      const [cx, cy] = dots[dots.length - 1];
      svg.append(el("circle", { cx: cx.toFixed(1), cy: cy.toFixed(1), r: 3, class: `dot ${s.className}` }));
    }
  }

  if (points.length < 2) {
    svg.append(el("text", { x: m.left + w / 2, y: m.top + h / 2, "text-anchor": "middle", class: "empty" }, "Rates start after two polls"));
  }
  container.replaceChildren(svg);
}

/**
 * The chart's card: draws what `source()` answers at the container's width,
 * again when that width changes.
 */
export class ChartPanel {
  #container;
  #source;
  #width = 0;

  /**
   * @param {HTMLElement} container
   * @param {() => { points: readonly RatePoint[], minSpanMs: number }} source
   */
  constructor(container, source) {
    this.#container = container;
    this.#source = source;
    new ResizeObserver(() => {
      if (Math.floor(container.clientWidth) !== this.#width) this.render();
    }).observe(container);
  }

  render() {
    const width = Math.floor(this.#container.clientWidth);
    if (!width) return;
    this.#width = width;
    const { points, minSpanMs } = this.#source();
    drawChart(this.#container, points, { width, height: width < 480 ? 210 : 290, series: SERIES, minSpanMs });
  }
}
