// @ts-check
// The live feed's connection to GET /admin/events. A browser EventSource
// cannot send the Authorization header, so this reads the stream with
// fetch(), turns it into events with `events(response)` (an async generator
// over a TextDecoderStream), and reconnects when the stream ends (the worker
// ends each one after ~55 s) or fails, with backoff.

import { ApiError } from "./api.js";

const MAX_BACKOFF_MS = 30_000;
/** The worker sends a keep-alive comment every 15 s: silence this long means a dead connection. */
const SILENCE_MS = 40_000;
/** How long to wait before asking again when the feed is not configured. */
const OFF_RETRY_MS = 60_000;

/**
 * One Server-Sent Event: `event` is "message" when the stream named none,
 * "comment" for a comment line (a keep-alive); `retry` the reconnection
 * delay it asked for, or null.
 * @typedef {{ event: string, data: string, retry: number | null }} SseEvent
 */

/**
 * The events of a `text/event-stream` response, as they arrive:
 * `for await (const event of events(response)) …`. Ends with the stream
 * (an event it did not finish is dropped); throws if it fails (or its
 * fetch is aborted).
 * @param {Response} response
 * @returns {AsyncGenerator<SseEvent, void, undefined>}
 */
export async function* events(response) {
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "";
  /** @type {string[]} */
  let data = [];
  /** @type {number | null} */
  let retry = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (!done) buffer += value;
      let newline;
      while ((newline = buffer.search(/\r\n|\n|\r/)) !== -1) {
        // A "\r" that ends the text so far may be the first half of a "\r\n": wait for the rest.
        if (!done && newline === buffer.length - 1 && buffer[newline] === "\r") break;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        if (line === "") {
          if (data.length || event || retry !== null) yield { event: event || "message", data: data.join("\n"), retry };
          [event, data, retry] = ["", [], null];
        } else if (line.startsWith(":")) {
          yield { event: "comment", data: line.slice(1).trim(), retry: null };
        } else {
          const colon = line.indexOf(":");
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
          else if (field === "retry" && /^\d+$/.test(value)) retry = Number(value);
        }
      }
      if (done) return;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

/**
 * @param {string} data
 * @returns {any} the JSON, or null when it is not JSON
 */
function json(data) {
  try {
    return JSON.parse(data);
  } catch {
    return null;
  }
}

/**
 * The feed's state: connecting | live | reconnecting | off | stopped.
 * @typedef {{ state: string, message?: string, retryAt?: number, channel?: string | null }} FeedState
 */

/**
 * The feed's connection. `onState(state)` on each change of state,
 * `onEvent(invalidation)` for each invalidation, `onAuthRefused(error)`
 * when the token is refused (the feed stops).
 */
export class LiveFeed {
  #getToken;
  #onState;
  #onEvent;
  #onAuthRefused;
  #failures = 0;
  #retryMs = 2000;
  #stopped = true;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer = undefined;
  /** @type {AbortController | null} */
  #controller = null;

  /**
   * @param {object} options
   * @param {() => string | null} options.getToken
   * @param {(state: FeedState) => void} options.onState
   * @param {(invalidation: any) => void} options.onEvent
   * @param {(error: ApiError) => void} options.onAuthRefused
   */
  constructor({ getToken, onState, onEvent, onAuthRefused }) {
    this.#getToken = getToken;
    this.#onState = onState;
    this.#onEvent = onEvent;
    this.#onAuthRefused = onAuthRefused;
  }

  start() {
    if (!this.#stopped) return;
    this.#stopped = false;
    void this.#connect();
  }

  stop() {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#controller?.abort();
    this.#onState({ state: "stopped" });
  }

  /** Reconnects now (the "reconnect" button), skipping any pending backoff. */
  reconnectNow() {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#controller?.abort();
    this.#failures = 0;
    void this.#connect();
  }

  /**
   * @param {number} delayMs
   * @param {string} state
   * @param {string} message
   */
  #schedule(delayMs, state, message) {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#onState({ state, message, retryAt: Date.now() + delayMs });
    this.#timer = setTimeout(() => this.#connect(), delayMs);
  }

  /**
   * After a failure: 1 s, 2 s, 4 s … up to 30 s, with jitter.
   * @param {string} message
   */
  #backoff(message) {
    this.#failures += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.#failures - 1));
    this.#schedule(Math.round(base * (0.8 + Math.random() * 0.4)), "reconnecting", message);
  }

  async #connect() {
    if (this.#stopped) return;
    const token = this.#getToken();
    if (!token) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#onState({ state: "connecting" });
    let response;
    try {
      response = await fetch("/admin/events", {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
        cache: "no-store",
        credentials: "omit",
        signal: controller.signal,
      });
    } catch {
      if (controller.signal.aborted || this.#stopped) return;
      this.#backoff("the worker did not answer");
      return;
    }
    if (!response.ok) return this.#refused(response);

    let endReason = null;
    let watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      for await (const { event, data, retry } of events(response)) {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
        if (retry !== null) this.#retryMs = retry;
        if (event === "ready") {
          this.#failures = 0;
          this.#onState({ state: "live", channel: json(data)?.channel ?? null });
        } else if (event === "invalidate") {
          // A frame that is not JSON: nothing to show.
          const invalidation = json(data);
          if (invalidation !== null) this.#onEvent(invalidation);
        } else if (event === "end") {
          endReason = json(data)?.reason ?? "ended";
        }
      }
    } catch {
      // Aborted (stop, reconnect, silence) or the connection dropped.
    } finally {
      clearTimeout(watchdog);
    }
    if (this.#stopped || (controller.signal.aborted && this.#controller !== controller)) return;
    if (endReason === "time limit") {
      // The worker's own limit on one stream: reconnect as it asked (retry:).
      this.#schedule(this.#retryMs, "reconnecting", "the stream reached its time limit");
    } else {
      this.#backoff(endReason ? `the stream ended: ${endReason}` : controller.signal.aborted ? "no data for 40 s" : "the connection closed");
    }
  }

  /**
   * An answer other than 2xx: a refused token stops the feed, 404 (not
   * configured) looks again in a minute, anything else backs off.
   * @param {Response} response
   */
  async #refused(response) {
    const body = (await response.json().catch(() => null)) ?? {};
    const error = new ApiError(response.status, body.error || `HTTP ${response.status}`, body.requestId ?? null, typeof body.code === "string" ? body.code : null);
    if (error.authRefused) {
      this.#stopped = true;
      this.#onAuthRefused(error);
      return;
    }
    if (response.status === 404) {
      // Not configured (CACHE_EVENTS_CHANNEL unset, or no Upstash): say so, look again later.
      this.#schedule(OFF_RETRY_MS, "off", error.message);
      return;
    }
    const id = error.requestId ? `, request ${error.requestId}` : "";
    this.#backoff(`${error.message} (HTTP ${error.status}${id})`);
  }
}
