// @ts-check
// The operation forms, each showing its own result or error (with the
// request id of a 5xx) right under it: the cache's (cacheops.js), warming
// (warm.js), the rate-limit lookup (ratelimit.js), tenant keys (keys.js),
// and overrides and the deny list (limits.js).

import { $ } from "./dom.js";
import { setupCacheOps } from "./cacheops.js";
import { setupKeys } from "./keys.js";
import { setupLimits } from "./limits.js";
import { setupRateLimit } from "./ratelimit.js";
import { setupWarm } from "./warm.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */

/**
 * Sets up every form; answers `update(stats)`, for after each poll.
 * @param {object} options
 * @param {ReturnType<typeof import("./api.js").adminApi>} options.api the admin API
 * @param {() => IsolateStats | null} options.getStats the last stats
 */
export function setupForms({ api, getStats }) {
  setupCacheOps({ api, getStats });
  setupWarm(api);
  const rateLimit = setupRateLimit(api);
  setupKeys({ api, getStats });
  setupLimits(api).refresh();
  return {
    /**
     * Forms that depend on the worker's settings follow them.
     * @param {IsolateStats | null} stats
     */
    update(stats) {
      if (!stats) return;
      rateLimit.update(stats);
      $("inv-keys", HTMLTextAreaElement).placeholder = `${stats.settings.keyPrefix}:llm:policy:acme`;
    },
  };
}
