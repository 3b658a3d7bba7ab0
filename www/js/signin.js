// @ts-check
// Signing in and out. The token lives in this tab's sessionStorage only
// (api.js reads it for each call); a refused token signs the page out, back
// to the sign-in form, which says why.

import { ApiError, TOKEN_KEY, request } from "./api.js";
import { $ } from "./dom.js";

/** @typedef {import("./types.js").IsolateStats} IsolateStats */

const NOTICE_KEY = "edgecache.signinNotice";

/**
 * Why the worker refused a token, and what to do, in words.
 * @param {ApiError} error
 */
export function authMessage(error) {
  if (error.code === "admin_token_not_configured") {
    return "This worker has no ADMIN_TOKEN configured, so its admin API is closed. Set one (wrangler secret put ADMIN_TOKEN) and sign in again.";
  }
  if (error.code === "too_many_auth_failures") return `Too many failed sign-ins from this address (HTTP 429: ${error.message}). Wait a minute and try again.`;
  if (error.status === 401 && error.code !== "invalid_token") return `The worker asked for credentials (HTTP 401: ${error.message}). Sign in again.`;
  if (error.status === 403) return `This token is not the admin token (HTTP 403: ${error.message}). Sign in with the admin token.`;
  return `The worker refused this token (HTTP ${error.status}: ${error.message}). Check it and sign in again.`;
}

/** The signed-in session: its token, and the way out. */
export class Session {
  #leaving = false;
  /** @type {(() => void)[]} */
  #onLeave = [];

  /** The admin token, or null when signed out. */
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  /**
   * Runs `callback` when the session ends (before the page reloads).
   * @param {() => void} callback
   */
  onLeave(callback) {
    this.#onLeave.push(callback);
  }

  /**
   * Forgets the token and goes back to the sign-in, with `notice` shown there.
   * @param {string | null} notice
   */
  signOut(notice) {
    if (this.#leaving) return;
    this.#leaving = true;
    for (const callback of this.#onLeave) callback();
    sessionStorage.removeItem(TOKEN_KEY);
    if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
    else sessionStorage.removeItem(NOTICE_KEY);
    // A fresh page: nothing the session showed (a new key, say) survives.
    location.replace(location.pathname);
  }

  /**
   * Signs out because the worker refused the token, saying why.
   * @param {ApiError} error
   */
  refused(error) {
    this.signOut(authMessage(error));
  }
}

/**
 * Shows the sign-in form (with the notice a sign-out left, if any); a token
 * the worker accepts is kept, and `onSignedIn` gets the stats it answered.
 * @param {(stats: IsolateStats) => void} onSignedIn
 */
export function showSignin(onSignedIn) {
  $("app").hidden = true;
  $("signin").hidden = false;
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  const error = $("signin-error");
  /** @param {string} text */
  const say = (text) => {
    error.textContent = text;
    error.hidden = false;
  };
  if (notice) say(notice);
  const input = $("signin-token", HTMLInputElement);
  input.focus();
  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = input.value.trim();
    if (!token) {
      say("Enter the admin token.");
      input.focus();
      return;
    }
    const button = $("signin-submit", HTMLButtonElement);
    button.disabled = true;
    button.textContent = "Signing in…";
    error.hidden = true;
    try {
      const stats = await request("GET", "/admin/stats", { token });
      sessionStorage.setItem(TOKEN_KEY, token);
      input.value = "";
      $("signin").hidden = true;
      onSignedIn(stats);
    } catch (failure) {
      say(
        failure instanceof ApiError && failure.authRefused
          ? authMessage(failure)
          : `Could not sign in: ${failure.message}${failure.requestId ? ` (request ${failure.requestId})` : ""}.`,
      );
      input.select();
      input.focus();
    } finally {
      button.disabled = false;
      button.textContent = "Sign in";
    }
  });
}
