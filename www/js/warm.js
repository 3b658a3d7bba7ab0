// @ts-check
// Warming tenants (POST /admin/cache/warm): listed ones, 500 a request, or
// all of them page by page following `next`, with a progress bar, a stop
// button, and a resume from where a stopped or failed run left off.

import { $ } from "./dom.js";
import { clock, count, plural } from "./format.js";
import { TENANT_ID, clear, fail, items, show } from "./results.js";

/** @typedef {{ post(path: string, body?: object): Promise<any> }} Api */
/** @typedef {{ tenants: number, warmed: number, skipped: number, failed: number, missing: number }} Totals */

/** Tenants a request of a listed run warms. */
const LISTED_PER_REQUEST = 500;

/** @param {Totals} t */
const totalsText = (t) => `${count(t.warmed)} warmed · ${count(t.skipped)} skipped · ${count(t.failed)} failed · ${count(t.missing)} missing`;

/**
 * Adds an answer's counts to the totals.
 * @param {Totals} totals
 * @param {Partial<Totals>} answer
 */
function add(totals, answer) {
  for (const k of /** @type {(keyof Totals)[]} */ (["tenants", "warmed", "skipped", "failed", "missing"])) totals[k] += answer[k] ?? 0;
}

/** The progress bar and its line. */
class Progress {
  #bar = $("warm-bar");
  #text = $("warm-progress-text");

  /**
   * Shows `text`, and the bar at `ratio` (0 to 1), or moving (null: the total is unknown).
   * @param {number | null} ratio
   * @param {string} text
   */
  set(ratio, text) {
    $("warm-progress").hidden = false;
    const bar = this.#bar;
    const fill = /** @type {HTMLElement} */ (bar.firstElementChild);
    if (ratio === null) {
      bar.dataset.indeterminate = "true";
      bar.removeAttribute("aria-valuenow");
      bar.removeAttribute("aria-valuemax");
      fill.style.width = "";
    } else {
      delete bar.dataset.indeterminate;
      bar.setAttribute("aria-valuemax", "100");
      bar.setAttribute("aria-valuenow", String(Math.round(ratio * 100)));
      fill.style.width = `${ratio * 100}%`;
    }
    bar.setAttribute("aria-valuetext", text);
    this.#text.textContent = text;
  }

  /** @param {boolean} failed shows the bar as stopped by a failure */
  failed(failed) {
    if (failed) {
      delete this.#bar.dataset.indeterminate;
      this.#bar.dataset.failed = "true";
    } else delete this.#bar.dataset.failed;
  }
}

/** @param {Api} api */
export function setupWarm(api) {
  const progress = new Progress();
  const start = $("warm-start", HTMLButtonElement);
  const stop = $("warm-stop", HTMLButtonElement);
  let stopping = false;
  /** Where an all-tenants run that stopped resumes: after this tenant id. */
  let resumeAfter = /** @type {string | null} */ (null);
  const mode = () => /** @type {HTMLInputElement} */ (document.querySelector('input[name="warm-mode"]:checked')).value;
  for (const radio of document.querySelectorAll('input[name="warm-mode"]')) {
    radio.addEventListener("change", () => {
      $("warm-list-fields").hidden = mode() !== "list";
      $("warm-all-fields").hidden = mode() !== "all";
      resumeAfter = null;
      start.textContent = "Warm";
    });
  }

  /** @param {Totals} totals */
  async function listed(totals) {
    const tenants = items($("warm-tenants", HTMLTextAreaElement).value, { commas: true });
    const bad = tenants.filter((t) => !TENANT_ID.test(t));
    if (!tenants.length) return show("warm-result", "error", "List at least one tenant id.");
    if (bad.length) return show("warm-result", "error", `Not tenant ids ([A-Za-z0-9_-], 1–64 characters): ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? "…" : ""}`);
    start.disabled = true;
    stop.hidden = false;
    try {
      for (let i = 0; i < tenants.length && !stopping; i += LISTED_PER_REQUEST) {
        progress.set(i / tenants.length, `${count(i)} of ${plural(tenants.length, "tenant")}…`);
        add(totals, await api.post("/admin/cache/warm", { tenants: tenants.slice(i, i + LISTED_PER_REQUEST) }));
      }
      progress.set(totals.tenants / tenants.length, `${count(totals.tenants)} of ${plural(tenants.length, "tenant")}: ${totalsText(totals)}`);
      show("warm-result", totals.failed ? "error" : "ok", `${stopping ? "Stopped" : "Done"} at ${clock(Date.now())}: ${totalsText(totals)}.`);
    } catch (error) {
      fail("warm-result", `Stopped after ${plural(totals.tenants, "tenant")}`, error);
    } finally {
      start.disabled = false;
      stop.hidden = true;
    }
  }

  /**
   * All tenants: page through them, following `next` until it is null.
   * @param {Totals} totals
   */
  async function all(totals) {
    const limit = Number($("warm-limit", HTMLInputElement).value);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) return show("warm-result", "error", "Tenants per request must be a whole number from 1 to 500.");
    let after = resumeAfter;
    let page = 0;
    start.disabled = true;
    stop.hidden = false;
    progress.set(null, after ? `Resuming after ${after}…` : "Starting…");
    try {
      for (;;) {
        const answer = await api.post("/admin/cache/warm", after ? { all: true, limit, after } : { all: true, limit });
        page += 1;
        add(totals, answer);
        after = answer.next;
        resumeAfter = after;
        if (!after) break;
        // The API does not say how many tenants there are, so the bar cannot be a fraction: it moves, with counts.
        progress.set(null, `Page ${page}: ${plural(totals.tenants, "tenant")} so far · ${totalsText(totals)} · next after ${after}`);
        if (stopping) break;
      }
      if (after) {
        progress.set(null, `Stopped after page ${page}: ${plural(totals.tenants, "tenant")} · ${totalsText(totals)}`);
        show("warm-result", "info", `Stopped. Warm again to resume after ${after}.`);
        start.textContent = "Resume";
      } else {
        progress.set(1, `Done: ${plural(totals.tenants, "tenant")} in ${plural(page, "page")} · ${totalsText(totals)}`);
        show("warm-result", totals.failed ? "error" : "ok", `Warmed every tenant at ${clock(Date.now())}: ${totalsText(totals)}.`);
        start.textContent = "Warm";
        resumeAfter = null;
      }
    } catch (error) {
      progress.set(null, `Stopped at page ${page + 1}: ${plural(totals.tenants, "tenant")} done · ${totalsText(totals)}`);
      progress.failed(true);
      fail("warm-result", after ? `Stopped (warm again to resume after ${after})` : "Not warmed", error);
      if (after) start.textContent = "Resume";
    } finally {
      start.disabled = false;
      stop.hidden = true;
    }
  }

  $("warm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    clear("warm-result");
    progress.failed(false);
    stopping = false;
    const totals = { tenants: 0, warmed: 0, skipped: 0, failed: 0, missing: 0 };
    await (mode() === "list" ? listed(totals) : all(totals));
  });
  stop.addEventListener("click", () => {
    stopping = true;
    stop.hidden = true;
  });
}
