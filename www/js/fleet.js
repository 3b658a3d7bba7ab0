// The fleet view: counters summed over every isolate (GET /admin/stats?scope=cluster),
// per minute over a window, with the isolates that reported and the rate-limit
// decisions by reason; and the toggle to the isolate view (/admin/stats), one
// click away. Without Upstash the worker answers its one isolate and says so.

import { ApiError } from "./api.js";
import { count, duration, percent, plural, rate } from "./format.js";

const VIEW_KEY = "edgecache.view";
const WINDOW_KEY = "edgecache.fleetMinutes";
const WINDOWS = [5, 15, 60, 360, 1440];

/** The isolate view's tiles that count per isolate: hidden in the fleet view (health, Upstash, breaker and outbox stay). */
const ISOLATE_COUNTERS = ["hit-rate", "rps", "hits", "misses", "stale", "coalesced", "memory", "errors", "limiter"];

/** Limiters in the order shown; any other the worker has follows. */
const LIMITER_ORDER = ["tenant", "key", "client", "auth"];

/** Why a decision was not Redis's plain answer, in words. */
const REASONS = {
  none: "over the limit",
  cache_block: "block cache",
  timeout: "timeout",
  backend_error: "backend error",
  backend_misconfigured: "backend misconfigured",
  circuit_open: "breaker open",
  local_fallback: "decided in an isolate",
  deny_list: "deny list",
};

const $ = (id) => document.getElementById(id);

