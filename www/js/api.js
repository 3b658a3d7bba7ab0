// @ts-check
// The admin API client. The token is read from sessionStorage for each call
// and only ever sent in the Authorization header: never in a URL, never logged.

export const TOKEN_KEY = "edgecache.adminToken";

/** An answer other than 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  /**
   * @param {number} status the HTTP status; 0 for no answer
   * @param {string} message
   * @param {string | null} [requestId] the worker's request id, to find its logs
   * @param {string | null} [code]
   */
  constructor(status, message, requestId = null, code = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.requestId = requestId;
    /** The worker's machine-readable `code` (e.g. "admin_token_not_configured"), when it sent one. */
    this.code = code;
  }

  /**
   * True when the token itself was refused (401 invalid or missing, 403 a
   * tenant key rather than the admin token, 429 too many failed sign-ins),
   * or the worker has none configured.
   */
  get authRefused() {
    return this.status === 401 || this.status === 403 || this.code === "too_many_auth_failures" || this.code === "admin_token_not_configured";
  }
}

/**
 * One JSON request. `token` is the admin token (null for public routes).
 * Answers the parsed body (null for 204), throws ApiError otherwise.
 * @param {string} method
 * @param {string} path
 * @param {{ token?: string | null, body?: unknown, signal?: AbortSignal }} [options]
 * @returns {Promise<any>}
 */
export async function request(method, path, { token = null, body, signal } = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  /** @type {RequestInit} */
  const init = { method, headers, cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer", signal };
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (/** @type {{ name?: string }} */ (error)?.name === "AbortError") throw error;
    throw new ApiError(0, "the worker did not answer (network error)");
  }
  if (response.status === 204) return null;
  const text = await response.text().catch(() => "");
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = (data && typeof data.error === "string" && data.error) || text.slice(0, 200) || response.statusText || "request failed";
    const requestId = (data && data.requestId) || (response.status >= 500 ? response.headers.get("x-request-id") : null);
    throw new ApiError(response.status, message, requestId, (data && typeof data.code === "string" && data.code) || null);
  }
  return data;
}

/**
 * `GET /admin/health`: the health check in detail (backend, latency, error),
 * for the admin; the public `/health` says only whether it is healthy. A 503
 * still carries the health body, so both are answers. Signed out, the public one.
 * @returns {Promise<import("./types.js").Health>}
 */
export async function health() {
  let response;
  try {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    response = await fetch(token ? "/admin/health" : "/health", { cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer", headers });
  } catch {
    return { reachable: false, healthy: false, error: "the worker did not answer" };
  }
  let body = {};
  try {
    body = await response.json();
  } catch {
    body = { healthy: false, error: `HTTP ${response.status}` };
  }
  return { reachable: true, status: response.status, ...body, healthy: response.ok && body.healthy === true };
}

/**
 * The admin API bound to the token in sessionStorage. `onAuthRefused(error)`
 * runs when any call's token is refused (the page signs out).
 * @param {(error: ApiError) => void} onAuthRefused
 */
export function adminApi(onAuthRefused) {
  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  const call = async (method, path, body) => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) {
      const error = new ApiError(401, "signed out");
      onAuthRefused(error);
      throw error;
    }
    try {
      return await request(method, path, { token, body });
    } catch (error) {
      if (error instanceof ApiError && error.authRefused) onAuthRefused(error);
      throw error;
    }
  };
  return {
    /** @param {string} path */
    get: (path) => call("GET", path),
    /** @param {string} path @param {object} [body] */
    post: (path, body = {}) => call("POST", path, body),
    /** @param {string} path @param {object} body */
    put: (path, body) => call("PUT", path, body),
    /** DELETE, with a JSON body when one is given (the deny list's removals). @param {string} path @param {object} [body] */
    del: (path, body) => call("DELETE", path, body),
  };
}

/**
 * "message (HTTP 503, request id 1f75…)" for showing next to a form.
 * @param {unknown} error
 * @returns {{ message: string, status: number | null, requestId: string | null }}
 */
export function describeError(error) {
  if (!(error instanceof ApiError)) return { message: String(/** @type {{ message?: string }} */ (error)?.message ?? error), status: null, requestId: null };
  return { message: error.message, status: error.status || null, requestId: error.requestId };
}
