// @ts-check
// The fleet view: counters summed over every isolate (GET /admin/stats?scope=cluster),
// per minute over a window, with the isolates that reported and the rate-limit
// decisions by reason; and the toggle to the isolate view (/admin/stats), one
// click away. Without Upstash the worker answers its one isolate and says so.
// The tiles both views show are drawn by tiles.js.

import { ApiError } from "./api.js";
import { $, h, setText, setTile } from "./dom.js";
import { count, duration, percent, plural, rate } from "./format.js";
import { LIMITER_ORDER, errorsTile, hitRateTile, limiterOff, limiterRow, reasonText, tierTiles } from "./tiles.js";

/** @typedef {import("./types.js").ClusterStats} ClusterStats */
/** @typedef {import("./types.js").FleetLimiter} FleetLimiter */
/** @typedef {import("./types.js").RatePoint} RatePoint */
/** @typedef {{ get(path: string): Promise<any> }} Api */

const VIEW_KEY = "edgecache.view";
const WINDOW_KEY = "edgecache.fleetMinutes";
const WINDOWS = [5, 15, 60, 360, 1440];

/** The isolate view's tiles that count per isolate: hidden in the fleet view (health, Upstash, breaker and outbox stay). */
const ISOLATE_COUNTERS = ["hit-rate", "rps", "hits", "misses", "stale", "coalesced", "memory", "errors", "limiter"];

/** The window last chosen (15 min at first). */
function storedWindow() {
  const minutes = Number(localStorage.getItem(WINDOW_KEY) ?? 15);
  return WINDOWS.includes(minutes) ? minutes : 15;
}

