// The live feed's connection to GET /admin/events. A browser EventSource
// cannot send the Authorization header, so this reads the stream with
// fetch() and parses Server-Sent Events itself, and reconnects when the
// stream ends (the worker ends each one after ~55 s) or fails, with backoff.

import { ApiError } from "./api.js";

const MAX_BACKOFF_MS = 30_000;
/** The worker sends a keep-alive comment every 15 s: silence this long means a dead connection. */
const SILENCE_MS = 40_000;
/** How long to wait before asking again when the feed is not configured. */
const OFF_RETRY_MS = 60_000;

/** Splits a stream of SSE text into events: `{event, data, retry}`. */
export class SseParser {
  constructor(onEvent) {
    this.onEvent = onEvent;
    this.buffer = "";
    this.reset();
  }

  reset() {
    this.event = "";
    this.data = [];
    this.retry = null;
  }

  push(text) {
    this.buffer += text;
    let newline;
    while ((newline = this.buffer.search(/\r\n|\n|\r/)) !== -1) {
      const line = this.buffer.slice(0, newline);
      const skip = this.buffer.startsWith("\r\n", newline) ? 2 : 1;
      this.buffer = this.buffer.slice(newline + skip);
      this.line(line);
    }
  }

  line(line) {
    if (line === "") {
      if (this.data.length || this.event || this.retry !== null) {
        this.onEvent({ event: this.event || "message", data: this.data.join("\n"), retry: this.retry });
      }
      this.reset();
      return;
    }
    if (line.startsWith(":")) {
      this.onEvent({ event: "comment", data: line.slice(1).trim(), retry: null });
      return;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "retry" && /^\d+$/.test(value)) this.retry = Number(value);
  }
}

/**
 * The feed's connection. `onState({state, message?, retryAt?, channel?})`:
 * state is connecting | live | reconnecting | off | stopped.
 * `onEvent(invalidation)` for each invalidation; `onAuthRefused(error)`
 * when the token is refused.
 */
export class LiveFeed {
  constructor({ getToken, onState, onEvent, onAuthRefused }) {
    this.getToken = getToken;
    this.onState = onState;
    this.onEvent = onEvent;
    this.onAuthRefused = onAuthRefused;
    this.failures = 0;
    this.retryMs = 2000;
    this.stopped = true;
    this.timer = null;
    this.controller = null;
  }

  start() {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.controller?.abort();
    this.onState({ state: "stopped" });
  }

  /** Reconnects now (the "reconnect" button), skipping any pending backoff. */
  reconnectNow() {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.controller?.abort();
    this.failures = 0;
    this.connect();
  }

  schedule(delayMs, state, message) {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.onState({ state, message, retryAt: Date.now() + delayMs });
    this.timer = setTimeout(() => this.connect(), delayMs);
  }

  /** After a failure: 1 s, 2 s, 4 s … up to 30 s, with jitter. */
  backoff(message) {
    this.failures += 1;
    const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1));
    this.schedule(Math.round(base * (0.8 + Math.random() * 0.4)), "reconnecting", message);
  }

  async connect() {
    if (this.stopped) return;
    const token = this.getToken();
    if (!token) return;
    const controller = new AbortController();
    this.controller = controller;
    this.onState({ state: "connecting" });
    let response;
    try {
      response = await fetch("/admin/events", {
        headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
        cache: "no-store",
        credentials: "omit",
        signal: controller.signal,
      });
    } catch {
      if (controller.signal.aborted || this.stopped) return;
      this.backoff("the worker did not answer");
      return;
    }
    if (!response.ok) {
      let body = {};
      try {
        body = await response.json();
      } catch {
        body = {};
      }
      const error = new ApiError(response.status, body.error || `HTTP ${response.status}`, body.requestId ?? null, typeof body.code === "string" ? body.code : null);
      if (error.authRefused) {
        this.stopped = true;
        this.onAuthRefused(error);
        return;
      }
      if (response.status === 404) {
        // Not configured (CACHE_EVENTS_CHANNEL unset, or no Upstash): say so, look again later.
        this.schedule(OFF_RETRY_MS, "off", error.message);
        return;
      }
      const id = error.requestId ? `, request ${error.requestId}` : "";
      this.backoff(`${error.message} (HTTP ${error.status}${id})`);
      return;
    }

    let endReason = null;
    const parser = new SseParser(({ event, data, retry }) => {
      if (retry !== null) this.retryMs = retry;
      if (event === "ready") {
        this.failures = 0;
        let channel = null;
        try {
          channel = JSON.parse(data).channel;
        } catch {
          channel = null;
        }
        this.onState({ state: "live", channel });
      } else if (event === "invalidate") {
        try {
          this.onEvent(JSON.parse(data));
        } catch {
          // A frame that is not JSON: nothing to show.
        }
      } else if (event === "end") {
        try {
          endReason = JSON.parse(data).reason;
        } catch {
          endReason = "ended";
        }
      }
    });

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => controller.abort(), SILENCE_MS);
        parser.push(decoder.decode(value, { stream: true }));
      }
    } catch {
      // Aborted (stop, reconnect, silence) or the connection dropped.
    } finally {
      clearTimeout(watchdog);
    }
    if (this.stopped || (controller.signal.aborted && this.controller !== controller)) return;
    if (endReason === "time limit") {
      // The worker's own limit on one stream: reconnect as it asked (retry:).
      this.schedule(this.retryMs, "reconnecting", "the stream reached its time limit");
    } else {
      this.backoff(endReason ? `the stream ended: ${endReason}` : controller.signal.aborted ? "no data for 40 s" : "the connection closed");
    }
  }
}
