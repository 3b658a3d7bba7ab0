// @ts-check
// The live invalidation feed: each invalidation the worker publishes, newest
// first (at most 200), and the state of the connection (events.js) with its
// reconnect countdown, the reconnect button and the clear button.

import { $, h } from "./dom.js";
import { LiveFeed } from "./events.js";
import { clock, count, iso } from "./format.js";

/** @typedef {import("./events.js").FeedState} FeedState */
/** @typedef {import("./signin.js").Session} Session */

const MAX_FEED = 200;
/** Items of one kind shown before "+N more". */
const MAX_ITEMS = 8;

/**
 * An invalidation as published on the events channel.
 * @typedef {{ atMs?: number, tags?: string[], keys?: string[], namespaces?: string[] }} Invalidation
 */

/**
 * One invalidation as a list item: its time, then its tags, keys and cleared namespaces.
 * @param {Invalidation} event
 */
function item(event) {
  const at = typeof event.atMs === "number" ? event.atMs : Date.now();
  /** @type {[string, unknown][]} */
  const groups = [
    ["tags", event.tags],
    ["keys", event.keys],
    ["cleared", event.namespaces],
  ];
  const lines = groups
    .filter(([, list]) => Array.isArray(list) && list.length)
    .map(([kind, list]) => {
      const items = /** @type {string[]} */ (list);
      const shown = items.slice(0, MAX_ITEMS).map((name) => h("code", {}, name));
      const more = items.length > MAX_ITEMS ? h("span", { class: "muted" }, ` +${count(items.length - MAX_ITEMS)} more`) : null;
      return h("div", { class: "event-line" }, h("span", { class: `kind kind-${kind}` }, kind), h("span", { class: "items" }, shown, more));
    });
  if (!lines.length) lines.push(h("div", { class: "event-line muted" }, "everything (no keys, tags or namespaces named)"));
  return h("li", { class: "event" }, h("time", { datetime: iso(at), title: iso(at) }, clock(at)), h("div", { class: "event-body" }, lines));
}

const LABELS = /** @type {Record<string, string>} */ ({ connecting: "connecting", live: "live", reconnecting: "reconnecting", off: "off", stopped: "stopped" });

/** The feed's card: the list and the connection's state. */
class FeedPanel {
  #list = $("feed");
  #empty = $("feed-empty");
  #pill = $("feed-state");
  #detail = $("feed-detail");
  /** @type {ReturnType<typeof setInterval> | undefined} */
  #countdown = undefined;

  /** @param {Invalidation} event */
  add(event) {
    this.#list.prepend(item(event));
    while (this.#list.children.length > MAX_FEED) this.#list.lastElementChild?.remove();
    this.#empty.hidden = true;
  }

  clear() {
    this.#list.replaceChildren();
    this.#empty.hidden = false;
  }

  /** @param {FeedState} feed */
  show({ state, message, retryAt = Date.now(), channel }) {
    clearInterval(this.#countdown);
    this.#pill.dataset.state = state;
    this.#pill.textContent = LABELS[state] ?? state;
    const detail = this.#detail;
    if (state === "live") detail.textContent = `Subscribed to ${channel ?? "the events channel"}.`;
    else if (state === "connecting") detail.textContent = "Connecting to /admin/events…";
    else if (state === "off") detail.textContent = `Live events are off: ${message}.`;
    else if (state === "reconnecting") {
      const why = message ? `${message[0].toUpperCase()}${message.slice(1)}. ` : "";
      const tick = () => {
        detail.textContent = `${why}Reconnecting in ${Math.ceil(Math.max(0, retryAt - Date.now()) / 1000)} s.`;
      };
      tick();
      this.#countdown = setInterval(tick, 1000);
    } else detail.textContent = "";
  }
}

/**
 * Connects the feed with the session's token and shows what comes; a refused token signs out.
 * @param {Session} session
 */
export function startFeed(session) {
  const panel = new FeedPanel();
  const feed = new LiveFeed({
    getToken: () => session.token,
    onState: (state) => panel.show(state),
    onEvent: (event) => panel.add(event),
    onAuthRefused: (error) => session.refused(error),
  });
  $("feed-reconnect").addEventListener("click", () => feed.reconnectNow());
  $("feed-clear").addEventListener("click", () => panel.clear());
  feed.start();
}