function windowLabel(minutes) {
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

/**
 * Sets up the view toggle and the fleet's tiles. `api` is the admin API,
 * `h` the element helper, `onChange()` runs when the view or the window changes
 * (the page renders and polls again).
 */
export function setupFleet({ api, h, onChange }) {
  let view = localStorage.getItem(VIEW_KEY) === "isolate" ? "isolate" : "fleet";
  let minutes = Number(localStorage.getItem(WINDOW_KEY) ?? 15);
  if (!WINDOWS.includes(minutes)) minutes = 15;
  let data = null;
  let error = null;
  const chartTitle = $("chart-h").textContent;
  const chartNote = $("chart-note").textContent;

  const fleetButton = $("view-fleet");
  const isolateButton = $("view-isolate");
  const windowSelect = $("fleet-window");
  windowSelect.value = String(minutes);
  const choose = (next) => {
    if (next === view) return;
    view = next;
    localStorage.setItem(VIEW_KEY, view);
    onChange();
  };
  fleetButton.addEventListener("click", () => choose("fleet"));
  isolateButton.addEventListener("click", () => choose("isolate"));
  windowSelect.addEventListener("change", () => {
    minutes = Number(windowSelect.value);
    localStorage.setItem(WINDOW_KEY, String(minutes));
    data = null;
    onChange();
  });

  // The fleet's tiles, built once; render() fills them.
  const tile = (name, title, { wide = false, split = null } = {}) =>
    h(
      "article",
      { class: wide ? "tile wide" : "tile", dataset: { tile: `fleet-${name}` }, "aria-labelledby": `tf-${name}` },
      h("h3", { id: `tf-${name}` }, title),
      split
        ? h("div", { class: "value split" }, split.map(([key, label, hint]) => h("p", { title: hint }, h("small", {}, label), h("span", { dataset: { v: `fleet-${key}` } }, "—"))))
        : h(wide ? "div" : "p", { class: wide ? "limiter" : "value", dataset: { v: `fleet-${name}` } }, "—"),
      split ? h("div", { class: "bar two", "aria-hidden": "true" }, h("span", { dataset: { bar: "fleet-l1" } }), h("span", { dataset: { bar: "fleet-l2" } })) : null,
      wide ? null : h("p", { class: "sub", dataset: { v: `fleet-${name}-sub` } }),
    );
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

  const setText = (name, text) => {
    for (const node of document.querySelectorAll(`[data-v="fleet-${name}"]`)) node.textContent = text;
  };
  const setTile = (name, state) => {
    const node = document.querySelector(`[data-tile="fleet-${name}"]`);
    if (node) node.dataset.state = state ?? "";
  };
  const setBar = (name, ratio) => {
    const bar = document.querySelector(`[data-bar="fleet-${name}"]`);
    if (bar) bar.style.width = `${Math.max(0, Math.min(1, ratio || 0)) * 100}%`;
  };

  /** The seconds the window's series covers (its last minute only so far). */
  const seconds = () => (data ? data.series.reduce((n, p) => n + p.seconds, 0) : 0);

  function renderLimiter(limiter) {
    const box = document.querySelector('[data-v="fleet-limiter"]');
    if (!data.settings.rateLimiting) {
      box.replaceChildren(h("p", { class: "value" }, "Off"), h("p", { class: "sub" }, "Rate limiting is off on this worker (it needs Upstash)."));
      setTile("limiter", "idle");
      return;
    }
    const names = Object.keys(limiter).sort((a, b) => {
      const rank = (n) => (LIMITER_ORDER.includes(n) ? LIMITER_ORDER.indexOf(n) : LIMITER_ORDER.length);
      return rank(a) - rank(b) || a.localeCompare(b);
    });
    const active = names.filter((name) => limiter[name].allowed + limiter[name].refused > 0);
    const rows = active.map((name) => {
      const l = limiter[name];
      const chips = [
        ...Object.entries(l.refusedByReason)
          .filter(([, n]) => n > 0)
          .map(([reason, n]) => h("span", { class: reason === "none" || reason === "cache_block" ? "chip" : "chip bad", dataset: { reason, outcome: "refused" } }, `refused: ${REASONS[reason] ?? reason.replace(/_/g, " ")} ${count(n)}`)),
        ...Object.entries(l.allowedByReason)
          .filter(([reason, n]) => reason !== "none" && n > 0)
          .map(([reason, n]) => h("span", { class: "chip warn", dataset: { reason, outcome: "allowed" } }, `allowed: ${REASONS[reason] ?? reason.replace(/_/g, " ")} ${count(n)}`)),
      ];
      return h(
        "div",
        { class: "fleet-limiter-block" },
        h(
          "div",
          { class: "limiter-row", dataset: { limiter: name } },
          h("span", { class: "limiter-name" }, name, h("small", {}, `${percent(l.refused / (l.allowed + l.refused || 1))} refused`)),
          h("span", { class: "limiter-figure ok-text" }, h("small", {}, "allowed"), h("strong", { dataset: { field: "allowed" } }, count(l.allowed))),
          h("span", { class: `limiter-figure ${l.refused ? "bad-text" : ""}` }, h("small", {}, "refused"), h("strong", { dataset: { field: "refused" } }, count(l.refused))),
        ),
        chips.length ? h("div", { class: "limiter-reasons" }, chips) : null,
      );
    });
    const children = rows.length ? [h("div", { class: "fleet-limiters" }, rows)] : [];
    children.push(
      h(
        "p",
        { class: "sub" },
        active.length
          ? `Decisions of every isolate over the last ${windowLabel(minutes)}, by limiter and reason (“over the limit”: Redis refused; a failure policy or the block cache decided the others).`
          : `No rate-limit decisions in the last ${windowLabel(minutes)}.`,
      ),
    );
    box.replaceChildren(...children);
    const failures = active.some((name) => Object.entries({ ...limiter[name].refusedByReason, ...limiter[name].allowedByReason }).some(([reason, n]) => n > 0 && !["none", "cache_block", "deny_list"].includes(reason)));
    setTile("limiter", failures ? "warn" : "");
  }

  function renderTiles() {
    const s = data.sum;
    const c = s.cache;
    const over = `over ${windowLabel(minutes)}`;
    // Isolates.
    setText("isolates", count(data.isolates));
    setText(
      "isolates-sub",
      data.fleet
        ? `reported in the last ${windowLabel(minutes)} · each flushes at most every ${duration(data.flushIntervalMs)}`
        : "this isolate only: no Upstash, so no fleet",
    );
    setTile("isolates", data.fleet ? (data.isolates > 0 ? "ok" : "idle") : "idle");
    // Hit rate.
    if (c.reads === 0) {
      setText("hit-rate", "—");
      setText("hit-rate-sub", `No cache reads ${over}.`);
      setTile("hit-rate", "idle");
    } else {
      setText("hit-rate", percent(c.hitRate));
      setText("hit-rate-sub", `${count(c.hits + c.staleServed)} of ${plural(c.reads, "read")} ${over}`);
      setTile("hit-rate", "");
    }
    // Requests.
    const span = seconds();
    const classes = s.responses.byStatusClass;
    setText("rps", span > 0 ? rate(s.responses.total / span) : "—");
    setText("rps-sub", `${plural(s.responses.total, "response")} ${over} · ${count(classes["4xx"])} 4xx · ${count(classes["5xx"])} 5xx`);
    setTile("rps", classes["5xx"] > 0 ? "warn" : "");
    // Tiers.
    setText("l1", count(c.l1Hits));
    setText("l2", count(c.l2Hits));
    const tiers = c.l1Hits + c.l2Hits;
    setBar("l1", tiers ? c.l1Hits / tiers : 0);
    setBar("l2", tiers ? c.l2Hits / tiers : 0);
    setText("hits-sub", `${count(c.negativeHits)} of them negative (a cached “absent”)`);
    setText("misses", count(c.misses));
    setText("misses-sub", `loaded from D1${c.loaderRuns ? ` · ${duration(c.loadMs / c.loaderRuns)} a load` : ""}${c.bypasses ? ` · ${count(c.bypasses)} bypassed the cache` : ""}`);
    setText("stale", count(c.staleServed));
    setText("stale-sub", "answered from the grace period while refreshing");
    setText("coalesced", count(c.coalesced));
    setText("coalesced-sub", "waited for another read's load instead of their own");
    // Upstash.
    const u = s.upstash;
    const failed = Object.values(u.errors).reduce((n, v) => n + v, 0);
    setText("upstash-requests", count(u.requests));
    const stats = data.stats;
    const store = data.fleet ? ` · ${count(stats.keyCount)} keys, ${stats.memoryUsed ?? "—"}` : "";
    setText("upstash-requests-sub", `${s.responses.total ? `${(u.requests / s.responses.total).toFixed(2)} a response` : "no responses"} · ${count(failed)} failed${store}`);
    setTile("upstash-requests", failed > 0 ? "warn" : data.fleet ? "ok" : "idle");
    // Errors.
    setText("errors", count(c.backendErrors + c.misconfigured));
    setText("errors-sub", `${count(c.backendErrors)} failed · ${count(c.misconfigured)} refused token · ${count(c.breakerSkips)} skipped by a breaker · ${count(c.fencedRefusals)} fenced writes`);
    setTile("errors", c.misconfigured ? "bad" : c.backendErrors ? "warn" : "");
    renderLimiter(s.limiter);
  }

  return {
    /** True when the fleet view is shown. */
    active: () => view === "fleet",

    /** Fetches the fleet's counters over the window (never throws; a failure is shown). */
    async refresh() {
      try {
        data = await api.get(`/admin/stats?scope=cluster&minutes=${minutes}`);
        error = null;
      } catch (failure) {
        error = failure;
      }
    },

    /** The chart's points and span in the fleet view: one per minute, rates per second. */
    chart() {
      const points = (data?.series ?? []).map((p) => ({
        t: p.atMs + p.seconds * 1000,
        rps: p.requests / p.seconds,
        reads: p.reads / p.seconds,
        hitRate: p.hitRate,
        seconds: p.seconds,
      }));
      return { points, minSpanMs: minutes * 60_000 };
    },

    /** Shows the chosen view: the toggle, the tiles, the chart's title and note, the footer. */
    render() {
      const fleet = view === "fleet";
      fleetButton.setAttribute("aria-pressed", String(fleet));
      isolateButton.setAttribute("aria-pressed", String(!fleet));
      $("fleet-window-label").hidden = !fleet;
      $("fleet-tiles").hidden = !fleet;
      for (const name of ISOLATE_COUNTERS) {
        const node = document.querySelector(`[data-tile="${name}"]`);
        if (node) node.hidden = fleet;
      }
      const note = $("view-note");
      if (!fleet) {
        $("chart-h").textContent = chartTitle;
        $("chart-note").textContent = chartNote;
        note.textContent = "The counters of the isolate that answered each poll (each poll may land on another).";
        return;
      }
      $("chart-h").textContent = "Hit rate and requests, per minute";
      $("chart-note").textContent = data?.fleet === false
        ? "Per minute, of this isolate only (no Upstash)."
        : `Per minute, summed over every isolate (each adds its counts at most every ${duration(data?.flushIntervalMs ?? 10_000)}, so the last minute trails).`;
      if (error) {
        const why = error instanceof ApiError ? `${error.message}${error.status ? ` (HTTP ${error.status})` : ""}` : String(error.message ?? error);
        note.textContent = `The fleet's counters are unavailable: ${why}. ${data ? "Showing the last ones." : "The isolate view still works."}`;
        note.dataset.state = "bad";
      } else {
        note.textContent = data?.fleet === false
          ? data.note[0].toUpperCase() + data.note.slice(1) + "."
          : `Every isolate's counters, summed over the last ${windowLabel(minutes)}.`;
        note.dataset.state = data?.fleet === false ? "warn" : "";
      }
      if (data) {
        renderTiles();
        $("footer-isolate").textContent = data.fleet
          ? `Fleet counters from ${plural(data.isolates, "isolate")}; this answer came from isolate ${data.isolate.id}.`
          : `Counters of isolate ${data.isolate.id} only (no Upstash).`;
      }
    },
  };
}
