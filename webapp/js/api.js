// The one way the app talks to the API (same origin, /v1/...): the bearer token kept in this
// module's memory and refreshed before it expires; the refresh token in localStorage only when
// the person chose "keep me signed in" (README "Family web app"); every failure an ApiError
// carrying the problem's code and its detail in the person's language.
import { language, t } from "./i18n.js";

const KEPT_REFRESH = "kinlink.refresh_token";
const EARLY_SECONDS = 60;

let accessToken = null;
let refreshToken = null;
let keep = false;
let timer = null;
let refreshing = null;
const signedOutListeners = [];

export class ApiError extends Error {
  constructor(status, problem = {}, headers = null) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "failed";
    this.detail = problem.detail || null;
    this.errors = problem.errors || null;
    this.suggestions = problem.suggestions || null;
    this.problem = problem;
    const header = headers ? Number(headers.get("Retry-After")) : NaN;
    this.retryAfter = problem.retry_after_seconds ?? (Number.isFinite(header) ? header : null);
  }
}

export function onSignedOut(listener) { signedOutListeners.push(listener); }
export function signedIn() { return accessToken !== null; }

export function useTokens(tokens, keepSignedIn = keep) {
  accessToken = tokens.access_token;
  refreshToken = tokens.refresh_token;
  keep = keepSignedIn;
  try {
    if (keep) localStorage.setItem(KEPT_REFRESH, refreshToken);
    else localStorage.removeItem(KEPT_REFRESH);
  } catch { /* storage refused (private mode): memory only */ }
  clearTimeout(timer);
  const seconds = Math.max(10, (tokens.expires_in || 900) - EARLY_SECONDS);
  timer = setTimeout(() => { refresh().catch(() => {}); }, seconds * 1000);
}

function forget() {
  accessToken = null;
  refreshToken = null;
  clearTimeout(timer);
  try { localStorage.removeItem(KEPT_REFRESH); } catch { /* nothing kept */ }
}

function endSession() {
  const had = accessToken !== null;
  forget();
  if (had) for (const listener of signedOutListeners) listener();
}

// One refresh at a time: rotation makes a second, concurrent one revoke the session.
export function refresh() {
  if (!refreshToken) return Promise.reject(new ApiError(401, { code: "signed_out" }));
  if (!refreshing) {
    const token = refreshToken;
    refreshing = request("POST", "/v1/auth/refresh", { body: { refresh_token: token }, auth: false })
      .then((tokens) => { useTokens(tokens); return tokens; })
      .catch((error) => { if (error.status === 401 || error.status === 400) endSession(); throw error; })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

// Back from a kept refresh token (a private device), or nothing.
export async function resume() {
  let kept = null;
  try { kept = localStorage.getItem(KEPT_REFRESH); } catch { kept = null; }
  if (!kept) return false;
  refreshToken = kept;
  keep = true;
  try { await refresh(); return true; } catch { forget(); return false; }
}

// The server ended every session already (the account was deleted): drop the tokens quietly.
export function forgetSession() { forget(); }

export async function signOut() {
  if (accessToken) {
    try { await request("POST", "/v1/auth/logout"); } catch { /* the tokens are dropped anyway */ }
  }
  endSession();
}

async function request(method, path, { body, idempotencyKey, auth = true, retried = false } = {}) {
  const headers = { Accept: "application/json, application/problem+json", "Accept-Language": language() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  if (auth && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  let response;
  try {
    response = await fetch(path, { method, headers, cache: "no-store", credentials: "omit",
                                   body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, { code: "offline", detail: t("offline") });
  }
  if (response.status === 401 && auth && refreshToken && !retried) {
    try { await refresh(); } catch { throw new ApiError(401, { code: "signed_out", detail: t("signed_out") }); }
    return request(method, path, { body, idempotencyKey, auth, retried: true });
  }
  if (response.status === 204) return null;
  let data = null;
  const type = response.headers.get("Content-Type") || "";
  if (type.includes("json")) {
    try { data = await response.json(); } catch { data = null; }
  }
  if (!response.ok) {
    if (response.status === 401 && auth) endSession();
    throw new ApiError(response.status, data || { detail: t("failed") }, response.headers);
  }
  return data;
}

export const api = {
  get: (path, options) => request("GET", path, options),
  post: (path, body = {}, options = {}) => request("POST", path, { ...options, body }),
  patch: (path, body, options = {}) => request("PATCH", path, { ...options, body }),
  del: (path, body, options = {}) => request("DELETE", path, { ...options, body }),
};

// ``path`` with the query ``params`` (empty values left out).
export function withQuery(path, params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}