/** @param {number} minutes */
const windowLabel = (minutes) => (minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`);

/**
 * A fleet tile, as the isolate view's are in index.html: `data-v="fleet-NAME"` (and -sub) to fill.
 * @param {string} name
 * @param {string} title
 * @param {{ wide?: boolean, split?: [string, string, string][] | null }} [options]
 */
function tile(name, title, { wide = false, split = null } = {}) {
  return h(
    "article",
    { class: wide ? "tile wide" : "tile", dataset: { tile: `fleet-${name}` }, "aria-labelledby": `tf-${name}` },
    h("h3", { id: `tf-${name}` }, title),
    split
      ? h("div", { class: "value split" }, split.map(([key, label, hint]) => h("p", { title: hint }, h("small", {}, label), h("span", { dataset: { v: `fleet-${key}` } }, "—"))))
      : h(wide ? "div" : "p", { class: wide ? "limiter" : "value", dataset: { v: `fleet-${name}` } }, "—"),
    split ? h("div", { class: "bar two", "aria-hidden": "true" }, h("span", { dataset: { bar: "fleet-l1" } }), h("span", { dataset: { bar: "fleet-l2" } })) : null,
    wide ? null : h("p", { class: "sub", dataset: { v: `fleet-${name}-sub` } }),
  );
}

/**
 * A limiter's decisions by reason, as chips: refusals, then what a failure policy allowed.
 * @param {FleetLimiter} l
 */
function reasonChips(l) {
  return [
    ...Object.entries(l.refusedByReason)
      .filter(([, n]) => n > 0)
      .map(([reason, n]) => h("span", { class: reason === "none" || reason === "cache_block" ? "chip" : "chip bad", dataset: { reason, outcome: "refused" } }, `refused: ${reasonText(reason, "an isolate")} ${count(n)}`)),
    ...Object.entries(l.allowedByReason)
      .filter(([reason, n]) => reason !== "none" && n > 0)
      .map(([reason, n]) => h("span", { class: "chip warn", dataset: { reason, outcome: "allowed" } }, `allowed: ${reasonText(reason, "an isolate")} ${count(n)}`)),
  ];
}

/** The view toggle, the window, and the fleet's tiles, chart and notes. */
export class FleetView {
  #api;
  #view = localStorage.getItem(VIEW_KEY) === "isolate" ? "isolate" : "fleet";
  #minutes = storedWindow();
  /** @type {ClusterStats | null} */
  #data = null;
  /** @type {any} */
  #error = null;
  #chartTitle = $("chart-h").textContent;
  #chartNote = $("chart-note").textContent;

  /**
   * @param {object} options
   * @param {Api} options.api the admin API
   * @param {() => void} options.onChange runs when the view or the window changes (the page renders and polls again)
   */
  constructor({ api, onChange }) {
    this.#api = api;
    /** @param {"fleet" | "isolate"} next */
    const choose = (next) => {
      if (next === this.#view) return;
      this.#view = next;
      localStorage.setItem(VIEW_KEY, next);
      onChange();
    };
    $("view-fleet").addEventListener("click", () => choose("fleet"));
    $("view-isolate").addEventListener("click", () => choose("isolate"));
    const windowSelect = $("fleet-window", HTMLSelectElement);
    windowSelect.value = String(this.#minutes);
    windowSelect.addEventListener("change", () => {
      this.#minutes = Number(windowSelect.value);
      localStorage.setItem(WINDOW_KEY, String(this.#minutes));
      this.#data = null;
      onChange();
    });
    $("fleet-tiles").replaceChildren(
      tile("isolates", "Isolates reporting"),
      tile("hit-rate", "Hit rate"),
      tile("rps", "Requests/s"),
      tile("hits", "Hits by tier", { split: [["l1", "L1", "L1: each isolate's memory"], ["l2", "L2", "L2: Upstash, shared by every isolate"]] }),
      tile("misses", "Misses"),
      tile("stale", "Stale served"),
      tile("coalesced", "Coalesced"),
      tile("upstash-requests", "Upstash requests"),
      tile("errors", "Backend errors"),
      tile("limiter", "Rate-limit decisions", { wide: true }),
    );
  }

  /** True when the fleet view is shown. */
  active() {
    return this.#view === "fleet";
  }

  /** Fetches the fleet's counters over the window (never throws; a failure is shown). */
  async refresh() {
    try {
      this.#data = await this.#api.get(`/admin/stats?scope=cluster&minutes=${this.#minutes}`);
      this.#error = null;
    } catch (failure) {
      this.#error = failure;
    }
  }

  /**
   * The chart's points and span in the fleet view: one per minute, rates per second.
   * @returns {{ points: RatePoint[], minSpanMs: number }}
   */
  chart() {
    const points = (this.#data?.series ?? []).map((p) => ({
      t: p.atMs + p.seconds * 1000,
      rps: p.requests / p.seconds,
      reads: p.reads / p.seconds,
      hitRate: p.hitRate,
      seconds: p.seconds,
    }));
    return { points, minSpanMs: this.#minutes * 60_000 };
  }

  /** Shows the chosen view: the toggle, the tiles, the chart's title and note, the footer. */
  render() {
    const fleet = this.active();
    const data = this.#data;
    $("view-fleet").setAttribute("aria-pressed", String(fleet));
    $("view-isolate").setAttribute("aria-pressed", String(!fleet));
    $("fleet-window-label").hidden = !fleet;
    $("fleet-tiles").hidden = !fleet;
    for (const name of ISOLATE_COUNTERS) {
      const node = document.querySelector(`[data-tile="${name}"]`);
      if (node instanceof HTMLElement) node.hidden = fleet;
    }
    const note = $("view-note");
    if (!fleet) {
      $("chart-h").textContent = this.#chartTitle;
      $("chart-note").textContent = this.#chartNote;
      note.textContent = "The counters of the isolate that answered each poll (each poll may land on another).";
      return;
    }
    $("chart-h").textContent = "Hit rate and requests, per minute";
    $("chart-note").textContent =
      data?.fleet === false
        ? "Per minute, of this isolate only (no Upstash)."
        : `Per minute, summed over every isolate (each adds its counts at most every ${duration(data?.flushIntervalMs ?? 10_000)}, so the last minute trails).`;
    if (this.#error) {
      const error = this.#error;
      const why = error instanceof ApiError ? `${error.message}${error.status ? ` (HTTP ${error.status})` : ""}` : String(error.message ?? error);
      note.textContent = `The fleet's counters are unavailable: ${why}. ${data ? "Showing the last ones." : "The isolate view still works."}`;
      note.dataset.state = "bad";
    } else {
      note.textContent =
        data?.fleet === false ? `${(data.note ?? "")[0].toUpperCase()}${(data.note ?? "").slice(1)}.` : `Every isolate's counters, summed over the last ${windowLabel(this.#minutes)}.`;
      note.dataset.state = data?.fleet === false ? "warn" : "";
    }
    if (!data) return;
    this.#tiles(data);
    $("footer-isolate").textContent = data.fleet
      ? `Fleet counters from ${plural(data.isolates, "isolate")}; this answer came from isolate ${data.isolate.id}.`
      : `Counters of isolate ${data.isolate.id} only (no Upstash).`;
  }

  /** @param {ClusterStats} data */
  #tiles(data) {
    const { cache: c, responses, upstash: u } = data.sum;
    const over = `over ${windowLabel(this.#minutes)}`;
    setText("fleet-isolates", count(data.isolates));
    setText(
      "fleet-isolates-sub",
      data.fleet ? `reported in the last ${windowLabel(this.#minutes)} · each flushes at most every ${duration(data.flushIntervalMs)}` : "this isolate only: no Upstash, so no fleet",
    );
    setTile("fleet-isolates", data.fleet && data.isolates > 0 ? "ok" : "idle");
    hitRateTile("fleet-", { reads: c.reads, hits: c.hits + c.staleServed, hitRate: c.hitRate }, { empty: `No cache reads ${over}.`, detail: ` ${over}` });
    // The seconds the window's series covers (its last minute only so far).
    const span = data.series.reduce((n, p) => n + p.seconds, 0);
    const classes = responses.byStatusClass;
    setText("fleet-rps", span > 0 ? rate(responses.total / span) : "—");
    setText("fleet-rps-sub", `${plural(responses.total, "response")} ${over} · ${count(classes["4xx"])} 4xx · ${count(classes["5xx"])} 5xx`);
    setTile("fleet-rps", classes["5xx"] > 0 ? "warn" : "");
    tierTiles("fleet-", c);
    setText("fleet-misses", count(c.misses));
    setText("fleet-misses-sub", `loaded from D1${c.loaderRuns ? ` · ${duration(c.loadMs / c.loaderRuns)} a load` : ""}${c.bypasses ? ` · ${count(c.bypasses)} bypassed the cache` : ""}`);
    const failed = Object.values(u.errors).reduce((n, v) => n + v, 0);
    const store = data.fleet ? ` · ${count(data.stats.keyCount)} keys, ${data.stats.memoryUsed ?? "—"}` : "";
    setText("fleet-upstash-requests", count(u.requests));
    setText("fleet-upstash-requests-sub", `${responses.total ? `${(u.requests / responses.total).toFixed(2)} a response` : "no responses"} · ${count(failed)} failed${store}`);
    setTile("fleet-upstash-requests", failed > 0 ? "warn" : data.fleet ? "ok" : "idle");
    errorsTile("fleet-", c, { breaker: "a breaker", state: c.misconfigured ? "bad" : c.backendErrors ? "warn" : "" });
    this.#limits(data);
  }

  /** @param {ClusterStats} data */
  #limits(data) {
    const box = document.querySelector('[data-v="fleet-limiter"]');
    if (!box) return;
    if (!data.settings.rateLimiting) return limiterOff("fleet-", box);
    const limiter = data.sum.limiter;
    /** @param {string} n */
    const rank = (n) => (LIMITER_ORDER.includes(n) ? LIMITER_ORDER.indexOf(n) : LIMITER_ORDER.length);
    const names = Object.keys(limiter).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    const active = names.filter((name) => limiter[name].allowed + limiter[name].refused > 0);
    const rows = active.map((name) => {
      const l = limiter[name];
      const chips = reasonChips(l);
      return h(
        "div",
        { class: "fleet-limiter-block" },
        limiterRow(name, `${percent(l.refused / (l.allowed + l.refused || 1))} refused`, l.allowed, l.refused),
        chips.length ? h("div", { class: "limiter-reasons" }, chips) : null,
      );
    });
    const window = windowLabel(this.#minutes);
    box.replaceChildren(
      ...(rows.length ? [h("div", { class: "fleet-limiters" }, rows)] : []),
      h(
        "p",
        { class: "sub" },
        active.length
          ? `Decisions of every isolate over the last ${window}, by limiter and reason (“over the limit”: Redis refused; a failure policy or the block cache decided the others).`
          : `No rate-limit decisions in the last ${window}.`,
      ),
    );
    const failures = active.some((name) =>
      Object.entries({ ...limiter[name].refusedByReason, ...limiter[name].allowedByReason }).some(([reason, n]) => n > 0 && !["none", "cache_block", "deny_list"].includes(reason)),
    );
    setTile("fleet-limiter", failures ? "warn" : "");
  }
}
