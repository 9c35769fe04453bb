// Talking to the Doorstep API: JSON in, JSON or an RFC 9457 problem out.

export class ApiError extends Error {
  constructor(status, problem, retryAfter) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || "http-" + status;
    this.errors = problem.errors || {};
    this.retryAfter = retryAfter;
  }
}

// No answer at all: the server is unreachable (no signal, or it is down).
export class Offline extends Error {
  constructor(cause) {
    super("No connection to Doorstep.");
    this.code = "offline";
    this.cause = cause;
  }
}

// A request with no answer in this long is treated as no signal (and retried).
const TIMEOUT_MS = 30_000;

export async function api(method, path, { token, body, headers = {}, raw, timeoutMs = TIMEOUT_MS } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(timeoutMs) };
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (raw !== undefined) {
    init.body = raw;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (cause) {
    throw new Offline(cause);
  }
  const type = response.headers.get("Content-Type") || "";
  let data = {};
  try {
    data = type.includes("json") ? await response.json() : {};
  } catch (cause) {
    if (cause.name === "TimeoutError" || cause.name === "AbortError") throw new Offline(cause);
  }
  if (!response.ok) {
    const retry = Number(response.headers.get("Retry-After")) || undefined;
    throw new ApiError(response.status, data, retry);
  }
  return data;
}

// Every page of a keyed list (`items` + `next_after`).
export async function allPages(path, token) {
  const items = [];
  let after = null;
  const join = path.includes("?") ? "&" : "?";
  do {
    const page = await api("GET", `${path}${join}limit=1000${after ? `&after=${encodeURIComponent(after)}` : ""}`, { token });
    items.push(...page.items);
    after = page.next_after;
  } while (after);
  return items;
}

export function explain(error) {
  if (error.code === "offline") return "No connection: it will be sent when there is signal.";
  // Each field's messages, unless the detail says them already (a paired visit refused
  // for an absence said the absence twice).
  const fields = Object.entries(error.errors || {})
    .map(([field, messages]) => [field, [].concat(messages).join(" ")])
    .filter(([, text]) => !(error.message || "").includes(text.replace(/\.$/, "")))
    .map(([field, text]) => `${field}: ${text}`)
    .join("; ");
  return fields ? `${error.message} (${fields})` : error.message;
}

let config;
export async function loadConfig() {
  config ??= await api("GET", "/web/config.json");
  return config;
}
