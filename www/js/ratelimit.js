// @ts-check
// The rate-limit lookup: what a limiter has left for one identifier
// (GET /admin/ratelimit/{limiter}/{id}), and a reset of it (DELETE). Off,
// and saying so, while the worker has no rate limiting.

import { $ } from "./dom.js";
import { clock, count, duration } from "./format.js";
import { TENANT_ID, busy, clear, fail, show } from "./results.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */
/** @typedef {{ get(path: string): Promise<any>, del(path: string, body?: object): Promise<any> }} Api */

/**
 * What GET /admin/ratelimit/{limiter}/{id} answers.
 * @typedef {{ limiter: string, identifier: string, remaining: number, limit: number, resetMs: number, retryAfterMs: number, slots?: { inUse: number, limit: number } }} LimitAnswer
 */

/** @param {LimitAnswer} answer */
function showLimit(answer) {
  $("rl-answer").hidden = false;
  $("rl-remaining").textContent = count(answer.remaining);
  $("rl-limit").textContent = count(answer.limit);
  $("rl-bar").style.width = `${answer.limit ? (answer.remaining / answer.limit) * 100 : 0}%`;
  const now = Date.now();
  const full = answer.resetMs > now ? `full again at ${clock(answer.resetMs)} (in ${duration(answer.resetMs - now)})` : "full";
  const retry = answer.retryAfterMs > 0 ? ` · refused for ${duration(answer.retryAfterMs)} more` : "";
  const slots = answer.slots ? ` · slots ${answer.slots.inUse} in use of ${answer.slots.limit}` : "";
  $("rl-detail").textContent = `${answer.limiter} ${answer.identifier} · ${full}${retry}${slots}`;
}

/**
 * Sets up the lookup; answers `update(stats)`, which follows the worker's settings after each poll.
 * @param {Api} api
 */
export function setupRateLimit(api) {
  const limiter = $("rl-limiter", HTMLSelectElement);
  const identifier = $("rl-identifier", HTMLInputElement);
  const lookup = $("rl-lookup", HTMLButtonElement);
  const reset = $("rl-reset", HTMLButtonElement);
  const path = () => `/admin/ratelimit/${limiter.value}/${encodeURIComponent(identifier.value.trim())}`;
  function valid() {
    const id = identifier.value.trim();
    if (!id) {
      /** @type {Record<string, string>} */
      const want = { tenant: "Enter a tenant id.", key: "Enter a key id." };
      show("ratelimit-result", "error", want[limiter.value] ?? "Enter a client IP address.");
      identifier.focus();
      return false;
    }
    if (["tenant", "llm"].includes(limiter.value) && !TENANT_ID.test(id)) {
      show("ratelimit-result", "error", "A tenant id is 1–64 characters of A–Z, a–z, 0–9, _ and -.");
      return false;
    }
    return true;
  }
  $("ratelimit-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!valid()) return;
    clear("ratelimit-result");
    await busy(lookup, "Looking up…", async () => {
      try {
        showLimit(await api.get(path()));
        show("ratelimit-result", "info", `Looked up at ${clock(Date.now())}.`);
      } catch (error) {
        $("rl-answer").hidden = true;
        fail("ratelimit-result", "Lookup failed", error);
      }
    });
  });
  reset.addEventListener("click", async () => {
    if (!valid()) return;
    clear("ratelimit-result");
    await busy(reset, "Resetting…", async () => {
      try {
        const answer = await api.del(path());
        showLimit(await api.get(path()));
        show("ratelimit-result", "ok", `Reset ${answer.limiter} ${answer.identifier} at ${clock(Date.now())}.`);
      } catch (error) {
        fail("ratelimit-result", "Reset failed", error);
      }
    });
  });

  /** @type {boolean | null} */
  let on = null;
  return {
    /** @param {IsolateStats} stats */
    update(stats) {
      if (stats.settings.rateLimiting === on) return;
      on = stats.settings.rateLimiting;
      for (const control of [limiter, identifier, lookup, reset]) control.disabled = !on;
      if (!on) show("ratelimit-result", "info", "Rate limiting is off on this worker (it needs Upstash): nothing to look up.");
      else if ($("ratelimit-result").dataset.kind === "info") clear("ratelimit-result");
    },
  };
}
