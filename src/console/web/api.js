/**
 * The console's only way to the server: fetch with the operator's key (sessionStorage, sent as
 * the `apikey` header the Call API and admin routes expect), relative URLs (so the console also
 * works behind a path prefix), errors as ApiError with the server's message.
 */
const KEY = "callscribe.apikey";

export const apiKey = {
  get: () => sessionStorage.getItem(KEY),
  set: (k) => sessionStorage.setItem(KEY, k),
  clear: () => sessionStorage.removeItem(KEY),
};

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

let unauthorized = () => {};
/** Called with every 401 (the page shows the login form). */
export const onUnauthorized = (fn) => {
  unauthorized = fn;
};

/** Builds `path?query` relative to the page, leaving out empty values. */
export function apiUrl(path, query = {}) {
  const url = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== "") url.searchParams.set(k, String(v));
  }
  return url;
}

export async function api(path, { method = "GET", query, body } = {}) {
  const headers = { accept: "application/json" };
  const key = apiKey.get();
  if (key) headers.apikey = key;
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(apiUrl(path, query), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => null);
  if (res.status === 401) unauthorized();
  if (!res.ok) throw new ApiError(res.status, data?.error ?? `HTTP ${res.status}`, data);
  return data;
}
